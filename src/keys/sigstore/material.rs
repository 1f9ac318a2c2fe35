//! What a workspace's keyring holds for Sigstore votes: the trusted root at
//! `keyring/sigstore/trusted_root.json` (part of the trust root: its digest is in every trust
//! root version) and the cosign public keys MAINTAINERS names, each pinned by its id.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::format::maintainers::{Maintainers, SigstoreIdentity};
use crate::format::sigstore::trusted_root::{TrustedRoot, TRUSTED_ROOT_FILE};
use crate::fs::source::Source;
use crate::keys::sigstore::ecdsa::CosignPublicKey;

/// A cosign public key file larger than this is refused rather than read.
const MAX_KEY_FILE: u64 = 64 * 1024;

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
    /// Its contents.
    pub root: TrustedRoot,
}

/// A cosign public key MAINTAINERS names, read from keyring/ and checked against its pin.
#[derive(Debug, Clone)]
pub struct LoadedCosignKey {
    /// Its `sha256:<hex>` id (the pin).
    pub id: String,
    /// The key.
    pub key: CosignPublicKey,
}

/// The keyring's Sigstore part.
#[derive(Debug, Clone, Default)]
pub struct SigstoreMaterial {
    /// keyring/sigstore/trusted_root.json, when there is one (once a trust root version is in
    /// force: the copy that version pins).
    pub trusted_root: Option<LoadedTrustedRoot>,
    /// The cosign keys MAINTAINERS names, each once, by id.
    pub cosign_keys: Vec<LoadedCosignKey>,
    /// quorate.toml's `[sigstore] require-log-entry`: a cosign-key vote counts only with a
    /// verified transparency log entry (keyless votes always need one).
    pub require_log_entry: bool,
}

impl SigstoreMaterial {
    /// Reads the trusted root below `keyring_dir`, when there is one, and every cosign key
    /// MAINTAINERS names, each checked against its pin (a swapped file is an input error); a
    /// link is refused, as everywhere in the trust root.
    pub fn load(
        source: &dyn Source,
        keyring_dir: &Path,
        maintainers: &Maintainers,
    ) -> Result<SigstoreMaterial, MaterialError> {
        let mut material = SigstoreMaterial::load_trusted_root(source, keyring_dir)?;
        for (key, person) in maintainers.sigstore_keys() {
            let SigstoreIdentity::CosignKey { id, file } = &key.identity else {
                continue;
            };
            if file.is_empty() || material.cosign_keys.iter().any(|k| &k.id == id) {
                continue;
            }
            let path = keyring_dir.join(file);
            let fail = |message: String| MaterialError {
                path: path.clone(),
                message,
            };
            let bytes = match source.kind(&path) {
                Ok(Some(crate::fs::path::Kind::File)) => source
                    .read(&path, MAX_KEY_FILE)
                    .map_err(|e| fail(format!("cannot read: {e}")))?,
                Ok(Some(crate::fs::path::Kind::Symlink)) => {
                    return Err(fail(
                        "is a symlink; quorate does not follow links in the trust root".into(),
                    ))
                }
                Ok(None) => {
                    return Err(fail(format!(
                        "missing: MAINTAINERS names it as {}'s cosign key {} ({id})",
                        person.handle, key.label
                    )))
                }
                Ok(Some(_)) => return Err(fail("is not a file".into())),
                Err(e) => return Err(fail(format!("cannot read: {e}"))),
            };
            if bytes.len() as u64 > MAX_KEY_FILE {
                return Err(fail("larger than any public key file (64 KiB)".into()));
            }
            let public = CosignPublicKey::from_pem(&bytes)
                .map_err(|e| fail(format!("not a cosign public key: {e}")))?;
            if &public.id() != id {
                return Err(fail(format!(
                    "holds cosign key {}, but MAINTAINERS pins {}'s key {} to {id}: a swapped key file is refused",
                    public.id(),
                    person.handle,
                    key.label
                )));
            }
            material.cosign_keys.push(LoadedCosignKey {
                id: id.clone(),
                key: public,
            });
        }
        Ok(material)
    }

    /// The trusted root alone (see `load`).
    fn load_trusted_root(
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
                Some(LoadedTrustedRoot::parse(path.clone(), bytes)?)
            }
            Some(crate::fs::path::Kind::Symlink) => {
                return Err(fail(
                    "is a symlink; quorate does not follow links in the trust root".into(),
                ))
            }
            Some(_) => return Err(fail("is not a file".into())),
        };
        Ok(SigstoreMaterial {
            trusted_root,
            cosign_keys: Vec::new(),
            require_log_entry: false,
        })
    }

    /// The cosign key with this id, when MAINTAINERS names it and its file was read.
    pub fn cosign_key(&self, id: &str) -> Option<&CosignPublicKey> {
        self.cosign_keys.iter().find(|k| k.id == id).map(|k| &k.key)
    }

    /// The trusted root's digest, which the trust root pins.
    pub fn trusted_root_digest(&self) -> Option<String> {
        self.trusted_root.as_ref().map(|r| r.digest.clone())
    }
}

impl LoadedTrustedRoot {
    /// A trusted root's bytes read from `path`, parsed.
    pub fn parse(path: PathBuf, bytes: Vec<u8>) -> Result<LoadedTrustedRoot, MaterialError> {
        let root = TrustedRoot::parse(&bytes).map_err(|e| MaterialError {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Ok(LoadedTrustedRoot {
            path,
            digest: sha256_id(&bytes),
            bytes,
            root,
        })
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
