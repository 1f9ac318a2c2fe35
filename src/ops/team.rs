//! Setting up and changing the team: `quorate init` makes a workspace, `quorate maintainers
//! add/remove` edit MAINTAINERS (keeping its comments and layout) and keyring/ together. Every
//! write goes through `confine`; everything is checked before the first write.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use sequoia_openpgp as openpgp;

use openpgp::serialize::Serialize;

use crate::format::maintainers::{Maintainer, Maintainers};
use crate::fs::confine::{self, Dir};
use crate::fs::git::{self, FallbackIdentity};
use crate::workspace::Workspace;

/// Why the team could not be set up or changed.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// Something is in the way, or the change makes no sense for this team (exit 1).
    #[error("{0}")]
    Refused(String),
    /// Bad input: an unreadable or secret certificate file, a bad handle (exit 2).
    #[error("{0}")]
    Input(String),
    /// The namespace asked for is not a repository name (exit 2).
    #[error("{0:?} is not a repository name such as ghcr.io/example")]
    BadNamespace(String),
    /// A person MAINTAINERS does not list was given without a name or an email (exit 2).
    #[error("{handle} is not a maintainer in {maintainers}")]
    NewPersonUnnamed {
        /// The handle.
        handle: String,
        /// MAINTAINERS, as shown.
        maintainers: String,
    },
    /// A listed person was given another name than MAINTAINERS lists (exit 1).
    #[error("{handle} is named {listed:?} in {maintainers}, not {asked:?}")]
    OtherName {
        /// The handle.
        handle: String,
        /// MAINTAINERS, as shown.
        maintainers: String,
        /// The name listed.
        listed: String,
        /// The name asked for.
        asked: String,
    },
    /// A listed person was given an email MAINTAINERS does not list for them (exit 1).
    #[error("{email} is not among {handle}'s emails in {maintainers} ({listed})")]
    OtherEmail {
        /// The handle.
        handle: String,
        /// MAINTAINERS, as shown.
        maintainers: String,
        /// The email asked for.
        email: String,
        /// The emails listed (`none` when there are none).
        listed: String,
    },
}

impl crate::fault::Classify for TeamError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            TeamError::Refused(_) | TeamError::OtherName { .. } | TeamError::OtherEmail { .. } => {
                crate::fault::Fault::Refused
            }
            TeamError::Input(_)
            | TeamError::BadNamespace(_)
            | TeamError::NewPersonUnnamed { .. } => crate::fault::Fault::Input,
        }
    }
}

impl From<confine::ConfineError> for TeamError {
    fn from(e: confine::ConfineError) -> TeamError {
        TeamError::Refused(e.to_string())
    }
}

/// What MAINTAINERS holds in a new workspace: how to fill it in, as comments.
pub const MAINTAINERS_TEMPLATE: &str = "\
# Who the maintainers are, in StageX's MAINTAINERS form. A maintainer is a person: their
# signatures count once however many keys they hold. Each key is listed by its primary key
# fingerprint (40 hex digits, no spaces), and its certificate is in keyring/.
# `quorate maintainers add` edits this file and keyring/ together; for example:
#
# [people.alice]
# name = \"Alice Example\"
# email = \"alice@example.org\"
#
# [keys.alice.personal]
# id = \"5CE71567A9683B8E4AD6F959C08CD5D16755644C\"

[people]

[keys]
";

/// quorate.toml in a new workspace.
pub const CONFIG_TEMPLATE: &str = "\
# How many distinct maintainers must sign each image. The caller's --threshold may ask for more,
# never less.
threshold = 2

# Where the release's images are published: <namespace>/<package> (without it, StageX's).
# namespace = \"docker.io/stagex\"

# Where each maintainer's rebuild lands (OCI layouts), below the workspace: what `quorate sign`
# checks an image against when no --rebuilt is given.
# rebuilt = \"out\"
# The oldest consumer the images are pulled with: quorate counts only the signatures it accepts.
# podman 4.3.1 is Debian 12's (containers/image 5.23): it refuses signatures made by a subkey,
# so those do not count. Raise it (or name containers-image, skopeo or cri-o) when every
# consumer is newer; containers/image accepts subkey signatures from 5.37 on (docs/consumers.md).
[consumers]
podman = \"4.3.1\"
";

