//! How the working trust root (MAINTAINERS and quorate.toml) stands against the chain.

use super::chain::{load_chain, Chain, ChainError};
use super::diff::{diff_people, TrustChange};
use super::root::TrustRoot;
use crate::keys::verify::Verifier;
use crate::workspace::Workspace;

/// The trust root the working MAINTAINERS and quorate.toml describe (its version and predecessor
/// are the caller's to set).
pub fn working_root(workspace: &Workspace, version: u32, previous: Option<String>) -> TrustRoot {
    TrustRoot::from_workspace(
        &workspace.maintainers,
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
    /// MAINTAINERS or quorate.toml differ from the root in force: an edit nobody approved.
    Unapproved(Chain, Vec<TrustChange>),
}

impl Standing {
    /// Why a working trust root nobody approved does not count, naming the difference; None
    /// when it is approved (or there is no version in force to differ from).
    pub fn unapproved(&self) -> Option<String> {
        let Standing::Unapproved(chain, changes) = self else {
            return None;
        };
        let version = chain.in_force().map_or(0, |v| v.version);
        Some(format!(
            "MAINTAINERS or quorate.toml differ from trust root version {version} in force, and nobody approved it: {}; propose and approve the change (quorate trust propose) or revert it",
            changes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    }

    /// The chain, when there is one.
    pub fn chain(&self) -> Option<&Chain> {
        match self {
            Standing::NoChain => None,
            Standing::NothingInForce(c) | Standing::InForce(c) | Standing::Unapproved(c, _) => {
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
    let changes = diff_people(
        &in_force.root.maintainers,
        Some(in_force.root.threshold),
        &working.maintainers,
        Some(working.threshold),
    );
    Ok(Standing::Unapproved(chain, changes))
}
