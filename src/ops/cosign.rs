//! Cosign-key votes: `sign --cosign-key` makes the legacy (tag-stored) form cosign and
//! containers/image read, `\x00sigstore-json\n` with cosign's simple-signing payload, signed
//! with the maintainer's cosign key and carrying no certificate and no SET.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use openpgp::Fingerprint;
use sequoia_openpgp as openpgp;

use crate::format::maintainers::SigstoreIdentity;
use crate::format::payload::Payload;
use crate::format::reference::{Digest, Reference};
use crate::format::sigstore::envelope::LegacySignature;
use crate::keys::consumer::Consumer;
use crate::keys::keyring::Keyring;
use crate::keys::sigstore::private_key::{CosignPrivateKey, PrivateKeyError};
use crate::ops::sign::{PayloadSigner, SignError};
use crate::workspace::Workspace;

/// A cosign private key file (`cosign generate-key-pair`), decrypted.
pub struct CosignKeySigner {
    path: PathBuf,
    key: CosignPrivateKey,
}

impl std::fmt::Debug for CosignKeySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosignKeySigner")
            .field("path", &self.path)
            .field("id", &self.id())
            .finish()
    }
}

impl CosignKeySigner {
    /// Reads and decrypts the key file: a wrong passphrase is [`SignError::WrongPassphrase`]
    /// naming the file, a file that is no cosign key is [`SignError::KeyFile`].
    pub fn load(path: &Path, passphrase: &[u8]) -> Result<CosignKeySigner, SignError> {
        let key_file = |message: String| SignError::KeyFile {
            path: path.to_path_buf(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| key_file(format!("cannot read: {e}")))?;
        let key = CosignPrivateKey::decrypt(&bytes, passphrase).map_err(|e| match e {
            PrivateKeyError::WrongPassphrase => SignError::WrongPassphrase(path.to_path_buf()),
            other => key_file(format!("not a cosign private key: {other}")),
        })?;
        Ok(CosignKeySigner {
            path: path.to_path_buf(),
            key,
        })
    }

    /// `sha256:<hex>` of the public key's DER SubjectPublicKeyInfo, as MAINTAINERS pins it.
    pub fn id(&self) -> String {
        self.key.public_key().id()
    }

    /// The file the key came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Refuses a key MAINTAINERS does not list, before anything is signed.
    pub fn check_listed(&self, workspace: &Workspace) -> Result<String, SignError> {
        let identity = SigstoreIdentity::CosignKey {
            id: self.id(),
            file: String::new(),
        };
        workspace
            .maintainers
            .by_sigstore(&identity)
            .map(|m| m.handle.clone())
            .ok_or_else(|| {
                SignError::NotAMaintainer(format!(
                    "{} (the cosign key in {})",
                    self.id(),
                    self.path.display()
                ))
            })
    }

    /// The legacy-form vote over `payload`: the signature annotation only.
    fn legacy(&self, payload: &[u8]) -> Result<Vec<u8>, SignError> {
        let signature = self
            .key
            .sign(payload)
            .map_err(|e| SignError::Crypto(e.to_string()))?;
        Ok(LegacySignature {
            payload: payload.to_vec(),
            signature,
            certificate_pem: None,
            chain_pem: None,
            rekor_bundle: None,
            timestamp: None,
        }
        .to_bytes())
    }
}

impl PayloadSigner for CosignKeySigner {
    fn expected_primary(&self) -> Option<Fingerprint> {
        None
    }
    fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, SignError> {
        self.legacy(payload)
    }
    fn vote(&self, reference: &Reference, digest: &Digest) -> Result<Vec<u8>, SignError> {
        self.legacy(&Payload::to_cosign_bytes(reference, digest))
    }
    fn serve(&mut self, _: &Consumer, _: &Keyring, _: SystemTime) -> Result<(), SignError> {
        // Whether the consumer reads Sigstore votes at all is the verdict's to say: a vote the
        // consumer cannot count is refused before it is written.
        Ok(())
    }
}
