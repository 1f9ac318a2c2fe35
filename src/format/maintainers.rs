//! The MAINTAINERS file, in StageX's TOML form: who the people are and which primary keys each
//! holds. A maintainer is a person; a person may hold several keys.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A MAINTAINERS file that cannot be used. Always an input error (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{}{}{}: {message}{excerpt}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), column.map(|c| format!(":{c}")).unwrap_or_default())]
pub struct MaintainersError {
    /// The file.
    pub path: PathBuf,
    /// The line, when the problem has one.
    pub line: Option<usize>,
    /// The column, for a TOML syntax error.
    pub column: Option<usize>,
    /// What is wrong, in one line.
    pub message: String,
    /// For a TOML syntax error, the offending line and a caret under the column (see
    /// `toml_error`); empty otherwise.
    pub excerpt: String,
}

crate::fault::always!(Input: MaintainersError);

/// One person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maintainer {
    /// The table name under `[people.<handle>]`.
    pub handle: String,
    /// `name`, when given.
    pub name: Option<String>,
    /// `email`: a string or an array in the file.
    pub emails: Vec<String>,
    /// Primary fingerprints (40 uppercase hex), with the label of each `[keys.<handle>.<label>]`.
    pub keys: Vec<MaintainerKey>,
    /// Cosign public keys and keyless identities, each from its own `[keys.<handle>.<label>]`.
    pub sigstore: Vec<SigstoreKey>,
}

impl Maintainer {
    /// True when the person holds a key or identity of any kind: what they sign can count.
    pub fn holds_a_key(&self) -> bool {
        !self.keys.is_empty() || !self.sigstore.is_empty()
    }

    /// Every key and identity the trust root names for this person: primary fingerprints and
    /// the ids of `SigstoreIdentity::root_id`.
    pub fn root_ids(&self) -> impl Iterator<Item = String> + '_ {
        self.keys
            .iter()
            .map(|k| k.fingerprint.clone())
            .chain(self.sigstore.iter().map(|k| k.identity.root_id()))
    }
}

/// A cosign key or keyless identity a maintainer holds: `[keys.<handle>.<label>]` with
/// `cosign = "<file>"` and `id = "sha256:<hex>"`, or `oidc-issuer` and `subject`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigstoreKey {
    /// The `<label>` in `[keys.<handle>.<label>]`.
    pub label: String,
    /// Which key or identity.
    pub identity: SigstoreIdentity,
    /// The line of its table's first field in MAINTAINERS.
    pub line: Option<usize>,
}

/// What a Sigstore vote must be made by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SigstoreIdentity {
    /// A cosign key pair's public key (ECDSA P-256, a PEM file below keyring/), pinned by the
    /// SHA-256 of its DER SubjectPublicKeyInfo.
    CosignKey {
        /// `sha256:<64 lowercase hex>`.
        id: String,
        /// The PEM file, relative to keyring/ (empty when only the trust root names the key).
        file: String,
    },
    /// A keyless identity: a Fulcio certificate's OIDC issuer and subject (an email or a URI),
    /// both matched exactly.
    Keyless {
        /// The issuer URL (the certificate's OID 1.3.6.1.4.1.57264.1.1 or .1.8).
        issuer: String,
        /// The subject: the certificate's email or URI subject alternative name.
        subject: String,
    },
}

/// The prefix of a keyless identity's id in the trust root.
pub const KEYLESS_ID_PREFIX: &str = "keyless:";

impl SigstoreIdentity {
    /// How the trust root names it: the cosign key's `sha256:<hex>`, or
    /// `keyless:<issuer> <subject>` (neither holds whitespace, so the first space splits).
    pub fn root_id(&self) -> String {
        match self {
            SigstoreIdentity::CosignKey { id, .. } => id.clone(),
            SigstoreIdentity::Keyless { issuer, subject } => {
                format!("{KEYLESS_ID_PREFIX}{issuer} {subject}")
            }
        }
    }

    /// The identity a trust root id names, when it is a Sigstore one (a cosign key then has no
    /// file: only MAINTAINERS says where it lies).
    pub fn from_root_id(id: &str) -> Option<SigstoreIdentity> {
        if let Some(rest) = id.strip_prefix(KEYLESS_ID_PREFIX) {
            let (issuer, subject) = rest.split_once(' ')?;
            return (is_identity_text(issuer) && is_identity_text(subject)).then(|| {
                SigstoreIdentity::Keyless {
                    issuer: issuer.to_string(),
                    subject: subject.to_string(),
                }
            });
        }
        is_cosign_key_id(id).then(|| SigstoreIdentity::CosignKey {
            id: id.to_string(),
            file: String::new(),
        })
    }

