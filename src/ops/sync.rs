//! Signing at the same time: two maintainers who sign the same digest on their own clones both
//! write `signature-2`. `sync` fetches; when the remote is below the local commits it pushes them
//! as made (their ids and commit signatures intact), whatever they change; otherwise it replays
//! the local unpublished commits on top of the remote branch (signatures renumbered to the next
//! free numbers, withdrawals by content, repairs on the remote's numbering; files outside the
//! signatures root, such as MAINTAINERS, digests/ and docs, rebased as git would, a conflict
//! refused), verifies the result and pushes.
//! A remote rewritten since this clone last saw it is refused. Local work uses git2; fetching,
//! pushing and signed commits call the user's `git`, so credentials, remotes and signing
//! configuration just work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use git2::{Delta, Oid, Repository, Sort};

use crate::format::maintainers::Maintainers;
use crate::format::reference::Reference;
use crate::fs::source::Revision;
use crate::judge::trust::{Anchor, AnchorError, TrustChange, Version};
use crate::keys::verify::{Expected, Verifier};
use crate::workspace::tree::{signature_file_name, TreeError, MAX_SIGNATURES};
use crate::workspace::Workspace;

/// How many pushes sync attempts in all when each loses a race (fetch, replay, push again):
/// enough for a team of eight syncing at once, with the backoff below between attempts.
pub const PUSH_ATTEMPTS: usize = 12;

/// The backoff before attempt `retry + 1`: a random wait up to 50 ms doubled per retry, at
/// most 2 s ("full jitter"), so clones that lost the same race do not push in step again.
fn backoff(retry: usize) -> std::time::Duration {
    use std::hash::{BuildHasher, Hasher};
    let ceiling_ms = (50u64 << retry.min(6)).min(2000);
    // A process-random hasher seeds the jitter: no crate needed for a wait.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_usize(retry);
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    std::time::Duration::from_millis(ceiling_ms / 4 + hasher.finish() % (ceiling_ms * 3 / 4 + 1))
}

/// A `git push` that failed: what quorate tried, and git's own output as git printed it.
#[derive(Debug, Clone)]
pub struct PushFailure {
    /// One line: what failed.
    pub summary: String,
    /// git's stderr, verbatim (trailing newline trimmed); may be several lines.
    pub git_output: String,
}

/// Why `sync` stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The tree is not in a git repository, or HEAD is not a branch (exit 2).
    #[error("{0}")]
    Setup(String),
    /// A rebase, merge, cherry-pick, revert or bisect is in progress (exit 1).
    #[error("{0} is in progress: finish or abort it first (nothing was fetched, moved or pushed)")]
    InProgress(&'static str),
    /// Local changes under signatures/ are not committed (exit 1).
    #[error("uncommitted changes under {0}: commit or remove them first")]
    Dirty(String),
    /// A local commit, to be replayed on a remote that moved, changes a file under the
    /// signatures root in a way sync cannot replay: anything there but adding, withdrawing or
    /// renumbering signatures and adding files (exit 1).
    #[error("commit {commit} changes {path}, which sync cannot replay on top of the remote (under the signatures root it replays only added, withdrawn and renumbered signatures and added files): nothing was moved or pushed; rebase it by hand")]
    NotASignatureCommit {
        /// The commit, short.
        commit: String,
        /// The file, repository-relative.
        path: String,
    },
    /// A local commit does not apply on top of the remote that moved: it and the remote change
    /// the same file (exit 1).
    #[error("commit {commit} conflicts with the remote on {path}: nothing was moved or pushed; rebase it by hand (git pull --rebase), then sync")]
    Conflict {
        /// The commit, short.
        commit: String,
        /// The file both change, repository-relative.
        path: String,
    },
    /// A local commit removes or overwrites a signature without the signed statement a
    /// withdrawal keeps (exit 1).
    #[error(
        "commit {commit} removes {path} without a signed withdrawal statement; rebase it by hand"
    )]
    Unwithdrawn {
        /// The commit, short.
        commit: String,
        /// The signature file it removes.
        path: String,
    },
    /// A local commit proposes a version of the chain of trust roots the remote already holds
    /// with other bytes (exit 1).
    #[error("commit {commit} proposes {path}, but the remote already holds a different version there (proposed and published first); nothing was moved or pushed. Drop your proposal's commits (git rebase -i), sync, then propose again on top of the remote's chain")]
    TrustConflict {
        /// The commit, short.
        commit: String,
        /// The root.json, repository-relative.
        path: String,
    },
    /// A replayed signature does not count (exit 1).
    #[error("{path}: the replayed signature would not count: {why}")]
    WouldNotCount {
        /// The file.
        path: String,
        /// Its reasons.
        why: String,
    },
    /// A replay that would land past the 127 signatures podman pulls: refused as `sign`
    /// refuses it (exit 1).
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// The remote branch no longer holds the commit this clone last saw on it: someone rewrote
    /// (force-pushed) or deleted it. Nothing is followed or pushed (exit 1).
    #[error("{remote} {branch} was rewritten: it no longer holds {seen}, which this clone last saw there{}; nothing was moved or pushed. If the rewrite is intended, put your branch on the remote's (git fetch {remote} {branch} && git reset --keep FETCH_HEAD) and sync again", lost(.disappeared))]
    RemoteRewritten {
        /// The remote.
        remote: String,
        /// The branch.
        branch: String,
        /// The commit last seen, short.
        seen: String,
        /// Signature files (repository-relative) of the last-seen commit whose bytes the
        /// remote no longer holds in their image.
        disappeared: Vec<String>,
    },
    /// The branch or the signatures tree changed after sync read them (someone committed or
    /// wrote meanwhile): nothing was moved or pushed (exit 1).
    #[error("{0} while sync ran: nothing was moved or pushed; run sync again")]
    ChangedMeanwhile(String),
    /// The checkout would write or delete through a link (exit 1).
    #[error(transparent)]
    Link(#[from] crate::fs::confine::ConfineError),
    /// `git fetch` or `git push` failed, or the repository could not be read or updated (exit 1).
    #[error("{0}")]
    Git(String),
}

impl crate::fault::Classify for SyncError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            SyncError::Setup(_) => crate::fault::Fault::Input,
            _ => crate::fault::Fault::Refused,
        }
    }
}

fn lost(files: &[String]) -> String {
    if files.is_empty() {
        String::new()
    } else {
        format!(
            "; signatures that disappeared from it: {}",
            files.join(", ")
        )
    }
}

impl From<git2::Error> for SyncError {
    fn from(e: git2::Error) -> SyncError {
        SyncError::Git(crate::text::one_line(e.message()))
    }
}

