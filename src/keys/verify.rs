//! Judging one signature file: is it a well-formed message, made by a maintainer's key that was
//! valid when it signed and still is, over a payload that names the image asked for?

use std::time::SystemTime;

use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::packet::key::{PublicParts, UnspecifiedRole};
use openpgp::packet::{Key, Signature};
use openpgp::policy::{HashAlgoSecurity, Policy, StandardPolicy};
use openpgp::types::{HashAlgorithm, RevocationType, SignatureType};
use openpgp::{Fingerprint, KeyHandle};

use crate::format::maintainers::Maintainers;
use crate::format::message::{read_signed_message, MessageError, SignedMessage};
use crate::format::payload::{Payload, PayloadError};
use crate::format::reference::{Digest, Reference};
use crate::keys::consumer::Consumer;
use crate::keys::keyring::Keyring;
use crate::keys::keystate::{KeyJudge, KeyState};
use crate::keys::reason::{Problem, Reason};
use crate::text::fmt_time;

/// Who made a signature, as far as the cryptography shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Signer {
    /// The maintainer's handle, when the primary key is in MAINTAINERS.
    pub maintainer: Option<String>,
    /// The certificate's primary key, when the signature verified against it (or the
    /// MAINTAINERS key the issuer names, when the certificate is missing).
    pub primary: Option<Fingerprint>,
    /// The key that made the signature (the issuer, when it could not be verified).
    pub signing_key: Option<KeyHandle>,
    /// True when the signing key is a subkey (containers/image before 5.37 rejects these).
    pub by_subkey: bool,
    /// What kind of key made it: OpenPGP, a cosign key or a keyless identity.
    pub kind: SignerKind,
}

/// What kind of key made a vote. One person may hold keys of every kind; they count once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SignerKind {
    /// An OpenPGP key (`primary` and `signing_key` say which).
    #[default]
    OpenPgp,
    /// A cosign key pair's key, by its `sha256:<hex>` id.
    CosignKey {
        /// The key's id.
        id: String,
    },
    /// A keyless identity: the Fulcio certificate's issuer and subject.
    Keyless {
        /// The OIDC issuer.
        issuer: String,
        /// The email or URI subject.
        subject: String,
    },
}

impl SignerKind {
    /// The stable name of the kind in JSON and on the page: `openpgp`, `cosign-key`, `keyless`.
    pub fn code(&self) -> &'static str {
        match self {
            SignerKind::OpenPgp => "openpgp",
            SignerKind::CosignKey { .. } => "cosign-key",
            SignerKind::Keyless { .. } => "keyless",
        }
    }
}

/// The verdict on one signature's bytes.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Who signed, as far as known.
    pub signer: Signer,
    /// The signature's creation time.
    pub created: Option<SystemTime>,
    /// The payload, when it parsed.
    pub payload: Option<Payload>,
    /// Everything wrong, empty when the signature counts.
    pub problems: Vec<Problem>,
}

impl Verdict {
    /// A verdict with nothing known but a problem.
    pub fn failed(problem: Problem) -> Verdict {
        Verdict {
            signer: Signer {
                maintainer: None,
                primary: None,
                signing_key: None,
                by_subkey: false,
                kind: SignerKind::OpenPgp,
            },
            created: None,
            payload: None,
            problems: vec![problem],
        }
    }

    /// True when no problem is a fault.
    pub fn counts(&self) -> bool {
        self.problems.iter().all(|p| !p.reason.is_fault())
    }

    /// True when it counts, or its only faults are what an honest history holds (a former
    /// maintainer's signature): nothing wrong with it, though it does not count.
    pub fn is_honest(&self) -> bool {
        self.problems
            .iter()
            .all(|p| !p.reason.is_fault() || p.reason.is_honest_past())
    }
}

/// What a signature must name to count.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// The reference asked for (its digest set), or None when nothing is asked but that the file
    /// be a valid maintainer's signature (a directory whose name says nothing usable).
    pub reference: Option<&'a Reference>,
    /// The directory's repository path and digest, when the file lies in the lookaside tree.
    pub directory: Option<(&'a str, &'a Digest)>,
}

/// Judges signatures against one keyring and MAINTAINERS, at one time.
pub struct Verifier<'a> {
    keyring: &'a Keyring,
    maintainers: &'a Maintainers,
    policy: StandardPolicy<'static>,
    now: SystemTime,
    accept_legacy: bool,
    consumer: Option<Consumer>,
}

