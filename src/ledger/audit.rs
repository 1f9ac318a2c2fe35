//! The audit ledger: who vouched for what. For each image and digest: the signed references,
//! each signer with key and time, the commit that added each file, the quorum, who has not
//! signed; and every finding, with its file and severity. Everything comes from the signatures
//! and the git history themselves.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::format::digests::Release;
use crate::format::message::read_signed_message;
use crate::format::reference::Reference;
use crate::fs::path::Kind;
use crate::judge::history::{self, Attribution, CommitInfo, EventKind};
use crate::judge::quorum::{check_image_with, FileReport, ImageReport, JudgeFile};
use crate::keys::reason::{Problem, Reason};
use crate::keys::verify::{message_problem, CheckedMessage, Expected, Verdict, Verifier};
use crate::ledger::report::{list_or, FileJson};
use crate::workspace::tree::{self, signature_file_name};
use crate::workspace::Workspace;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Recorded for the auditor; changes nothing.
    Info,
    /// Shown; the exit status is unchanged.
    Warning,
    /// The audit fails (exit 1).
    Error,
}

crate::codes::stable_codes! {
    /// Findings only an audit makes (the per-file ones use the core gate's reason codes).
    pub enum AuditCode {
        /// A directory under signatures/ is named neither `<path>@sha256=<64 hex>` nor a plain
        /// namespace directory.
        MalformedDirectory = "malformed-directory",
        /// One maintainer signed the same reference (name and tag) and digest twice.
        DuplicateMaintainer = "duplicate-maintainer",
        /// A release digest has no signature directory at all.
        UnsignedReleaseDigest = "unsigned-release-digest",
        /// A symlink inside signatures/: never followed.
        SymlinkInTree = "symlink-in-tree",
        /// A file where podman would never look (outside an image directory, or not `signature-N`).
        StrayFile = "stray-file",
        /// A signature made by a subkey: containers/image before 5.37 rejects it.
        SignedBySubkey = "signed-by-subkey",
        /// A signature dated after the commit that added it.
        SignatureAfterCommit = "signature-after-commit",
        /// A digest signed by fewer distinct maintainers than the threshold (its status, not a fault).
        ShortOfQuorum = "short-of-quorum",
        /// A signature file that no commit holds (not committed yet).
        Uncommitted = "uncommitted",
        /// History: a signature's bytes vanished from the tree.
        Rollback = "rollback",
        /// History: a path's bytes were replaced.
        Rewritten = "rewritten",
        /// Retired, never reported any more: bytes that leave their image's `signature-N` files,
        /// wherever they go, are a `rollback` (or `withdrawn`); a move within the directory is
        /// `renumbered`. Kept so that tools matching on it still parse.
        Moved = "moved",
        /// History: a signature moved to another number in its directory.
        Renumbered = "renumbered",
        /// History: a maintainer withdrew a signature with `quorate withdraw`.
        Withdrawn = "withdrawn",
        /// MAINTAINERS or quorate.toml differ from the trust root in force: a draft nobody approved
        /// yet, which changes nothing (the root in force decides who counts).
        TrustRootUnapproved = "trust-root-unapproved",
        /// The repository is a shallow clone: attribution stops at the graft.
        ShallowClone = "shallow-clone",
        /// `--published`: a signature in git that the lookaside does not serve.
        PublishedMissing = "published-missing",
        /// `--published`: a signature served that git does not hold.
        PublishedExtra = "published-extra",
        /// `--published`: a signature served with other bytes than git holds.
        PublishedDiffers = "published-differs",
        /// `--published`: the image's signatures cannot be read from the lookaside as podman reads
        /// them (an HTTP status, a file over 4 MiB, 128 signatures or more, no connection).
        PublishedUnreadable = "published-unreadable",
    }
}

impl AuditCode {
    /// How serious a finding with this code is: set here once, as docs/audit.md's table says.
    pub fn severity(self) -> Severity {
        match self {
            AuditCode::MalformedDirectory
            | AuditCode::DuplicateMaintainer
            | AuditCode::UnsignedReleaseDigest
            | AuditCode::SymlinkInTree
            | AuditCode::Rollback
            | AuditCode::Rewritten
            | AuditCode::PublishedMissing
            | AuditCode::PublishedExtra
            | AuditCode::PublishedDiffers
            | AuditCode::PublishedUnreadable => Severity::Error,
            AuditCode::SignedBySubkey
            | AuditCode::SignatureAfterCommit
            | AuditCode::ShortOfQuorum
            | AuditCode::TrustRootUnapproved
            | AuditCode::ShallowClone => Severity::Warning,
            AuditCode::StrayFile
            | AuditCode::Uncommitted
            | AuditCode::Moved
            | AuditCode::Renumbered
            | AuditCode::Withdrawn => Severity::Info,
        }
    }
}

/// A finding's code: a reason the core gate gives a file, or a code only an audit gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Code {
    /// A file's problem, as verify and gate report it.
    Reason(Reason),
    /// A finding only an audit makes.
    Audit(AuditCode),
}