    /// What kind of key it is, in words: `cosign key` or `keyless identity`.
    pub fn kind(&self) -> &'static str {
        match self {
            SigstoreIdentity::CosignKey { .. } => "cosign key",
            SigstoreIdentity::Keyless { .. } => "keyless identity",
        }
    }
}

/// `sha256:` and 64 lowercase hex digits: a cosign key's pin.
pub fn is_cosign_key_id(id: &str) -> bool {
    id.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// An issuer or subject quorate can match exactly and name unambiguously: not empty, printable
/// ASCII without whitespace, at most 1024 bytes.
fn is_identity_text(text: &str) -> bool {
    !text.is_empty() && text.len() <= 1024 && text.bytes().all(|b| b.is_ascii_graphic())
}

/// True when a trust root id names a key of some kind quorate knows: a primary fingerprint, a
/// cosign key's pin or a keyless identity.
pub fn is_root_id(id: &str) -> bool {
    normalize_fingerprint(id).as_deref() == Some(id) || SigstoreIdentity::from_root_id(id).is_some()
}

/// One key a maintainer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintainerKey {
    /// The `<label>` in `[keys.<handle>.<label>]`.
    pub label: String,
    /// The primary key fingerprint, 40 uppercase hex digits.
    pub fingerprint: String,
    /// The line of its `id` in MAINTAINERS.
    pub line: Option<usize>,
}

/// Everyone in MAINTAINERS, and which person each primary fingerprint belongs to.
#[derive(Debug, Clone, Default)]
pub struct Maintainers {
    people: BTreeMap<String, Maintainer>,
    by_fingerprint: BTreeMap<String, String>,
    /// Primary fingerprints of people who were maintainers and are no longer, with their handle
    /// and the trust root version that removed them: their signatures are shown as theirs,
    /// never counted (set from the chain of trust roots, empty without one).
    former: BTreeMap<String, Former>,
    /// What is odd but harmless, `FILE:LINE: message` each: a typo'd table, a person with no key.
    pub warnings: Vec<String>,
}

/// A key of someone the chain of trust roots named and the root in force no longer names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Former {
    /// Their handle where a version last named the key.
    pub handle: String,
    /// The trust root version that no longer names it.
    pub removed_in: u32,
}

/// The fields StageX's MAINTAINERS uses: known, so never warned about.
const PERSON_FIELDS: [&str; 7] = [
    "name",
    "email",
    "location",
    "matrix",
    "fediverse",
    "keyoxide",
    "website",
];
const KEY_FIELDS: [&str; 10] = [
    "id",
    "cosign",
    "oidc-issuer",
    "subject",
    "algorithm",
    "servers",
    "devices",
    "offline-ca",
    "backup",
    "interaction",
];