impl<'a> Verifier<'a> {
    /// A verifier judging as of `now` (the present, or `--as-of`).
    pub fn new(
        keyring: &'a Keyring,
        maintainers: &'a Maintainers,
        now: SystemTime,
    ) -> Verifier<'a> {
        Verifier {
            keyring,
            maintainers,
            policy: StandardPolicy::at(now),
            now,
            accept_legacy: false,
            consumer: None,
        }
    }

    /// Counts StageX's legacy payloads (`--accept-legacy`), their identity matched by repository.
    pub fn accept_legacy(mut self, accept: bool) -> Verifier<'a> {
        self.accept_legacy = accept;
        self
    }

    /// Counts only the image signatures `consumer` accepts (quorate.toml's `[consumers]`); None
    /// counts every valid one.
    pub fn for_consumer(mut self, consumer: Option<Consumer>) -> Verifier<'a> {
        self.consumer = consumer;
        self
    }

    /// The consumer whose acceptance decides, when one is declared.
    pub fn consumer(&self) -> Option<&Consumer> {
        self.consumer.as_ref()
    }

    /// The same verifier judging at another time (the verdict "as of" a commit).
    pub fn at(&self, now: SystemTime) -> Verifier<'a> {
        Verifier::new(self.keyring, self.maintainers, now)
            .accept_legacy(self.accept_legacy)
            .for_consumer(self.consumer.clone())
    }

    /// The maintainer whose key made a git commit's OpenPGP signature (`gpgsig`, a detached
    /// signature over the commit's content), when it verifies against the keyring.
    pub fn commit_signer(&self, signature: &[u8], signed: &[u8]) -> Option<String> {
        use openpgp::parse::Parse;
        let pile = openpgp::PacketPile::from_bytes(signature).ok()?;
        let openpgp::Packet::Signature(sig) = pile.into_children().next()? else {
            return None;
        };
        for issuer in sig.get_issuers() {
            for cert in self.keyring.certs_for(&issuer) {
                for key in cert.keys() {
                    if key.key().key_handle().aliases(&issuer)
                        && sig.verify_message(key.key(), signed).is_ok()
                    {
                        return self
                            .maintainers
                            .by_fingerprint(&cert.fingerprint().to_hex())
                            .map(|m| m.handle.clone());
                    }
                }
            }
        }
        None
    }

    /// The time signatures are judged at.
    pub fn now(&self) -> SystemTime {
        self.now
    }

    /// Judges a signature file's bytes: an OpenPGP signed message, or a cosign vote in
    /// containers/image's sigstore encoding (`\x00sigstore-json\n`), told apart by the first
    /// byte as containers/image tells them.
    pub fn verify_bytes(&self, bytes: &[u8], expected: &Expected) -> Verdict {
        if crate::format::sigstore::envelope::is_sigstore(bytes) {
            let vote = self.sigstore().judge_legacy(bytes);
            return self.sigstore_verdict(vote, expected, false);
        }
        match read_signed_message(bytes) {
            Ok(message) => self.verify_read(&message, expected),
            Err(e) => Verdict::failed(message_problem(e)),
        }
    }

    /// `verify_bytes` of a file already read with `read_signed_message`.
    pub fn verify_read(&self, message: &SignedMessage, expected: &Expected) -> Verdict {
        self.verify_read_checks(message, expected, &mut MessageChecks::default())
    }

    /// `verify_read` of a message that keeps what judging it found that no moment changes: a
    /// caller judging one file at two moments (the audit: now, and as of the commit that added
    /// it) hands the same `CheckedMessage` to both verifiers and pays for the file's parse, its
    /// signature's cryptography and its payload's parse once.
    pub fn verify_checked(&self, checked: &mut CheckedMessage, expected: &Expected) -> Verdict {
        self.verify_read_checks(&checked.message, expected, &mut checked.checks)
    }

    fn verify_read_checks(
        &self,
        message: &SignedMessage,
        expected: &Expected,
        checks: &mut MessageChecks,
    ) -> Verdict {
        let mut verdict = self.verify_message_judged(message, true, checks);
        // Only image signatures: podman never reads trust-root approvals or withdrawals.
        match &self.consumer {
            Some(consumer) if verdict.signer.by_subkey && !consumer.accepts_subkey_signatures() => {
                verdict.problems.push(Problem::new(
                    Reason::SubkeyNotAccepted,
                    format!(
                        "made by subkey {}, which the declared consumer {} refuses; {}",
                        verdict
                            .signer
                            .signing_key
                            .as_ref()
                            .map(|k| k.to_hex())
                            .unwrap_or_default(),
                        consumer.describe(),
                        consumer.subkey_remedy()
                    ),
                ))
            }
            _ => {}
        }
        let parsed = checks
            .payload
            .get_or_insert_with(|| Payload::parse(&message.payload).map_err(payload_problem));
        match parsed {
            Ok(payload) => {
                let identity = if self.accept_legacy {
                    PayloadIdentity::ExactOrLegacy
                } else {
                    PayloadIdentity::Exact
                };
                check_payload(payload, expected, identity, &mut verdict.problems);
                verdict.payload = Some(payload.clone());
            }
            Err(problem) => verdict.problems.push(problem.clone()),
        }
        verdict
    }

    /// Judges a Sigstore bundle file (cosign v3's form, kept beside the `signature-N` files).
    pub fn verify_bundle_bytes(&self, bytes: &[u8], expected: &Expected) -> Verdict {
        let vote = self.sigstore().judge_bundle(bytes);
        self.sigstore_verdict(vote, expected, true)
    }

    fn sigstore(&self) -> crate::keys::sigstore::vote::SigstoreJudge<'_> {
        crate::keys::sigstore::vote::SigstoreJudge {
            material: &self.keyring.sigstore,
            maintainers: self.maintainers,
            require_log_entry: self.keyring.sigstore.require_log_entry,
        }
    }

    /// A Sigstore vote's verdict with its payload judged (the repository alone, as
    /// containers/image's matchRepository, since cosign signs no tag; a bundle's statement by
    /// digest alone) and the declared consumer's say.
    fn sigstore_verdict(
        &self,
        vote: crate::keys::sigstore::vote::VoteVerdict,
        expected: &Expected,
        bundle: bool,
    ) -> Verdict {
        use crate::keys::sigstore::vote::SignedContent;
        let mut verdict = Verdict {
            signer: vote.signer,
            created: vote.created,
            payload: None,
            problems: vote.problems,
        };
        if let Some(created) = verdict.created {
            if created > self.now {
                verdict.problems.push(Problem::new(
                    Reason::SignatureInFuture,
                    format!(
                        "logged at {}, after {}",
                        fmt_time(created),
                        fmt_time(self.now)
                    ),
                ));
            }
        }
        match vote.signed {
            SignedContent::Payload(bytes) => match Payload::parse_cosign(&bytes) {
                Ok(payload) => {
                    check_payload(
                        &payload,
                        expected,
                        PayloadIdentity::Repository,
                        &mut verdict.problems,
                    );
                    verdict.payload = Some(payload);
                }
                Err(e) => verdict.problems.push(payload_problem(e)),
            },
            SignedContent::Statement(digest) => {
                check_digest(&digest, expected, &mut verdict.problems);
            }
            SignedContent::Nothing => {}
        }
        let refusal = match &self.consumer {
            // containers/image reads only the `.sig` form (containers/container-libs#388).
            Some(consumer) if bundle => Some(format!(
                "a Sigstore bundle, which the declared consumer {} never reads (containers/image reads cosign's legacy form only)",
                consumer.describe()
            )),
            Some(consumer) => consumer.sigstore_refusal(&verdict.signer.kind),
            None => None,
        };
        if let Some(refusal) = refusal {
            verdict
                .problems
                .push(Problem::new(Reason::SigstoreNotAccepted, refusal));
        }
        verdict
    }

    /// Checks the signature of a well-formed message: who made it, and whether it counts (its
    /// key valid when it signed and still now).
    pub fn verify_message(&self, message: &SignedMessage) -> Verdict {
        self.verify_message_judged(message, true, &mut MessageChecks::default())
    }

    /// `verify_message`, the key judged only as of the signature's own time: valid when made (a
    /// chain's approval of a version this clone already trusts). A hard revocation still voids it.
    pub fn verify_message_as_made(&self, message: &SignedMessage) -> Verdict {
        self.verify_message_judged(message, false, &mut MessageChecks::default())
    }

    fn verify_message_judged(
        &self,
        message: &SignedMessage,
        judge_now: bool,
        checks: &mut MessageChecks,
    ) -> Verdict {
        let sig = &message.signature;
        let (created, mut problems) = self.check_shape(sig);
        let Some(created) = created else {
            return self.unattributed(sig, None, problems);
        };
        let issuers = sig.get_issuers();
        if issuers.is_empty() {
            problems.push(Problem::new(
                Reason::NoIssuer,
                "the signature names no issuing key",
            ));
            return self.unattributed(sig, Some(created), problems);
        }
        let candidates = self.candidates(&issuers);
        if candidates.is_empty() {
            return self.no_certificate(sig, created, &issuers, problems);
        }
        let Some(pick) = self.pick(message, &candidates, created, checks) else {
            return self.not_verified(sig, created, &candidates, &issuers, problems);
        };

        let (cert, key) = (pick.cert, pick.key);
        let mut verdict = self.attributed(cert, key, Some(created), problems);
        if !pick.ambiguous.is_empty() {
            verdict.problems.push(Problem::new(
                Reason::KeyInSeveralCertificates,
                format!(
                    "key {} is a signing key of several certificates ({}); whose signature it is cannot be told",
                    key.fingerprint().to_hex(),
                    pick.ambiguous.join(", ")
                ),
            ));
        }
        let key_fpr = key.fingerprint();
        let states = if judge_now {
            KeyStates {
                signed_at: created,
                at_signing: pick.at_signing,
                judged_at: self.now,
                judged: self.judge().state(cert, &key_fpr, self.now),
            }
        } else {
            KeyStates {
                signed_at: created,
                at_signing: pick.at_signing.clone(),
                judged_at: created,
                judged: pick.at_signing,
            }
        };
        verdict
            .problems
            .extend(key_state_problems(&key_fpr, &cert.fingerprint(), states));
        if verdict.signer.maintainer.is_none() {
            let primary = cert.fingerprint().to_hex();
            verdict.problems.push(match self.maintainers.former(&primary) {
                Some(former) => Problem::new(
                    Reason::FormerMaintainer,
                    format!(
                        "by {}, a former maintainer (removed in trust root version {}): not counted",
                        former.handle, former.removed_in
                    ),
                ),
                None => Problem::new(
                    Reason::NotAMaintainer,
                    format!("primary key {primary} is not listed in MAINTAINERS"),
                ),
            });
        }
        verdict
    }

    /// The signature's shape: its type, its hash, its creation time (None when it has none, and
    /// then nothing after it is checked) and whether it was alive at `now`.
    fn check_shape(&self, sig: &Signature) -> (Option<SystemTime>, Vec<Problem>) {
        let mut problems = Vec::new();
        if sig.typ() != SignatureType::Binary {
            problems.push(Problem::new(
                Reason::WrongSignatureType,
                format!("a {} signature, not a binary document signature", sig.typ()),
            ));
        }
        if !is_strong_hash(sig.hash_algo()) {
            problems.push(Problem::new(
                Reason::WeakHash,
                format!(
                    "signed with {}, which is not collision resistant",
                    sig.hash_algo()
                ),
            ));
        } else if let Err(e) = self
            .policy
            .signature(sig, HashAlgoSecurity::CollisionResistance)
        {
            problems.push(Problem::new(
                Reason::PolicyRejected,
                crate::text::error_line(&e),
            ));
        }
        let Some(created) = sig.signature_creation_time() else {
            problems.push(Problem::new(
                Reason::NoCreationTime,
                "the signature has no creation time",
            ));
            return (None, problems);
        };
        if created > self.now {
            problems.push(Problem::new(
                Reason::SignatureInFuture,
                format!(
                    "made at {}, after {}",
                    fmt_time(created),
                    fmt_time(self.now)
                ),
            ));
        } else if let Err(e) = sig.signature_alive(self.now, std::time::Duration::ZERO) {
            problems.push(Problem::new(
                Reason::SignatureExpired,
                crate::text::error_line(&e),
            ));
        }
        (Some(created), problems)
    }

    /// Every key in the keyring the issuers could be, each (certificate, key) once, in the order
    /// the signature names them; the one the signature verifies against wins (see `pick`).
    fn candidates(&self, issuers: &[KeyHandle]) -> Vec<Candidate<'a>> {
        let mut candidates: Vec<Candidate<'a>> = Vec::new();
        for issuer in issuers {
            for cert in self.keyring.certs_for(issuer) {
                for key in cert.keys() {
                    if key.key().key_handle().aliases(issuer)
                        && !candidates.iter().any(|(c, k)| {
                            c.fingerprint() == cert.fingerprint()
                                && k.fingerprint() == key.key().fingerprint()
                        })
                    {
                        candidates.push((cert, key.key().clone().role_into_unspecified()));
                    }
                }
            }
        }
        candidates
    }

    /// No certificate in the keyring holds an issuer: a MAINTAINERS key whose certificate is
    /// missing, or an unknown key.
    fn no_certificate(
        &self,
        sig: &Signature,
        created: SystemTime,
        issuers: &[KeyHandle],
        problems: Vec<Problem>,
    ) -> Verdict {
        let claimed = issuers
            .iter()
            .filter_map(|h| match h {
                KeyHandle::Fingerprint(f) => {
                    self.maintainers.by_fingerprint(&f.to_hex()).map(|m| (f, m))
                }
                KeyHandle::KeyID(_) => None,
            })
            .next();
        let mut verdict = self.unattributed(sig, Some(created), problems);
        match claimed {
            Some((fingerprint, maintainer)) => {
                verdict.problems.push(Problem::new(
                    Reason::MaintainerCertificateMissing,
                    format!(
                        "issuer {} is {}'s key in MAINTAINERS, but the keyring has no certificate for it",
                        fingerprint.to_hex(),
                        maintainer.handle
                    ),
                ));
                verdict.signer.maintainer = Some(maintainer.handle.clone());
                verdict.signer.primary = Some(fingerprint.clone());
            }
            None => verdict.problems.push(Problem::new(
                Reason::UnknownIssuer,
                format!(
                    "no certificate in the keyring holds issuer {}",
                    handles(issuers)
                ),
            )),
        }
        verdict
    }

    /// Of the copies of the key that made the signature, the best ranked (see `KeyRank`), with
    /// its state when it signed; None when no candidate made it.
    fn pick<'c>(
        &self,
        message: &SignedMessage,
        candidates: &'c [Candidate<'a>],
        created: SystemTime,
        checks: &mut MessageChecks,
    ) -> Option<Pick<'a, 'c>> {
        let sig = &message.signature;
        let mut verified: Vec<(&Cert, &PublicKey, KeyState, KeyRank)> = Vec::new();
        for (cert, key) in candidates {
            if key.creation_time() > created {
                continue;
            }
            let fpr = key.fingerprint();
            if !checks.made_by(&fpr, || sig.verify_message(key, &message.payload).is_ok()) {
                continue;
            }
            let state = self.judge().state_at_signing(cert, &fpr, created);
            let rank = KeyRank::of(&state, fpr == cert.fingerprint());
            verified.push((cert, key, state, rank));
        }
        verified.sort_by_key(|(_, _, _, rank)| *rank);
        // The same key validly signing for two certificates, neither its own: who signed cannot
        // be told, so it counts for no one.
        let ambiguous: Vec<String> = match verified.as_slice() {
            [(_, _, _, KeyRank::SubkeyGood), rest @ ..]
                if rest.iter().any(|(_, _, _, r)| *r == KeyRank::SubkeyGood) =>
            {
                verified
                    .iter()
                    .filter(|(_, _, _, r)| *r == KeyRank::SubkeyGood)
                    .map(|(c, _, _, _)| c.fingerprint().to_hex())
                    .collect()
            }
            _ => Vec::new(),
        };
        let (cert, key, at_signing, _) = verified.into_iter().next()?;
        Some(Pick {
            cert,
            key,
            at_signing,
            ambiguous,
        })
    }

    /// No candidate made the signature: a key created after it, or a bad signature.
    fn not_verified(
        &self,
        sig: &Signature,
        created: SystemTime,
        candidates: &[Candidate<'a>],
        issuers: &[KeyHandle],
        problems: Vec<Problem>,
    ) -> Verdict {
        // A key created after the signature cannot have made it; say so rather than "bad".
        if let Some((cert, key)) = candidates
            .iter()
            .find(|(_, key)| key.creation_time() > created)
        {
            let mut verdict = self.attributed(cert, key, Some(created), problems);
            verdict.problems.push(Problem::new(
                Reason::KeyNotYetCreated,
                format!(
                    "signed at {}, before key {} was created at {}",
                    fmt_time(created),
                    key.fingerprint().to_hex(),
                    fmt_time(key.creation_time())
                ),
            ));
            return verdict;
        }
        let mut verdict = self.unattributed(sig, Some(created), problems);
        verdict.problems.push(Problem::new(
            Reason::BadSignature,
            format!(
                "the signature does not verify against key {}",
                handles(issuers)
            ),
        ));
        verdict
    }

    fn judge(&self) -> KeyJudge<'_> {
        KeyJudge {
            keyring: self.keyring,
            policy: &self.policy,
        }
    }

    fn attributed(
        &self,
        cert: &Cert,
        key: &Key<PublicParts, UnspecifiedRole>,
        created: Option<SystemTime>,
        problems: Vec<Problem>,
    ) -> Verdict {
        let primary = cert.fingerprint();
        Verdict {
            signer: Signer {
                maintainer: self
                    .maintainers
                    .by_fingerprint(&primary.to_hex())
                    .map(|m| m.handle.clone()),
                by_subkey: key.fingerprint() != primary,
                primary: Some(primary),
                signing_key: Some(KeyHandle::Fingerprint(key.fingerprint())),
                kind: SignerKind::OpenPgp,
            },
            created,
            payload: None,
            problems,
        }
    }

    fn unattributed(
        &self,
        sig: &Signature,
        created: Option<SystemTime>,
        problems: Vec<Problem>,
    ) -> Verdict {
        Verdict {
            signer: Signer {
                maintainer: None,
                primary: None,
                signing_key: sig.get_issuers().into_iter().next(),
                by_subkey: false,
                kind: SignerKind::OpenPgp,
            },
            created,
            payload: None,
            problems,
        }
    }
}