impl Code {
    /// The stable kebab-case code.
    pub fn code(self) -> &'static str {
        match self {
            Code::Reason(r) => r.code(),
            Code::Audit(a) => a.code(),
        }
    }

    /// How serious a finding with this code is: a file's fault is an error.
    pub fn severity(self) -> Severity {
        match self {
            // A former maintainer's signature is honest history: recorded, not an error.
            Code::Reason(r) if r.is_honest_past() => Severity::Info,
            Code::Reason(_) => Severity::Error,
            Code::Audit(a) => a.severity(),
        }
    }
}

impl From<Reason> for Code {
    fn from(reason: Reason) -> Code {
        Code::Reason(reason)
    }
}

impl From<AuditCode> for Code {
    fn from(code: AuditCode) -> Code {
        Code::Audit(code)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// How serious: set by the code.
    severity: Severity,
    /// A reason code of the core gate, or an audit code.
    pub code: Code,
    /// The file or directory, relative to the workspace.
    pub path: String,
    /// The particulars.
    pub detail: String,
    /// The commit involved, for history findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitInfo>,
}

impl Finding {
    /// A finding with `code` about `path`; its severity is the code's.
    pub fn new(code: impl Into<Code>, path: String, detail: String) -> Finding {
        let code = code.into();
        Finding {
            severity: code.severity(),
            code,
            path,
            detail,
            commit: None,
        }
    }

    /// The finding, naming the commit involved.
    pub fn in_commit(mut self, commit: CommitInfo) -> Finding {
        self.commit = Some(commit);
        self
    }

    /// How serious.
    pub fn severity(&self) -> Severity {
        self.severity
    }
}

/// One signature file in the ledger.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerSignature {
    /// The file and its verdict now (or as of `--as-of`).
    #[serde(flatten)]
    pub file: FileJson,
    /// The commit that added the file's current bytes; null when unknown (no git, or uncommitted).
    pub commit: Option<CommitInfo>,
    /// The verdict as of that commit's time: was it valid when it was published?
    pub at_commit: Option<AtCommit>,
}

/// The verdict as of the commit that added a file.
#[derive(Debug, Clone, Serialize)]
pub struct AtCommit {
    /// True when it counted then.
    pub counts: bool,
    /// Why not, then.
    pub problems: Vec<Problem>,
}

/// One image directory in the ledger.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerImage {
    /// The directory, relative to the workspace.
    pub directory: String,
    /// The repository (`docker.io/stagex/pallet-rust`), when the directory name is valid.
    pub repository: Option<String>,
    /// The digest, when the directory name is valid.
    pub digest: Option<String>,
    /// Every reference the valid signatures sign (the tags).
    pub references: Vec<String>,
    /// At least `threshold` distinct maintainers.
    pub quorate: bool,
    /// The maintainers counted, each once.
    pub signers: Vec<String>,
    /// Maintainers holding a key who have not signed.
    pub missing: Vec<String>,
    /// Every signature file.
    pub signatures: Vec<LedgerSignature>,
}

/// The whole audit.
#[derive(Debug, Clone, Serialize)]
pub struct Ledger {
    /// Where the files were read from.
    pub source: String,
    /// The time signatures were judged at.
    pub judged_at: String,
    /// The threshold applied.
    pub threshold: u32,
    /// Whether legacy payloads counted.
    pub accept_legacy: bool,
    /// The git repository holding the tree, if any (commit fields are null without one).
    pub repository: Option<String>,
    /// Every image audited.
    pub images: Vec<LedgerImage>,
    /// Every finding, errors first.
    pub findings: Vec<Finding>,
    /// How many findings are errors.
    pub errors: usize,
    /// How many are warnings.
    pub warnings: usize,
    /// The chain of trust roots the signatures were judged under (docs/trust.md), when there
    /// is one: the anchor, each version, who approved it, which is in force.
    pub trust: Option<crate::judge::trust::Chain>,
}

/// What to audit.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every image directory under signatures/.
    Tree,
    /// These references.
    References(Vec<Reference>),
    /// Every platform manifest of a release.
    Release(Release),
}

/// How to audit.
#[derive(Debug, Clone)]
pub struct Options {
    /// What.
    pub scope: Scope,
    /// Only what this maintainer signed.
    pub maintainer: Option<String>,
    /// Follow signature files through history.
    pub history: bool,
    /// The threshold.
    pub threshold: u32,
    /// Whether legacy payloads count.
    pub accept_legacy: bool,
    /// `--published URL`: compare what git holds with what this lookaside serves.
    pub published: Option<crate::workspace::lookaside::Lookaside>,
    /// How the working trust root stands against the chain (`Anchor::judge`): the ledger
    /// carries the chain, and an unapproved trust root is its first error.
    pub trust: crate::judge::trust::Standing,
}

