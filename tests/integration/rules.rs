//! Each rule of "what counts toward the threshold", shown by a case that passes only because the
//! rule is enforced.

use std::time::{Duration, SystemTime};

use sequoia_openpgp as openpgp;

use openpgp::types::{HashAlgorithm, KeyFlags, ReasonForRevocation};

use crate::common::*;

fn good(key: &TestKey) -> Vec<u8> {
    sign(key.primary_pair(), &payload(REF, HEX_A))
}

fn gate(ws: &Ws) -> Run {
    ws.run(&["gate", &asked()])
}

/// alice's valid signature-1 beside `second` as signature-2: the gate's exit status and
/// signature-2's reason codes.
fn beside_alice(ws: &Ws, alice: &TestKey, second: &[u8]) -> (i32, Vec<String>) {
    ws.put("pallet-rust", HEX_A, 1, &good(alice));
    ws.put("pallet-rust", HEX_A, 2, second);
    (gate(ws).code, codes(&ws.verify_json(&asked()), 2))
}

/// A signature of the expected payload made at `at` with `hash`.
fn signed_at(key: &TestKey, at: SystemTime, hash: HashAlgorithm) -> Vec<u8> {
    sign_at(key.primary_pair(), &payload(REF, HEX_A), at, hash)
}

#[test]
fn two_valid_maintainers_pass() {
    let (ws, [alice, bob]) = pair();
    ws.put("pallet-rust", HEX_A, 1, &good(&alice));
    ws.put("pallet-rust", HEX_A, 2, &good(&bob));
    let run = gate(&ws);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("2 of 2 (alice, bob)"), "{}", run.stdout);
    let run = ws.run(&["verify", &asked()]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn a_gap_hides_what_follows() {
    let (ws, [alice, bob]) = pair();
    ws.put("pallet-rust", HEX_A, 1, &good(&alice));
    ws.put("pallet-rust", HEX_A, 3, &good(&bob));
    let run = gate(&ws);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("Minimum signatures not met"),
        "{}",
        run.stdout
    );
    let report = ws.verify_json(&asked());
    assert_eq!(codes(&report, 3), vec!["after-gap"]);
    assert_eq!(ws.run(&["verify", &asked()]).code, 1);
}

#[test]
fn one_maintainer_counts_once_across_files_keys_and_subkeys() {
    let key1 = TestKey::new("alice1");
    let key2 = TestKey::with_signing_subkey("alice2");
    let bob = TestKey::new("bob");
    let ws = Ws::new(&[("alice", &[&key1, &key2]), ("bob", &[&bob])]);
    ws.put("pallet-rust", HEX_A, 1, &good(&key1));
    ws.put(
        "pallet-rust",
        HEX_A,
        2,
        &sign(key2.subkey_pair(), &payload(REF, HEX_A)),
    );
    ws.put("pallet-rust", HEX_A, 3, &good(&key1));
    let run = gate(&ws);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains(": 1 of 2 (alice); not yet signed by: bob"),
        "{}",
        run.stdout
    );
    // Every file is valid, so verify passes and reports the repeats.
    let report = ws.verify_json(&asked());
    assert_eq!(ws.run(&["verify", &asked()]).code, 0);
    assert_eq!(codes(&report, 2), vec!["duplicate-maintainer"]);
    assert_eq!(codes(&report, 3), vec!["duplicate-maintainer"]);
    assert_eq!(report["signers"], serde_json::json!(["alice"]));
}

#[test]
fn a_subkey_signature_counts_for_its_owner() {
    let alice = TestKey::with_signing_subkey("alice");
    let bob = TestKey::new("bob");
    let ws = Ws::new(&[("alice", &[&alice]), ("bob", &[&bob])]);
    ws.put(
        "pallet-rust",
        HEX_A,
        1,
        &sign(alice.subkey_pair(), &payload(REF, HEX_A)),
    );
    ws.put("pallet-rust", HEX_A, 2, &good(&bob));
    assert_eq!(gate(&ws).code, 0);
    let report = ws.verify_json(&asked());
    assert_eq!(report["files"][0]["maintainer"], "alice");
    assert_eq!(
        report["files"][0]["primary_fingerprint"],
        alice.fingerprint()
    );
    assert_eq!(report["files"][0]["by_subkey"], true);
}

