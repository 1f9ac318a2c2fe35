//! Sigstore keys and certificates across implementations: cosign key files written by
//! tests/support/sigstore/cosign_key.py (Python `cryptography` + PyNaCl, the way cosign writes
//! them) opened by quorate, a file quorate writes opened by that script, and a Fulcio-style leaf
//! with an embedded SCT made by tests/support/sigstore/fulcio_fixture.py read and checked. Skipped loudly when no Python with `nacl` and
//! `cryptography` is found, unless QUORATE_REQUIRE_INTEROP is set (then it fails).

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest as _;

use quorate::format::sigstore::private_key::KeyFileError;
use quorate::format::sigstore::trusted_root::{CertificateAuthority, LogKey, Validity};
use quorate::keys::sigstore::ecdsa::CosignPublicKey;
use quorate::keys::sigstore::fulcio::{verify_chain, ChainError, Identity, Leaf};
use quorate::keys::sigstore::private_key::{CosignPrivateKey, PrivateKeyError};
use quorate::keys::sigstore::sct::verify_embedded_sct;

const PASSPHRASE: &str = "correct horse battery staple";

fn support(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support/sigstore")
        .join(name)
}

fn usable(python: &str) -> bool {
    Command::new(python)
        .args(["-c", "import nacl.secret, cryptography"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// QUORATE_SIGSTORE_PYTHON, else `python3`, /usr/bin/python3 or /work/venv-sig/bin/python, if it imports nacl
/// and cryptography.
fn python() -> Option<String> {
    let candidates = [
        std::env::var("QUORATE_SIGSTORE_PYTHON").ok(),
        Some("python3".to_string()),
        Some("/usr/bin/python3".to_string()),
        Some("/work/venv-sig/bin/python".to_string()),
    ];
    let found = candidates.into_iter().flatten().find(|p| usable(p));
    if found.is_none() {
        if std::env::var_os("QUORATE_REQUIRE_INTEROP").is_some() {
            panic!("a Python with nacl and cryptography is required (QUORATE_REQUIRE_INTEROP is set); set QUORATE_SIGSTORE_PYTHON");
        }
        eprintln!("\n*** SKIPPED: no Python with nacl and cryptography; the cosign key interop test did not run ***\n");
    }
    found
}

fn run(python: &str, args: &[&str]) -> std::process::Output {
    Command::new(python)
        .arg(support("cosign_key.py"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn files_written_as_cosign_writes_them_open_in_quorate() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    for (label, n) in [
        ("SIGSTORE", 65536),
        ("COSIGN", 32768),
        ("SIGSTORE", 32768),
        ("COSIGN", 65536),
    ] {
        let path = dir.path().join(format!("{label}-{n}.key"));
        let out = run(
            &py,
            &[
                "write",
                path.to_str().unwrap(),
                label,
                &n.to_string(),
                PASSPHRASE,
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = CosignPublicKey::from_pem(&out.stdout).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let key = CosignPrivateKey::decrypt(&bytes, PASSPHRASE.as_bytes()).unwrap();
        assert_eq!(key.public_key(), &expected, "{label} N={n}");
        assert_eq!(
            CosignPrivateKey::decrypt(&bytes, b"not it").unwrap_err(),
            PrivateKeyError::WrongPassphrase
        );
    }
    // N = 2^14: cosign's decryptors refuse it, and so does quorate, before running scrypt.
    let path = dir.path().join("weak.key");
    let out = run(
        &py,
        &[
            "write",
            path.to_str().unwrap(),
            "SIGSTORE",
            "16384",
            PASSPHRASE,
        ],
    );
    assert!(out.status.success());
    let bytes = std::fs::read(&path).unwrap();
    assert!(matches!(
        CosignPrivateKey::decrypt(&bytes, PASSPHRASE.as_bytes()),
        Err(PrivateKeyError::File(KeyFileError::ScryptParams {
            n: 16384,
            r: 8,
            p: 1
        }))
    ));
}

#[test]
fn a_file_quorate_writes_opens_in_python_and_its_signatures_verify_there() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let key = CosignPrivateKey::generate().unwrap();
    let path = dir.path().join("cosign.key");
    #[allow(clippy::disallowed_methods)]
    std::fs::write(&path, key.encrypt(PASSPHRASE.as_bytes()).unwrap()).unwrap();
    let out = run(&py, &["read", path.to_str().unwrap(), PASSPHRASE]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        CosignPublicKey::from_pem(&out.stdout).unwrap(),
        *key.public_key()
    );
    assert_eq!(
        run(&py, &["read", path.to_str().unwrap(), "wrong"])
            .status
            .code(),
        Some(3)
    );
    let public = dir.path().join("cosign.pub");
    let signature = dir.path().join("sig");
    #[allow(clippy::disallowed_methods)]
    {
        std::fs::write(&public, key.public_key().to_pem()).unwrap();
        std::fs::write(&signature, key.sign(b"payload").unwrap()).unwrap();
    }
    let args = [
        public.to_str().unwrap(),
        "payload",
        signature.to_str().unwrap(),
    ];
    assert!(run(&py, &[&["verify"], &args[..]].concat())
        .status
        .success());
    let other = [
        public.to_str().unwrap(),
        "payloaD",
        signature.to_str().unwrap(),
    ];
    assert!(!run(&py, &[&["verify"], &other[..]].concat())
        .status
        .success());
}

#[test]
fn a_leaf_made_by_python_cryptography_parses_chains_and_has_a_valid_sct() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(&py)
        .arg(support("fulcio_fixture.py"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
    let (ca, leaf_der, ct_spki) = (read("ca.der"), read("leaf.der"), read("ct.spki.der"));
    let at: i64 = String::from_utf8(read("at")).unwrap().parse().unwrap();
    let leaf = Leaf::parse(&leaf_der).unwrap();
    assert_eq!(leaf.issuer, "https://issuer.example.test");
    assert_eq!(leaf.identity, Identity::Email("alice@example.org".into()));
    assert!(leaf.code_signing && leaf.digital_signature);
    let open = Validity {
        start: 0,
        end: None,
    };
    let authority = CertificateAuthority {
        chain_der: vec![ca.clone()],
        valid_for: open,
        uri: "https://fulcio.example.test".into(),
    };
    assert_eq!(
        verify_chain(&leaf_der, &[], std::slice::from_ref(&authority), at),
        Ok(0)
    );
    assert!(matches!(
        verify_chain(&leaf_der, &[], std::slice::from_ref(&authority), at + 601),
        Err(ChainError::LeafNotValidAt { .. })
    ));
    let ct = LogKey {
        log_id: sha2::Sha256::digest(&ct_spki).into(),
        public_key_der: ct_spki,
        valid_for: open,
        base_url: "https://ct.example.test".into(),
    };
    assert_eq!(
        verify_embedded_sct(&leaf_der, &ca, std::slice::from_ref(&ct)),
        Ok(0)
    );
}