/// A key as the keyring holds it, primary or subkey.
type PublicKey = Key<PublicParts, UnspecifiedRole>;

/// A key the issuer could be, and the certificate it was found in.
type Candidate<'k> = (&'k Cert, PublicKey);

/// A signed message with what judging it found that no moment changes
/// (`Verifier::verify_checked`). The findings stay with the message they are about, so they
/// cannot be applied to another.
pub struct CheckedMessage {
    message: SignedMessage,
    checks: MessageChecks,
}

impl CheckedMessage {
    /// A message not judged yet.
    pub fn new(message: SignedMessage) -> CheckedMessage {
        CheckedMessage {
            message,
            checks: MessageChecks::default(),
        }
    }
}

/// What judging an OpenPGP message finds that no moment changes: whether its signature was made
/// by each key it was checked against, and its payload's parse. What depends on the moment (the
/// key's state, the signature's lifetime, the policy in force) is judged each time.
#[derive(Default)]
struct MessageChecks {
    /// Each key the signature was checked against, and whether it verified.
    made_by: Vec<(Fingerprint, bool)>,
    payload: Option<Result<Payload, Problem>>,
}

impl MessageChecks {
    /// Whether the key `fpr` made the signature: `check` the first time it is asked.
    fn made_by(&mut self, fpr: &Fingerprint, check: impl FnOnce() -> bool) -> bool {
        if let Some((_, made)) = self.made_by.iter().find(|(f, _)| f == fpr) {
            return *made;
        }
        let made = check();
        self.made_by.push((fpr.clone(), made));
        made
    }
}

