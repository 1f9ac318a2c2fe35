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

use crate::format::payload::Payload;
use crate::format::reference::{Digest, Reference};
use crate::fs::git::{self, FallbackIdentity};
use crate::judge::quorum::check_image;
use crate::keys::consumer::Consumer;
use crate::keys::keyring::Keyring;
use crate::keys::reason::Problem;
use crate::keys::verify::{Expected, Verifier};
use crate::workspace::tree;
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
    #[error("{}: the secret key is passphrase-protected", .0.display())]
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
    /// The gpg program could not be run or made no signature (exit 1).
    #[error("{0}")]
    Gpg(String),
    /// The signer's rebuild does not show this digest (exit 1).
    #[error("not signed: {0}")]
    NotReproduced(String),
    /// A release package has no tag: the rebuild names none and no --tag was given (exit 2).
    #[error("no tag for {0}: its rebuild layout names none")]
    NoTag(String),
    /// The gpg key given does not name a certificate in the keyring, so whose signature to act on
    /// is unknown (exit 2).
    #[error("cannot tell whose signatures these are")]
    UnknownSigner,
    /// There is nothing of this maintainer's to withdraw (exit 1).
    #[error("nothing to withdraw: {0}")]
    NothingToWithdraw(String),
    /// The key can only sign with a subkey, and the declared consumer refuses subkey signatures
    /// (exit 1): said before anything is signed or written.
    #[error("{0}")]
    SubkeyNotAccepted(String),
    /// A reference built from the release is invalid (exit 2).
    #[error("invalid reference {0}")]
    BadReference(String),
    /// The signature could not be placed in the tree (exit 1).
    #[error(transparent)]
    Tree(#[from] tree::TreeError),
}

impl SignError {
    /// The same error with its paths shown as quorate shows every path: from the workspace.
    pub fn shown_in(self, workspace: &Workspace) -> SignError {
        let show = |path: PathBuf| PathBuf::from(workspace.display_path(&path));
        match self {
            SignError::KeyFile { path, message } => SignError::KeyFile {
                path: show(path),
                message,
            },
            SignError::NeedsPassphrase(path) => SignError::NeedsPassphrase(show(path)),
            SignError::WrongPassphrase(path) => SignError::WrongPassphrase(show(path)),
            SignError::NoSigningKey { path, message } => SignError::NoSigningKey {
                path: show(path),
                message,
            },
            SignError::Tree(e) => SignError::Tree(e.shown_in(workspace)),
            other => other,
        }
    }
}

impl From<crate::fs::confine::ConfineError> for SignError {
    fn from(e: crate::fs::confine::ConfineError) -> SignError {
        SignError::Tree(e.into())
    }
}

