//! Signing: a payload becomes one binary signed message (One-Pass Signature, Literal Data,
//! Signature), verified in-process like any other signature before it is placed in the tree at
//! the next free number and committed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::crypto::{KeyPair, Password};
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{LiteralWriter, Message, Signer as StreamSigner};
use openpgp::types::{DataFormat, HashAlgorithm, RevocationStatus};
use openpgp::Fingerprint;

use crate::git::{self, FallbackIdentity};
use crate::payload::Payload;
use crate::quorum::check_image;
use crate::reason::Problem;
use crate::reference::Reference;
use crate::tree;
use crate::verify::{Expected, Verifier};
use crate::workspace::Workspace;

/// Why `sign` did not write a signature.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The key file cannot be read or holds no secret key (exit 2).
    #[error("{}: {message}", path.display())]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The secret key is passphrase-protected and no passphrase was given (exit 2).
    #[error("{}: the secret key is passphrase-protected; give --passphrase-file", .0.display())]
    NeedsPassphrase(PathBuf),
    /// The passphrase does not unlock the key (exit 2).
    #[error("{}: the passphrase does not unlock the secret key", .0.display())]
    WrongPassphrase(PathBuf),
    /// The key has no secret signing key that is valid now (exit 1).
    #[error("{}: no valid signing key with its secret: {message}", path.display())]
    NoSigningKey {
        /// The key file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The key's primary fingerprint is not in MAINTAINERS (exit 1).
    #[error("key {0} is not a maintainer's: MAINTAINERS does not list it")]
    NotAMaintainer(String),
    /// The signature just made does not count when verified against the workspace (exit 1).
    #[error("the new signature would not count, so it was not written: {}", problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    WouldNotCount {
        /// Every reason.
        problems: Vec<Problem>,
    },
    /// The signature could not be made (exit 1).
    #[error("signing failed: {0}")]
    Crypto(String),
    /// The signature could not be placed in the tree (exit 1).
    #[error(transparent)]
    Tree(#[from] tree::TreeError),
}

impl SignError {
    /// The exit status: 2 for bad input, 1 for a refusal.
    pub fn exit_code(&self) -> i32 {
        match self {
            SignError::KeyFile { .. }
            | SignError::NeedsPassphrase(_)
            | SignError::WrongPassphrase(_) => 2,
            _ => 1,
        }
    }
}

/// A secret key read from a file, as `gpg --export-secret-keys` writes it.
pub struct KeyFileSigner {
    path: PathBuf,
    cert: Cert,
    keypair: KeyPair,
    by_subkey: bool,
}

impl KeyFileSigner {
    /// Reads the key file and unlocks the key that will sign: the primary key when it holds its
    /// secret and may sign (podman before 5.37 rejects subkey signatures), else a signing subkey.
    pub fn load(
        path: &Path,
        passphrase: Option<&Password>,
        now: SystemTime,
    ) -> Result<KeyFileSigner, SignError> {
        let key_file = |message: String| SignError::KeyFile {
            path: path.to_path_buf(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| key_file(format!("cannot read: {e}")))?;
        let cert = Cert::from_bytes(&bytes).map_err(|e| {
            key_file(format!(
                "not an OpenPGP secret key: {}",
                crate::keyring::error_chain(&e)
            ))
        })?;
        if !cert.is_tsk() {
            return Err(key_file(
                "holds no secret key material (a public certificate?)".into(),
            ));
        }
        let policy = StandardPolicy::at(now);
        let no_key = |message: String| SignError::NoSigningKey {
            path: path.to_path_buf(),
            message,
        };
        let vc = cert
            .with_policy(&policy, now)
            .map_err(|e| no_key(crate::keyring::error_chain(&e)))?;
        if let Err(e) = vc.alive() {
            return Err(no_key(format!(
                "the certificate is not alive: {}",
                crate::keyring::error_chain(&e)
            )));
        }
        if let RevocationStatus::Revoked(_) = vc.revocation_status() {
            return Err(no_key("the certificate is revoked".into()));
        }
        let usable = |ka: &ValidErasedKeyAmalgamation<'_, openpgp::packet::key::PublicParts>| {
            secret_present(ka.key())
                && ka.for_signing()
                && ka.alive().is_ok()
                && !matches!(ka.revocation_status(), RevocationStatus::Revoked(_))
        };
        let chosen = vc
            .keys()
            .find(|ka| ka.primary() && usable(ka))
            .or_else(|| vc.keys().find(|ka| usable(ka)));
        let Some(ka) = chosen else {
            return Err(no_key(
                "neither the primary key nor a subkey can sign now".into(),
            ));
        };
        let by_subkey = !ka.primary();
        let mut secret = ka
            .key()
            .clone()
            .parts_into_secret()
            .map_err(|e| no_key(crate::keyring::error_chain(&e)))?;
        if !secret.has_unencrypted_secret() {
            let Some(password) = passphrase else {
                return Err(SignError::NeedsPassphrase(path.to_path_buf()));
            };
            secret = secret
                .decrypt_secret(password)
                .map_err(|_| SignError::WrongPassphrase(path.to_path_buf()))?;
        }
        let keypair = secret
            .into_keypair()
            .map_err(|e| SignError::Crypto(crate::keyring::error_chain(&e)))?;
        Ok(KeyFileSigner {
            path: path.to_path_buf(),
            cert,
            keypair,
            by_subkey,
        })
    }

