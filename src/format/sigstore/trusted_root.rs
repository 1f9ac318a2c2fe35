//! Sigstore's trusted root (`trusted_root.json`, media type
//! `application/vnd.dev.sigstore.trustedroot+json;version=0.1`): the Fulcio certificate
//! authorities, the Rekor and CT log keys, each with the window it is valid for. quorate keeps
//! one at `keyring/sigstore/trusted_root.json`, part of the trust root.

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
}
