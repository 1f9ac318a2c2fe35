//! The workspace: MAINTAINERS, keyring/, signatures/, digests/ and an optional quorate.toml in
//! one directory, as in StageX. The trust root (MAINTAINERS and keyring/) can be taken from
//! elsewhere so CI pins it outside the repository it gates.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::format::maintainers::{Maintainers, MaintainersError};
use crate::fs::path::{is_url, shown_path, Kind};
use crate::fs::source::{Revision, Source, WorkingTree};
use crate::keys::keyring::{Keyring, KeyringError};
use crate::workspace::Threshold;

/// Where the workspace's parts are; `None` means the default place inside `dir`.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceOptions {
    /// The workspace directory.
    pub dir: PathBuf,
    /// `--keyring DIR`.
    pub keyring: Option<PathBuf>,
    /// `--maintainers FILE`.
    pub maintainers: Option<PathBuf>,
    /// `--trust-anchor sha256:HEX` (or QUORATE_TRUST_ANCHOR): the trust root version the caller
    /// already trusts, pinned outside the repository.
    pub trust_anchor: Option<String>,
    /// `--as-found` (with `--at REV`): a revision on a line rewritten since this clone recorded
    /// the trust root it saw is judged from its own chain, as found, not refused.
    pub rewritten_as_found: bool,
    /// `--require-anchor` (or QUORATE_REQUIRE_ANCHOR=1): judging refuses a chain that would be
    /// trusted as found, with nothing pinned or remembered.
    pub require_anchor: bool,
}

/// A workspace that cannot be loaded. Always an input error (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// The workspace directory is missing or not a directory.
    #[error("{}: not a workspace directory ({reason})", path.display())]
    NotADirectory {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Neither MAINTAINERS nor quorate.toml is in the directory (the current one and none above
    /// it, when no --workspace was given).
    #[error("{}", if path.as_os_str() == "." { "no workspace here or above (MAINTAINERS or quorate.toml); use --workspace".to_string() } else { format!("{}: not a workspace (no MAINTAINERS or quorate.toml there)", path.display()) })]
    NoWorkspace {
        /// The directory.
        path: PathBuf,
    },
    /// MAINTAINERS is missing or malformed.
    #[error(transparent)]
    Maintainers(#[from] MaintainersError),
    /// The keyring is missing or holds an unparsable certificate.
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    /// keyring/sigstore/ holds a trusted root or cosign key that cannot be used.
    #[error(transparent)]
    Sigstore(#[from] crate::keys::sigstore::material::MaterialError),
    /// `--at REV` names no commit, or the tree is not in a repository.
    #[error("{rev}: {message}")]
    Revision {
        /// The revision asked for.
        rev: String,
        /// What is wrong.
        message: String,
    },
    /// A part of the workspace quorate reads (MAINTAINERS, keyring/, quorate.toml, signatures/,
    /// digests/) is a symbolic link: never followed, in the working tree or in a revision.
    #[error("{}: is a symlink in {place}; quorate never follows links in the workspace", path.display())]
    Symlink {
        /// The link.
        path: PathBuf,
        /// `the working tree`, or the revision.
        place: String,
    },
    /// quorate.toml asks for more distinct maintainers than MAINTAINERS lists people with a key.
    #[error("{}{}: threshold {threshold} can never pass: {} lists {} with a key", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), maintainers.display(), crate::plural(*signers, "maintainer"))]
    Unreachable {
        /// quorate.toml.
        path: PathBuf,
        /// The line of `threshold`.
        line: Option<usize>,
        /// The threshold it asks for.
        threshold: u32,
        /// MAINTAINERS.
        maintainers: PathBuf,
        /// How many people hold a key.
        signers: usize,
    },
    /// quorate.toml is malformed.
    #[error("{}{}{}: {message}{excerpt}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), column.map(|c| format!(":{c}")).unwrap_or_default())]
    Config {
        /// The file.
        path: PathBuf,
        /// The line, when the problem has one.
        line: Option<usize>,
        /// The column, for a TOML error.
        column: Option<usize>,
        /// What is wrong.
        message: String,
        /// For a TOML error, the offending line and a caret under the column; else empty.
        excerpt: String,
    },
}

crate::fault::always!(Input: WorkspaceError);

/// quorate.toml: the repository's own policy, checked.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The least number of distinct maintainers; the caller may ask for more, never less.
    pub threshold: Option<Threshold>,
    /// Where a release's images live: `<namespace>/<package>`. Default `docker.io/stagex`.
    pub namespace: Option<String>,
    /// The line of `threshold`, for errors.
    pub threshold_line: Option<usize>,
    /// `[consumers]`: the oldest consumer the images are pulled with, whose acceptance decides
    /// what counts; None when nothing is declared.
    pub consumer: Option<crate::keys::consumer::Consumer>,
    /// `rebuilt`: where each maintainer's rebuild lands (an OUT_DIR, or digests), relative to
    /// the workspace; `sign` checks against it when no `--rebuilt` is given.
    pub rebuilt: Option<PathBuf>,
    /// `[sigstore] require-log-entry`: cosign-key votes count only with a verified Rekor entry.
    pub require_log_entry: bool,
}

/// quorate.toml as written, before it is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    threshold: Option<u32>,
    namespace: Option<String>,
    rebuilt: Option<String>,
    consumers: Option<ConsumersTable>,
    sigstore: Option<SigstoreTable>,
}

/// `[sigstore]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SigstoreTable {
    #[serde(rename = "require-log-entry")]
    require_log_entry: Option<bool>,
}