    /// True when no secret is present for the primary key or it cannot sign, so a subkey signs.
    pub fn by_subkey(&self) -> bool {
        self.by_subkey
    }

    /// The certificate's primary fingerprint.
    pub fn primary(&self) -> Fingerprint {
        self.cert.fingerprint()
    }

    /// The file the key came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The fingerprint of the key that signs.
    pub fn signing_key(&self) -> Fingerprint {
        self.keypair.public().fingerprint()
    }

    /// Makes a binary signed message over `payload`.
    pub fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, SignError> {
        signed_message(self.keypair.clone(), payload)
            .map_err(|e| SignError::Crypto(crate::keyring::error_chain(&e)))
    }
}

/// True when the key's secret is really here: unencrypted, or encrypted with a real S2K. A
/// GnuPG stub (`gpg --export-secret-subkeys` writes one for an offline primary key, and one for a
/// key on a smartcard) carries a private S2K and no secret.
fn secret_present<R: openpgp::packet::key::KeyRole>(
    key: &openpgp::packet::Key<openpgp::packet::key::PublicParts, R>,
) -> bool {
    use openpgp::crypto::S2K;
    use openpgp::packet::key::SecretKeyMaterial;
    match key.optional_secret() {
        None => false,
        Some(SecretKeyMaterial::Unencrypted(_)) => true,
        Some(SecretKeyMaterial::Encrypted(e)) => {
            !matches!(e.s2k(), S2K::Private { .. } | S2K::Unknown { .. })
        }
    }
}

/// One-Pass Signature, Literal Data (binary, no file name), Signature (SHA-256): what
/// `gpg --sign --no-armor` makes, without the compression.
pub fn signed_message(keypair: KeyPair, payload: &[u8]) -> openpgp::Result<Vec<u8>> {
    let mut sink = Vec::new();
    {
        let message = Message::new(&mut sink);
        let signer = StreamSigner::new(message, keypair)?
            .hash_algo(HashAlgorithm::SHA256)?
            .build()?;
        let mut literal = LiteralWriter::new(signer)
            .format(DataFormat::Binary)
            .build()?;
        literal.write_all(payload)?;
        literal.finalize()?;
    }
    Ok(sink)
}

/// What `sign` did.
#[derive(Debug)]
pub enum SignOutcome {
    /// A new signature file.
    Written {
        /// Its number.
        number: u32,
        /// Its path.
        path: PathBuf,
        /// The maintainer.
        maintainer: String,
        /// The commit, when one was made.
        commit: Option<git2::Oid>,
        /// Why the commit failed, when it did: the file is still written and valid.
        commit_error: Option<String>,
    },
    /// The maintainer already has a valid signature of this reference and digest: nothing written.
    AlreadySigned {
        /// The maintainer.
        maintainer: String,
        /// The file that holds it.
        path: PathBuf,
    },
}

