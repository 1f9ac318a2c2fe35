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
const KEY_FIELDS: [&str; 7] = [
    "id",
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
        for (handle, keys) in rule {
            let described = draft.people.get(handle);
            let keys = keys
                .iter()
                .map(|fingerprint| {
                    by_fingerprint.insert(fingerprint.clone(), handle.clone());
                    described
                        .and_then(|p| p.keys.iter().find(|k| &k.fingerprint == fingerprint))
                        .cloned()
                        .unwrap_or_else(|| MaintainerKey {
                            label: fingerprint[32..].to_ascii_lowercase(),
                            fingerprint: fingerprint.clone(),
                            line: None,
                        })
                })
                .collect();
            people.insert(
                handle.clone(),
                Maintainer {
                    handle: handle.clone(),
                    name: described.and_then(|p| p.name.clone()),
                    emails: described.map(|p| p.emails.clone()).unwrap_or_default(),
                    keys,
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

    /// The former maintainer holding this primary fingerprint (any case), when it is one.
    pub fn former(&self, fingerprint: &str) -> Option<&Former> {
        self.former.get(&fingerprint.to_ascii_uppercase())
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
        self.people.values().filter(|p| !p.keys.is_empty()).count()
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
                let key = self.key(handle, label, entry, line)?;
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

    /// One `[keys.<handle>.<label>]` at `line`: its `id`, a primary key fingerprint.
    fn key(
        &mut self,
        handle: &str,
        label: &str,
        entry: &toml_edit::Item,
        line: Option<usize>,
    ) -> Result<MaintainerKey, MaintainersError> {
        let entry = entry
            .as_table_like()
            .ok_or_else(|| self.fail(line, format!("`keys.{handle}.{label}` has no `id`")))?;
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
        Ok(MaintainerKey {
            label: label.to_string(),
            fingerprint,
            line: id_line,
        })
    }

    /// Warns of each person with no key: nothing they sign can count.
    fn warn_keyless(&mut self, people: &BTreeMap<String, Maintainer>, lines: &PeopleLines) {
        for person in people.values().filter(|p| p.keys.is_empty()) {
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

    #[test]
    fn reads_the_real_stagex_file() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/realworld/stagex/MAINTAINERS");
        let m = Maintainers::load(&crate::fs::source::WorkingTree, &path).unwrap();
        assert_eq!(m.by_fingerprint(A).unwrap().handle, "lancevick");
        assert_eq!(m.by_fingerprint(B).unwrap().handle, "dannygrove");
    }
}