/// The copy of the key that made a signature, chosen among the candidates.
struct Pick<'k, 'c> {
    cert: &'k Cert,
    key: &'c PublicKey,
    /// Its state when it signed.
    at_signing: KeyState,
    /// When the same key is validly bound for signing in several certificates, none its own:
    /// their fingerprints (then whose signature it is cannot be told).
    ambiguous: Vec<String>,
}

/// How a verifying copy of the signing key ranks; the lowest wins. Of the copies of the key
/// that made a signature, the one in the certificate where it is validly bound for signing wins:
/// a copy pasted into another certificate, unbound or bound for another use, never takes a
/// signature away from its owner. So a good copy beats a flawed one (its own certificate's
/// first, where it is the primary key), a flawed primary key is its owner's and is judged as
/// such, a subkey bound with a flaw (expired, revoked, not for signing) comes next, and a
/// subkey copy not bound at all, or in a certificate that is not valid, comes last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum KeyRank {
    /// Good, and the certificate's primary key.
    PrimaryGood,
    /// Good, bound as a subkey of the certificate.
    SubkeyGood,
    /// The certificate's primary key, in any state but good.
    PrimaryFlawed,
    /// Bound as a subkey, but revoked, expired or not for signing.
    SubkeyFlawed,
    /// A subkey not validly bound, or in a certificate that is not valid.
    SubkeyUnbound,
}