/// Whether and how to commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// Commit the new file in the repository holding signatures/, if there is one.
    Yes,
    /// Leave git alone.
    No,
}

/// Signs `reference` (with a tag and a digest) with a key file, places the signature and commits it.
pub fn sign(
    workspace: &Workspace,
    reference: &Reference,
    signer: &KeyFileSigner,
    commit: Commit,
    now: SystemTime,
) -> Result<SignOutcome, SignError> {
    let primary = signer.primary();
    let maintainer = workspace
        .maintainers
        .by_fingerprint(&primary.to_hex())
        .ok_or_else(|| SignError::NotAMaintainer(primary.to_hex()))?
        .clone();
    let verifier = Verifier::new(&workspace.keyring, &workspace.maintainers, now);
    if let Some(path) = already_signed(workspace, &verifier, reference, &maintainer.handle) {
        return Ok(SignOutcome::AlreadySigned {
            maintainer: maintainer.handle,
            path,
        });
    }
    let digest = reference.digest().expect("a signed reference has a digest");
    let payload = Payload::to_bytes(reference, digest);
    let bytes = signer.sign(&payload)?;
    // Never trust a signer's word: the bytes must count, for this maintainer, before they land.
    let verdict = verifier.verify_bytes(
        &bytes,
        &Expected {
            reference,
            directory: Some((reference.path(), digest)),
        },
    );
    if !verdict.counts() {
        return Err(SignError::WouldNotCount {
            problems: verdict.problems,
        });
    }
    if verdict.signer.maintainer.as_deref() != Some(maintainer.handle.as_str()) {
        return Err(SignError::NotAMaintainer(primary.to_hex()));
    }
    let directory = tree::image_dir(&workspace.signatures_dir, reference);
    let (number, path) = tree::write_next(&workspace.signatures_dir, &directory, &bytes)?;
    let (commit, commit_error) = match commit {
        Commit::No => (None, None),
        Commit::Yes => match git::discover(&workspace.signatures_dir, &workspace.root) {
            None => (None, None),
            Some(repo) => {
                let message = format!(
                    "Sign {}\n\nImage: {}\nDigest: {}\nMaintainer: {} ({})\nFingerprint: {}\nSigning key: {}\nFile: {}\n",
                    reference,
                    reference.without_digest(),
                    digest,
                    maintainer.handle,
                    maintainer.name.as_deref().unwrap_or(&maintainer.handle),
                    primary.to_hex(),
                    signer.signing_key().to_hex(),
                    workspace.display_path(&path),
                );
                let fallback = FallbackIdentity {
                    name: maintainer
                        .name
                        .clone()
                        .unwrap_or_else(|| maintainer.handle.clone()),
                    email: maintainer
                        .emails
                        .first()
                        .cloned()
                        .unwrap_or_else(|| format!("{}@quorate.invalid", maintainer.handle)),
                };
                match git::commit_files(&repo, std::slice::from_ref(&path), &message, &fallback) {
                    Ok(oid) => (Some(oid), None),
                    Err(e) => (None, Some(e.message)),
                }
            }
        },
    };
    Ok(SignOutcome::Written {
        number,
        path,
        maintainer: maintainer.handle,
        commit,
        commit_error,
    })
}

/// The file holding a counting signature of this maintainer for this exact reference and digest.
fn already_signed(
    workspace: &Workspace,
    verifier: &Verifier,
    reference: &Reference,
    handle: &str,
) -> Option<PathBuf> {
    let report = check_image(workspace, verifier, reference);
    report
        .files
        .into_iter()
        .find(|f| {
            f.verdict.counts()
                && f.verdict.signer.maintainer.as_deref() == Some(handle)
                && f.verdict
                    .payload
                    .as_ref()
                    .is_some_and(|p| p.reference == reference.without_digest())
        })
        .map(|f| f.path)
}
