//! A Fulcio (keyless) leaf certificate: the key, the window, the OIDC issuer and the one
//! identity it binds, and its chain to a trusted root's certificate authority at a given time.
//!
//! The extensions are read in our own walk (RustCrypto `x509-cert`), duplicates refused (as
//! Go's parser and Python `cryptography` do); the chain is built and checked by OpenSSL.
//! containers/image's `signature/fulcio_cert.go` is the reference; where quorate is stricter it
//! says so.

use std::collections::HashSet;

use der::asn1::{ObjectIdentifier, Utf8StringRef};
use der::{Decode, Encode};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyParam;
use openssl::x509::{X509StoreContext, X509};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName};
use x509_cert::Certificate;

use super::ecdsa::{CosignPublicKey, KeyError};
use crate::format::sigstore::pem::{self, PemError};
use crate::format::sigstore::trusted_root::CertificateAuthority;
use crate::text::shown;

/// Fulcio's OIDC issuer, v1: the extension's value is the issuer's bytes (deprecated, still
/// written).
pub const OID_ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
/// Fulcio's OIDC issuer, v2: a DER UTF8String.
pub const OID_ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
/// The embedded SCT list (RFC 6962 §3.3).
pub const OID_SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
const OID_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const OID_CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const OID_ANY_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");

/// A certificate is a few kilobytes; larger is refused before parsing.
pub const MAX_CERTIFICATE: usize = 64 * 1024;

/// The identity a leaf binds: its one email or URI Subject Alternative Name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// An rfc822Name SAN (a person's OIDC email).
    Email(String),
    /// A uniformResourceIdentifier SAN (e.g. a GitHub workflow).
    Uri(String),
}

/// A parsed Fulcio leaf certificate. Nothing in it is trusted until `verify_chain` says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// The certificate's DER.
    pub der: Vec<u8>,
    /// The subject's key (ECDSA P-256 only).
    pub public_key: CosignPublicKey,
    /// NotBefore, Unix seconds.
    pub not_before: i64,
    /// NotAfter, Unix seconds.
    pub not_after: i64,
    /// The OIDC issuer (extension .1.1 or .1.8, the same when both are present).
    pub issuer: String,
    /// The one email or URI SAN.
    pub identity: Identity,
    /// The extended key usage names codeSigning.
    pub code_signing: bool,
    /// The key usage has digitalSignature.
    pub digital_signature: bool,
}