/// `[consumers]` as written: each a version string.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsumersTable {
    #[serde(rename = "containers-image")]
    containers_image: Option<String>,
    podman: Option<String>,
    skopeo: Option<String>,
    #[serde(rename = "cri-o")]
    cri_o: Option<String>,
}

/// The namespace when quorate.toml names none, as StageX publishes.
pub const DEFAULT_NAMESPACE: &str = "docker.io/stagex";

/// True when `text` can be a namespace: a repository name with no tag or digest, such as
/// `docker.io/stagex` or `ghcr.io/example`.
pub fn is_namespace(text: &str) -> bool {
    crate::format::reference::Reference::parse(text).is_ok_and(|r| r.is_name_only())
}

/// A loaded workspace.
pub struct Workspace {
    /// Where its files are read from: the working tree, or a git revision.
    pub source: Box<dyn Source>,
    /// The workspace directory.
    pub root: PathBuf,
    /// The signatures tree's root.
    pub signatures_dir: PathBuf,
    /// The release digests directory.
    pub digests_dir: PathBuf,
    /// The MAINTAINERS file read.
    pub maintainers_path: PathBuf,
    /// The keyring directory read.
    pub keyring_dir: PathBuf,
    /// Who the maintainers are.
    pub maintainers: Maintainers,
    /// Their certificates (and any others the keyring holds).
    pub keyring: Keyring,
    /// quorate.toml, or the defaults.
    pub config: Config,
    /// Where signatures are read from instead of signatures/ (`--lookaside URL`): what is
    /// published, read as podman reads it.
    pub lookaside: Option<crate::workspace::lookaside::Lookaside>,
    /// Odd but harmless things found while loading, `FILE:LINE: message` each.
    pub warnings: Vec<String>,
    /// The workspace directory with the links above and at it resolved (the caller chose it);
    /// nothing below it is ever resolved.
    real_root: PathBuf,
}

/// The parts of a workspace that are never links.
const PARTS: [&str; 5] = [
    "MAINTAINERS",
    "keyring",
    "quorate.toml",
    "signatures",
    "digests",
];

impl Workspace {
    /// Loads MAINTAINERS, the keyring and quorate.toml from the working tree.
    pub fn load(options: &WorkspaceOptions) -> Result<Workspace, WorkspaceError> {
        let workspace = Workspace::load_for_editing(options)?;
        workspace.check_threshold_unless_chained()?;
        Ok(workspace)
    }

    /// Loads the workspace to change who the maintainers are: a threshold the team cannot reach
    /// yet (a new workspace has nobody) is what `maintainers add` is for, not an error.
    pub fn load_for_editing(options: &WorkspaceOptions) -> Result<Workspace, WorkspaceError> {
        // A directory holding neither file is no workspace at all: saying so beats "MAINTAINERS:
        // cannot read" (a MAINTAINERS given with --maintainers makes any directory one).
        let holds = |part: &str| options.dir.join(part).symlink_metadata().is_ok();
        if options.maintainers.is_none()
            && options.dir.is_dir()
            && !holds("MAINTAINERS")
            && !holds("quorate.toml")
        {
            return Err(WorkspaceError::NoWorkspace {
                path: options.dir.clone(),
            });
        }
        Workspace::load_from(options, Box::new(WorkingTree))
    }