#[test]
fn a_key_not_in_maintainers_does_not_count() {
    let (ws, [alice, _bob]) = pair();
    let mallory = TestKey::new("mallory");
    ws.add_cert(&mallory);
    assert_eq!(
        beside_alice(&ws, &alice, &good(&mallory)),
        (1, vec!["not-a-maintainer".into()])
    );
}

#[test]
fn an_issuer_without_certificate_does_not_count() {
    let (ws, [alice, bob]) = pair();
    std::fs::remove_file(ws.path().join("keyring/bob.asc")).unwrap();
    let stranger = TestKey::new("stranger");
    ws.put("pallet-rust", HEX_A, 1, &good(&alice));
    ws.put("pallet-rust", HEX_A, 2, &good(&bob));
    ws.put("pallet-rust", HEX_A, 3, &good(&stranger));
    assert_eq!(gate(&ws).code, 1);
    let report = ws.verify_json(&asked());
    assert_eq!(codes(&report, 2), vec!["maintainer-certificate-missing"]);
    assert_eq!(codes(&report, 3), vec!["unknown-issuer"]);
}

#[test]
fn a_tampered_payload_does_not_count() {
    let (ws, [alice, bob]) = pair();
    let mut bytes = good(&bob);
    // The digest's last hex digit inside the literal data: still a valid payload, wrong signature.
    let at = bytes
        .windows(64)
        .position(|w| w == HEX_A.as_bytes())
        .unwrap()
        + 63;
    bytes[at] = if bytes[at] == b'8' { b'9' } else { b'8' };
    let (code, found) = beside_alice(&ws, &alice, &bytes);
    assert_eq!(code, 1);
    assert!(found.contains(&"bad-signature".to_string()), "{found:?}");
}

#[test]
fn sha1_never_counts() {
    let (ws, [alice, bob]) = pair();
    let at = SystemTime::now() - Duration::from_secs(60);
    let (code, found) = beside_alice(&ws, &alice, &signed_at(&bob, at, HashAlgorithm::SHA1));
    assert_eq!(code, 1);
    assert!(found.contains(&"weak-hash".to_string()), "{found:?}");
}

#[test]
fn sha512_counts() {
    let (ws, [alice, bob]) = pair();
    let at = SystemTime::now() - Duration::from_secs(60);
    assert_eq!(
        beside_alice(&ws, &alice, &signed_at(&bob, at, HashAlgorithm::SHA512)),
        (0, vec![])
    );
}

#[test]
fn a_hard_revocation_voids_earlier_signatures() {
    let (ws, [alice, mut bob]) = pair();
    ws.put("pallet-rust", HEX_A, 1, &good(&alice));
    ws.put("pallet-rust", HEX_A, 2, &good(&bob));
    assert_eq!(gate(&ws).code, 0);
    bob.revoke(ReasonForRevocation::KeyCompromised);
    ws.add_cert(&bob);
    assert_eq!(gate(&ws).code, 1);
    assert!(codes(&ws.verify_json(&asked()), 2).contains(&"key-revoked".to_string()));
}

#[test]
fn a_revocation_without_reason_is_hard() {
    let (ws, [alice, mut bob]) = pair();
    ws.put("pallet-rust", HEX_A, 1, &good(&alice));
    ws.put("pallet-rust", HEX_A, 2, &good(&bob));
    bob.revoke(ReasonForRevocation::Unspecified);
    ws.add_cert(&bob);
    assert!(codes(&ws.verify_json(&asked()), 2).contains(&"key-revoked".to_string()));
}

#[test]
fn a_key_retired_since_signing_no_longer_counts() {
    let (ws, [alice, mut bob]) = pair();
    ws.put("pallet-rust", HEX_A, 1, &good(&alice));
    ws.put("pallet-rust", HEX_A, 2, &good(&bob));
    bob.revoke(ReasonForRevocation::KeyRetired);
    ws.add_cert(&bob);
    assert_eq!(gate(&ws).code, 1);
    assert_eq!(codes(&ws.verify_json(&asked()), 2), vec!["key-retired"]);
}

