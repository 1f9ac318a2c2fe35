//! What the git history of the signatures repository says: which commit added each signature
//! file (computed in one pass over history, not once per file), and, with `--history`, which
//! signatures vanished (rollback), were overwritten (rewriting), moved or were withdrawn.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use std::sync::Arc;

use git2::{Oid, Repository, Sort, Tree};
use serde::Serialize;

/// The directory, under the signatures root, where `quorate withdraw` keeps its signed
/// statements. podman never requests it.
pub const WITHDRAWALS_DIR: &str = ".quorate/withdrawals";

/// One commit, as an auditor wants to see it.
#[derive(Debug, Clone, Serialize)]
pub struct CommitInfo {
    /// The commit id.
    pub id: String,
    /// `Name <email>` of the author.
    pub author: String,
    /// The commit time (committer), RFC 3339 UTC.
    pub date: String,
    /// True when the commit carries a signature (gpgsig).
    pub signed: bool,
    /// The maintainer whose key made that signature, when it verifies against the keyring.
    pub signed_by: Option<String>,
    #[serde(skip)]
    /// The commit time, for comparisons.
    pub time: SystemTime,
}

impl CommitInfo {
    fn of(repo: &Repository, commit: &git2::Commit) -> CommitInfo {
        let time = UNIX_EPOCH + Duration::from_secs(commit.time().seconds().max(0) as u64);
        let author = commit.author();
        CommitInfo {
            id: commit.id().to_string(),
            author: format!(
                "{} <{}>",
                author.name().unwrap_or("?"),
                author.email().unwrap_or("?")
            ),
            date: crate::text::fmt_time(time),
            signed: repo.extract_signature(&commit.id(), None).is_ok(),
            signed_by: None,
            time,
        }
    }
}

/// Which commit introduced each (path, content) under the signatures root.
#[derive(Debug, Default)]
pub struct Attribution {
    /// Each (path, content) and the commit that added it, an index into `commits`: a commit
    /// is kept once, however many files it added (100,000 in a large tree's one commit).
    added: HashMap<(PathBuf, Oid), usize>,
    commits: Vec<CommitInfo>,
}

impl Attribution {
    /// Fills in who signed each commit, once per commit.
    pub fn set_signers(&mut self, signer: &dyn Fn(&str) -> Option<String>) {
        for info in &mut self.commits {
            if info.signed {
                info.signed_by = signer(&info.id);
            }
        }
    }

    /// The commit that added this content at this path (the path relative to the repository).
    pub fn added(&self, path: &Path, blob: Oid) -> Option<&CommitInfo> {
        let index = *self.added.get(&(path.to_path_buf(), blob))?;
        self.commits.get(index)
    }
}

/// Walks the history reachable from `tip` once, oldest first. A commit introduces a (path,
/// content) when no parent holds that content at that path, so a merge is not credited with
/// what a branch added.
pub fn attribute(repo: &Repository, tip: Oid, prefix: &Path) -> Result<Attribution, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.push(tip)?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    let mut attribution = Attribution::default();
    let mut trees = Trees::default();
    for id in walk {
        let commit = repo.find_commit(id?)?;
        trees.next_commit();
        let first = commit.parents().next().map(|p| p.tree_id());
        let mut info = None;
        let added = changed(repo, &mut trees, first, commit.tree_id(), prefix)?.added_or_modified;
        // Only a merge asks its other parents.
        let parents: Vec<Tree> = match commit.parent_count() {
            0 | 1 => Vec::new(),
            _ => commit
                .parents()
                .map(|p| p.tree())
                .collect::<Result<_, _>>()?,
        };
        for (path, blob) in added {
            let elsewhere = parents
                .iter()
                .skip(1)
                .any(|p| p.get_path(&path).map(|e| e.id() == blob).unwrap_or(false));
            if elsewhere || attribution.added.contains_key(&(path.clone(), blob)) {
                continue;
            }
            let index = *info.get_or_insert_with(|| {
                attribution.commits.push(CommitInfo::of(repo, &commit));
                attribution.commits.len() - 1
            });
            attribution.added.insert((path, blob), index);
        }
    }
    Ok(attribution)
}