/// What `sync` did.
#[derive(Debug, Default)]
pub struct Synced {
    /// Local commits replayed (0 when the local commits were pushed as they are).
    pub replayed: usize,
    /// Local commits pushed as they were made, ids and signatures intact (a fast-forward).
    pub fast_forwarded: usize,
    /// Commits the remote had that this clone did not, now in the branch.
    pub brought_in: usize,
    /// Signature files placed: (original path, new path), repository-relative.
    pub placed: Vec<(PathBuf, PathBuf)>,
    /// Signatures already on the remote (the same bytes in the same directory): dropped.
    pub already_there: Vec<PathBuf>,
    /// Signatures dropped because their maintainer already has a valid signature of the same
    /// reference on the remote: (file, maintainer, the remote's file).
    pub duplicates: Vec<(PathBuf, String, PathBuf)>,
    /// Withdrawals replayed: (the withdrawn file on the remote, its statement).
    pub withdrawn: Vec<(PathBuf, PathBuf)>,
    /// Withdrawals whose signature the remote no longer held: (statement), kept as a record.
    pub withdrawn_absent: Vec<PathBuf>,
    /// Renumberings redone on top of the remote: (from, to).
    pub moved: Vec<(PathBuf, PathBuf)>,
    /// Signed local commits whose replay is not signed (git is not configured to sign
    /// commits): (original, replay).
    pub unsigned_replays: Vec<(Oid, Oid)>,
    /// Pushes that lost a race to another push and were redone.
    pub retries: usize,
    /// How the trust root (MAINTAINERS' people and keys, quorate.toml's threshold) of the new
    /// tip differs from the old local tip's.
    pub trust_changes: Vec<TrustChange>,
    /// Why the two trust roots could not be compared, when they could not.
    pub trust_unreadable: Option<String>,
    /// The new tip.
    pub tip: Option<Oid>,
    /// Where it was pushed.
    pub pushed_to: Option<String>,
    /// Why the push failed, when it did: the branch has moved to the new tip all the same, and
    /// nothing listed above was published.
    pub push_error: Option<PushFailure>,
    /// The work tree of the repository the paths above are relative to (canonical), so they
    /// can be shown relative to the workspace (`Workspace::from_repo`).
    pub workdir: PathBuf,
    /// How many versions the chain of trust roots had before the sync, as found.
    pub trust_versions_before: usize,
}

/// What a sync brought in of the chain of trust roots: whoever can push can change who counts,
/// so every new version is named, in force or not, and a chain this clone can no longer trust
/// is said at once rather than first at the next gate.
#[derive(Debug, Default)]
pub struct ChainReport {
    /// The versions the sync brought in, as the work tree now holds them.
    pub arrived: Vec<Version>,
    /// Why the chain as it now stands is refused, when it is.
    pub refused: Option<AnchorError>,
}

/// Before a sync: the root in force, verified from `anchor`, decides who counts in `workspace`
/// while replaying. Only a required anchor that is missing (`--require-anchor`) refuses the sync,
/// before anything is fetched or pushed: the sync would judge by the chain as found and remember
/// it, which would make it this clone's anchor for every later run. Any other refusal of the
/// chain is said after the sync (`chain_report`), which may bring in what repairs it.
pub fn decide_before_sync(
    anchor: &Anchor,
    workspace: &mut Workspace,
    at: std::time::SystemTime,
) -> Result<(), AnchorError> {
    match anchor.decide(workspace, at) {
        Err(AnchorError::Required) => Err(AnchorError::Required),
        _ => Ok(()),
    }
}

/// The chain of trust roots in `after`, the workspace loaded again once `synced` is done,
/// verified from its anchor (`pinned`, else what this clone remembers, which is updated).
/// With `required` and no anchor, refused and nothing remembered.
pub fn chain_report(
    synced: &Synced,
    after: &Workspace,
    verifier: &Verifier,
    pinned: Option<&str>,
    required: bool,
) -> ChainReport {
    let anchor = Anchor::resolve(after, pinned).required(required);
    if let Err(e) = anchor.require() {
        return ChainReport {
            arrived: Vec::new(),
            refused: Some(e),
        };
    }
    match anchor.load_chain(after, verifier) {
        Err(e) => ChainReport {
            arrived: Vec::new(),
            refused: Some(e),
        },
        Ok(None) => ChainReport::default(),
        Ok(Some(chain)) => {
            anchor.remember(after, &chain);
            ChainReport {
                arrived: chain
                    .versions
                    .into_iter()
                    .filter(|v| v.version as usize > synced.trust_versions_before)
                    .collect(),
                refused: None,
            }
        }
    }
}

/// One change a replayed commit makes to the tree.
enum Op {
    Put(PathBuf, Oid),
    Remove(PathBuf),
}

/// One local commit to replay, and what it does on top of the remote.
struct Replay {
    commit: Oid,
    ops: Vec<Op>,
    /// The files outside the signatures root as the commit leaves them, rebased on the remote
    /// (a tree without the root), when it changes any.
    outside: Option<Oid>,
    /// What the message notes: renumberings and withdrawals redone.
    notes: Vec<String>,
}

/// What one fetch-replay-push round came to.
enum Round {
    Done(Box<Synced>),
    /// The push was refused because the remote moved meanwhile: fetch and replay again.
    Raced(Box<Synced>, PushFailure),
}

/// Fetches `branch` from `remote`, replays, verifies, and pushes to `push_to` (default: the
/// same branch).
pub fn sync(
    workspace: &Workspace,
    verifier: &Verifier,
    remote: &str,
    branch: Option<&str>,
    push_to: Option<&str>,
) -> Result<Synced, SyncError> {
    let trust_versions_before = crate::judge::trust::load_chain(workspace, verifier, &[])
        .ok()
        .flatten()
        .map_or(0, |c| c.versions.len());
    let repo = crate::fs::git::discover(&workspace.signatures_dir, &workspace.root)
        .ok_or_else(|| SyncError::Setup("the signatures tree is not in a git repository".into()))?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| SyncError::Setup("the repository is bare".into()))?
        .canonicalize()
        .map_err(|e| SyncError::Setup(e.to_string()))?;
    // Held until sync returns: sign, add, withdraw and repair commit under this lock, so none of
    // them moves the branch or rewrites the index between the replay and the checkout (which
    // would otherwise undo their commit in the work tree).
    let _turn =
        crate::fs::git::RepoLock::acquire(&repo, Instant::now() + crate::fs::git::RETRY_FOR)
            .map_err(|e| SyncError::Git(e.message))?;
    // Replaying on top of a half-done rebase or merge would publish whatever state it left.
    if let Some(what) = in_progress(repo.state()) {
        return Err(SyncError::InProgress(what));
    }
    let head_ref = repo
        .find_reference("HEAD")?
        .symbolic_target()
        .map(str::to_string)
        .ok_or_else(|| SyncError::Setup("HEAD is detached: check out a branch to sync".into()))?;
    let current = head_ref.trim_start_matches("refs/heads/").to_string();
    let branch = branch.map(str::to_string).unwrap_or(current.clone());
    let prefix = workspace
        .repo_path(&workdir, &workspace.signatures_dir)
        .unwrap_or_default();
    ensure_clean(&repo, &prefix)?;
    let context = Context {
        repo: &repo,
        workdir: &workdir,
        workspace,
        verifier,
        remote,
        branch: &branch,
        head_ref: &head_ref,
        current: &current,
        prefix: &prefix,
        push_to,
        started_at: repo.find_reference(&head_ref)?.peel_to_commit()?.id(),
    };
    let mut retries = 0;
    // Where a signature placed by a round that lost its race came from: the next round replays
    // that round's commit, and says where the file first was.
    let mut origins: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    loop {
        let mut round = context.round(retries)?;
        let (Round::Done(synced) | Round::Raced(synced, _)) = &mut round;
        for (from, _) in &mut synced.placed {
            if let Some(origin) = origins.get(from) {
                *from = origin.clone();
            }
        }
        origins = synced
            .placed
            .iter()
            .map(|(f, t)| (t.clone(), f.clone()))
            .collect();
        match round {
            Round::Done(mut synced) => {
                synced.retries = retries;
                synced.workdir = workdir.clone();
                synced.trust_versions_before = trust_versions_before;
                return Ok(*synced);
            }
            Round::Raced(mut synced, mut why) => {
                retries += 1;
                if retries >= PUSH_ATTEMPTS {
                    synced.retries = retries - 1;
                    synced.workdir = workdir.clone();
                    synced.trust_versions_before = trust_versions_before;
                    why.summary.push_str(&format!(
                        " (the remote kept moving: {PUSH_ATTEMPTS} attempts)"
                    ));
                    synced.push_error = Some(why);
                    return Ok(*synced);
                }
                std::thread::sleep(backoff(retries));
            }
        }
    }
}

