//! Signing at the same time: two maintainers who sign the same digest on their own clones both
//! write `signature-2`. `sync` fetches, replays the local unpublished signature commits on top of
//! the remote branch with the files renumbered to the next free numbers, verifies the result and
//! pushes. Local work uses git2; fetching and pushing call the user's `git`, so credentials and
//! remotes just work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use git2::{Delta, DiffOptions, Oid, Repository, Sort};

use crate::maintainers::Maintainers;
use crate::reference::Reference;
use crate::source::Revision;
use crate::tree::{TreeError, MAX_SIGNATURES};
use crate::trust::TrustChange;
use crate::verify::{Expected, Verifier};
use crate::workspace::Workspace;

/// Why `sync` stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The tree is not in a git repository, or HEAD is not a branch (exit 2).
    #[error("{0}")]
    Setup(String),
    /// Local changes under signatures/ are not committed (exit 1).
    #[error("uncommitted changes under {0}: commit or remove them first")]
    Dirty(String),
    /// A local commit changes more than adding signature files (exit 1).
    #[error("commit {0} changes more than adding signatures; rebase it by hand")]
    NotASignatureCommit(String),
    /// A replayed signature does not count (exit 1).
    #[error("{path}: the replayed signature would not count: {why}")]
    WouldNotCount {
        /// The file.
        path: String,
        /// Its reasons.
        why: String,
    },
    /// A replayed signature would land past the 128 podman reads: refused as `sign` refuses it
    /// (exit 1).
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// The branch or the signatures tree changed after sync read them (someone committed or
    /// wrote meanwhile): nothing was moved or pushed (exit 1).
    #[error("{0} while sync ran: nothing was moved or pushed; run sync again")]
    ChangedMeanwhile(String),
    /// `git fetch` failed, or the repository could not be read or updated (exit 1).
    /// The checkout would write or delete through a link (exit 1).
    #[error(transparent)]
    Link(#[from] crate::confine::ConfineError),
    /// `git fetch` or `git push` failed (exit 1).
    #[error("{0}")]
    Git(String),
}

impl From<git2::Error> for SyncError {
    fn from(e: git2::Error) -> SyncError {
        SyncError::Git(crate::maintainers::one_line(e.message()))
    }
}

/// What `sync` did.
#[derive(Debug, Default)]
pub struct Synced {
    /// Local commits replayed.
    pub replayed: usize,
    /// Signature files placed: (original path, new path), repository-relative.
    pub placed: Vec<(PathBuf, PathBuf)>,
    /// Signatures already on the remote (the same bytes in the same directory): dropped.
    pub already_there: Vec<PathBuf>,
    /// How the trust root (MAINTAINERS' people and keys, quorate.toml's threshold) of the new
    /// tip differs from the old local tip's.
    pub trust_changes: Vec<TrustChange>,
    /// Why the two trust roots could not be compared, when they could not.
    pub trust_unreadable: Option<String>,
    /// The new tip.
    pub tip: Option<Oid>,
    /// Where it was pushed.
    pub pushed_to: Option<String>,
    /// Why the push failed, when it did: the branch has moved to the new tip all the same.
    pub push_error: Option<String>,
}

