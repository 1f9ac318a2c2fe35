//! The git repository that holds the signatures tree: found from signatures/ upward, never above
//! the workspace, and committed to one file at a time so a user's own staged changes are never
//! swept into quorate's commit.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use git2::{ErrorCode, Oid, Repository, RepositoryOpenFlags};

/// How long a commit keeps retrying a locked index or a moved branch.
pub(crate) const RETRY_FOR: Duration = Duration::from_secs(10);

/// A commit that failed.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct GitError {
    /// One line saying what failed.
    pub message: String,
}

crate::fault::always!(Input: GitError);

impl From<git2::Error> for GitError {
    fn from(e: git2::Error) -> GitError {
        GitError {
            message: crate::text::one_line(e.message()),
        }
    }
}

/// What libgit2 keeps in memory, bounded. It maps pack files in windows of up to 1 GiB and keeps
/// up to 8 GiB of them mapped, every page it reads staying resident: windows of 8 MiB, at most 32
/// MiB mapped. And it caches every commit and small tree it reads, up to 256 MiB: `--at REV`
/// keeps each tree it reads parsed itself (`fs::source::Revision`), so the cache held a second
/// copy of each, up to 83 MB at 100,000 signatures (`quorate audit --at HEAD`: peak RSS 188 MB
/// with it, 105 MB without, no slower; docs/performance.md). Global libgit2 settings: call once
/// at start, before any thread uses git.
pub fn bound_git_memory() {
    // SAFETY: libgit2's global options are plain stores; the program calls this first thing,
    // from its only thread, before any repository is opened.
    unsafe {
        let _ = git2::opts::set_mwindow_size(8 << 20);
        let _ = git2::opts::set_mwindow_mapped_limit(32 << 20);
    }
    git2::opts::enable_caching(false);
}

/// Finds the repository whose work tree holds `start`, searching upward but not above
/// `workspace`. None when there is none (the tree then works without git). The search starts
/// from the deepest real directory on the way from the workspace to `start`: a link in the
/// workspace never decides which repository is read or written.
pub fn discover(start: &Path, workspace: &Path) -> Option<Repository> {
    let real_workspace = workspace.canonicalize().ok()?;
    let mut from = real_workspace.clone();
    let below = crate::fs::path::relative_to(workspace, start).unwrap_or_default();
    for name in below.iter() {
        let next = from.join(name);
        match std::fs::symlink_metadata(&next) {
            Ok(meta) if meta.is_dir() => from = next,
            _ => break,
        }
    }
    let start = from;
    let workspace = real_workspace;
    let ceiling: Vec<PathBuf> = workspace
        .parent()
        .map(Path::to_path_buf)
        .into_iter()
        .collect();
    let repo = Repository::open_ext(&start, RepositoryOpenFlags::empty(), &ceiling).ok()?;
    let workdir = repo.workdir()?.canonicalize().ok()?;
    // The work tree must be the workspace or inside it.
    workdir.starts_with(&workspace).then_some(repo)
}

/// The path of `file` relative to the repository's work tree, with `/` separators.
pub(crate) fn relative_path(repo: &Repository, file: &Path) -> Result<PathBuf, GitError> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| GitError {
            message: "the repository is bare".into(),
        })?
        .canonicalize()
        .map_err(|e| GitError {
            message: e.to_string(),
        })?;
    // The file may be gone (a removal): resolve what exists of its path.
    let file = crate::fs::path::absolute(file);
    file.strip_prefix(&workdir)
        .map(Path::to_path_buf)
        .map_err(|_| GitError {
            message: format!("{} is outside the repository's work tree", file.display()),
        })
}

/// The files among `paths` that no commit holds yet (new in the work tree or only staged).
pub(crate) fn uncommitted(repo: &Repository, paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .filter(|path| {
            relative_path(repo, path)
                .ok()
                .and_then(|relative| repo.status_file(&relative).ok())
                .is_some_and(|status| status.is_wt_new() || status.is_index_new())
        })
        .cloned()
        .collect()
}

/// The files HEAD holds directly in `dir` (a directory of the work tree), as work-tree paths:
/// what a commit of that directory must account for when some are gone from the work tree.
pub(crate) fn files_at_head(repo: &Repository, dir: &Path) -> Vec<PathBuf> {
    let Ok(relative) = relative_path(repo, dir) else {
        return Vec::new();
    };
    let Some(tree) = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_tree().ok())
        .and_then(|t| t.get_path(&relative).ok())
        .and_then(|e| e.to_object(repo).ok())
        .and_then(|o| o.into_tree().ok())
    else {
        return Vec::new();
    };
    tree.iter()
        .filter(|e| e.kind() == Some(git2::ObjectType::Blob))
        .filter_map(|e| e.name().map(|n| dir.join(n)))
        .collect()
}