/// The parts a workspace is made of; `init` refuses when any exists.
const PARTS: [&str; 5] = [
    "MAINTAINERS",
    "quorate.toml",
    "keyring",
    "digests",
    "signatures",
];

/// The file that keeps an empty directory in git (git records files, not directories).
/// The empty file that keeps a new workspace's empty directories in git.
pub const KEEP: &str = ".gitkeep";

/// What `init` made.
#[derive(Debug)]
pub struct Initialized {
    /// Every file written.
    pub files: Vec<PathBuf>,
    /// True when a new git repository was made at the workspace.
    pub new_repository: bool,
    /// The commit holding the new files, or why there is none.
    pub committed: Result<git2::Oid, String>,
    /// The consumer the new quorate.toml declares.
    pub consumer: Option<crate::keys::consumer::Consumer>,
}

/// Makes a workspace in `dir` (made when missing): MAINTAINERS with a commented example,
/// quorate.toml (`threshold = 2`), keyring/, digests/ and signatures/ kept in git, committed in
/// the repository whose work tree is `dir`, or a new one. Nothing existing is overwritten.
pub fn init(dir: &Path, namespace: Option<&str>) -> Result<Initialized, TeamError> {
    if let Some(ns) = namespace.filter(|ns| !crate::workspace::is_namespace(ns)) {
        return Err(TeamError::BadNamespace(ns.to_string()));
    }
    let config = match namespace {
        Some(ns) => CONFIG_TEMPLATE.replace(
            "# namespace = \"docker.io/stagex\"",
            &format!("namespace = \"{ns}\""),
        ),
        None => CONFIG_TEMPLATE.to_string(),
    };
    let present: Vec<&str> = PARTS
        .iter()
        .copied()
        .filter(|part| dir.join(part).symlink_metadata().is_ok())
        .collect();
    if !present.is_empty() {
        return Err(TeamError::Refused(format!(
            "{}: already holds {}; init changes nothing that exists",
            dir.display(),
            present.join(", ")
        )));
    }
    let root = confine::output_dir(dir)?;
    let mut files = Vec::new();
    for (name, bytes) in [
        ("MAINTAINERS", MAINTAINERS_TEMPLATE),
        ("quorate.toml", config.as_str()),
    ] {
        create_new(&root, OsStr::new(name), bytes.as_bytes())?;
        files.push(dir.join(name));
    }
    for sub in ["keyring", "digests", "signatures"] {
        let made = Dir::create(dir, &dir.join(sub))?;
        create_new(&made, OsStr::new(KEEP), b"")?;
        files.push(dir.join(sub).join(KEEP));
    }
    // quorate reads git only from a repository at or below the workspace (never one above it),
    // so a workspace that is not a repository's root gets its own.
    let (repo, new_repository) = match git2::Repository::open(dir) {
        Ok(repo) if repo.workdir().is_some() => (repo, false),
        _ => (
            git2::Repository::init(dir).map_err(|e| {
                TeamError::Refused(format!(
                    "{}: the workspace is made but git init failed: {}",
                    dir.display(),
                    e.message()
                ))
            })?,
            true,
        ),
    };
    let fallback = FallbackIdentity {
        name: "quorate init".into(),
        email: "init@quorate.invalid".into(),
    };
    let committed = git::commit_changes(
        &repo,
        &files,
        &[],
        "Set up a quorate workspace\n\nMAINTAINERS, keyring/, digests/, signatures/ and quorate.toml.\n",
        &fallback,
    )
    .map_err(|e| e.message);
    let consumer = crate::workspace::load_config(&crate::fs::source::WorkingTree, dir)
        .ok()
        .and_then(|c| c.consumer);
    Ok(Initialized {
        files,
        new_repository,
        committed,
        consumer,
    })
}

