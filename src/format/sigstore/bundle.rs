//! The Sigstore bundle (`cosign sign` since v3, `cosign sign-blob --bundle`): the verification
//! material (a Fulcio certificate or a key hint, the Rekor entries) and what is signed, a DSSE
//! envelope (an in-toto statement naming the image digest) or a message signature over a blob.
//! Read strictly with serde: every member known, none twice, camelCase names only (protobuf's
//! JSON reader would also take the snake_case ones), 64-bit numbers as decimal strings, bytes
//! as standard padded base64.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::encoding::{b64_decode, b64_encode};
use crate::format::message::MAX_SIGNATURE_FILE;
use crate::format::reference::Digest;

/// Bundle v0.3's media type.
pub const MEDIA_TYPE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// v0.3's older spelling, which Sigstore's clients also read.
pub const MEDIA_TYPE_V03_OLD: &str = "application/vnd.dev.sigstore.bundle+json;version=0.3";
/// Bundle v0.2's media type.
pub const MEDIA_TYPE_V02: &str = "application/vnd.dev.sigstore.bundle+json;version=0.2";
/// Bundle v0.1's media type.
pub const MEDIA_TYPE_V01: &str = "application/vnd.dev.sigstore.bundle+json;version=0.1";

/// The DSSE payload type of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The in-toto statement's `_type`.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate type of `cosign sign`'s statement.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// Why a bundle or a statement is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// Larger than any signature file may be.
    #[error("the bundle is {0} bytes, more than the 4 MiB allowed")]
    TooLarge(usize),
    /// Not JSON, or not the bundle's shape (a member missing, unknown or repeated, a value of
    /// the wrong type).
    #[error("not a Sigstore bundle: {0}")]
    Json(String),
    /// A media type other than bundle v0.1, v0.2 or v0.3.
    #[error("mediaType {0:?} is not a Sigstore bundle v0.1, v0.2 or v0.3")]
    MediaType(String),
    /// A bytes member is not standard padded base64.
    #[error("{0} is not standard base64")]
    Base64(String),
    /// A 64-bit number is not a decimal string (no sign, no leading zero).
    #[error("{0} is {1:?}, not a decimal integer in a string")]
    Integer(String, String),
    /// The verification material is not exactly one of what this version allows.
    #[error("verificationMaterial: {0}")]
    Material(String),
    /// Neither or both of `dsseEnvelope` and `messageSignature`.
    #[error("a bundle holds exactly one of dsseEnvelope and messageSignature")]
    Content,
    /// A hash is not SHA2_256, or not 32 bytes.
    #[error("{0} is not a SHA2_256 digest")]
    Hash(String),
    /// An in-toto statement quorate does not read.
    #[error("in-toto statement: {0}")]
    Statement(String),
}

crate::fault::always!(Input: BundleError);

/// A parsed bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// `mediaType`, one of the four accepted.
    pub media_type: String,
    /// Who signed: `verificationMaterial`'s certificate, chain or key hint.
    pub signer: Signer,
    /// `verificationMaterial.tlogEntries`.
    pub tlog_entries: Vec<TlogEntry>,
    /// `verificationMaterial.timestampVerificationData.rfc3161Timestamps[].signedTimestamp`,
    /// kept (not read).
    pub rfc3161_timestamps: Vec<Vec<u8>>,
    /// What is signed.
    pub content: Content,
}

/// The signer's material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// `certificate.rawBytes` (v0.3): the DER leaf.
    Certificate(Vec<u8>),
    /// `x509CertificateChain.certificates[].rawBytes` (v0.1, v0.2): DER, leaf first.
    Chain(Vec<Vec<u8>>),
    /// `publicKey.hint`: a key the verifier already has (maybe unnamed).
    PublicKey {
        /// The hint, when given.
        hint: Option<String>,
    },
}

/// One Rekor entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogEntry {
    /// `logIndex`.
    pub log_index: i64,
    /// `logId.keyId`: the SHA-256 of the log's key.
    pub log_id: [u8; 32],
    /// `kindVersion.kind`, e.g. `dsse`, `hashedrekord`.
    pub kind: String,
    /// `kindVersion.version`, e.g. `0.0.1`.
    pub version: String,
    /// `integratedTime`, Unix seconds (0 when absent, as in Rekor v2).
    pub integrated_time: i64,
    /// `inclusionPromise.signedEntryTimestamp`: the SET.
    pub signed_entry_timestamp: Option<Vec<u8>>,
    /// `inclusionProof`.
    pub inclusion_proof: Option<InclusionProof>,
    /// `canonicalizedBody`, decoded: the log entry body (`rekor::LogBody::parse`).
    pub canonicalized_body: Vec<u8>,
}