/// What changed under `prefix` between two trees.
#[derive(Debug, Default)]
struct Changes {
    added_or_modified: Vec<(PathBuf, Oid)>,
    deleted: Vec<(PathBuf, Oid)>,
    /// (path, old, new) for modifications.
    modified: Vec<(PathBuf, Oid, Oid)>,
}

/// Parsed trees for one walk over history, kept for two commits: the trees a commit shares
/// with its parent are read from git once, not once per commit (libgit2 caches no tree over
/// 4 KiB, so the directory of thousands of image directories would be inflated and hashed again
/// for every commit), and memory holds two commits' trees, not the history's.
#[derive(Default)]
struct Trees {
    current: HashMap<Oid, Arc<TreeEntries>>,
    previous: HashMap<Oid, Arc<TreeEntries>>,
    /// Tree objects read from git's object database.
    read: usize,
}

/// A tree's entries: (name, id, file mode), in the tree's order.
type TreeEntries = Vec<(Vec<u8>, Oid, i32)>;

impl Trees {
    /// The walk moved on by one commit: what the last one used may still be shared.
    fn next_commit(&mut self) {
        self.previous = std::mem::take(&mut self.current);
    }

    fn get(&mut self, repo: &Repository, id: Oid) -> Result<Arc<TreeEntries>, git2::Error> {
        if let Some(entries) = self.current.get(&id) {
            return Ok(Arc::clone(entries));
        }
        let entries = match self.previous.get(&id) {
            Some(entries) => Arc::clone(entries),
            None => {
                self.read += 1;
                let tree = repo.find_tree(id)?;
                Arc::new(
                    tree.iter()
                        .map(|e| (e.name_bytes().to_vec(), e.id(), e.filemode()))
                        .collect(),
                )
            }
        };
        self.current.insert(id, Arc::clone(&entries));
        Ok(entries)
    }

    /// The entry at `path` below the tree `root`, when there is one.
    fn entry(
        &mut self,
        repo: &Repository,
        root: Oid,
        path: &Path,
    ) -> Result<Option<(Oid, i32)>, git2::Error> {
        use std::os::unix::ffi::OsStrExt;
        let mut found = (root, TREE_MODE);
        for name in path.iter() {
            if !is_tree(found.1) {
                return Ok(None);
            }
            let entries = self.get(repo, found.0)?;
            match entries
                .iter()
                .find(|(n, _, _)| n.as_slice() == name.as_bytes())
            {
                Some((_, id, mode)) => found = (*id, *mode),
                None => return Ok(None),
            }
        }
        Ok(Some(found))
    }
}

const TREE_MODE: i32 = 0o040000;

fn is_tree(mode: i32) -> bool {
    mode & 0o170000 == TREE_MODE
}

/// What changed under `prefix` between two trees, as libgit2's tree diff reports it without
/// type changes: a changed file is modified (or deleted and added when it became a link or
/// the reverse), a directory's files are added or deleted one by one, an unchanged directory
/// is never opened.
fn changed(
    repo: &Repository,
    trees: &mut Trees,
    old: Option<Oid>,
    new: Oid,
    prefix: &Path,
) -> Result<Changes, git2::Error> {
    let old = match old {
        Some(root) => trees.entry(repo, root, prefix)?,
        None => None,
    };
    let new = trees.entry(repo, new, prefix)?;
    let mut changes = Changes::default();
    diff_entry(repo, trees, prefix, old, new, &mut changes)?;
    for list in [&mut changes.added_or_modified, &mut changes.deleted] {
        list.sort();
    }
    changes.modified.sort();
    Ok(changes)
}

fn diff_entry(
    repo: &Repository,
    trees: &mut Trees,
    path: &Path,
    old: Option<(Oid, i32)>,
    new: Option<(Oid, i32)>,
    changes: &mut Changes,
) -> Result<(), git2::Error> {
    if old == new {
        return Ok(());
    }
    let (old_tree, old_file) = split(old);
    let (new_tree, new_file) = split(new);
    if old_tree.is_some() || new_tree.is_some() {
        diff_trees(repo, trees, path, old_tree, new_tree, changes)?;
    }
    match (old_file, new_file) {
        (Some((o, om)), Some((n, nm))) if file_type(om) == file_type(nm) => {
            changes.added_or_modified.push((path.to_path_buf(), n));
            changes.modified.push((path.to_path_buf(), o, n));
        }
        (o, n) => {
            if let Some((o, _)) = o {
                changes.deleted.push((path.to_path_buf(), o));
            }
            if let Some((n, _)) = n {
                changes.added_or_modified.push((path.to_path_buf(), n));
            }
        }
    }
    Ok(())
}