/// Creates `name` whole or not at all, never replacing anything: the bytes go to a temporary
/// file first, which is then linked into place (a link fails when the name exists).
fn create_new(dir: &Dir, name: &OsStr, bytes: &[u8]) -> Result<(), TeamError> {
    use std::io::Write;
    let path = dir.path().join(name);
    let fail = |e: std::io::Error| TeamError::Refused(format!("{}: {e}", path.display()));
    let mut temp = std::ffi::OsString::from(".");
    temp.push(name);
    temp.push(format!(
        ".quorate-{}-{}.tmp",
        std::process::id(),
        confine::unique()
    ));
    let result = (|| {
        let mut file = dir.create_new(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        dir.link(&temp, name)
    })();
    let _ = dir.remove(&temp);
    dir.sync();
    result.map_err(fail)
}

/// What `maintainers add` did.
#[derive(Debug)]
pub struct Added {
    /// The primary fingerprints newly listed.
    pub fingerprints: Vec<String>,
    /// The primary fingerprints given that the person already held: nothing done for them.
    pub already: Vec<String>,
    /// The keyring file written, when a key was added.
    pub keyring_file: Option<PathBuf>,
    /// True when the handle was new: a person was added, not only keys.
    pub new_person: bool,
}

/// A handle is a bare TOML key, as StageX writes them.
fn valid_handle(handle: &str) -> bool {
    !handle.is_empty()
        && handle
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Adds a person with their certificates: `[people.HANDLE]`, one `[keys.HANDLE.<key id>]` per
/// certificate, and `keyring/HANDLE.asc`, the rest of MAINTAINERS kept as it was. For a handle
/// already listed, adds the keys to that person (a second key: a new smartcard), their name and
/// emails kept: a `--name` or `--email` that differs from what is listed is refused rather than
/// silently overwritten, since a rename is an edit of its own.
pub fn add(
    workspace: &Workspace,
    handle: &str,
    name: Option<&str>,
    emails: &[String],
    cert_files: &[PathBuf],
) -> Result<Added, TeamError> {
    let existing = check_person(workspace, handle, name, emails)?;
    let certs = read_certs(workspace, cert_files)?;
    let (mut added, new_certs) = sort_certs(workspace, handle, certs)?;
    if new_certs.is_empty() {
        return Ok(added);
    }
    let person = existing.is_none().then(|| person_table(name, emails));
    let new_text = edit_maintainers(workspace, handle, person, &new_certs, &added.fingerprints)?;
    let armored = armor(&new_certs)?;
    let name_in_keyring = keyring_name(workspace, handle, existing.is_none(), &new_certs[0]);
    let keyring_file = write_added(workspace, &name_in_keyring, &armored, &new_text)?;
    added.keyring_file = Some(keyring_file);
    added.new_person = existing.is_none();
    Ok(added)
}

/// Checks the handle, and what `add` is told of the person: a new person needs a name and an
/// email; for one listed, a name or email that differs from theirs is refused. The person, when
/// listed.
fn check_person<'w>(
    workspace: &'w Workspace,
    handle: &str,
    name: Option<&str>,
    emails: &[String],
) -> Result<Option<&'w Maintainer>, TeamError> {
    if !valid_handle(handle) {
        return Err(TeamError::Input(format!(
            "{handle:?} is not a handle: use letters, digits, - and _"
        )));
    }
    let shown_maintainers = workspace.display_path(&workspace.maintainers_path);
    let existing = workspace.maintainers.get(handle);
    match existing {
        None if name.is_none() || emails.is_empty() => {
            return Err(TeamError::NewPersonUnnamed {
                handle: handle.to_string(),
                maintainers: shown_maintainers,
            });
        }
        None => {}
        Some(person) => {
            if let Some(name) = name.filter(|n| person.name.as_deref() != Some(*n)) {
                return Err(TeamError::OtherName {
                    handle: handle.to_string(),
                    maintainers: shown_maintainers,
                    listed: person.name.clone().unwrap_or_default(),
                    asked: name.to_string(),
                });
            }
            if let Some(email) = emails.iter().find(|e| !person.emails.contains(e)) {
                return Err(TeamError::OtherEmail {
                    handle: handle.to_string(),
                    maintainers: shown_maintainers,
                    email: email.to_string(),
                    listed: if person.emails.is_empty() {
                        "none".to_string()
                    } else {
                        person.emails.join(", ")
                    },
                });
            }
        }
    }
    Ok(existing)
}

/// The public certificates in the files, each once; a file with secret key material is refused.
fn read_certs(
    workspace: &Workspace,
    cert_files: &[PathBuf],
) -> Result<Vec<openpgp::Cert>, TeamError> {
    let mut certs: Vec<openpgp::Cert> = Vec::new();
    for file in cert_files {
        let shown = workspace.display_path(file);
        let bytes = std::fs::read(file)
            .map_err(|e| TeamError::Input(format!("{shown}: cannot read: {e}")))?;
        let parsed = crate::keys::keyring::parse_certs(&bytes)
            .map_err(|e| TeamError::Input(format!("{shown}: {e}")))?;
        for cert in parsed {
            // A secret key in a file meant for the repository is a mistake worth stopping for.
            if cert.is_tsk() {
                return Err(TeamError::Input(format!(
                    "{shown}: holds secret key material; give the public certificate (gpg --export)"
                )));
            }
            if !certs.iter().any(|c| c.fingerprint() == cert.fingerprint()) {
                certs.push(cert);
            }
        }
    }
    Ok(certs)
}