/// An audit that cannot run. Input errors (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// `--maintainer` names no one in MAINTAINERS.
    #[error("{0}: MAINTAINERS lists no such person")]
    UnknownMaintainer(String),
    /// The tree cannot be listed.
    #[error("{}: {message}", path.display())]
    Tree {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The git history cannot be read.
    #[error("git: {0}")]
    Git(String),
    /// The workspace still counts its working MAINTAINERS while a version of the chain is in
    /// force: the caller did not let the root in force decide (`Anchor::decide`).
    #[error("trust root version {0} is in force, but the workspace counts other maintainers or another threshold: judge it through Anchor::decide first")]
    Undecided(u32),
}

crate::fault::always!(Input: AuditError);

/// Where `audit_into` hands the ledger as it is made.
pub trait LedgerSink {
    /// Before any image: the ledger with no image and no finding yet (`errors` and `warnings`
    /// zero); everything else is as it will be.
    fn head(&mut self, head: &Ledger);
    /// Each image once judged, in tree order.
    fn image(&mut self, image: LedgerImage);
}

/// Keeps every image: what `audit` returns.
struct KeepAll(Vec<LedgerImage>);

impl LedgerSink for KeepAll {
    fn head(&mut self, _head: &Ledger) {}
    fn image(&mut self, image: LedgerImage) {
        self.0.push(image);
    }
}

/// Runs an audit.
pub fn audit(
    workspace: &Workspace,
    verifier: &Verifier,
    options: &Options,
    done: &(dyn Fn() + Sync),
) -> Result<Ledger, AuditError> {
    let mut all = KeepAll(Vec::new());
    let mut ledger = audit_into(workspace, verifier, options, done, &mut all)?;
    ledger.images = all.0;
    Ok(ledger)
}

/// Who counts is the root in force's to say, for a program using the library as for the CLI: a
/// workspace whose people, threshold or trusted root are not the root in force's is refused.
fn refuse_undecided(workspace: &Workspace, options: &Options) -> Result<(), AuditError> {
    if let Some(in_force) = options.trust.chain().and_then(|c| c.in_force()) {
        let counted = crate::judge::trust::working_root(
            workspace,
            in_force.version,
            in_force.root.previous.clone(),
        );
        if counted.maintainers != in_force.root.maintainers
            || counted.threshold != in_force.root.threshold
            || counted.sigstore != in_force.root.sigstore
        {
            return Err(AuditError::Undecided(in_force.version));
        }
    }
    Ok(())
}

/// `audit`, each image handed to `sink` as soon as it (and every image before it) is judged
/// and not kept: the ledger returned holds the findings and the totals but no image. What it
/// holds follows a batch of images and the findings, not the tree. Every error comes before
/// `sink` is handed anything.
pub fn audit_into(
    workspace: &Workspace,
    verifier: &Verifier,
    options: &Options,
    done: &(dyn Fn() + Sync),
    sink: &mut dyn LedgerSink,
) -> Result<Ledger, AuditError> {
    refuse_undecided(workspace, options)?;
    if let Some(handle) = &options.maintainer {
        if workspace.maintainers.get(handle).is_none() {
            return Err(AuditError::UnknownMaintainer(handle.clone()));
        }
    }
    let mut findings = Vec::new();
    let git = GitContext::open(workspace, verifier)?;
    if let Some(repo) = git.repo.as_ref().filter(|r| !r.shallow.is_empty()) {
        findings.push(Finding::new(AuditCode::ShallowClone, repo.label.clone(), "a shallow clone: who added a file before the graft is unknown, and those files are credited to no commit (git fetch --unshallow)".into()));
    }

    let mut targets: Vec<Target> = Vec::new();
    match &options.scope {
        Scope::Tree => walk(
            workspace,
            &workspace.signatures_dir,
            0,
            &mut targets,
            &mut findings,
        )?,
        Scope::References(references) => {
            targets.extend(references.iter().cloned().map(Target::Image));
        }
        Scope::Release(release) => {
            for item in crate::ops::release::items(release) {
                let name = format!("{}/{}", workspace.namespace(), item.package);
                let Ok(reference) = Reference::with_parts(&name, None, Some(item.digest.clone()))
                else {
                    continue;
                };
                let dir = tree::image_dir(&workspace.signatures_dir, &reference);
                if workspace.source.kind(&dir).ok().flatten().is_none() {
                    findings.push(Finding::new(
                        AuditCode::UnsignedReleaseDigest,
                        workspace.display_path(&dir),
                        format!("{} of the release has no signature directory", item.label()),
                    ));
                }
                targets.push(Target::Image(reference));
            }
        }
    }

    // The history walk first: after the first image is handed on, nothing fails.
    let mut history_found = Vec::new();
    if options.history {
        if let Some(git) = &git.repo {
            history_findings(workspace, verifier, git, &mut history_found)?;
            // Asked about some images, the history of those images only.
            if !matches!(options.scope, Scope::Tree) {
                let dirs: Vec<String> =
                    targets
                        .iter()
                        .filter_map(|t| match t {
                            Target::Image(reference) => Some(workspace.display_path(
                                &tree::image_dir(&workspace.signatures_dir, reference),
                            )),
                            Target::Malformed(_) => None,
                        })
                        .collect();
                history_found.retain(|f| {
                    dirs.iter()
                        .any(|d| f.path == *d || f.path.starts_with(&format!("{d}/")))
                });
            }
        }
    }

    let mut ledger = Ledger {
        source: workspace.source.describe(),
        judged_at: crate::text::fmt_time(verifier.now()),
        threshold: options.threshold,
        accept_legacy: options.accept_legacy,
        repository: git.repo.as_ref().map(|g| g.label.clone()),
        images: Vec::new(),
        findings: Vec::new(),
        errors: 0,
        warnings: 0,
        trust: options.trust.chain().cloned(),
    };
    sink.head(&ledger);

    // Images are judged on every core, a batch at a time, and handed on in tree order, so only
    // a batch is held; their findings are gathered in tree order.
    use rayon::prelude::*;
    for batch in targets.chunks(IMAGES_AT_ONCE) {
        let judged: Vec<(Option<LedgerImage>, Vec<Finding>)> = batch
            .par_iter()
            .map(|target| {
                let mut found = Vec::new();
                let image = judge_target(workspace, verifier, target, &git, options, &mut found);
                done();
                (image, found)
            })
            .collect();
        for (image, found) in judged {
            if let Some(image) = image {
                sink.image(image);
            }
            findings.extend(found);
        }
    }

    if let Some(lookaside) = &options.published {
        findings.extend(published_findings(workspace, lookaside, &targets));
    }
    findings.append(&mut history_found);

    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.path.cmp(&b.path))
    });
    if let Some(why) = options.trust.unapproved() {
        findings.insert(
            0,
            Finding::new(
                AuditCode::TrustRootUnapproved,
                workspace.display_path(&workspace.maintainers_path),
                why,
            ),
        );
    }
    ledger.errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    ledger.warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    ledger.findings = findings;
    Ok(ledger)
}

