//! Why a signature does not count: one enum, one stable kebab-case code per variant, used alike
//! in text output, JSON and docs/reasons.md.

use serde::Serialize;

/// Every reason a `signature-N` file does not count toward a quorum (and the one notice that
/// is not a fault). The codes are stable: tools and auditors match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    // --- where the file is ---
    /// The file follows a gap in the numbering: podman stops at the first missing number and
    /// never sees it.
    AfterGap,
    /// The file is past the 128th signature of the image, which is all podman reads.
    BeyondLimit,
    /// The image's directory holds 128 signatures or more from signature-1 on: current
    /// containers/image refuses to pull such an image at all, so none of its signatures counts.
    TooManySignatures,
    /// A symlink, directory or other non-regular file: never followed.
    NotARegularFile,
    /// The file could not be read.
    Unreadable,
    /// The file lies in a directory whose name is not `<repository path>@sha256=<64 hex>`: it
    /// names no image podman would look up.
    MalformedDirectory,

    // --- the OpenPGP message ---
    /// The file is empty.
    EmptyFile,
    /// The file is larger than the 4 MiB podman reads.
    TooLarge,
    /// ASCII armor: podman reads binary OpenPGP only.
    AsciiArmored,
    /// A cleartext signature, not a binary signed message.
    CleartextSignature,
    /// The first byte does not start an OpenPGP signed message.
    NotOpenpgp,
    /// The message is cut short (for example the signature packet is missing).
    TruncatedMessage,
    /// The OpenPGP packets do not parse.
    MalformedMessage,
    /// A detached signature: the payload is not inside.
    DetachedSignature,
    /// Data but no signature.
    NoSignature,
    /// More than one signature in one message: GPGME refuses it.
    MultipleSignatures,
    /// The packets are not One-Pass Signature, Literal Data, Signature.
    NotASignedMessage,
    /// Compressed data nested inside compressed data.
    NestedCompression,
    /// The literal data is larger than any payload could be.
    PayloadTooLarge,
    /// Compressed data larger than 128 KiB (twice the payload cap), or decompressing to more:
    /// more than any signed message that could count. Decompression stops there.
    CompressedTooLarge,
    /// The One-Pass Signature packet announces another hash, signature type, public-key
    /// algorithm or key than the Signature packet has (gpg: "digest conflict"), or is not the last.
    OnePassMismatch,

    // --- the signature and its key ---
    /// The signature names no issuing key.
    NoIssuer,
    /// No certificate in the keyring holds the issuing key.
    UnknownIssuer,
    /// The issuer is a key MAINTAINERS lists, but the keyring has no certificate for it.
    MaintainerCertificateMissing,
    /// The signature does not verify against the issuing key.
    BadSignature,
    /// The signature uses a hash that is not collision resistant (SHA-1, MD5, RIPEMD-160).
    WeakHash,
    /// Sequoia's standard policy rejects the signature or its key for another reason.
    PolicyRejected,
    /// Not a binary document signature (type 0x00).
    WrongSignatureType,
    /// The signature has no creation time.
    NoCreationTime,
    /// The signature is dated after the time it is judged at.
    SignatureInFuture,
    /// The signature's own expiration time has passed.
    SignatureExpired,
    /// The signature is dated before its key was created.
    KeyNotYetCreated,
    /// The key was not alive (expired, or not yet bound) when it signed.
    KeyNotAliveAtSigning,
    /// The key was alive when it signed but has expired since; podman rejects it too.
    KeyExpired,
    /// The key is not marked for signing.
    KeyNotSigningCapable,
    /// The key or its certificate is hard-revoked (compromised, or no reason given): every
    /// signature it ever made is void.
    KeyRevoked,
    /// The key or its certificate was soft-revoked (retired or superseded) before the time it is
    /// judged at.
    KeyRetired,
    /// The certificate has no valid self-signature under the policy.
    CertificateInvalid,
    /// The signing key's primary key is not listed in MAINTAINERS.
    NotAMaintainer,
    /// The signing key is a valid signing key of several certificates, none of them its own
    /// (it is no certificate's primary key): whose signature it is cannot be told.
    KeyInSeveralCertificates,

    // --- the payload ---
    /// The payload is not JSON as Go's decoder reads it (a syntax error, bytes after the value,
    /// nesting deeper than 10000, invalid UTF-8 outside a string).
    PayloadNotJson,
    /// A key appears twice in one JSON object.
    PayloadDuplicateKey,
    /// A member is missing, unknown, or of the wrong JSON type; a number in `optional` beyond
    /// float64; a `timestamp` Go's int64 conversion does not give back unchanged.
    PayloadSchema,
    /// `critical.type` is not `atomic container signature`.
    PayloadWrongType,
    /// The payload's digest is not lowercase `sha256:` and 64 hex digits.
    PayloadBadDigest,
    /// The payload's docker-reference does not parse.
    PayloadBadReference,
    /// The signed reference has neither tag nor digest: podman never accepts it.
    ReferenceWithoutTag,
    /// StageX's legacy payload (a one-element array, bare digest, no tag): podman cannot read it.
    /// Counted only with `--accept-legacy`.
    LegacyPayload,
    /// The payload signs another digest than the one asked for.
    DigestMismatch,
    /// The payload's digest or repository differs from the directory the file is in.
    DirectoryMismatch,
    /// The payload signs another image name or tag than the one asked for.
    ReferenceMismatch,

    // --- notices: not faults ---
    /// A further valid signature by a maintainer already counted: reported, counted once.
    DuplicateMaintainer,
}

