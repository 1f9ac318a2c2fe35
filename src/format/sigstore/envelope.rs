//! A cosign ("simple signing") signature as containers/image stores it in a lookaside
//! `signature-N` or a `dir:` image (`internal/signature/signature.go` `Blob`/`FromBlob`,
//! `internal/signature/sigstore.go`): the bytes `\x00sigstore-json\n`, then the JSON
//! `{"mimeType":…,"payload":<b64>,"annotations":{…}}` holding the cosign layer's blob and
//! annotations.
//!
//! containers/image reads that JSON with Go's `json.Unmarshal` into a struct: unknown keys
//! ignored, keys matched without regard to case, the last of a repeated key winning. quorate
//! counts nothing podman could read otherwise, so here exactly the three keys are read, each
//! once, spelled exactly, and the annotations are the ones cosign writes, each once.

use std::collections::BTreeMap;

use super::encoding::{self, b64_encode, exact_members, go_json_string, string};
use super::rekor::{RekorBundle, RekorError};
use crate::format::gojson::{self, ObjectError};
use crate::format::message::MAX_SIGNATURE_FILE;

/// What starts a sigstore signature file: a zero byte, the format name, a newline.
pub const PREFIX: &[u8] = b"\x00sigstore-json\n";

/// The only `mimeType` podman verifies.
pub const MIME_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

/// The annotation holding the base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The annotation holding the PEM leaf certificate (keyless).
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// The annotation holding the PEM intermediates and root (keyless).
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// The annotation holding Rekor's SET ([`RekorBundle`]).
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
/// The annotation holding a timestamp authority's answer.
pub const TIMESTAMP_ANNOTATION: &str = "dev.sigstore.cosign/rfc3161timestamp";

/// True when `bytes` is a sigstore signature file (rather than an OpenPGP one).
pub fn is_sigstore(bytes: &[u8]) -> bool {
    bytes.starts_with(PREFIX)
}

/// Why a sigstore signature file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Larger than any signature file may be.
    #[error("the signature file is {0} bytes, more than the 4 MiB allowed")]
    TooLarge(usize),
    /// The file does not start with `\x00sigstore-json\n`.
    #[error("not a sigstore signature (it does not start with \\x00sigstore-json\\n)")]
    NotSigstore,
    /// Not JSON as Go reads it, or not exactly `mimeType`, `payload`, `annotations` (a key
    /// missing, unknown, in another case or repeated), or a value of the wrong type.
    #[error("malformed sigstore signature: {0}")]
    Malformed(String),
    /// `mimeType` is not the simple signing type.
    #[error("mimeType is {0:?}, not {MIME_TYPE:?}")]
    MimeType(String),
    /// An annotation cosign does not write (a case variant of one included).
    #[error("unknown annotation {0:?}")]
    UnknownAnnotation(String),
    /// No `dev.cosignproject.cosign/signature` annotation.
    #[error("no {SIGNATURE_ANNOTATION} annotation")]
    NoSignature,
    /// The `dev.sigstore.cosign/bundle` annotation is not a SET.
    #[error("the {BUNDLE_ANNOTATION} annotation: {0}")]
    Bundle(RekorError),
}

crate::fault::always!(Input: EnvelopeError);

/// A legacy (tag-stored) cosign signature: the signed payload and the layer's annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacySignature {
    /// The simple-signing payload, decoded (`Payload::parse_cosign` reads it).
    pub payload: Vec<u8>,
    /// `dev.cosignproject.cosign/signature`, decoded: ASN.1 DER ECDSA over the payload.
    pub signature: Vec<u8>,
    /// `dev.sigstore.cosign/certificate`: the PEM leaf (keyless).
    pub certificate_pem: Option<Vec<u8>>,
    /// `dev.sigstore.cosign/chain`: PEM intermediates and root.
    pub chain_pem: Option<Vec<u8>>,
    /// `dev.sigstore.cosign/bundle`: Rekor's SET.
    pub rekor_bundle: Option<RekorBundle>,
    /// `dev.sigstore.cosign/rfc3161timestamp`, as it stands (not read).
    pub timestamp: Option<Vec<u8>>,
}

fn malformed(e: String) -> EnvelopeError {
    EnvelopeError::Malformed(crate::text::one_line(&e))
}

