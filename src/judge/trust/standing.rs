//! How the working trust root (MAINTAINERS and quorate.toml) stands against the chain.

use super::chain::{load_chain, Chain, ChainError};
use super::diff::{diff_people, with_sigstore_change, TrustChange};
use super::root::TrustRoot;
use crate::keys::verify::Verifier;
use crate::workspace::Workspace;

/// The trust root the working MAINTAINERS and quorate.toml describe (its version and predecessor
/// are the caller's to set).
pub fn working_root(workspace: &Workspace, version: u32, previous: Option<String>) -> TrustRoot {
    TrustRoot::from_workspace(
        &workspace.maintainers,
        workspace.sigstore_root_digest(),
        workspace.config.threshold.unwrap_or_default().get(),
        version,
        previous,
    )
}

/// How the working trust root stands against the chain.
#[derive(Debug, Clone)]
pub enum Standing {
    /// No chain: the maintainer set is unprotected (as before there was one).
    NoChain,
    /// A chain, but no version in force yet.
    NothingInForce(Chain),
    /// The working trust root is the one in force.
    InForce(Chain),
    /// MAINTAINERS, quorate.toml or keyring/sigstore/trusted_root.json differ from the root in
    /// force: a draft, which changes nothing until the quorum approves it (the root in force
    /// decides who counts). The changes, and the pending version that proposes exactly this
    /// draft, if one does.
    Unapproved(Chain, Vec<TrustChange>, Option<u32>),
}

impl Standing {
    /// One line saying that the working MAINTAINERS, quorate.toml or Sigstore trusted root are a
    /// draft the root in force does not hold, what it changes, and which version proposes it (or
    /// that none does); None when they are the root in force (or there is none to differ from).
    pub fn unapproved(&self) -> Option<String> {
        let Standing::Unapproved(chain, changes, proposed) = self else {
            return None;
        };
        let version = chain.in_force().map_or(0, |v| v.version);
        let sigstore = |c: &TrustChange| matches!(c, TrustChange::SigstoreRootChanged { .. });
        let drafts = match (
            changes.iter().any(|c| !sigstore(c)),
            changes.iter().any(sigstore),
        ) {
            (true, true) => {
                "MAINTAINERS or quorate.toml and keyring/sigstore/trusted_root.json differ"
            }
            (false, true) => "keyring/sigstore/trusted_root.json differs",
            _ => "MAINTAINERS or quorate.toml differ",
        };
        let changes = changes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        let proposal = match (proposed, chain.pending()) {
            (Some(n), Some(pending)) => format!(
                "version {n} proposes it and needs {}",
                pending.missing.join("; ")
            ),
            (_, Some(pending)) => format!(
                "nobody proposed it (the pending version {} proposes something else)",
                pending.version
            ),
            (_, None) => "nobody proposed it (quorate trust propose)".into(),
        };
        Some(format!(
            "change pending: {drafts} from trust root version {version} in force ({changes}); judged by version {version} until the quorum approves the change: {proposal}"
        ))
    }

    /// The chain, when there is one.
    pub fn chain(&self) -> Option<&Chain> {
        match self {
            Standing::NoChain => None,
            Standing::NothingInForce(c) | Standing::InForce(c) | Standing::Unapproved(c, _, _) => {
                Some(c)
            }
        }
    }
}

/// Loads the chain and compares the working trust root with the version in force.
pub fn standing(
    workspace: &Workspace,
    verifier: &Verifier,
    anchors: &[&str],
) -> Result<Standing, ChainError> {
    let Some(chain) = load_chain(workspace, verifier, anchors)? else {
        return Ok(Standing::NoChain);
    };
    let Some(in_force) = chain.in_force() else {
        return Ok(Standing::NothingInForce(chain));
    };
    let working = working_root(workspace, 0, None);
    if working.same_rule(&in_force.root) {
        return Ok(Standing::InForce(chain));
    }
    let changes = with_sigstore_change(
        diff_people(
            &in_force.root.maintainers,
            Some(in_force.root.threshold),
            &working.maintainers,
            Some(working.threshold),
        ),
        &in_force.root.sigstore,
        &working.sigstore,
    );
    let proposed = chain
        .pending()
        .filter(|p| p.root.same_rule(&working))
        .map(|p| p.version);
    Ok(Standing::Unapproved(chain, changes, proposed))
}
