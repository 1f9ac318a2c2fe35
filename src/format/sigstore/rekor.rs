//! Rekor's answers as cosign keeps them: the signed entry timestamp (SET) of a legacy
//! signature's `dev.sigstore.cosign/bundle` annotation, read as containers/image reads it
//! (`signature/internal/rekor_set.go`, exact members, no key twice), and the log entry's body
//! (`hashedrekord` or `dsse`, version 0.0.1), whose raw bytes are what the log hashed.

use super::encoding::{self, b64_encode, count, exact_members, hex, hex32, string};
use crate::format::gojson::{Cursor, Kind};
use crate::format::message::MAX_SIGNATURE_FILE;

/// Why a SET or a log entry body is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RekorError {
    /// Larger than any signature file may be.
    #[error("the Rekor entry is {0} bytes, more than the 4 MiB allowed")]
    TooLarge(usize),
    /// Not JSON as Go reads it, or not the expected shape: a member missing, unknown, repeated
    /// or of the wrong type, base64 or hex malformed, a number that is not a count.
    #[error("malformed Rekor entry: {0}")]
    Malformed(String),
    /// A log entry of a kind or version quorate does not read.
    #[error("Rekor entry kind {0:?} version {1:?} is not hashedrekord or dsse 0.0.1")]
    UnsupportedKind(String, String),
    /// A hash in the entry is not SHA-256.
    #[error("{0}.algorithm is {1:?}, not \"sha256\"")]
    HashAlgorithm(String, String),
}

crate::fault::always!(Input: RekorError);

/// The SET annotation: `{"SignedEntryTimestamp":b64,"Payload":{"body":b64,"integratedTime":n,
/// "logIndex":n,"logID":hex}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RekorBundle {
    /// `SignedEntryTimestamp`: Rekor's ECDSA signature (ASN.1 DER) over
    /// [`RekorBundle::canonical_set_payload`].
    pub signed_entry_timestamp: Vec<u8>,
    /// `Payload.body`, decoded: the log entry's canonical body ([`LogBody::parse`]).
    pub body: Vec<u8>,
    /// `Payload.body` as the file has it (base64), for the SET's canonical form.
    pub body_b64: String,
    /// `Payload.integratedTime`, Unix seconds: when the log took the entry.
    pub integrated_time: i64,
    /// `Payload.logIndex`.
    pub log_index: i64,
    /// `Payload.logID`: the SHA-256 of the log's DER public key.
    pub log_id: [u8; 32],
}

fn malformed(e: String) -> RekorError {
    RekorError::Malformed(crate::text::one_line(&e))
}

impl RekorBundle {
    /// Parses the SET annotation as containers/image does, and stricter: exactly the two
    /// members and, in `Payload`, exactly the four (no key twice, no case variant); the base64
    /// standard and padded; `logID` 64 lowercase hex; the two numbers whole, 0 to below 2^53 (so
    /// RFC 8785's form of them is their decimal digits, as containers/image's canonicalizer
    /// writes them).
    pub fn parse(bytes: &[u8]) -> Result<RekorBundle, RekorError> {
        if bytes.len() as u64 > MAX_SIGNATURE_FILE {
            return Err(RekorError::TooLarge(bytes.len()));
        }
        let mut cur = encoding::document(bytes).map_err(malformed)?;
        let [mut set, mut payload] =
            exact_members(&mut cur, "the SET", ["SignedEntryTimestamp", "Payload"])
                .map_err(malformed)?;
        let signed_entry_timestamp =
            encoding::bytes(&mut set, "SignedEntryTimestamp").map_err(malformed)?;
        let [mut body, mut time, mut index, mut log_id] = exact_members(
            &mut payload,
            "Payload",
            ["body", "integratedTime", "logIndex", "logID"],
        )
        .map_err(malformed)?;
        let body_b64 = string(&mut body, "Payload.body").map_err(malformed)?;
        let body = encoding::b64_decode(&body_b64)
            .ok_or_else(|| malformed("Payload.body is not standard base64".into()))?;
        let integrated_time = count(&mut time, "Payload.integratedTime").map_err(malformed)?;
        let log_index = count(&mut index, "Payload.logIndex").map_err(malformed)?;
        let log_id_text = string(&mut log_id, "Payload.logID").map_err(malformed)?;
        let log_id = hex32(&log_id_text).ok_or_else(|| {
            malformed(format!(
                "Payload.logID {log_id_text:?} is not 64 lowercase hex digits"
            ))
        })?;
        Ok(RekorBundle {
            signed_entry_timestamp,
            body,
            body_b64,
            integrated_time,
            log_index,
            log_id,
        })
    }

