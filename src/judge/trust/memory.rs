//! Trust on first use, remembered. Without a pinned anchor, a clone records the newest version
//! of the chain it has seen in force in a committed tree (`.git/quorate/trust-anchor` of the
//! signatures' repository) and from then on judges as if that version were pinned: a later push
//! that deletes the chain, or makes its versions stop verifying (a certificate removed), is
//! refused by that clone instead of reverting it to "no chain, unprotected". Only a revision
//! that is an ancestor of the commit where the version was seen (older history) is judged as
//! found; one on a rewritten line (neither ancestor nor descendant) is held to the memory as the
//! working tree is, unless the caller asks to judge it as found.

use std::ffi::OsStr;
use std::path::PathBuf;

use git2::{Oid, Repository};

use super::chain::Chain;
use crate::workspace::Workspace;

/// What a clone saw in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    /// The version's digest, used as the anchor.
    pub digest: String,
    /// Its number.
    pub version: u32,
    /// The commit whose tree held it in force.
    pub commit: Oid,
    /// The record, as a path to show.
    pub file: String,
}

const DIR: &str = "quorate";
const FILE: &str = "trust-anchor";

fn repository(workspace: &Workspace) -> Option<Repository> {
    crate::fs::git::discover(&workspace.signatures_dir, &workspace.root)
}

fn record_path(repo: &Repository) -> PathBuf {
    repo.path().join(DIR)
}

/// The record, shown relative to the workspace.
fn shown(workspace: &Workspace, repo: &Repository) -> String {
    workspace.display_path(&record_path(repo).join(FILE))
}

/// Where the state judged lies against the commit where the memory was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    /// The working tree, that commit, or a revision descending from it.
    Same,
    /// A revision neither before nor after it: history rewritten (a force push, an orphan
    /// branch).
    Rewritten,
}

/// What this clone remembers, when it applies to the state being judged: the working tree, or a
/// revision that is not an ancestor of the commit where it was seen (older history, which is
/// judged as found).
pub(crate) fn recall(workspace: &Workspace) -> Option<(Remembered, Line)> {
    let repo = repository(workspace)?;
    let dir = crate::fs::confine::Dir::open(repo.path(), &record_path(&repo))
        .ok()
        .flatten()?;
    let bytes = dir.read(OsStr::new(FILE), 4096).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut lines = text.lines();
    let digest = lines.next()?.trim().to_string();
    let version = lines.next()?.trim().parse().ok()?;
    let commit = Oid::from_str(lines.next()?.trim()).ok()?;
    if !digest.starts_with("sha256:") {
        return None;
    }
    let line = match workspace.source.revision() {
        None => Line::Same,
        Some(judged) if judged == commit => Line::Same,
        Some(judged) if repo.graph_descendant_of(judged, commit).unwrap_or(false) => Line::Same,
        Some(judged) if repo.graph_descendant_of(commit, judged).unwrap_or(false) => return None,
        Some(_) => Line::Rewritten,
    };
    let remembered = Remembered {
        digest,
        version,
        commit,
        file: shown(workspace, &repo),
    };
    Some((remembered, line))
}

/// Records the newest version in force, when the working tree's chain is the one committed at
/// HEAD (an uncommitted approval is not yet something the clone has seen) and it is newer than
/// what is remembered, or the same one seen on a line of history the record no longer names.
/// Best effort: without a record the clone trusts as found, as before.
pub fn remember(workspace: &Workspace, chain: &Chain, known: Option<&Remembered>) {
    if workspace.source.revision().is_some() {
        return;
    }
    let Some(in_force) = chain.versions.iter().rev().find(|v| v.in_force) else {
        return;
    };
    if known.is_some_and(|k| k.version > in_force.version) {
        return;
    }
    let Some(repo) = repository(workspace) else {
        return;
    };
    let Some(head) = repo.head().ok().and_then(|h| h.target()) else {
        return;
    };
    // The same version seen again is recorded again only when HEAD left the commit it was seen
    // at (sync replayed it under a new id, or history was amended): `--at` follows descendants
    // of the commit recorded, so it must stay on HEAD's line.
    if known.is_some_and(|k| {
        k.version == in_force.version
            && (k.commit == head || repo.graph_descendant_of(head, k.commit).unwrap_or(false))
    }) {
        return;
    }
    let trust_dir = workspace.signatures_dir.join(super::TRUST_DIR);
    let Ok(relative) = crate::fs::git::relative_path(&repo, &trust_dir) else {
        return;
    };
    let mut options = git2::StatusOptions::new();
    options
        .pathspec(relative)
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let clean = repo
        .statuses(Some(&mut options))
        .is_ok_and(|statuses| statuses.is_empty());
    if !clean {
        return;
    }
    if let Ok(dir) = crate::fs::confine::Dir::create(repo.path(), &record_path(&repo)) {
        let text = format!("{}\n{}\n{head}\n", in_force.digest, in_force.version);
        let _ = dir.write_atomic(OsStr::new(FILE), text.as_bytes());
    }
}