    /// `check_threshold`, unless the signatures tree holds a chain of trust roots: then the working
    /// quorate.toml is a draft and the root in force decides (a team's pending removal that leaves
    /// the draft's threshold out of reach blocks nothing); the judging commands check it
    /// themselves when no version is in force.
    fn check_threshold_unless_chained(&self) -> Result<(), WorkspaceError> {
        let chain = self.signatures_dir.join(crate::workspace::tree::TRUST_DIR);
        match self.source.kind(&chain) {
            Ok(Some(Kind::Dir)) => Ok(()),
            _ => self.check_threshold(),
        }
    }

    /// quorate.toml's threshold must be reachable: more than the people holding a key can never
    /// pass, so it is an error when the workspace loads rather than a gate that always fails.
    pub fn check_threshold(&self) -> Result<(), WorkspaceError> {
        let signers = self.maintainers.signers();
        match self.config.threshold.map(Threshold::get) {
            Some(threshold) if threshold as usize > signers => Err(WorkspaceError::Unreachable {
                path: PathBuf::from("quorate.toml"),
                line: self.config.threshold_line,
                threshold,
                maintainers: PathBuf::from(self.display_path(&self.maintainers_path)),
                signers,
            }),
            _ => Ok(()),
        }
    }

    /// Loads the workspace as git revision `rev` of the repository holding signatures/ has it:
    /// the tree, MAINTAINERS, keyring/ and quorate.toml where they are in that repository (a
    /// trust root given with --keyring or --maintainers outside it is read from the filesystem).
    pub fn load_at(options: &WorkspaceOptions, rev: &str) -> Result<Workspace, WorkspaceError> {
        let signatures = options.dir.join("signatures");
        let repo = crate::fs::git::discover(&signatures, &options.dir).ok_or_else(|| {
            WorkspaceError::Revision {
                rev: rev.to_string(),
                message: format!("{} is not in a git repository", signatures.display()),
            }
        })?;
        let revision =
            Revision::open(repo, rev, &options.dir).map_err(|e| WorkspaceError::Revision {
                rev: rev.to_string(),
                message: crate::text::one_line(e.message()),
            })?;
        let workspace = Workspace::load_from(options, Box::new(revision))?;
        workspace.check_threshold_unless_chained()?;
        Ok(workspace)
    }

