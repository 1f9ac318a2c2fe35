//! What `cosign download signature IMAGE` prints (`cmd/cosign/cli/download/signature.go`): one
//! JSON document a line, either the image's Sigstore bundles (cosign v3's referrers) or, when it
//! has none, Go's `json.Marshal` of each legacy signature (`pkg/cosign/fetch.go`
//! `SignedPayload`): `{"Base64Signature", "Payload" (base64), "Cert" and "Chain" (Go's
//! `x509.Certificate`, of which `Raw` is the DER), "Bundle" (the SET), "RFC3161Timestamp"}`.
//! Each legacy line becomes the [`LegacySignature`] a lookaside file holds.

use serde::Deserialize;

use super::bundle::{Bundle, BundleError};
use super::encoding::{b64_decode, b64_encode};
use super::envelope::LegacySignature;
use super::rekor::{RekorBundle, RekorError};
use crate::format::message::MAX_SIGNATURE_FILE;

/// Why `cosign download signature`'s output is refused; each names its line (from 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DownloadError {
    /// Larger than any signature file may be.
    #[error("the download is {0} bytes, more than the 4 MiB allowed")]
    TooLarge(usize),
    /// A line is not JSON, or not a signature's shape (a member unknown, missing or repeated).
    #[error("line {0}: not a cosign signature: {1}")]
    Json(usize, String),
    /// A bytes member is not standard padded base64.
    #[error("line {0}: {1} is not standard base64")]
    Base64(usize, &'static str),
    /// The line's `Bundle` is not a SET.
    #[error("line {0}: Bundle: {1}")]
    Set(usize, RekorError),
    /// A line holding a Sigstore bundle that does not parse.
    #[error("line {0}: {1}")]
    Bundle(usize, BundleError),
}

crate::fault::always!(Input: DownloadError);

/// The signatures a download holds, in its order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Download {
    /// The legacy (tag-stored) signatures.
    pub signatures: Vec<LegacySignature>,
    /// The Sigstore bundles (cosign v3).
    pub bundles: Vec<Bundle>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
struct RawSignedPayload {
    Base64Signature: String,
    Payload: Option<String>,
    #[serde(default)]
    Cert: Option<RawCertificate>,
    #[serde(default)]
    Chain: Option<Vec<RawCertificate>>,
    #[serde(default)]
    Bundle: Option<RawSet>,
    #[serde(default)]
    RFC3161Timestamp: Option<RawTimestamp>,
}