    /// The bytes the SET signs: RFC 8785's form of `Payload`.
    pub fn canonical_set_payload(&self) -> Vec<u8> {
        canonical_set_payload(
            &self.body_b64,
            self.integrated_time,
            &self.log_id,
            self.log_index,
        )
    }

    /// The annotation as cosign writes it (Go's `json.Marshal` of its `RekorBundle`), which
    /// [`RekorBundle::parse`] reads back unchanged.
    pub fn to_bytes(&self) -> Vec<u8> {
        format!(
            r#"{{"SignedEntryTimestamp":"{}","Payload":{{"body":"{}","integratedTime":{},"logIndex":{},"logID":"{}"}}}}"#,
            b64_encode(&self.signed_entry_timestamp),
            self.body_b64,
            self.integrated_time,
            self.log_index,
            hex(&self.log_id)
        )
        .into_bytes()
    }
}

/// RFC 8785's form of a SET payload, `{"body":…,"integratedTime":…,"logID":…,"logIndex":…}`:
/// its members sorted, no white space. `body_b64` is base64 (nothing to escape) and the
/// numbers are whole, so this is the canonicalizer's output.
pub fn canonical_set_payload(
    body_b64: &str,
    integrated_time: i64,
    log_id: &[u8; 32],
    log_index: i64,
) -> Vec<u8> {
    let mut body = String::new();
    encoding::go_json_string(&mut body, body_b64);
    format!(
        r#"{{"body":{body},"integratedTime":{integrated_time},"logID":"{}","logIndex":{log_index}}}"#,
        hex(log_id)
    )
    .into_bytes()
}

/// A log entry's body: its raw bytes (what the log hashed into its tree) and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogBody {
    /// The body exactly as given.
    pub raw: Vec<u8>,
    /// What it records.
    pub entry: LogEntry,
}

/// The two kinds of entry quorate reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEntry {
    /// `hashedrekord` 0.0.1: a signature over a blob of that hash (a legacy payload, or a
    /// `messageSignature` bundle's blob).
    HashedRekord(HashedRekord),
    /// `dsse` 0.0.1: a DSSE envelope (a cosign v3 bundle).
    Dsse(DsseEntry),
}

/// `hashedrekord` 0.0.1's spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedRekord {
    /// `data.hash.value` (algorithm sha256): the SHA-256 of the signed blob.
    pub data_hash: [u8; 32],
    /// `signature.content`, decoded: the signature (ASN.1 DER for ECDSA).
    pub signature: Vec<u8>,
    /// `signature.publicKey.content`, decoded: PEM of the key or certificate.
    pub public_key_pem: Vec<u8>,
}

/// `dsse` 0.0.1's spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsseEntry {
    /// `payloadHash.value` (sha256): the SHA-256 of the envelope's payload.
    pub payload_hash: [u8; 32],
    /// `envelopeHash.value` (sha256): kept, never checkable (it hashes the envelope as Rekor
    /// serialized it).
    pub envelope_hash: [u8; 32],
    /// `signatures[]`.
    pub signatures: Vec<DsseLogSignature>,
}

/// One of a `dsse` entry's signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsseLogSignature {
    /// `signature`, decoded.
    pub signature: Vec<u8>,
    /// `verifier`, decoded: PEM of the key or certificate.
    pub verifier_pem: Vec<u8>,
}

