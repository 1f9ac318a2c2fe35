//! Signing at the same time: two maintainers who sign the same digest on their own clones both
//! write `signature-2`. `sync` fetches, replays the local unpublished signature commits on top of
//! the remote branch with the files renumbered to the next free numbers, verifies the result and
//! pushes. Local work uses git2; fetching and pushing call the user's `git`, so credentials and
//! remotes just work.

use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{Delta, DiffOptions, Oid, Repository, Sort};

use crate::reference::Reference;
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
    /// The new tip.
    pub tip: Option<Oid>,
    /// Where it was pushed.
    pub pushed_to: Option<String>,
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
    let head_ref = repo
        .find_reference("HEAD")?
        .symbolic_target()
        .map(str::to_string)
        .ok_or_else(|| SyncError::Setup("HEAD is detached: check out a branch to sync".into()))?;
    let current = head_ref.trim_start_matches("refs/heads/").to_string();
    let branch = branch.map(str::to_string).unwrap_or(current);
    let prefix = workspace
        .repo_path(&workdir, &workspace.signatures_dir)
        .unwrap_or_default();
    ensure_clean(&repo, &prefix)?;

    run_git(&workdir, &["fetch", "--quiet", remote, &branch])?;
    let remote_tip = repo.revparse_single("FETCH_HEAD")?.peel_to_commit()?.id();
    let local_tip = repo.head()?.peel_to_commit()?.id();

    // The local commits the remote does not have, oldest first.
    let mut walk = repo.revwalk()?;
    walk.push(local_tip)?;
    walk.hide(remote_tip)?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    let local: Vec<Oid> = walk.collect::<Result<_, _>>()?;

    let mut synced = Synced::default();
    let mut tip = repo.find_commit(remote_tip)?;
    for id in &local {
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
            if delta.status() != Delta::Added || !path.starts_with(&prefix) {
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
        let mut tree = tip.tree()?;
        let mut placed_here = Vec::new();
        for (path, blob) in added {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let target = if crate::tree::signature_number(name).is_some() {
                let taken = numbers_in(&repo, &tree, &dir)?;
                if taken.values().any(|b| *b == blob) {
                    synced.already_there.push(path.clone());
                    continue;
                }
                let free = (1..)
                    .find(|n| !taken.contains_key(n))
                    .expect("a free number exists");
                dir.join(format!("signature-{free}"))
            } else {
                path.clone()
            };
            let mut update = git2::build::TreeUpdateBuilder::new();
            update.upsert(
                target.to_string_lossy().as_ref(),
                blob,
                git2::FileMode::Blob,
            );
            tree = repo.find_tree(update.create_updated(&repo, &tree)?)?;
            placed_here.push((path, target));
        }
        if placed_here.is_empty() {
            continue;
        }
        for (_, target) in &placed_here {
            check_replayed(&repo, &tree, &prefix, target, workspace, verifier)?;
        }
        let mut message = commit.message().unwrap_or("").trim_end().to_string();
        let renamed: Vec<String> = placed_here
            .iter()
            .filter(|(from, to)| from != to)
            .map(|(from, to)| {
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
        let new = repo.commit(None, &commit.author(), &committer, &message, &tree, &[&tip])?;
        tip = repo.find_commit(new)?;
        synced.replayed += 1;
        synced.placed.extend(placed_here);
    }

    // Move the branch and the work tree to the result (a fast-forward when nothing was local).
    let old = repo.find_commit(local_tip)?;
    // Every file the checkout writes or deletes is reached without a link: refused first.
    let moving = repo.diff_tree_to_tree(Some(&old.tree()?), Some(&tip.tree()?), None)?;
    for delta in moving.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            if let Some(path) = file.path() {
                crate::confine::check(&workdir, &workdir.join(path))?;
            }
        }
    }
    let mut checkout = git2::build::CheckoutBuilder::new();
    checkout.safe();
    repo.checkout_tree(tip.as_object(), Some(&mut checkout))?;
    repo.reference_matching(&head_ref, tip.id(), true, old.id(), "quorate sync")?;
    synced.tip = Some(tip.id());

    let destination = push_to.unwrap_or(&branch);
    if tip.id() != remote_tip || push_to.is_some() {
        run_git(
            &workdir,
            &[
                "push",
                "--quiet",
                remote,
                &format!("HEAD:refs/heads/{destination}"),
            ],
        )?;
        synced.pushed_to = Some(format!("{remote} {destination}"));
    }
    Ok(synced)
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
) -> Result<std::collections::BTreeMap<u32, Oid>, SyncError> {
    let mut out = std::collections::BTreeMap::new();
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

/// A replayed signature must count for its image, as the tree now holds it.
fn check_replayed(
    repo: &Repository,
    tree: &git2::Tree,
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
    let blob = repo.find_blob(tree.get_path(target)?.id())?;
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