impl crate::fault::Classify for SignError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            SignError::KeyFile { .. }
            | SignError::NeedsPassphrase(_)
            | SignError::WrongPassphrase(_)
            | SignError::NoTag(_)
            | SignError::UnknownSigner
            | SignError::BadReference(_) => crate::fault::Fault::Input,
            _ => crate::fault::Fault::Refused,
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
    /// secret and may sign (containers/image before 5.37 rejects subkey signatures), else a signing subkey.
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
                crate::text::error_chain(&e)
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
            .map_err(|e| no_key(crate::text::error_chain(&e)))?;
        if let Err(e) = vc.alive() {
            return Err(no_key(format!(
                "the certificate is not alive: {}",
                crate::text::error_chain(&e)
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
            .map_err(|e| no_key(crate::text::error_chain(&e)))?;
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
            .map_err(|e| SignError::Crypto(crate::text::error_chain(&e)))?;
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
            .map_err(|e| SignError::Crypto(crate::text::error_chain(&e)))
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

/// Anything that turns payload bytes into a signed message: a key file, the maintainer's own
/// GnuPG, or (for `add`) a signature made elsewhere. Its output is never trusted: it is verified
/// like any other signature before it is placed.
pub trait PayloadSigner {
    /// The primary fingerprint of the key that will sign, when known before signing: lets `sign`
    /// refuse a stranger or skip an image already signed without asking for a PIN.
    fn expected_primary(&self) -> Option<Fingerprint>;
    /// Signs the payload.
    fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, SignError>;
    /// The vote file for `reference` at `digest`: an OpenPGP signed message over the atomic
    /// payload, unless the signer makes another kind of vote (a cosign key's legacy form).
    fn vote(&self, reference: &Reference, digest: &Digest) -> Result<Vec<u8>, SignError> {
        self.sign(&Payload::to_bytes(reference, digest))
    }
    /// Makes only image signatures `consumer` accepts, or refuses before signing when that cannot
    /// be: a consumer before containers/image 5.37 refuses signatures made by a subkey.
    fn serve(
        &mut self,
        consumer: &Consumer,
        keyring: &Keyring,
        now: SystemTime,
    ) -> Result<(), SignError>;
}

/// The refusal for a key that signs only with `subkey` under `consumer`.
fn subkey_refused(consumer: &Consumer, subkey: &Fingerprint, why: &str) -> SignError {
    SignError::SubkeyNotAccepted(format!(
        "not signed: {why} subkey {}, and the declared consumer {} refuses signatures made by a subkey, so the signature would not count; {}",
        subkey.to_hex(),
        consumer.describe(),
        consumer.subkey_remedy()
    ))
}

impl PayloadSigner for KeyFileSigner {
    fn expected_primary(&self) -> Option<Fingerprint> {
        Some(self.primary())
    }
    fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, SignError> {
        KeyFileSigner::sign(self, payload)
    }
    fn serve(&mut self, consumer: &Consumer, _: &Keyring, _: SystemTime) -> Result<(), SignError> {
        if self.by_subkey && !consumer.accepts_subkey_signatures() {
            let why = format!(
                "{} holds no usable secret for the primary key, only for",
                self.path.display()
            );
            return Err(subkey_refused(consumer, &self.signing_key(), &why));
        }
        Ok(())
    }
}

/// The maintainer's own GnuPG: `gpg --sign --no-armor --local-user KEY`, the payload on stdin,
/// so keys in gpg-agent and on smartcards never leave them (PIN and touch go through the user's
/// pinentry). gpg picks the signing (sub)key.
pub struct GpgSigner {
    /// The program and its leading arguments (`gpg`, or `--gpg-program`).
    pub program: Vec<String>,
    /// `--local-user`: a fingerprint, key id or user ID.
    pub key: String,
    /// The maintainer's primary fingerprint, when `key` names a certificate in the keyring.
    pub expected: Option<Fingerprint>,
    /// Sign with the primary key (`--local-user FINGERPRINT!`): gpg otherwise picks a signing
    /// subkey when the certificate has one, even when the primary key can sign.
    pub primary_only: bool,
}

impl GpgSigner {
    /// A gpg signer for `key`, resolved against the keyring when it is a fingerprint or key id.
    pub fn new(
        program: Vec<String>,
        key: String,
        keyring: &crate::keys::keyring::Keyring,
    ) -> GpgSigner {
        let compact: String = key.chars().filter(|c| !c.is_whitespace()).collect();
        let compact = compact.trim_start_matches("0x").to_string();
        let expected = compact
            .parse::<openpgp::KeyHandle>()
            .ok()
            .and_then(|handle| match keyring.certs_for(&handle).as_slice() {
                [cert] => Some(cert.fingerprint()),
                _ => None,
            });
        GpgSigner {
            program,
            key,
            expected,
            primary_only: false,
        }
    }
}

impl PayloadSigner for GpgSigner {
    fn expected_primary(&self) -> Option<Fingerprint> {
        self.expected.clone()
    }

    fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, SignError> {
        use std::process::{Command, Stdio};
        let (program, leading) = self
            .program
            .split_first()
            .ok_or_else(|| SignError::Crypto("no gpg program given".into()))?;
        let local_user = match (&self.expected, self.primary_only) {
            (Some(primary), true) => format!("{}!", primary.to_hex()),
            _ => self.key.clone(),
        };
        let mut child = Command::new(program)
            .args(leading)
            .args(["--sign", "--no-armor", "--local-user", &local_user])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| SignError::Gpg(format!("cannot run {program}: {e}")))?;
        let mut stdin = child.stdin.take().expect("piped");
        let written = stdin.write_all(payload);
        drop(stdin);
        let output = child
            .wait_with_output()
            .map_err(|e| SignError::Gpg(format!("{program}: {e}")))?;
        // What gpg said is the user's to read, whatever happens next.
        let said = String::from_utf8_lossy(&output.stderr);
        eprint!("{said}");
        // gpg writes the literal data before it signs, so a failed signing (no PIN, no card)
        // leaves a truncated message on stdout: its failure is reported as gpg's, never parsed.
        // A success status, on the other hand, is not trusted: the output is verified below.
        let why = said
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| format!("{}; ", l.trim()))
            .unwrap_or_default();
        if !output.status.success() || output.stdout.is_empty() {
            // Without the primary key's secret here (kept offline, a subkey on a card), gpg fails
            // on `FINGERPRINT!`: say why it was asked for.
            let asked = if self.primary_only {
                format!(
                    "; quorate asked for the primary key ({local_user}), as the declared consumer refuses subkey signatures"
                )
            } else {
                String::new()
            };
            return Err(SignError::Gpg(format!(
                "{program} made no signature: {why}{}{asked}",
                output.status
            )));
        }
        written.map_err(|e| SignError::Gpg(format!("{program}: cannot write the payload: {e}")))?;
        Ok(output.stdout)
    }

    fn serve(
        &mut self,
        consumer: &Consumer,
        keyring: &Keyring,
        now: SystemTime,
    ) -> Result<(), SignError> {
        if consumer.accepts_subkey_signatures() {
            return Ok(());
        }
        // A key gpg resolves by user ID is judged once it has signed: the verdict refuses it.
        let Some(cert) = self.expected.as_ref().and_then(|f| keyring.by_primary(f)) else {
            return Ok(());
        };
        if let Some(subkey) = crate::keys::consumer::only_subkey_signs(cert, now) {
            let why = format!(
                "certificate {}'s primary key cannot sign; only",
                cert.fingerprint().to_hex()
            );
            return Err(subkey_refused(consumer, &subkey, &why));
        }
        self.primary_only = true;
        Ok(())
    }
}

/// What placing one signature did.
#[derive(Debug, Clone)]
pub enum Placement {
    /// A new signature file.
    Written {
        /// Its number.
        number: u32,
        /// Its path.
        path: PathBuf,
        /// The maintainer.
        maintainer: String,
        /// The primary fingerprint of the maintainer's key.
        primary: String,
        /// The key that made it.
        signing_key: String,
        /// True when a subkey made it.
        by_subkey: bool,
    },
    /// The maintainer already has a valid signature of this name, tag and digest: nothing written.
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
    /// Commit the new files in the repository holding signatures/, if there is one.
    Yes,
    /// Leave git alone.
    No,
}

/// The commit that followed a placement.
#[derive(Debug, Clone, Default)]
pub struct Committed {
    /// The commit, when one was made.
    pub commit: Option<git2::Oid>,
    /// Why the commit failed, when it did: the files are still written and valid.
    pub error: Option<String>,
    /// True when no git repository holds signatures/ (at or below the workspace): the files are
    /// written and nothing could commit them.
    pub outside_git: bool,
}

/// Signs `reference` (with a tag and a digest) and places the signature in the tree.
pub fn place(
    workspace: &Workspace,
    verifier: &Verifier,
    reference: &Reference,
    signer: &dyn PayloadSigner,
) -> Result<Placement, SignError> {
    // A signer killed before it linked its file left a temporary file here; it is nobody's now.
    // Behind a link nothing is removed: the link is refused before anything changes.
    tree::remove_stale_temps(
        &workspace.root,
        &tree::image_dir(&workspace.signatures_dir, reference),
    )?;
    // Known before signing: refuse a stranger and skip what is signed without asking for a PIN.
    let expected = match signer.expected_primary() {
        Some(primary) => {
            let maintainer = workspace
                .maintainers
                .by_fingerprint(&primary.to_hex())
                .ok_or_else(|| SignError::NotAMaintainer(primary.to_hex()))?;
            if let Some(path) = already_signed(workspace, verifier, reference, &maintainer.handle) {
                return Ok(Placement::AlreadySigned {
                    maintainer: maintainer.handle.clone(),
                    path,
                });
            }
            Some((primary, maintainer.handle.clone()))
        }
        None => None,
    };
    let digest = reference.digest().expect("a signed reference has a digest");
    let bytes = signer.vote(reference, digest)?;
    // Judged as of now, not as of the start: gpg may take a PIN, a touch, or a second boundary.
    let fresh = verifier.at(SystemTime::now().max(verifier.now()));
    let judged = judge_new(&fresh, reference, &bytes)?;
    match expected {
        // The signature came from another key than the one asked for: nothing is written.
        Some((primary, handle)) if judged.maintainer != handle => {
            Err(SignError::NotAMaintainer(primary.to_hex()))
        }
        // Already checked for this maintainer above.
        Some(_) => write_new(workspace, reference, &bytes, judged),
        None => place_judged(workspace, verifier, reference, &bytes, judged),
    }
}

/// Places a signature made elsewhere (or just now): it must count for a maintainer, for this
/// reference and digest, before it lands at the next free number.
pub fn place_bytes(
    workspace: &Workspace,
    verifier: &Verifier,
    reference: &Reference,
    bytes: &[u8],
) -> Result<Placement, SignError> {
    place_bytes_unshown(workspace, verifier, reference, bytes).map_err(|e| e.shown_in(workspace))
}

/// `place_bytes`, with paths in its errors as they were found.
fn place_bytes_unshown(
    workspace: &Workspace,
    verifier: &Verifier,
    reference: &Reference,
    bytes: &[u8],
) -> Result<Placement, SignError> {
    let judged = judge_new(verifier, reference, bytes)?;
    place_judged(workspace, verifier, reference, bytes, judged)
}

/// A new signature that counts, and for whom.
struct Judged {
    maintainer: String,
    verdict: crate::keys::verify::Verdict,
}

fn judge_new(
    verifier: &Verifier,
    reference: &Reference,
    bytes: &[u8],
) -> Result<Judged, SignError> {
    let digest = reference.digest().expect("a signed reference has a digest");
    let verdict = verifier.verify_bytes(
        bytes,
        &Expected {
            reference: Some(reference),
            directory: Some((reference.path(), digest)),
        },
    );
    if !verdict.counts() {
        return Err(SignError::WouldNotCount {
            problems: verdict.problems,
        });
    }
    let maintainer = verdict
        .signer
        .maintainer
        .clone()
        .expect("a counting signature has a maintainer");
    Ok(Judged {
        maintainer,
        verdict,
    })
}

/// Writes a judged signature unless its maintainer already signed the reference its payload signs.
fn place_judged(
    workspace: &Workspace,
    verifier: &Verifier,
    reference: &Reference,
    bytes: &[u8],
    judged: Judged,
) -> Result<Placement, SignError> {
    let digest = reference.digest().expect("a signed reference has a digest");
    // An identity matched by repository alone (a digest-only reference) is not "this tag": the
    // duplicate check uses the reference the payload actually signs.
    let signed = judged
        .verdict
        .payload
        .as_ref()
        .map(|p| p.reference.clone())
        .unwrap_or_else(|| reference.without_digest());
    let signed = Reference::with_parts(&signed.name(), signed.tag(), Some(digest.clone()))
        .unwrap_or_else(|_| reference.clone());
    if let Some(path) = already_signed(workspace, verifier, &signed, &judged.maintainer) {
        return Ok(Placement::AlreadySigned {
            maintainer: judged.maintainer,
            path,
        });
    }
    write_new(workspace, reference, bytes, judged)
}

fn write_new(
    workspace: &Workspace,
    reference: &Reference,
    bytes: &[u8],
    judged: Judged,
) -> Result<Placement, SignError> {
    let directory = tree::image_dir(&workspace.signatures_dir, reference);
    let (number, path) = tree::write_next(&workspace.root, &directory, bytes)?;
    let signer = judged.verdict.signer;
    Ok(Placement::Written {
        number,
        path,
        maintainer: judged.maintainer,
        primary: signer.primary.map(|k| k.to_hex()).unwrap_or_default(),
        signing_key: signer.signing_key.map(|k| k.to_hex()).unwrap_or_default(),
        by_subkey: signer.by_subkey,
    })
}

/// Commits the files written, alone, in the repository that holds signatures/ (if any).
pub fn commit_placed(
    workspace: &Workspace,
    written: &[PathBuf],
    message: &str,
    by: &str,
) -> Committed {
    commit_changes_placed(workspace, written, &[], message, by)
}

/// Commits files written and removed, alone, in the repository that holds signatures/ (if any).
pub fn commit_changes_placed(
    workspace: &Workspace,
    written: &[PathBuf],
    removed: &[PathBuf],
    message: &str,
    by: &str,
) -> Committed {
    if written.is_empty() && removed.is_empty() {
        return Committed::default();
    }
    let Some(repo) = git::discover(&workspace.signatures_dir, &workspace.root) else {
        return Committed {
            outside_git: true,
            ..Committed::default()
        };
    };
    let person = workspace.maintainers.get(by);
    let fallback = FallbackIdentity {
        name: person
            .and_then(|m| m.name.clone())
            .unwrap_or_else(|| by.to_string()),
        email: person
            .and_then(|m| m.emails.first().cloned())
            .unwrap_or_else(|| format!("{by}@quorate.invalid")),
    };
    match git::commit_changes(&repo, written, removed, message, &fallback) {
        Ok(oid) => Committed {
            commit: Some(oid),
            ..Committed::default()
        },
        Err(e) => Committed {
            error: Some(e.message),
            ..Committed::default()
        },
    }
}

/// What the signer held the image against before signing it, as its commit message records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked<'a> {
    /// The signer's own rebuild (an OUT_DIR, or digests) shows the digest: its label.
    Rebuild(&'a str),
    /// No rebuild: signed with --no-rebuild, which the commit says.
    NoRebuild,
    /// Not this command's to say: a signature made elsewhere, added.
    Elsewhere,
}

/// The commit message for one signature.
pub fn commit_message(
    workspace: &Workspace,
    reference: &Reference,
    placement: &Placement,
    checked: Checked,
) -> String {
    let mut message = format!(
        "Sign {reference}\n\n{}",
        commit_trailer(workspace, reference, placement)
    );
    match checked {
        Checked::Rebuild(label) => message.push_str(&format!("Rebuilt: {label}\n")),
        Checked::NoRebuild => message
            .push_str("Rebuilt: no (--no-rebuild: signed without a rebuild of the signer's own)\n"),
        Checked::Elsewhere => {}
    }
    message
}

/// What a commit message says of one signature: image, digest, maintainer, keys, file.
fn commit_trailer(workspace: &Workspace, reference: &Reference, placement: &Placement) -> String {
    let Placement::Written {
        path,
        maintainer,
        primary,
        signing_key,
        ..
    } = placement
    else {
        return String::new();
    };
    let name = workspace
        .maintainers
        .get(maintainer)
        .and_then(|m| m.name.as_deref())
        .unwrap_or(maintainer);
    format!(
        "Image: {}\nDigest: {}\nMaintainer: {maintainer} ({name})\nFingerprint: {primary}\nSigning key: {signing_key}\nFile: {}\n",
        reference.without_digest(),
        reference.digest().expect("a signed reference has a digest"),
        workspace.display_path(path),
    )
}

/// Signs one reference and commits it: `quorate sign`.
pub fn sign(
    workspace: &Workspace,
    reference: &Reference,
    signer: &dyn PayloadSigner,
    commit: Commit,
    checked: Checked,
    now: SystemTime,
) -> Result<(Placement, Committed), SignError> {
    sign_unshown(workspace, reference, signer, commit, checked, now)
        .map_err(|e| e.shown_in(workspace))
}

/// `sign`, with paths in its errors as they were found.
fn sign_unshown(
    workspace: &Workspace,
    reference: &Reference,
    signer: &dyn PayloadSigner,
    commit: Commit,
    checked: Checked,
    now: SystemTime,
) -> Result<(Placement, Committed), SignError> {
    let verifier = Verifier::new(&workspace.keyring, &workspace.maintainers, now)
        .for_consumer(workspace.consumer());
    let placement = place(workspace, &verifier, reference, signer)?;
    let committed = commit_placement(workspace, reference, &placement, commit, checked);
    Ok((placement, committed))
}

/// Commits what a placement wrote (`sign`, `add`). A signature this maintainer already has that
/// an earlier run wrote but never committed (its commit failed: a detached HEAD, a locked index;
/// or it was told not to commit) is committed now, so signing or adding the same image again is
/// how such a leftover gets into history.
pub fn commit_placement(
    workspace: &Workspace,
    reference: &Reference,
    placement: &Placement,
    commit: Commit,
    checked: Checked,
) -> Committed {
    match (placement, commit) {
        (
            Placement::Written {
                path, maintainer, ..
            },
            Commit::Yes,
        ) => {
            let message = commit_message(workspace, reference, placement, checked);
            commit_placed(workspace, std::slice::from_ref(path), &message, maintainer)
        }
        // Written by an earlier run whose commit failed or that was told not to commit: this
        // sign or add of the same image commits it, as --release does.
        (Placement::AlreadySigned { path, maintainer }, Commit::Yes) => {
            let leftover = git::discover(&workspace.signatures_dir, &workspace.root)
                .map(|repo| git::uncommitted(&repo, std::slice::from_ref(path)))
                .unwrap_or_default();
            if leftover.is_empty() {
                Committed::default()
            } else {
                let message = format!(
                "Sign {reference}\n\nPlaced by an earlier run that did not commit it: {}\nMaintainer: {maintainer}\n",
                workspace.display_path(path)
            );
                commit_placed(workspace, &leftover, &message, maintainer)
            }
        }
        _ => Committed::default(),
    }
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