/// Why bytes are not a Fulcio leaf quorate reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeafError {
    /// Larger than `MAX_CERTIFICATE`.
    #[error("the certificate is larger than {MAX_CERTIFICATE} bytes")]
    TooLarge,
    /// Not PEM.
    #[error("the certificate is not PEM: {0}")]
    Pem(#[from] PemError),
    /// Not exactly one PEM block.
    #[error("the certificate PEM holds {0} blocks, not one")]
    Blocks(usize),
    /// A PEM block with another label.
    #[error("the PEM label is {0:?}, not \"CERTIFICATE\"")]
    Label(String),
    /// Not a DER X.509 certificate.
    #[error("the certificate is not DER X.509: {0}")]
    Der(String),
    /// The same extension twice.
    #[error("the certificate has extension {0} twice")]
    DuplicateExtension(String),
    /// The subject key is not a cosign key.
    #[error("the certificate's key: {0}")]
    Key(#[from] KeyError),
    /// Neither issuer extension.
    #[error("the certificate has no Fulcio OIDC issuer extension (1.3.6.1.4.1.57264.1.1 or .1.8)")]
    NoIssuer,
    /// The v1 issuer is not UTF-8.
    #[error("the certificate's OIDC issuer (1.3.6.1.4.1.57264.1.1) is not UTF-8")]
    IssuerV1NotText,
    /// The v2 issuer is not one DER UTF8String.
    #[error("the certificate's OIDC issuer (1.3.6.1.4.1.57264.1.8) is not a DER UTF8String")]
    IssuerV2Malformed,
    /// Both issuer extensions, different.
    #[error("the certificate's OIDC issuers disagree: v1 {v1:?}, v2 {v2:?}")]
    IssuerDisagrees {
        /// .1.1.
        v1: String,
        /// .1.8.
        v2: String,
    },
    /// A SAN, KU or EKU extension that does not parse.
    #[error("the certificate's {0} extension is malformed")]
    Extension(&'static str),
    /// No email or URI SAN.
    #[error("the certificate has no email or URI Subject Alternative Name")]
    NoIdentity,
    /// Several email or URI SANs: which one is the signer is not clear.
    #[error("the certificate has {0} email or URI Subject Alternative Names, not one")]
    SeveralIdentities(usize),
    /// An email or URI SAN that is not text (never in IA5String).
    #[error("the certificate's Subject Alternative Name is not text")]
    IdentityNotText,
}

crate::fault::always!(Input: LeafError);

/// Why a leaf does not chain to a trusted certificate authority at a time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The leaf does not parse.
    #[error("{0}")]
    Leaf(#[from] LeafError),
    /// The time lies outside the leaf's window.
    #[error(
        "the certificate is valid from {not_before} to {not_after}, not at {at} (Unix seconds)"
    )]
    LeafNotValidAt {
        /// The time checked.
        at: i64,
        /// NotBefore.
        not_before: i64,
        /// NotAfter.
        not_after: i64,
    },
    /// No EKU codeSigning.
    #[error("the certificate's extended key usage does not include codeSigning")]
    NotCodeSigning,
    /// No KU digitalSignature.
    #[error("the certificate's key usage does not include digitalSignature")]
    NotDigitalSignature,
    /// A carried intermediate is not DER X.509.
    #[error("carried chain certificate {0} is not DER X.509")]
    CarriedCertificate(usize),
    /// A trusted root certificate is not DER X.509.
    #[error("certificate {certificate} of the trusted root's certificate authority {authority} is not DER X.509")]
    AuthorityCertificate {
        /// Index of the authority.
        authority: usize,
        /// Index in its chain.
        certificate: usize,
    },
    /// No authority of the trusted root is valid at the time.
    #[error("no certificate authority of the trusted root is valid at {0} (Unix seconds)")]
    NoAuthorityAt(i64),
    /// No path to a valid authority; OpenSSL's reason for the last one tried.
    #[error("the certificate does not chain to a trusted certificate authority: {0}")]
    Untrusted(String),
    /// A CA on the path restricts its extended key usage and leaves out codeSigning (Go's rule).
    #[error(
        "a certificate authority on the path does not permit codeSigning (extended key usage)"
    )]
    CaNotCodeSigning,
    /// OpenSSL failed to run at all.
    #[error("OpenSSL failed while checking the chain: {0}")]
    OpenSsl(String),
}

impl crate::fault::Classify for ChainError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            ChainError::Leaf(_)
            | ChainError::CarriedCertificate(_)
            | ChainError::AuthorityCertificate { .. }
            | ChainError::OpenSsl(_) => crate::fault::Fault::Input,
            _ => crate::fault::Fault::Refused,
        }
    }
}

fn der_error(e: der::Error) -> LeafError {
    LeafError::Der(crate::text::one_line(&e.to_string()))
}

/// The extensions of a certificate, each OID at most once.
fn extensions(cert: &Certificate) -> Result<Vec<&x509_cert::ext::Extension>, LeafError> {
    let mut seen = HashSet::new();
    let list: Vec<_> = cert.tbs_certificate.extensions.iter().flatten().collect();
    for ext in &list {
        if !seen.insert(ext.extn_id) {
            return Err(LeafError::DuplicateExtension(ext.extn_id.to_string()));
        }
    }
    Ok(list)
}

/// True unless the certificate has an EKU extension without codeSigning or anyExtendedKeyUsage.
fn permits_code_signing(der: &[u8]) -> Result<bool, LeafError> {
    let cert = Certificate::from_der(der).map_err(der_error)?;
    for ext in extensions(&cert)? {
        if ext.extn_id == OID_EXT_KEY_USAGE {
            let eku = ExtendedKeyUsage::from_der(ext.extn_value.as_bytes())
                .map_err(|_| LeafError::Extension("extended key usage"))?;
            return Ok(eku
                .0
                .iter()
                .any(|o| *o == OID_CODE_SIGNING || *o == OID_ANY_EKU));
        }
    }
    Ok(true)
}

fn ia5(text: &der::asn1::Ia5String) -> Result<String, LeafError> {
    std::str::from_utf8(text.as_bytes())
        .map(str::to_string)
        .map_err(|_| LeafError::IdentityNotText)
}

