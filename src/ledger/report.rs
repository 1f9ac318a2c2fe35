//! The machine-readable form of verify's and gate's findings. Field names are stable; they are
//! documented in docs/json.md.

use serde::Serialize;

use crate::judge::quorum::{FileReport, ImageReport};
use crate::keys::reason::Problem;
use crate::keys::verify::SignerKind;
use crate::text::fmt_time;
use crate::workspace::Workspace;

/// One signature file.
#[derive(Debug, Clone, Serialize)]
pub struct FileJson {
    /// N in `signature-N`.
    pub number: u32,
    /// The file, relative to the workspace.
    pub path: String,
    /// True when it counts toward the quorum.
    pub counts: bool,
    /// The maintainer's handle, when known.
    pub maintainer: Option<String>,
    /// A former maintainer's handle (removed from the chain of trust roots) when it is theirs:
    /// shown as theirs, never counted. Present only then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub former_maintainer: Option<String>,
    /// The trust root version that removed that former maintainer. Present only then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_in: Option<u32>,
    /// The primary key's fingerprint, when known.
    pub primary_fingerprint: Option<String>,
    /// The key that made the signature (or the issuer it names, when unverified).
    pub signing_key: Option<String>,
    /// True when a subkey made it.
    pub by_subkey: bool,
    /// What kind of key made it: `openpgp`, `cosign-key` or `keyless`.
    pub kind: &'static str,
    /// True when the file is a Sigstore bundle (`sigstore-bundle-N.json`), not `signature-N`.
    pub bundle: bool,
    /// The cosign key's `sha256:<hex>` id, for a cosign-key vote.
    pub cosign_key_id: Option<String>,
    /// The Fulcio certificate's OIDC issuer, for a keyless vote.
    pub issuer: Option<String>,
    /// The Fulcio certificate's subject (email or URI), for a keyless vote.
    pub subject: Option<String>,
    /// The signature's creation time, RFC 3339 UTC.
    pub created: Option<String>,
    /// The reference the payload signs.
    pub signed_reference: Option<String>,
    /// The digest the payload signs.
    pub signed_digest: Option<String>,
    /// True when the payload is StageX's legacy form.
    pub legacy: bool,
    /// Every reason it does not count, and notices.
    pub problems: Vec<Problem>,
}

impl FileJson {
    /// From a file's report.
    pub fn new(workspace: &Workspace, file: &FileReport) -> FileJson {
        let v = &file.verdict;
        let former = v
            .signer
            .primary
            .as_ref()
            .and_then(|p| workspace.maintainers.former(&p.to_hex()))
            .filter(|_| v.signer.maintainer.is_none());
        FileJson {
            former_maintainer: former.map(|f| f.handle.clone()),
            removed_in: former.map(|f| f.removed_in),
            number: file.number,
            path: workspace.display_path(&file.path),
            counts: v.counts(),
            maintainer: v.signer.maintainer.clone(),
            primary_fingerprint: v.signer.primary.as_ref().map(|f| f.to_hex()),
            signing_key: v.signer.signing_key.as_ref().map(|k| k.to_hex()),
            by_subkey: v.signer.by_subkey,
            kind: v.signer.kind.code(),
            bundle: file.bundle,
            cosign_key_id: match &v.signer.kind {
                SignerKind::CosignKey { id } => Some(id.clone()),
                _ => None,
            },
            issuer: match &v.signer.kind {
                SignerKind::Keyless { issuer, .. } => Some(issuer.clone()),
                _ => None,
            },
            subject: match &v.signer.kind {
                SignerKind::Keyless { subject, .. } => Some(subject.clone()),
                _ => None,
            },
            created: v.created.map(fmt_time),
            signed_reference: v.payload.as_ref().map(|p| p.reference.to_string()),
            signed_digest: v.payload.as_ref().map(|p| p.digest.to_string()),
            legacy: v.payload.as_ref().is_some_and(|p| p.legacy),
            problems: v.problems.clone(),
        }
    }
}

/// One image.
#[derive(Debug, Serialize)]
pub struct ImageJson {
    /// The reference asked for, normalized.
    pub reference: String,
    /// The image's lookaside directory, relative to the workspace.
    pub directory: String,
    /// A problem with the directory itself.
    pub directory_error: Option<String>,
    /// verify's verdict: at least one file and every file counts.
    pub all_valid: bool,
    /// The threshold applied.
    pub threshold: u32,
    /// True when at least `threshold` distinct maintainers signed.
    pub quorate: bool,
    /// The maintainers counted, each once.
    pub signers: Vec<String>,
    /// Maintainers who have not signed.
    pub missing: Vec<String>,
    /// The maintainers counted with a counting signature by their primary key: those a consumer
    /// before containers/image 5.37 accepts (all of `signers` when such a consumer is declared).
    pub signers_by_primary_key: Vec<String>,
    /// Every signature file.
    pub files: Vec<FileJson>,
}

impl ImageJson {
    /// From an image's report.
    pub fn new(workspace: &Workspace, image: &ImageReport, threshold: u32) -> ImageJson {
        ImageJson {
            reference: image.reference.to_string(),
            directory: workspace.display_path(&image.directory),
            directory_error: image.directory_error.clone(),
            all_valid: image.all_valid(),
            threshold,
            quorate: image.is_quorate(threshold),
            signers: image.signers.clone(),
            missing: image.missing.clone(),
            signers_by_primary_key: image.signers_by_primary_key(),
            files: image
                .files
                .iter()
                .map(|f| FileJson::new(workspace, f))
                .collect(),
        }
    }
}

/// gate's answer.
#[derive(Debug, Serialize)]
pub struct GateJson {
    /// True when every image is quorate.
    pub passed: bool,
    /// The threshold applied.
    pub threshold: u32,
    /// The consumer quorate.toml declares (`podman 4.3.1 (containers/image 5.23)`), whose
    /// acceptance decided what counted; None when nothing is declared.
    pub consumer: Option<String>,
    /// Each image.
    pub images: Vec<ImageJson>,
    /// With `--release --rebuilt`: images about to be pushed that the release does not list,
    /// or release digests the rebuild does not show.
    pub refused: Vec<crate::ops::release::Mismatch>,
}

/// The items joined with ", ", or `empty` when there are none: how people and tags are listed.
pub fn list_or(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        empty.to_string()
    } else {
        items.join(", ")
    }
}