/// The certificates sorted by what MAINTAINERS says of them: what `add` comes to when nothing
/// is written (the fingerprints of the new ones, those `handle` already holds), and the new
/// certificates; one listed under someone else is refused.
fn sort_certs(
    workspace: &Workspace,
    handle: &str,
    certs: Vec<openpgp::Cert>,
) -> Result<(Added, Vec<openpgp::Cert>), TeamError> {
    let mut fingerprints = Vec::new();
    let mut already = Vec::new();
    let mut new_certs = Vec::new();
    for cert in certs {
        let fingerprint = cert.fingerprint().to_hex();
        match workspace.maintainers.by_fingerprint(&fingerprint) {
            Some(other) if other.handle == handle => already.push(fingerprint),
            Some(other) => {
                return Err(TeamError::Refused(format!(
                    "key {fingerprint} is already listed under {}",
                    other.handle
                )))
            }
            None => {
                fingerprints.push(fingerprint);
                new_certs.push(cert);
            }
        }
    }
    let added = Added {
        fingerprints,
        already,
        keyring_file: None,
        new_person: false,
    };
    Ok((added, new_certs))
}

/// A new person's `[people.HANDLE]`: their name and email (a string for one, else an array).
fn person_table(name: Option<&str>, emails: &[String]) -> toml_edit::Table {
    let mut person = toml_edit::Table::new();
    person.insert("name", toml_edit::value(name.unwrap_or_default()));
    person.insert(
        "email",
        match emails {
            [one] => toml_edit::value(one.as_str()),
            many => toml_edit::value(
                many.iter()
                    .map(String::as_str)
                    .collect::<toml_edit::Array>(),
            ),
        },
    );
    person
}

/// MAINTAINERS with `person` (for a new one) and a `[keys.HANDLE.<key id>]` per certificate
/// added, the rest kept as it was; checked to load and to list every key added under `handle`.
fn edit_maintainers(
    workspace: &Workspace,
    handle: &str,
    person: Option<toml_edit::Table>,
    new_certs: &[openpgp::Cert],
    fingerprints: &[String],
) -> Result<String, TeamError> {
    let shown_maintainers = workspace.display_path(&workspace.maintainers_path);
    let mut doc = maintainers_document(workspace)?;
    if let Some(person) = person {
        section(&mut doc, "people")?.insert(handle, toml_edit::Item::Table(person));
    }
    let keys = keys_of(&mut doc, handle, &shown_maintainers)?;
    for (cert, fingerprint) in new_certs.iter().zip(fingerprints) {
        let mut key = toml_edit::Table::new();
        key.insert("id", toml_edit::value(fingerprint.as_str()));
        // The key id names the entry; a label the person already uses gets a suffix.
        let base = cert.keyid().to_hex();
        let label = (1..)
            .map(|n| {
                if n == 1 {
                    base.clone()
                } else {
                    format!("{base}-{n}")
                }
            })
            .find(|l| !keys.contains_key(l))
            .expect("some suffix is free");
        keys.insert(&label, toml_edit::Item::Table(key));
    }
    let new_text = doc.to_string();
    // What is written must load, and list what was added under this person: never leave a
    // MAINTAINERS quorate itself cannot read, nor say "added" of a key the edit did not list.
    let edited = Maintainers::parse(&workspace.maintainers_path, new_text.as_bytes())
        .map_err(|e| TeamError::Refused(format!("the edit would not load: {e}")))?;
    if let Some(missing) = fingerprints
        .iter()
        .find(|f| edited.by_fingerprint(f).map(|m| m.handle.as_str()) != Some(handle))
    {
        return Err(TeamError::Refused(format!(
            "{shown_maintainers}: the edit would not list key {missing} under {handle}; nothing changed (add [keys.{handle}.<label>] by hand)"
        )));
    }
    Ok(new_text)
}

