//! The entry points the fuzz targets (fuzz/) call, one per input the tool reads, so the seed
//! corpora replay as ordinary tests through the very same code. Each must return, never panic,
//! whatever the bytes.

use std::path::Path;

/// A `signature-N` file: the signed-message reader, then full verification against an empty
/// keyring (so every path past parsing runs too).
pub fn signature_file(data: &[u8]) {
    if let Ok(message) = crate::format::message::read_signed_message(data) {
        let _ = crate::format::payload::Payload::parse(&message.payload);
        let keyring = crate::keys::keyring::Keyring::default();
        let maintainers = crate::format::maintainers::Maintainers::default();
        let verifier = crate::keys::verify::Verifier::new(
            &keyring,
            &maintainers,
            std::time::SystemTime::now(),
        );
        let _ = verifier.verify_message(&message);
    }
}

/// A payload, in both forms.
pub fn payload(data: &[u8]) {
    if let Ok(payload) = crate::format::payload::Payload::parse(data) {
        // What parses must serialize back to a payload that parses to the same thing.
        if !payload.legacy {
            if let Ok(reference) = crate::format::reference::Reference::with_parts(
                &payload.reference.name(),
                payload.reference.tag(),
                Some(payload.digest.clone()),
            ) {
                if payload.reference.tag().is_some() && payload.reference.digest().is_none() {
                    let again = crate::format::payload::Payload::parse(
                        &crate::format::payload::Payload::to_bytes(&reference, &payload.digest),
                    )
                    .expect("quorate's own payload parses");
                    assert_eq!(again.reference, payload.reference);
                }
            }
        }
    }
}

/// A docker reference.
pub fn reference(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(reference) = crate::format::reference::Reference::parse(text) {
            // Normalization is idempotent.
            let again = crate::format::reference::Reference::parse(&reference.to_string())
                .expect("a normalized reference parses");
            assert_eq!(again, reference);
        }
        let _ = crate::workspace::tree::parse_image_dir(text);
    }
}

/// A MAINTAINERS file.
pub fn maintainers(data: &[u8]) {
    let _ = crate::format::maintainers::Maintainers::parse(Path::new("MAINTAINERS"), data);
}

/// A digests file, in StageX's form and quorate's platforms form.
pub fn digests(data: &[u8]) {
    if let Ok(packages) = crate::format::digests::parse_file(Path::new("digests/core.txt"), data) {
        // What parses renders back byte for byte.
        let pairs: Vec<_> = packages
            .iter()
            .map(|p| (p.name.clone(), p.digest.clone()))
            .collect();
        assert_eq!(crate::format::digests::render(&pairs), data);
    }
    let _ = crate::format::digests::parse_platforms(Path::new("digests/core.platforms"), data);
}

