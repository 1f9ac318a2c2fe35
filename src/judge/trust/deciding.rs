//! The root in force decides who counts. Once a chain has a version in force, the working
//! MAINTAINERS and quorate.toml are a draft: every judging command counts the people, keys and
//! threshold of the root in force (certificates still come from keyring/, and count only for the
//! fingerprints that root names), so a pusher's edit changes nothing and a team's pending edit
//! blocks nothing. Those the chain named and the root in force no longer names are former
//! maintainers: their signatures are shown as theirs, never counted. (docs/trust.md)

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::anchor::{Anchor, AnchorError};
use super::chain::{Chain, Version, SIGSTORE_TRUSTED_ROOT_COPY};
use super::standing::Standing;
use crate::format::maintainers::{Former, Maintainers};
use crate::keys::sigstore::material::LoadedTrustedRoot;
use crate::keys::verify::Verifier;
use crate::workspace::tree::TRUST_DIR;
use crate::workspace::{Threshold, Workspace};

impl Anchor {
    /// What every judging command does first: `judge` (the chain from this anchor, the version
    /// in force remembered) as of `at`, then the root in force made to decide who counts in
    /// `workspace` (`decide`).
    pub fn decide(
        &self,
        workspace: &mut Workspace,
        at: SystemTime,
    ) -> Result<Standing, AnchorError> {
        let standing = {
            let verifier = Verifier::new(&workspace.keyring, &workspace.maintainers, at);
            self.judge(workspace, &verifier)?
        };
        if let Some(chain) = standing.chain() {
            decide(workspace, chain);
        }
        Ok(standing)
    }
}

/// Puts the root in force of `chain` in the place of the working MAINTAINERS and threshold (the
/// draft still describes the people it names: names, emails, key labels), with the former
/// maintainers recorded, and its copy of the Sigstore trusted root in the place of
/// keyring/sigstore/trusted_root.json (none when it names none): a pushed trusted root would
/// let its author mint keyless identities. Nothing changes when no version is in force.
pub fn decide(workspace: &mut Workspace, chain: &Chain) {
    let Some(in_force) = chain.in_force() else {
        return;
    };
    let mut maintainers = Maintainers::decided(&in_force.root.maintainers, &workspace.maintainers);
    maintainers.set_former(former_maintainers(chain));
    workspace.maintainers = maintainers;
    workspace.config.threshold = Threshold::new(in_force.root.threshold);
    workspace.keyring.sigstore.trusted_root = in_force_trusted_root(workspace, in_force);
}

/// The trusted root the version in force pins, as the chain holds it: the loader checked that
/// its bytes have the digest the root names.
fn in_force_trusted_root(workspace: &Workspace, in_force: &Version) -> Option<LoadedTrustedRoot> {
    let (digest, bytes) = in_force
        .root
        .sigstore
        .as_ref()
        .zip(in_force.sigstore_trusted_root.as_ref())?;
    let path = workspace
        .signatures_dir
        .join(TRUST_DIR)
        .join(in_force.version.to_string())
        .join(SIGSTORE_TRUSTED_ROOT_COPY);
    // The loader parsed it too: a copy that does not parse is a malformed version.
    LoadedTrustedRoot::parse(path, bytes.clone())
        .ok()
        .filter(|root| &root.digest == digest)
}

/// Every key a version up to the one in force named that the root in force does not: whose it
/// was where last named, and the version after that (the one that removed it).
pub fn former_maintainers(chain: &Chain) -> BTreeMap<String, Former> {
    let Some(in_force) = chain.in_force() else {
        return BTreeMap::new();
    };
    let mut last_named: BTreeMap<String, (String, u32)> = BTreeMap::new();
    for version in chain
        .versions
        .iter()
        .take_while(|v| v.version <= in_force.version)
    {
        for (handle, keys) in &version.root.maintainers {
            for key in keys {
                last_named.insert(key.clone(), (handle.clone(), version.version));
            }
        }
    }
    last_named
        .into_iter()
        .filter(|(key, _)| in_force.root.holder(key).is_none())
        .map(|(key, (handle, last))| {
            (
                key,
                Former {
                    handle,
                    removed_in: last + 1,
                },
            )
        })
        .collect()
}