/// How many images are judged before they are handed on: enough that every core stays busy
/// to the end of a batch, few enough that what they hold does not matter.
const IMAGES_AT_ONCE: usize = 256;

/// One image directory judged for the ledger: each file read and parsed once, judged now and,
/// when a commit added its bytes, as of that commit.
fn judge_target(
    workspace: &Workspace,
    verifier: &Verifier,
    target: &Target,
    git: &GitContext,
    options: &Options,
    found: &mut Vec<Finding>,
) -> Option<LedgerImage> {
    let malformed = matches!(target, Target::Malformed(_));
    let mut seen: Vec<Seen> = Vec::new();
    let mut judge = |path: &Path, bytes: &[u8], expected: &Expected| -> Verdict {
        // A Sigstore vote has no OpenPGP message to keep: it is judged from its bytes each time.
        let bundle = crate::judge::quorum::is_bundle_file(path);
        let sigstore = bundle || crate::format::sigstore::envelope::is_sigstore(bytes);
        let judged = |verifier: &Verifier| {
            if bundle {
                verifier.verify_bundle_bytes(bytes, expected)
            } else {
                verifier.verify_bytes(bytes, expected)
            }
        };
        let (verdict, mut checked) = if sigstore {
            (judged(verifier), None)
        } else {
            match read_signed_message(bytes) {
                Ok(message) => {
                    let mut checked = CheckedMessage::new(message);
                    let verdict = verifier.verify_checked(&mut checked, expected);
                    (verdict, Some(checked))
                }
                Err(e) => (Verdict::failed(message_problem(e)), None),
            }
        };
        // A published lookaside's files are not the tree's: nothing is attributed to them.
        let mine = options
            .maintainer
            .as_ref()
            .is_none_or(|h| verdict.signer.maintainer.as_ref() == Some(h));
        if workspace.lookaside.is_none() && mine {
            if let Some(git) = git.repo.as_ref() {
                let commit = git.commit_of_bytes(workspace, path, bytes);
                let at_commit = commit.as_ref().map(|c| {
                    let then = match &mut checked {
                        Some(checked) => verifier.at(c.time).verify_checked(checked, expected),
                        None if sigstore => judged(&verifier.at(c.time)),
                        // Unreadable now, unreadable then.
                        None => verdict.clone(),
                    };
                    AtCommit {
                        counts: then.counts(),
                        problems: then.problems,
                    }
                });
                seen.push(Seen {
                    path: path.to_path_buf(),
                    commit,
                    at_commit,
                });
            }
        }
        verdict
    };
    let report = match target {
        Target::Image(reference) => check_image_with(workspace, reference, &mut judge),
        Target::Malformed(dir) => check_malformed(workspace, dir, &mut judge),
    };
    let commits = Commits { git, seen: &seen };
    ledger_image(
        workspace, verifier, &report, malformed, commits, options, found,
    )
}

/// Who added an image's files: the repository, and what was found as the files were read.
struct Commits<'a> {
    git: &'a GitContext,
    seen: &'a [Seen],
}

/// A file's commit and its verdict as of that commit, found while it was read for its verdict
/// now.
struct Seen {
    path: PathBuf,
    commit: Option<CommitInfo>,
    at_commit: Option<AtCommit>,
}