fn in_progress(state: git2::RepositoryState) -> Option<&'static str> {
    use git2::RepositoryState as S;
    match state {
        S::Clean => None,
        S::Merge => Some("a merge"),
        S::Rebase | S::RebaseInteractive | S::RebaseMerge | S::ApplyMailboxOrRebase => {
            Some("a rebase")
        }
        S::ApplyMailbox => Some("a git am"),
        S::CherryPick | S::CherryPickSequence => Some("a cherry-pick"),
        S::Revert | S::RevertSequence => Some("a revert"),
        S::Bisect => Some("a bisect"),
    }
}

/// What every round of one sync shares.
struct Context<'a> {
    repo: &'a Repository,
    workdir: &'a Path,
    workspace: &'a Workspace,
    verifier: &'a Verifier<'a>,
    remote: &'a str,
    branch: &'a str,
    head_ref: &'a str,
    current: &'a str,
    prefix: &'a Path,
    push_to: Option<&'a str>,
    /// The local tip when sync started: trust-root changes are told against it.
    started_at: Oid,
}

impl Context<'_> {
    /// Fetch, refuse a rewritten remote, replay (or fast-forward), move the branch, push.
    fn round(&self, retry: usize) -> Result<Round, SyncError> {
        let repo = self.repo;
        let seen = self.last_seen();
        let remote_tip = self.fetch()?;
        self.refuse_rewrite(seen, remote_tip)?;
        if let Some(tip) = remote_tip {
            self.record_seen(tip);
        }
        let local_tip = repo.find_reference(self.head_ref)?.peel_to_commit()?.id();

        let mut synced = Synced::default();
        let tip = match remote_tip {
            // The first push to an empty remote: the whole history, as it is.
            None => {
                let mut walk = repo.revwalk()?;
                walk.push(local_tip)?;
                synced.fast_forwarded = walk.count();
                local_tip
            }
            Some(remote_tip) => {
                // The local commits the remote does not have, oldest first.
                let mut walk = repo.revwalk()?;
                walk.push(local_tip)?;
                walk.hide(remote_tip)?;
                walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
                let local: Vec<Oid> = walk.collect::<Result<_, _>>()?;
                // Every refusal is decided here, before any object is written or anything moves.
                let fast_forward = !local.is_empty()
                    && (remote_tip == local_tip
                        || repo.graph_descendant_of(local_tip, remote_tip)?);
                let mut planned = Synced::default();
                let plan = self.plan_replay(&local, remote_tip, fast_forward, &mut planned)?;
                if fast_forward {
                    // The remote is below the local commits: they apply unchanged, so they are
                    // pushed as made (their ids, their signatures), never rewritten.
                    synced.fast_forwarded = local.len();
                    local_tip
                } else {
                    synced = planned;
                    let mut tip = repo.find_commit(remote_tip)?;
                    for replay in &plan {
                        tip = replay_commit(repo, &tip, replay, self.prefix)?;
                        synced.replayed += 1;
                        // A commit signature cannot survive a replay; one git was not asked to
                        // make again is said to be lost, never dropped silently.
                        if repo.extract_signature(&replay.commit, None).is_ok()
                            && repo.extract_signature(&tip.id(), None).is_err()
                        {
                            synced.unsigned_replays.push((replay.commit, tip.id()));
                        }
                    }
                    tip.id()
                }
            }
        };
        // What the remote had that this clone did not: said, so a pull is never silent.
        if let Some(remote_tip) = remote_tip {
            let mut walk = repo.revwalk()?;
            walk.push(remote_tip)?;
            walk.hide(self.started_at)?;
            synced.brought_in = walk.count();
        }
        if retry == 0 {
            crate::pause("sync-replayed");
        }
        if tip != local_tip {
            self.move_branch(local_tip, tip, &mut synced)?;
        } else if self.started_at != tip {
            (synced.trust_changes, synced.trust_unreadable) = self.trust(tip);
        }
        synced.tip = Some(tip);

        let destination = self.push_to.unwrap_or(self.branch);
        if Some(tip) != remote_tip || self.push_to.is_some() {
            if retry == 0 {
                crate::pause("sync-pushing");
            }
            // The tip sync verified, not whatever HEAD is by the time git runs.
            let refspec = format!("{tip}:refs/heads/{destination}");
            match git_output(self.workdir, &["push", "--quiet", self.remote, &refspec]) {
                Ok(()) => {
                    synced.pushed_to = Some(format!("{} {destination}", self.remote));
                    if destination == self.branch {
                        self.record_seen(tip);
                    }
                }
                Err(git_output) => {
                    let failure = PushFailure {
                        summary: format!("git push to {} {destination} failed", self.remote),
                        git_output,
                    };
                    // A push refused because someone pushed first, or while another push held
                    // the branch's lock, is a race to run again; any other failure (no access,
                    // no network, a hook's refusal) is reported as it is.
                    let moved = match self.fetch() {
                        Ok(now) => destination == self.branch && now != remote_tip,
                        Err(_) => false,
                    };
                    let locked = failure.git_output.contains("cannot lock ref")
                        || failure.git_output.contains("failed to lock");
                    if moved || locked {
                        return Ok(Round::Raced(Box::new(synced), failure));
                    }
                    synced.push_error = Some(failure);
                }
            }
        }
        Ok(Round::Done(Box::new(synced)))
    }

    /// Fetches the branch: its tip, or None when the remote does not have it (an empty remote).
    fn fetch(&self) -> Result<Option<Oid>, SyncError> {
        match run_git(
            self.workdir,
            &["fetch", "--quiet", self.remote, self.branch],
        ) {
            Ok(()) => Ok(Some(
                self.repo
                    .revparse_single("FETCH_HEAD")?
                    .peel_to_commit()?
                    .id(),
            )),
            Err(fetch_error) => {
                // ls-remote exits 2 when the remote answers but has no such branch.
                let status = Command::new("git")
                    .args(["ls-remote", "--exit-code", "--heads", self.remote])
                    .arg(format!("refs/heads/{}", self.branch))
                    .current_dir(self.workdir)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status();
                match status.map(|s| s.code()) {
                    Ok(Some(2)) => Ok(None),
                    _ => Err(fetch_error),
                }
            }
        }
    }

    /// The file that records the remote tip this clone last saw (fetched or pushed).
    fn seen_file(&self) -> (PathBuf, std::ffi::OsString) {
        let key = crate::ops::withdraw::content_hash(
            format!("{}\n{}", self.remote, self.branch).as_bytes(),
        );
        (
            self.repo.path().join("quorate/seen"),
            std::ffi::OsString::from(key),
        )
    }

    /// The remote tip this clone last saw: recorded by an earlier sync, else the remote-tracking
    /// branch as the last clone, fetch or pull left it (read before this run fetches).
    fn last_seen(&self) -> Option<Oid> {
        let (dir, name) = self.seen_file();
        let recorded = crate::fs::confine::Dir::open(self.repo.path(), &dir)
            .ok()
            .flatten()
            .and_then(|d| d.read(&name, 4096).ok())
            .and_then(|bytes| {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                Oid::from_str(text.lines().next()?.trim()).ok()
            });
        recorded.or_else(|| {
            self.repo
                .refname_to_id(&format!("refs/remotes/{}/{}", self.remote, self.branch))
                .ok()
        })
    }

    /// Records the remote tip seen. Best effort: without the record, the next run falls back
    /// to the remote-tracking branch.
    fn record_seen(&self, tip: Oid) {
        let (dir, name) = self.seen_file();
        if let Ok(handle) = crate::fs::confine::Dir::create(self.repo.path(), &dir) {
            let text = format!("{tip}\n{}\n{}\n", self.remote, self.branch);
            let _ = handle.write_atomic(&name, text.as_bytes());
        }
    }

    /// Refuses a remote that no longer holds what this clone last saw there, while the local
    /// branch still stands on it (replaying from there would publish the vanished commits
    /// again). A branch the user deliberately put on the rewritten remote is followed.
    fn refuse_rewrite(&self, seen: Option<Oid>, remote_tip: Option<Oid>) -> Result<(), SyncError> {
        let repo = self.repo;
        let Some(seen) = seen else {
            return Ok(());
        };
        if let Some(tip) = remote_tip {
            if tip == seen || repo.graph_descendant_of(tip, seen).unwrap_or(false) {
                return Ok(());
            }
        }
        let local_tip = repo.find_reference(self.head_ref)?.peel_to_commit()?.id();
        if seen != local_tip && !repo.graph_descendant_of(local_tip, seen).unwrap_or(false) {
            return Ok(());
        }
        let mut disappeared = Vec::new();
        if let Ok(old) = repo.find_commit(seen).and_then(|c| c.tree()) {
            let new = match remote_tip {
                Some(tip) => Some(repo.find_commit(tip)?.tree()?),
                None => None,
            };
            old.walk(git2::TreeWalkMode::PreOrder, |root, entry| {
                let Some(name) = entry.name() else {
                    return git2::TreeWalkResult::Ok;
                };
                if crate::workspace::tree::signature_number(name).is_none()
                    || entry.kind() != Some(git2::ObjectType::Blob)
                {
                    return git2::TreeWalkResult::Ok;
                }
                let dir = Path::new(root);
                if !dir.starts_with(self.prefix) {
                    return git2::TreeWalkResult::Ok;
                }
                let still = new.as_ref().is_some_and(|tree| {
                    numbers_in(repo, tree, dir)
                        .map(|n| n.values().any(|b| *b == entry.id()))
                        .unwrap_or(false)
                });
                if !still {
                    disappeared.push(format!("{root}{name}"));
                }
                git2::TreeWalkResult::Ok
            })?;
        }
        Err(SyncError::RemoteRewritten {
            remote: self.remote.to_string(),
            branch: self.branch.to_string(),
            seen: crate::text::short_id(seen),
            disappeared,
        })
    }

    fn trust(&self, tip: Oid) -> (Vec<TrustChange>, Option<String>) {
        match trust_changes(self.repo, self.started_at, tip, self.workspace) {
            Ok(changes) => (changes, None),
            Err(why) => (Vec::new(), Some(why)),
        }
    }

    /// Moves the work tree, then the branch, from `local_tip` to `tip`, refusing if anything
    /// moved meanwhile.
    fn move_branch(&self, local_tip: Oid, tip: Oid, synced: &mut Synced) -> Result<(), SyncError> {
        let repo = self.repo;
        let (head_ref, current) = (self.head_ref, self.current);
        let tip = repo.find_commit(tip)?;
        // git's own lock on the branch, held from the check to the move, so not even a plain
        // `git commit` can slip in between.
        let mut transaction = repo.transaction()?;
        transaction.lock_ref(head_ref).map_err(|_| {
            SyncError::ChangedMeanwhile(format!("the branch {current} is being updated"))
        })?;
        if repo.find_reference(head_ref)?.peel_to_commit()?.id() != local_tip {
            return Err(SyncError::ChangedMeanwhile(format!(
                "the branch {current} moved"
            )));
        }
        match ensure_clean(repo, self.prefix) {
            Ok(()) => {}
            Err(SyncError::Dirty(_)) => {
                return Err(SyncError::ChangedMeanwhile(format!(
                    "{} changed",
                    self.workspace.display_path(&self.workspace.signatures_dir)
                )))
            }
            Err(other) => return Err(other),
        }
        (synced.trust_changes, synced.trust_unreadable) = self.trust(tip.id());
        // Every file the checkout writes or deletes is reached without a link: refused first.
        let old = repo.find_commit(local_tip)?;
        let moving = repo.diff_tree_to_tree(Some(&old.tree()?), Some(&tip.tree()?), None)?;
        for delta in moving.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                if let Some(path) = file.path() {
                    crate::fs::confine::check(self.workdir, &self.workdir.join(path))?;
                }
            }
        }
        // The work tree first, then the branch: stopped in between, the work tree holds every
        // signature of both the old and the new tip, none deleted. A safe checkout overwrites
        // nothing it did not write (a file written meanwhile is a conflict, not a loss).
        let mut checkout = git2::build::CheckoutBuilder::new();
        checkout.safe();
        repo.checkout_tree(tip.as_object(), Some(&mut checkout))
            .map_err(|e| {
                SyncError::Git(format!(
                    "the work tree could not be updated, so {current} was not moved: {}",
                    crate::text::one_line(e.message())
                ))
            })?;
        transaction.set_target(head_ref, tip.id(), None, "quorate sync")?;
        transaction.commit().map_err(|e| {
            SyncError::Git(format!(
                "the work tree holds {} but {current} could not be moved to it ({}): run git reset --soft {}",
                tip.id(),
                crate::text::one_line(e.message()),
                tip.id()
            ))
        })?;
        Ok(())
    }
}

