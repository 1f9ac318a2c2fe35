//! A version in force never silently disappears: whatever an ancestor commit of the judged
//! revision held in force, the chain judged must still hold, with the same bytes, in force.
//! Truncating the chain (deleting its newest versions and restoring an older MAINTAINERS) is a
//! commit like any other, so it shows in history even on a fresh clone that remembers nothing.
//!
//! Cheap on long histories: each distinct tree of the chain's directory is looked at once (by
//! its git object id), and only by blob ids: a state whose every version is the judged one's,
//! with no approval the judged one lacks, cannot have held more in force than the judged chain
//! does. Only the rare state that is not (a proposal replaced, or a push that removed something)
//! is verified, as this clone would judge it now.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use git2::{ObjectType, Oid, Repository, Tree};

use super::chain::{read_chain, Chain};
use crate::fs::source::Revision;
use crate::keys::keyring::Keyring;
use crate::keys::verify::Verifier;
use crate::workspace::tree::TRUST_DIR;
use crate::workspace::Workspace;

/// A version an ancestor commit held in force that the judged chain lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    /// Its number.
    pub version: u32,
    /// Its digest.
    pub digest: String,
    /// The newest ancestor commit whose tree held it in force.
    pub commit: Oid,
    /// What became of it in the chain judged.
    pub now: Fate,
}

/// What became of a version in force in the chain judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// The chain has no such version (deleted, or no chain at all).
    Gone,
    /// Another root lies under its number.
    Changed,
    /// Its bytes are there, but it is no longer in force (approvals removed).
    NotInForce,
}

impl std::fmt::Display for Fate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Fate::Gone => "the chain judged no longer holds it",
            Fate::Changed => "the chain judged holds another root under its number",
            Fate::NotInForce => "the chain judged holds it, but no longer in force",
        })
    }
}

/// One version as a tree of the chain holds it: root.json's blob id and the approvals' blob ids.
type Held = BTreeMap<u32, (Oid, BTreeSet<Oid>)>;

/// The first version in force at an ancestor of the judged state that `judged` lost, if any.
/// Nothing to check without a git repository (or without commits).
/// `seen` is the commit where this clone recorded the version it remembers: that record is made
/// only after this same check passed there, so its ancestors are not walked again.
pub(crate) fn lost_from_history(
    workspace: &Workspace,
    verifier: &Verifier,
    anchors: &[&str],
    judged: Option<&Chain>,
    seen: Option<Oid>,
) -> Option<Lost> {
    let repo = crate::fs::git::discover(&workspace.signatures_dir, &workspace.root)?;
    let start = match workspace.source.revision() {
        Some(commit) => commit,
        None => repo.head().ok()?.target()?,
    };
    let trust_dir = workspace.signatures_dir.join(TRUST_DIR);
    let relative = crate::fs::git::relative_path(&repo, &trust_dir).ok()?;
    let keyring = crate::fs::git::relative_path(&repo, &workspace.keyring_dir).ok();
    let states = chain_states(&repo, start, seen, &relative, keyring.as_deref()).ok()?;
    if states.is_empty() {
        return None;
    }
    let in_force = judged.and_then(Chain::in_force).map_or(0, |v| v.version);
    let mine = judged.map(held_by).unwrap_or_default();
    // The blob comparison holds for states judged with the same certificates as the start's.
    let start_keyring = keyring.as_deref().and_then(|k| {
        let tree = repo.find_commit(start).ok()?.tree().ok()?;
        tree.get_path(k).ok().map(|e| e.id())
    });
    for State {
        tree,
        certificates,
        commit,
    } in states
    {
        let Ok(theirs) = held_in(&repo, tree) else {
            continue;
        };
        if certificates == start_keyring && cannot_hold_more(&theirs, &mine, in_force) {
            continue;
        }
        let Some((version, digest)) = in_force_at(workspace, verifier, anchors, &repo, commit)
        else {
            continue;
        };
        let now = match judged.and_then(|c| c.versions.iter().find(|v| v.version == version)) {
            None => Fate::Gone,
            Some(v) if v.digest != digest => Fate::Changed,
            Some(_) if in_force < version => Fate::NotInForce,
            Some(_) => continue,
        };
        return Some(Lost {
            version,
            digest,
            commit,
            now,
        });
    }
    None
}

/// One state of the chain in history.
struct State {
    /// The tree of the chain's directory.
    tree: Oid,
    /// The tree of the keyring beside it.
    certificates: Option<Oid>,
    /// The newest commit holding it.
    commit: Oid,
}