/// Who a commit is by when git has no user.name/user.email configured.
#[derive(Debug, Clone)]
pub struct FallbackIdentity {
    /// A name.
    pub name: String,
    /// An email.
    pub email: String,
}

/// Commits files written and files removed, and only them, on top of the current branch: each
/// file is staged in the index beside whatever the user had staged, the new tree is HEAD's tree
/// with these files added or removed (never the index's), and the branch moves only if no one
/// moved it meanwhile (otherwise the tree is rebuilt and the commit retried).
pub(crate) fn commit_changes(
    repo: &Repository,
    files: &[PathBuf],
    removed: &[PathBuf],
    message: &str,
    fallback: &FallbackIdentity,
) -> Result<Oid, GitError> {
    let relative: Vec<PathBuf> = files
        .iter()
        .map(|f| relative_path(repo, f))
        .collect::<Result<_, _>>()?;
    let gone: Vec<PathBuf> = removed
        .iter()
        .map(|f| relative_path(repo, f))
        .collect::<Result<_, _>>()?;
    let signature = repo
        .signature()
        .or_else(|_| git2::Signature::now(&fallback.name, &fallback.email))?;
    let branch = match repo.find_reference("HEAD")?.symbolic_target() {
        Some(target) => target.to_string(),
        None => {
            return Err(GitError {
                message: "HEAD is detached: check out a branch to commit signatures".into(),
            })
        }
    };
    // Stage first: the index lock is what concurrent git users contend for, and a commit made
    // while the index could not be updated would leave the work tree looking changed.
    let deadline = Instant::now() + RETRY_FOR;
    // libgit2 locks the index only while writing it, so two quorate processes could each read the
    // index, add their file and write it back, and one entry would be lost. quorate processes
    // therefore take turns for the read-modify-write of the index and the commit.
    let _turn = RepoLock::acquire(repo, deadline)?;
    retry(deadline, || stage(repo, &relative, &gone))?;
    crate::failpoint("git-staged");
    let commit = retry(deadline, || {
        try_commit(repo, &branch, &relative, &gone, message, &signature)
    })?;
    crate::failpoint("git-committed");
    Ok(commit)
}

/// `.git/quorate.lock`, holding the owner's process id; removed when dropped. A lock whose owner
/// is gone (killed mid-commit) is taken over. Every quorate command that changes the branch,
/// the index or the work tree's committed files holds it: `commit_changes` while it commits,
/// `sync` for its whole run.
pub(crate) struct RepoLock {
    path: PathBuf,
}

// The lock lives in the repository's own git directory, not in the work tree quorate confines.
#[allow(clippy::disallowed_methods)]
impl RepoLock {
    pub(crate) fn acquire(repo: &Repository, deadline: Instant) -> Result<RepoLock, GitError> {
        use std::io::Write;
        let path = repo.path().join("quorate.lock");
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut file) => {
                    let _ = write!(file, "{}", std::process::id());
                    return Ok(RepoLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let owner = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| t.trim().parse::<i32>().ok());
                    // An empty lock is one being written right now; give its owner time.
                    if owner.is_some_and(|pid| !process_alive(pid)) {
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    if Instant::now() >= deadline {
                        return Err(GitError {
                            message: format!(
                                "another quorate is committing or syncing ({} is held)",
                                path.display()
                            ),
                        });
                    }
                    std::thread::sleep(backoff());
                }
                Err(e) => {
                    return Err(GitError {
                        message: format!("{}: {e}", path.display()),
                    })
                }
            }
        }
    }
}