impl LogBody {
    /// Parses a log entry body strictly (containers/image reads a `hashedrekord` body with Go's
    /// lenient struct decoding, so every input it could read otherwise is refused here: exact
    /// members, no key twice, no case variant): `kind` and `apiVersion` first, then the spec of
    /// `hashedrekord` or `dsse` 0.0.1; any other kind or version is
    /// [`RekorError::UnsupportedKind`].
    pub fn parse(bytes: &[u8]) -> Result<LogBody, RekorError> {
        if bytes.len() as u64 > MAX_SIGNATURE_FILE {
            return Err(RekorError::TooLarge(bytes.len()));
        }
        let mut cur = encoding::document(bytes).map_err(malformed)?;
        let [mut version, mut kind, spec] =
            exact_members(&mut cur, "the body", ["apiVersion", "kind", "spec"])
                .map_err(malformed)?;
        let version = string(&mut version, "apiVersion").map_err(malformed)?;
        let kind = string(&mut kind, "kind").map_err(malformed)?;
        let entry = match (kind.as_str(), version.as_str()) {
            ("hashedrekord", "0.0.1") => LogEntry::HashedRekord(read_hashedrekord(spec)?),
            ("dsse", "0.0.1") => LogEntry::Dsse(read_dsse(spec)?),
            _ => return Err(RekorError::UnsupportedKind(kind, version)),
        };
        Ok(LogBody {
            raw: bytes.to_vec(),
            entry,
        })
    }
}

/// `{"algorithm":"sha256","value":hex}`.
fn sha256_hash(mut cur: Cursor, what: &str) -> Result<[u8; 32], RekorError> {
    let [mut algorithm, mut value] =
        exact_members(&mut cur, what, ["algorithm", "value"]).map_err(malformed)?;
    let algorithm = string(&mut algorithm, &format!("{what}.algorithm")).map_err(malformed)?;
    if algorithm != "sha256" {
        return Err(RekorError::HashAlgorithm(what.to_string(), algorithm));
    }
    let value = string(&mut value, &format!("{what}.value")).map_err(malformed)?;
    hex32(&value).ok_or_else(|| {
        malformed(format!(
            "{what}.value {value:?} is not 64 lowercase hex digits"
        ))
    })
}

fn read_hashedrekord(mut spec: Cursor) -> Result<HashedRekord, RekorError> {
    let [mut data, mut signature] =
        exact_members(&mut spec, "spec", ["data", "signature"]).map_err(malformed)?;
    let [hash] = exact_members(&mut data, "spec.data", ["hash"]).map_err(malformed)?;
    let data_hash = sha256_hash(hash, "spec.data.hash")?;
    let [mut content, mut public_key] =
        exact_members(&mut signature, "spec.signature", ["content", "publicKey"])
            .map_err(malformed)?;
    let signature = encoding::bytes(&mut content, "spec.signature.content").map_err(malformed)?;
    let [mut key] = exact_members(&mut public_key, "spec.signature.publicKey", ["content"])
        .map_err(malformed)?;
    let public_key_pem =
        encoding::bytes(&mut key, "spec.signature.publicKey.content").map_err(malformed)?;
    Ok(HashedRekord {
        data_hash,
        signature,
        public_key_pem,
    })
}