impl LegacySignature {
    /// Parses a sigstore signature file strictly (see the module's notes): the prefix, then one
    /// JSON document as Go reads it holding exactly `mimeType` (the simple signing type),
    /// `payload` (standard base64) and `annotations` (strings under the five keys cosign
    /// writes, each at most once, the signature required).
    pub fn parse(bytes: &[u8]) -> Result<LegacySignature, EnvelopeError> {
        if bytes.len() as u64 > MAX_SIGNATURE_FILE {
            return Err(EnvelopeError::TooLarge(bytes.len()));
        }
        let json = bytes
            .strip_prefix(PREFIX)
            .ok_or(EnvelopeError::NotSigstore)?;
        let mut cur = encoding::document(json).map_err(malformed)?;
        let [mut mime_type, mut payload, mut annotations] = exact_members(
            &mut cur,
            "the signature",
            ["mimeType", "payload", "annotations"],
        )
        .map_err(malformed)?;
        let mime_type = string(&mut mime_type, "mimeType").map_err(malformed)?;
        if mime_type != MIME_TYPE {
            return Err(EnvelopeError::MimeType(mime_type));
        }
        let payload = encoding::bytes(&mut payload, "payload").map_err(malformed)?;
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        gojson::paranoid_object(&mut annotations, |key, value| {
            if ![
                SIGNATURE_ANNOTATION,
                CERTIFICATE_ANNOTATION,
                CHAIN_ANNOTATION,
                BUNDLE_ANNOTATION,
                TIMESTAMP_ANNOTATION,
            ]
            .contains(&key)
            {
                return Err(EnvelopeError::UnknownAnnotation(key.to_string()));
            }
            let text = string(value, &format!("annotation {key}")).map_err(malformed)?;
            values.insert(key.to_string(), text);
            Ok(true)
        })
        .map_err(|e| match e {
            ObjectError::NotObject(kind) => {
                malformed(format!("annotations is {}, not an object", kind.name()))
            }
            ObjectError::Duplicate(key) => {
                malformed(format!("annotations has the key {key:?} twice"))
            }
            ObjectError::Unknown(key) => EnvelopeError::UnknownAnnotation(key),
            ObjectError::Member(e) => e,
        })?;
        let signature_b64 = values
            .remove(SIGNATURE_ANNOTATION)
            .ok_or(EnvelopeError::NoSignature)?;
        let signature = encoding::b64_decode(&signature_b64)
            .ok_or_else(|| malformed(format!("{SIGNATURE_ANNOTATION} is not standard base64")))?;
        let rekor_bundle = values
            .remove(BUNDLE_ANNOTATION)
            .map(|text| RekorBundle::parse(text.as_bytes()))
            .transpose()
            .map_err(EnvelopeError::Bundle)?;
        Ok(LegacySignature {
            payload,
            signature,
            certificate_pem: values
                .remove(CERTIFICATE_ANNOTATION)
                .map(String::into_bytes),
            chain_pem: values.remove(CHAIN_ANNOTATION).map(String::into_bytes),
            rekor_bundle,
            timestamp: values.remove(TIMESTAMP_ANNOTATION).map(String::into_bytes),
        })
    }

