//! Against the real tools: GnuPG and skopeo (Debian's 1.9.3) make and check the same files.

use std::path::{Path, PathBuf};

use crate::common::*;

/// A manifest and its digest.
fn manifest(dir: &Path) -> (PathBuf, String) {
    let text = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
    let path = dir.join("manifest.json");
    std::fs::write(&path, text).unwrap();
    (path, hex_sha256(text.as_bytes()))
}

#[test]
fn quorates_signature_passes_skopeo_and_gpg() {
    if !have("gpg") || !have("skopeo") {
        return;
    }
    let gnupg = Gnupg::new();
    let fpr = gnupg.generate("alice", false);
    let ws = gpg_workspace(&gnupg, &[("alice", &fpr)]);
    let key = ws.path().join("alice.key");
    std::fs::write(&key, gnupg.gpg(&["--export-secret-keys", &fpr])).unwrap();
    let (manifest, hex) = manifest(ws.path());
    let reference = reference(&hex);
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &reference,
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let sig = ws.image_dir("pallet-rust", &hex).join("signature-1");

    let out = gnupg
        .cmd("skopeo")
        .args([
            "standalone-verify",
            manifest.to_str().unwrap(),
            "docker.io/stagex/pallet-rust:1.0",
            &fpr.to_uppercase(),
            sig.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains(&format!("Signature verified, digest sha256:{hex}")));

    let decrypted = gnupg.gpg(&["--decrypt", sig.to_str().unwrap()]);
    assert_eq!(decrypted, payload(REF, &hex));
}

#[test]
fn the_exported_keyring_is_what_podman_needs() {
    if !have("gpg") || !have("skopeo") {
        return;
    }
    let gnupg = Gnupg::new();
    let fpr = gnupg.generate("alice", false);
    let ws = gpg_workspace(&gnupg, &[("alice", &fpr)]);
    std::fs::write(
        ws.path().join("alice.key"),
        gnupg.gpg(&["--export-secret-keys", &fpr]),
    )
    .unwrap();
    let (manifest, hex) = manifest(ws.path());
    let reference = reference(&hex);
    assert_eq!(
        ws.run(&["sign", "--no-rebuild", &reference, "--key", "alice.key"])
            .code,
        0
    );
    let run = ws.run(&["keyring", "export", "-o", "maintainers.pgp"]);
    assert_eq!(run.code, 0, "{run:?}");
    // A fresh GnuPG that knows only the exported keyring verifies the signature.
    let fresh = Gnupg::new();
    fresh.gpg(&[
        "--import",
        ws.path().join("maintainers.pgp").to_str().unwrap(),
    ]);
    let sig = ws.image_dir("pallet-rust", &hex).join("signature-1");
    let out = fresh
        .cmd("skopeo")
        .args([
            "standalone-verify",
            manifest.to_str().unwrap(),
            "docker.io/stagex/pallet-rust:1.0",
            &fpr,
            sig.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn skopeo_and_stagex_signatures_count() {
    if !have("gpg") || !have("skopeo") {
        return;
    }
    let gnupg = Gnupg::new();
    let alice = gnupg.generate("alice", false);
    let bob = gnupg.generate("bob", true);
    let carol = gnupg.generate("carol", false);
    let ws = gpg_workspace(
        &gnupg,
        &[("alice", &alice), ("bob", &bob), ("carol", &carol)],
    );
    let (manifest, hex) = manifest(ws.path());

    // alice: skopeo standalone-sign.
    let sig1 = ws.path().join("skopeo.sig");
    let out = gnupg
        .cmd("skopeo")
        .args([
            "standalone-sign",
            manifest.to_str().unwrap(),
            "docker.io/stagex/pallet-rust:1.0",
            &alice,
            "-o",
            sig1.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    ws.put("pallet-rust", &hex, 1, &std::fs::read(&sig1).unwrap());
    // bob: StageX's way, with a signing subkey, the short reference and optional:{}.
    ws.put(
        "pallet-rust",
        &hex,
        2,
        &gnupg.stagex_sign(&bob, &payload("stagex/pallet-rust:1.0", &hex)),
    );
    // carol: StageX's way with her primary key.
    ws.put(
        "pallet-rust",
        &hex,
        3,
        &gnupg.stagex_sign(&carol, &payload("stagex/pallet-rust:1.0", &hex)),
    );

    let reference = reference(&hex);
    let run = ws.run(&["gate", "--threshold", "3", &reference]);
    assert_eq!(
        run.code,
        0,
        "{run:?}\n{}",
        ws.run(&["verify", &reference]).stdout
    );
    let report = ws.verify_json(&reference);
    assert_eq!(report["files"][1]["by_subkey"], true);
    assert_eq!(report["files"][1]["maintainer"], "bob");
    assert_eq!(report["files"][1]["primary_fingerprint"], bob);
}

#[test]
fn a_key_exported_by_gpg_with_a_passphrase_signs() {
    if !have("gpg") {
        return;
    }
    let gnupg = Gnupg::new();
    let fpr = gnupg.generate_with(
        "dora",
        false,
        "never",
        &["--passphrase", "s3cret", "--pinentry-mode", "loopback"],
    );
    let ws = gpg_workspace(&gnupg, &[("dora", &fpr)]);
    let secret = gnupg.gpg(&[
        "--passphrase",
        "s3cret",
        "--pinentry-mode",
        "loopback",
        "--export-secret-keys",
        &fpr,
    ]);
    std::fs::write(ws.path().join("dora.key"), secret).unwrap();
    std::fs::write(ws.path().join("pass"), "s3cret\n").unwrap();
    let reference = asked();
    let run = ws.run(&["sign", "--no-rebuild", &reference, "--key", "dora.key"]);
    assert_eq!(run.code, 2, "{run:?}");
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &reference,
        "--key",
        "dora.key",
        "--passphrase-file",
        "pass",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn a_smartcard_style_export_signs_with_the_subkey() {
    if !have("gpg") {
        return;
    }
    // `gpg --export-secret-subkeys` leaves a stub for the offline primary key.
    let gnupg = Gnupg::new();
    let fpr = gnupg.generate("erin", true);
    let ws = gpg_workspace(&gnupg, &[("erin", &fpr)]);
    std::fs::write(
        ws.path().join("erin.key"),
        gnupg.gpg(&["--export-secret-subkeys", &fpr]),
    )
    .unwrap();
    let reference = asked();
    let run = ws.run(&["sign", "--no-rebuild", &reference, "--key", "erin.key"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("warning: signing with subkey"),
        "{}",
        run.stderr
    );
}