/// The line (1-based) of a byte offset.
fn line_at(text: &str, span: Option<std::ops::Range<usize>>) -> Option<usize> {
    let start = span?.start.min(text.len());
    Some(
        text.as_bytes()[..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1,
    )
}

/// The line of an entry of a table: its key, else its value.
fn entry_line(text: &str, table: &dyn toml_edit::TableLike, key: &str) -> Option<usize> {
    let (k, item) = table.get_key_value(key)?;
    line_at(text, k.span().or_else(|| item.span()))
}

impl Maintainers {
    /// Reads and checks a MAINTAINERS file.
    pub fn load(
        source: &dyn crate::fs::source::Source,
        path: &Path,
    ) -> Result<Maintainers, MaintainersError> {
        let text = source
            .read(path, 16 * 1024 * 1024)
            .map_err(|e| MaintainersError {
                path: path.to_path_buf(),
                line: None,
                column: None,
                message: format!("cannot read: {e}"),
                excerpt: String::new(),
            })?;
        Maintainers::parse(path, &text)
    }

    /// Parses MAINTAINERS text; `path` only names the file in errors and warnings.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Maintainers, MaintainersError> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| failure(path, None, "not UTF-8 text".into()))?;
        let doc = toml_edit::ImDocument::parse(text).map_err(|e| toml_syntax(path, text, &e))?;
        let root = doc.as_table();
        let mut reader = Reader {
            path,
            text,
            warnings: Vec::new(),
        };
        reader.warn_unknown_tables(root);
        let (mut people, people_lines) = reader.people(root)?;
        let by_fingerprint = reader.keys(root, &mut people)?;
        reader.warn_keyless(&people, &people_lines);
        Ok(Maintainers {
            people,
            by_fingerprint,
            former: BTreeMap::new(),
            warnings: reader.warnings,
        })
    }

    /// The maintainers a decided rule names (handle → primary fingerprints), described as `draft`
    /// describes them where it names the same person (name, emails, key labels): who counts is
    /// the rule's, never the draft's.
    pub fn decided(
        rule: &BTreeMap<String, std::collections::BTreeSet<String>>,
        draft: &Maintainers,
    ) -> Maintainers {
        let mut people = BTreeMap::new();
        let mut by_fingerprint = BTreeMap::new();
        for (handle, ids) in rule {
            let described = draft.people.get(handle);
            let mut keys = Vec::new();
            let mut sigstore = Vec::new();
            for id in ids {
                by_fingerprint.insert(id.clone(), handle.clone());
                if let Some(identity) = SigstoreIdentity::from_root_id(id) {
                    let root_id = identity.root_id();
                    sigstore.push(
                        described
                            .and_then(|p| {
                                p.sigstore.iter().find(|k| k.identity.root_id() == root_id)
                            })
                            .cloned()
                            .unwrap_or(SigstoreKey {
                                label: identity.kind().replace(' ', "-"),
                                identity,
                                line: None,
                            }),
                    );
                } else if id.len() == 40 {
                    keys.push(
                        described
                            .and_then(|p| p.keys.iter().find(|k| &k.fingerprint == id))
                            .cloned()
                            .unwrap_or_else(|| MaintainerKey {
                                label: id[32..].to_ascii_lowercase(),
                                fingerprint: id.clone(),
                                line: None,
                            }),
                    );
                }
            }
            people.insert(
                handle.clone(),
                Maintainer {
                    handle: handle.clone(),
                    name: described.and_then(|p| p.name.clone()),
                    emails: described.map(|p| p.emails.clone()).unwrap_or_default(),
                    keys,
                    sigstore,
                },
            );
        }
        Maintainers {
            people,
            by_fingerprint,
            former: draft.former.clone(),
            warnings: draft.warnings.clone(),
        }
    }

    /// Records the keys of former maintainers (primary fingerprint → who and when removed).
    pub fn set_former(&mut self, former: BTreeMap<String, Former>) {
        self.former = former;
    }

    /// The former maintainer holding this primary fingerprint (any case) or Sigstore root id
    /// (exactly), when it is one.
    pub fn former(&self, id: &str) -> Option<&Former> {
        self.former
            .get(id)
            .or_else(|| self.former.get(&id.to_ascii_uppercase()))
    }

    /// Every former maintainer's handle with the version that removed them, sorted, once each.
    pub fn former_people(&self) -> Vec<(&str, u32)> {
        let mut people: Vec<(&str, u32)> = self
            .former
            .values()
            .map(|f| (f.handle.as_str(), f.removed_in))
            .collect();
        people.sort();
        people.dedup_by(|a, b| a.0 == b.0);
        people
    }

    /// How many people hold at least one key: the most distinct maintainers that can ever sign.
    pub fn signers(&self) -> usize {
        self.people.values().filter(|p| p.holds_a_key()).count()
    }

    /// The person who holds this cosign key (`sha256:<hex>`) or keyless identity (issuer and
    /// subject, exactly).
    pub fn by_sigstore(&self, identity: &SigstoreIdentity) -> Option<&Maintainer> {
        self.by_fingerprint
            .get(&identity.root_id())
            .and_then(|h| self.people.get(h))
    }

    /// Every Sigstore key and identity with its holder, sorted by root id.
    pub fn sigstore_keys(&self) -> impl Iterator<Item = (&SigstoreKey, &Maintainer)> {
        self.people
            .values()
            .flat_map(|p| p.sigstore.iter().map(move |k| (k, p)))
    }

    /// The person who holds this primary fingerprint (any case).
    pub fn by_fingerprint(&self, fingerprint: &str) -> Option<&Maintainer> {
        let fingerprint = fingerprint.to_ascii_uppercase();
        self.by_fingerprint
            .get(&fingerprint)
            .and_then(|h| self.people.get(h))
    }

    /// A person by handle.
    pub fn get(&self, handle: &str) -> Option<&Maintainer> {
        self.people.get(handle)
    }

    /// Everyone, sorted by handle.
    pub fn people(&self) -> impl Iterator<Item = &Maintainer> {
        self.people.values()
    }

    /// Every listed primary fingerprint with its holder's handle, sorted by fingerprint.
    pub fn fingerprints(&self) -> impl Iterator<Item = (&str, &str)> {
        self.by_fingerprint
            .iter()
            .filter(|(f, _)| f.len() == 40 && !f.contains(':'))
            .map(|(f, h)| (f.as_str(), h.as_str()))
    }
}

