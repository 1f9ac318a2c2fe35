//! The signed certificate timestamp (SCT) a Fulcio leaf embeds (RFC 6962 §3.3): proof that a
//! certificate transparency log of the trusted root saw the (pre)certificate. cosign and
//! sigstore-python check it; containers/image does not.
//!
//! The log signed the precertificate entry: version 0, signature type 0, the timestamp, entry
//! type 1 (precert_entry), SHA-256 of the issuer's SubjectPublicKeyInfo, the leaf's
//! TBSCertificate without the SCT list extension (u24 length), the SCT's extensions (u16
//! length).

use std::collections::HashSet;

use der::asn1::OctetString;
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use super::ecdsa::CosignPublicKey;
use super::fulcio::OID_SCT_LIST;
use crate::format::sigstore::trusted_root::LogKey;

/// Why a leaf's embedded SCTs do not count.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SctError {
    /// The leaf or issuer is not DER X.509.
    #[error("the {0} certificate is not DER X.509")]
    Certificate(&'static str),
    /// The same extension twice.
    #[error("the certificate has extension {0} twice")]
    DuplicateExtension(String),
    /// No SCT list extension.
    #[error("the certificate embeds no signed certificate timestamp")]
    NoSct,
    /// The SCT list does not parse.
    #[error("the certificate's signed certificate timestamp list is malformed: {0}")]
    Malformed(&'static str),
    /// No SCT of a trusted log, at its time, verifies.
    #[error("no embedded signed certificate timestamp verifies with a certificate transparency log of the trusted root")]
    Unverified,
}

impl crate::fault::Classify for SctError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            SctError::Unverified | SctError::NoSct => crate::fault::Fault::Refused,
            _ => crate::fault::Fault::Input,
        }
    }
}

/// One SCT of the list.
struct Sct<'a> {
    log_id: [u8; 32],
    timestamp_ms: u64,
    extensions: &'a [u8],
    signature: &'a [u8],
}

/// Reads `n` bytes off the front of `input`.
fn take<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8], SctError> {
    if input.len() < n {
        return Err(SctError::Malformed("truncated"));
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Ok(head)
}

fn u16_prefixed<'a>(input: &mut &'a [u8]) -> Result<&'a [u8], SctError> {
    let len = take(input, 2)?;
    take(input, usize::from(u16::from_be_bytes([len[0], len[1]])))
}

fn parse_list(tls: &[u8]) -> Result<Vec<Sct<'_>>, SctError> {
    let mut outer = tls;
    let mut list = u16_prefixed(&mut outer)?;
    if !outer.is_empty() {
        return Err(SctError::Malformed("bytes after the list"));
    }
    let mut scts = Vec::new();
    while !list.is_empty() {
        let mut sct = u16_prefixed(&mut list)?;
        if take(&mut sct, 1)? != [0] {
            return Err(SctError::Malformed("an SCT version other than 1"));
        }
        let log_id: [u8; 32] = take(&mut sct, 32)?
            .try_into()
            .map_err(|_| SctError::Malformed("truncated"))?;
        let ts = take(&mut sct, 8)?;
        let timestamp_ms = u64::from_be_bytes(
            ts.try_into()
                .map_err(|_| SctError::Malformed("truncated"))?,
        );
        let extensions = u16_prefixed(&mut sct)?;
        if take(&mut sct, 2)? != [4, 3] {
            return Err(SctError::Malformed(
                "a signature other than SHA-256 with ECDSA",
            ));
        }
        let signature = u16_prefixed(&mut sct)?;
        if !sct.is_empty() {
            return Err(SctError::Malformed("bytes after an SCT"));
        }
        scts.push(Sct {
            log_id,
            timestamp_ms,
            extensions,
            signature,
        });
    }
    if scts.is_empty() {
        return Err(SctError::Malformed("an empty list"));
    }
    Ok(scts)
}