enum Target {
    Image(Reference),
    Malformed(PathBuf),
}

/// `--published`: each image's files in git against those the lookaside serves.
fn published_findings(
    workspace: &Workspace,
    lookaside: &crate::workspace::lookaside::Lookaside,
    targets: &[Target],
) -> Vec<Finding> {
    use crate::judge::published::{compare, Difference};
    use rayon::prelude::*;
    let per_image: Vec<Vec<Finding>> = lookaside.reading(|| {
        targets
            .par_iter()
            .filter_map(|t| match t {
                Target::Image(reference) => Some(reference),
                Target::Malformed(_) => None,
            })
            .map(|reference| {
                let finding = |code: AuditCode, path: String, detail: String| {
                    Finding::new(code, path, detail)
                };
                compare(workspace, lookaside, reference)
                    .into_iter()
                    .map(|difference| match difference {
                        Difference::Missing { number, path } => finding(
                            AuditCode::PublishedMissing,
                            workspace.display_path(&path),
                            format!(
                                "{} is in git but not served: podman never sees it",
                                signature_file_name(number)
                            ),
                        ),
                        Difference::Extra { number, url } => finding(
                            AuditCode::PublishedExtra,
                            url,
                            format!(
                                "{} is served but not in git: nobody committed it",
                                signature_file_name(number)
                            ),
                        ),
                        Difference::Differs { number, path, url } => finding(
                            AuditCode::PublishedDiffers,
                            workspace.display_path(&path),
                            format!(
                                "{} is served with other bytes than git holds ({url})",
                                signature_file_name(number)
                            ),
                        ),
                        Difference::Unreadable(e) => finding(
                            AuditCode::PublishedUnreadable,
                            lookaside.image_url(reference),
                            e.to_string(),
                        ),
                    })
                    .collect()
            })
            .collect()
    });
    per_image.into_iter().flatten().collect()
}

/// The directories under signatures/: image directories, namespaces to descend into, and
/// everything else reported.
fn walk(
    workspace: &Workspace,
    dir: &Path,
    depth: usize,
    targets: &mut Vec<Target>,
    findings: &mut Vec<Finding>,
) -> Result<(), AuditError> {
    let root = &workspace.signatures_dir;
    let mut entries = match workspace.source.list(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && depth == 0 => return Ok(()),
        Err(e) => {
            return Err(AuditError::Tree {
                path: PathBuf::from(workspace.display_path(dir)),
                message: e.to_string(),
            })
        }
    };
    entries.sort();
    for (name, kind) in entries {
        let path = dir.join(&name);
        let name = name.to_string_lossy().into_owned();
        let shown = workspace.display_path(&path);
        // quorate's own: the chain of trust roots, and the file init keeps signatures/ in git with.
        if depth == 0
            && (name == ".quorate" || (name == crate::ops::team::KEEP && kind == Kind::File))
        {
            continue;
        }
        let finding = |code: AuditCode, detail: String| Finding::new(code, shown.clone(), detail);
        match kind {
            Kind::Symlink => findings.push(finding(
                AuditCode::SymlinkInTree,
                "a symlink inside the signatures tree; never followed".into(),
            )),
            Kind::Dir if name.contains('@') => {
                let relative = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                match tree::parse_image_dir(&relative) {
                    Some((repository_path, digest)) => {
                        let name = format!("{}/{repository_path}", namespace_domain(workspace));
                        match Reference::with_parts(&name, None, Some(digest)) {
                            Ok(reference) => targets.push(Target::Image(reference)),
                            Err(e) => {
                                findings
                                    .push(finding(AuditCode::MalformedDirectory, e.to_string()));
                                targets.push(Target::Malformed(path.clone()));
                            }
                        }
                    }
                    None => {
                        findings.push(finding(AuditCode::MalformedDirectory,
                            "not <repository path>@sha256=<64 lowercase hex>: podman never looks here".into(),
                        ));
                        targets.push(Target::Malformed(path.clone()));
                    }
                }
            }
            Kind::Dir if depth < 16 => walk(workspace, &path, depth + 1, targets, findings)?,
            Kind::Dir => findings.push(finding(
                AuditCode::MalformedDirectory,
                "nested too deep to be a repository path".into(),
            )),
            _ => findings.push(finding(
                AuditCode::StrayFile,
                "outside any image directory: podman never reads it".into(),
            )),
        }
    }
    Ok(())
}

/// The registry host of the namespace: the lookaside tree drops it, so audit puts it back.
fn namespace_domain(workspace: &Workspace) -> String {
    Reference::parse(workspace.namespace())
        .map(|r| r.domain().to_string())
        .unwrap_or_else(|_| "docker.io".into())
}

