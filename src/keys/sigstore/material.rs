//! What a workspace's keyring holds for Sigstore votes: the trusted root at
//! `keyring/sigstore/trusted_root.json` (part of the trust root: its digest is in every trust
//! root version) and the cosign public keys MAINTAINERS names, each pinned by its id.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::format::sigstore::trusted_root::TRUSTED_ROOT_FILE;
use crate::fs::source::Source;

/// A trusted root larger than this is refused rather than read (the public-good one is ~10 KiB).
pub const MAX_TRUSTED_ROOT: u64 = 1024 * 1024;

/// Sigstore material that cannot be used. Always an input error (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct MaterialError {
    /// The file at fault.
    pub path: PathBuf,
    /// What is wrong, in one line.
    pub message: String,
}

crate::fault::always!(Input: MaterialError);

/// The trusted root as read: where, its digest, its bytes.
#[derive(Debug, Clone)]
pub struct LoadedTrustedRoot {
    /// The file.
    pub path: PathBuf,
    /// `sha256:<hex>` of its bytes: what the trust root pins.
    pub digest: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The keyring's Sigstore part.
#[derive(Debug, Clone, Default)]
pub struct SigstoreMaterial {
    /// keyring/sigstore/trusted_root.json, when there is one.
    pub trusted_root: Option<LoadedTrustedRoot>,
}

impl SigstoreMaterial {
    /// Reads the trusted root below `keyring_dir`, when there is one; a link there is refused,
    /// as everywhere in the trust root.
    pub fn load(
        source: &dyn Source,
        keyring_dir: &Path,
    ) -> Result<SigstoreMaterial, MaterialError> {
        let dir = keyring_dir.join("sigstore");
        if source.kind(&dir).ok().flatten() == Some(crate::fs::path::Kind::Symlink) {
            return Err(MaterialError {
                path: dir,
                message: "is a symlink; quorate does not follow links in the trust root".into(),
            });
        }
        let path = keyring_dir.join(TRUSTED_ROOT_FILE);
        let fail = |message: String| MaterialError {
            path: path.clone(),
            message,
        };
        let kind = source
            .kind(&path)
            .map_err(|e| fail(format!("cannot read: {e}")))?;
        let trusted_root = match kind {
            None => None,
            Some(crate::fs::path::Kind::File) => {
                let bytes = source
                    .read(&path, MAX_TRUSTED_ROOT)
                    .map_err(|e| fail(format!("cannot read: {e}")))?;
                if bytes.len() as u64 > MAX_TRUSTED_ROOT {
                    return Err(fail(
                        "larger than any trusted root quorate reads (1 MiB)".into(),
                    ));
                }
                Some(LoadedTrustedRoot {
                    path: path.clone(),
                    digest: sha256_id(&bytes),
                    bytes,
                })
            }
            Some(crate::fs::path::Kind::Symlink) => {
                return Err(fail(
                    "is a symlink; quorate does not follow links in the trust root".into(),
                ))
            }
            Some(_) => return Err(fail("is not a file".into())),
        };
        Ok(SigstoreMaterial { trusted_root })
    }

    /// The trusted root's digest, which the trust root pins.
    pub fn trusted_root_digest(&self) -> Option<String> {
        self.trusted_root.as_ref().map(|r| r.digest.clone())
    }
}

/// `sha256:<hex>` of bytes.
pub fn sha256_id(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}