/// Checks the SCTs embedded in `leaf_der` (issued by `issuer_der`, the certificate whose key
/// signed the leaf): at least one is by a log of `ctlogs` whose `valid_for` contains the SCT's
/// time, and verifies over the precertificate entry. SCTs of other logs are passed over (a log
/// quorate does not know proves nothing and disproves nothing). Returns the index in `ctlogs`
/// of the first log whose SCT verifies.
pub fn verify_embedded_sct(
    leaf_der: &[u8],
    issuer_der: &[u8],
    ctlogs: &[LogKey],
) -> Result<usize, SctError> {
    let leaf = Certificate::from_der(leaf_der).map_err(|_| SctError::Certificate("leaf"))?;
    let issuer = Certificate::from_der(issuer_der).map_err(|_| SctError::Certificate("issuer"))?;
    let issuer_spki = issuer
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|_| SctError::Certificate("issuer"))?;
    let issuer_key_hash = Sha256::digest(&issuer_spki);

    let mut tbs = leaf.tbs_certificate.clone();
    let extensions = tbs.extensions.take().unwrap_or_default();
    let mut seen = HashSet::new();
    let mut list = None;
    let mut kept = Vec::new();
    for ext in extensions {
        if !seen.insert(ext.extn_id) {
            return Err(SctError::DuplicateExtension(ext.extn_id.to_string()));
        }
        if ext.extn_id == OID_SCT_LIST {
            list = Some(ext.extn_value);
        } else {
            kept.push(ext);
        }
    }
    let Some(list) = list else {
        return Err(SctError::NoSct);
    };
    tbs.extensions = (!kept.is_empty()).then_some(kept);
    let precert_tbs = tbs.to_der().map_err(|_| SctError::Certificate("leaf"))?;
    let tls = OctetString::from_der(list.as_bytes())
        .map_err(|_| SctError::Malformed("not an OCTET STRING"))?;
    let tbs_len = u32::try_from(precert_tbs.len())
        .ok()
        .filter(|n| *n < 1 << 24)
        .ok_or(SctError::Certificate("leaf"))?;
    for sct in parse_list(tls.as_bytes())? {
        let Some(index) = ctlogs.iter().position(|l| l.log_id == sct.log_id) else {
            continue;
        };
        let log = &ctlogs[index];
        let at = i64::try_from(sct.timestamp_ms / 1000).unwrap_or(i64::MAX);
        if !log.valid_for.contains(at) {
            continue;
        }
        let Ok(key) = CosignPublicKey::from_spki_der(&log.public_key_der) else {
            continue;
        };
        let mut signed = vec![0u8, 0u8];
        signed.extend_from_slice(&sct.timestamp_ms.to_be_bytes());
        signed.extend_from_slice(&[0, 1]);
        signed.extend_from_slice(&issuer_key_hash);
        signed.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
        signed.extend_from_slice(&precert_tbs);
        // u16 length: the extensions came out of a u16-prefixed field.
        signed.extend_from_slice(&(sct.extensions.len() as u16).to_be_bytes());
        signed.extend_from_slice(sct.extensions);
        if key.verify(&signed, sct.signature) {
            return Ok(index);
        }
    }
    Err(SctError::Unverified)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::sigstore::trusted_root::Validity;
    use crate::keys::sigstore::fulcio::tests::{ca, leaf_with_key, p256, Spec, AT};
    use openssl::hash::MessageDigest;
    use openssl::pkey::{PKey, Private};
    use openssl::sign::Signer;

    fn ct_log(valid_for: Validity) -> (PKey<Private>, LogKey) {
        let key = p256();
        let der = key.public_key_to_der().unwrap();
        let log = LogKey {
            log_id: Sha256::digest(&der).into(),
            public_key_der: der,
            valid_for,
            base_url: "https://ct.example.test".into(),
        };
        (key, log)
    }

    fn der_octets(body: &[u8]) -> Vec<u8> {
        let mut out = vec![0x04];
        match body.len() {
            n if n < 128 => out.push(n as u8),
            n if n < 256 => out.extend_from_slice(&[0x81, n as u8]),
            n => out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(body);
        out
    }

    /// A leaf with one SCT by `log_key` (over the precertificate of the same fields), as the
    /// brief's §6 sketch makes it; `tamper` changes the signed bytes before signing.
    fn leaf_with_sct(tamper: impl Fn(&mut Vec<u8>)) -> (Vec<u8>, Vec<u8>, LogKey) {
        let root = ca("root", None, None);
        let (ct_key, ct) = ct_log(Validity {
            start: 0,
            end: None,
        });
        let key = p256();
        let spec = Spec::default();
        let precert = leaf_with_key(&spec, &root, &key).to_der().unwrap();
        let tbs = Certificate::from_der(&precert)
            .unwrap()
            .tbs_certificate
            .to_der()
            .unwrap();
        let issuer_hash =
            Sha256::digest(root.cert.public_key().unwrap().public_key_to_der().unwrap());
        let ms = (AT as u64) * 1000 + 123;
        let mut signed = vec![0u8, 0];
        signed.extend_from_slice(&ms.to_be_bytes());
        signed.extend_from_slice(&[0, 1]);
        signed.extend_from_slice(&issuer_hash);
        signed.extend_from_slice(&(tbs.len() as u32).to_be_bytes()[1..]);
        signed.extend_from_slice(&tbs);
        signed.extend_from_slice(&[0, 0]);
        tamper(&mut signed);
        let mut signer = Signer::new(MessageDigest::sha256(), &ct_key).unwrap();
        let sig = signer.sign_oneshot_to_vec(&signed).unwrap();
        let mut sct = vec![0u8];
        sct.extend_from_slice(&ct.log_id);
        sct.extend_from_slice(&ms.to_be_bytes());
        sct.extend_from_slice(&[0, 0, 4, 3]);
        sct.extend_from_slice(&(sig.len() as u16).to_be_bytes());
        sct.extend_from_slice(&sig);
        let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
        list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
        list.extend_from_slice(&sct);
        let with_sct = Spec {
            extra: vec![("1.3.6.1.4.1.11129.2.4.2", der_octets(&list))],
            ..spec
        };
        let leaf = leaf_with_key(&with_sct, &root, &key).to_der().unwrap();
        (leaf, root.cert.to_der().unwrap(), ct)
    }

    #[test]
    fn an_sct_over_the_precertificate_verifies() {
        let (leaf, issuer, ct) = leaf_with_sct(|_| {});
        let (_, other) = ct_log(Validity {
            start: 0,
            end: None,
        });
        assert_eq!(
            verify_embedded_sct(&leaf, &issuer, &[other.clone(), ct.clone()]),
            Ok(1)
        );
        assert_eq!(
            verify_embedded_sct(&leaf, &issuer, std::slice::from_ref(&other)),
            Err(SctError::Unverified)
        );
        let closed = LogKey {
            valid_for: Validity {
                start: 0,
                end: Some(AT - 1),
            },
            ..ct.clone()
        };
        assert_eq!(
            verify_embedded_sct(&leaf, &issuer, &[closed]),
            Err(SctError::Unverified)
        );
        // Another issuer's key hash.
        let stranger = ca("stranger", None, None).cert.to_der().unwrap();
        assert_eq!(
            verify_embedded_sct(&leaf, &stranger, std::slice::from_ref(&ct)),
            Err(SctError::Unverified)
        );
        // No SCT at all.
        let plain = leaf_with_key(&Spec::default(), &ca("root", None, None), &p256())
            .to_der()
            .unwrap();
        assert_eq!(
            verify_embedded_sct(&plain, &issuer, std::slice::from_ref(&ct)),
            Err(SctError::NoSct)
        );
    }

    #[test]
    fn an_sct_over_other_bytes_does_not() {
        // Signed over the TBS with a byte changed, or as an x509_entry (type 0).
        let (leaf, issuer, ct) = leaf_with_sct(|s| {
            let last = s.len() - 3;
            s[last] ^= 1;
        });
        assert_eq!(
            verify_embedded_sct(&leaf, &issuer, std::slice::from_ref(&ct)),
            Err(SctError::Unverified)
        );
        let (leaf, issuer, ct) = leaf_with_sct(|s| s[11] = 0);
        assert_eq!(
            verify_embedded_sct(&leaf, &issuer, std::slice::from_ref(&ct)),
            Err(SctError::Unverified)
        );
    }

    #[test]
    fn malformed_lists() {
        assert!(matches!(parse_list(&[0, 0]), Err(SctError::Malformed(_))));
        assert!(matches!(
            parse_list(&[0, 3, 0, 1, 0]),
            Err(SctError::Malformed(_))
        ));
        assert!(matches!(
            parse_list(&[0, 1, 0, 9]),
            Err(SctError::Malformed(_))
        ));
        let mut sct = vec![0u8];
        sct.extend_from_slice(&[0; 32]);
        sct.extend_from_slice(&[0; 8]);
        sct.extend_from_slice(&[0, 0, 4, 1, 0, 0]);
        let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
        list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
        list.extend_from_slice(&sct);
        assert!(matches!(parse_list(&list), Err(SctError::Malformed(_))));
    }
}
