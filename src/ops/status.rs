//! `quorate status`: what a maintainer still has to do. The release's images they have not
//! signed, the images short of quorum, a pending trust proposal they have not approved, and
//! whether their clone is behind the remote.

use std::process::Command;

use serde::Serialize;

use crate::format::digests::Release;
use crate::format::reference::Reference;
use crate::judge::trust::Chain;
use crate::keys::verify::Verifier;
use crate::ops::release;
use crate::workspace::Workspace;

/// Whose status, and how to look at the remote.
#[derive(Debug, Clone)]
pub struct StatusOptions {
    /// The signer: a handle of MAINTAINERS, or a fingerprint or key id (primary or subkey) of a
    /// maintainer's certificate.
    pub signer: String,
    /// The remote to compare with (default: the branch's upstream remote, else `origin`).
    pub remote: Option<String>,
    /// Fetch the remote first (else compare with what was last fetched).
    pub fetch: bool,
}

/// Why there is no status.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The signer names no maintainer.
    #[error("{0}: names no maintainer (give --signer as a handle of MAINTAINERS, or a fingerprint or key id of a maintainer's certificate)")]
    UnknownSigner(String),
    /// A release reference cannot be made.
    #[error("{0}")]
    Reference(String),
}

crate::fault::always!(Input: StatusError);

/// One release image, as status lists it.
#[derive(Debug, Clone, Serialize)]
pub struct StatusImage {
    /// The package.
    pub package: String,
    /// `os/arch[/variant]` past the first platform; null for the first.
    pub platform: Option<String>,
    /// `<namespace>/<package>@sha256:<hex>`.
    pub reference: String,
    /// The maintainers counted.
    pub signers: Vec<String>,
    /// The maintainers holding a key who have not signed.
    pub missing: Vec<String>,
}

/// A pending trust proposal the signer has not approved.
#[derive(Debug, Clone, Serialize)]
pub struct PendingTrust {
    /// Its version.
    pub version: u32,
    /// Its digest.
    pub digest: String,
    /// Who approved it so far.
    pub approved_by: Vec<String>,
    /// What it still needs, in words.
    pub needs: Vec<String>,
}

/// How the clone stands against the remote.
#[derive(Debug, Clone, Serialize)]
pub struct RemoteState {
    /// The remote.
    pub remote: String,
    /// The branch compared.
    pub branch: Option<String>,
    /// Commits on the remote this clone does not have; null when unknown.
    pub behind: Option<usize>,
    /// Commits of this clone the remote does not have; null when unknown.
    pub ahead: Option<usize>,
    /// Why it could not be told (no repository, no such remote, the fetch failed), or null.
    pub error: Option<String>,
}

/// What the signer still has to do.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The signer's handle.
    pub signer: String,
    /// The threshold applied.
    pub threshold: u32,
    /// How many platform manifests the release holds.
    pub release_images: usize,
    /// Release images the signer has not signed (or whose signature does not count).
    pub to_sign: Vec<StatusImage>,
    /// Release images short of quorum.
    pub short_of_quorum: Vec<StatusImage>,
    /// The pending trust proposal, when the signer has not approved it.
    pub trust_to_approve: Option<PendingTrust>,
    /// The clone against the remote.
    pub remote: RemoteState,
}