/// The planned state of the image directories touched so far: the remote's, then each replay's.
struct State<'r> {
    repo: &'r Repository,
    remote_tree: git2::Tree<'r>,
    dirs: BTreeMap<PathBuf, BTreeMap<u32, Oid>>,
    /// Per image directory: the bundle at each number, as planned so far.
    bundle_dirs: BTreeMap<PathBuf, BTreeMap<u32, Oid>>,
}

impl State<'_> {
    fn dir(&mut self, dir: &Path) -> Result<&mut BTreeMap<u32, Oid>, SyncError> {
        if !self.dirs.contains_key(dir) {
            let numbers = numbers_in(self.repo, &self.remote_tree, dir)?;
            self.dirs.insert(dir.to_path_buf(), numbers);
        }
        Ok(self.dirs.get_mut(dir).expect("inserted above"))
    }

    fn bundle_dir(&mut self, dir: &Path) -> Result<&mut BTreeMap<u32, Oid>, SyncError> {
        if !self.bundle_dirs.contains_key(dir) {
            let numbers = numbered_in(
                self.repo,
                &self.remote_tree,
                dir,
                crate::workspace::tree::bundle_number,
            )?;
            self.bundle_dirs.insert(dir.to_path_buf(), numbers);
        }
        Ok(self.bundle_dirs.get_mut(dir).expect("inserted above"))
    }
}