/// (tree id, file entry) of an entry.
fn split(entry: Option<(Oid, i32)>) -> (Option<Oid>, Option<(Oid, i32)>) {
    match entry {
        Some((id, mode)) if is_tree(mode) => (Some(id), None),
        other => (None, other),
    }
}

/// A regular file (executable or not), a link, or a submodule: a change between two of these
/// is a type change; the executable bit is not.
fn file_type(mode: i32) -> i32 {
    mode & 0o170000
}

/// An entry on each side of a diff, when there is one: (id, file mode).
type Sides = (Option<(Oid, i32)>, Option<(Oid, i32)>);

fn diff_trees(
    repo: &Repository,
    trees: &mut Trees,
    path: &Path,
    old: Option<Oid>,
    new: Option<Oid>,
    changes: &mut Changes,
) -> Result<(), git2::Error> {
    use std::os::unix::ffi::OsStrExt;
    let old = match old {
        Some(id) => trees.get(repo, id)?,
        None => Arc::default(),
    };
    let new = match new {
        Some(id) => trees.get(repo, id)?,
        None => Arc::default(),
    };
    let mut names: BTreeMap<&[u8], Sides> = BTreeMap::new();
    for (name, id, mode) in old.iter() {
        names.entry(name).or_default().0 = Some((*id, *mode));
    }
    for (name, id, mode) in new.iter() {
        names.entry(name).or_default().1 = Some((*id, *mode));
    }
    for (name, (o, n)) in names {
        let child = path.join(std::ffi::OsStr::from_bytes(name));
        diff_entry(repo, trees, &child, o, n, changes)?;
    }
    Ok(())
}

/// What happened to a signature file's content over history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// A signature's bytes left the place where they count (`signature-N` of their image's
    /// directory) and never came back, and no withdrawal by their maintainer explains it:
    /// whoever can push removed it, wherever the bytes went.
    Rollback,
    /// A path's bytes were replaced by other bytes, and the old bytes count nowhere in their
    /// image's directory any more.
    Rewritten,
    /// The same bytes moved to another number in the same image directory (closing a gap).
    Renumbered,
    /// The maintainer withdrew the signature with `quorate withdraw`: a statement signed by the
    /// signature's own maintainer is in the same commit's tree.
    Withdrawn,
}

/// One thing that happened to one signature's content.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The path (relative to the repository) the bytes were at.
    pub path: PathBuf,
    /// Where they went: the new number of a renumbering, or where the bytes of a rollback
    /// landed (a place where they do not count).
    pub to: Option<PathBuf>,
    /// The git blob id of the bytes.
    pub blob: String,
    /// The commit where it happened.
    pub commit: CommitInfo,
}

/// The image directory of `path` when it is a place where a signature counts: `signature-N`
/// directly in a directory named `<repository path>@sha256=<hex>` under `prefix`.
fn counted_in(prefix: &Path, path: &Path) -> Option<PathBuf> {
    crate::workspace::tree::signature_number(path.file_name()?.to_str()?)?;
    let dir = path.parent()?;
    crate::workspace::tree::parse_image_dir(dir.strip_prefix(prefix).ok()?.to_str()?)?;
    Some(dir.to_path_buf())
}

/// True when `blob` is still at some `signature-N` of `dir` in `tree` (another copy counts).
fn still_counted(repo: &Repository, tree: &Tree, dir: &Path, blob: Oid) -> bool {
    let Some(sub) = tree
        .get_path(dir)
        .ok()
        .and_then(|e| repo.find_tree(e.id()).ok())
    else {
        return false;
    };
    sub.iter().any(|e| {
        e.id() == blob
            && e.name()
                .and_then(crate::workspace::tree::signature_number)
                .is_some()
    })
}