/// Go's `x509.Certificate` marshalled: every field but `Raw` follows from it, so only `Raw`
/// is read and the rest ignored.
#[derive(Deserialize)]
#[allow(non_snake_case)]
struct RawCertificate {
    Raw: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
struct RawSet {
    SignedEntryTimestamp: String,
    Payload: RawSetPayload,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSetPayload {
    body: String,
    integrated_time: i64,
    log_index: i64,
    #[serde(rename = "logID")]
    log_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
struct RawTimestamp {
    SignedRFC3161Timestamp: String,
}

/// PEM as Go's `pem.Encode` writes a certificate: base64 in lines of 64.
fn to_pem(der: &[u8]) -> Vec<u8> {
    let b64 = b64_encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out.into_bytes()
}

/// Reads the output of `cosign download signature`: each non-blank line a bundle (it has a
/// `mediaType`) or a legacy signature, which becomes the signature file's content: the
/// certificate and chain as PEM (as cosign's annotations hold them), the SET and the timestamp
/// as cosign's annotations write them.
pub fn parse_download(bytes: &[u8]) -> Result<Download, DownloadError> {
    if bytes.len() as u64 > MAX_SIGNATURE_FILE {
        return Err(DownloadError::TooLarge(bytes.len()));
    }
    let mut out = Download::default();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let n = i + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let json_error =
            |e: serde_json::Error| DownloadError::Json(n, crate::text::one_line(&e.to_string()));
        let probe: serde_json::Value = serde_json::from_slice(line).map_err(json_error)?;
        if probe.get("mediaType").is_some() {
            out.bundles
                .push(Bundle::parse(line).map_err(|e| DownloadError::Bundle(n, e))?);
            continue;
        }
        let raw: RawSignedPayload = serde_json::from_slice(line).map_err(json_error)?;
        let decode =
            |text: &str, what: &'static str| b64_decode(text).ok_or(DownloadError::Base64(n, what));
        let certificate_pem = raw
            .Cert
            .map(|c| decode(&c.Raw, "Cert.Raw").map(|der| to_pem(&der)))
            .transpose()?;
        let chain_pem = match raw.Chain {
            None => None,
            Some(chain) if chain.is_empty() => None,
            Some(chain) => {
                let mut pem = Vec::new();
                for c in chain {
                    pem.extend(to_pem(&decode(&c.Raw, "Chain[].Raw")?));
                }
                Some(pem)
            }
        };
        let rekor_bundle = match raw.Bundle {
            None => None,
            Some(set) => {
                // Written as cosign's annotation, then read as containers/image reads that.
                let mut log_id = String::new();
                super::encoding::go_json_string(&mut log_id, &set.Payload.log_id);
                let mut body = String::new();
                super::encoding::go_json_string(&mut body, &set.Payload.body);
                let mut sig = String::new();
                super::encoding::go_json_string(&mut sig, &set.SignedEntryTimestamp);
                let text = format!(
                    r#"{{"SignedEntryTimestamp":{sig},"Payload":{{"body":{body},"integratedTime":{},"logIndex":{},"logID":{log_id}}}}}"#,
                    set.Payload.integrated_time, set.Payload.log_index
                );
                Some(RekorBundle::parse(text.as_bytes()).map_err(|e| DownloadError::Set(n, e))?)
            }
        };
        let timestamp = raw
            .RFC3161Timestamp
            .map(|t| {
                decode(&t.SignedRFC3161Timestamp, "RFC3161Timestamp").map(|der| {
                    format!(r#"{{"SignedRFC3161Timestamp":"{}"}}"#, b64_encode(&der)).into_bytes()
                })
            })
            .transpose()?;
        out.signatures.push(LegacySignature {
            payload: decode(raw.Payload.as_deref().unwrap_or(""), "Payload")?,
            signature: decode(&raw.Base64Signature, "Base64Signature")?,
            certificate_pem,
            chain_pem,
            rekor_bundle,
            timestamp,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULCIO: &[u8] = include_bytes!(
        "../../../tests/fixtures/sigstore/dir-img-cosign-fulcio-rekor-valid.signature-1"
    );
    const BUNDLE: &[u8] = include_bytes!("../../../tests/fixtures/sigstore/bundle_v3.txt.sigstore");

    /// The line cosign prints for a legacy signature, rebuilt from containers/image's fixture
    /// (Go's `x509.Certificate` carries many more members than `Raw`: some kept here).
    fn line_for(sig: &LegacySignature) -> String {
        let der = |pem: &[u8]| -> Vec<String> {
            let text = String::from_utf8(pem.to_vec()).unwrap();
            text.split("-----END CERTIFICATE-----")
                .filter(|part| part.contains("BEGIN"))
                .map(|part| {
                    part.lines()
                        .filter(|l| !l.starts_with("-----") && !l.is_empty())
                        .collect::<String>()
                })
                .collect()
        };
        let cert = der(sig.certificate_pem.as_ref().unwrap()).remove(0);
        let chain: Vec<_> = der(sig.chain_pem.as_ref().unwrap())
            .into_iter()
            .map(|raw| serde_json::json!({"Raw": raw, "Version": 3, "IsCA": true}))
            .collect();
        let set: serde_json::Value =
            serde_json::from_slice(&sig.rekor_bundle.as_ref().unwrap().to_bytes()).unwrap();
        serde_json::json!({
            "Base64Signature": b64_encode(&sig.signature),
            "Payload": b64_encode(&sig.payload),
            "Cert": {"Raw": cert, "RawTBSCertificate": "AA==", "SerialNumber": 1, "Extensions": []},
            "Chain": chain,
            "Bundle": set,
            "RFC3161Timestamp": null,
        })
        .to_string()
    }

    #[test]
    fn legacy_lines_become_the_signature_file_containers_image_wrote() {
        let sig = LegacySignature::parse(FULCIO).unwrap();
        let text = format!("{}\n{}\n", line_for(&sig), line_for(&sig));
        let download = parse_download(text.as_bytes()).unwrap();
        assert_eq!(download.bundles, []);
        assert_eq!(download.signatures.len(), 2);
        // The same signature, PEM as cosign's annotations hold it, but for the chain's final
        // newline (Fulcio's answer, which cosign stores as it came, has none).
        let mut got = download.signatures[0].clone();
        assert!(got.chain_pem.as_ref().unwrap().ends_with(b"-----\n"));
        got.chain_pem.as_mut().unwrap().pop();
        assert!(got == sig, "the download differs from the signature file");
        assert!(got.to_bytes() == FULCIO);
        assert!(download.signatures[0] == download.signatures[1]);
    }

    #[test]
    fn reads_the_fuzz_seed() {
        let download =
            parse_download(include_bytes!("../../../fuzz/seeds/cosign_download/legacy")).unwrap();
        assert_eq!(download.signatures.len(), 2);
        assert!(download.signatures[0].rekor_bundle.is_some());
        assert_eq!(
            download.signatures[1].timestamp.as_deref(),
            Some(&br#"{"SignedRFC3161Timestamp":"AQ=="}"#[..])
        );
    }

    #[test]
    fn bundle_lines_are_bundles() {
        let mut text = String::from_utf8(BUNDLE.to_vec()).unwrap();
        text.retain(|c| c != '\n');
        let download = parse_download(format!("{text}\n").as_bytes()).unwrap();
        assert_eq!(download.bundles.len(), 1);
        assert_eq!(download.signatures, []);
    }

    #[test]
    fn refuses_malformed_lines_naming_them() {
        let sig = LegacySignature::parse(FULCIO).unwrap();
        let good = line_for(&sig);
        let edited = |from: &str, to: &str| {
            assert!(good.contains(from), "{from}");
            parse_download(format!("\n{}\n", good.replacen(from, to, 1)).as_bytes())
        };
        assert!(matches!(
            edited(r#""Base64Signature""#, r#""base64Signature""#),
            Err(DownloadError::Json(2, _))
        ));
        assert!(matches!(
            edited(r#""Payload":"ey"#, r#""Extra":1,"Payload":"ey"#),
            Err(DownloadError::Json(2, _))
        ));
        assert!(matches!(
            edited(r#""Payload":"ey"#, r#""Payload":"x","Payload":"ey"#),
            Err(DownloadError::Json(2, _))
        ));
        assert!(matches!(
            edited(r#""Payload":"ey"#, r#""Payload":"!ey"#),
            Err(DownloadError::Base64(2, "Payload"))
        ));
        assert!(matches!(
            edited(r#""logIndex":"#, r#""logIndex":-"#),
            Err(DownloadError::Set(2, _))
        ));
        assert!(matches!(
            parse_download(br#"{"mediaType":"x"}"#),
            Err(DownloadError::Bundle(1, BundleError::Json(_)))
        ));
        assert!(matches!(
            parse_download(b"{} x"),
            Err(DownloadError::Json(1, _))
        ));
    }
}