/// The certificates, ASCII-armored as one keyring file.
fn armor(certs: &[openpgp::Cert]) -> Result<Vec<u8>, TeamError> {
    let mut armored = Vec::new();
    let mut writer = openpgp::armor::Writer::new(&mut armored, openpgp::armor::Kind::PublicKey)
        .map_err(|e| TeamError::Refused(e.to_string()))?;
    for cert in certs {
        cert.serialize(&mut writer)
            .map_err(|e| TeamError::Refused(crate::text::error_chain(&e)))?;
    }
    writer
        .finalize()
        .map_err(|e| TeamError::Refused(e.to_string()))?;
    Ok(armored)
}

/// A new person's certificates go in HANDLE.asc; another key of someone listed goes in a file
/// of its own beside theirs (named by `first`'s key id), so the files already reviewed stay as
/// they were.
fn keyring_name(
    workspace: &Workspace,
    handle: &str,
    new_person: bool,
    first: &openpgp::Cert,
) -> String {
    if new_person
        || workspace
            .keyring_dir
            .join(format!("{handle}.asc"))
            .symlink_metadata()
            .is_err()
    {
        format!("{handle}.asc")
    } else {
        format!("{handle}-{}.asc", first.keyid().to_hex())
    }
}

/// Writes the keyring file `name_in_keyring`, then MAINTAINERS, both checked before the first
/// write; the keyring file is taken back out when MAINTAINERS cannot be written. The keyring
/// file's path.
fn write_added(
    workspace: &Workspace,
    name_in_keyring: &str,
    armored: &[u8],
    new_text: &str,
) -> Result<PathBuf, TeamError> {
    write_added_in(
        workspace,
        &workspace.keyring_dir,
        name_in_keyring,
        armored,
        new_text,
    )
}

/// `write_added` into `dir` (keyring/ or a folder below it, made when missing).
fn write_added_in(
    workspace: &Workspace,
    dir: &Path,
    name_in_keyring: &str,
    armored: &[u8],
    new_text: &str,
) -> Result<PathBuf, TeamError> {
    let keyring_file = dir.join(name_in_keyring);
    let (keyring_root, maintainers_target) = targets(workspace);
    // Checked before the first write: a link or a file in the way changes nothing.
    confine::check(&keyring_root, &keyring_file)?;
    if keyring_file.symlink_metadata().is_ok() {
        return Err(TeamError::Refused(format!(
            "{} exists; remove it or import into it with quorate keyring import",
            workspace.display_path(&keyring_file)
        )));
    }
    let keyring_dir = Dir::create(&keyring_root, dir)?;
    maintainers_target.check()?;
    create_new(&keyring_dir, OsStr::new(name_in_keyring), armored)?;
    if let Err(e) = maintainers_target.write(new_text.as_bytes()) {
        // MAINTAINERS unchanged: take the certificate back out so the two stay together.
        let _ = keyring_dir.remove(OsStr::new(name_in_keyring));
        return Err(e);
    }
    Ok(keyring_file)
}

/// What `maintainers remove` did.
#[derive(Debug)]
pub struct Removed {
    /// Keyring files deleted (they held only this person's certificates).
    pub deleted: Vec<PathBuf>,
    /// Keyring files that also hold others' certificates, left as they are.
    pub shared: Vec<PathBuf>,
    /// Keyring files holding only this person's certificates, kept because the chain of trust
    /// roots names them: their approvals and their past signatures are verified with them.
    pub kept: Vec<PathBuf>,
}

/// Those of `keys` a version of the chain of trust roots names (whether or not it is in force:
/// naming is what makes the certificate needed, to verify their approvals and to show their
/// signatures as a former maintainer's).
/// A chain that cannot be read refuses: naming nobody would delete certificates it may name.
fn named_by_chain<'k>(workspace: &Workspace, keys: &[&'k str]) -> Result<Vec<&'k str>, TeamError> {
    let verifier = crate::keys::verify::Verifier::new(
        &workspace.keyring,
        &workspace.maintainers,
        std::time::SystemTime::now(),
    );
    let chain = crate::judge::trust::load_chain(workspace, &verifier, &[]).map_err(|e| {
        TeamError::Refused(format!(
            "{e}: the chain of trust roots cannot be read, so whether it names this person's keys cannot be told; nothing was removed"
        ))
    })?;
    let Some(chain) = chain else {
        return Ok(Vec::new());
    };
    Ok(keys
        .iter()
        .copied()
        .filter(|k| chain.versions.iter().any(|v| v.root.holder(k).is_some()))
        .collect())
}