    fn load_from(
        options: &WorkspaceOptions,
        source: Box<dyn Source>,
    ) -> Result<Workspace, WorkspaceError> {
        let root = options.dir.clone();
        match std::fs::metadata(&root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(WorkspaceError::NotADirectory {
                    path: root,
                    reason: "not a directory".into(),
                })
            }
            Err(e) => {
                return Err(WorkspaceError::NotADirectory {
                    path: root,
                    reason: e.to_string(),
                })
            }
        }
        let real_root = root
            .canonicalize()
            .map_err(|e| WorkspaceError::NotADirectory {
                path: root.clone(),
                reason: e.to_string(),
            })?;
        // Refused before anything is read: a link would let the checkout decide what is read.
        for part in PARTS {
            let path = root.join(part);
            let chosen = match part {
                "MAINTAINERS" => options.maintainers.is_some(),
                "keyring" => options.keyring.is_some(),
                _ => false,
            };
            if !chosen && source.kind(&path).ok().flatten() == Some(Kind::Symlink) {
                return Err(WorkspaceError::Symlink {
                    path: PathBuf::from(part),
                    place: source.describe(),
                });
            }
        }
        // A trust root the caller names is the file the caller chose, read as it is on disk (with
        // --at too); the workspace's own is read from the source.
        let trust_root = |chosen: bool| -> &dyn Source {
            if chosen {
                &WorkingTree
            } else {
                source.as_ref()
            }
        };
        let maintainers_path = options
            .maintainers
            .clone()
            .unwrap_or_else(|| root.join("MAINTAINERS"));
        let keyring_dir = options
            .keyring
            .clone()
            .unwrap_or_else(|| root.join("keyring"));
        // Shown relative to the workspace, wherever quorate was run from.
        let shown = |path: &Path| PathBuf::from(shown_path(&root, path));
        let mut maintainers =
            Maintainers::load(trust_root(options.maintainers.is_some()), &maintainers_path)
                .map_err(|mut e| {
                    e.path = shown(&e.path);
                    e
                })?;
        let full = maintainers_path.display().to_string();
        let short = shown(&maintainers_path).display().to_string();
        for warning in &mut maintainers.warnings {
            *warning = warning.replacen(&full, &short, 1);
        }
        let mut keyring = Keyring::load_dir(trust_root(options.keyring.is_some()), &keyring_dir)
            .map_err(|mut e| {
                e.path = shown(&e.path);
                e
            })?;
        keyring.show_paths_from(&root);
        keyring.sigstore = crate::keys::sigstore::material::SigstoreMaterial::load(
            trust_root(options.keyring.is_some()),
            &keyring_dir,
            &maintainers,
        )
        .map_err(|mut e| {
            e.path = shown(&e.path);
            e
        })?;
        let config = load_config(source.as_ref(), &root)?;
        keyring.sigstore.require_log_entry = config.require_log_entry;
        check_subkeys(&maintainers, &keyring, &shown(&maintainers_path))?;
        let warnings = maintainers.warnings.clone();
        Ok(Workspace {
            warnings,
            real_root,
            source,
            signatures_dir: root.join("signatures"),
            digests_dir: root.join("digests"),
            root,
            maintainers_path,
            keyring_dir,
            maintainers,
            keyring,
            config,
            lookaside: None,
        })
    }

    /// The digest of keyring/sigstore/trusted_root.json, which the trust root pins.
    pub fn sigstore_root_digest(&self) -> Option<String> {
        self.keyring.sigstore.trusted_root_digest()
    }

    /// The threshold in force: the larger of the caller's and quorate.toml's.
    pub fn threshold(&self, asked: Threshold) -> u32 {
        self.config.threshold.map_or(asked, |t| t.max(asked)).get()
    }

    /// The consumer quorate.toml declares, whose acceptance decides what counts.
    pub fn consumer(&self) -> Option<crate::keys::consumer::Consumer> {
        self.config.consumer.clone()
    }

    /// The namespace a release's packages are published under.
    pub fn namespace(&self) -> &str {
        self.config
            .namespace
            .as_deref()
            .unwrap_or(DEFAULT_NAMESPACE)
    }

    /// The reference gated for a release package: its repository and digest, any tag (podman's
    /// rule for an image pulled by digest).
    pub fn package_reference(
        &self,
        package: &crate::format::digests::Package,
    ) -> Result<crate::format::reference::Reference, crate::format::reference::ReferenceError> {
        let name = format!("{}/{}", self.namespace(), package.name);
        crate::format::reference::Reference::with_parts(&name, None, Some(package.digest.clone()))
    }

    /// Where `path`, a workspace path, lies in the repository whose work tree is `workdir`
    /// (canonical): computed from the names below the workspace, never by resolving a link the
    /// workspace holds. None when it is not in that work tree.
    pub fn repo_path(&self, workdir: &Path, path: &Path) -> Option<PathBuf> {
        crate::fs::source::repo_path(&self.root, &self.real_root, workdir, path)
    }

    /// The workspace path of `inside`, a path in the repository whose work tree is `workdir`
    /// (canonical): the inverse of `repo_path`.
    pub fn from_repo(&self, workdir: &Path, inside: &Path) -> PathBuf {
        match workdir.strip_prefix(&self.real_root) {
            Ok(below) => self.root.join(below).join(inside),
            Err(_) => workdir.join(inside),
        }
    }

    /// True when `dir` holds a release: a digests directory with at least one `*.txt` file. A
    /// missing directory, or one holding no digests file (`quorate init` leaves a `.gitkeep`),
    /// is a workspace with no release yet; one that cannot be read is an error naming it.
    pub fn holds_release(&self, dir: &Path) -> Result<bool, crate::format::digests::DigestsError> {
        crate::format::digests::holds_digests(self.source.as_ref(), dir).map_err(|mut e| {
            e.path = PathBuf::from(self.display_path(&e.path));
            e
        })
    }

    /// The release's digests in `dir` (default `digests/`), read from this workspace's source;
    /// an error names the file as every path is shown, from the workspace.
    pub fn read_release(
        &self,
        dir: &Path,
    ) -> Result<crate::format::digests::Release, crate::format::digests::DigestsError> {
        crate::format::digests::read_release(self.source.as_ref(), dir).map_err(|mut e| {
            e.path = PathBuf::from(self.display_path(&e.path));
            e
        })
    }

    /// `keyring import`: merges updated copies of the maintainers' certificates into the
    /// keyring, written below `keyring_root` (the workspace, or the `--keyring` directory the
    /// caller chose); an error names its file from the workspace.
    pub fn import_certificates(
        &self,
        keyring_root: &Path,
        files: &[PathBuf],
    ) -> Result<Vec<crate::keys::transfer::Imported>, crate::keys::transfer::ImportError> {
        use crate::keys::transfer::{import, ImportError};
        let show = |path: PathBuf| PathBuf::from(self.display_path(&path));
        import(
            keyring_root,
            &self.keyring_dir,
            &self.keyring,
            &self.maintainers,
            files,
        )
        .map_err(|e| match e {
            ImportError::NotAMaintainer { file, fingerprint } => ImportError::NotAMaintainer {
                file: show(file),
                fingerprint,
            },
            ImportError::SharedKey { file, message } => ImportError::SharedKey {
                file: show(file),
                message,
            },
            ImportError::Input(mut e) => {
                e.path = show(e.path);
                ImportError::Input(e)
            }
            ImportError::Write { path, message } => ImportError::Write {
                path: show(path),
                message,
            },
        })
    }

    /// A path shown to people: relative to the workspace when inside it, as given otherwise.
    pub fn display_path(&self, path: &Path) -> String {
        if is_url(path) || crate::fs::path::relative_to(&self.root, path).is_some() {
            return shown_path(&self.root, path);
        }
        // A path the user gave relative to a directory below the workspace (quorate run in a
        // subdirectory, the workspace found upward): made absolute by its names, for display
        // only, and compared with the workspace's real root.
        let inside = std::env::current_dir().ok().and_then(|cwd| {
            let mut absolute = PathBuf::new();
            for component in cwd.join(path).components() {
                match component {
                    std::path::Component::CurDir => {}
                    std::path::Component::ParentDir => {
                        absolute.pop();
                    }
                    other => absolute.push(other),
                }
            }
            absolute
                .strip_prefix(&self.real_root)
                .ok()
                .map(Path::to_path_buf)
        });
        match inside {
            Some(inside) if !inside.as_os_str().is_empty() => inside.to_string_lossy().into_owned(),
            _ => path.to_string_lossy().into_owned(),
        }
    }
}