#[allow(clippy::disallowed_methods)]
impl Drop for RepoLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn process_alive(pid: i32) -> bool {
    // Signal 0 checks existence; EPERM means it exists under another user.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Runs `step` until it succeeds, fails for a reason other than contention, or time runs out.
fn retry<T>(
    deadline: Instant,
    mut step: impl FnMut() -> Result<T, git2::Error>,
) -> Result<T, GitError> {
    loop {
        match step() {
            Ok(value) => return Ok(value),
            Err(e) if is_transient(&e) && Instant::now() < deadline => {
                std::thread::sleep(backoff())
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn try_commit(
    repo: &Repository,
    branch: &str,
    files: &[PathBuf],
    removed: &[PathBuf],
    message: &str,
    signature: &git2::Signature,
) -> Result<Oid, git2::Error> {
    let parent = match repo.find_reference(branch) {
        Ok(r) => Some(r.peel_to_commit()?),
        Err(e) if e.code() == ErrorCode::NotFound => None,
        Err(e) => return Err(e),
    };
    let baseline = match &parent {
        Some(commit) => commit.tree()?,
        None => repo.find_tree(repo.treebuilder(None)?.write()?)?,
    };
    let workdir = repo.workdir().expect("checked by relative_path");
    let mut update = git2::build::TreeUpdateBuilder::new();
    for file in removed {
        if baseline.get_path(file).is_ok() {
            update.remove(path_for_git(file));
        }
    }
    for file in files {
        let blob = repo.blob_path(&workdir.join(file))?;
        update.upsert(path_for_git(file), blob, git2::FileMode::Blob);
    }
    let tree = repo.find_tree(update.create_updated(repo, &baseline)?)?;
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    let oid = write_commit(repo, signature, signature, message, &tree, &parents)?;
    let log = format!("commit: {}", message.lines().next().unwrap_or(""));
    match &parent {
        // Compare-and-swap: fails with Modified if another process moved the branch.
        Some(p) => repo.reference_matching(branch, oid, true, p.id(), &log)?,
        None => repo.reference(branch, oid, false, &log)?,
    };
    Ok(oid)
}

/// Writes a commit object (moving no reference) as `git commit` would: signed when the user's
/// configuration asks for it (`commit.gpgsign`). Signing is left to git itself (`git
/// commit-tree`), so `user.signingkey`, `gpg.program`, `gpg.format` and the rest mean what they
/// mean to git; a signature git cannot make fails the commit, as it fails `git commit`.
pub(crate) fn write_commit(
    repo: &Repository,
    author: &git2::Signature,
    committer: &git2::Signature,
    message: &str,
    tree: &git2::Tree,
    parents: &[&git2::Commit],
) -> Result<Oid, git2::Error> {
    let sign = repo
        .config()
        .and_then(|c| c.get_bool("commit.gpgsign"))
        .unwrap_or(false);
    if !sign {
        return repo.commit(None, author, committer, message, tree, parents);
    }
    // Class Callback marks it as no contention: retrying would only ask gpg (or a pinentry)
    // again.
    let fail = |what: String| {
        git2::Error::new(
            ErrorCode::User,
            git2::ErrorClass::Callback,
            format!("the signed commit failed: {what}"),
        )
    };
    let mut command = std::process::Command::new("git");
    command
        .arg("--git-dir")
        .arg(repo.path())
        .args(["commit-tree", "-S", "-F", "-"])
        .arg(tree.id().to_string());
    for parent in parents {
        command.arg("-p").arg(parent.id().to_string());
    }
    for (role, who) in [("AUTHOR", author), ("COMMITTER", committer)] {
        let when = who.when();
        let offset = when.offset_minutes();
        let sign = if offset < 0 { '-' } else { '+' };
        command
            .env(format!("GIT_{role}_NAME"), who.name().unwrap_or(""))
            .env(format!("GIT_{role}_EMAIL"), who.email().unwrap_or(""))
            .env(
                format!("GIT_{role}_DATE"),
                format!(
                    "{} {sign}{:02}{:02}",
                    when.seconds(),
                    offset.abs() / 60,
                    offset.abs() % 60
                ),
            );
    }
    let mut child = command
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run git: {e}")))?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped");
        stdin
            .write_all(message.as_bytes())
            .map_err(|e| fail(format!("git commit-tree: {e}")))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| fail(format!("git commit-tree: {e}")))?;
    if !output.status.success() {
        return Err(fail(crate::text::one_line(&String::from_utf8_lossy(
            &output.stderr,
        ))));
    }
    Oid::from_str(String::from_utf8_lossy(&output.stdout).trim())
        .map_err(|_| fail("git commit-tree printed no commit id".into()))
}

fn stage(repo: &Repository, files: &[PathBuf], removed: &[PathBuf]) -> Result<(), git2::Error> {
    let mut index = repo.index()?;
    index.read(true)?;
    for file in removed {
        // Not in the index (never committed) is fine: it is gone either way.
        let _ = index.remove_path(file);
    }
    for file in files {
        index.add_path(file)?;
    }
    index.write()
}

fn path_for_git(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn is_transient(e: &git2::Error) -> bool {
    if e.class() == git2::ErrorClass::Callback {
        return false;
    }
    matches!(
        e.code(),
        ErrorCode::Locked | ErrorCode::Modified | ErrorCode::Exists
    ) || e.message().contains("lock")
}

fn backoff() -> Duration {
    // Jitter keeps concurrent signers from retrying in lockstep.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    Duration::from_millis(5 + u64::from(nanos % 45))
}