impl Leaf {
    /// Reads a leaf from one PEM `CERTIFICATE` block (nothing else in the text).
    pub fn from_pem(bytes: &[u8]) -> Result<Self, LeafError> {
        if bytes.len() > 2 * MAX_CERTIFICATE {
            return Err(LeafError::TooLarge);
        }
        let blocks = pem::decode_all(bytes)?;
        let [block] = blocks.as_slice() else {
            return Err(LeafError::Blocks(blocks.len()));
        };
        if block.label != "CERTIFICATE" {
            return Err(LeafError::Label(shown(&block.label).into_owned()));
        }
        Self::parse(&block.der)
    }

    /// Reads a leaf from DER.
    pub fn parse(der: &[u8]) -> Result<Self, LeafError> {
        if der.len() > MAX_CERTIFICATE {
            return Err(LeafError::TooLarge);
        }
        let cert = Certificate::from_der(der).map_err(der_error)?;
        let tbs = &cert.tbs_certificate;
        let spki = tbs.subject_public_key_info.to_der().map_err(der_error)?;
        let public_key = CosignPublicKey::from_spki_der(&spki)?;
        let secs = |t: x509_cert::time::Time| {
            i64::try_from(t.to_unix_duration().as_secs())
                .map_err(|_| LeafError::Der("time out of range".into()))
        };
        let not_before = secs(tbs.validity.not_before)?;
        let not_after = secs(tbs.validity.not_after)?;
        let (mut v1, mut v2) = (None, None);
        let mut identities = Vec::new();
        let (mut code_signing, mut digital_signature) = (false, false);
        for ext in extensions(&cert)? {
            let value = ext.extn_value.as_bytes();
            if ext.extn_id == OID_ISSUER_V1 {
                let text = std::str::from_utf8(value).map_err(|_| LeafError::IssuerV1NotText)?;
                v1 = Some(text.to_string());
            } else if ext.extn_id == OID_ISSUER_V2 {
                let text =
                    Utf8StringRef::from_der(value).map_err(|_| LeafError::IssuerV2Malformed)?;
                v2 = Some(text.as_str().to_string());
            } else if ext.extn_id == OID_SAN {
                let san = SubjectAltName::from_der(value)
                    .map_err(|_| LeafError::Extension("subject alternative name"))?;
                for name in &san.0 {
                    match name {
                        GeneralName::Rfc822Name(t) => identities.push(Identity::Email(ia5(t)?)),
                        GeneralName::UniformResourceIdentifier(t) => {
                            identities.push(Identity::Uri(ia5(t)?))
                        }
                        // otherName (Fulcio's username SAN), DNS, IP…: not identities quorate names.
                        _ => {}
                    }
                }
            } else if ext.extn_id == OID_KEY_USAGE {
                let ku =
                    KeyUsage::from_der(value).map_err(|_| LeafError::Extension("key usage"))?;
                digital_signature = ku.0.contains(KeyUsages::DigitalSignature);
            } else if ext.extn_id == OID_EXT_KEY_USAGE {
                let eku = ExtendedKeyUsage::from_der(value)
                    .map_err(|_| LeafError::Extension("extended key usage"))?;
                code_signing = eku.0.contains(&OID_CODE_SIGNING);
            }
        }
        let issuer = match (v1, v2) {
            (Some(v1), Some(v2)) if v1 != v2 => {
                return Err(LeafError::IssuerDisagrees {
                    v1: shown(&v1).into_owned(),
                    v2: shown(&v2).into_owned(),
                })
            }
            (Some(v), _) | (None, Some(v)) => v,
            (None, None) => return Err(LeafError::NoIssuer),
        };
        let identity = match identities.len() {
            0 => return Err(LeafError::NoIdentity),
            1 => identities.remove(0),
            n => return Err(LeafError::SeveralIdentities(n)),
        };
        Ok(Leaf {
            der: der.to_vec(),
            public_key,
            not_before,
            not_after,
            issuer,
            identity,
            code_signing,
            digital_signature,
        })
    }
}

fn openssl_error(e: openssl::error::ErrorStack) -> ChainError {
    ChainError::OpenSsl(crate::text::one_line(&e.to_string()))
}