/// One local commit to replay, and where each of its files lands.
struct Replay {
    commit: Oid,
    /// (original path, new path, blob).
    placed: Vec<(PathBuf, PathBuf, Oid)>,
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
    let repo = crate::git::discover(&workspace.signatures_dir, &workspace.root)
        .ok_or_else(|| SyncError::Setup("the signatures tree is not in a git repository".into()))?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| SyncError::Setup("the repository is bare".into()))?
        .canonicalize()
        .map_err(|e| SyncError::Setup(e.to_string()))?;
    // Held until sync returns: sign, add, withdraw and repair commit under this lock, so none of
    // them moves the branch or rewrites the index between the replay and the checkout (which
    // would otherwise undo their commit in the work tree).
    let _turn = crate::git::RepoLock::acquire(&repo, Instant::now() + crate::git::RETRY_FOR)
        .map_err(|e| SyncError::Git(e.message))?;
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

    run_git(&workdir, &["fetch", "--quiet", remote, &branch])?;
    let remote_tip = repo.revparse_single("FETCH_HEAD")?.peel_to_commit()?.id();
    let local_tip = repo.find_reference(&head_ref)?.peel_to_commit()?.id();

    // The local commits the remote does not have, oldest first.
    let mut walk = repo.revwalk()?;
    walk.push(local_tip)?;
    walk.hide(remote_tip)?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    let local: Vec<Oid> = walk.collect::<Result<_, _>>()?;

    let mut synced = Synced::default();
    // Every refusal is decided here, before any object is written or anything moves.
    let plan = plan_replay(
        &repo,
        &local,
        remote_tip,
        &prefix,
        workspace,
        verifier,
        &mut synced,
    )?;
    let mut tip = repo.find_commit(remote_tip)?;
    for replay in &plan {
        tip = replay_commit(&repo, &tip, replay)?;
        synced.replayed += 1;
        synced.placed.extend(
            replay
                .placed
                .iter()
                .map(|(from, to, _)| (from.clone(), to.clone())),
        );
    }
    crate::pause("sync-replayed");

    if tip.id() != local_tip {
        // git's own lock on the branch, held from the check to the move, so not even a plain
        // `git commit` can slip in between.
        let mut transaction = repo.transaction()?;
        transaction.lock_ref(&head_ref).map_err(|_| {
            SyncError::ChangedMeanwhile(format!("the branch {current} is being updated"))
        })?;
        if repo.find_reference(&head_ref)?.peel_to_commit()?.id() != local_tip {
            return Err(SyncError::ChangedMeanwhile(format!(
                "the branch {current} moved"
            )));
        }
        match ensure_clean(&repo, &prefix) {
            Ok(()) => {}
            Err(SyncError::Dirty(_)) => {
                return Err(SyncError::ChangedMeanwhile(format!(
                    "{} changed",
                    workspace.display_path(&workspace.signatures_dir)
                )))
            }
            Err(other) => return Err(other),
        }
        (synced.trust_changes, synced.trust_unreadable) =
            match trust_changes(&repo, local_tip, tip.id(), workspace) {
                Ok(changes) => (changes, None),
                Err(why) => (Vec::new(), Some(why)),
            };
        // Every file the checkout writes or deletes is reached without a link: refused first.
        let old = repo.find_commit(local_tip)?;
        let moving = repo.diff_tree_to_tree(Some(&old.tree()?), Some(&tip.tree()?), None)?;
        for delta in moving.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                if let Some(path) = file.path() {
                    crate::confine::check(&workdir, &workdir.join(path))?;
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
                    crate::maintainers::one_line(e.message())
                ))
            })?;
        transaction.set_target(&head_ref, tip.id(), None, "quorate sync")?;
        transaction.commit().map_err(|e| {
            SyncError::Git(format!(
                "the work tree holds {} but {current} could not be moved to it ({}): run git reset --soft {}",
                tip.id(),
                crate::maintainers::one_line(e.message()),
                tip.id()
            ))
        })?;
    }
    synced.tip = Some(tip.id());

    let destination = push_to.unwrap_or(&branch);
    if tip.id() != remote_tip || push_to.is_some() {
        // The tip sync verified, not whatever HEAD is by the time git runs.
        let refspec = format!("{}:refs/heads/{destination}", tip.id());
        match run_git(&workdir, &["push", "--quiet", remote, &refspec]) {
            Ok(()) => synced.pushed_to = Some(format!("{remote} {destination}")),
            Err(e) => synced.push_error = Some(e.to_string()),
        }
    }
    Ok(synced)
}

/// Decides where each file of each local commit lands on top of the remote tip, and checks
/// each would count there: every refusal happens here, before anything is written.
fn plan_replay(
    repo: &Repository,
    local: &[Oid],
    remote_tip: Oid,
    prefix: &Path,
    workspace: &Workspace,
    verifier: &Verifier,
    synced: &mut Synced,
) -> Result<Vec<Replay>, SyncError> {
    let remote_tree = repo.find_commit(remote_tip)?.tree()?;
    // Per image directory: the numbers taken so far, on the remote and by earlier replays.
    let mut taken: BTreeMap<PathBuf, BTreeMap<u32, Oid>> = BTreeMap::new();
    let mut plan = Vec::new();
    for id in local {
        let commit = repo.find_commit(*id)?;
        let parent_tree = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
        let mut options = DiffOptions::new();
        let diff = repo.diff_tree_to_tree(
            parent_tree.as_ref(),
            Some(&commit.tree()?),
            Some(&mut options),
        )?;
        let mut added = Vec::new();
        for delta in diff.deltas() {
            let path = delta
                .new_file()
                .path()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            if delta.status() != Delta::Added || !path.starts_with(prefix) {
                return Err(SyncError::NotASignatureCommit(
                    id.to_string()[..12].to_string(),
                ));
            }
            added.push((path, delta.new_file().id()));
        }
        if commit.parent_count() > 1 {
            // A merge brings nothing of its own here: what it merged is replayed on its own.
            continue;
        }
        let mut placed = Vec::new();
        for (path, blob) in added {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let target = if crate::tree::signature_number(name).is_some() {
                let numbers = match taken.entry(dir.clone()) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(numbers_in(repo, &remote_tree, &dir)?)
                    }
                };
                if numbers.values().any(|b| *b == blob) {
                    synced.already_there.push(path.clone());
                    continue;
                }
                // The lowest free number, never past what podman reads: signature-129 would
                // be pushed and never seen, so it is refused exactly as sign refuses it.
                let Some(free) = (1..=MAX_SIGNATURES).find(|n| !numbers.contains_key(n)) else {
                    return Err(TreeError::Full(dir).into());
                };
                numbers.insert(free, blob);
                dir.join(format!("signature-{free}"))
            } else {
                path.clone()
            };
            check_replayed(repo, blob, prefix, &target, workspace, verifier)?;
            placed.push((path, target, blob));
        }
        if !placed.is_empty() {
            plan.push(Replay {
                commit: *id,
                placed,
            });
        }
    }
    Ok(plan)
}