/// A directory whose name says nothing usable: its files are judged as signatures of a
/// maintainer, but cannot count for any image.
fn check_malformed(workspace: &Workspace, dir: &Path, judge: &mut JudgeFile) -> ImageReport {
    let source = workspace.source.as_ref();
    let mut files = Vec::new();
    let mut entries = source.list(dir).unwrap_or_default();
    entries.sort();
    for (name, kind) in entries {
        let Some(number) = name.to_str().and_then(tree::signature_number) else {
            continue;
        };
        let path = dir.join(&name);
        let mut verdict = if kind != Kind::File {
            Verdict::failed(Problem::new(
                Reason::NotARegularFile,
                "a symlink or other non-regular file; never followed",
            ))
        } else {
            match source.read(&path, crate::format::message::MAX_SIGNATURE_FILE) {
                Ok(bytes) if bytes.len() as u64 > crate::format::message::MAX_SIGNATURE_FILE => {
                    Verdict::failed(Problem::new(
                        Reason::TooLarge,
                        "larger than the 4 MiB podman reads",
                    ))
                }
                Ok(bytes) => judge(
                    &path,
                    &bytes,
                    &Expected {
                        reference: None,
                        directory: None,
                    },
                ),
                Err(e) => Verdict::failed(Problem::new(
                    Reason::Unreadable,
                    format!("cannot read: {e}"),
                )),
            }
        };
        verdict.problems.insert(
            0,
            Problem::new(
                Reason::MalformedDirectory,
                "its directory names no image podman would look up",
            ),
        );
        files.push(FileReport {
            number,
            path,
            verdict,
            bundle: false,
        });
    }
    files.sort_by_key(|f| f.number);
    ImageReport {
        reference: Reference::parse("invalid").expect("a valid name"),
        directory: dir.to_path_buf(),
        directory_error: None,
        files,
        signers: Vec::new(),
        missing: Vec::new(),
    }
}

fn ledger_image(
    workspace: &Workspace,
    verifier: &Verifier,
    report: &ImageReport,
    malformed: bool,
    commits: Commits,
    options: &Options,
    findings: &mut Vec<Finding>,
) -> Option<LedgerImage> {
    let Commits { git, seen } = commits;
    let directory = workspace.display_path(&report.directory);
    let mine = |f: &FileReport| {
        options
            .maintainer
            .as_ref()
            .is_none_or(|h| f.verdict.signer.maintainer.as_ref() == Some(h))
    };
    if options.maintainer.is_some() && !report.files.iter().any(mine) {
        return None;
    }
    if let Some(e) = &report.directory_error {
        findings.push(Finding::new(
            AuditCode::SymlinkInTree,
            directory.clone(),
            e.clone(),
        ));
    }
    let mut signatures = Vec::new();
    for (index, file) in report.files.iter().enumerate() {
        if !mine(file) {
            continue;
        }
        let json = FileJson::new(workspace, file);
        let path = json.path.clone();
        for problem in &file.verdict.problems {
            if problem.reason.is_fault() {
                findings.push(Finding::new(
                    problem.reason,
                    path.clone(),
                    problem.detail.clone(),
                ));
            } else if problem.reason == Reason::DuplicateMaintainer
                && same_reference_before(report, index)
            {
                findings.push(Finding::new(
                    AuditCode::DuplicateMaintainer,
                    path.clone(),
                    format!(
                        "{} signed {} twice",
                        file.verdict.signer.maintainer.as_deref().unwrap_or("?"),
                        json.signed_reference.as_deref().unwrap_or("?")
                    ),
                ));
            }
        }
        // With a consumer declared, its verdict (subkey-not-accepted, or accepted) says it all.
        if file.verdict.signer.by_subkey
            && file.verdict.signer.maintainer.is_some()
            && verifier.consumer().is_none()
        {
            findings.push(Finding::new(AuditCode::SignedBySubkey, path.clone(), format!(
                    "made by subkey {}: containers/image before 5.37 (Debian 12's podman 4.3.1 among them) rejects subkey signatures",
                    json.signing_key.as_deref().unwrap_or("?")
                )));
        }
        // Found as the file was read; a file not read for its verdict (over the limit, a
        // link) is read again here.
        let (commit, at_commit) = match seen.iter().find(|s| s.path == file.path) {
            Some(s) => (s.commit.clone(), s.at_commit.clone()),
            None => {
                let commit = git.commit_of(workspace, &file.path);
                let at_commit = commit
                    .as_ref()
                    .and_then(|c| verdict_at(workspace, verifier, report, malformed, file, c));
                (commit, at_commit)
            }
        };
        match (&commit, file.verdict.created) {
            (Some(c), Some(created)) if created > c.time => findings.push(
                Finding::new(
                    AuditCode::SignatureAfterCommit,
                    path.clone(),
                    format!(
                        "signed at {}, after commit {} that added it ({})",
                        crate::text::fmt_time(created),
                        crate::text::short_id(&c.id),
                        c.date
                    ),
                )
                .in_commit(c.clone()),
            ),
            (None, _) if git.repo.is_some() => findings.push(Finding::new(
                AuditCode::Uncommitted,
                path.clone(),
                "no commit holds these bytes at this path".into(),
            )),
            _ => {}
        }
        signatures.push(LedgerSignature {
            file: json,
            commit,
            at_commit,
        });
    }
    let mut references: Vec<String> = report
        .files
        .iter()
        .filter(|f| f.verdict.counts())
        .filter_map(|f| f.verdict.payload.as_ref().map(|p| p.reference.to_string()))
        .collect();
    references.sort();
    references.dedup();
    let quorate = !malformed && report.is_quorate(options.threshold);
    if !malformed && !quorate && options.maintainer.is_none() {
        findings.push(Finding::new(
            AuditCode::ShortOfQuorum,
            directory.clone(),
            format!(
                "{} of {} distinct maintainers ({}); not yet signed by: {}",
                report.signers.len(),
                options.threshold,
                list_or(&report.signers, "none"),
                list_or(&report.missing, "no one else")
            ),
        ));
    }
    Some(LedgerImage {
        directory,
        repository: (!malformed).then(|| report.reference.name()),
        digest: (!malformed)
            .then(|| report.reference.digest().map(|d| d.to_string()))
            .flatten(),
        references,
        quorate,
        signers: report.signers.clone(),
        missing: report.missing.clone(),
        signatures,
    })
}

