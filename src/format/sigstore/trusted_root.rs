//! Sigstore's trusted root (`trusted_root.json`, media type
//! `application/vnd.dev.sigstore.trustedroot+json;version=0.1`): the Fulcio certificate
//! authorities, the Rekor and CT log keys, each with the window it is valid for. quorate keeps
//! one at `keyring/sigstore/trusted_root.json`, part of the trust root.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::encoding::b64_decode;
use crate::format::message::MAX_SIGNATURE_FILE;

/// The only media type read.
pub const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

/// The only log key type read: ECDSA P-256 with SHA-256, a DER SubjectPublicKeyInfo.
pub const ECDSA_P256: &str = "PKIX_ECDSA_P256_SHA_256";

/// Where the trusted root lies, relative to keyring/.
pub const TRUSTED_ROOT_FILE: &str = "sigstore/trusted_root.json";

/// A time window, in Unix seconds: `validFor` of Sigstore's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// `validFor.start`.
    pub start: i64,
    /// `validFor.end`, None while open.
    pub end: Option<i64>,
}

impl Validity {
    /// True when `at` (Unix seconds) lies in the window, both ends included.
    pub fn contains(&self, at: i64) -> bool {
        at >= self.start && self.end.is_none_or(|end| at <= end)
    }
}

/// A transparency log's (Rekor's) or certificate transparency log's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogKey {
    /// `logId.keyId`: the SHA-256 of the key's DER SubjectPublicKeyInfo.
    pub log_id: [u8; 32],
    /// `publicKey.rawBytes`: the DER SubjectPublicKeyInfo (ECDSA P-256 only is read).
    pub public_key_der: Vec<u8>,
    /// `publicKey.validFor`.
    pub valid_for: Validity,
    /// `baseUrl`, for messages only.
    pub base_url: String,
}

/// A certificate authority (Fulcio): its chain, leaf-most first, root last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateAuthority {
    /// `certChain.certificates[].rawBytes`, DER each.
    pub chain_der: Vec<Vec<u8>>,
    /// `validFor`.
    pub valid_for: Validity,
    /// `uri`, for messages only.
    pub uri: String,
}

/// A parsed trusted root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedRoot {
    /// `tlogs`: the Rekor keys.
    pub tlogs: Vec<LogKey>,
    /// `ctlogs`: the certificate transparency log keys.
    pub ctlogs: Vec<LogKey>,
    /// `certificateAuthorities`: the Fulcio CAs.
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// The log keys of a type quorate does not read (e.g. Rekor v2's `PKIX_ED25519`), one line
    /// each naming the log: left out, never trusted.
    pub skipped: Vec<String>,
}

/// Why a trusted root is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustedRootError {
    /// Larger than any signature file may be.
    #[error("the trusted root is {0} bytes, more than the 4 MiB allowed")]
    TooLarge(usize),
    /// Not JSON, or not the trusted root's shape (a missing, unknown or repeated member).
    #[error("not a trusted root: {0}")]
    Json(String),
    /// `mediaType` is not version 0.1 of the trusted root.
    #[error("mediaType is {0:?}, not {MEDIA_TYPE:?}")]
    MediaType(String),
    /// A log's `hashAlgorithm` is not SHA2_256.
    #[error("{0}: hashAlgorithm is {1:?}, not \"SHA2_256\"")]
    HashAlgorithm(String, String),
    /// A bytes member is not standard padded base64, or is empty.
    #[error("{0} is not standard base64 of a non-empty value")]
    Base64(String),
    /// `logId.keyId` is not 32 bytes, or is not the SHA-256 of the key.
    #[error("{0}: logId.keyId is not the SHA-256 of publicKey.rawBytes")]
    LogId(String),
    /// A `validFor` time is not RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`).
    #[error("{0}: {1:?} is not an RFC 3339 time")]
    Time(String, String),
    /// A `validFor` window ends before it starts.
    #[error("{0}: validFor ends before it starts")]
    Window(String),
    /// A certificate authority without certificates.
    #[error("{0}: certChain holds no certificate")]
    EmptyChain(String),
}