#[test]
fn a_key_expired_since_signing_no_longer_counts_and_renewal_revives_it() {
    let (ws, [alice, mut bob]) = pair();
    let now = SystemTime::now();
    // bob's key (created 30 days ago) expired 10 days ago; he signed 15 days ago.
    bob.set_expiry(Some(days(20)), now - days(29));
    ws.add_cert(&bob);
    ws.put("pallet-rust", HEX_A, 1, &good(&alice));
    let bytes = sign_at(
        bob.primary_pair(),
        &payload(REF, HEX_A),
        now - days(15),
        HashAlgorithm::SHA256,
    );
    ws.put("pallet-rust", HEX_A, 2, &bytes);
    assert_eq!(gate(&ws).code, 1);
    assert_eq!(codes(&ws.verify_json(&asked()), 2), vec!["key-expired"]);
    // Extending the expiry revives the signature.
    bob.set_expiry(Some(days(400)), now - days(1));
    ws.add_cert(&bob);
    assert_eq!(gate(&ws).code, 0, "{:?}", ws.verify_json(&asked()));
}

#[test]
fn a_signature_made_while_the_key_had_lapsed_does_not_count() {
    let (ws, [alice, mut bob]) = pair();
    let now = SystemTime::now();
    // Expired 20 days ago (10 days after creation), renewed 5 days ago: alive now, but not 15
    // days ago when this signature claims to have been made.
    bob.set_expiry(Some(days(10)), now - days(29));
    bob.set_expiry(Some(days(400)), now - days(5));
    ws.add_cert(&bob);
    ws.put("pallet-rust", HEX_A, 1, &good(&alice));
    let bytes = sign_at(
        bob.primary_pair(),
        &payload(REF, HEX_A),
        now - days(15),
        HashAlgorithm::SHA256,
    );
    ws.put("pallet-rust", HEX_A, 2, &bytes);
    assert_eq!(gate(&ws).code, 1);
    assert_eq!(
        codes(&ws.verify_json(&asked()), 2),
        vec!["key-not-alive-at-signing"]
    );
}

#[test]
fn a_signature_dated_before_its_key_existed_does_not_count() {
    let (ws, [alice, bob]) = pair();
    let before = SystemTime::now() - days(60);
    let (code, found) = beside_alice(&ws, &alice, &signed_at(&bob, before, HashAlgorithm::SHA256));
    assert_eq!(code, 1);
    assert!(
        found.contains(&"key-not-yet-created".to_string()),
        "{found:?}"
    );
}

#[test]
fn a_key_not_marked_for_signing_does_not_count() {
    let alice = TestKey::new("alice");
    let bob = TestKey::build("bob", |b| {
        b.set_primary_key_flags(KeyFlags::empty().set_certification())
    });
    let ws = Ws::new(&[("alice", &[&alice]), ("bob", &[&bob])]);
    assert_eq!(
        beside_alice(&ws, &alice, &good(&bob)),
        (1, vec!["key-not-signing-capable".into()])
    );
}

#[test]
fn a_signature_from_the_future_does_not_count() {
    let (ws, [alice, bob]) = pair();
    let later = SystemTime::now() + days(2);
    let (code, found) = beside_alice(&ws, &alice, &signed_at(&bob, later, HashAlgorithm::SHA256));
    assert_eq!(code, 1);
    assert!(
        found.contains(&"signature-in-future".to_string()),
        "{found:?}"
    );
}

#[test]
fn the_payload_must_name_the_digest_asked_for() {
    let (ws, [alice, bob]) = pair();
    // bob's signature of another digest, copied into this digest's directory.
    let (code, found) = beside_alice(&ws, &alice, &sign(bob.primary_pair(), &payload(REF, HEX_B)));
    assert_eq!(code, 1);
    assert!(found.contains(&"digest-mismatch".to_string()), "{found:?}");
    assert!(
        found.contains(&"directory-mismatch".to_string()),
        "{found:?}"
    );
}

