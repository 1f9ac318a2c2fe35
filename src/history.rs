//! What the git history of the signatures repository says: which commit added each signature
//! file (computed in one pass over history, not once per file), and, with `--history`, which
//! signatures vanished (rollback), were overwritten (rewriting), moved or were withdrawn.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use git2::{Delta, DiffOptions, Oid, Repository, Sort, Tree};
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
            date: crate::verify::fmt_time(time),
            signed: repo.extract_signature(&commit.id(), None).is_ok(),
            signed_by: None,
            time,
        }
    }
}

/// Which commit introduced each (path, content) under the signatures root.
#[derive(Debug, Default)]
pub struct Attribution {
    added: HashMap<(PathBuf, Oid), CommitInfo>,
}

impl Attribution {
    /// Fills in who signed each commit, once per commit.
    pub fn set_signers(&mut self, signer: &dyn Fn(&str) -> Option<String>) {
        let mut known: HashMap<String, Option<String>> = HashMap::new();
        for info in self.added.values_mut() {
            if info.signed {
                info.signed_by = known
                    .entry(info.id.clone())
                    .or_insert_with(|| signer(&info.id))
                    .clone();
            }
        }
    }

    /// The commit that added this content at this path (the path relative to the repository).
    pub fn added(&self, path: &Path, blob: Oid) -> Option<&CommitInfo> {
        self.added.get(&(path.to_path_buf(), blob))
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
    for id in walk {
        let commit = repo.find_commit(id?)?;
        let tree = commit.tree()?;
        let parents: Vec<Tree> = commit
            .parents()
            .map(|p| p.tree())
            .collect::<Result<_, _>>()?;
        let first = parents.first();
        let mut info = None;
        for (path, blob) in changed(repo, first, &tree, prefix)?.added_or_modified {
            let elsewhere = parents
                .iter()
                .skip(1)
                .any(|p| p.get_path(&path).map(|e| e.id() == blob).unwrap_or(false));
            if elsewhere || attribution.added.contains_key(&(path.clone(), blob)) {
                continue;
            }
            let info = info
                .get_or_insert_with(|| CommitInfo::of(repo, &commit))
                .clone();
            attribution.added.insert((path, blob), info);
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

fn changed(
    repo: &Repository,
    old: Option<&Tree>,
    new: &Tree,
    prefix: &Path,
) -> Result<Changes, git2::Error> {
    let mut options = DiffOptions::new();
    if !prefix.as_os_str().is_empty() {
        options.pathspec(prefix);
    }
    let diff = repo.diff_tree_to_tree(old, Some(new), Some(&mut options))?;
    let mut changes = Changes::default();
    for delta in diff.deltas() {
        let old_file = delta.old_file();
        let new_file = delta.new_file();
        match delta.status() {
            Delta::Added => {
                if let Some(path) = new_file.path() {
                    changes
                        .added_or_modified
                        .push((path.to_path_buf(), new_file.id()));
                }
            }
            Delta::Deleted => {
                if let Some(path) = old_file.path() {
                    changes.deleted.push((path.to_path_buf(), old_file.id()));
                }
            }
            Delta::Modified | Delta::Typechange => {
                if let Some(path) = new_file.path() {
                    changes
                        .added_or_modified
                        .push((path.to_path_buf(), new_file.id()));
                    changes
                        .modified
                        .push((path.to_path_buf(), old_file.id(), new_file.id()));
                }
            }
            _ => {}
        }
    }
    Ok(changes)
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
    crate::tree::signature_number(path.file_name()?.to_str()?)?;
    let dir = path.parent()?;
    crate::tree::parse_image_dir(dir.strip_prefix(prefix).ok()?.to_str()?)?;
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
    sub.iter()
        .any(|e| e.id() == blob && e.name().and_then(crate::tree::signature_number).is_some())
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
    let mut previous: Option<Tree> = None;
    for commit in &chain {
        let tree = commit.tree()?;
        let changes = changed(repo, previous.as_ref(), &tree, prefix)?;
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
        previous = Some(tree);
    }
    events.extend(gone.into_values());
    Ok(events)
}