/// Checks that the leaf chains, at time `at` (Unix seconds), to the root of one of
/// `authorities` whose `valid_for` contains `at`, through that authority's own certificates
/// and, to complete the path, the carried intermediates (`carried_chain_der` as the signature
/// carried it, leaf-most first: its last certificate, the carried root, is dropped and never
/// trusted, as containers/image drops it). The path must end in the authority's whole chain.
/// Every certificate on it is checked at `at` (containers/image checks the whole chain at the
/// signature's time too; cosign checks the CAs at the leaf's NotBefore); the leaf needs EKU
/// codeSigning and KU digitalSignature, and a CA that restricts its EKU must permit codeSigning
/// (Go's rule). Returns the index of the authority used: the first that works.
pub fn verify_chain(
    leaf_der: &[u8],
    carried_chain_der: &[Vec<u8>],
    authorities: &[CertificateAuthority],
    at: i64,
) -> Result<usize, ChainError> {
    let leaf = Leaf::parse(leaf_der)?;
    if at < leaf.not_before || at > leaf.not_after {
        return Err(ChainError::LeafNotValidAt {
            at,
            not_before: leaf.not_before,
            not_after: leaf.not_after,
        });
    }
    if !leaf.code_signing {
        return Err(ChainError::NotCodeSigning);
    }
    if !leaf.digital_signature {
        return Err(ChainError::NotDigitalSignature);
    }
    // time_t is i64 on the targets quorate builds for; narrower elsewhere.
    #[allow(clippy::useless_conversion)]
    let time: libc::time_t = at.try_into().map_err(|_| ChainError::NoAuthorityAt(at))?;
    let leaf_x509 =
        X509::from_der(leaf_der).map_err(|_| LeafError::Der("OpenSSL cannot read it".into()))?;
    let carried_count = carried_chain_der.len().saturating_sub(1);
    let mut carried = Vec::new();
    for (i, der) in carried_chain_der[..carried_count].iter().enumerate() {
        carried.push(X509::from_der(der).map_err(|_| ChainError::CarriedCertificate(i))?);
    }
    let mut last_reason = None;
    for (index, authority) in authorities.iter().enumerate() {
        if !authority.valid_for.contains(at) || authority.chain_der.is_empty() {
            continue;
        }
        let mut own = Vec::new();
        for (i, der) in authority.chain_der.iter().enumerate() {
            own.push(
                X509::from_der(der).map_err(|_| ChainError::AuthorityCertificate {
                    authority: index,
                    certificate: i,
                })?,
            );
        }
        let Some((root, intermediates)) = own.split_last() else {
            continue;
        };
        match path_through(&leaf_x509, root, intermediates, &carried, time)? {
            Ok(path) => {
                let tail = path.len().checked_sub(authority.chain_der.len());
                let through = tail.is_some_and(|t| t >= 1 && path[t..] == authority.chain_der[..]);
                if !through {
                    last_reason =
                        Some("the path does not run through the authority's chain".to_string());
                    continue;
                }
                for der in &path[1..] {
                    if !permits_code_signing(der)? {
                        return Err(ChainError::CaNotCodeSigning);
                    }
                }
                return Ok(index);
            }
            Err(reason) => last_reason = Some(reason),
        }
    }
    match last_reason {
        Some(reason) => Err(ChainError::Untrusted(reason)),
        None => Err(ChainError::NoAuthorityAt(at)),
    }
}

/// OpenSSL's verdict on a path from `leaf` to `root` at `time`: the path's DER, leaf first, or
/// OpenSSL's reason.
fn path_through(
    leaf: &X509,
    root: &X509,
    trusted_intermediates: &[X509],
    carried: &[X509],
    time: libc::time_t,
) -> Result<Result<Vec<Vec<u8>>, String>, ChainError> {
    let mut store = X509StoreBuilder::new().map_err(openssl_error)?;
    store.add_cert(root.clone()).map_err(openssl_error)?;
    let mut param = X509VerifyParam::new().map_err(openssl_error)?;
    param.set_time(time);
    store.set_param(&param).map_err(openssl_error)?;
    let store = store.build();
    let mut untrusted = Stack::new().map_err(openssl_error)?;
    for cert in trusted_intermediates.iter().chain(carried) {
        untrusted.push(cert.clone()).map_err(openssl_error)?;
    }
    let mut ctx = X509StoreContext::new().map_err(openssl_error)?;
    ctx.init(&store, leaf, &untrusted, |c| {
        if c.verify_cert()? {
            let mut path = Vec::new();
            for cert in c.chain().into_iter().flatten() {
                path.push(cert.to_der()?);
            }
            Ok(Ok(path))
        } else {
            Ok(Err(c.error().error_string().to_string()))
        }
    })
    .map_err(openssl_error)
}

#[cfg(test)]
pub(crate) mod tests;