crate::fault::always!(Input: TrustedRootError);

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRoot {
    media_type: String,
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    ctlogs: Vec<RawLog>,
    #[serde(default)]
    certificate_authorities: Vec<RawAuthority>,
    // Accepted and ignored: quorate reads no timestamp authority's answer yet.
    #[serde(default)]
    #[allow(dead_code)]
    timestamp_authorities: IgnoredAny,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawLog {
    base_url: String,
    hash_algorithm: String,
    public_key: RawPublicKey,
    log_id: RawLogId,
    // Newer roots name the operator and Rekor v2's checkpoint key: for messages only, ignored.
    #[serde(default)]
    #[allow(dead_code)]
    operator: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    checkpoint_key_id: IgnoredAny,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPublicKey {
    raw_bytes: String,
    key_details: String,
    valid_for: RawValidity,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawLogId {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValidity {
    start: String,
    #[serde(default)]
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawAuthority {
    #[serde(default)]
    #[allow(dead_code)]
    subject: IgnoredAny,
    uri: String,
    cert_chain: RawChain,
    valid_for: RawValidity,
    #[serde(default)]
    #[allow(dead_code)]
    operator: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChain {
    certificates: Vec<RawCertificate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawCertificate {
    raw_bytes: String,
}

impl TrustedRoot {
    /// Parses `trusted_root.json` strictly: JSON with no member unknown, missing or repeated
    /// (camelCase names only), the 0.1 media type, SHA2_256 logs whose `logId.keyId` is the
    /// SHA-256 of the key, RFC 3339 windows that do not end before they start, CAs with at
    /// least one certificate. Log keys of another type than ECDSA P-256 are left out and named
    /// in `skipped`; `timestampAuthorities` is accepted and ignored.
    pub fn parse(bytes: &[u8]) -> Result<TrustedRoot, TrustedRootError> {
        if bytes.len() as u64 > MAX_SIGNATURE_FILE {
            return Err(TrustedRootError::TooLarge(bytes.len()));
        }
        let raw: RawRoot = serde_json::from_slice(bytes)
            .map_err(|e| TrustedRootError::Json(crate::text::one_line(&e.to_string())))?;
        if raw.media_type != MEDIA_TYPE {
            return Err(TrustedRootError::MediaType(raw.media_type));
        }
        let mut root = TrustedRoot::default();
        for (list, name, out) in [
            (raw.tlogs, "tlogs", &mut root.tlogs),
            (raw.ctlogs, "ctlogs", &mut root.ctlogs),
        ] {
            for (i, log) in list.into_iter().enumerate() {
                let what = format!("{name}[{i}] ({})", log.base_url);
                match read_log(log, &what)? {
                    Some(key) => out.push(key),
                    None => root.skipped.push(what),
                }
            }
        }
        for (i, ca) in raw.certificate_authorities.into_iter().enumerate() {
            let what = format!("certificateAuthorities[{i}] ({})", ca.uri);
            let mut chain_der = Vec::with_capacity(ca.cert_chain.certificates.len());
            for (j, cert) in ca.cert_chain.certificates.iter().enumerate() {
                chain_der.push(bytes_member(
                    &cert.raw_bytes,
                    &format!("{what}: certChain.certificates[{j}].rawBytes"),
                )?);
            }
            if chain_der.is_empty() {
                return Err(TrustedRootError::EmptyChain(what));
            }
            root.certificate_authorities.push(CertificateAuthority {
                chain_der,
                valid_for: read_validity(&ca.valid_for, &what)?,
                uri: ca.uri,
            });
        }
        Ok(root)
    }
}

/// One log: its key, or None when the key is of a type quorate does not read.
fn read_log(log: RawLog, what: &str) -> Result<Option<LogKey>, TrustedRootError> {
    if log.hash_algorithm != "SHA2_256" {
        return Err(TrustedRootError::HashAlgorithm(
            what.to_string(),
            log.hash_algorithm,
        ));
    }
    let valid_for = read_validity(&log.public_key.valid_for, what)?;
    let public_key_der = bytes_member(
        &log.public_key.raw_bytes,
        &format!("{what}: publicKey.rawBytes"),
    )?;
    let key_id = bytes_member(&log.log_id.key_id, &format!("{what}: logId.keyId"))?;
    if log.public_key.key_details != ECDSA_P256 {
        // Rekor v2's Ed25519 logs name themselves by another id than the key's hash: nothing
        // more to check in a key quorate never uses.
        return Ok(None);
    }
    use sha2::Digest as _;
    let log_id: [u8; 32] = sha2::Sha256::digest(&public_key_der).into();
    if key_id != log_id {
        return Err(TrustedRootError::LogId(what.to_string()));
    }
    Ok(Some(LogKey {
        log_id,
        public_key_der,
        valid_for,
        base_url: log.base_url,
    }))
}

fn bytes_member(text: &str, what: &str) -> Result<Vec<u8>, TrustedRootError> {
    match b64_decode(text) {
        Some(bytes) if !bytes.is_empty() => Ok(bytes),
        _ => Err(TrustedRootError::Base64(what.to_string())),
    }
}

/// A window in whole seconds, narrowed inwards: a fractional start rounds up, a fractional
/// end down, so the window read never holds a second the file's window does not.
fn read_validity(raw: &RawValidity, what: &str) -> Result<Validity, TrustedRootError> {
    let time = |text: &str, round_up: bool| {
        rfc3339_seconds(text, round_up)
            .ok_or_else(|| TrustedRootError::Time(what.to_string(), text.to_string()))
    };
    let start = time(&raw.start, true)?;
    let end = raw.end.as_deref().map(|t| time(t, false)).transpose()?;
    if end.is_some_and(|end| end < start) {
        return Err(TrustedRootError::Window(what.to_string()));
    }
    Ok(Validity { start, end })
}

/// Unix seconds of `YYYY-MM-DDTHH:MM:SS[.digits](Z|±HH:MM)` (uppercase `T` and `Z` only, as
/// protobuf's JSON writes them); a fraction rounds up when asked, else down.
fn rfc3339_seconds(text: &str, round_up: bool) -> Option<i64> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range.clone())
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let shape_ok = digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && b.get(10) == Some(&b'T')
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19);
    if !shape_ok {
        return None;
    }
    let mut i = 19;
    let mut fraction = false;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            fraction |= b[i] != b'0';
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let zone = text.get(i..)?;
    let zone_ok = zone == "Z"
        || (zone.len() == 6
            && matches!(zone.as_bytes()[0], b'+' | b'-')
            && digits(i + 1..i + 3)
            && b.get(i + 3) == Some(&b':')
            && digits(i + 4..i + 6));
    if !zone_ok {
        return None;
    }
    let seconds = chrono::DateTime::parse_from_rfc3339(text).ok()?.timestamp();
    Some(if fraction && round_up {
        seconds.checked_add(1)?
    } else {
        seconds
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC_GOOD: &[u8] =
        include_bytes!("../../../tests/fixtures/sigstore/public-good.trusted_root.json");

    #[test]
    fn reads_the_public_good_root() {
        let root = TrustedRoot::parse(PUBLIC_GOOD).unwrap();
        assert_eq!(root.tlogs.len(), 1);
        assert_eq!(root.tlogs[0].base_url, "https://rekor.sigstore.dev");
        assert_eq!(
            super::super::encoding::hex(&root.tlogs[0].log_id),
            "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"
        );
        assert_eq!(root.tlogs[0].valid_for.start, 1_610_452_407);
        assert_eq!(root.tlogs[0].valid_for.end, None);
        // Rekor v2's Ed25519 log is named, not trusted.
        assert_eq!(root.skipped.len(), 1);
        assert!(root.skipped[0].contains("log2025-1.rekor.sigstore.dev"));
        assert_eq!(root.ctlogs.len(), 2);
        // 2022-10-31T23:59:59.999Z: the fraction rounds down at the end.
        assert_eq!(root.ctlogs[0].valid_for.end, Some(1_667_260_799));
        assert_eq!(root.certificate_authorities.len(), 2);
        assert_eq!(root.certificate_authorities[1].chain_der.len(), 2);
        assert_eq!(
            root.certificate_authorities[1].uri,
            "https://fulcio.sigstore.dev"
        );
    }

    fn edited(f: impl FnOnce(&mut serde_json::Value)) -> Result<TrustedRoot, TrustedRootError> {
        let mut v: serde_json::Value = serde_json::from_slice(PUBLIC_GOOD).unwrap();
        f(&mut v);
        TrustedRoot::parse(&serde_json::to_vec(&v).unwrap())
    }

    #[test]
    fn refuses_what_is_not_exactly_a_trusted_root() {
        use serde_json::json;
        assert!(matches!(
            edited(|v| v["mediaType"] =
                json!("application/vnd.dev.sigstore.trustedroot+json;version=0.2")),
            Err(TrustedRootError::MediaType(_))
        ));
        assert!(matches!(
            edited(|v| v["tlogs"][0]["hashAlgorithm"] = json!("SHA2_384")),
            Err(TrustedRootError::HashAlgorithm(..))
        ));
        assert!(matches!(
            edited(|v| v["tlogs"][0]["logId"]["keyId"] = v["ctlogs"][1]["logId"]["keyId"].clone()),
            Err(TrustedRootError::LogId(_))
        ));
        assert!(matches!(
            edited(|v| v["tlogs"][0]["publicKey"]["rawBytes"] = json!("not base64")),
            Err(TrustedRootError::Base64(_))
        ));
        assert!(matches!(
            edited(
                |v| v["tlogs"][0]["publicKey"]["validFor"]["start"] = json!("2021-01-12 11:53:27Z")
            ),
            Err(TrustedRootError::Time(..))
        ));
        assert!(matches!(
            edited(
                |v| v["tlogs"][0]["publicKey"]["validFor"]["end"] = json!("2020-01-01T00:00:00Z")
            ),
            Err(TrustedRootError::Window(_))
        ));
        assert!(matches!(
            edited(|v| v["certificateAuthorities"][0]["certChain"]["certificates"] = json!([])),
            Err(TrustedRootError::EmptyChain(_))
        ));
        assert!(matches!(
            edited(|v| v["tlogs"][0]["baseURL"] = json!("x")),
            Err(TrustedRootError::Json(_))
        ));
        assert!(matches!(
            edited(|v| v["extra"] = json!(1)),
            Err(TrustedRootError::Json(_))
        ));
        assert!(matches!(
            edited(|v| v
                .as_object_mut()
                .unwrap()
                .remove("mediaType")
                .map(drop)
                .unwrap()),
            Err(TrustedRootError::Json(_))
        ));
        // A repeated member is refused (serde_json::Value would have kept the last one).
        let text = String::from_utf8(PUBLIC_GOOD.to_vec()).unwrap();
        let twice = text.replacen("\"tlogs\"", "\"tlogs\": [],\n  \"tlogs\"", 1);
        assert!(matches!(
            TrustedRoot::parse(twice.as_bytes()),
            Err(TrustedRootError::Json(_))
        ));
        let big = vec![b' '; MAX_SIGNATURE_FILE as usize + 1];
        assert!(matches!(
            TrustedRoot::parse(&big),
            Err(TrustedRootError::TooLarge(_))
        ));
    }

    #[test]
    fn times_are_rfc3339_rounded_inwards() {
        assert_eq!(rfc3339_seconds("1970-01-01T00:00:01Z", false), Some(1));
        assert_eq!(rfc3339_seconds("1970-01-01T00:00:01.5Z", false), Some(1));
        assert_eq!(rfc3339_seconds("1970-01-01T00:00:01.5Z", true), Some(2));
        assert_eq!(rfc3339_seconds("1970-01-01T00:00:01.000Z", true), Some(1));
        assert_eq!(rfc3339_seconds("1970-01-01T01:00:00+01:00", false), Some(0));
        for bad in [
            "1970-01-01t00:00:00Z",
            "1970-01-01T00:00:00z",
            "1970-01-01T00:00:00",
            "1970-01-01T00:00:00.Z",
            "1970-13-01T00:00:00Z",
            "1970-01-01T00:00:00+0100",
        ] {
            assert_eq!(rfc3339_seconds(bad, false), None, "{bad}");
        }
    }
}