/// What one local commit changes under the signatures root.
#[derive(Default)]
struct Changes {
    /// Per image directory: signature files added (path, blob) and removed (path, blob).
    added: BTreeMap<PathBuf, Vec<(PathBuf, Oid)>>,
    removed: BTreeMap<PathBuf, Vec<(PathBuf, Oid)>>,
    /// Per image directory: Sigstore bundles added (path, blob), numbered apart from signatures.
    bundles: BTreeMap<PathBuf, Vec<(PathBuf, Oid)>>,
    /// Withdrawal statements added: (path, blob).
    statements: Vec<(PathBuf, Oid)>,
    /// Other files added under the root, replayed as they are.
    others: Vec<(PathBuf, Oid)>,
    /// True when the commit changes files outside the signatures root (MAINTAINERS, digests,
    /// docs): those are rebased as git would, the root's files replayed.
    outside: bool,
    /// A file under the root the commit changes in a way no replay reproduces, if any.
    unreplayable: Option<PathBuf>,
    /// For a file of the chain of trust roots the commit rewrote (a replaced proposal): the
    /// bytes it replaced.
    replaced: BTreeMap<PathBuf, Oid>,
}

fn changes_of(
    repo: &Repository,
    commit: &git2::Commit,
    prefix: &Path,
) -> Result<Changes, SyncError> {
    let parent_tree = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
    let diff = repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&commit.tree()?), None)?;
    let withdrawals = prefix.join(crate::judge::history::WITHDRAWALS_DIR);
    // The chain of trust roots: a replaced proposal rewrites its root.json.
    let trust = prefix.join(crate::judge::trust::TRUST_DIR);
    let mut changes = Changes::default();
    for delta in diff.deltas() {
        let old = delta.old_file();
        let new = delta.new_file();
        let path = new
            .path()
            .or(old.path())
            .map(Path::to_path_buf)
            .unwrap_or_default();
        if !path.starts_with(prefix) {
            changes.outside = true;
            continue;
        }
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let signature = crate::workspace::tree::signature_number(name).is_some();
        let bundle = crate::workspace::tree::bundle_number(name).is_some();
        match delta.status() {
            // A bundle is a vote like a signature: placed at the next free bundle number, never
            // over the remote's (removing or rewriting one is not replayed).
            Delta::Added if bundle && !path.starts_with(&withdrawals) => changes
                .bundles
                .entry(dir)
                .or_default()
                .push((path, new.id())),
            Delta::Added if path.starts_with(&withdrawals) => {
                changes.statements.push((path, new.id()))
            }
            Delta::Added if signature => {
                changes.added.entry(dir).or_default().push((path, new.id()))
            }
            Delta::Added => changes.others.push((path, new.id())),
            Delta::Modified if !signature && path.starts_with(&trust) => {
                changes.replaced.insert(path.clone(), old.id());
                changes.others.push((path, new.id()))
            }
            Delta::Deleted if signature && !path.starts_with(&withdrawals) => changes
                .removed
                .entry(dir)
                .or_default()
                .push((path, old.id())),
            Delta::Modified if signature && !path.starts_with(&withdrawals) => {
                changes
                    .removed
                    .entry(dir.clone())
                    .or_default()
                    .push((path.clone(), old.id()));
                changes.added.entry(dir).or_default().push((path, new.id()));
            }
            _ => {
                changes.unreplayable.get_or_insert(path);
            }
        }
    }
    Ok(changes)
}

/// Takes from `from` one entry per entry of `other` with the same blob: what is left is what
/// the commit really added (or removed), not what it only renumbered.
fn net(from: &[(PathBuf, Oid)], other: &[(PathBuf, Oid)]) -> Vec<(PathBuf, Oid)> {
    let mut left: Vec<Oid> = other.iter().map(|(_, b)| *b).collect();
    from.iter()
        .filter(|(_, blob)| match left.iter().position(|b| b == blob) {
            Some(i) => {
                left.swap_remove(i);
                false
            }
            None => true,
        })
        .cloned()
        .collect()
}

/// One directory's signature numbering, as one replayed commit changes it.
struct Numbering<'c> {
    dir: &'c Path,
    /// The signature files the commit added there: (path, blob).
    added: &'c [(PathBuf, Oid)],
    /// The signature files the commit removed there: (path, blob).
    removed: &'c [(PathBuf, Oid)],
    /// A directory of approvals of the chain of trust roots, not of an image's signatures.
    in_trust: bool,
    /// The blob at each number, as planned so far.
    numbers: BTreeMap<u32, Oid>,
}

