//! `add` for Sigstore votes made elsewhere: a legacy-form file is placed as the next
//! `signature-N` of the image its payload names; a DSSE bundle (cosign v3 `cosign sign --bundle`)
//! as the next `sigstore-bundle-N.json` of the image asked; a messageSignature bundle (`cosign
//! sign-blob --bundle` over `quorate payload --cosign`) converted to the legacy form, so podman
//! can read it. Each is judged before it is written and refused with the verdict's reasons.

use std::path::PathBuf;

use sha2::{Digest as _, Sha256};

use crate::format::payload::Payload;
use crate::format::reference::Reference;
use crate::format::sigstore::bundle::{Bundle, Content, Signer};
use crate::format::sigstore::encoding::b64_encode;
use crate::format::sigstore::envelope::LegacySignature;
use crate::format::sigstore::rekor::RekorBundle;
use crate::judge::quorum::check_image;
use crate::keys::verify::{Expected, Verifier};
use crate::ops::sign::{self, Placement, SignError};
use crate::workspace::tree::{self, VoteFile};
use crate::workspace::Workspace;

/// Why a Sigstore vote could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// The file is no vote of a kind `add` reads.
    #[error("{0}")]
    Unreadable(String),
    /// The vote names another image than the one asked for.
    #[error("{0}")]
    OtherImage(String),
    /// The vote does not count, or cannot be placed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

impl crate::fault::Classify for AddError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            AddError::Unreadable(_) | AddError::OtherImage(_) => crate::fault::Fault::Input,
            AddError::Sign(e) => e.fault(),
        }
    }
}

/// What one added vote became: the image it is a vote for and where it went.
#[derive(Debug, Clone)]
pub struct Added {
    /// The image directory's reference (repository and digest).
    pub reference: Reference,
    /// Written, or already present.
    pub placement: Placement,
}

/// The image a cosign payload names: its repository (no tag: cosign signs none) and digest.
fn payload_image(payload: &[u8]) -> Result<Reference, AddError> {
    let parsed = Payload::parse_cosign(payload)
        .map_err(|e| AddError::Unreadable(format!("the payload is not cosign's: {e}")))?;
    Reference::with_parts(&parsed.reference.name(), None, Some(parsed.digest.clone()))
        .map_err(|e| AddError::Unreadable(format!("the payload's image: {e}")))
}

/// Refuses a vote for another image than `asked`, when one was asked.
fn same_image(found: &Reference, asked: Option<&Reference>) -> Result<(), AddError> {
    match asked {
        Some(asked) if asked.name() != found.name() || asked.digest() != found.digest() => Err(
            AddError::OtherImage(format!("the vote is for {found}, not {asked}")),
        ),
        _ => Ok(()),
    }
}

/// Places a legacy-form vote (`\x00sigstore-json\n`…) as the next `signature-N` of the image
/// its payload names (which must be `asked`, when given), once it counts.
pub fn add_legacy(
    workspace: &Workspace,
    verifier: &Verifier,
    bytes: &[u8],
    asked: Option<&Reference>,
) -> Result<Added, AddError> {
    let legacy = LegacySignature::parse(bytes)
        .map_err(|e| AddError::Unreadable(format!("not a Sigstore signature: {e}")))?;
    let reference = payload_image(&legacy.payload)?;
    same_image(&reference, asked)?;
    let placement = sign::place_bytes(workspace, verifier, &reference, bytes)?;
    Ok(Added {
        reference,
        placement,
    })
}

