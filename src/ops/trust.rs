//! Changing the chain of trust roots: propose the next version, approve it. Judging it is
//! `judge::trust`'s.

use std::ffi::OsStr;
use std::path::PathBuf;

use crate::judge::trust::{
    diff_people, working_root, Anchor, AnchorError, TrustChange, TrustRoot, TRUST_DIR,
};
use crate::keys::verify::Verifier;
use crate::ops::sign::{commit_changes_placed, Committed, PayloadSigner, SignError};
use crate::workspace::Workspace;

/// Why a trust command did nothing.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The chain as found cannot be trusted from the anchor (exit 1).
    #[error(transparent)]
    Chain(#[from] AnchorError),
    /// Nothing to propose or approve, or a signer with no say (exit 1).
    #[error("{0}")]
    Refused(String),
    /// Signing or writing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

impl crate::fault::Classify for TrustError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            TrustError::Sign(e) => e.fault(),
            TrustError::Chain(_) | TrustError::Refused(_) => crate::fault::Fault::Refused,
        }
    }
}

/// A proposal written.
#[derive(Debug)]
pub struct Proposed {
    /// The version proposed.
    pub root: TrustRoot,
    /// What it changes from the version in force (everything, for version 1).
    pub changes: Vec<TrustChange>,
    /// The file written.
    pub file: PathBuf,
    /// True when it replaced a pending proposal (whose approvals were removed).
    pub replaced: bool,
    /// What it needs to come into force, in numbers: "2 more of version 1's maintainers (…)".
    pub needs: Vec<String>,
    /// The commit.
    pub committed: Committed,
}