#[test]
fn the_payload_must_name_the_image_and_tag_asked_for() {
    let (ws, [alice, bob]) = pair();
    let other_tag = sign(
        bob.primary_pair(),
        &payload("docker.io/stagex/pallet-rust:1.1", HEX_A),
    );
    assert_eq!(
        beside_alice(&ws, &alice, &other_tag),
        (1, vec!["reference-mismatch".into()])
    );
    // Asked by digest alone, any tag of the same repository is the same image.
    let by_digest = format!("stagex/pallet-rust@sha256:{HEX_A}");
    assert_eq!(ws.run(&["gate", &by_digest]).code, 0);
}

#[test]
fn another_repository_does_not_count_even_by_digest() {
    let (ws, [alice, bob]) = pair();
    ws.put("pallet-rust", HEX_A, 1, &good(&alice));
    ws.put(
        "pallet-rust",
        HEX_A,
        2,
        &sign(
            bob.primary_pair(),
            &payload("docker.io/stagex/evil:1.0", HEX_A),
        ),
    );
    let by_digest = format!("stagex/pallet-rust@sha256:{HEX_A}");
    assert_eq!(ws.run(&["gate", &by_digest]).code, 1);
    let found = codes(&ws.verify_json(&by_digest), 2);
    assert!(
        found.contains(&"reference-mismatch".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"directory-mismatch".to_string()),
        "{found:?}"
    );
}

#[test]
fn short_references_match_after_normalization() {
    let (ws, [alice, bob]) = pair();
    // StageX writes the short form.
    ws.put(
        "pallet-rust",
        HEX_A,
        1,
        &sign(
            alice.primary_pair(),
            &payload("stagex/pallet-rust:1.0", HEX_A),
        ),
    );
    ws.put("pallet-rust", HEX_A, 2, &good(&bob));
    assert_eq!(gate(&ws).code, 0);
    assert_eq!(
        ws.run(&[
            "gate",
            &format!("docker.io/stagex/pallet-rust:1.0@sha256:{HEX_A}")
        ])
        .code,
        0
    );
}

#[test]
fn a_name_without_tag_is_never_a_signed_identity() {
    let (ws, [alice, bob]) = pair();
    ws.put("pallet-rust", HEX_A, 1, &good(&alice));
    ws.put(
        "pallet-rust",
        HEX_A,
        2,
        &sign(bob.primary_pair(), &payload("stagex/pallet-rust", HEX_A)),
    );
    let by_digest = format!("stagex/pallet-rust@sha256:{HEX_A}");
    assert_eq!(ws.run(&["gate", &by_digest]).code, 1);
    assert!(codes(&ws.verify_json(&by_digest), 2).contains(&"reference-without-tag".to_string()));
}

#[test]
fn payloads_are_parsed_strictly() {
    let (ws, [alice, bob]) = pair();
    let text = String::from_utf8(payload(REF, HEX_A)).unwrap();
    let cases = [
        (
            text.replace(r#""optional":{}"#, r#""optional":{},"extra":1"#),
            "payload-schema",
        ),
        (
            text.replace(r#""optional":{}"#, r#""optional":{},"optional":{}"#),
            "payload-duplicate-key",
        ),
        (
            text.replace(
                "atomic container signature",
                "pgp container image signature",
            ),
            "payload-wrong-type",
        ),
        (
            text.replace(HEX_A, &HEX_A.to_uppercase()),
            "payload-bad-digest",
        ),
        (format!("{text}]"), "payload-not-json"),
    ];
    for (bad, code) in cases {
        let signed = sign(bob.primary_pair(), bad.as_bytes());
        assert_eq!(
            beside_alice(&ws, &alice, &signed),
            (1, vec![code.to_string()]),
            "{code}"
        );
    }
}

#[test]
fn a_file_must_be_one_binary_signed_message_with_one_signature() {
    let (ws, [alice, bob]) = pair();
    ws.put("pallet-rust", HEX_A, 1, &good(&alice));
    let signed = good(&bob);
    let mut armored = Vec::new();
    {
        use std::io::Write;
        let mut w =
            openpgp::armor::Writer::new(&mut armored, openpgp::armor::Kind::Message).unwrap();
        w.write_all(&signed).unwrap();
        w.finalize().unwrap();
    }
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "empty-file"),
        (armored, "ascii-armored"),
        (b"garbage".to_vec(), "not-openpgp"),
        (signed[..signed.len() - 40].to_vec(), "truncated-message"),
        (two_signatures(&alice, &bob), "multiple-signatures"),
        (detached(&bob), "detached-signature"),
    ];
    for (bytes, code) in cases {
        assert_eq!(
            beside_alice(&ws, &alice, &bytes),
            (1, vec![code.to_string()]),
            "{code}"
        );
    }
}