impl Context<'_> {
    /// Decides what each local commit does on top of the remote tip, and checks each replayed
    /// signature would count there: every refusal happens here, before anything is written. A
    /// signature lands at the next free number; a withdrawal removes the withdrawn bytes wherever
    /// the remote numbered them and keeps its statement; a renumbering is redone on the remote's
    /// numbering.
    fn plan_replay(
        &self,
        local: &[Oid],
        remote_tip: Oid,
        fast_forward: bool,
        synced: &mut Synced,
    ) -> Result<Vec<Replay>, SyncError> {
        let repo = self.repo;
        let remote_tree = repo.find_commit(remote_tip)?.tree()?;
        // The files outside the root as the replays so far leave them.
        let mut outside = without_root(repo, &remote_tree, self.prefix)?;
        let mut state = State {
            repo,
            remote_tree,
            dirs: BTreeMap::new(),
            bundle_dirs: BTreeMap::new(),
        };
        // Files other than signatures already placed by earlier replays (statements, others).
        let mut put_elsewhere: BTreeMap<PathBuf, Oid> = BTreeMap::new();
        let mut plan = Vec::new();
        for id in local {
            let commit = repo.find_commit(*id)?;
            let changes = changes_of(repo, &commit, self.prefix)?;
            let short = || crate::text::short_id(id);
            if commit.parent_count() > 1 {
                // A merge brings nothing of its own here: what it merged is replayed on its own.
                if let Some((path, _)) = changes.removed.values().flatten().next() {
                    return Err(SyncError::NotASignatureCommit {
                        commit: short(),
                        path: path.display().to_string(),
                    });
                }
                continue;
            }
            if let Some(path) = &changes.unreplayable {
                // Pushed as made, a commit needs no replay of that change; on a remote that moved
                // it would. The rest of the commit is still judged below (a removal still needs
                // its withdrawal statement, a new signature must count).
                if !fast_forward {
                    return Err(SyncError::NotASignatureCommit {
                        commit: short(),
                        path: path.display().to_string(),
                    });
                }
            }
            let mut replay = Replay {
                commit: *id,
                ops: Vec::new(),
                outside: None,
                notes: Vec::new(),
            };
            let dirs: std::collections::BTreeSet<PathBuf> = changes
                .added
                .keys()
                .chain(changes.removed.keys())
                .cloned()
                .collect();
            for dir in dirs {
                let before = state.dir(&dir)?.clone();
                let numbers = self.plan_dir(&dir, &changes, &before, &mut replay, synced)?;
                state.dirs.insert(dir, numbers);
            }
            for (dir, added) in &changes.bundles {
                let numbers = state.bundle_dir(dir)?;
                self.place_bundles(dir, added, numbers, &mut replay, synced)?;
            }
            self.place_elsewhere(&changes, &state, &mut put_elsewhere, &mut replay)?;
            // After the chain's own conflicts, so a second proposal of the same version is
            // refused as that, not as the edit it was made from.
            if changes.outside {
                let rebased = rebase_outside(repo, &commit, outside, self.prefix)?;
                if rebased != outside {
                    replay.outside = Some(rebased);
                    outside = rebased;
                }
            }
            if !replay.ops.is_empty() || replay.outside.is_some() {
                plan.push(replay);
            }
        }
        Ok(plan)
    }

    /// What one commit makes of one directory's numbering (`before`, as planned so far): its
    /// withdrawals, the gaps they leave closed and its new signatures placed, the tree changes
    /// that takes added to `replay`. Returns the new numbering.
    fn plan_dir(
        &self,
        dir: &Path,
        changes: &Changes,
        before: &BTreeMap<u32, Oid>,
        replay: &mut Replay,
        synced: &mut Synced,
    ) -> Result<BTreeMap<u32, Oid>, SyncError> {
        let mut numbering = Numbering {
            dir,
            added: changes.added.get(dir).map(Vec::as_slice).unwrap_or(&[]),
            removed: changes.removed.get(dir).map(Vec::as_slice).unwrap_or(&[]),
            // Approvals of the chain of trust roots are judged when the chain is read (one that
            // does not count changes nothing); they are renumbered like signatures, and those of a
            // replaced proposal leave with it.
            in_trust: dir.starts_with(self.prefix.join(crate::judge::trust::TRUST_DIR)),
            numbers: before.clone(),
        };
        self.withdraw(&mut numbering, &changes.statements, replay, synced)?;
        if !numbering.removed.is_empty() {
            close_gaps(&mut numbering, replay, synced);
        }
        self.place(&mut numbering, replay, synced)?;
        replay
            .ops
            .extend(numbering_ops(dir, before, &numbering.numbers));
        Ok(numbering.numbers)
    }

    /// Takes out what the commit removed. What leaves the image must leave with its maintainer's
    /// signed statement (one of `statements`): else it is a rollback, which sync never publishes.
    fn withdraw(
        &self,
        numbering: &mut Numbering,
        statements: &[(PathBuf, Oid)],
        replay: &mut Replay,
        synced: &mut Synced,
    ) -> Result<(), SyncError> {
        let repo = self.repo;
        let numbers = &mut numbering.numbers;
        for (path, blob) in net(numbering.removed, numbering.added) {
            if numbering.in_trust {
                if let Some(n) = numbers.iter().find(|(_, b)| **b == blob).map(|(n, _)| *n) {
                    numbers.remove(&n);
                }
                continue;
            }
            let bytes = repo.find_blob(blob)?;
            let statement = statements.iter().find(|(_, s)| {
                repo.find_blob(*s).is_ok_and(|s| {
                    crate::ops::withdraw::statement_is_valid(
                        s.content(),
                        bytes.content(),
                        self.verifier,
                    )
                })
            });
            let Some((statement, _)) = statement else {
                return Err(SyncError::Unwithdrawn {
                    commit: crate::text::short_id(replay.commit),
                    path: path.display().to_string(),
                });
            };
            match numbers.iter().find(|(_, b)| **b == blob).map(|(n, _)| *n) {
                Some(n) => {
                    numbers.remove(&n);
                    let at = numbering.dir.join(signature_file_name(n));
                    replay
                        .notes
                        .push(format!("Withdrawn by quorate sync: {}", at.display()));
                    synced.withdrawn.push((at, statement.clone()));
                }
                None => synced.withdrawn_absent.push(statement.clone()),
            }
        }
        Ok(())
    }

    /// Places what the commit added at the lowest free numbers, each checked to count there; a
    /// second signature of one person is dropped and said so.
    fn place(
        &self,
        numbering: &mut Numbering,
        replay: &mut Replay,
        synced: &mut Synced,
    ) -> Result<(), SyncError> {
        let (dir, numbers) = (numbering.dir, &mut numbering.numbers);
        for (path, blob) in net(numbering.added, numbering.removed) {
            if numbers.values().any(|b| *b == blob) {
                synced.already_there.push(path.clone());
                continue;
            }
            // The lowest free number, never past what podman pulls: refused exactly as
            // sign refuses it.
            let Some(free) = (1..=MAX_SIGNATURES).find(|n| !numbers.contains_key(n)) else {
                return Err(TreeError::Full(dir.to_path_buf()).into());
            };
            let target = dir.join(signature_file_name(free));
            if numbering.in_trust {
                numbers.insert(free, blob);
                synced.placed.push((path.clone(), target));
                continue;
            }
            let (repo, prefix, workspace, verifier) =
                (self.repo, self.prefix, self.workspace, self.verifier);
            let verdict = check_replayed(repo, blob, prefix, &target, workspace, verifier)?;
            if let Some((maintainer, theirs)) =
                same_maintainer(repo, numbers, dir, &verdict, prefix, workspace, verifier)?
            {
                // A second signature of one person counts once and audit reports it:
                // the remote's stands, this one is dropped and said so.
                synced.duplicates.push((path.clone(), maintainer, theirs));
                continue;
            }
            numbers.insert(free, blob);
            if target != path {
                replay.notes.push(format!(
                    "Renumbered by quorate sync: {} -> {}",
                    path.display(),
                    target.display()
                ));
            }
            synced.placed.push((path.clone(), target));
        }
        Ok(())
    }

    /// Places the bundles a commit added at the lowest free bundle numbers (never over the
    /// remote's, which stand), each checked to count there; the same bytes already there are
    /// said so, not written twice.
    fn place_bundles(
        &self,
        dir: &Path,
        added: &[(PathBuf, Oid)],
        numbers: &mut BTreeMap<u32, Oid>,
        replay: &mut Replay,
        synced: &mut Synced,
    ) -> Result<(), SyncError> {
        for (path, blob) in added {
            if numbers.values().any(|b| b == blob) {
                synced.already_there.push(path.clone());
                continue;
            }
            let Some(free) = (1..=MAX_SIGNATURES).find(|n| !numbers.contains_key(n)) else {
                return Err(TreeError::Full(dir.to_path_buf()).into());
            };
            let target = dir.join(crate::workspace::tree::bundle_file_name(free));
            check_replayed(
                self.repo,
                *blob,
                self.prefix,
                &target,
                self.workspace,
                self.verifier,
            )?;
            numbers.insert(free, *blob);
            if &target != path {
                replay.notes.push(format!(
                    "Renumbered by quorate sync: {} -> {}",
                    path.display(),
                    target.display()
                ));
            }
            replay.ops.push(Op::Put(target.clone(), *blob));
            synced.placed.push((path.clone(), target));
        }
        Ok(())
    }

    /// Replays the files other than signatures the commit added (withdrawal statements, the
    /// chain of trust roots, others) where the remote (`state`) and earlier replays
    /// (`put_elsewhere`) do not already hold them; a version of the chain proposed on the remote
    /// meanwhile is refused.
    fn place_elsewhere(
        &self,
        changes: &Changes,
        state: &State,
        put_elsewhere: &mut BTreeMap<PathBuf, Oid>,
        replay: &mut Replay,
    ) -> Result<(), SyncError> {
        let prefix = self.prefix;
        for (path, blob) in changes.statements.iter().chain(&changes.others) {
            let there = put_elsewhere
                .get(path)
                .copied()
                .or_else(|| state.remote_tree.get_path(path).ok().map(|e| e.id()));
            // A statement names the bytes it withdraws, so one already there withdraws the same
            // bytes: the remote's copy stands, never overwritten.
            let statement = path.starts_with(prefix.join(crate::judge::history::WITHDRAWALS_DIR));
            // A version of the chain the remote holds with other bytes than the ones this commit
            // started from was proposed there meanwhile: writing ours over it would void its
            // approvals (and roll back a version in force). The first to publish keeps it.
            let trust_root = path.starts_with(prefix.join(crate::judge::trust::TRUST_DIR))
                && path.file_name().is_some_and(|n| n == "root.json");
            if trust_root
                && there
                    .is_some_and(|t| t != *blob && Some(t) != changes.replaced.get(path).copied())
            {
                return Err(SyncError::TrustConflict {
                    commit: crate::text::short_id(replay.commit),
                    path: path.display().to_string(),
                });
            }
            if there != Some(*blob) && !(statement && there.is_some()) {
                put_elsewhere.insert(path.clone(), *blob);
                replay.ops.push(Op::Put(path.clone(), *blob));
            }
        }
        Ok(())
    }
}