/// A MAINTAINERS error at `line` of `path`, with no column or excerpt.
fn failure(path: &Path, line: Option<usize>, message: String) -> MaintainersError {
    MaintainersError {
        path: path.to_path_buf(),
        line,
        column: None,
        message,
        excerpt: String::new(),
    }
}

/// The line of each person's `[people.<handle>]`, by handle.
type PeopleLines = BTreeMap<String, Option<usize>>;

/// One MAINTAINERS text as it is read: the file errors and warnings name, and the warnings so far.
struct Reader<'t> {
    path: &'t Path,
    text: &'t str,
    warnings: Vec<String>,
}

impl Reader<'_> {
    fn fail(&self, line: Option<usize>, message: String) -> MaintainersError {
        failure(self.path, line, message)
    }

    fn warn(&mut self, line: Option<usize>, message: String) {
        let at = line.map(|l| format!(":{l}")).unwrap_or_default();
        self.warnings
            .push(format!("{}{at}: {message}", self.path.display()));
    }

    fn line(&self, table: &dyn toml_edit::TableLike, key: &str) -> Option<usize> {
        entry_line(self.text, table, key)
    }

    /// Warns of every top-level table and key quorate does not read.
    fn warn_unknown_tables(&mut self, root: &toml_edit::Table) {
        for (name, item) in root.iter() {
            let line = self.line(root, name);
            match (name, item.is_table_like()) {
                ("people" | "keys" | "machines", true) => {}
                (_, true) => self.warn(
                    line,
                    format!("unknown table `{name}` (quorate reads [people.<handle>] and [keys.<handle>.<label>])"),
                ),
                _ => self.warn(line, format!("unknown key `{name}`")),
            }
        }
    }

    /// Everyone in `[people]`, by handle, with the line of each.
    fn people(
        &mut self,
        root: &toml_edit::Table,
    ) -> Result<(BTreeMap<String, Maintainer>, PeopleLines), MaintainersError> {
        let mut people = BTreeMap::new();
        let mut people_lines = BTreeMap::new();
        let Some(value) = root.get("people") else {
            return Ok((people, people_lines));
        };
        let people_table = value.as_table_like().ok_or_else(|| {
            self.fail(self.line(root, "people"), "`people` is not a table".into())
        })?;
        for (handle, entry) in people_table.iter() {
            let line = self.line(people_table, handle);
            let person = self.person(handle, entry, line)?;
            people_lines.insert(handle.to_string(), line);
            people.insert(handle.to_string(), person);
        }
        Ok((people, people_lines))
    }

    /// One `[people.<handle>]` at `line`, with no key yet.
    fn person(
        &mut self,
        handle: &str,
        entry: &toml_edit::Item,
        line: Option<usize>,
    ) -> Result<Maintainer, MaintainersError> {
        let entry = entry
            .as_table_like()
            .ok_or_else(|| self.fail(line, format!("`people.{handle}` is not a table")))?;
        let text = self.text;
        let at = |key: &str| entry_line(text, entry, key).or(line);
        let name = match entry.get("name") {
            None => None,
            Some(item) => Some(
                item.as_str()
                    .ok_or_else(|| {
                        self.fail(
                            at("name"),
                            format!("`people.{handle}.name` is not a string"),
                        )
                    })?
                    .to_string(),
            ),
        };
        let emails = match entry.get("email") {
            None => Vec::new(),
            Some(item) => match (item.as_str(), item.as_array()) {
                (Some(s), _) => vec![s.to_string()],
                (None, Some(items)) => items
                    .iter()
                    .map(|item| item.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        self.fail(
                            at("email"),
                            format!("`people.{handle}.email` holds something other than strings"),
                        )
                    })?,
                _ => {
                    return Err(self.fail(
                        at("email"),
                        format!("`people.{handle}.email` is not a string or an array"),
                    ))
                }
            },
        };
        for (field, _) in entry.iter() {
            if !PERSON_FIELDS.contains(&field) {
                self.warn(at(field), format!("unknown key `people.{handle}.{field}`"));
            }
        }
        Ok(Maintainer {
            handle: handle.to_string(),
            name,
            emails,
            keys: Vec::new(),
            sigstore: Vec::new(),
        })
    }

    /// Every `[keys.<handle>.<label>]`, added to its person; the holder of each fingerprint.
    fn keys(
        &mut self,
        root: &toml_edit::Table,
        people: &mut BTreeMap<String, Maintainer>,
    ) -> Result<BTreeMap<String, String>, MaintainersError> {
        let mut by_fingerprint: BTreeMap<String, String> = BTreeMap::new();
        let Some(value) = root.get("keys") else {
            return Ok(by_fingerprint);
        };
        let keys_table = value
            .as_table_like()
            .ok_or_else(|| self.fail(self.line(root, "keys"), "`keys` is not a table".into()))?;
        for (handle, labels) in keys_table.iter() {
            let line = self.line(keys_table, handle);
            let labels = labels
                .as_table_like()
                .ok_or_else(|| self.fail(line, format!("`keys.{handle}` is not a table")))?;
            let person = people.get_mut(handle).ok_or_else(|| {
                self.fail(
                    line,
                    format!("`keys.{handle}` names no one: there is no [people.{handle}]"),
                )
            })?;
            for (label, entry) in labels.iter() {
                let line = self.line(labels, label).or(line);
                let key = match self.key(handle, label, entry, line)? {
                    AnyKey::OpenPgp(key) => key,
                    AnyKey::Sigstore(key) => {
                        let id = key.identity.root_id();
                        if let Some(other) = by_fingerprint.get(&id) {
                            let what = key.identity.kind();
                            return Err(self.fail(
                                key.line,
                                if other != handle {
                                    format!("{what} {id} is listed under two people, {other} and {handle}")
                                } else {
                                    format!("{what} {id} is listed twice under {handle}")
                                },
                            ));
                        }
                        by_fingerprint.insert(id, handle.to_string());
                        person.sigstore.push(key);
                        continue;
                    }
                };
                if let Some(other) = by_fingerprint.get(&key.fingerprint) {
                    let fingerprint = &key.fingerprint;
                    if other != handle {
                        return Err(self.fail(
                            key.line,
                            format!(
                                "key {fingerprint} is listed under two people, {other} and {handle}"
                            ),
                        ));
                    }
                    return Err(self.fail(
                        key.line,
                        format!("key {fingerprint} is listed twice under {handle}"),
                    ));
                }
                by_fingerprint.insert(key.fingerprint.clone(), handle.to_string());
                person.keys.push(key);
            }
        }
        Ok(by_fingerprint)
    }

    /// One `[keys.<handle>.<label>]` at `line`: its `id`, a primary key fingerprint, or a
    /// cosign key or keyless identity.
    fn key(
        &mut self,
        handle: &str,
        label: &str,
        entry: &toml_edit::Item,
        line: Option<usize>,
    ) -> Result<AnyKey, MaintainersError> {
        let entry = entry
            .as_table_like()
            .ok_or_else(|| self.fail(line, format!("`keys.{handle}.{label}` has no `id`")))?;
        if ["cosign", "oidc-issuer", "subject"]
            .iter()
            .any(|field| entry.contains_key(field))
        {
            return self
                .sigstore_key(handle, label, entry, line)
                .map(AnyKey::Sigstore);
        }
        let id_line = self.line(entry, "id").or(line);
        let id = entry
            .get("id")
            .ok_or_else(|| self.fail(line, format!("`keys.{handle}.{label}` has no `id`")))?
            .as_str()
            .ok_or_else(|| {
                self.fail(
                    id_line,
                    format!("`keys.{handle}.{label}.id` is not a string"),
                )
            })?;
        for (field, _) in entry.iter() {
            if !KEY_FIELDS.contains(&field) {
                let at = self.line(entry, field).or(line);
                self.warn(at, format!("unknown key `keys.{handle}.{label}.{field}`"));
            }
        }
        let Some(fingerprint) = normalize_fingerprint(id) else {
            // Copied from `gpg --fingerprint`, which groups the digits: say what to paste.
            let compact: String = id.chars().filter(|c| !c.is_whitespace()).collect();
            let compact = compact.trim_start_matches("0x");
            let message = match normalize_fingerprint(compact) {
                Some(f) => format!(
                    "`keys.{handle}.{label}.id` holds spaces; write it as id = \"{f}\""
                ),
                None => format!(
                    "`keys.{handle}.{label}.id` is {id:?}, not a 40-hex-digit primary key fingerprint"
                ),
            };
            return Err(self.fail(id_line, message));
        };
        Ok(AnyKey::OpenPgp(MaintainerKey {
            label: label.to_string(),
            fingerprint,
            line: id_line,
        }))
    }

    /// A `[keys.<handle>.<label>]` with `cosign` (and `id` pinning it) or with `oidc-issuer`
    /// and `subject`: never both, never half of one.
    fn sigstore_key(
        &mut self,
        handle: &str,
        label: &str,
        entry: &dyn toml_edit::TableLike,
        line: Option<usize>,
    ) -> Result<SigstoreKey, MaintainersError> {
        let table = format!("keys.{handle}.{label}");
        let text = self.text;
        let at = |key: &str| entry_line(text, entry, key).or(line);
        let string = |field: &str| -> Result<Option<String>, MaintainersError> {
            match entry.get(field) {
                None => Ok(None),
                Some(item) => item.as_str().map(|s| Some(s.to_string())).ok_or_else(|| {
                    failure(
                        self.path,
                        at(field),
                        format!("`{table}.{field}` is not a string"),
                    )
                }),
            }
        };
        let (cosign, id) = (string("cosign")?, string("id")?);
        let (issuer, subject) = (string("oidc-issuer")?, string("subject")?);
        for (field, _) in entry.iter() {
            if !KEY_FIELDS.contains(&field) {
                self.warn(at(field), format!("unknown key `{table}.{field}`"));
            }
        }
        let identity = match (cosign, id, issuer, subject) {
            (Some(file), Some(id), None, None) => {
                if !is_cosign_key_id(&id) {
                    return Err(self.fail(
                        at("id"),
                        format!("`{table}.id` is {id:?}, not sha256:<64 lowercase hex> (the SHA-256 of the cosign key's DER SubjectPublicKeyInfo)"),
                    ));
                }
                if !is_keyring_relative(&file) {
                    return Err(self.fail(
                        at("cosign"),
                        format!("`{table}.cosign` is {file:?}: a file below keyring/, named relative to it, without `..`"),
                    ));
                }
                SigstoreIdentity::CosignKey { id, file }
            }
            (Some(_), None, None, None) => {
                return Err(self.fail(
                    at("cosign"),
                    format!("`{table}` names a cosign key but no `id` pinning it (id = \"sha256:<hex>\"; `quorate maintainers add` writes it)"),
                ))
            }
            (None, None, Some(issuer), Some(subject)) => {
                for (field, value) in [("oidc-issuer", &issuer), ("subject", &subject)] {
                    if !is_identity_text(value) {
                        return Err(self.fail(
                            at(field),
                            format!("`{table}.{field}` is {value:?}: matched exactly, it must be printable ASCII without spaces"),
                        ));
                    }
                }
                SigstoreIdentity::Keyless { issuer, subject }
            }
            (None, _, Some(_), None) | (None, _, None, Some(_)) => {
                return Err(self.fail(
                    line,
                    format!("`{table}` is a keyless identity: it needs both `oidc-issuer` and `subject`"),
                ))
            }
            _ => {
                return Err(self.fail(
                    line,
                    format!("`{table}` mixes kinds: a table holds an OpenPGP `id`, a `cosign` key with its `id`, or an `oidc-issuer` with a `subject`"),
                ))
            }
        };
        Ok(SigstoreKey {
            label: label.to_string(),
            identity,
            line: at(if entry.contains_key("cosign") {
                "cosign"
            } else {
                "oidc-issuer"
            }),
        })
    }

    /// Warns of each person with no key: nothing they sign can count.
    fn warn_keyless(&mut self, people: &BTreeMap<String, Maintainer>, lines: &PeopleLines) {
        for person in people.values().filter(|p| !p.holds_a_key()) {
            self.warn(
                lines.get(&person.handle).copied().flatten(),
                format!(
                    "{} has no key: nothing they sign can count (add [keys.{}.<label>] id = \"<fingerprint>\")",
                    person.handle, person.handle
                ),
            );
        }
    }
}