/// Removes a person: `[people.HANDLE]`, `[keys.HANDLE.*]`, `[machines.HANDLE.*]`, and the keyring
/// files holding only their certificates, unless the chain of trust roots names them (then the
/// files stay: a former maintainer's certificate is needed as long as the chain names them).
pub fn remove(workspace: &Workspace, handle: &str) -> Result<Removed, TeamError> {
    let Some(person) = workspace.maintainers.get(handle) else {
        return Err(TeamError::Refused(format!(
            "{handle} is not a maintainer in {}",
            workspace.display_path(&workspace.maintainers_path)
        )));
    };
    let theirs: Vec<&str> = person.keys.iter().map(|k| k.fingerprint.as_str()).collect();
    let mut doc = maintainers_document(workspace)?;
    for table in ["people", "keys", "machines"] {
        if let Some(t) = doc.get_mut(table).and_then(|t| t.as_table_like_mut()) {
            t.remove(handle);
        }
    }
    let new_text = doc.to_string();
    Maintainers::parse(&workspace.maintainers_path, new_text.as_bytes())
        .map_err(|e| TeamError::Refused(format!("the edit would not load: {e}")))?;

    let (keyring_root, maintainers_target) = targets(workspace);
    let named = named_by_chain(workspace, &theirs)?;
    let mut deleted = Vec::new();
    let mut shared = Vec::new();
    let mut kept = Vec::new();
    let keyring_dir = Dir::open(&keyring_root, &workspace.keyring_dir)?;
    if let Some(dir) = &keyring_dir {
        let entries = dir.entries().map_err(|e| {
            TeamError::Refused(format!("{}: {e}", workspace.display_path(dir.path())))
        })?;
        for (name, kind) in entries {
            let path = workspace.keyring_dir.join(&name);
            if kind != crate::fs::path::Kind::File || !crate::keys::keyring::is_keyring_file(&path)
            {
                continue;
            }
            let Ok(bytes) = dir.read(&name, 64 * 1024 * 1024) else {
                continue;
            };
            let Ok(certs) = crate::keys::keyring::parse_certs(&bytes) else {
                continue;
            };
            let mine = certs
                .iter()
                .filter(|c| theirs.contains(&c.fingerprint().to_hex().as_str()))
                .count();
            let needed = certs
                .iter()
                .any(|c| named.contains(&c.fingerprint().to_hex().as_str()));
            if mine == certs.len() && needed {
                kept.push(path);
            } else if mine == certs.len() {
                deleted.push((name, path));
            } else if mine > 0 {
                shared.push(path);
            }
        }
    }
    maintainers_target.check()?;
    maintainers_target.write(new_text.as_bytes())?;
    if let Some(dir) = &keyring_dir {
        for (name, path) in &deleted {
            dir.remove(name).map_err(|e| {
                TeamError::Refused(format!("{}: {e}", workspace.display_path(path)))
            })?;
        }
    }
    Ok(Removed {
        deleted: deleted.into_iter().map(|(_, p)| p).collect(),
        shared,
        kept,
    })
}

/// `[keys.<handle>]` of a MAINTAINERS document, made (implicit) when missing.
fn keys_of<'d>(
    doc: &'d mut toml_edit::DocumentMut,
    handle: &str,
    shown_maintainers: &str,
) -> Result<&'d mut dyn toml_edit::TableLike, TeamError> {
    section(doc, "keys")?
        .entry(handle)
        .or_insert_with(|| {
            let mut keys = toml_edit::Table::new();
            keys.set_implicit(true);
            toml_edit::Item::Table(keys)
        })
        .as_table_like_mut()
        .ok_or_else(|| {
            TeamError::Input(format!(
                "`keys.{handle}` in {shown_maintainers} is not a table"
            ))
        })
}

/// The table `name` of the document, made when absent.
fn section<'a>(
    doc: &'a mut toml_edit::DocumentMut,
    name: &str,
) -> Result<&'a mut dyn toml_edit::TableLike, TeamError> {
    let item = doc.entry(name).or_insert_with(|| {
        let mut table = toml_edit::Table::new();
        table.set_implicit(true);
        toml_edit::Item::Table(table)
    });
    item.as_table_like_mut()
        .ok_or_else(|| TeamError::Input(format!("`{name}` in MAINTAINERS is not a table")))
}