/// After a withdrawal or a repair, closes the gaps, on the remote's numbering: each signature
/// that moves is noted.
fn close_gaps(numbering: &mut Numbering, replay: &mut Replay, synced: &mut Synced) {
    let dir = numbering.dir;
    let renumbered: BTreeMap<u32, Oid> = numbering
        .numbers
        .values()
        .enumerate()
        .map(|(i, b)| (i as u32 + 1, *b))
        .collect();
    for (n, blob) in &numbering.numbers {
        if let Some((m, _)) = renumbered.iter().find(|(m, b)| *b == blob && *m != n) {
            let from = dir.join(signature_file_name(*n));
            let to = dir.join(signature_file_name(*m));
            replay.notes.push(format!(
                "Renumbered by quorate sync: {} -> {}",
                from.display(),
                to.display()
            ));
            synced.moved.push((from, to));
        }
    }
    numbering.numbers = renumbered;
}

/// The tree changes that take `dir` from numbering `before` to `after`: every number whose
/// blob changed is put, every number gone is removed.
fn numbering_ops(dir: &Path, before: &BTreeMap<u32, Oid>, after: &BTreeMap<u32, Oid>) -> Vec<Op> {
    let mut ops = Vec::new();
    for (n, blob) in after {
        if before.get(n) != Some(blob) {
            ops.push(Op::Put(dir.join(signature_file_name(*n)), *blob));
        }
    }
    for n in before.keys() {
        if !after.contains_key(n) {
            ops.push(Op::Remove(dir.join(signature_file_name(*n))));
        }
    }
    ops
}

/// The maintainer of a new signature, and the remote's file, when that maintainer already has
/// a signature of the same reference among `numbers` that counts.
fn same_maintainer(
    repo: &Repository,
    numbers: &BTreeMap<u32, Oid>,
    dir: &Path,
    verdict: &crate::keys::verify::Verdict,
    prefix: &Path,
    workspace: &Workspace,
    verifier: &Verifier,
) -> Result<Option<(String, PathBuf)>, SyncError> {
    let (Some(maintainer), Some(payload)) = (&verdict.signer.maintainer, &verdict.payload) else {
        return Ok(None);
    };
    for (n, blob) in numbers {
        let theirs = dir.join(signature_file_name(*n));
        let other = check_replayed(repo, *blob, prefix, &theirs, workspace, verifier);
        let Ok(other) = other else { continue };
        if other.signer.maintainer.as_ref() == Some(maintainer)
            && other
                .payload
                .as_ref()
                .is_some_and(|p| p.reference == payload.reference && p.digest == payload.digest)
        {
            return Ok(Some((maintainer.clone(), theirs)));
        }
    }
    Ok(None)
}

/// Writes one planned commit on top of `tip`, with the original's author and message and what
/// sync changed noted.
fn replay_commit<'r>(
    repo: &'r Repository,
    tip: &git2::Commit<'r>,
    replay: &Replay,
    prefix: &Path,
) -> Result<git2::Commit<'r>, SyncError> {
    let commit = repo.find_commit(replay.commit)?;
    let mut update = git2::build::TreeUpdateBuilder::new();
    for op in &replay.ops {
        match op {
            Op::Put(path, blob) => {
                update.upsert(path.to_string_lossy().as_ref(), *blob, git2::FileMode::Blob);
            }
            Op::Remove(path) => {
                update.remove(path.to_string_lossy().as_ref());
            }
        }
    }
    let mut tree = repo.find_tree(update.create_updated(repo, &tip.tree()?)?)?;
    if let Some(outside) = replay.outside {
        tree = repo.find_tree(with_root_of(repo, outside, &tree, prefix)?)?;
    }
    let mut message = commit.message().unwrap_or("").trim_end().to_string();
    if !replay.notes.is_empty() {
        message.push_str("\n\n");
        message.push_str(&replay.notes.join("\n"));
    }
    message.push('\n');
    let committer = repo
        .signature()
        .unwrap_or_else(|_| commit.committer().to_owned());
    let new =
        crate::fs::git::write_commit(repo, &commit.author(), &committer, &message, &tree, &[tip])?;
    Ok(repo.find_commit(new)?)
}

/// `tree` without the signatures root (`prefix`): the files a commit's rebase merges as git
/// would, while the root's are replayed.
fn without_root(repo: &Repository, tree: &git2::Tree, prefix: &Path) -> Result<Oid, SyncError> {
    if tree.get_path(prefix).is_err() {
        return Ok(tree.id());
    }
    let mut update = git2::build::TreeUpdateBuilder::new();
    update.remove(prefix.to_string_lossy().as_ref());
    Ok(update.create_updated(repo, tree)?)
}

/// `outside` (a tree without the root) with the signatures root of `tree` put back.
fn with_root_of(
    repo: &Repository,
    outside: Oid,
    tree: &git2::Tree,
    prefix: &Path,
) -> Result<Oid, SyncError> {
    let mut update = git2::build::TreeUpdateBuilder::new();
    let root = prefix.to_string_lossy();
    match tree.get_path(prefix) {
        Ok(entry) => update.upsert(root.as_ref(), entry.id(), git2::FileMode::Tree),
        Err(_) => update.remove(root.as_ref()),
    };
    Ok(update.create_updated(repo, &repo.find_tree(outside)?)?)
}