/// Places a bundle for `image`: a DSSE bundle as it is, a messageSignature bundle converted to
/// the legacy form (its blob must be `quorate payload --cosign`'s bytes for `image`).
pub fn add_bundle(
    workspace: &Workspace,
    verifier: &Verifier,
    bytes: &[u8],
    image: &Reference,
) -> Result<Added, AddError> {
    let bundle = Bundle::parse(bytes)
        .map_err(|e| AddError::Unreadable(format!("not a Sigstore bundle: {e}")))?;
    let digest = image
        .digest()
        .ok_or_else(|| AddError::Unreadable(format!("{image} names no digest")))?;
    let reference = Reference::with_parts(&image.name(), None, Some(digest.clone()))
        .map_err(|e| AddError::Unreadable(e.to_string()))?;
    if let Content::MessageSignature(_) = bundle.content {
        let legacy = legacy_from_message_bundle(&bundle, &reference)?;
        return add_legacy(workspace, verifier, &legacy, Some(&reference));
    }
    let verdict = verifier.verify_bundle_bytes(
        bytes,
        &Expected {
            reference: Some(&reference),
            directory: Some((reference.path(), digest)),
        },
    );
    if !verdict.counts() {
        return Err(SignError::WouldNotCount {
            problems: verdict.problems,
        }
        .into());
    }
    let maintainer = verdict.signer.maintainer.clone().unwrap_or_default();
    let directory = tree::image_dir(&workspace.signatures_dir, &reference);
    // The same bundle, or another counting vote of this maintainer, is already there.
    let report = check_image(workspace, verifier, &reference);
    if let Some(file) = report.files.iter().find(|f| {
        std::fs::read(&f.path).is_ok_and(|b| b == bytes)
            || (f.verdict.counts() && f.verdict.signer.maintainer.as_deref() == Some(&maintainer))
    }) {
        return Ok(Added {
            reference,
            placement: Placement::AlreadySigned {
                maintainer,
                path: file.path.clone(),
            },
        });
    }
    let (number, path): (u32, PathBuf) =
        tree::write_next_file(&workspace.root, &directory, bytes, VoteFile::Bundle)
            .map_err(|e| SignError::Tree(e.shown_in(workspace)))?;
    Ok(Added {
        reference,
        placement: Placement::Written {
            number,
            path,
            maintainer,
            primary: String::new(),
            signing_key: String::new(),
            by_subkey: false,
        },
    })
}

/// The legacy form of a messageSignature bundle over `quorate payload --cosign IMAGE`'s bytes:
/// that payload (which must hash to the bundle's messageDigest), the signature, the certificate
/// (and chain) as PEM, and the first tlog entry's SET as containers/image's bundle annotation.
pub fn legacy_from_message_bundle(bundle: &Bundle, image: &Reference) -> Result<Vec<u8>, AddError> {
    let Content::MessageSignature(message) = &bundle.content else {
        return Err(AddError::Unreadable(
            "the bundle signs a DSSE envelope, not a blob".into(),
        ));
    };
    let digest = image
        .digest()
        .ok_or_else(|| AddError::Unreadable(format!("{image} names no digest")))?;
    let payload = Payload::to_cosign_bytes(image, digest);
    let hashed: [u8; 32] = Sha256::digest(&payload).into();
    if hashed != message.message_digest {
        return Err(AddError::OtherImage(format!(
            "the bundle's messageDigest is not the SHA-256 of `quorate payload --cosign {image}`: it signs another blob"
        )));
    }
    let rekor_bundle = bundle.tlog_entries.iter().find_map(|entry| {
        let set = entry.signed_entry_timestamp.clone()?;
        Some(RekorBundle {
            signed_entry_timestamp: set,
            body: entry.canonicalized_body.clone(),
            body_b64: b64_encode(&entry.canonicalized_body),
            integrated_time: entry.integrated_time,
            log_index: entry.log_index,
            log_id: entry.log_id,
        })
    });
    let pem = |der: &[u8]| crate::format::sigstore::pem::encode("CERTIFICATE", der).into_bytes();
    let (certificate_pem, chain_pem) = match &bundle.signer {
        Signer::Certificate(leaf) => (Some(pem(leaf)), None),
        Signer::Chain(chain) => match chain.split_first() {
            Some((leaf, rest)) => (
                Some(pem(leaf)),
                (!rest.is_empty()).then(|| rest.iter().flat_map(|c| pem(c)).collect()),
            ),
            None => (None, None),
        },
        Signer::PublicKey { .. } => (None, None),
    };
    Ok(LegacySignature {
        payload,
        signature: message.signature.clone(),
        certificate_pem,
        chain_pem,
        rekor_bundle,
        timestamp: None,
    }
    .to_bytes())
}

/// Places every vote of `cosign download signature`'s output (JSON lines): each legacy line
/// converted to the legacy form, each bundle line for `asked`. Every vote is judged before the
/// first is written, so a refused one leaves the tree as it was.
pub fn add_download(
    workspace: &Workspace,
    verifier: &Verifier,
    bytes: &[u8],
    asked: Option<&Reference>,
) -> Result<Vec<Added>, AddError> {
    let download = crate::format::sigstore::download::parse_download(bytes).map_err(|e| {
        AddError::Unreadable(format!("not `cosign download signature` output: {e}"))
    })?;
    // Bundle lines are parsed, not kept as bytes: they are placed through `add --bundle`.
    if !download.bundles.is_empty() {
        return Err(AddError::Unreadable(format!(
            "the download holds {} bundle line(s): save each line as a file and give it to add --bundle FILE --image IMAGE",
            download.bundles.len()
        )));
    }
    let legacy: Vec<Vec<u8>> = download.signatures.iter().map(|s| s.to_bytes()).collect();
    add_legacy_all(workspace, verifier, &legacy, asked)
}