/// MAINTAINERS as an editable document, comments and layout kept.
fn maintainers_document(workspace: &Workspace) -> Result<toml_edit::DocumentMut, TeamError> {
    let text = read_text(workspace, &workspace.maintainers_path)?;
    text.parse().map_err(|e: toml_edit::TomlError| {
        let shown = PathBuf::from(workspace.display_path(&workspace.maintainers_path));
        TeamError::Input(crate::format::maintainers::toml_syntax(&shown, &text, &e).to_string())
    })
}

fn read_text(workspace: &Workspace, path: &Path) -> Result<String, TeamError> {
    let shown = workspace.display_path(path);
    let bytes =
        std::fs::read(path).map_err(|e| TeamError::Input(format!("{shown}: cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|_| TeamError::Input(format!("{shown}: not UTF-8 text")))
}

/// Where MAINTAINERS is written: the workspace's own (below the workspace, never through a
/// link), or the file `--maintainers` names (the caller's choice).
enum MaintainersTarget<'a> {
    Workspace(&'a Path),
    Chosen(&'a Path),
}

impl MaintainersTarget<'_> {
    fn check(&self) -> Result<(), TeamError> {
        match self {
            MaintainersTarget::Workspace(root) => {
                Ok(confine::check(root, &root.join("MAINTAINERS"))?)
            }
            MaintainersTarget::Chosen(_) => Ok(()),
        }
    }

    fn write(&self, bytes: &[u8]) -> Result<(), TeamError> {
        match self {
            MaintainersTarget::Workspace(root) => {
                let dir = Dir::open(root, root)?.ok_or_else(|| {
                    TeamError::Refused(format!("{}: no such directory", root.display()))
                })?;
                Ok(dir.write_atomic(OsStr::new("MAINTAINERS"), bytes)?)
            }
            MaintainersTarget::Chosen(path) => Ok(confine::write_output(path, bytes)?),
        }
    }
}

/// The directory keyring writes start from, and where MAINTAINERS goes.
fn targets(workspace: &Workspace) -> (PathBuf, MaintainersTarget<'_>) {
    let default_keyring = workspace.root.join("keyring");
    let keyring_root = if workspace.keyring_dir == default_keyring {
        workspace.root.clone()
    } else {
        workspace.keyring_dir.clone()
    };
    let target = if workspace.maintainers_path == workspace.root.join("MAINTAINERS") {
        MaintainersTarget::Workspace(&workspace.root)
    } else {
        MaintainersTarget::Chosen(&workspace.maintainers_path)
    };
    (keyring_root, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_person_has_one_email_as_a_string_and_several_as_an_array() {
        let one = person_table(Some("Alice"), &["a@x".to_string()]);
        assert_eq!(one.to_string(), "name = \"Alice\"\nemail = \"a@x\"\n");
        let two = person_table(Some("Alice"), &["a@x".to_string(), "b@x".to_string()]);
        assert_eq!(
            two.to_string(),
            "name = \"Alice\"\nemail = [\"a@x\", \"b@x\"]\n"
        );
    }
}

/// A Sigstore key or identity `maintainers add` lists.
#[derive(Debug, Clone)]
pub enum SigstoreToAdd {
    /// A cosign public key file (PEM): copied to keyring/cosign/, pinned by its id.
    CosignKey(PathBuf),
    /// A keyless identity: the OIDC issuer and the certificate's subject (email or URI).
    Keyless {
        /// The OIDC issuer, exactly.
        issuer: String,
        /// The subject, exactly.
        subject: String,
    },
}

/// What `maintainers add --cosign-key/--keyless` did.
#[derive(Debug)]
pub struct SigstoreAdded {
    /// The id listed: `sha256:<hex>` of a cosign key, or `issuer subject`.
    pub id: String,
    /// The `[keys.HANDLE.<label>]` written, None when the person already held it.
    pub label: Option<String>,
    /// The public key copied into keyring/, for a cosign key.
    pub keyring_file: Option<PathBuf>,
    /// True when the handle was new.
    pub new_person: bool,
}

/// Adds a cosign key (`[keys.HANDLE.cosign]`, `cosign = "cosign/HANDLE-cosign.pub"`, `id`
/// computed from the key) or a keyless identity (`oidc-issuer`, `subject`) to a person, new or
/// listed, MAINTAINERS' layout kept (toml_edit); one listed under someone else is refused.
pub fn add_sigstore(
    workspace: &Workspace,
    handle: &str,
    name: Option<&str>,
    emails: &[String],
    what: &SigstoreToAdd,
) -> Result<SigstoreAdded, TeamError> {
    use crate::format::maintainers::SigstoreIdentity;
    let existing = check_person(workspace, handle, name, emails)?;
    let (identity, pem, base) = match what {
        SigstoreToAdd::CosignKey(file) => {
            let shown = workspace.display_path(file);
            let bytes = std::fs::read(file)
                .map_err(|e| TeamError::Input(format!("{shown}: cannot read: {e}")))?;
            let key = crate::keys::sigstore::ecdsa::CosignPublicKey::from_pem(&bytes)
                .map_err(|e| TeamError::Input(format!("{shown}: not a cosign public key: {e}")))?;
            let identity = SigstoreIdentity::CosignKey {
                id: key.id(),
                file: String::new(),
            };
            (identity, Some(key.to_pem()), "cosign")
        }
        SigstoreToAdd::Keyless { issuer, subject } => (
            SigstoreIdentity::Keyless {
                issuer: issuer.clone(),
                subject: subject.clone(),
            },
            None,
            "keyless",
        ),
    };
    let id = identity.root_id();
    let mut added = SigstoreAdded {
        id: id.clone(),
        label: None,
        keyring_file: None,
        new_person: existing.is_none(),
    };
    match workspace.maintainers.by_sigstore(&identity) {
        Some(other) if other.handle == handle => return Ok(added),
        Some(other) => {
            return Err(TeamError::Refused(format!(
                "{id} is already listed under {}",
                other.handle
            )))
        }
        None => {}
    }
    let shown_maintainers = workspace.display_path(&workspace.maintainers_path);
    let mut doc = maintainers_document(workspace)?;
    if existing.is_none() {
        section(&mut doc, "people")?
            .insert(handle, toml_edit::Item::Table(person_table(name, emails)));
    }
    let keys = keys_of(&mut doc, handle, &shown_maintainers)?;
    let keyring_names: Vec<String> = (1..)
        .map(|n| {
            if n == 1 {
                base.to_string()
            } else {
                format!("{base}-{n}")
            }
        })
        .take(1000)
        .collect();
    let label = keyring_names
        .into_iter()
        .find(|l| {
            !keys.contains_key(l)
                && workspace
                    .keyring_dir
                    .join(format!("cosign/{handle}-{l}.pub"))
                    .symlink_metadata()
                    .is_err()
        })
        .ok_or_else(|| TeamError::Refused(format!("no free label under keys.{handle}")))?;
    let mut table = toml_edit::Table::new();
    match &identity {
        SigstoreIdentity::CosignKey { id, .. } => {
            table.insert(
                "cosign",
                toml_edit::value(format!("cosign/{handle}-{label}.pub")),
            );
            table.insert("id", toml_edit::value(id.as_str()));
        }
        SigstoreIdentity::Keyless { issuer, subject } => {
            table.insert("oidc-issuer", toml_edit::value(issuer.as_str()));
            table.insert("subject", toml_edit::value(subject.as_str()));
        }
    }
    keys.insert(&label, toml_edit::Item::Table(table));
    let new_text = doc.to_string();
    let edited = Maintainers::parse(&workspace.maintainers_path, new_text.as_bytes())
        .map_err(|e| TeamError::Refused(format!("the edit would not load: {e}")))?;
    if edited.by_sigstore(&identity).map(|m| m.handle.as_str()) != Some(handle) {
        return Err(TeamError::Refused(format!(
            "{shown_maintainers}: the edit would not list {id} under {handle}; nothing changed"
        )));
    }
    match pem {
        Some(pem) => {
            let dir = workspace.keyring_dir.join("cosign");
            let file = write_added_in(
                workspace,
                &dir,
                &format!("{handle}-{label}.pub"),
                pem.as_bytes(),
                &new_text,
            )?;
            added.keyring_file = Some(file);
        }
        None => {
            let (_, target) = targets(workspace);
            target.check()?;
            target.write(new_text.as_bytes())?;
        }
    }
    added.label = Some(label);
    Ok(added)
}