/// Follows signature files by content along the first-parent history from the root commit to
/// `tip`. Only places where a signature counts are followed: bytes that leave one are renumbered
/// when they reach another number of the same image directory in the same commit, withdrawn when
/// `is_withdrawal(commit_tree, bytes)` (a valid statement by their own maintainer), and otherwise
/// a rollback (or a rewrite, when other bytes replaced them) until they come back to that image
/// directory: a copy left under another name, another directory or beside the withdrawal
/// statements does not count, so it does not excuse the removal.
pub fn follow_content(
    repo: &Repository,
    tip: Oid,
    prefix: &Path,
    is_withdrawal: &dyn Fn(&Tree, &[u8]) -> bool,
) -> Result<Vec<Event>, git2::Error> {
    let mut chain = Vec::new();
    let mut current = Some(repo.find_commit(tip)?);
    while let Some(commit) = current {
        current = commit.parents().next();
        chain.push(commit);
    }
    chain.reverse();
    let mut events = Vec::new();
    // Bytes that left their image directory, by (directory, blob): the event that took them,
    // until they come back there.
    let mut gone: BTreeMap<(PathBuf, Oid), Event> = BTreeMap::new();
    let mut previous: Option<Oid> = None;
    let mut trees = Trees::default();
    for commit in &chain {
        trees.next_commit();
        let changes = changed(repo, &mut trees, previous, commit.tree_id(), prefix)?;
        // The root tree is small (libgit2 keeps it); the rare departure needs it.
        let tree = commit.tree()?;
        let info = CommitInfo::of(repo, commit);
        // Where bytes arrived in this commit: where they count, and anywhere at all.
        let mut counted: HashMap<(PathBuf, Oid), &PathBuf> = HashMap::new();
        let mut landed: HashMap<Oid, &PathBuf> = HashMap::new();
        for (path, blob) in &changes.added_or_modified {
            landed.entry(*blob).or_insert(path);
            if let Some(dir) = counted_in(prefix, path) {
                counted.insert((dir, *blob), path);
            }
        }
        for key in counted.keys() {
            gone.remove(key);
        }
        let departures = changes
            .deleted
            .iter()
            .map(|(p, b)| (p, *b, false))
            .chain(changes.modified.iter().map(|(p, old, _)| (p, *old, true)));
        for (path, blob, overwritten) in departures {
            let Some(dir) = counted_in(prefix, path) else {
                continue;
            };
            if let Some(to) = counted.get(&(dir.clone(), blob)) {
                events.push(Event {
                    kind: EventKind::Renumbered,
                    path: path.clone(),
                    to: Some((*to).clone()),
                    blob: blob.to_string(),
                    commit: info.clone(),
                });
                continue;
            }
            if still_counted(repo, &tree, &dir, blob) {
                continue;
            }
            let bytes = repo
                .find_blob(blob)
                .map(|b| b.content().to_vec())
                .unwrap_or_default();
            let kind = if is_withdrawal(&tree, &bytes) {
                EventKind::Withdrawn
            } else if overwritten {
                EventKind::Rewritten
            } else {
                EventKind::Rollback
            };
            let event = Event {
                to: (kind != EventKind::Withdrawn)
                    .then(|| landed.get(&blob).map(|p| (*p).clone()))
                    .flatten(),
                kind,
                path: path.clone(),
                blob: blob.to_string(),
                commit: info.clone(),
            };
            if event.kind == EventKind::Withdrawn {
                events.push(event);
            } else {
                gone.insert((dir, blob), event);
            }
        }
        previous = Some(commit.tree_id());
    }
    events.extend(gone.into_values());
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::FileMode;

    /// libgit2's own tree diff, as the walk used it before: the reference `changed` must match.
    fn libgit2_changes(repo: &Repository, old: Option<Oid>, new: Oid, prefix: &str) -> Changes {
        let old = old.map(|id| repo.find_tree(id).unwrap());
        let new = repo.find_tree(new).unwrap();
        let mut options = git2::DiffOptions::new();
        options.pathspec(prefix);
        let diff = repo
            .diff_tree_to_tree(old.as_ref(), Some(&new), Some(&mut options))
            .unwrap();
        let mut changes = Changes::default();
        for delta in diff.deltas() {
            let (o, n) = (delta.old_file(), delta.new_file());
            match delta.status() {
                git2::Delta::Added => changes
                    .added_or_modified
                    .push((n.path().unwrap().to_path_buf(), n.id())),
                git2::Delta::Deleted => changes
                    .deleted
                    .push((o.path().unwrap().to_path_buf(), o.id())),
                git2::Delta::Modified | git2::Delta::Typechange => {
                    let path = n.path().unwrap().to_path_buf();
                    changes.added_or_modified.push((path.clone(), n.id()));
                    changes.modified.push((path, o.id(), n.id()));
                }
                _ => {}
            }
        }
        changes.added_or_modified.sort();
        changes.deleted.sort();
        changes.modified.sort();
        changes
    }

    fn tree(repo: &Repository, files: &[(&str, &str, FileMode)]) -> Oid {
        let empty = repo.find_tree(repo.treebuilder(None).unwrap().write().unwrap());
        let mut update = git2::build::TreeUpdateBuilder::new();
        for (path, content, mode) in files {
            let blob = repo.blob(content.as_bytes()).unwrap();
            update.upsert(*path, blob, *mode);
        }
        update.create_updated(repo, &empty.unwrap()).unwrap()
    }

    #[test]
    fn the_walks_tree_diff_reports_what_libgit2_reports() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let (f, x, l) = (FileMode::Blob, FileMode::BlobExecutable, FileMode::Link);
        let before = tree(
            &repo,
            &[
                ("signatures/a@sha256=1/signature-1", "a1", f),
                ("signatures/a@sha256=1/signature-2", "a2", f),
                ("signatures/b@sha256=2/signature-1", "b1", f),
                ("signatures/c@sha256=3/signature-1", "c1", f),
                ("signatures/d/deep/signature-1", "d1", f),
                ("signatures/e", "a file that becomes a directory", f),
                ("signatures/g@sha256=7/signature-1", "g1", f),
                ("signatures/h", "h", f),
                ("MAINTAINERS", "outside the prefix", f),
            ],
        );
        let after = tree(
            &repo,
            &[
                ("signatures/a@sha256=1/signature-1", "a1", f),
                ("signatures/a@sha256=1/signature-2", "a2 rewritten", f),
                ("signatures/a@sha256=1/signature-3", "a3", f),
                ("signatures/b@sha256=2/signature-1", "b1", x),
                ("signatures/c@sha256=3", "a directory that became a file", f),
                ("signatures/e/signature-1", "e1", f),
                ("signatures/g@sha256=7/signature-1", "../elsewhere", l),
                ("signatures/h", "h", f),
                ("signatures/new@sha256=9/signature-1", "n1", f),
                ("MAINTAINERS", "changed, outside the prefix", f),
            ],
        );
        for (old, new) in [(None, before), (Some(before), after), (Some(after), before)] {
            for prefix in ["signatures", ""] {
                let mut trees = Trees::default();
                let ours = changed(&repo, &mut trees, old, new, Path::new(prefix)).unwrap();
                let theirs = libgit2_changes(&repo, old, new, prefix);
                assert_eq!(ours.added_or_modified, theirs.added_or_modified, "{prefix}");
                assert_eq!(ours.deleted, theirs.deleted, "{prefix}");
                assert_eq!(ours.modified, theirs.modified, "{prefix}");
            }
        }
    }

    #[test]
    fn the_walk_reads_a_tree_its_parent_shares_once() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let f = FileMode::Blob;
        let mut files = vec![("signatures/a@sha256=1/signature-1", "a1", f)];
        let one = tree(&repo, &files);
        files.push(("signatures/b@sha256=2/signature-1", "b1", f));
        let two = tree(&repo, &files);
        files.push(("signatures/c@sha256=3/signature-1", "c1", f));
        let three = tree(&repo, &files);
        let mut trees = Trees::default();
        let mut previous = None;
        for root in [one, two, three] {
            trees.next_commit();
            changed(&repo, &mut trees, previous, root, Path::new("signatures")).unwrap();
            previous = Some(root);
        }
        // Each commit: its root, signatures/ and its new image directory (a@… is shared).
        assert_eq!(trees.read, 3 + 3 + 3);
    }
}