/// Places legacy-form votes once every one of them counts: a refused one writes nothing.
fn add_legacy_all(
    workspace: &Workspace,
    verifier: &Verifier,
    legacy: &[Vec<u8>],
    asked: Option<&Reference>,
) -> Result<Vec<Added>, AddError> {
    for (i, vote) in legacy.iter().enumerate() {
        let parsed = LegacySignature::parse(vote)
            .map_err(|e| AddError::Unreadable(format!("signature {}: {e}", i + 1)))?;
        let reference = payload_image(&parsed.payload)?;
        same_image(&reference, asked)?;
        let digest = reference.digest().cloned();
        let verdict = verifier.verify_bytes(
            vote,
            &Expected {
                reference: Some(&reference),
                directory: digest.as_ref().map(|d| (reference.path(), d)),
            },
        );
        if !verdict.counts() {
            return Err(SignError::WouldNotCount {
                problems: verdict.problems,
            }
            .into());
        }
    }
    let mut added = Vec::new();
    for vote in legacy {
        added.push(add_legacy(workspace, verifier, vote, asked)?);
    }
    Ok(added)
}

/// The `kind` annotation `cosign save` gives the signatures' manifest in its index.
const SIGS_KIND: &str = "dev.cosignproject.cosign/sigs";

/// Places every signature of a `cosign save` OCI layout: the manifests its index.json annotates
/// `kind` = `dev.cosignproject.cosign/sigs`, each layer (a simple-signing payload blob with the
/// signature annotations) in the legacy form. Blobs are read by digest and checked against it.
pub fn add_layout(
    workspace: &Workspace,
    verifier: &Verifier,
    layout: &std::path::Path,
    asked: Option<&Reference>,
) -> Result<Vec<Added>, AddError> {
    let shown = workspace.display_path(layout);
    let unreadable = |what: String| AddError::Unreadable(format!("{shown}: {what}"));
    let read_json = |path: &std::path::Path| -> Result<serde_json::Value, AddError> {
        let bytes = std::fs::read(path)
            .map_err(|e| unreadable(format!("{}: cannot read: {e}", path.display())))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| unreadable(format!("{}: not JSON: {e}", path.display())))
    };
    let blob = |digest: &serde_json::Value| -> Result<Vec<u8>, AddError> {
        let digest = digest.as_str().unwrap_or_default();
        let hex = digest
            .strip_prefix("sha256:")
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| unreadable(format!("{digest:?} is not a sha256 digest")))?;
        let bytes = std::fs::read(layout.join("blobs/sha256").join(hex))
            .map_err(|e| unreadable(format!("blob {digest}: cannot read: {e}")))?;
        if crate::keys::sigstore::material::sha256_id(&bytes) != digest {
            return Err(unreadable(format!(
                "blob {digest} does not hash to its name"
            )));
        }
        Ok(bytes)
    };
    let index = read_json(&layout.join("index.json"))?;
    let mut legacy = Vec::new();
    for entry in index["manifests"].as_array().into_iter().flatten() {
        if entry["annotations"]["kind"].as_str() != Some(SIGS_KIND) {
            continue;
        }
        let manifest: serde_json::Value = serde_json::from_slice(&blob(&entry["digest"])?)
            .map_err(|e| unreadable(format!("the signatures' manifest: {e}")))?;
        for layer in manifest["layers"].as_array().into_iter().flatten() {
            let payload = blob(&layer["digest"])?;
            let mut annotations = serde_json::Map::new();
            for (key, value) in layer["annotations"].as_object().into_iter().flatten() {
                if key.starts_with("dev.cosignproject.cosign/")
                    || key.starts_with("dev.sigstore.cosign/")
                {
                    annotations.insert(key.clone(), value.clone());
                }
            }
            let document = serde_json::json!({
                "mimeType": crate::format::sigstore::envelope::MIME_TYPE,
                "payload": b64_encode(&payload),
                "annotations": annotations,
            });
            let bytes = [
                b"\x00sigstore-json\n".as_slice(),
                document.to_string().as_bytes(),
            ]
            .concat();
            let parsed = LegacySignature::parse(&bytes)
                .map_err(|e| unreadable(format!("layer {}: {e}", layer["digest"])))?;
            legacy.push(parsed.to_bytes());
        }
    }
    if legacy.is_empty() {
        return Err(unreadable(format!(
            "no manifest in index.json is annotated kind = {SIGS_KIND} (not a `cosign save` layout?)"
        )));
    }
    add_legacy_all(workspace, verifier, &legacy, asked)
}