/// The namespace quorate.toml in `dir` names (the default without one), with no other part of
/// the workspace read: what `payload` needs on a machine that holds nothing else.
pub fn namespace_in(dir: &Path) -> Result<String, WorkspaceError> {
    let config = load_config(&WorkingTree, dir)?;
    Ok(config
        .namespace
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string()))
}

/// Reads `root`'s quorate.toml (defaults when there is none); errors name it as every path is
/// shown, from the workspace.
pub(crate) fn load_config(source: &dyn Source, root: &Path) -> Result<Config, WorkspaceError> {
    let path = &root.join("quorate.toml");
    let shown = PathBuf::from(shown_path(root, path));
    let fail = |message: String| WorkspaceError::Config {
        path: shown.clone(),
        line: None,
        column: None,
        message,
        excerpt: String::new(),
    };
    let text = match source.read(path, 1024 * 1024) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| fail("not UTF-8 text".into()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => return Err(fail(format!("cannot read: {e}"))),
    };
    let file: ConfigFile = toml::from_str(&text).map_err(|e| {
        let at = crate::format::toml_error::locate(&text, e.span().map_or(0, |s| s.start));
        WorkspaceError::Config {
            path: shown.clone(),
            line: Some(at.line),
            column: Some(at.column),
            message: crate::format::toml_error::message(e.message()),
            excerpt: at.excerpt,
        }
    })?;
    let threshold = match file.threshold {
        None => None,
        Some(n) => {
            Some(Threshold::new(n).ok_or_else(|| fail("threshold must be at least 1".into()))?)
        }
    };
    let consumer = match &file.consumers {
        None => None,
        Some(table) => Some(declared_consumer(table, &text).map_err(|(line, message)| {
            WorkspaceError::Config {
                path: shown.clone(),
                line,
                column: None,
                message,
                excerpt: String::new(),
            }
        })?),
    };
    let rebuilt = match file.rebuilt {
        None => None,
        Some(dir) => {
            let relative = Path::new(&dir);
            // Relative and below the workspace: a shared file never points a signer elsewhere.
            if dir.is_empty()
                || !relative
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
            {
                return Err(fail(format!(
                    "rebuilt {dir:?} is not a directory below the workspace, such as \"out\""
                )));
            }
            Some(relative.to_path_buf())
        }
    };
    let config = Config {
        consumer,
        threshold,
        rebuilt,
        require_log_entry: file
            .sigstore
            .as_ref()
            .and_then(|s| s.require_log_entry)
            .unwrap_or(false),
        namespace: file.namespace,
        threshold_line: text
            .lines()
            .position(|l| l.trim_start().starts_with("threshold"))
            .map(|i| i + 1),
    };
    if let Some(namespace) = &config.namespace {
        if !is_namespace(namespace) {
            return Err(fail(format!(
                "namespace {namespace:?} is not a repository name such as docker.io/stagex"
            )));
        }
    }
    Ok(config)
}