fn two_signatures(a: &TestKey, b: &TestKey) -> Vec<u8> {
    use openpgp::serialize::stream::{LiteralWriter, Message, Signer};
    use std::io::Write;
    let mut sink = Vec::new();
    {
        let message = Message::new(&mut sink);
        let signer = Signer::new(message, a.primary_pair())
            .unwrap()
            .add_signer(b.primary_pair())
            .unwrap()
            .build()
            .unwrap();
        let mut literal = LiteralWriter::new(signer).build().unwrap();
        literal.write_all(&payload(REF, HEX_A)).unwrap();
        literal.finalize().unwrap();
    }
    sink
}

fn detached(key: &TestKey) -> Vec<u8> {
    use openpgp::serialize::stream::{Message, Signer};
    use std::io::Write;
    let mut sink = Vec::new();
    {
        let message = Message::new(&mut sink);
        let mut signer = Signer::new(message, key.primary_pair())
            .unwrap()
            .detached()
            .build()
            .unwrap();
        signer.write_all(&payload(REF, HEX_A)).unwrap();
        signer.finalize().unwrap();
    }
    sink
}

#[test]
fn files_over_4_mib_do_not_count() {
    let (ws, [alice, bob]) = pair();
    let mut big = good(&bob);
    big.resize(5 * 1024 * 1024, 0);
    assert_eq!(
        beside_alice(&ws, &alice, &big),
        (1, vec!["too-large".into()])
    );
}

#[test]
fn only_the_first_128_files_are_considered() {
    let (ws, [alice, bob]) = pair();
    let mine = good(&alice);
    for n in 1..=128 {
        ws.put("pallet-rust", HEX_A, n, &mine);
    }
    ws.put("pallet-rust", HEX_A, 129, &good(&bob));
    assert_eq!(gate(&ws).code, 1);
    let report = ws.verify_json(&asked());
    assert_eq!(
        codes(&report, 129),
        vec!["too-many-signatures", "beyond-limit"]
    );
    // 128 from signature-1 on: current podman refuses the whole image, so nothing counts.
    assert_eq!(codes(&report, 1), vec!["too-many-signatures"]);
    assert_eq!(report["signers"].as_array().unwrap().len(), 0);
    // 127 is what every podman pulls: they count, once.
    std::fs::remove_file(ws.image_dir("pallet-rust", HEX_A).join("signature-128")).unwrap();
    let report = ws.verify_json(&asked());
    assert_eq!(report["signers"], serde_json::json!(["alice"]));
}

#[test]
fn a_symlinked_signature_is_never_followed() {
    let (ws, [alice, bob]) = pair();
    ws.put("pallet-rust", HEX_A, 1, &good(&alice));
    let outside = ws.path().join("bob.sig");
    std::fs::write(&outside, good(&bob)).unwrap();
    std::os::unix::fs::symlink(
        &outside,
        ws.image_dir("pallet-rust", HEX_A).join("signature-2"),
    )
    .unwrap();
    assert_eq!(gate(&ws).code, 1);
    assert_eq!(
        codes(&ws.verify_json(&asked()), 2),
        vec!["not-a-regular-file"]
    );
}
