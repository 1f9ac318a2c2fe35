//! Changing the chain of trust roots: propose the next version, approve it. Judging it is
//! `judge::trust`'s.

use std::ffi::OsStr;
use std::path::PathBuf;

use crate::format::sigstore::trusted_root::TRUSTED_ROOT_FILE;
use crate::judge::trust::{
    diff_people, with_sigstore_change, working_root, Anchor, AnchorError, TrustChange, TrustRoot,
    SIGSTORE_TRUSTED_ROOT_COPY, TRUST_DIR,
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
    /// The trust-root files it was made from, committed with it: MAINTAINERS, quorate.toml and
    /// the keyring files (those deleted from keyring/ are committed as removed).
    pub trust_files: Vec<PathBuf>,
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
    let changes = with_sigstore_change(
        diff_people(
            in_force.map_or(&empty, |v| &v.root.maintainers),
            // Version 1 sets its threshold rather than changing one.
            Some(in_force.map_or(root.threshold, |v| v.root.threshold)),
            &root.maintainers,
            Some(root.threshold),
        ),
        &in_force.and_then(|v| v.root.sigstore.clone()),
        &root.sigstore,
    );
    // The bytes the root's `sigstore` digest is of, checked before anything is written.
    let trusted_root_copy = match (&root.sigstore, &workspace.keyring.sigstore.trusted_root) {
        (Some(digest), Some(loaded)) if *digest == loaded.digest => Some(loaded.bytes.as_slice()),
        (Some(digest), _) => {
            return Err(TrustError::Refused(format!(
                "the proposal names the Sigstore trusted root {digest}, which {} does not hold",
                workspace.display_path(&workspace.keyring_dir)
            )))
        }
        (None, _) => None,
    };
    let (trust_files, trust_removed) = trust_root_files(workspace)?;
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
    // The trusted root the version pins travels in the chain, byte for byte: the root in force
    // judges keyless votes with this copy, never with keyring/'s at HEAD (a pusher's). Written
    // before root.json, which names it.
    let copy = OsStr::new(SIGSTORE_TRUSTED_ROOT_COPY);
    let mut copied = Vec::new();
    match trusted_root_copy {
        Some(bytes) => {
            handle
                .write_atomic(copy, bytes)
                .map_err(|e| SignError::Crypto(e.to_string()))?;
            copied.push(dir.join(copy));
        }
        None => {
            // A replaced proposal's copy goes with it.
            if handle.kind(copy).ok().flatten().is_some() {
                handle
                    .remove(copy)
                    .map_err(|e| SignError::Crypto(format!("{}: {e}", dir.join(copy).display())))?;
                removed.push(dir.join(copy));
            }
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
    // The edit travels with its proposal: synced alone, a proposal would leave every other clone
    // with a draft it never saw.
    let written: Vec<PathBuf> = std::iter::once(file.clone())
        .chain(copied.iter().cloned())
        .chain(trust_files.iter().cloned())
        .collect();
    removed.extend(trust_removed);
    let committed = commit_changes_placed(workspace, &written, &removed, &message, "quorate");
    let needs = crate::judge::trust::approvals_needed(&root, in_force.map(|v| &v.root));
    Ok(Proposed {
        needs,
        root,
        changes,
        file,
        trust_files,
        replaced,
        committed,
    })
}

/// The files a proposal is made from, to commit with it: MAINTAINERS, quorate.toml and every
/// keyring file in the work tree, and those HEAD holds in keyring/ that are gone (or quorate.toml
/// gone). Refused, naming it, when one lies outside the repository holding signatures/: the
/// proposal would travel without the edit it approves.
fn trust_root_files(workspace: &Workspace) -> Result<(Vec<PathBuf>, Vec<PathBuf>), TrustError> {
    let Some(repo) = crate::fs::git::discover(&workspace.signatures_dir, &workspace.root) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let mut written = vec![workspace.maintainers_path.clone()];
    let mut removed = Vec::new();
    let config = workspace.root.join("quorate.toml");
    if config.symlink_metadata().is_ok() {
        written.push(config);
    } else {
        removed.push(config);
    }
    let mut keyring: Vec<PathBuf> = workspace
        .source
        .list(&workspace.keyring_dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, kind)| *kind == crate::fs::path::Kind::File)
        .map(|(name, _)| workspace.keyring_dir.join(name))
        .filter(|p| crate::keys::keyring::is_keyring_file(p))
        .collect();
    keyring.sort();
    written.extend(keyring);
    removed.extend(
        crate::fs::git::files_at_head(&repo, &workspace.keyring_dir)
            .into_iter()
            .filter(|p| p.symlink_metadata().is_err()),
    );
    // The Sigstore trusted root the proposal pins (or no longer pins), below keyring/sigstore/.
    let trusted_root = workspace.keyring_dir.join(TRUSTED_ROOT_FILE);
    if workspace.keyring.sigstore.trusted_root.is_some() {
        written.push(trusted_root);
    } else if trusted_root
        .parent()
        .is_some_and(|dir| crate::fs::git::files_at_head(&repo, dir).contains(&trusted_root))
    {
        removed.push(trusted_root);
    }
    for path in written.iter().chain(&removed) {
        if crate::fs::git::relative_path(&repo, path).is_err() {
            return Err(TrustError::Refused(format!(
                "{} is outside the repository that holds {}: a proposal is committed with the trust-root files it was made from; commit them in that repository yourself, or keep the trust root in it",
                workspace.display_path(path),
                workspace.display_path(&workspace.signatures_dir)
            )));
        }
    }
    Ok((written, removed))
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

/// Why an approval that did not verify cannot count: the real cause (most often the signer's
/// certificate missing from keyring/, as once happened to a departing maintainer whose
/// certificate had been deleted).
fn unverified(
    verdict: &crate::keys::verify::Verdict,
    signer: &dyn PayloadSigner,
    holder: &dyn Fn(&str) -> Option<String>,
    workspace: &Workspace,
) -> TrustError {
    let cause = verdict
        .problems
        .iter()
        .find(|p| p.reason.is_fault())
        .map_or_else(|| "it does not verify".to_string(), ToString::to_string);
    let whose = signer
        .expected_primary()
        .and_then(|p| holder(&p.to_hex()).map(|h| (h, p)));
    TrustError::Refused(match whose {
        Some((handle, primary)) if workspace.keyring.by_primary(&primary).is_none() => format!(
            "the approval does not verify: {} holds no certificate of {handle}'s key {}; import it (quorate keyring import FILE) and sign again",
            workspace.display_path(&workspace.keyring_dir),
            primary.to_hex()
        ),
        Some((handle, _)) => format!("{handle}'s approval does not verify: {cause}"),
        None => format!("the approval does not verify: {cause}"),
    })
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
    let changes = with_sigstore_change(
        diff_people(
            in_force.map_or(&Default::default(), |v| &v.root.maintainers),
            Some(in_force.map_or(pending.root.threshold, |v| v.root.threshold)),
            &pending.root.maintainers,
            Some(pending.root.threshold),
        ),
        &in_force.and_then(|v| v.root.sigstore.clone()),
        &pending.root.sigstore,
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
    let holder = |p: &str| {
        pending
            .root
            .holder(p)
            .or_else(|| in_force.and_then(|v| v.root.holder(p)))
            .map(str::to_string)
    };
    let by = match verdict.signer.primary.as_ref().map(|f| f.to_hex()) {
        Some(primary) => holder(&primary).ok_or_else(|| {
            TrustError::Refused(format!(
                "the approval was made with key {primary}, which belongs to no maintainer of version {} or of the version in force",
                pending.version
            ))
        })?,
        // It did not verify: say why, naming whose key it is when the chain knows.
        None => return Err(unverified(&verdict, signer, &holder, workspace)),
    };
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