impl Reason {
    /// Every reason, in documentation order.
    pub const ALL: &'static [Reason] = &[
        Reason::AfterGap,
        Reason::BeyondLimit,
        Reason::TooManySignatures,
        Reason::NotARegularFile,
        Reason::Unreadable,
        Reason::MalformedDirectory,
        Reason::EmptyFile,
        Reason::TooLarge,
        Reason::AsciiArmored,
        Reason::CleartextSignature,
        Reason::NotOpenpgp,
        Reason::TruncatedMessage,
        Reason::MalformedMessage,
        Reason::DetachedSignature,
        Reason::NoSignature,
        Reason::MultipleSignatures,
        Reason::NotASignedMessage,
        Reason::NestedCompression,
        Reason::PayloadTooLarge,
        Reason::CompressedTooLarge,
        Reason::OnePassMismatch,
        Reason::NoIssuer,
        Reason::UnknownIssuer,
        Reason::MaintainerCertificateMissing,
        Reason::BadSignature,
        Reason::WeakHash,
        Reason::PolicyRejected,
        Reason::WrongSignatureType,
        Reason::NoCreationTime,
        Reason::SignatureInFuture,
        Reason::SignatureExpired,
        Reason::KeyNotYetCreated,
        Reason::KeyNotAliveAtSigning,
        Reason::KeyExpired,
        Reason::KeyNotSigningCapable,
        Reason::KeyRevoked,
        Reason::KeyRetired,
        Reason::CertificateInvalid,
        Reason::NotAMaintainer,
        Reason::KeyInSeveralCertificates,
        Reason::PayloadNotJson,
        Reason::PayloadDuplicateKey,
        Reason::PayloadSchema,
        Reason::PayloadWrongType,
        Reason::PayloadBadDigest,
        Reason::PayloadBadReference,
        Reason::ReferenceWithoutTag,
        Reason::LegacyPayload,
        Reason::DigestMismatch,
        Reason::DirectoryMismatch,
        Reason::ReferenceMismatch,
        Reason::DuplicateMaintainer,
    ];

    /// The stable kebab-case code.
    pub fn code(self) -> &'static str {
        // Variants are declared in the order of ALL and CODES; a test holds the three together.
        CODES[self as usize]
    }

    /// False only for notices, which are reported but do not stop a file from being valid.
    pub fn is_fault(self) -> bool {
        !matches!(self, Reason::DuplicateMaintainer)
    }
}

/// The codes, in the order of `Reason::ALL`; a test checks they equal the serde names.
const CODES: &[&str] = &[
    "after-gap",
    "beyond-limit",
    "too-many-signatures",
    "not-a-regular-file",
    "unreadable",
    "malformed-directory",
    "empty-file",
    "too-large",
    "ascii-armored",
    "cleartext-signature",
    "not-openpgp",
    "truncated-message",
    "malformed-message",
    "detached-signature",
    "no-signature",
    "multiple-signatures",
    "not-a-signed-message",
    "nested-compression",
    "payload-too-large",
    "compressed-too-large",
    "one-pass-mismatch",
    "no-issuer",
    "unknown-issuer",
    "maintainer-certificate-missing",
    "bad-signature",
    "weak-hash",
    "policy-rejected",
    "wrong-signature-type",
    "no-creation-time",
    "signature-in-future",
    "signature-expired",
    "key-not-yet-created",
    "key-not-alive-at-signing",
    "key-expired",
    "key-not-signing-capable",
    "key-revoked",
    "key-retired",
    "certificate-invalid",
    "not-a-maintainer",
    "key-in-several-certificates",
    "payload-not-json",
    "payload-duplicate-key",
    "payload-schema",
    "payload-wrong-type",
    "payload-bad-digest",
    "payload-bad-reference",
    "reference-without-tag",
    "legacy-payload",
    "digest-mismatch",
    "directory-mismatch",
    "reference-mismatch",
    "duplicate-maintainer",
];

/// One reason with what it is about in this case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The stable code.
    #[serde(rename = "code")]
    pub reason: Reason,
    /// The particulars, one line.
    pub detail: String,
}

impl Problem {
    /// A problem with its particulars.
    pub fn new(reason: Reason, detail: impl Into<String>) -> Problem {
        Problem {
            reason,
            detail: detail.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.reason.code(), self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_serde_names_and_unique() {
        assert_eq!(Reason::ALL.len(), CODES.len());
        let mut seen = std::collections::BTreeSet::new();
        for (i, reason) in Reason::ALL.iter().enumerate() {
            assert_eq!(*reason as usize, i);
            let serde_name = serde_json::to_value(reason).unwrap();
            assert_eq!(serde_name, serde_json::Value::String(reason.code().into()));
            assert!(seen.insert(reason.code()), "{} twice", reason.code());
        }
    }

    #[test]
    fn every_code_is_documented() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reasons.md"))
            .unwrap();
        for reason in Reason::ALL {
            assert!(
                doc.contains(&format!("`{}`", reason.code())),
                "docs/reasons.md lacks {}",
                reason.code()
            );
        }
    }
}
