//! cosign key files across implementations: files written by tests/support/sigstore/cosign_key.py
//! (Python `cryptography` + PyNaCl, the way cosign writes them) opened by quorate, and a file
//! quorate writes opened by that script. Skipped loudly when no Python with `nacl` and
//! `cryptography` is found, unless QUORATE_REQUIRE_INTEROP is set (then it fails).

use std::path::{Path, PathBuf};
use std::process::Command;

use quorate::format::sigstore::private_key::KeyFileError;
use quorate::keys::sigstore::ecdsa::CosignPublicKey;
use quorate::keys::sigstore::private_key::{CosignPrivateKey, PrivateKeyError};

const PASSPHRASE: &str = "correct horse battery staple";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/sigstore/cosign_key.py")
}

fn usable(python: &str) -> bool {
    Command::new(python)
        .args(["-c", "import nacl.secret, cryptography"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// QUORATE_SIGSTORE_PYTHON, else `python3`, else /work/venv-sig/bin/python (the local venv), if it imports nacl
/// and cryptography.
fn python() -> Option<String> {
    let candidates = [
        std::env::var("QUORATE_SIGSTORE_PYTHON").ok(),
        Some("python3".to_string()),
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
        .arg(script())
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