/// Writes the next version from the working MAINTAINERS and quorate.toml as a proposal and commits
/// it. A pending proposal not yet in force is replaced, its approvals removed (they approved
/// other bytes).
pub fn propose(
    workspace: &Workspace,
    verifier: &Verifier,
    anchor: &Anchor,
) -> Result<Proposed, TrustError> {
    let chain = anchor.load_chain(workspace, verifier)?;
    let in_force = chain.as_ref().and_then(|c| c.in_force());
    if chain.is_some() && in_force.is_none() && chain.as_ref().is_some_and(|c| c.versions.len() > 1)
    {
        return Err(TrustError::Refused(
            "the chain has no version in force; approve version 1 first".into(),
        ));
    }
    let (version, previous) = match in_force {
        Some(v) => (v.version + 1, Some(v.digest.clone())),
        None => (1, None),
    };
    let root = working_root(workspace, version, previous);
    if let Some(v) = in_force {
        if v.root.same_rule(&root) {
            return Err(TrustError::Refused(format!(
                "MAINTAINERS and quorate.toml are version {} in force: nothing to propose",
                v.version
            )));
        }
    }
    if root.threshold as usize > root.maintainers.len() || root.maintainers.is_empty() {
        return Err(TrustError::Refused(format!(
            "a threshold of {} with {} maintainers holding keys can never pass",
            root.threshold,
            root.maintainers.len()
        )));
    }
    let empty = Default::default();
    let changes = diff_people(
        in_force.map_or(&empty, |v| &v.root.maintainers),
        // Version 1 sets its threshold rather than changing one.
        Some(in_force.map_or(root.threshold, |v| v.root.threshold)),
        &root.maintainers,
        Some(root.threshold),
    );
    let dir = workspace
        .signatures_dir
        .join(TRUST_DIR)
        .join(version.to_string());
    let handle = crate::fs::confine::Dir::create(&workspace.root, &dir)
        .map_err(|e| SignError::Crypto(e.to_string()))?;
    // A pending proposal at this version is replaced: its approvals approved other bytes.
    let mut removed = Vec::new();
    let existing =
        crate::workspace::tree::list(workspace.source.as_ref(), &dir, &workspace.signatures_dir)
            .map_err(|e| SignError::Crypto(e.to_string()))?;
    let replaced = handle
        .kind(OsStr::new("root.json"))
        .ok()
        .flatten()
        .is_some();
    for entry in existing.entries {
        if let Some(name) = entry.path.file_name() {
            handle
                .remove(name)
                .map_err(|e| SignError::Crypto(format!("{}: {e}", entry.path.display())))?;
            removed.push(entry.path.clone());
        }
    }
    handle
        .write_atomic(OsStr::new("root.json"), &root.canonical())
        .map_err(|e| SignError::Crypto(e.to_string()))?;
    let file = dir.join("root.json");
    let message = format!(
        "Propose trust root version {version} ({})\n\n{}\n",
        root.digest(),
        changes
            .iter()
            .map(|c| format!("Change: {c}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let committed = commit_changes_placed(
        workspace,
        std::slice::from_ref(&file),
        &removed,
        &message,
        "quorate",
    );
    let needs = crate::judge::trust::approvals_needed(&root, in_force.map(|v| &v.root));
    Ok(Proposed {
        needs,
        root,
        changes,
        file,
        replaced,
        committed,
    })
}

/// An approval written.
#[derive(Debug)]
pub struct Approved {
    /// The version approved.
    pub version: u32,
    /// Its digest.
    pub digest: String,
    /// What it changes from the version in force.
    pub changes: Vec<TrustChange>,
    /// Who approved, as which set's member.
    pub by: String,
    /// The file written.
    pub file: PathBuf,
    /// Whether the version is in force now.
    pub in_force: bool,
    /// What it still needs.
    pub missing: Vec<String>,
    /// The commit.
    pub committed: Committed,
}

/// Approves the pending proposal with `signer`, who must be a maintainer of the version in force
/// or of the proposal; the approval is verified before it is written.
pub fn approve(
    workspace: &Workspace,
    verifier: &Verifier,
    anchor: &Anchor,
    signer: &dyn PayloadSigner,
) -> Result<Approved, TrustError> {
    let chain = anchor.load_chain(workspace, verifier)?.ok_or_else(|| {
        TrustError::Refused("no proposal: run quorate trust propose first".into())
    })?;
    let pending = chain.pending().ok_or_else(|| {
        TrustError::Refused("no pending proposal: the last version is in force".into())
    })?;
    let in_force = chain.in_force();
    let changes = diff_people(
        in_force.map_or(&Default::default(), |v| &v.root.maintainers),
        Some(in_force.map_or(pending.root.threshold, |v| v.root.threshold)),
        &pending.root.maintainers,
        Some(pending.root.threshold),
    );
    if let Some(primary) = signer.expected_primary() {
        let hex = primary.to_hex();
        let known = pending.root.holder(&hex).is_some()
            || in_force.is_some_and(|v| v.root.holder(&hex).is_some());
        if !known {
            return Err(TrustError::Refused(format!(
                "key {hex} belongs to no maintainer of version {} or of the version in force: its approval would not count",
                pending.version
            )));
        }
    }
    let bytes = signer.sign(&pending.root.canonical())?;
    // Judged as of now, not as of the start: the signature's time may be a second later.
    let verifier = &verifier.at(std::time::SystemTime::now().max(verifier.now()));
    let dir = workspace
        .signatures_dir
        .join(TRUST_DIR)
        .join(pending.version.to_string());
    // Judge it before writing: only an approval that counts is placed.
    let message = crate::format::message::read_signed_message(&bytes).map_err(|e| {
        SignError::Crypto(format!("the signer's output is not a signed message: {e}"))
    })?;
    let verdict = verifier.verify_message(&message);
    let primary = verdict.signer.primary.as_ref().map(|f| f.to_hex());
    let by = primary
        .as_deref()
        .and_then(|p| {
            pending
                .root
                .holder(p)
                .or_else(|| in_force.and_then(|v| v.root.holder(p)))
        })
        .map(str::to_string)
        .ok_or_else(|| {
            TrustError::Refused("the approval was made by no maintainer of either version".into())
        })?;
    if let Some(p) = verdict
        .problems
        .iter()
        .find(|p| p.reason.is_fault() && p.reason != crate::keys::reason::Reason::NotAMaintainer)
    {
        return Err(TrustError::Refused(format!(
            "the approval would not count: {p}"
        )));
    }
    let (_, file) = crate::workspace::tree::write_next(&workspace.signatures_dir, &dir, &bytes)
        .map_err(SignError::from)?;
    let message = format!(
        "Approve trust root version {} ({}) as {by}\n",
        pending.version, pending.digest
    );
    let committed =
        commit_changes_placed(workspace, std::slice::from_ref(&file), &[], &message, &by);
    // Judge the chain again, with the new approval in it.
    let after = anchor.load_chain(workspace, verifier)?;
    let now = after.as_ref().and_then(|c| {
        c.versions
            .iter()
            .find(|v| v.version == pending.version)
            .cloned()
    });
    Ok(Approved {
        version: pending.version,
        digest: pending.digest.clone(),
        changes,
        by,
        file,
        in_force: now.as_ref().is_some_and(|v| v.in_force),
        missing: now.map(|v| v.missing).unwrap_or_default(),
        committed,
    })
}
