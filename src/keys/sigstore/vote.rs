//! One Sigstore vote judged: who made it (a cosign key MAINTAINERS lists, or a Fulcio
//! certificate for a listed keyless identity), whether its signature verifies, and whether its
//! log entry binds this very signature, key and payload. The payload itself (which image it
//! names) is judged by the caller, as for OpenPGP votes.
//!
//! The order is the brief's checklist (docs/sigstore.md): frame, signature, log entry body,
//! log entry signature, certificate chain at the log's time, identity. Each failure has its own
//! reason; checks go on after one fails where they can, so a file's every fault is listed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest as _, Sha256};

use crate::format::maintainers::{Maintainers, SigstoreIdentity};
use crate::format::sigstore::bundle::{
    pae, Bundle, Content, InclusionProof, Signer as BundleSigner, Statement,
};
use crate::format::sigstore::envelope::LegacySignature;
use crate::format::sigstore::rekor::{DsseEntry, HashedRekord, LogBody, LogEntry, RekorBundle};
use crate::keys::reason::{Problem, Reason};
use crate::keys::sigstore::ecdsa::CosignPublicKey;
use crate::keys::sigstore::fulcio::{self, Identity, Leaf};
use crate::keys::sigstore::material::SigstoreMaterial;
use crate::keys::sigstore::rekor;
use crate::keys::verify::{Signer, SignerKind};

/// The payload type of an in-toto statement in a DSSE envelope.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// What judging a vote found, before its payload is judged.
#[derive(Debug, Clone)]
pub struct VoteVerdict {
    /// Who made it, as far as known.
    pub signer: Signer,
    /// The log entry's integrated time, when a verified entry gives one.
    pub created: Option<SystemTime>,
    /// The signed bytes: the simple-signing payload (legacy form) or the in-toto statement.
    pub signed: SignedContent,
    /// Everything wrong so far.
    pub problems: Vec<Problem>,
}

/// What a vote signs.
#[derive(Debug, Clone)]
pub enum SignedContent {
    /// The simple-signing payload's bytes (legacy form), for the caller to parse and judge.
    Payload(Vec<u8>),
    /// The digest an in-toto statement names (a bundle): no repository.
    Statement(crate::format::reference::Digest),
    /// Nothing usable.
    Nothing,
}

/// Judges Sigstore votes with one keyring's Sigstore part and MAINTAINERS.
pub struct SigstoreJudge<'a> {
    /// The trusted root and cosign keys.
    pub material: &'a SigstoreMaterial,
    /// Who holds which key or identity.
    pub maintainers: &'a Maintainers,
    /// quorate.toml's `[sigstore] require-log-entry`: cosign-key votes need a verified log entry.
    pub require_log_entry: bool,
}

/// The key a vote's signature verified with.
enum Maker {
    /// A listed cosign key, by id.
    Key(String, CosignPublicKey),
    /// A Fulcio leaf certificate (its chain not yet judged): the leaf, its DER, and the
    /// intermediates the vote carries.
    Leaf(Box<Leaf>, Vec<u8>, Vec<Vec<u8>>),
}

impl Maker {
    fn public_key(&self) -> &CosignPublicKey {
        match self {
            Maker::Key(_, key) => key,
            Maker::Leaf(leaf, ..) => &leaf.public_key,
        }
    }
}

/// What the log entry's body must bind: this vote's payload (or statement) hash and signature.
enum Binding<'b> {
    /// A legacy vote: a `hashedrekord` entry over the payload.
    HashedRekord {
        payload_hash: [u8; 32],
        signature: &'b [u8],
    },
    /// A bundle: a `dsse` entry over the statement.
    Dsse {
        payload_hash: [u8; 32],
        signature: &'b [u8],
    },
}

/// A log entry as both forms carry it, reduced to what is checked.
struct Entry<'e> {
    body: &'e [u8],
    integrated_time: i64,
    log_id: [u8; 32],
    /// The canonical SET payload and the SET.
    set: Option<(Vec<u8>, &'e [u8])>,
    proof: Option<&'e InclusionProof>,
}

fn unix(at: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(at.max(0) as u64)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn unknown_signer() -> Signer {
    Signer {
        maintainer: None,
        primary: None,
        signing_key: None,
        by_subkey: false,
        kind: SignerKind::OpenPgp,
    }
}

/// The DER of every certificate in a PEM text.
fn pem_certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let certs = openssl::x509::X509::stack_from_pem(pem).map_err(|e| {
        format!(
            "not PEM certificates: {}",
            crate::text::one_line(&e.to_string())
        )
    })?;
    certs
        .iter()
        .map(|c| {
            c.to_der()
                .map_err(|e| crate::text::one_line(&e.to_string()))
        })
        .collect()
}