/// A Merkle inclusion proof with the log's signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// `logIndex`.
    pub log_index: i64,
    /// `rootHash`.
    pub root_hash: Vec<u8>,
    /// `treeSize`.
    pub tree_size: i64,
    /// `hashes`, leaf side first.
    pub hashes: Vec<Vec<u8>>,
    /// `checkpoint.envelope`: the signed note.
    pub checkpoint: String,
}

/// What a bundle signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// `dsseEnvelope`.
    Dsse(DsseEnvelope),
    /// `messageSignature`.
    MessageSignature(MessageSignature),
}

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsseEnvelope {
    /// `payload`, decoded: the exact statement bytes.
    pub payload: Vec<u8>,
    /// `payloadType`.
    pub payload_type: String,
    /// `signatures[]`.
    pub signatures: Vec<DsseSignature>,
}

/// One DSSE signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsseSignature {
    /// `sig`, decoded: over [`pae`] of the envelope.
    pub sig: Vec<u8>,
    /// `keyid`, when given.
    pub keyid: Option<String>,
}

/// A signature over a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSignature {
    /// `messageDigest.digest` (algorithm SHA2_256): the blob's SHA-256.
    pub message_digest: [u8; 32],
    /// `signature`, decoded.
    pub signature: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawBundle {
    media_type: String,
    verification_material: RawMaterial,
    #[serde(default)]
    dsse_envelope: Option<RawEnvelope>,
    #[serde(default)]
    message_signature: Option<RawMessageSignature>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawMaterial {
    #[serde(default)]
    certificate: Option<RawCertificate>,
    #[serde(default)]
    x509_certificate_chain: Option<RawChain>,
    #[serde(default)]
    public_key: Option<RawHint>,
    #[serde(default)]
    tlog_entries: Vec<RawTlogEntry>,
    #[serde(default)]
    timestamp_verification_data: Option<RawTimestamps>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawCertificate {
    raw_bytes: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChain {
    certificates: Vec<RawCertificate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHint {
    #[serde(default)]
    hint: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawTimestamps {
    #[serde(default)]
    rfc3161_timestamps: Vec<RawTimestamp>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawTimestamp {
    signed_timestamp: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawTlogEntry {
    log_index: String,
    log_id: RawLogId,
    kind_version: RawKindVersion,
    #[serde(default)]
    integrated_time: Option<String>,
    #[serde(default)]
    inclusion_promise: Option<RawPromise>,
    #[serde(default)]
    inclusion_proof: Option<RawProof>,
    canonicalized_body: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawLogId {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKindVersion {
    kind: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPromise {
    signed_entry_timestamp: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawProof {
    log_index: String,
    root_hash: String,
    tree_size: String,
    #[serde(default)]
    hashes: Vec<String>,
    checkpoint: RawCheckpoint,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheckpoint {
    envelope: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawEnvelope {
    payload: String,
    payload_type: String,
    signatures: Vec<RawDsseSignature>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDsseSignature {
    sig: String,
    #[serde(default)]
    keyid: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawMessageSignature {
    message_digest: RawHash,
    signature: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHash {
    algorithm: String,
    digest: String,
}

fn bytes(text: &str, what: &str) -> Result<Vec<u8>, BundleError> {
    b64_decode(text).ok_or_else(|| BundleError::Base64(what.to_string()))
}

/// protobuf's JSON form of an int64: a decimal string, here without sign or leading zero.
fn int64(text: &str, what: &str) -> Result<i64, BundleError> {
    let plain = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    plain
        .then(|| text.parse::<i64>().ok())
        .flatten()
        .ok_or_else(|| BundleError::Integer(what.to_string(), text.to_string()))
}

fn sha256(bytes: Vec<u8>, what: &str) -> Result<[u8; 32], BundleError> {
    bytes
        .try_into()
        .map_err(|_| BundleError::Hash(what.to_string()))
}

fn json_error(e: serde_json::Error) -> BundleError {
    BundleError::Json(crate::text::one_line(&e.to_string()))
}

impl Bundle {
    /// Parses a bundle (see the module's notes). v0.3 carries `certificate` or `publicKey`;
    /// v0.1 and v0.2 `x509CertificateChain` or `publicKey`; each bundle exactly one of
    /// `dsseEnvelope` and `messageSignature`.
    pub fn parse(file: &[u8]) -> Result<Bundle, BundleError> {
        if file.len() as u64 > MAX_SIGNATURE_FILE {
            return Err(BundleError::TooLarge(file.len()));
        }
        let raw: RawBundle = serde_json::from_slice(file).map_err(json_error)?;
        let v03 = match raw.media_type.as_str() {
            MEDIA_TYPE_V03 | MEDIA_TYPE_V03_OLD => true,
            MEDIA_TYPE_V02 | MEDIA_TYPE_V01 => false,
            _ => return Err(BundleError::MediaType(raw.media_type)),
        };
        let material = raw.verification_material;
        let signer = match (
            material.certificate,
            material.x509_certificate_chain,
            material.public_key,
        ) {
            (Some(cert), None, None) if v03 => Signer::Certificate(bytes(
                &cert.raw_bytes,
                "verificationMaterial.certificate.rawBytes",
            )?),
            (None, Some(chain), None) if !v03 => {
                let mut ders = Vec::new();
                for (i, cert) in chain.certificates.iter().enumerate() {
                    ders.push(bytes(
                        &cert.raw_bytes,
                        &format!("verificationMaterial.x509CertificateChain.certificates[{i}]"),
                    )?);
                }
                if ders.is_empty() {
                    return Err(BundleError::Material(
                        "x509CertificateChain holds no certificate".into(),
                    ));
                }
                Signer::Chain(ders)
            }
            (None, None, Some(key)) => Signer::PublicKey { hint: key.hint },
            _ => {
                return Err(BundleError::Material(format!(
                    "exactly one of {} and publicKey",
                    if v03 {
                        "certificate"
                    } else {
                        "x509CertificateChain"
                    }
                )))
            }
        };
        let mut tlog_entries = Vec::with_capacity(material.tlog_entries.len());
        for (i, entry) in material.tlog_entries.into_iter().enumerate() {
            tlog_entries.push(read_entry(entry, &format!("tlogEntries[{i}]"))?);
        }
        let mut rfc3161_timestamps = Vec::new();
        for (i, t) in material
            .timestamp_verification_data
            .map(|d| d.rfc3161_timestamps)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            rfc3161_timestamps.push(bytes(
                &t.signed_timestamp,
                &format!("rfc3161Timestamps[{i}].signedTimestamp"),
            )?);
        }
        let content = match (raw.dsse_envelope, raw.message_signature) {
            (Some(envelope), None) => {
                let mut signatures = Vec::with_capacity(envelope.signatures.len());
                for (i, s) in envelope.signatures.iter().enumerate() {
                    signatures.push(DsseSignature {
                        sig: bytes(&s.sig, &format!("dsseEnvelope.signatures[{i}].sig"))?,
                        keyid: s.keyid.clone(),
                    });
                }
                Content::Dsse(DsseEnvelope {
                    payload: bytes(&envelope.payload, "dsseEnvelope.payload")?,
                    payload_type: envelope.payload_type,
                    signatures,
                })
            }
            (None, Some(message)) => {
                if message.message_digest.algorithm != "SHA2_256" {
                    return Err(BundleError::Hash("messageSignature.messageDigest".into()));
                }
                Content::MessageSignature(MessageSignature {
                    message_digest: sha256(
                        bytes(
                            &message.message_digest.digest,
                            "messageSignature.messageDigest.digest",
                        )?,
                        "messageSignature.messageDigest",
                    )?,
                    signature: bytes(&message.signature, "messageSignature.signature")?,
                })
            }
            _ => return Err(BundleError::Content),
        };
        Ok(Bundle {
            media_type: raw.media_type,
            signer,
            tlog_entries,
            rfc3161_timestamps,
            content,
        })
    }

    /// The bytes a tlog entry's SET signs (RFC 8785's
    /// `{"body","integratedTime","logID","logIndex"}`), for keys/ to verify.
    pub fn canonical_body_for_set(entry: &TlogEntry) -> Vec<u8> {
        super::rekor::canonical_set_payload(
            &b64_encode(&entry.canonicalized_body),
            entry.integrated_time,
            &entry.log_id,
            entry.log_index,
        )
    }
}

fn read_entry(raw: RawTlogEntry, what: &str) -> Result<TlogEntry, BundleError> {
    let key_id = bytes(&raw.log_id.key_id, &format!("{what}.logId.keyId"))?;
    let log_id = sha256(key_id, &format!("{what}.logId.keyId"))?;
    let inclusion_proof = match raw.inclusion_proof {
        None => None,
        Some(p) => {
            let mut hashes = Vec::with_capacity(p.hashes.len());
            for (i, h) in p.hashes.iter().enumerate() {
                hashes.push(bytes(h, &format!("{what}.inclusionProof.hashes[{i}]"))?);
            }
            Some(InclusionProof {
                log_index: int64(&p.log_index, &format!("{what}.inclusionProof.logIndex"))?,
                root_hash: bytes(&p.root_hash, &format!("{what}.inclusionProof.rootHash"))?,
                tree_size: int64(&p.tree_size, &format!("{what}.inclusionProof.treeSize"))?,
                hashes,
                checkpoint: p.checkpoint.envelope,
            })
        }
    };
    Ok(TlogEntry {
        log_index: int64(&raw.log_index, &format!("{what}.logIndex"))?,
        log_id,
        kind: raw.kind_version.kind,
        version: raw.kind_version.version,
        integrated_time: raw
            .integrated_time
            .as_deref()
            .map(|t| int64(t, &format!("{what}.integratedTime")))
            .transpose()?
            .unwrap_or(0),
        signed_entry_timestamp: raw
            .inclusion_promise
            .map(|p| {
                bytes(
                    &p.signed_entry_timestamp,
                    &format!("{what}.inclusionPromise.signedEntryTimestamp"),
                )
            })
            .transpose()?,
        inclusion_proof,
        canonicalized_body: bytes(
            &raw.canonicalized_body,
            &format!("{what}.canonicalizedBody"),
        )?,
    })
}

/// DSSE v1's pre-authentication encoding, what a DSSE signature signs:
/// `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`, lengths in decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// `cosign sign`'s in-toto statement, read for the one thing it binds: the image digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `subject[0].digest.sha256`.
    pub digest: Digest,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatement {
    #[serde(rename = "_type")]
    type_: String,
    subject: Vec<RawSubject>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
    #[serde(default)]
    #[allow(dead_code)]
    predicate: IgnoredAny,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubject {
    // Allowed (sigstore-python's CLI wants one) and ignored: a v3 vote binds the digest only.
    #[serde(default)]
    #[allow(dead_code)]
    name: Option<String>,
    digest: RawSubjectDigest,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubjectDigest {
    sha256: String,
}

impl Statement {
    /// Parses the statement strictly: `_type` Statement v1, `predicateType` cosign sign v1,
    /// exactly one subject whose digest is exactly `sha256` (64 lowercase hex), a subject
    /// `name` allowed, every member known and none twice.
    pub fn parse(bytes: &[u8]) -> Result<Statement, BundleError> {
        if bytes.len() as u64 > MAX_SIGNATURE_FILE {
            return Err(BundleError::TooLarge(bytes.len()));
        }
        let raw: RawStatement = serde_json::from_slice(bytes)
            .map_err(|e| BundleError::Statement(crate::text::one_line(&e.to_string())))?;
        if raw.type_ != STATEMENT_TYPE {
            return Err(BundleError::Statement(format!(
                "_type is {:?}, not {STATEMENT_TYPE:?}",
                raw.type_
            )));
        }
        if raw.predicate_type != COSIGN_SIGN_PREDICATE {
            return Err(BundleError::Statement(format!(
                "predicateType is {:?}, not {COSIGN_SIGN_PREDICATE:?}",
                raw.predicate_type
            )));
        }
        let [subject] = <[RawSubject; 1]>::try_from(raw.subject).map_err(|s| {
            BundleError::Statement(format!("{} subjects, not exactly one", s.len()))
        })?;
        let digest = Digest::from_hex(&subject.digest.sha256).map_err(|_| {
            BundleError::Statement(format!(
                "subject digest {:?} is not 64 lowercase hex digits",
                subject.digest.sha256
            ))
        })?;
        Ok(Statement { digest })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// sigstore-python's test assets (Apache-2.0): v0.3 messageSignature with a Rekor v1 entry,
    /// v0.1 with a chain, v0.3 DSSE with a Rekor v2 entry (no SET, no integrated time).
    const V3: &[u8] = include_bytes!("../../../tests/fixtures/sigstore/bundle_v3.txt.sigstore");
    const V1: &[u8] = include_bytes!("../../../tests/fixtures/sigstore/bundle_v01.txt.sigstore");
    const DSSE_V2: &[u8] = include_bytes!(
        "../../../tests/fixtures/sigstore/a.dsse.staging-rekor-v2.txt.sigstore.json"
    );

    const HEX: &str = "2fbe7b164dd92edb9c1096152f6d27592d8a69b1b8eb2fc907b5fadea7d11668";

    fn statement() -> String {
        format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"digest":{{"sha256":"{HEX}"}}}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{{}}}}"#
        )
    }

    #[test]
    fn reads_sigstore_pythons_bundles() {
        let b = Bundle::parse(V3).unwrap();
        assert!(matches!(b.signer, Signer::Certificate(ref der) if der[0] == 0x30));
        assert!(matches!(b.content, Content::MessageSignature(_)));
        let entry = &b.tlog_entries[0];
        assert_eq!(
            (entry.integrated_time, entry.log_index),
            (1_712_085_549, 25_915_956)
        );
        assert_eq!(
            (entry.kind.as_str(), entry.version.as_str()),
            ("hashedrekord", "0.0.1")
        );
        assert!(entry.signed_entry_timestamp.is_some());
        let body = super::super::rekor::LogBody::parse(&entry.canonicalized_body).unwrap();
        assert!(matches!(
            body.entry,
            super::super::rekor::LogEntry::HashedRekord(_)
        ));
        // The SET payload is the canonical one a SET annotation would carry.
        let set = Bundle::canonical_body_for_set(entry);
        let value: serde_json::Value = serde_json::from_slice(&set).unwrap();
        assert_eq!(value["logIndex"], json!(25_915_956));
        assert_eq!(value["body"], json!(b64_encode(&entry.canonicalized_body)));
        assert_eq!(serde_json::to_vec(&value).unwrap(), set);

        let b = Bundle::parse(V1).unwrap();
        assert!(matches!(b.signer, Signer::Chain(ref c) if !c.is_empty()));

        let b = Bundle::parse(DSSE_V2).unwrap();
        let Content::Dsse(envelope) = &b.content else {
            panic!("a DSSE bundle")
        };
        assert_eq!(envelope.payload_type, IN_TOTO_PAYLOAD_TYPE);
        assert_eq!(b.tlog_entries[0].integrated_time, 0);
        assert_eq!(b.tlog_entries[0].signed_entry_timestamp, None);
        assert!(b.tlog_entries[0].inclusion_proof.is_some());
        assert_eq!(b.rfc3161_timestamps.len(), 1);
        // Its statement is SLSA provenance, not cosign's: refused as a vote.
        assert!(matches!(
            Statement::parse(&envelope.payload),
            Err(BundleError::Statement(_))
        ));
    }

    fn edited(f: impl FnOnce(&mut serde_json::Value)) -> Result<Bundle, BundleError> {
        let mut v: serde_json::Value = serde_json::from_slice(V3).unwrap();
        f(&mut v);
        Bundle::parse(&serde_json::to_vec(&v).unwrap())
    }

    #[test]
    fn refuses_what_is_not_exactly_a_bundle() {
        let entry = |v: &mut serde_json::Value| -> serde_json::Value {
            v["verificationMaterial"]["tlogEntries"][0].clone()
        };
        assert!(matches!(
            edited(|v| v["mediaType"] = json!("application/vnd.dev.sigstore.bundle.v0.4+json")),
            Err(BundleError::MediaType(_))
        ));
        assert!(matches!(
            edited(|v| v["verificationMaterial"]["publicKey"] = json!({"hint": "k"})),
            Err(BundleError::Material(_))
        ));
        assert!(matches!(
            edited(|v| v["mediaType"] = json!(MEDIA_TYPE_V02)),
            Err(BundleError::Material(_))
        ));
        assert!(matches!(
            edited(|v| v["dsseEnvelope"] =
                json!({"payload": "", "payloadType": "x", "signatures": []})),
            Err(BundleError::Content)
        ));
        assert!(matches!(
            edited(|v| v
                .as_object_mut()
                .unwrap()
                .remove("messageSignature")
                .map(drop)
                .unwrap()),
            Err(BundleError::Content)
        ));
        assert!(matches!(
            edited(|v| v["messageSignature"]["messageDigest"]["algorithm"] = json!("SHA2_384")),
            Err(BundleError::Hash(_))
        ));
        assert!(matches!(
            edited(|v| v["messageSignature"]["messageDigest"]["digest"] = json!("AAAA")),
            Err(BundleError::Hash(_))
        ));
        for bad in [
            json!(25915956),
            json!("-1"),
            json!("01"),
            json!(""),
            json!("99999999999999999999"),
        ] {
            let bad2 = bad.clone();
            let r = edited(move |v| v["verificationMaterial"]["tlogEntries"][0]["logIndex"] = bad2);
            assert!(
                matches!(r, Err(BundleError::Integer(..)) | Err(BundleError::Json(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            edited(
                |v| v["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"] = json!("e30")
            ),
            Err(BundleError::Base64(_))
        ));
        assert!(matches!(
            edited(
                |v| v["verificationMaterial"]["tlogEntries"][0]["logId"]["keyId"] = json!("AAAA")
            ),
            Err(BundleError::Hash(_))
        ));
        // protobuf's reader would take the snake_case name; an unknown member is refused here.
        assert!(matches!(
            edited(|v| {
                let mut e = entry(v);
                let index = e.as_object_mut().unwrap().remove("logIndex").unwrap();
                e["log_index"] = index;
                v["verificationMaterial"]["tlogEntries"][0] = e;
            }),
            Err(BundleError::Json(_))
        ));
        assert!(matches!(
            edited(|v| v["extra"] = json!(1)),
            Err(BundleError::Json(_))
        ));
        let text = String::from_utf8(V3.to_vec()).unwrap();
        let twice = text.replacen("\"mediaType\"", "\"mediaType\": \"x\", \"mediaType\"", 1);
        assert!(matches!(
            Bundle::parse(twice.as_bytes()),
            Err(BundleError::Json(_))
        ));
    }

    #[test]
    fn pae_is_dssev1() {
        assert_eq!(
            pae(IN_TOTO_PAYLOAD_TYPE, b"{}"),
            b"DSSEv1 28 application/vnd.in-toto+json 2 {}".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn reads_cosigns_statement_strictly() {
        let s = Statement::parse(statement().as_bytes()).unwrap();
        assert_eq!(s.digest.hex(), HEX);
        let named =
            statement().replace(r#"{"digest""#, r#"{"name":"docker.io/team/hello","digest""#);
        assert_eq!(
            Statement::parse(named.as_bytes()).unwrap().digest.hex(),
            HEX
        );
        let g = statement();
        let subject = format!(r#"{{"digest":{{"sha256":"{HEX}"}}}}"#);
        for bad in [
            g.replace("Statement/v1", "Statement/v0.1"),
            g.replace("cosign/sign/v1", "cosign/sign/v2"),
            g.replace(&subject, &format!("{subject},{subject}")),
            g.replace(&subject, ""),
            g.replace(HEX, &HEX.to_uppercase()),
            g.replace(r#""sha256""#, r#""sha512""#),
            g.replace(
                &format!(r#""sha256":"{HEX}""#),
                &format!(r#""sha256":"{HEX}","sha512":"00""#),
            ),
            g.replace(r#""_type""#, r#""_Type""#),
            g.replace(r#""predicate":{}"#, r#""predicate":{},"predicate":{}"#),
            g.replace(r#""predicate":{}"#, r#""predicate":{},"extra":1"#),
        ] {
            assert!(
                matches!(
                    Statement::parse(bad.as_bytes()),
                    Err(BundleError::Statement(_))
                ),
                "{bad}"
            );
        }
    }
}