impl KeyRank {
    /// The rank of a copy in `state`; `primary` when it is its certificate's primary key.
    fn of(state: &KeyState, primary: bool) -> KeyRank {
        match (state, primary) {
            (KeyState::Good, true) => KeyRank::PrimaryGood,
            (KeyState::Good, false) => KeyRank::SubkeyGood,
            (_, true) => KeyRank::PrimaryFlawed,
            (KeyState::NotBound | KeyState::CertificateInvalid(_), false) => KeyRank::SubkeyUnbound,
            _ => KeyRank::SubkeyFlawed,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Moment {
    Signing,
    Judged,
}

/// The signing key's state when it signed and when the signature is judged.
#[derive(Debug, Clone, PartialEq)]
struct KeyStates {
    signed_at: SystemTime,
    at_signing: KeyState,
    judged_at: SystemTime,
    judged: KeyState,
}

/// What is wrong with the signing key `key` of certificate `cert` in `states`: at most one
/// problem per reason, signing first; a key that was not alive when it signed has not "expired
/// since". (No problem found before these has any of their reasons.)
fn key_state_problems(key: &Fingerprint, cert: &Fingerprint, states: KeyStates) -> Vec<Problem> {
    let mut problems: Vec<Problem> = Vec::new();
    let moments = [
        (Moment::Signing, states.signed_at, states.at_signing),
        (Moment::Judged, states.judged_at, states.judged),
    ];
    for (moment, at, state) in moments {
        let problem = match state {
            KeyState::Good => continue,
            KeyState::Revoked(RevocationType::Hard) => Problem::new(
                Reason::KeyRevoked,
                format!("key {} is hard-revoked: every signature it made is void", key.to_hex()),
            ),
            KeyState::Revoked(RevocationType::Soft) => Problem::new(
                Reason::KeyRetired,
                format!("key {} was retired (soft-revoked) as of {}", key.to_hex(), fmt_time(at)),
            ),
            KeyState::NotSigningCapable => Problem::new(
                Reason::KeyNotSigningCapable,
                format!("key {} is not marked for signing as of {}", key.to_hex(), fmt_time(at)),
            ),
            KeyState::Expired | KeyState::NotBound if moment == Moment::Signing => Problem::new(
                Reason::KeyNotAliveAtSigning,
                format!(
                    "key {} was not alive when it signed at {} (an outdated copy of the certificate? import a fresh one)",
                    key.to_hex(),
                    fmt_time(at)
                ),
            ),
            KeyState::Expired => Problem::new(
                Reason::KeyExpired,
                format!("key {} has expired since it signed (as of {})", key.to_hex(), fmt_time(at)),
            ),
            KeyState::NotBound => Problem::new(
                Reason::CertificateInvalid,
                format!("key {} is not validly bound to its certificate as of {}", key.to_hex(), fmt_time(at)),
            ),
            KeyState::CertificateInvalid(why) if moment == Moment::Signing => Problem::new(
                Reason::KeyNotAliveAtSigning,
                format!("certificate {} was not valid when it signed: {why}", cert.to_hex()),
            ),
            KeyState::CertificateInvalid(why) => Problem::new(
                Reason::CertificateInvalid,
                format!("certificate {} is not valid: {why}", cert.to_hex()),
            ),
        };
        // A key that was not alive when it signed has not "expired since".
        let implied = problem.reason == Reason::KeyExpired
            && problems
                .iter()
                .any(|p| p.reason == Reason::KeyNotAliveAtSigning);
        if !implied && !problems.iter().any(|p| p.reason == problem.reason) {
            problems.push(problem);
        }
    }
    problems
}

/// Only hashes that resist collisions: a SHA-1 signature is forgeable whatever date it carries.
fn is_strong_hash(algo: HashAlgorithm) -> bool {
    matches!(
        algo,
        HashAlgorithm::SHA224
            | HashAlgorithm::SHA256
            | HashAlgorithm::SHA384
            | HashAlgorithm::SHA512
            | HashAlgorithm::SHA3_256
            | HashAlgorithm::SHA3_512
    )
}

/// The payload must name the image asked for and agree with its directory.
/// How a payload's identity is matched against the reference asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PayloadIdentity {
    /// podman's default, matchRepoDigestOrExact; StageX's legacy payloads refused.
    Exact,
    /// The same, StageX's legacy payloads counted by repository (`--accept-legacy`).
    ExactOrLegacy,
    /// The repository alone (matchRepository): cosign signs no tag.
    Repository,
}

/// The digest a vote names (a bundle's statement: no repository) against the one asked for and
/// the directory the file lies in.
fn check_digest(digest: &Digest, expected: &Expected, problems: &mut Vec<Problem>) {
    if let Some(asked) = expected.reference.and_then(|r| r.digest()) {
        if digest != asked {
            problems.push(Problem::new(
                Reason::DigestMismatch,
                format!("signs {digest}, not {asked}"),
            ));
        }
    }
    if let Some((path, in_dir)) = expected.directory {
        if digest != in_dir {
            problems.push(Problem::new(
                Reason::DirectoryMismatch,
                format!("signs {digest}, but lies in {path}@sha256={}", in_dir.hex()),
            ));
        }
    }
}

fn check_payload(
    payload: &Payload,
    expected: &Expected,
    identity: PayloadIdentity,
    problems: &mut Vec<Problem>,
) {
    let repository_only = payload.legacy || identity == PayloadIdentity::Repository;
    if payload.legacy && identity != PayloadIdentity::ExactOrLegacy {
        problems.push(Problem::new(
            Reason::LegacyPayload,
            "StageX's legacy payload, which podman cannot read (--accept-legacy counts it)",
        ));
    }
    if payload.reference.is_name_only() && !repository_only {
        problems.push(Problem::new(
            Reason::ReferenceWithoutTag,
            format!(
                "signed reference {} has no tag; podman never accepts it",
                payload.reference
            ),
        ));
    }
    if let Some(asked) = expected.reference {
        let asked_digest = asked.digest().expect("an expected reference has a digest");
        if &payload.digest != asked_digest {
            problems.push(Problem::new(
                Reason::DigestMismatch,
                format!("signs {}, not {}", payload.digest, asked_digest),
            ));
        }
    }
    if let Some((path, digest)) = expected.directory {
        if &payload.digest != digest || payload.reference.path() != path {
            problems.push(Problem::new(
                Reason::DirectoryMismatch,
                format!(
                    "signs {}@{}, but lies in {}@sha256={}",
                    payload.reference.path(),
                    payload.digest,
                    path,
                    digest.hex()
                ),
            ));
        }
    }
    let Some(asked) = expected.reference else {
        return;
    };
    // A legacy or cosign payload carries no tag: its identity can only be the repository.
    let identity_ok = if repository_only {
        payload.reference.name() == asked.name()
    } else {
        identity_matches(&payload.reference, asked)
    };
    if !identity_ok {
        problems.push(Problem::new(
            Reason::ReferenceMismatch,
            format!("signs {}, not {}", payload.reference, shown_identity(asked)),
        ));
    }
}

/// podman's matchRepoDigestOrExact: asked by tag, the signed reference must be that name and tag
/// exactly; asked by digest alone, the repository must match.
pub fn identity_matches(signed: &Reference, asked: &Reference) -> bool {
    if signed.is_name_only() {
        return false;
    }
    match asked.tag() {
        Some(_) => *signed == asked.without_digest(),
        None => signed.name() == asked.name(),
    }
}

fn shown_identity(asked: &Reference) -> String {
    match asked.tag() {
        Some(_) => asked.without_digest().to_string(),
        None => format!("{} (any tag)", asked.name()),
    }
}

/// The reason for a message that is not a well-formed signed message.
pub fn message_problem(e: MessageError) -> Problem {
    let reason = match e {
        MessageError::Empty => Reason::EmptyFile,
        MessageError::TooLarge(_) => Reason::TooLarge,
        MessageError::Armored => Reason::AsciiArmored,
        MessageError::Cleartext => Reason::CleartextSignature,
        MessageError::NotOpenPgp(_) => Reason::NotOpenpgp,
        MessageError::Truncated(_) => Reason::TruncatedMessage,
        MessageError::Malformed(_) => Reason::MalformedMessage,
        MessageError::Detached => Reason::DetachedSignature,
        MessageError::NoSignature => Reason::NoSignature,
        MessageError::MultipleSignatures(_) => Reason::MultipleSignatures,
        MessageError::NotSignedMessage(_) => Reason::NotASignedMessage,
        MessageError::NestedCompression => Reason::NestedCompression,
        MessageError::PayloadTooLarge => Reason::PayloadTooLarge,
        MessageError::CompressedTooLarge(_) => Reason::CompressedTooLarge,
        MessageError::OnePassMismatch(_) => Reason::OnePassMismatch,
    };
    Problem::new(reason, e.to_string())
}

/// The reason for a payload that does not parse.
pub fn payload_problem(e: PayloadError) -> Problem {
    let reason = match e {
        PayloadError::NotJson(_) => Reason::PayloadNotJson,
        PayloadError::DuplicateKey(_) => Reason::PayloadDuplicateKey,
        PayloadError::Schema(_) => Reason::PayloadSchema,
        PayloadError::WrongType(_) => Reason::PayloadWrongType,
        PayloadError::BadDigest(_) => Reason::PayloadBadDigest,
        PayloadError::BadReference(..) => Reason::PayloadBadReference,
    };
    Problem::new(reason, format!("payload: {e}"))
}

fn handles(handles: &[KeyHandle]) -> String {
    handles
        .iter()
        .map(|h| h.to_hex())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::Duration;

    #[test]
    fn a_good_copy_outranks_a_flawed_one_and_an_unbound_copy_comes_last() {
        let flawed = [
            KeyState::Expired,
            KeyState::NotSigningCapable,
            KeyState::Revoked(RevocationType::Soft),
            KeyState::Revoked(RevocationType::Hard),
        ];
        let unbound = [
            KeyState::NotBound,
            KeyState::CertificateInvalid("no self-signature".into()),
        ];
        assert_eq!(KeyRank::of(&KeyState::Good, true), KeyRank::PrimaryGood);
        assert_eq!(KeyRank::of(&KeyState::Good, false), KeyRank::SubkeyGood);
        for state in flawed.iter().chain(&unbound) {
            assert_eq!(
                KeyRank::of(state, true),
                KeyRank::PrimaryFlawed,
                "{state:?}"
            );
        }
        for state in &flawed {
            assert_eq!(
                KeyRank::of(state, false),
                KeyRank::SubkeyFlawed,
                "{state:?}"
            );
        }
        for state in &unbound {
            assert_eq!(
                KeyRank::of(state, false),
                KeyRank::SubkeyUnbound,
                "{state:?}"
            );
        }
        let mut ranks = vec![
            KeyRank::SubkeyUnbound,
            KeyRank::SubkeyFlawed,
            KeyRank::PrimaryFlawed,
            KeyRank::SubkeyGood,
            KeyRank::PrimaryGood,
        ];
        ranks.sort();
        assert_eq!(
            ranks,
            [
                KeyRank::PrimaryGood,
                KeyRank::SubkeyGood,
                KeyRank::PrimaryFlawed,
                KeyRank::SubkeyFlawed,
                KeyRank::SubkeyUnbound,
            ]
        );
    }

    fn problems(at_signing: KeyState, judged: KeyState) -> Vec<(Reason, String)> {
        let key = Fingerprint::from_hex("C92FE5A3FBD58DD3EC5AA26BB10116B8193F2DBD").unwrap();
        let cert = Fingerprint::from_hex("6B61ECD76088748C70590D55E90A401336C8AAA9").unwrap();
        let states = KeyStates {
            signed_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            at_signing,
            judged_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            judged,
        };
        key_state_problems(&key, &cert, states)
            .into_iter()
            .map(|p| (p.reason, p.detail))
            .collect()
    }

    fn reasons(at_signing: KeyState, judged: KeyState) -> Vec<Reason> {
        problems(at_signing, judged)
            .into_iter()
            .map(|(r, _)| r)
            .collect()
    }

    #[test]
    fn a_good_key_has_no_problem() {
        assert!(problems(KeyState::Good, KeyState::Good).is_empty());
    }

    #[test]
    fn each_reason_is_said_once_with_the_moment_it_was_found_at() {
        let hard = KeyState::Revoked(RevocationType::Hard);
        assert_eq!(reasons(hard.clone(), hard), [Reason::KeyRevoked]);
        let expired = problems(KeyState::Good, KeyState::Expired);
        assert_eq!(
            expired,
            [(
                Reason::KeyExpired,
                "key C92FE5A3FBD58DD3EC5AA26BB10116B8193F2DBD has expired since it signed (as of 2027-01-15T08:00:00Z)".to_string()
            )]
        );
        let retired = problems(KeyState::Revoked(RevocationType::Soft), KeyState::Good);
        assert_eq!(
            retired,
            [(
                Reason::KeyRetired,
                "key C92FE5A3FBD58DD3EC5AA26BB10116B8193F2DBD was retired (soft-revoked) as of 2023-11-14T22:13:20Z".to_string()
            )]
        );
    }

    #[test]
    fn a_key_not_alive_when_it_signed_has_not_expired_since() {
        assert_eq!(
            reasons(KeyState::Expired, KeyState::Expired),
            [Reason::KeyNotAliveAtSigning]
        );
        assert_eq!(
            reasons(KeyState::NotBound, KeyState::NotBound),
            [Reason::KeyNotAliveAtSigning, Reason::CertificateInvalid]
        );
        let invalid = KeyState::CertificateInvalid("no binding".into());
        assert_eq!(
            problems(invalid.clone(), invalid),
            [
                (
                    Reason::KeyNotAliveAtSigning,
                    "certificate 6B61ECD76088748C70590D55E90A401336C8AAA9 was not valid when it signed: no binding".to_string()
                ),
                (
                    Reason::CertificateInvalid,
                    "certificate 6B61ECD76088748C70590D55E90A401336C8AAA9 is not valid: no binding".to_string()
                ),
            ]
        );
    }
}
