//! Why a signature does not count: one enum, one stable kebab-case code per variant, used alike
//! in text output, JSON and docs/reasons.md.

use serde::Serialize;

crate::codes::stable_codes! {
    /// Every reason a `signature-N` file does not count toward a quorum (and the one notice that
    /// is not a fault). The codes are stable: tools and auditors match on them.
    pub enum Reason {
        // --- where the file is ---
        /// The file follows a gap in the numbering: podman stops at the first missing number and
        /// never sees it.
        AfterGap = "after-gap",
        /// The file is past the 128th signature of the image, which is all podman reads.
        BeyondLimit = "beyond-limit",
        /// The image's directory holds 128 signatures or more from signature-1 on: current
        /// containers/image refuses to pull such an image at all, so none of its signatures counts.
        TooManySignatures = "too-many-signatures",
        /// A symlink, directory or other non-regular file: never followed.
        NotARegularFile = "not-a-regular-file",
        /// The file could not be read.
        Unreadable = "unreadable",
        /// The file lies in a directory whose name is not `<repository path>@sha256=<64 hex>`: it
        /// names no image podman would look up.
        MalformedDirectory = "malformed-directory",

        // --- the OpenPGP message ---
        /// The file is empty.
        EmptyFile = "empty-file",
        /// The file is larger than the 4 MiB podman reads.
        TooLarge = "too-large",
        /// ASCII armor: podman reads binary OpenPGP only.
        AsciiArmored = "ascii-armored",
        /// A cleartext signature, not a binary signed message.
        CleartextSignature = "cleartext-signature",
        /// The first byte does not start an OpenPGP signed message.
        NotOpenpgp = "not-openpgp",
        /// The message is cut short (for example the signature packet is missing).
        TruncatedMessage = "truncated-message",
        /// The OpenPGP packets do not parse.
        MalformedMessage = "malformed-message",
        /// A detached signature: the payload is not inside.
        DetachedSignature = "detached-signature",
        /// Data but no signature.
        NoSignature = "no-signature",
        /// More than one signature in one message: GPGME refuses it.
        MultipleSignatures = "multiple-signatures",
        /// The packets are not One-Pass Signature, Literal Data, Signature.
        NotASignedMessage = "not-a-signed-message",
        /// Compressed data nested inside compressed data.
        NestedCompression = "nested-compression",
        /// The literal data is larger than any payload could be.
        PayloadTooLarge = "payload-too-large",
        /// Compressed data larger than 128 KiB (twice the payload cap), or decompressing to more:
        /// more than any signed message that could count. Decompression stops there.
        CompressedTooLarge = "compressed-too-large",
        /// The One-Pass Signature packet announces another hash, signature type, public-key
        /// algorithm or key than the Signature packet has (gpg: "digest conflict"), or is not the last.
        OnePassMismatch = "one-pass-mismatch",

        // --- the signature and its key ---
        /// The signature names no issuing key.
        NoIssuer = "no-issuer",
        /// No certificate in the keyring holds the issuing key.
        UnknownIssuer = "unknown-issuer",
        /// The issuer is a key MAINTAINERS lists, but the keyring has no certificate for it.
        MaintainerCertificateMissing = "maintainer-certificate-missing",
        /// The signature does not verify against the issuing key.
        BadSignature = "bad-signature",
        /// The signature uses a hash that is not collision resistant (SHA-1, MD5, RIPEMD-160).
        WeakHash = "weak-hash",
        /// Sequoia's standard policy rejects the signature or its key for another reason.
        PolicyRejected = "policy-rejected",
        /// Not a binary document signature (type 0x00).
        WrongSignatureType = "wrong-signature-type",
        /// The signature has no creation time.
        NoCreationTime = "no-creation-time",
        /// The signature is dated after the time it is judged at.
        SignatureInFuture = "signature-in-future",
        /// The signature's own expiration time has passed.
        SignatureExpired = "signature-expired",
        /// The signature is dated before its key was created.
        KeyNotYetCreated = "key-not-yet-created",
        /// The key was not alive (expired, or not yet bound) when it signed.
        KeyNotAliveAtSigning = "key-not-alive-at-signing",
        /// The key was alive when it signed but has expired since; podman rejects it too.
        KeyExpired = "key-expired",
        /// The key is not marked for signing.
        KeyNotSigningCapable = "key-not-signing-capable",
        /// The key or its certificate is hard-revoked (compromised, or no reason given): every
        /// signature it ever made is void.
        KeyRevoked = "key-revoked",
        /// The key or its certificate was soft-revoked (retired or superseded) before the time it is
        /// judged at.
        KeyRetired = "key-retired",
        /// The certificate has no valid self-signature under the policy.
        CertificateInvalid = "certificate-invalid",
        /// The signing key's primary key is not listed in MAINTAINERS.
        NotAMaintainer = "not-a-maintainer",
        /// The signing key's primary key is a former maintainer's: the chain of trust roots named
        /// them, the root in force no longer does. Shown as theirs, not counted, not an error.
        FormerMaintainer = "former-maintainer",
        /// The signing key is a valid signing key of several certificates, none of them its own
        /// (it is no certificate's primary key): whose signature it is cannot be told.
        KeyInSeveralCertificates = "key-in-several-certificates",
        /// A subkey made the signature, and the consumer quorate.toml declares (containers/image
        /// before 5.37, such as Debian 12's podman 4.3.1) accepts only signatures by a primary key.
        SubkeyNotAccepted = "subkey-not-accepted",

        // --- Sigstore votes (cosign keys and keyless identities) ---
        /// A Sigstore vote that does not parse strictly: the `\x00sigstore-json` encoding or a
        /// bundle with an unknown, duplicate or case-variant key, another media type, bad base64.
        SigstoreMalformed = "sigstore-malformed",
        /// No certificate, and no cosign key MAINTAINERS lists verifies the signature.
        UnknownCosignKey = "unknown-cosign-key",
        /// A keyless vote, or a cosign-key vote where quorate.toml asks for one, carries no
        /// transparency log entry.
        LogEntryMissing = "log-entry-missing",
        /// The log entry's body is for another signature, key or payload than this vote's.
        LogEntryMismatch = "log-entry-mismatch",
        /// The log entry's signed timestamp or inclusion proof does not verify with a Rekor key of
        /// the trusted root valid at its time.
        LogEntryUnverified = "log-entry-unverified",
        /// The signing certificate does not parse, or lacks what a Fulcio certificate has (one
        /// issuer, read alike from both its OIDs; a subject; code signing usage); or repeats an
        /// extension.
        SigningCertificateMalformed = "signing-certificate-malformed",
        /// No path leads from the signing certificate to a certificate authority of the trusted
        /// root valid at the log entry's time.
        CertificateUntrusted = "certificate-untrusted",
        /// The signing certificate carries no embedded SCT that a CT log of the trusted root
        /// signed over it: it was never shown to be logged (cosign and sigstore-python refuse it).
        CertificateNotLogged = "certificate-not-logged",
        /// The log entry's time lies outside the signing certificate's validity.
        CertificateOutsideWindow = "certificate-outside-window",
        /// The certificate's issuer and subject are no maintainer's listed keyless identity.
        UnknownIdentity = "unknown-identity",
        /// The vote needs a Sigstore trusted root and the trust root in force pins none.
        NoTrustedRoot = "no-trusted-root",
        /// The consumer quorate.toml declares cannot check this kind of vote (containers/image
        /// before 5.33 for cosign keys, before 5.24 or with a URI subject for keyless, Debian's
        /// build at all).
        SigstoreNotAccepted = "sigstore-not-accepted",
        /// A bundle that signs something else than a cosign image signature statement.
        BundleWrongContent = "bundle-wrong-content",

        // --- the payload ---
        /// The payload is not JSON as Go's decoder reads it (a syntax error, bytes after the value,
        /// nesting deeper than 10000, invalid UTF-8 outside a string).
        PayloadNotJson = "payload-not-json",
        /// A key appears twice in one JSON object.
        PayloadDuplicateKey = "payload-duplicate-key",
        /// A member is missing, unknown, or of the wrong JSON type; a number in `optional` beyond
        /// float64; a `timestamp` Go's int64 conversion does not give back unchanged.
        PayloadSchema = "payload-schema",
        /// `critical.type` is not `atomic container signature`.
        PayloadWrongType = "payload-wrong-type",
        /// The payload's digest is not lowercase `sha256:` and 64 hex digits.
        PayloadBadDigest = "payload-bad-digest",
        /// The payload's docker-reference does not parse.
        PayloadBadReference = "payload-bad-reference",
        /// The signed reference has neither tag nor digest: podman never accepts it.
        ReferenceWithoutTag = "reference-without-tag",
        /// StageX's legacy payload (a one-element array, bare digest, no tag): podman cannot read it.
        /// Counted only with `--accept-legacy`.
        LegacyPayload = "legacy-payload",
        /// The payload signs another digest than the one asked for.
        DigestMismatch = "digest-mismatch",
        /// The payload's digest or repository differs from the directory the file is in.
        DirectoryMismatch = "directory-mismatch",
        /// The payload signs another image name or tag than the one asked for.
        ReferenceMismatch = "reference-mismatch",

        // --- notices: not faults ---
        /// A further valid signature by a maintainer already counted: reported, counted once.
        DuplicateMaintainer = "duplicate-maintainer",
    }
}

impl Reason {
    /// False only for notices, which are reported but do not stop a file from being valid.
    pub fn is_fault(self) -> bool {
        !matches!(self, Reason::DuplicateMaintainer)
    }

    /// True for what an honest history holds and is no error, though it does not count: a former
    /// maintainer's signature.
    pub fn is_honest_past(self) -> bool {
        matches!(self, Reason::FormerMaintainer)
    }
}

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
    fn codes_are_kebab_case_unique_and_serialize_as_themselves() {
        let mut seen = std::collections::BTreeSet::new();
        for reason in Reason::ALL {
            assert!(crate::codes::is_kebab_case(reason.code()), "{reason}");
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
