//! The adversarial corpus: crafted inputs, each with the reason it must be refused for. None may
//! count, none may crash. Generated at run time from keys made here.

use std::io::Write;
use std::time::{Duration, SystemTime};

use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::packet::Packet;
use openpgp::parse::Parse;
use openpgp::serialize::stream::{Compressor, LiteralWriter, Message, Signer};
use openpgp::serialize::Serialize;
use openpgp::types::{CompressionAlgorithm, HashAlgorithm, KeyFlags, ReasonForRevocation};

use crate::common::*;

fn payload_text() -> String {
    String::from_utf8(payload(REF, HEX_A)).unwrap()
}

/// Places `bytes` as the only signature of the image and returns signature-1's reason codes,
/// after checking that it does not count, the gate refuses, and nothing crashed.
fn judged(ws: &Ws, bytes: &[u8]) -> Vec<String> {
    let dir = ws.image_dir("pallet-rust", HEX_A);
    let _ = std::fs::remove_dir_all(&dir);
    ws.put("pallet-rust", HEX_A, 1, bytes);
    let gate = ws.run(&["gate", "--threshold", "1", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(!gate.stderr.contains("panicked"), "{gate:?}");
    let report = ws.verify_json(&asked());
    assert_eq!(report["files"][0]["counts"], false, "{report}");
    codes(&report, 1)
}

fn setup() -> (Ws, TestKey) {
    let alice = TestKey::new("alice");
    let ws = Ws::new(&[("alice", &[&alice])]);
    (ws, alice)
}

/// A signed message with its literal data wrapped in compression `depth` times.
fn nested(key: &TestKey, depth: usize, literal: &[u8]) -> Vec<u8> {
    let mut sink = Vec::new();
    {
        let mut message = Message::new(&mut sink);
        for _ in 0..depth {
            message = Compressor::new(message)
                .algo(CompressionAlgorithm::Zlib)
                .build()
                .unwrap();
        }
        let signer = Signer::new(message, key.primary_pair())
            .unwrap()
            .build()
            .unwrap();
        let mut w = LiteralWriter::new(signer).build().unwrap();
        w.write_all(literal).unwrap();
        w.finalize().unwrap();
    }
    sink
}

/// The packets of a message, flattened out of any compression.
fn packets(bytes: &[u8]) -> Vec<Packet> {
    openpgp::PacketPile::from_bytes(bytes)
        .unwrap()
        .into_children()
        .collect()
}

fn serialize(packets: &[Packet]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in packets {
        p.serialize(&mut out).unwrap();
    }
    out
}

/// Compressed data holding only literal data: an unsigned message.
fn compressed_literal_only() -> Vec<u8> {
    let mut sink = Vec::new();
    {
        let message = Message::new(&mut sink);
        let c = Compressor::new(message)
            .algo(CompressionAlgorithm::Zip)
            .build()
            .unwrap();
        let mut w = LiteralWriter::new(c).build().unwrap();
        w.write_all(&payload(REF, HEX_A)).unwrap();
        w.finalize().unwrap();
    }
    sink
}

#[test]
fn malformed_messages() {
    let (ws, alice) = setup();
    let good = sign(alice.primary_pair(), &payload(REF, HEX_A));
    let mut armored = Vec::new();
    {
        let mut w =
            openpgp::armor::Writer::new(&mut armored, openpgp::armor::Kind::Message).unwrap();
        w.write_all(&good).unwrap();
        w.finalize().unwrap();
    }
    let cleartext = format!(
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n{}\n-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n",
        payload_text()
    );
    // A literal packet alone, and the one-pass + literal of a message without its signature.
    let parts = packets(&good);
    let literal_only = serialize(&parts[1..2]);
    let no_signature = serialize(&parts[..2]);
    // The data of one message under the signature of another.
    let other = sign(
        alice.primary_pair(),
        payload_text().replace("1.0", "6.6").as_bytes(),
    );
    let spliced = serialize(&[
        parts[0].clone(),
        packets(&other)[1].clone(),
        parts[2].clone(),
    ]);
    let mut big = good.clone();
    big.resize(5 * 1024 * 1024, 0x20);
    // A detached signature, and two signatures in one message.
    let bob = TestKey::new("bob");
    let detached = {
        let mut sink = Vec::new();
        {
            let message = Message::new(&mut sink);
            let mut s = Signer::new(message, alice.primary_pair())
                .unwrap()
                .detached()
                .build()
                .unwrap();
            s.write_all(&payload(REF, HEX_A)).unwrap();
            s.finalize().unwrap();
        }
        sink
    };
    let two = {
        let mut sink = Vec::new();
        {
            let message = Message::new(&mut sink);
            let s = Signer::new(message, alice.primary_pair())
                .unwrap()
                .add_signer(bob.primary_pair())
                .unwrap()
                .build()
                .unwrap();
            let mut w = LiteralWriter::new(s).build().unwrap();
            w.write_all(&payload(REF, HEX_A)).unwrap();
            w.finalize().unwrap();
        }
        sink
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("garbage", b"\x00\x01garbage".to_vec(), "not-openpgp"),
        ("empty", Vec::new(), "empty-file"),
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            "truncated-message",
        ),
        ("5 MiB", big, "too-large"),
        ("ASCII armor", armored, "ascii-armored"),
        (
            "cleartext signature",
            cleartext.into_bytes(),
            "cleartext-signature",
        ),
        ("detached signature", detached, "detached-signature"),
        ("two signatures", two, "multiple-signatures"),
        // podman sniffs the first byte: a bare literal packet is not even tried.
        ("literal data only", literal_only, "not-openpgp"),
        (
            "compressed literal data only",
            compressed_literal_only(),
            "no-signature",
        ),
        (
            "one-pass and data, no signature",
            no_signature,
            "truncated-message",
        ),
        ("signature over other bytes", spliced, "bad-signature"),
    ];
    for (name, bytes, code) in cases {
        let found = judged(&ws, &bytes);
        assert!(
            found.contains(&code.to_string()),
            "{name}: expected {code}, got {found:?}"
        );
    }
}

#[test]
fn compression_bombs_and_nesting_are_capped() {
    let (ws, alice) = setup();
    // 64 MiB of zeros compress to a few kilobytes; reading stops at the payload cap.
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let bomb = nested(&alice, 1, &zeros);
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    assert_eq!(judged(&ws, &bomb), vec!["payload-too-large"]);
    // Compression inside compression, 2 and 40 deep (a quine-like self-similar stream).
    for depth in [2, 40] {
        let deep = nested(&alice, depth, &payload(REF, HEX_A));
        assert_eq!(
            judged(&ws, &deep),
            vec!["nested-compression"],
            "depth {depth}"
        );
    }
    // One level, as gpg makes it, is fine.
    let once = nested(&alice, 1, &payload(REF, HEX_A));
    ws.put("pallet-rust", HEX_A, 1, &once);
    assert_eq!(ws.run(&["gate", "--threshold", "1", &asked()]).code, 0);
}

#[test]
fn malformed_payloads() {
    let (ws, alice) = setup();
    let text = payload_text();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "duplicate key",
            text.replace(r#""type":"#, r#""type":"x","type":"#)
                .into_bytes(),
            "payload-duplicate-key",
        ),
        (
            "unknown member",
            text.replace(r#""optional":{}"#, r#""optional":{},"x":1"#)
                .into_bytes(),
            "payload-schema",
        ),
        (
            "missing optional",
            text.replace(r#","optional":{}"#, "").into_bytes(),
            "payload-schema",
        ),
        (
            "trailing bytes",
            format!("{text}garbage").into_bytes(),
            "payload-not-json",
        ),
        (
            "uppercase digest",
            text.replace(HEX_A, &HEX_A.to_uppercase()).into_bytes(),
            "payload-bad-digest",
        ),
        (
            "short digest",
            text.replace(HEX_A, &HEX_A[..40]).into_bytes(),
            "payload-bad-digest",
        ),
        (
            "wrong type",
            text.replace("atomic container signature", "atomic")
                .into_bytes(),
            "payload-wrong-type",
        ),
        (
            "non-integer timestamp",
            text.replace(r#""optional":{}"#, r#""optional":{"timestamp":1.5}"#)
                .into_bytes(),
            "payload-schema",
        ),
        (
            // Decoded to U+FFFD as Go decodes it: "docker-referen\u{FFFD}(" is an unknown member.
            "invalid UTF-8 in a key",
            {
                let mut b = text.clone().into_bytes();
                b[40] = 0xC3;
                b[41] = 0x28;
                b
            },
            "payload-schema",
        ),
        (
            "name without tag",
            text.replace("pallet-rust:1.0", "pallet-rust").into_bytes(),
            "reference-without-tag",
        ),
    ];
    for (name, bytes, code) in cases {
        let found = judged(&ws, &sign(alice.primary_pair(), &bytes));
        assert_eq!(found[0], code, "{name}: {found:?}");
    }
}

#[test]
fn keys_that_must_not_count() {
    let (ws, alice) = setup();
    let p = payload(REF, HEX_A);
    let stranger = TestKey::new("stranger");
    let outsider = TestKey::new("outsider");
    ws.add_cert(&outsider);
    // A key that claims alice's user ID: matched by fingerprint, never by name.
    let impostor = TestKey::build("alice", |b| b);
    std::fs::write(ws.path().join("keyring/impostor.asc"), impostor.public()).unwrap();
    let mut revoked = TestKey::new("revoked");
    let ws2 = Ws::new(&[("alice", &[&alice]), ("revoked", &[&revoked])]);
    let revoked_sig = sign(revoked.primary_pair(), &p);
    revoked.revoke(ReasonForRevocation::KeyCompromised);
    ws2.add_cert(&revoked);
    // An RSA key whose subkey is for encryption only.
    let rsa = TestKey::build("rsa", |b| {
        b.set_cipher_suite(CipherSuite::RSA2k)
            .set_primary_key_flags(KeyFlags::empty().set_certification())
            .add_transport_encryption_subkey()
    });
    let ws3 = Ws::new(&[("rsa", &[&rsa])]);
    let long_ago = SystemTime::now() - days(365);
    let recent = SystemTime::now() - Duration::from_secs(60);
    for (name, ws, bytes, code) in [
        (
            "unknown key",
            &ws,
            sign(stranger.primary_pair(), &p),
            "unknown-issuer",
        ),
        (
            "non-maintainer in keyring",
            &ws,
            sign(outsider.primary_pair(), &p),
            "not-a-maintainer",
        ),
        (
            "claims a maintainer's user ID",
            &ws,
            sign(impostor.primary_pair(), &p),
            "not-a-maintainer",
        ),
        ("revoked key", &ws2, revoked_sig, "key-revoked"),
        (
            "used before its creation",
            &ws,
            sign_at(alice.primary_pair(), &p, long_ago, HashAlgorithm::SHA256),
            "key-not-yet-created",
        ),
        (
            "encryption-only subkey",
            &ws3,
            sign(rsa.subkey_pair(), &p),
            "key-not-signing-capable",
        ),
        (
            "SHA-1",
            &ws,
            sign_at(alice.primary_pair(), &p, recent, HashAlgorithm::SHA1),
            "weak-hash",
        ),
    ] {
        let found = judged(ws, &bytes);
        assert!(
            found.contains(&code.to_string()),
            "{name}: expected {code}, got {found:?}"
        );
    }
}

#[test]
fn copies_and_moves_never_add_a_person() {
    let a1 = TestKey::new("alice1");
    let a2 = TestKey::new("alice2");
    let bob = TestKey::new("bob");
    let ws = Ws::new(&[("alice", &[&a1, &a2]), ("bob", &[&bob])]);
    let p = payload(REF, HEX_A);
    // One maintainer's two keys, and the same signature copied under two numbers.
    ws.put("pallet-rust", HEX_A, 1, &sign(a1.primary_pair(), &p));
    ws.put("pallet-rust", HEX_A, 2, &sign(a2.primary_pair(), &p));
    let copy = sign(a1.primary_pair(), &p);
    ws.put("pallet-rust", HEX_A, 3, &copy);
    ws.put("pallet-rust", HEX_A, 4, &copy);
    let run = ws.run(&["gate", &asked()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("1 of 2 (alice)"), "{}", run.stdout);
    // bob's signature of another digest, or of another image, moved here.
    for (bytes, expected) in [
        (
            sign(bob.primary_pair(), &payload(REF, HEX_B)),
            ["digest-mismatch", "directory-mismatch"],
        ),
        (
            sign(
                bob.primary_pair(),
                &payload("docker.io/stagex/pallet-go:1.0", HEX_A),
            ),
            ["directory-mismatch", "reference-mismatch"],
        ),
    ] {
        ws.put("pallet-rust", HEX_A, 5, &bytes);
        assert_eq!(ws.run(&["gate", &asked()]).code, 1);
        let found = codes(&ws.verify_json(&asked()), 5);
        for code in expected {
            assert!(found.contains(&code.to_string()), "{found:?}");
        }
    }
}

#[test]
fn crafted_names_and_links_are_never_followed() {
    let (ws, alice) = setup();
    let good = sign(alice.primary_pair(), &payload(REF, HEX_A));
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join(format!("pallet-rust@sha256={HEX_A}"))).unwrap();
    std::fs::write(
        outside
            .path()
            .join(format!("pallet-rust@sha256={HEX_A}/signature-1")),
        &good,
    )
    .unwrap();
    std::fs::write(outside.path().join("sig"), &good).unwrap();
    // A symlinked namespace directory pointing outside the tree.
    std::fs::create_dir_all(ws.path().join("signatures")).unwrap();
    std::os::unix::fs::symlink(outside.path(), ws.path().join("signatures/stagex")).unwrap();
    let run = ws.run(&["gate", "--threshold", "1", &asked()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("symlink"), "{run:?}");
    // A signing refuses to write through it.
    let key = ws.key_file(&alice);
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &asked(),
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        std::fs::read_dir(outside.path().join(format!("pallet-rust@sha256={HEX_A}")))
            .unwrap()
            .count(),
        1
    );
    std::fs::remove_file(ws.path().join("signatures/stagex")).unwrap();
    // A symlinked signature file.
    std::os::unix::fs::symlink(outside.path().join("sig"), ws.path().join("sig-link")).unwrap();
    ws.put("pallet-rust", HEX_A, 1, b"x");
    std::fs::remove_file(ws.image_dir("pallet-rust", HEX_A).join("signature-1")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("sig"),
        ws.image_dir("pallet-rust", HEX_A).join("signature-1"),
    )
    .unwrap();
    assert_eq!(
        codes(&ws.verify_json(&asked()), 1),
        vec!["not-a-regular-file"]
    );
    // Directory names with `..`, a unicode look-alike, or an uppercase digest: named, never counted.
    for dir in [
        format!("signatures/stagex/..@sha256={HEX_A}"),
        format!("signatures/st\u{0430}gex/pallet-rust@sha256={HEX_A}"),
        format!(
            "signatures/stagex/pallet-rust@sha256={}",
            HEX_B.to_uppercase()
        ),
    ] {
        let path = ws.path().join(&dir);
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(path.join("signature-1"), &good).unwrap();
    }
    let run = ws.run(&["audit", "--json"]);
    assert_eq!(run.code, 1);
    let ledger: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let malformed: Vec<&str> = ledger["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "malformed-directory")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        malformed
            .iter()
            .any(|p| p.ends_with(&format!("..@sha256={HEX_A}"))),
        "{malformed:?}"
    );
    assert!(
        malformed.iter().any(|p| p.contains("st\u{0430}gex")),
        "{malformed:?}"
    );
    assert!(
        malformed.iter().any(|p| p.contains(&HEX_B.to_uppercase())),
        "{malformed:?}"
    );
    // References that try to leave the tree are bad input.
    for bad in [
        format!("stagex/../x:1@sha256:{HEX_A}"),
        format!("/stagex/x:1@sha256:{HEX_A}"),
        format!("st\u{0430}gex/x:1@sha256:{HEX_A}"),
    ] {
        assert_eq!(ws.run(&["verify", &bad]).code, 2, "{bad}");
    }
    assert!(quorate::format::reference::Reference::parse("stagex/a\0b:1").is_err());
    assert!(quorate::workspace::tree::parse_image_dir(&format!("a\0b@sha256={HEX_A}")).is_none());
}

#[test]
fn crafted_trust_roots_and_layouts_are_input_errors() {
    let (ws, alice) = setup();
    let maintainers = std::fs::read_to_string(ws.path().join("MAINTAINERS")).unwrap();
    std::fs::write(
        ws.path().join("MAINTAINERS"),
        format!(
            "{maintainers}[people.mallory]\n[keys.mallory.k]\nid = \"{}\"\n",
            alice.fingerprint()
        ),
    )
    .unwrap();
    let run = ws.run(&["gate", &asked()]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("listed under two people"), "{run:?}");
    // An OCI layout whose index points outside blobs/.
    let layout = ws.path().join("out/evil");
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    std::fs::write(
        layout.join("index.json"),
        r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../../../../etc/passwd","size":1}]}"#,
    )
    .unwrap();
    let run = ws.run(&["digests", "compute", "out"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("descriptor digest"), "{run:?}");
}