/// A TOML syntax error in MAINTAINERS, with its line, column and caret.
pub(crate) fn toml_syntax(path: &Path, text: &str, e: &toml_edit::TomlError) -> MaintainersError {
    let at = crate::format::toml_error::locate(text, e.span().map_or(0, |s| s.start));
    MaintainersError {
        path: path.to_path_buf(),
        line: Some(at.line),
        column: Some(at.column),
        message: crate::format::toml_error::message(e.message()),
        excerpt: at.excerpt,
    }
}

/// One `[keys.<handle>.<label>]` as read: an OpenPGP key or a Sigstore one.
enum AnyKey {
    OpenPgp(MaintainerKey),
    Sigstore(SigstoreKey),
}

/// A relative path with normal components only: it stays below the directory it is joined to.
fn is_keyring_relative(file: &str) -> bool {
    let path = Path::new(file);
    !file.is_empty()
        && !file.contains('\\')
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// 40 hex digits in any case, returned uppercase; anything else is not a v4 fingerprint.
pub fn normalize_fingerprint(id: &str) -> Option<String> {
    (id.len() == 40 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| id.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "6B61ECD76088748C70590D55E90A401336C8AAA9";
    const B: &str = "C92FE5A3FBD58DD3EC5AA26BB10116B8193F2DBD";

    fn parse(text: &str) -> Result<Maintainers, MaintainersError> {
        Maintainers::parse(Path::new("MAINTAINERS"), text.as_bytes())
    }

    #[test]
    fn reads_people_and_their_keys() {
        let m = parse(&format!(
            "[people.alice]\nname = \"Alice\"\nemail = [\"a@x\", \"b@x\"]\nmatrix = \"@a\"\n\
             [keys.alice.card]\nid = \"{}\"\ndevices = \"Yubikey\"\n[keys.alice.desk]\nid = \"{B}\"\n\
             [machines.alice.desk]\narch = \"x86_64\"\n",
            A.to_lowercase()
        ))
        .unwrap();
        let alice = m.by_fingerprint(A).unwrap();
        assert_eq!(alice.handle, "alice");
        assert_eq!(alice.emails, vec!["a@x", "b@x"]);
        assert_eq!(m.by_fingerprint(B).unwrap().handle, "alice");
        assert_eq!(alice.keys.len(), 2);
    }

    #[test]
    fn one_fingerprint_under_two_people_is_an_input_error() {
        let err = parse(&format!(
            "[people.a]\n[people.b]\n[keys.a.k]\nid = \"{A}\"\n[keys.b.k]\nid = \"{A}\"\n"
        ))
        .unwrap_err();
        assert!(err.to_string().contains("listed under two people"), "{err}");
        assert!(err.to_string().starts_with("MAINTAINERS:6: "), "{err}");
    }

    #[test]
    fn malformed_files_are_named() {
        assert!(parse("[people.a\n")
            .unwrap_err()
            .to_string()
            .starts_with("MAINTAINERS:1:10: "));
        assert!(parse("[people.a]\n[keys.a.k]\nid = \"ABC\"\n")
            .unwrap_err()
            .to_string()
            .contains("40-hex-digit"));
        assert!(parse("[keys.x.k]\nid = \"ABC\"\n")
            .unwrap_err()
            .to_string()
            .contains("names no one"));
        assert!(parse("[people.a]\n[keys.a.k]\nalgorithm = \"rsa\"\n")
            .unwrap_err()
            .to_string()
            .contains("no `id`"));
    }

    #[test]
    fn warnings_come_in_file_order_then_the_keyless() {
        let m = parse(&format!(
            "typo = 1\n[peeple.x]\n[people.a]\nnick = \"a\"\n[people.b]\n\
             [keys.a.k]\nid = \"{A}\"\ncolour = \"red\"\n"
        ))
        .unwrap();
        assert_eq!(
            m.warnings,
            [
                "MAINTAINERS:1: unknown key `typo`",
                "MAINTAINERS:2: unknown table `peeple` (quorate reads [people.<handle>] and [keys.<handle>.<label>])",
                "MAINTAINERS:4: unknown key `people.a.nick`",
                "MAINTAINERS:8: unknown key `keys.a.k.colour`",
                "MAINTAINERS:5: b has no key: nothing they sign can count (add [keys.b.<label>] id = \"<fingerprint>\")",
            ]
        );
    }

    const COSIGN: &str = "sha256:0b7e3f1c2a9d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789ab";

    #[test]
    fn reads_cosign_keys_and_keyless_identities_beside_openpgp_keys() {
        let m = parse(&format!(
            "[people.alice]\n[keys.alice.card]\nid = \"{A}\"\n\
             [keys.alice.cosign]\ncosign = \"cosign/alice.pub\"\nid = \"{COSIGN}\"\n\
             [keys.alice.ci]\noidc-issuer = \"https://token.actions.githubusercontent.com\"\n\
             subject = \"https://github.com/team/repo/.github/workflows/release.yml@refs/heads/main\"\n\
             [people.bob]\n[keys.bob.google]\noidc-issuer = \"https://accounts.google.com\"\nsubject = \"bob@example.org\"\n"
        ))
        .unwrap();
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
        let alice = m.get("alice").unwrap();
        assert_eq!(alice.keys.len(), 1);
        assert_eq!(alice.sigstore.len(), 2);
        let ids: Vec<String> = alice.root_ids().collect();
        assert_eq!(ids[0], A);
        assert_eq!(ids[1], COSIGN);
        assert_eq!(
            ids[2],
            "keyless:https://token.actions.githubusercontent.com https://github.com/team/repo/.github/workflows/release.yml@refs/heads/main"
        );
        for id in &ids {
            assert!(is_root_id(id), "{id}");
        }
        let bob = SigstoreIdentity::Keyless {
            issuer: "https://accounts.google.com".into(),
            subject: "bob@example.org".into(),
        };
        assert_eq!(m.by_sigstore(&bob).unwrap().handle, "bob");
        assert_eq!(SigstoreIdentity::from_root_id(&bob.root_id()), Some(bob));
        // The issuer is matched exactly: another issuer with the same subject is nobody.
        let other = SigstoreIdentity::Keyless {
            issuer: "https://github.com/login/oauth".into(),
            subject: "bob@example.org".into(),
        };
        assert!(m.by_sigstore(&other).is_none());
        assert_eq!(m.signers(), 2);
        // Only OpenPGP fingerprints are fingerprints.
        assert_eq!(m.fingerprints().count(), 1);
    }

    #[test]
    fn malformed_sigstore_tables_are_named() {
        let cases = [
            (
                "[keys.a.k]\ncosign = \"a.pub\"\n".to_string(),
                "no `id` pinning it",
            ),
            (
                format!("[keys.a.k]\ncosign = \"a.pub\"\nid = \"{A}\"\n"),
                "not sha256:",
            ),
            (
                format!("[keys.a.k]\ncosign = \"../a.pub\"\nid = \"{COSIGN}\"\n"),
                "below keyring/",
            ),
            (
                format!("[keys.a.k]\ncosign = \"/etc/a.pub\"\nid = \"{COSIGN}\"\n"),
                "below keyring/",
            ),
            (
                "[keys.a.k]\noidc-issuer = \"https://i\"\n".to_string(),
                "needs both",
            ),
            ("[keys.a.k]\nsubject = \"a@x\"\n".to_string(), "needs both"),
            (
                "[keys.a.k]\noidc-issuer = \"https://i\"\nsubject = \"a @x\"\n".to_string(),
                "without spaces",
            ),
            (
                format!(
                    "[keys.a.k]\noidc-issuer = \"https://i\"\nsubject = \"a@x\"\nid = \"{A}\"\n"
                ),
                "mixes kinds",
            ),
            (
                format!("[keys.a.k]\ncosign = \"a.pub\"\nid = \"{COSIGN}\"\nsubject = \"a@x\"\n"),
                "mixes kinds",
            ),
        ];
        for (table, expected) in cases {
            let err = parse(&format!("[people.a]\n{table}"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{table}: {err}");
            assert!(err.starts_with("MAINTAINERS:"), "{err}");
        }
    }

    #[test]
    fn one_sigstore_identity_belongs_to_one_person() {
        let key = format!("cosign = \"k.pub\"\nid = \"{COSIGN}\"\n");
        let err = parse(&format!(
            "[people.a]\n[people.b]\n[keys.a.k]\n{key}[keys.b.k]\n{key}"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("listed under two people, a and b"), "{err}");
        let who = "oidc-issuer = \"https://i\"\nsubject = \"a@x\"\n";
        let err = parse(&format!("[people.a]\n[keys.a.k]\n{who}[keys.a.l]\n{who}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("listed twice under a"), "{err}");
    }

    #[test]
    fn reads_the_real_stagex_file() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/realworld/stagex/MAINTAINERS");
        let m = Maintainers::load(&crate::fs::source::WorkingTree, &path).unwrap();
        assert_eq!(m.by_fingerprint(A).unwrap().handle, "lancevick");
        assert_eq!(m.by_fingerprint(B).unwrap().handle, "dannygrove");
    }
}