/// True when an earlier counting file of the same maintainer signs the same reference.
fn same_reference_before(report: &ImageReport, index: usize) -> bool {
    let file = &report.files[index];
    let reference = file.verdict.payload.as_ref().map(|p| &p.reference);
    report.files[..index].iter().any(|earlier| {
        earlier.verdict.counts()
            && earlier.verdict.signer.maintainer == file.verdict.signer.maintainer
            && earlier.verdict.payload.as_ref().map(|p| &p.reference) == reference
    })
}

/// The file judged again as of the time of the commit that added it.
fn verdict_at(
    workspace: &Workspace,
    verifier: &Verifier,
    report: &ImageReport,
    malformed: bool,
    file: &FileReport,
    commit: &CommitInfo,
) -> Option<AtCommit> {
    let bytes = workspace
        .source
        .read(&file.path, crate::format::message::MAX_SIGNATURE_FILE)
        .ok()?;
    let then = verifier.at(commit.time);
    let reference = (!malformed).then_some(&report.reference);
    let directory = reference.and_then(|r| r.digest().map(|d| (r.path(), d)));
    let verdict = then.verify_bytes(
        &bytes,
        &Expected {
            reference,
            directory,
        },
    );
    Some(AtCommit {
        counts: verdict.counts(),
        problems: verdict.problems,
    })
}

/// The repository holding the tree, its tip and who added what.
struct GitContext {
    repo: Option<GitRepo>,
}

struct GitRepo {
    // libgit2 handles are not shareable between threads; only the history walk uses it.
    repo: std::sync::Mutex<git2::Repository>,
    /// In a shallow clone, the boundary commits: what they hold came from history this clone
    /// does not have, so they are credited with nothing.
    shallow: Vec<String>,
    workdir: PathBuf,
    tip: git2::Oid,
    prefix: PathBuf,
    attribution: Attribution,
    label: String,
}