/// Writes one planned commit on top of `tip`, with the original's author and message and the
/// renumbering noted.
fn replay_commit<'r>(
    repo: &'r Repository,
    tip: &git2::Commit<'r>,
    replay: &Replay,
) -> Result<git2::Commit<'r>, SyncError> {
    let commit = repo.find_commit(replay.commit)?;
    let mut update = git2::build::TreeUpdateBuilder::new();
    for (_, target, blob) in &replay.placed {
        update.upsert(
            target.to_string_lossy().as_ref(),
            *blob,
            git2::FileMode::Blob,
        );
    }
    let tree = repo.find_tree(update.create_updated(repo, &tip.tree()?)?)?;
    let mut message = commit.message().unwrap_or("").trim_end().to_string();
    let renamed: Vec<String> = replay
        .placed
        .iter()
        .filter(|(from, to, _)| from != to)
        .map(|(from, to, _)| {
            format!(
                "Renumbered by quorate sync: {} -> {}",
                from.display(),
                to.display()
            )
        })
        .collect();
    if !renamed.is_empty() {
        message.push_str("\n\n");
        message.push_str(&renamed.join("\n"));
    }
    message.push('\n');
    let committer = repo
        .signature()
        .unwrap_or_else(|_| commit.committer().to_owned());
    let new = repo.commit(None, &commit.author(), &committer, &message, &tree, &[tip])?;
    Ok(repo.find_commit(new)?)
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
    Ok(crate::trust::diff(
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
    let short = &commit.to_string()[..12];
    let at = |e: String| format!("at {short}: {e}");
    let handle = Repository::open(repo.path()).map_err(|e| at(e.message().to_string()))?;
    let revision = Revision::open(handle, &commit.to_string(), &workspace.root)
        .map_err(|e| at(e.message().to_string()))?;
    let maintainers =
        Maintainers::load(&revision, &workspace.maintainers_path).map_err(|e| at(e.to_string()))?;
    let config = crate::workspace::load_config(&revision, &workspace.root.join("quorate.toml"))
        .map_err(|e| at(e.to_string()))?;
    Ok((maintainers, config.threshold))
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
    let mut out = BTreeMap::new();
    let Ok(entry) = tree.get_path(dir) else {
        return Ok(out);
    };
    let sub = repo.find_tree(entry.id())?;
    for item in sub.iter() {
        if let Some(n) = item.name().and_then(crate::tree::signature_number) {
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
) -> Result<(), SyncError> {
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
    let (path, digest) = crate::tree::parse_image_dir(&dir)
        .ok_or_else(|| fail("its directory names no image".into()))?;
    let domain = Reference::parse(workspace.namespace())
        .map(|r| r.domain().to_string())
        .unwrap_or_else(|_| "docker.io".into());
    let reference = Reference::with_parts(&format!("{domain}/{path}"), None, Some(digest.clone()))
        .map_err(|e| fail(e.to_string()))?;
    let blob = repo.find_blob(blob)?;
    let verdict = verifier.verify_bytes(
        blob.content(),
        &Expected {
            reference: Some(&reference),
            directory: Some((reference.path(), &digest)),
        },
    );
    if !verdict.counts() {
        let why: Vec<String> = verdict.problems.iter().map(|p| p.to_string()).collect();
        return Err(fail(why.join("; ")));
    }
    Ok(())
}

fn run_git(dir: &Path, args: &[&str]) -> Result<(), SyncError> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| SyncError::Git(format!("cannot run git: {e}")))?;
    if !output.status.success() {
        return Err(SyncError::Git(format!(
            "git {} failed: {}",
            args.first().unwrap_or(&""),
            crate::maintainers::one_line(&String::from_utf8_lossy(&output.stderr))
        )));
    }
    Ok(())
}