impl SigstoreJudge<'_> {
    /// Judges a `signature-N` file in containers/image's sigstore encoding.
    pub fn judge_legacy(&self, bytes: &[u8]) -> VoteVerdict {
        let signature = match LegacySignature::parse(bytes) {
            Ok(s) => s,
            Err(e) => return malformed(e.to_string()),
        };
        let mut problems = Vec::new();
        let maker = match &signature.certificate_pem {
            Some(pem) => leaf_from_pem(pem, signature.chain_pem.as_deref(), &mut problems),
            None => self.key_maker(&signature.payload, &signature.signature, &mut problems),
        };
        if let Some(maker @ Maker::Leaf(..)) = &maker {
            if !maker
                .public_key()
                .verify(&signature.payload, &signature.signature)
            {
                problems.push(Problem::new(
                    Reason::BadSignature,
                    "the signature does not verify with the signing certificate's key",
                ));
            }
        }
        let entry = signature
            .rekor_bundle
            .as_ref()
            .map(|b: &RekorBundle| Entry {
                body: &b.body,
                integrated_time: b.integrated_time,
                log_id: b.log_id,
                set: Some((b.canonical_set_payload(), &b.signed_entry_timestamp[..])),
                proof: None,
            });
        let binding = Binding::HashedRekord {
            payload_hash: sha256(&signature.payload),
            signature: &signature.signature,
        };
        let created = self.judge_entry(maker.as_ref(), entry.as_ref(), binding, &mut problems);
        self.finish(
            maker,
            created,
            SignedContent::Payload(signature.payload.clone()),
            problems,
        )
    }

    /// Judges a Sigstore bundle (cosign v3's default form): a DSSE envelope over an in-toto
    /// statement naming the image digest.
    pub fn judge_bundle(&self, bytes: &[u8]) -> VoteVerdict {
        let bundle = match Bundle::parse(bytes) {
            Ok(b) => b,
            Err(e) => return malformed(e.to_string()),
        };
        let mut problems = Vec::new();
        let Content::Dsse(envelope) = &bundle.content else {
            return VoteVerdict {
                signer: unknown_signer(),
                created: None,
                signed: SignedContent::Nothing,
                problems: vec![Problem::new(
                    Reason::BundleWrongContent,
                    "a message signature bundle, not an image's: `quorate add --bundle` takes one made over `quorate payload --cosign`",
                )],
            };
        };
        if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
            problems.push(Problem::new(
                Reason::BundleWrongContent,
                format!(
                    "payload type {:?}, not {IN_TOTO_PAYLOAD_TYPE:?}",
                    envelope.payload_type
                ),
            ));
        }
        let [signature] = &envelope.signatures[..] else {
            return malformed(format!(
                "the envelope holds {} signatures, not one",
                envelope.signatures.len()
            ));
        };
        let signed = match Statement::parse(&envelope.payload) {
            Ok(statement) => SignedContent::Statement(statement.digest),
            Err(e) => {
                problems.push(Problem::new(Reason::BundleWrongContent, e.to_string()));
                SignedContent::Nothing
            }
        };
        let message = pae(&envelope.payload_type, &envelope.payload);
        let signature = &signature.sig[..];
        let maker = match &bundle.signer {
            BundleSigner::Certificate(der) => leaf_from_der(der.clone(), Vec::new(), &mut problems),
            // v0.1/v0.2: the leaf first, then what completes its path.
            BundleSigner::Chain(chain) => match chain.split_first() {
                Some((leaf, rest)) => leaf_from_der(leaf.clone(), rest.to_vec(), &mut problems),
                None => return malformed("an empty certificate chain".into()),
            },
            BundleSigner::PublicKey { .. } => self.key_maker(&message, signature, &mut problems),
        };
        if let Some(maker @ Maker::Leaf(..)) = &maker {
            if !maker.public_key().verify(&message, signature) {
                problems.push(Problem::new(
                    Reason::BadSignature,
                    "the envelope's signature does not verify with the signing certificate's key",
                ));
            }
        }
        let entry = match &bundle.tlog_entries[..] {
            [] => None,
            [entry] => Some(Entry {
                body: &entry.canonicalized_body,
                integrated_time: entry.integrated_time,
                log_id: entry.log_id,
                set: entry
                    .signed_entry_timestamp
                    .as_deref()
                    .map(|set| (Bundle::canonical_body_for_set(entry), set)),
                proof: entry.inclusion_proof.as_ref(),
            }),
            more => return malformed(format!("{} log entries, not one", more.len())),
        };
        let binding = Binding::Dsse {
            payload_hash: sha256(&envelope.payload),
            signature,
        };
        let created = self.judge_entry(maker.as_ref(), entry.as_ref(), binding, &mut problems);
        self.finish(maker, created, signed, problems)
    }

    /// The listed cosign key the signature verifies with.
    fn key_maker(
        &self,
        message: &[u8],
        signature: &[u8],
        problems: &mut Vec<Problem>,
    ) -> Option<Maker> {
        let found = self
            .material
            .cosign_keys
            .iter()
            .find(|k| k.key.verify(message, signature));
        match found {
            Some(k) => Some(Maker::Key(k.id.clone(), k.key.clone())),
            None => {
                problems.push(Problem::new(
                    Reason::UnknownCosignKey,
                    format!(
                        "no certificate, and none of the {} cosign keys MAINTAINERS lists verifies it",
                        self.material.cosign_keys.len()
                    ),
                ));
                None
            }
        }
    }

    /// The log entry judged, then (for a certificate) the chain at the entry's time: the time,
    /// when the entry verified.
    fn judge_entry(
        &self,
        maker: Option<&Maker>,
        entry: Option<&Entry>,
        binding: Binding,
        problems: &mut Vec<Problem>,
    ) -> Option<SystemTime> {
        let keyless = matches!(maker, Some(Maker::Leaf(..)));
        let needed = keyless || self.require_log_entry;
        let Some(entry) = entry else {
            if needed {
                problems.push(Problem::new(
                    Reason::LogEntryMissing,
                    if keyless {
                        "a keyless vote without a transparency log entry: its certificate's time cannot be told"
                    } else {
                        "no transparency log entry, and quorate.toml's [sigstore] require-log-entry asks for one"
                    },
                ));
            }
            return None;
        };
        let Some(trusted) = &self.material.trusted_root else {
            if needed {
                problems.push(Problem::new(
                    Reason::NoTrustedRoot,
                    "no Sigstore trusted root (keyring/sigstore/trusted_root.json, pinned by the trust root in force) to check its log entry",
                ));
            }
            return None;
        };
        let before = problems.len();
        self.check_binding(maker, entry.body, binding, problems);
        let tlogs = &trusted.root.tlogs;
        let logged = match (&entry.set, entry.proof) {
            (None, None) => {
                Err("neither a signed entry timestamp nor an inclusion proof".to_string())
            }
            (set, proof) => set
                .as_ref()
                .map(|(canonical, set)| {
                    rekor::verify_set(tlogs, &entry.log_id, canonical, set, entry.integrated_time)
                        .map(|_| ())
                        .map_err(|e| format!("signed entry timestamp: {e}"))
                })
                .unwrap_or(Ok(()))
                .and_then(|()| match proof {
                    None => Ok(()),
                    Some(proof) => check_proof(entry, proof, tlogs),
                }),
        };
        if let Err(e) = logged {
            problems.push(Problem::new(Reason::LogEntryUnverified, e));
        }
        if problems.len() > before {
            return None;
        }
        let at = entry.integrated_time;
        if let Some(Maker::Leaf(leaf, der, carried)) = maker {
            if at < leaf.not_before || at > leaf.not_after {
                problems.push(Problem::new(
                    Reason::CertificateOutsideWindow,
                    format!(
                        "logged at {}, outside the certificate's validity {} to {}",
                        crate::text::fmt_time(unix(at)),
                        crate::text::fmt_time(unix(leaf.not_before)),
                        crate::text::fmt_time(unix(leaf.not_after))
                    ),
                ));
            } else {
                match fulcio::verify_chain(der, carried, &trusted.root.certificate_authorities, at)
                {
                    Err(e) => {
                        problems.push(Problem::new(Reason::CertificateUntrusted, e.to_string()))
                    }
                    Ok(authority) => {
                        if let Err(e) = check_sct(der, carried, &trusted.root, authority) {
                            problems.push(Problem::new(Reason::CertificateNotLogged, e));
                        }
                    }
                }
            }
            if !leaf.code_signing {
                problems.push(Problem::new(
                    Reason::SigningCertificateMalformed,
                    "the certificate is not for code signing (extended key usage)",
                ));
            }
        }
        Some(unix(at))
    }

    /// The log entry's body names this vote's payload hash, signature and key or certificate,
    /// in the kind of entry its form makes.
    fn check_binding(
        &self,
        maker: Option<&Maker>,
        body: &[u8],
        binding: Binding,
        problems: &mut Vec<Problem>,
    ) {
        let mismatch = |detail: String| Problem::new(Reason::LogEntryMismatch, detail);
        let body = match LogBody::parse(body) {
            Ok(b) => b,
            Err(e) => {
                problems.push(mismatch(format!("its body: {e}")));
                return;
            }
        };
        let (verifier_pem, what) = match (&body.entry, &binding) {
            (
                LogEntry::HashedRekord(HashedRekord {
                    data_hash: hash,
                    signature,
                    public_key_pem,
                }),
                Binding::HashedRekord {
                    payload_hash,
                    signature: ours,
                },
            ) => {
                if hash != payload_hash {
                    problems.push(mismatch("its body hashes another payload".into()));
                }
                if signature != ours {
                    problems.push(mismatch("its body holds another signature".into()));
                }
                (public_key_pem.as_slice(), "key")
            }
            (
                LogEntry::Dsse(DsseEntry {
                    payload_hash: logged,
                    signatures,
                    ..
                }),
                Binding::Dsse {
                    payload_hash,
                    signature: ours,
                },
            ) => {
                if logged != payload_hash {
                    problems.push(mismatch("its body hashes another statement".into()));
                }
                match signatures.iter().find(|s| s.signature == *ours) {
                    Some(logged) if signatures.len() == 1 => {
                        (logged.verifier_pem.as_slice(), "key")
                    }
                    _ => {
                        problems.push(mismatch(
                            "its body does not hold this signature alone".into(),
                        ));
                        return;
                    }
                }
            }
            _ => {
                problems.push(mismatch(
                    "an entry of another kind than this vote's form makes".into(),
                ));
                return;
            }
        };
        let Some(maker) = maker else {
            return;
        };
        if !same_verifier(maker, verifier_pem) {
            problems.push(mismatch(format!(
                "its body names another {what} than the one that made this signature"
            )));
        }
    }

    /// The verdict once everything is checked: whose key or identity made it.
    fn finish(
        &self,
        maker: Option<Maker>,
        created: Option<SystemTime>,
        signed: SignedContent,
        mut problems: Vec<Problem>,
    ) -> VoteVerdict {
        let mut signer = unknown_signer();
        if let Some(maker) = maker {
            let identity = match &maker {
                Maker::Key(id, _) => SigstoreIdentity::CosignKey {
                    id: id.clone(),
                    file: String::new(),
                },
                Maker::Leaf(leaf, ..) => SigstoreIdentity::Keyless {
                    issuer: leaf.issuer.clone(),
                    subject: match &leaf.identity {
                        Identity::Email(s) | Identity::Uri(s) => s.clone(),
                    },
                },
            };
            signer.kind = match &identity {
                SigstoreIdentity::CosignKey { id, .. } => SignerKind::CosignKey { id: id.clone() },
                SigstoreIdentity::Keyless { issuer, subject } => SignerKind::Keyless {
                    issuer: issuer.clone(),
                    subject: subject.clone(),
                },
            };
            signer.maintainer = self
                .maintainers
                .by_sigstore(&identity)
                .map(|m| m.handle.clone());
            if signer.maintainer.is_none() {
                let id = identity.root_id();
                problems.push(match self.maintainers.former(&id) {
                    Some(former) => Problem::new(
                        Reason::FormerMaintainer,
                        format!(
                            "by {}, a former maintainer (removed in trust root version {}): not counted",
                            former.handle, former.removed_in
                        ),
                    ),
                    None if matches!(identity, SigstoreIdentity::Keyless { .. }) => Problem::new(
                        Reason::UnknownIdentity,
                        format!("{} is no maintainer's listed keyless identity", shown(&identity)),
                    ),
                    None => Problem::new(
                        Reason::NotAMaintainer,
                        format!("cosign key {id} is not listed in the trust root in force"),
                    ),
                });
            }
        }
        VoteVerdict {
            signer,
            created,
            signed,
            problems,
        }
    }
}