    /// The file as containers/image writes it (Go's `json.Marshal`: the three keys in that
    /// order, annotations sorted, Go's string escapes), which [`LegacySignature::parse`] reads
    /// back unchanged. Annotation bytes that are not UTF-8 are written as U+FFFD, as Go would
    /// read them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut annotations: BTreeMap<&str, String> = BTreeMap::new();
        annotations.insert(SIGNATURE_ANNOTATION, b64_encode(&self.signature));
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        if let Some(pem) = &self.certificate_pem {
            annotations.insert(CERTIFICATE_ANNOTATION, text(pem));
        }
        if let Some(pem) = &self.chain_pem {
            annotations.insert(CHAIN_ANNOTATION, text(pem));
        }
        if let Some(bundle) = &self.rekor_bundle {
            annotations.insert(BUNDLE_ANNOTATION, text(&bundle.to_bytes()));
        }
        if let Some(timestamp) = &self.timestamp {
            annotations.insert(TIMESTAMP_ANNOTATION, text(timestamp));
        }
        let mut out = String::from(r#"{"mimeType":"#);
        go_json_string(&mut out, MIME_TYPE);
        out.push_str(r#","payload":"#);
        go_json_string(&mut out, &b64_encode(&self.payload));
        out.push_str(r#","annotations":{"#);
        for (i, (key, value)) in annotations.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            go_json_string(&mut out, key);
            out.push(':');
            go_json_string(&mut out, value);
        }
        out.push_str("}}");
        [PREFIX, out.as_bytes()].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] =
        include_bytes!("../../../tests/fixtures/sigstore/dir-img-cosign-valid.signature-1");
    const KEY_REKOR: &[u8] = include_bytes!(
        "../../../tests/fixtures/sigstore/dir-img-cosign-key-rekor-valid.signature-1"
    );
    const FULCIO: &[u8] = include_bytes!(
        "../../../tests/fixtures/sigstore/dir-img-cosign-fulcio-rekor-valid.signature-1"
    );

    #[test]
    fn reads_containers_images_files_and_writes_them_byte_for_byte() {
        for file in [KEY, KEY_REKOR, FULCIO] {
            assert!(is_sigstore(file));
            let sig = LegacySignature::parse(file).unwrap();
            assert_eq!(sig.to_bytes(), file);
            assert_eq!(LegacySignature::parse(&sig.to_bytes()).unwrap(), sig);
        }
        let key = LegacySignature::parse(KEY).unwrap();
        assert!(key.payload.starts_with(br#"{"critical":"#));
        assert_eq!((key.certificate_pem, key.rekor_bundle), (None, None));
        let fulcio = LegacySignature::parse(FULCIO).unwrap();
        assert!(fulcio
            .certificate_pem
            .unwrap()
            .starts_with(b"-----BEGIN CERTIFICATE-----\n"));
        assert!(fulcio.chain_pem.is_some());
        assert_eq!(fulcio.rekor_bundle.unwrap().integrated_time, 1_674_247_893);
    }

    #[test]
    fn writes_what_it_reads_back() {
        let sig = LegacySignature {
            payload: b"{}".to_vec(),
            signature: vec![0x30, 1, 2],
            certificate_pem: Some(b"-----BEGIN CERTIFICATE-----\n<&>\n".to_vec()),
            chain_pem: Some(b"chain".to_vec()),
            rekor_bundle: Some(
                RekorBundle::parse(include_bytes!("../../../tests/fixtures/sigstore/rekor-set"))
                    .unwrap(),
            ),
            timestamp: Some(br#"{"SignedRFC3161Timestamp":"AQ=="}"#.to_vec()),
        };
        let bytes = sig.to_bytes();
        assert_eq!(LegacySignature::parse(&bytes).unwrap(), sig);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains(r#"\n\u003c\u0026\u003e\n"#), "{text}");
    }

    fn edited(from: &str, to: &str) -> Result<LegacySignature, EnvelopeError> {
        let text = String::from_utf8(KEY.to_vec()).unwrap();
        assert!(text.contains(from), "{from}");
        LegacySignature::parse(text.replacen(from, to, 1).as_bytes())
    }

    #[test]
    fn refuses_what_go_could_read_otherwise() {
        let malformed = |r: Result<LegacySignature, EnvelopeError>| {
            matches!(r, Err(EnvelopeError::Malformed(_)))
        };
        // Go ignores unknown keys, matches keys in any case, keeps the last of a repeated key.
        assert!(malformed(edited(
            r#""mimeType""#,
            r#""extra":1,"mimeType""#
        )));
        assert!(malformed(edited(r#""mimeType""#, r#""MimeType""#)));
        assert!(malformed(edited(r#""payload""#, r#""Payload""#)));
        assert!(malformed(edited(
            r#""payload":"#,
            r#""payload":"e30=","payload":"#
        )));
        assert!(malformed(edited(
            r#""annotations":{"#,
            r#""annotations":{},"annotations":{"#
        )));
        assert!(malformed(edited(
            r#""annotations":{"#,
            r#""annotations":{"dev.cosignproject.cosign/signature":"AQ==","#
        )));
        assert!(matches!(
            edited(
                "dev.cosignproject.cosign/signature",
                "dev.cosignproject.cosign/Signature"
            ),
            Err(EnvelopeError::UnknownAnnotation(_))
        ));
        assert!(matches!(
            edited(r#""annotations":{"#, r#""annotations":{"x":"y","#),
            Err(EnvelopeError::UnknownAnnotation(_))
        ));
        assert!(matches!(
            edited(
                r#""annotations":{"#,
                r#""annotations":{"dev.sigstore.cosign/bundle":"{}","#
            ),
            Err(EnvelopeError::Bundle(_))
        ));
        assert!(matches!(
            edited("simplesigning.v1", "simplesigning.v2"),
            Err(EnvelopeError::MimeType(_))
        ));
        assert!(malformed(edited(r#""payload":"ey"#, r#""payload":"\nqey"#)));
        assert!(malformed(edited(r#""payload":"#, r#""payload":null,"x":"#)));
        assert!(malformed(edited("}}", "}} x")));
        assert!(malformed(edited(
            r#","annotations":{"#,
            r#","annotations":null,"y":{"#
        )));
        assert!(matches!(
            edited(
                r#""dev.cosignproject.cosign/signature""#,
                r#""dev.sigstore.cosign/chain""#
            ),
            Err(EnvelopeError::NoSignature)
        ));
        assert!(matches!(
            LegacySignature::parse(&KEY[1..]),
            Err(EnvelopeError::NotSigstore)
        ));
        assert!(!is_sigstore(b"\x00sigstore-json"));
        // Trailing white space is Go's too.
        assert!(edited("}}", "}}\n").is_ok());
    }
}