/// Each distinct state of the chain among the ancestors of `start` (itself included): the tree
/// of the chain's directory with the tree of the keyring beside it (a certificate deleted later
/// must not make an older state stop verifying), with the newest commit holding it. Commits
/// whose whole tree was seen already are skipped before any lookup.
fn chain_states(
    repo: &Repository,
    start: Oid,
    seen: Option<Oid>,
    relative: &Path,
    keyring: Option<&Path>,
) -> Result<Vec<State>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.push(start)?;
    if let Some(seen) = seen {
        // Gone from this repository (a gc after a rewrite): walk it all.
        if walk.hide(seen).is_err() {
            walk = repo.revwalk()?;
            walk.push(start)?;
        }
    }
    let mut trees_seen = HashSet::new();
    let mut states_seen = HashSet::new();
    let mut states = Vec::new();
    for commit in walk {
        let commit = repo.find_commit(commit?)?;
        if !trees_seen.insert(commit.tree_id()) {
            continue;
        }
        let tree = commit.tree()?;
        let Ok(entry) = tree.get_path(relative) else {
            continue;
        };
        if entry.kind() != Some(ObjectType::Tree) {
            continue;
        }
        let certificates = keyring.and_then(|k| tree.get_path(k).ok()).map(|e| e.id());
        if states_seen.insert((entry.id(), certificates)) {
            states.push(State {
                tree: entry.id(),
                certificates,
                commit: commit.id(),
            });
        }
    }
    Ok(states)
}

/// The versions a tree of the chain's directory holds, by blob ids, without reading a blob.
fn held_in(repo: &Repository, tree: Oid) -> Result<Held, git2::Error> {
    let tree: Tree = repo.find_tree(tree)?;
    let mut held = Held::new();
    for entry in tree.iter() {
        let Some(number) = entry
            .name()
            .and_then(|n| n.parse::<u32>().ok().filter(|v| n == v.to_string()))
        else {
            continue;
        };
        if entry.kind() != Some(ObjectType::Tree) {
            continue;
        }
        let version = repo.find_tree(entry.id())?;
        let Some(root) = version.get_name("root.json").map(|e| e.id()) else {
            continue;
        };
        let approvals = version
            .iter()
            .filter(|e| e.name().is_some_and(|n| n.starts_with("signature-")))
            .map(|e| e.id())
            .collect();
        held.insert(number, (root, approvals));
    }
    Ok(held)
}

/// The judged chain's versions, by the blob ids git would give their files.
fn held_by(chain: &Chain) -> Held {
    chain
        .versions
        .iter()
        .map(|v| {
            let root = Oid::hash_object(ObjectType::Blob, &v.root.canonical())
                .unwrap_or_else(|_| Oid::zero());
            let approvals = v.approvals.iter().filter_map(|a| a.blob).collect();
            (v.version, (root, approvals))
        })
        .collect()
}

/// True when a state of the chain cannot have held in force more than the judged chain does:
/// up to the version judged in force, the same roots (the judged chain holds them in force);
/// past it, the same roots and no approval the judged chain lacks (approvals only add, judged
/// by the same rules).
fn cannot_hold_more(theirs: &Held, mine: &Held, in_force: u32) -> bool {
    let past = theirs.keys().any(|v| *v > in_force);
    theirs.iter().all(|(v, (root, approvals))| {
        mine.get(v).is_some_and(|(my_root, my_approvals)| {
            root == my_root && (!past || approvals.is_subset(my_approvals))
        })
    })
}

/// The version in force at `commit`, judged as this clone judges now: the same anchors, the
/// same time, and the certificates of that commit's keyring with the judged one's (a push that
/// deletes a certificate does not make an older state stop verifying here). None when that
/// state is not on the anchors' line or cannot be read.
fn in_force_at(
    workspace: &Workspace,
    verifier: &Verifier,
    anchors: &[&str],
    repo: &Repository,
    commit: Oid,
) -> Option<(u32, String)> {
    let repo = Repository::open(repo.path()).ok()?;
    let source = Revision::open(repo, &commit.to_string(), &workspace.root).ok()?;
    let mut keyring = Keyring::load_dir(&source, &workspace.keyring_dir).unwrap_or_default();
    for cert in workspace.keyring.certs() {
        keyring.insert(cert.clone(), &workspace.keyring_dir);
    }
    let then = Verifier::new(&keyring, &workspace.maintainers, verifier.now());
    let chain = read_chain(&source, workspace, &then, anchors).ok()??;
    chain.in_force().map(|v| (v.version, v.digest.clone()))
}