/// A keyless identity as people read it: `subject (issuer)`.
pub fn shown(identity: &SigstoreIdentity) -> String {
    match identity {
        SigstoreIdentity::CosignKey { id, .. } => format!("cosign key {id}"),
        SigstoreIdentity::Keyless { issuer, subject } => format!("{subject} (issuer {issuer})"),
    }
}

fn malformed(detail: String) -> VoteVerdict {
    VoteVerdict {
        signer: unknown_signer(),
        created: None,
        signed: SignedContent::Nothing,
        problems: vec![Problem::new(Reason::SigstoreMalformed, detail)],
    }
}

fn leaf_from_pem(
    pem: &[u8],
    chain_pem: Option<&[u8]>,
    problems: &mut Vec<Problem>,
) -> Option<Maker> {
    let der = match pem_certificates(pem) {
        Ok(certs) if certs.len() == 1 => certs.into_iter().next()?,
        Ok(certs) => {
            problems.push(Problem::new(
                Reason::SigningCertificateMalformed,
                format!(
                    "the certificate annotation holds {} certificates, not one",
                    certs.len()
                ),
            ));
            return None;
        }
        Err(e) => {
            problems.push(Problem::new(Reason::SigningCertificateMalformed, e));
            return None;
        }
    };
    let carried = match chain_pem.map(pem_certificates).transpose() {
        Ok(chain) => chain.unwrap_or_default(),
        Err(e) => {
            problems.push(Problem::new(
                Reason::SigningCertificateMalformed,
                format!("the chain annotation: {e}"),
            ));
            Vec::new()
        }
    };
    leaf_from_der(der, carried, problems)
}