/// The signer's status: `release` is the release (None for a workspace with none yet), `chain`
/// the chain of trust roots as verified from the anchor.
pub fn status(
    workspace: &Workspace,
    verifier: &Verifier,
    release_digests: Option<&Release>,
    chain: Option<&Chain>,
    threshold: u32,
    options: &StatusOptions,
) -> Result<Status, StatusError> {
    let signer = signer_handle(workspace, &options.signer)
        .ok_or_else(|| StatusError::UnknownSigner(options.signer.clone()))?;
    let items = release_digests.map(release::items).unwrap_or_default();
    let references = items
        .iter()
        .map(|item| {
            let name = format!("{}/{}", workspace.namespace(), item.package);
            Reference::with_parts(&name, None, Some(item.digest.clone()))
                .map_err(|e| StatusError::Reference(format!("{name}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let reports = crate::judge::quorum::check_images(
        workspace,
        verifier,
        &references,
        &|report| (report.signers, report.missing),
        &|| {},
    );
    let mut to_sign = Vec::new();
    let mut short_of_quorum = Vec::new();
    for ((item, reference), (signers, missing)) in items.iter().zip(&references).zip(reports) {
        let image = StatusImage {
            package: item.package.clone(),
            platform: item.platform.clone(),
            reference: reference.to_string(),
            signers,
            missing,
        };
        if !image.signers.contains(&signer) {
            to_sign.push(image.clone());
        }
        if (image.signers.len() as u32) < threshold {
            short_of_quorum.push(image);
        }
    }
    let trust_to_approve = chain
        .and_then(Chain::pending)
        .filter(|v| !v.approved_by.contains(&signer))
        .map(|v| PendingTrust {
            version: v.version,
            digest: v.digest.clone(),
            approved_by: v.approved_by.clone(),
            needs: v.missing.clone(),
        });
    Ok(Status {
        signer,
        threshold,
        release_images: items.len(),
        to_sign,
        short_of_quorum,
        trust_to_approve,
        remote: remote_state(workspace, options),
    })
}

/// The maintainer `signer` names: a handle, or a fingerprint or key id of any key of a
/// maintainer's certificate in the keyring (a gpg `user.signingkey` is often a subkey's id).
fn signer_handle(workspace: &Workspace, signer: &str) -> Option<String> {
    if workspace.maintainers.get(signer).is_some() {
        return Some(signer.to_string());
    }
    let hex: String = signer
        .trim()
        .trim_start_matches("0x")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if hex.len() < 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    if let Some(m) = workspace.maintainers.by_fingerprint(&hex) {
        return Some(m.handle.clone());
    }
    workspace.keyring.certs().find_map(|cert| {
        let matches = cert
            .keys()
            .any(|k| k.key().fingerprint().to_hex() == hex || k.key().keyid().to_hex() == hex);
        matches
            .then(|| {
                workspace
                    .maintainers
                    .by_fingerprint(&cert.fingerprint().to_hex())
            })
            .flatten()
            .map(|m| m.handle.clone())
    })
}

/// How HEAD stands against the remote's branch (fetched first when asked).
fn remote_state(workspace: &Workspace, options: &StatusOptions) -> RemoteState {
    let mut state = RemoteState {
        remote: options.remote.clone().unwrap_or_else(|| "origin".into()),
        branch: None,
        behind: None,
        ahead: None,
        error: None,
    };
    let Some(repo) = crate::fs::git::discover(&workspace.signatures_dir, &workspace.root) else {
        state.error = Some("the signatures tree is not in a git repository".into());
        return state;
    };
    let head = repo.head().ok();
    let branch = head
        .as_ref()
        .filter(|h| h.is_branch())
        .and_then(|h| h.shorthand().map(str::to_string));
    let Some(branch) = branch else {
        state.error = Some("HEAD is not on a branch".into());
        return state;
    };
    if options.remote.is_none() {
        if let Ok(Some(remote)) = repo
            .branch_upstream_remote(&format!("refs/heads/{branch}"))
            .map(|b| b.as_str().map(str::to_string))
        {
            state.remote = remote;
        }
    }
    state.branch = Some(branch.clone());
    if repo.find_remote(&state.remote).is_err() {
        state.error = Some(format!("no remote {}", state.remote));
        return state;
    }
    if options.fetch {
        if let Some(workdir) = repo.workdir() {
            let fetched = Command::new("git")
                .args(["fetch", "--quiet", &state.remote, &branch])
                .current_dir(workdir)
                .output();
            match fetched {
                Ok(out) if out.status.success() => {}
                Ok(out) => {
                    state.error = Some(format!(
                        "git fetch {} {branch} failed: {}",
                        state.remote,
                        String::from_utf8_lossy(&out.stderr).trim()
                    ))
                }
                Err(e) => state.error = Some(format!("cannot run git: {e}")),
            }
        }
    }
    let tracking = format!("refs/remotes/{}/{branch}", state.remote);
    let local = head.and_then(|h| h.target());
    let remote = repo.refname_to_id(&tracking).ok();
    match (local, remote) {
        (Some(local), Some(remote)) => match repo.graph_ahead_behind(local, remote) {
            Ok((ahead, behind)) => {
                state.ahead = Some(ahead);
                state.behind = Some(behind);
            }
            Err(e) => state.error = Some(e.message().to_string()),
        },
        _ if state.error.is_none() => {
            state.error = Some(format!("{} has no branch {branch}", state.remote))
        }
        _ => {}
    }
    state
}