impl GitContext {
    fn open(workspace: &Workspace, verifier: &Verifier) -> Result<GitContext, AuditError> {
        let Some(repo) = crate::fs::git::discover(&workspace.signatures_dir, &workspace.root)
        else {
            return Ok(GitContext { repo: None });
        };
        let git_error = |e: git2::Error| AuditError::Git(crate::text::one_line(e.message()));
        let workdir = repo
            .workdir()
            .and_then(|w| w.canonicalize().ok())
            .ok_or_else(|| AuditError::Git("the repository has no work tree".into()))?;
        let tip = match workspace.source.revision() {
            Some(id) => id,
            None => match repo.head().and_then(|h| h.peel_to_commit()) {
                Ok(commit) => commit.id(),
                // A repository with no commit yet: nothing is attributed.
                Err(_) => return Ok(GitContext { repo: None }),
            },
        };
        let prefix = workspace
            .repo_path(&workdir, &workspace.signatures_dir)
            .unwrap_or_default();
        let mut attribution = history::attribute(&repo, tip, &prefix).map_err(git_error)?;
        attribution.set_signers(&|id| {
            let oid = git2::Oid::from_str(id).ok()?;
            let (signature, signed) = repo.extract_signature(&oid, None).ok()?;
            verifier.commit_signer(&signature, &signed)
        });
        let shallow = if repo.is_shallow() {
            std::fs::read_to_string(repo.path().join("shallow"))
                .map(|t| t.lines().map(|l| l.trim().to_string()).collect())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok(GitContext {
            repo: Some(GitRepo {
                shallow,
                label: workspace.display_path(&workdir),
                repo: std::sync::Mutex::new(repo),
                workdir,
                tip,
                prefix,
                attribution,
            }),
        })
    }

    /// The commit that added the file's current bytes at its path.
    fn commit_of(&self, workspace: &Workspace, path: &Path) -> Option<CommitInfo> {
        let git = self.repo.as_ref()?;
        workspace.repo_path(&git.workdir, path)?;
        let bytes = workspace
            .source
            .read(path, crate::format::message::MAX_SIGNATURE_FILE)
            .ok()?;
        git.commit_of_bytes(workspace, path, &bytes)
    }
}

impl GitRepo {
    /// The commit that added these bytes at this path (the file's, already read).
    fn commit_of_bytes(
        &self,
        workspace: &Workspace,
        path: &Path,
        bytes: &[u8],
    ) -> Option<CommitInfo> {
        let inside = workspace.repo_path(&self.workdir, path)?;
        let blob = git2::Oid::hash_object(git2::ObjectType::Blob, bytes).ok()?;
        self.attribution
            .added(&inside, blob)
            .filter(|c| !self.shallow.contains(&c.id))
            .cloned()
    }
}

fn history_findings(
    workspace: &Workspace,
    verifier: &Verifier,
    git: &GitRepo,
    findings: &mut Vec<Finding>,
) -> Result<(), AuditError> {
    let withdrawals = git.prefix.join(history::WITHDRAWALS_DIR);
    let repo = git.repo.lock().unwrap_or_else(|e| e.into_inner());
    let is_withdrawal = |tree: &git2::Tree, bytes: &[u8]| -> bool {
        crate::ops::withdraw::statement_in_tree(&repo, tree, &withdrawals, bytes, verifier)
    };
    let events = history::follow_content(&repo, git.tip, &git.prefix, &is_withdrawal)
        .map_err(|e| AuditError::Git(crate::text::one_line(e.message())))?;
    for event in events {
        let (code, detail) = match event.kind {
            EventKind::Rollback => (
                AuditCode::Rollback,
                match &event.to {
                    Some(to) => format!(
                        "a signature's bytes left their image's signatures in this commit, to {} where they never count, and never came back",
                        shown(workspace, git, Some(to))
                    ),
                    None => "a signature's bytes left the tree in this commit and never came back"
                        .to_string(),
                },
            ),
            EventKind::Rewritten => (
                AuditCode::Rewritten,
                "this path's bytes were replaced, and the old bytes count nowhere in the image's directory"
                    .to_string(),
            ),
            EventKind::Renumbered => (
                AuditCode::Renumbered,
                format!("renumbered to {}", shown(workspace, git, event.to.as_deref())),
            ),
            EventKind::Withdrawn => (
                AuditCode::Withdrawn,
                match withdrawal_reason(&repo, &withdrawals, &event) {
                    Some(reason) => format!(
                        "withdrawn by its maintainer with a signed statement, because: {}",
                        crate::text::one_line(&reason)
                    ),
                    None => "withdrawn by its maintainer with a signed statement".to_string(),
                },
            ),
        };
        findings.push(
            Finding::new(
                code,
                shown(workspace, git, Some(&event.path)),
                format!(
                    "{detail} (commit {}, {})",
                    crate::text::short_id(&event.commit.id),
                    event.commit.author
                ),
            )
            .in_commit(event.commit),
        );
    }
    Ok(())
}

/// The reason the withdrawal's signed statement gives (`withdraw --reason`), if any.
fn withdrawal_reason(
    repo: &git2::Repository,
    withdrawals: &Path,
    event: &history::Event,
) -> Option<String> {
    let commit = repo
        .find_commit(git2::Oid::from_str(&event.commit.id).ok()?)
        .ok()?;
    let tree = commit.tree().ok()?;
    let blob = repo
        .find_blob(git2::Oid::from_str(&event.blob).ok()?)
        .ok()?;
    crate::ops::withdraw::statement_reason(repo, &tree, withdrawals, blob.content())
}

/// A repository path as the workspace names it.
fn shown(workspace: &Workspace, git: &GitRepo, path: Option<&Path>) -> String {
    path.map(|p| workspace.display_path(&workspace.from_repo(&git.workdir, p)))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_audit_code_is_documented() {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/audit.md")).unwrap();
        for code in AuditCode::ALL {
            assert!(
                doc.contains(&format!("`{}`", code.code())),
                "docs/audit.md lacks {}",
                code.code()
            );
        }
    }

    /// Each code's severity is the one docs/audit.md's table gives it, and every code is
    /// kebab-case and unique.
    #[test]
    fn each_code_has_the_documented_severity() {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/audit.md")).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for code in AuditCode::ALL {
            assert!(crate::codes::is_kebab_case(code.code()), "{code}");
            assert!(seen.insert(code.code()), "{code} twice");
            let row = doc
                .lines()
                .find(|l| l.starts_with(&format!("| `{code}` |")))
                .unwrap_or_else(|| panic!("docs/audit.md has no row for {code}"));
            let documented = row.split(" | ").nth(1).unwrap().trim();
            let severity = serde_json::to_value(code.severity()).unwrap();
            assert_eq!(severity, documented, "{code}");
        }
        assert_eq!(Code::from(Reason::BadSignature).severity(), Severity::Error);
        assert_eq!(
            serde_json::to_value(Code::from(AuditCode::Rollback)).unwrap(),
            "rollback"
        );
    }
}