/// What `commit` changes outside the signatures root, merged onto `onto` (a tree without the
/// root) as `git rebase` would: a file both changed is a conflict, named, and nothing moves.
fn rebase_outside(
    repo: &Repository,
    commit: &git2::Commit,
    onto: Oid,
    prefix: &Path,
) -> Result<Oid, SyncError> {
    let ancestor = match commit.parent(0) {
        Ok(parent) => without_root(repo, &parent.tree()?, prefix)?,
        Err(_) => repo.treebuilder(None)?.write()?,
    };
    let ancestor = repo.find_tree(ancestor)?;
    let theirs = repo.find_tree(without_root(repo, &commit.tree()?, prefix)?)?;
    let ours = repo.find_tree(onto)?;
    let mut merged = repo.merge_trees(&ancestor, &ours, &theirs, None)?;
    if merged.has_conflicts() {
        let path = merged
            .conflicts()?
            .flatten()
            .find_map(|c| {
                [c.our, c.their, c.ancestor]
                    .into_iter()
                    .flatten()
                    .next()
                    .map(|e| String::from_utf8_lossy(&e.path).into_owned())
            })
            .unwrap_or_default();
        return Err(SyncError::Conflict {
            commit: crate::text::short_id(commit.id()),
            path,
        });
    }
    Ok(merged.write_tree_to(repo)?)
}

/// What the trust root of `new` changes from that of `old`: MAINTAINERS and quorate.toml read
/// where the workspace reads them, from each commit (a trust root pinned outside the
/// repository reads the same either way, so it never shows a change).
fn trust_changes(
    repo: &Repository,
    old: Oid,
    new: Oid,
    workspace: &Workspace,
) -> Result<Vec<TrustChange>, String> {
    let (old_maintainers, old_threshold) = trust_root_at(repo, old, workspace)?;
    let (new_maintainers, new_threshold) = trust_root_at(repo, new, workspace)?;
    Ok(crate::judge::trust::diff(
        &old_maintainers,
        old_threshold,
        &new_maintainers,
        new_threshold,
    ))
}

fn trust_root_at(
    repo: &Repository,
    commit: Oid,
    workspace: &Workspace,
) -> Result<(Maintainers, Option<u32>), String> {
    let short = crate::text::short_id(commit);
    let at = |e: String| format!("at {short}: {e}");
    let handle = Repository::open(repo.path()).map_err(|e| at(e.message().to_string()))?;
    let revision = Revision::open(handle, &commit.to_string(), &workspace.root)
        .map_err(|e| at(e.message().to_string()))?;
    // Named as every path quorate prints: relative to the workspace.
    let maintainers =
        Maintainers::load(&revision, &workspace.maintainers_path).map_err(|mut e| {
            e.path = PathBuf::from(workspace.display_path(&e.path));
            at(e.to_string())
        })?;
    let config =
        crate::workspace::load_config(&revision, &workspace.root).map_err(|e| at(e.to_string()))?;
    Ok((
        maintainers,
        config.threshold.map(crate::workspace::Threshold::get),
    ))
}

fn ensure_clean(repo: &Repository, prefix: &Path) -> Result<(), SyncError> {
    let mut options = git2::StatusOptions::new();
    options.include_untracked(true);
    if !prefix.as_os_str().is_empty() {
        options.pathspec(prefix);
    }
    let statuses = repo.statuses(Some(&mut options))?;
    if statuses
        .iter()
        .any(|s| s.status() != git2::Status::CURRENT && s.status() != git2::Status::IGNORED)
    {
        return Err(SyncError::Dirty(prefix.display().to_string()));
    }
    Ok(())
}

/// The signature numbers a directory of a tree holds, with their blobs.
fn numbers_in(
    repo: &Repository,
    tree: &git2::Tree,
    dir: &Path,
) -> Result<BTreeMap<u32, Oid>, SyncError> {
    numbered_in(repo, tree, dir, crate::workspace::tree::signature_number)
}

/// The files of `dir` in `tree` whose names `number` reads, by number.
fn numbered_in(
    repo: &Repository,
    tree: &git2::Tree,
    dir: &Path,
    number: fn(&str) -> Option<u32>,
) -> Result<BTreeMap<u32, Oid>, SyncError> {
    let mut out = BTreeMap::new();
    let Ok(entry) = tree.get_path(dir) else {
        return Ok(out);
    };
    let sub = repo.find_tree(entry.id())?;
    for item in sub.iter() {
        if let Some(n) = item.name().and_then(number) {
            out.insert(n, item.id());
        }
    }
    Ok(out)
}

/// A replayed signature must count for its image, in the directory it lands in.
fn check_replayed(
    repo: &Repository,
    blob: Oid,
    prefix: &Path,
    target: &Path,
    workspace: &Workspace,
    verifier: &Verifier,
) -> Result<crate::keys::verify::Verdict, SyncError> {
    let shown = target.display().to_string();
    let fail = |why: String| SyncError::WouldNotCount {
        path: shown.clone(),
        why,
    };
    let relative = target.strip_prefix(prefix).unwrap_or(target);
    let dir = relative
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (path, digest) = crate::workspace::tree::parse_image_dir(&dir)
        .ok_or_else(|| fail("its directory names no image".into()))?;
    let domain = Reference::parse(workspace.namespace())
        .map(|r| r.domain().to_string())
        .unwrap_or_else(|_| "docker.io".into());
    let reference = Reference::with_parts(&format!("{domain}/{path}"), None, Some(digest.clone()))
        .map_err(|e| fail(e.to_string()))?;
    let blob = repo.find_blob(blob)?;
    let expected = Expected {
        reference: Some(&reference),
        directory: Some((reference.path(), &digest)),
    };
    let verdict = if crate::judge::quorum::is_bundle_file(target) {
        verifier.verify_bundle_bytes(blob.content(), &expected)
    } else {
        verifier.verify_bytes(blob.content(), &expected)
    };
    if !verdict.counts() {
        let why: Vec<String> = verdict.problems.iter().map(|p| p.to_string()).collect();
        return Err(fail(why.join("; ")));
    }
    Ok(verdict)
}

/// Runs git; a failure is git's stderr as git printed it (lines kept), or why git could not run.
fn git_output(dir: &Path, args: &[&str]) -> Result<(), String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr)
        .trim_end()
        .to_string();
    Err(if stderr.is_empty() {
        format!("git exited with {}", output.status)
    } else {
        stderr
    })
}

/// Runs git; a failure names the git command, git's own lines below it.
fn run_git(dir: &Path, args: &[&str]) -> Result<(), SyncError> {
    git_output(dir, args).map_err(|output| {
        SyncError::Git(format!(
            "git {} failed:\n{output}",
            args.first().unwrap_or(&"")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(byte: u8) -> Oid {
        Oid::from_bytes(&[byte; 20]).unwrap()
    }

    #[test]
    fn a_numbering_changes_only_the_numbers_that_moved() {
        let dir = Path::new("signatures/x@sha256=00");
        let before = BTreeMap::from([(1, blob(1)), (2, blob(2)), (3, blob(3))]);
        let after = BTreeMap::from([(1, blob(1)), (2, blob(3))]);
        let ops: Vec<String> = numbering_ops(dir, &before, &after)
            .iter()
            .map(|op| match op {
                Op::Put(path, b) => format!("put {} {}", path.display(), &b.to_string()[..2]),
                Op::Remove(path) => format!("remove {}", path.display()),
            })
            .collect();
        assert_eq!(
            ops,
            [
                "put signatures/x@sha256=00/signature-2 03",
                "remove signatures/x@sha256=00/signature-3",
            ]
        );
        assert!(numbering_ops(dir, &before, &before).is_empty());
    }
}