// The fuzz harness builds its own scratch layout in a fresh temporary directory.
#[allow(clippy::disallowed_methods)]
/// An OCI layout: the input's first line is index.json, the rest one blob stored under its
/// sha256 (so the walk can follow a descriptor into it).
pub fn oci_layout(data: &[u8]) {
    use sha2::Digest as _;
    let (index, blob) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(dir) = tempfile_dir() else {
        return;
    };
    let blobs = dir.join("blobs/sha256");
    if std::fs::create_dir_all(&blobs).is_err() {
        return;
    }
    let hex: String = sha2::Sha256::digest(blob)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let _ = std::fs::write(blobs.join(hex), blob);
    let _ = std::fs::write(dir.join("index.json"), index);
    let _ = crate::format::oci::read_layout(&dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[allow(clippy::disallowed_methods)]
fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "quorate-fuzz-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A Fulcio certificate, DER or PEM: parsed, its SCTs checked with itself as the issuer, its
/// chain checked against an authority made of itself (the carried chain too).
pub fn sigstore_certificate(data: &[u8]) {
    use crate::format::sigstore::trusted_root::{CertificateAuthority, Validity};
    use crate::keys::sigstore::{fulcio, sct};
    let _ = fulcio::Leaf::from_pem(data);
    let _ = sct::verify_embedded_sct(data, data, &[]);
    if let Ok(leaf) = fulcio::Leaf::parse(data) {
        let authority = CertificateAuthority {
            chain_der: vec![data.to_vec()],
            valid_for: Validity {
                start: i64::MIN,
                end: None,
            },
            uri: String::new(),
        };
        let carried = [data.to_vec(), data.to_vec()];
        let _ = fulcio::verify_chain(data, &carried, &[authority], leaf.not_before);
    }
}

/// A cosign key file or public key (PEM or DER). A key file that parses writes back to one
/// that parses the same; nothing is decrypted (scrypt's cost is the parser's to bound).
pub fn sigstore_key(data: &[u8]) {
    use crate::format::sigstore::private_key::EncryptedKeyFile;
    use crate::keys::sigstore::ecdsa::CosignPublicKey;
    if let Ok(file) = EncryptedKeyFile::parse(data) {
        assert_eq!(EncryptedKeyFile::parse(&file.to_pem()), Ok(file));
    }
    let _ = CosignPublicKey::from_pem(data);
    if let Ok(key) = CosignPublicKey::from_spki_der(data) {
        let _ = key.verify(data, data);
    }
}

/// A Rekor checkpoint (as text), and the same bytes as an inclusion proof: index and size
/// (8 bytes each, big-endian), then 32-byte hashes.
pub fn sigstore_checkpoint(data: &[u8]) {
    use crate::format::sigstore::trusted_root::{LogKey, Validity};
    use crate::keys::sigstore::rekor;
    let log = LogKey {
        log_id: [0; 32],
        public_key_der: Vec::new(),
        valid_for: Validity {
            start: 0,
            end: None,
        },
        base_url: String::new(),
    };
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = rekor::verify_checkpoint(text, std::slice::from_ref(&log), &[0; 32], 1);
    }
    if data.len() >= 16 {
        let (head, rest) = data.split_at(16);
        let index = u64::from_be_bytes(head[..8].try_into().unwrap_or_default());
        let size = u64::from_be_bytes(head[8..].try_into().unwrap_or_default());
        let hashes: Vec<[u8; 32]> = rest
            .chunks_exact(32)
            .filter_map(|c| c.try_into().ok())
            .collect();
        let _ = rekor::verify_inclusion(b"", index, size, &hashes, &[0; 32]);
    }
}

/// A sigstore `signature-N` (and, for bytes without its prefix, a SET annotation and a Rekor
/// log entry body): what parses writes back to what parses the same.
pub fn sigstore_signature(data: &[u8]) {
    use crate::format::payload::Payload;
    use crate::format::sigstore::{envelope::LegacySignature, rekor};
    if !crate::format::sigstore::envelope::is_sigstore(data) {
        if let Ok(set) = rekor::RekorBundle::parse(data) {
            let _ = set.canonical_set_payload();
            let again = rekor::RekorBundle::parse(&set.to_bytes()).expect("quorate's SET parses");
            assert_eq!(again, set);
        }
        let _ = rekor::LogBody::parse(data);
        let _ = Payload::parse_cosign(data);
        return;
    }
    let Ok(signature) = LegacySignature::parse(data) else {
        return;
    };
    let again = LegacySignature::parse(&signature.to_bytes()).expect("quorate's file parses");
    assert_eq!(again, signature);
    if let Some(set) = &signature.rekor_bundle {
        let _ = rekor::LogBody::parse(&set.body);
    }
    if let Ok(payload) = Payload::parse_cosign(&signature.payload) {
        let written = Payload::to_cosign_bytes(&payload.reference, &payload.digest);
        // A name at docker's length limit may not fit once written as index.docker.io.
        if let Ok(again) = Payload::parse_cosign(&written) {
            assert_eq!(again.reference.name(), payload.reference.name());
            assert_eq!(again.reference.tag(), None);
            assert_eq!(again.digest, payload.digest);
        }
    }
}

/// A Sigstore bundle (and, read alone, an in-toto statement).
pub fn sigstore_bundle(data: &[u8]) {
    use crate::format::sigstore::bundle::{pae, Bundle, Content, Statement};
    let _ = Statement::parse(data);
    let Ok(bundle) = Bundle::parse(data) else {
        return;
    };
    for entry in &bundle.tlog_entries {
        let _ = Bundle::canonical_body_for_set(entry);
        let _ = crate::format::sigstore::rekor::LogBody::parse(&entry.canonicalized_body);
    }
    if let Content::Dsse(envelope) = &bundle.content {
        let _ = pae(&envelope.payload_type, &envelope.payload);
        let _ = Statement::parse(&envelope.payload);
    }
}

/// A Sigstore trusted root.
pub fn trusted_root(data: &[u8]) {
    let _ = crate::format::sigstore::trusted_root::TrustedRoot::parse(data);
}

/// The output of `cosign download signature`: each legacy signature found writes a file that
/// parses back to it.
pub fn cosign_download(data: &[u8]) {
    use crate::format::sigstore::envelope::LegacySignature;
    let Ok(download) = crate::format::sigstore::download::parse_download(data) else {
        return;
    };
    for signature in &download.signatures {
        let again = LegacySignature::parse(&signature.to_bytes()).expect("quorate's file parses");
        assert_eq!(&again, signature);
    }
}