fn leaf_from_der(
    der: Vec<u8>,
    carried: Vec<Vec<u8>>,
    problems: &mut Vec<Problem>,
) -> Option<Maker> {
    match Leaf::parse(&der) {
        Ok(leaf) => Some(Maker::Leaf(Box::new(leaf), der, carried)),
        Err(e) => {
            problems.push(Problem::new(
                Reason::SigningCertificateMalformed,
                e.to_string(),
            ));
            None
        }
    }
}

/// The body's verifier (a PEM certificate or public key) is the one that made the signature:
/// the same certificate for a keyless vote, the same key for a cosign-key vote.
fn same_verifier(maker: &Maker, pem: &[u8]) -> bool {
    match maker {
        Maker::Leaf(_, der, _) => pem_certificates(pem).is_ok_and(|certs| certs == [der.clone()]),
        Maker::Key(_, key) => {
            CosignPublicKey::from_pem(pem).is_ok_and(|logged| logged.spki_der() == key.spki_der())
        }
    }
}

/// The leaf's embedded SCT, over the leaf as its issuer issued it (the issuer is the first
/// certificate of the path: a carried intermediate or the authority's own), verified with a CT
/// log of the trusted root.
fn check_sct(
    leaf: &[u8],
    carried: &[Vec<u8>],
    root: &crate::format::sigstore::trusted_root::TrustedRoot,
    authority: usize,
) -> Result<(), String> {
    let candidates = carried.iter().chain(
        root.certificate_authorities
            .get(authority)
            .map(|a| a.chain_der.iter())
            .into_iter()
            .flatten(),
    );
    let mut last = String::from("no issuer to check it against");
    for issuer in candidates {
        match crate::keys::sigstore::sct::verify_embedded_sct(leaf, issuer, &root.ctlogs) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

/// The bundle's inclusion proof and its checkpoint, verified with the trusted root's logs.
fn check_proof(
    entry: &Entry,
    proof: &InclusionProof,
    tlogs: &[crate::format::sigstore::trusted_root::LogKey],
) -> Result<(), String> {
    let index = u64::try_from(proof.log_index).map_err(|_| "inclusion proof: a negative index")?;
    let size = u64::try_from(proof.tree_size).map_err(|_| "inclusion proof: a negative size")?;
    let root: [u8; 32] = proof.root_hash[..]
        .try_into()
        .map_err(|_| "inclusion proof: a root hash that is not 32 bytes")?;
    let hashes = proof
        .hashes
        .iter()
        .map(|h| <[u8; 32]>::try_from(&h[..]))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "inclusion proof: a hash that is not 32 bytes")?;
    rekor::verify_inclusion(entry.body, index, size, &hashes, &root)
        .map_err(|e| format!("inclusion proof: {e}"))?;
    rekor::verify_checkpoint(&proof.checkpoint, tlogs, &root, size)
        .map(|_| ())
        .map_err(|e| format!("checkpoint: {e}"))
}