/// The consumer `[consumers]` declares: the oldest containers/image among those it names (each is
/// served, so the oldest decides). An error carries the line of the entry at fault.
fn declared_consumer(
    table: &ConsumersTable,
    text: &str,
) -> Result<crate::keys::consumer::Consumer, (Option<usize>, String)> {
    use crate::keys::consumer::{Consumer, PROGRAMS};
    let given = [
        &table.containers_image,
        &table.podman,
        &table.skopeo,
        &table.cri_o,
    ];
    let mut oldest: Option<Consumer> = None;
    for (program, version) in PROGRAMS.iter().zip(given) {
        let Some(version) = version else { continue };
        let consumer = Consumer::declared(program, version).map_err(|message| {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with(program))
                .map(|i| i + 1);
            (line, format!("[consumers] {message}"))
        })?;
        if oldest
            .as_ref()
            .is_none_or(|o| consumer.containers_image < o.containers_image)
        {
            oldest = Some(consumer);
        }
    }
    oldest.ok_or_else(|| {
        (
            None,
            format!(
                "[consumers] names no consumer: give one of {} with the oldest version the images are pulled with",
                PROGRAMS.join(", ")
            ),
        )
    })
}

/// A fingerprint MAINTAINERS lists that is a subkey of a certificate in the keyring never matches
/// (signatures are attributed by primary key): an error naming the primary to list instead.
fn check_subkeys(
    maintainers: &Maintainers,
    keyring: &Keyring,
    path: &Path,
) -> Result<(), MaintainersError> {
    for person in maintainers.people() {
        for key in &person.keys {
            let Ok(fingerprint) = key.fingerprint.parse::<sequoia_openpgp::Fingerprint>() else {
                continue;
            };
            if keyring.by_primary(&fingerprint).is_some() {
                continue;
            }
            let handle = sequoia_openpgp::KeyHandle::from(fingerprint);
            if let Some(cert) = keyring.certs_for(&handle).first() {
                let primary = cert.fingerprint().to_hex();
                return Err(MaintainersError {
                    path: path.to_path_buf(),
                    line: key.line,
                    column: None,
                    excerpt: String::new(),
                    message: format!(
                        "`keys.{}.{}.id` is {}, a subkey of {primary}; list the primary key: id = \"{primary}\"",
                        person.handle, key.label, key.fingerprint
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The workspace for a command run without --workspace: the nearest directory, from the current
/// one upward, holding MAINTAINERS or quorate.toml (as git finds .git), named relatively (`.`,
/// `..`, ...) so what quorate prints stays short. `.` when there is none: the errors then name
/// what is missing here.
pub fn find_from_current_dir() -> PathBuf {
    let Ok(cwd) = std::env::current_dir() else {
        return PathBuf::from(".");
    };
    let mut relative = PathBuf::from(".");
    for (depth, dir) in cwd.ancestors().enumerate() {
        let holds = ["MAINTAINERS", "quorate.toml"]
            .iter()
            .any(|part| dir.join(part).symlink_metadata().is_ok());
        if holds {
            return relative;
        }
        relative = if depth == 0 {
            PathBuf::from("..")
        } else {
            relative.join("..")
        };
    }
    PathBuf::from(".")
}