fn read_dsse(mut spec: Cursor) -> Result<DsseEntry, RekorError> {
    let [envelope_hash, payload_hash, mut signatures] = exact_members(
        &mut spec,
        "spec",
        ["envelopeHash", "payloadHash", "signatures"],
    )
    .map_err(malformed)?;
    let envelope_hash = sha256_hash(envelope_hash, "spec.envelopeHash")?;
    let payload_hash = sha256_hash(payload_hash, "spec.payloadHash")?;
    if signatures.kind() != Kind::Array {
        return Err(malformed(format!(
            "spec.signatures is {}, not an array",
            signatures.kind().name()
        )));
    }
    signatures.enter();
    let mut list = Vec::new();
    while signatures.next_item() {
        let what = format!("spec.signatures[{}]", list.len());
        let [mut signature, mut verifier] =
            exact_members(&mut signatures, &what, ["signature", "verifier"]).map_err(malformed)?;
        list.push(DsseLogSignature {
            signature: encoding::bytes(&mut signature, &format!("{what}.signature"))
                .map_err(malformed)?,
            verifier_pem: encoding::bytes(&mut verifier, &format!("{what}.verifier"))
                .map_err(malformed)?,
        });
    }
    if list.is_empty() {
        return Err(malformed("spec.signatures is empty".into()));
    }
    Ok(DsseEntry {
        payload_hash,
        envelope_hash,
        signatures: list,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// containers/image's `signature/internal/testdata/rekor-set` (a real public-good SET).
    const SET: &[u8] = include_bytes!("../../../tests/fixtures/sigstore/rekor-set");

    #[test]
    fn reads_a_real_set_and_writes_its_canonical_payload() {
        let set = RekorBundle::parse(SET).unwrap();
        assert_eq!(
            hex(&set.log_id),
            "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"
        );
        let payload = String::from_utf8(set.canonical_set_payload()).unwrap();
        assert!(payload.starts_with(r#"{"body":""#));
        assert!(payload.contains(&format!(
            r#","integratedTime":{},"logID":""#,
            set.integrated_time
        )));
        assert!(payload.ends_with(&format!(r#","logIndex":{}}}"#, set.log_index)));
        // The canonical form is the one RFC 8785 gives (Python's sorted compact JSON here).
        let value: serde_json::Value = serde_json::from_slice(SET).unwrap();
        let sorted = serde_json::to_vec(&value["Payload"]).unwrap();
        assert_eq!(set.canonical_set_payload(), sorted);
        let body = LogBody::parse(&set.body).unwrap();
        assert!(matches!(body.entry, LogEntry::HashedRekord(_)));
        assert_eq!(RekorBundle::parse(&set.to_bytes()).unwrap(), set);
    }

    fn set_with(payload: &str) -> Result<RekorBundle, RekorError> {
        RekorBundle::parse(
            format!(r#"{{"SignedEntryTimestamp":"AQ==","Payload":{payload}}}"#).as_bytes(),
        )
    }

    const LOG_ID: &str = "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d";

    #[test]
    fn the_set_is_read_strictly() {
        let good =
            format!(r#"{{"body":"e30=","integratedTime":1,"logIndex":2,"logID":"{LOG_ID}"}}"#);
        let set = set_with(&good).unwrap();
        assert_eq!((set.integrated_time, set.log_index), (1, 2));
        assert_eq!(set.signed_entry_timestamp, [1]);
        // Whole numbers in another spelling read the same, as the canonicalizer reads them.
        assert_eq!(
            set_with(&good.replace(":1,", ":1e0,"))
                .unwrap()
                .integrated_time,
            1
        );
        for bad in [
            good.replace(r#""logIndex":2,"#, r#""logIndex":2,"logIndex":3,"#),
            good.replace("logIndex", "LogIndex"),
            good.replace(r#""logIndex":2,"#, ""),
            good.replace(r#""logIndex":2"#, r#""logIndex":2,"extra":0"#),
            good.replace(":2,", ":2.5,"),
            good.replace(":2,", ":-2,"),
            good.replace(":2,", ":9007199254740993,"),
            good.replace(":2,", r#":"2","#),
            good.replace("e30=", "e30"),
            good.replace("e30=", "e3\\n0="),
            good.replace(LOG_ID, &LOG_ID.to_uppercase()),
            good.replace(LOG_ID, &LOG_ID[2..]),
        ] {
            assert!(
                matches!(set_with(&bad), Err(RekorError::Malformed(_))),
                "{bad}"
            );
        }
        for bad in [
            format!(r#"{{"SignedEntryTimestamp":"AQ==","Payload":{good},"Payload":{good}}}"#),
            format!(r#"{{"signedEntryTimestamp":"AQ==","Payload":{good}}}"#),
            format!(r#"{{"SignedEntryTimestamp":null,"Payload":{good}}}"#),
            format!(r#"{{"Payload":{good}}}"#),
            format!(r#"{{"SignedEntryTimestamp":"AQ==","Payload":{good}}} x"#),
        ] {
            assert!(
                matches!(
                    RekorBundle::parse(bad.as_bytes()),
                    Err(RekorError::Malformed(_))
                ),
                "{bad}"
            );
        }
    }

    const HASH: &str = "2dcf9e65b95efb54d936085b0b4519b22fb2e9ab47312ded0ec0fa45384701ed";

    fn hashedrekord() -> String {
        format!(
            r#"{{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{{"data":{{"hash":{{"algorithm":"sha256","value":"{HASH}"}}}},"signature":{{"content":"AQI=","publicKey":{{"content":"LS0t"}}}}}}}}"#
        )
    }

    fn dsse() -> String {
        format!(
            r#"{{"apiVersion":"0.0.1","kind":"dsse","spec":{{"envelopeHash":{{"algorithm":"sha256","value":"{HASH}"}},"payloadHash":{{"algorithm":"sha256","value":"{HASH}"}},"signatures":[{{"signature":"AQI=","verifier":"LS0t"}}]}}}}"#
        )
    }

    #[test]
    fn reads_both_body_kinds() {
        let body = LogBody::parse(hashedrekord().as_bytes()).unwrap();
        assert_eq!(body.raw, hashedrekord().as_bytes());
        let LogEntry::HashedRekord(h) = body.entry else {
            panic!("a hashedrekord")
        };
        assert_eq!(
            (hex(&h.data_hash), h.signature, h.public_key_pem),
            (HASH.to_string(), vec![1, 2], b"---".to_vec())
        );
        let LogEntry::Dsse(d) = LogBody::parse(dsse().as_bytes()).unwrap().entry else {
            panic!("a dsse entry")
        };
        assert_eq!(d.signatures.len(), 1);
        assert_eq!(d.signatures[0].verifier_pem, b"---");
        assert_eq!(hex(&d.payload_hash), HASH);
    }

    #[test]
    fn bodies_are_read_strictly() {
        let h = hashedrekord();
        assert!(matches!(
            LogBody::parse(h.replace("0.0.1", "0.0.2").as_bytes()),
            Err(RekorError::UnsupportedKind(..))
        ));
        assert!(matches!(
            LogBody::parse(h.replace("hashedrekord", "rekord").as_bytes()),
            Err(RekorError::UnsupportedKind(..))
        ));
        assert!(matches!(
            LogBody::parse(h.replace("\"sha256\"", "\"sha512\"").as_bytes()),
            Err(RekorError::HashAlgorithm(..))
        ));
        for bad in [
            h.replace("\"kind\"", "\"Kind\""),
            h.replace(
                r#""kind":"hashedrekord","#,
                r#""kind":"hashedrekord","kind":"hashedrekord","#,
            ),
            h.replace(
                r#""content":"AQI=","#,
                r#""content":"AQI=","content":"AQM=","#,
            ),
            h.replace(r#""publicKey""#, r#""publickey""#),
            h.replace(r#"}}}}"#, r#"}},"extra":1}}}"#),
            h.replace("AQI=", "AQI"),
            h.replace(HASH, &HASH[1..]),
        ] {
            assert!(
                matches!(
                    LogBody::parse(bad.as_bytes()),
                    Err(RekorError::Malformed(_))
                ),
                "{bad}"
            );
        }
        let d = dsse();
        for bad in [
            d.replace(r#"[{"signature":"AQI=","verifier":"LS0t"}]"#, "[]"),
            d.replace(r#""verifier":"LS0t""#, r#""verifier":"LS0t","keyid":"""#),
            d.replace(
                r#""envelopeHash":{"algorithm":"sha256","value":""#,
                r#""envelopeHash":{"value":""#,
            ),
        ] {
            assert!(
                matches!(
                    LogBody::parse(bad.as_bytes()),
                    Err(RekorError::Malformed(_))
                ),
                "{bad}"
            );
        }
    }
}
