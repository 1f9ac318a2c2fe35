//! Keys that are not what they seem: a certificate carrying another person's key, a designated
//! revoker's revocation, a renewed certificate exported without its older self-signatures. Each
//! case is judged by the real binary on keys made here (and, where a consumer's verdict is the
//! point, by skopeo and gpg too).

use std::time::{Duration, SystemTime};

use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::packet::Packet;
use openpgp::parse::Parse;
use openpgp::types::{KeyFlags, ReasonForRevocation, RevocationKey};

use crate::common::*;

/// Bob's signature stays Bob's, whatever Alice's certificate carries: it counts for him, keyring
/// check and keyring import name the clash, and Alice cannot withdraw it.
#[test]
fn a_certificate_carrying_anothers_key_never_takes_their_signature() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let auth = KeyFlags::empty().set_authentication();
    for (case, crafted) in [
        ("unbound", carrying(&alice, &bob, None)),
        (
            "bound for authentication",
            carrying(&alice, &bob, Some(auth)),
        ),
    ] {
        // The crafted certificate really carries Bob's key, and it parses back as such.
        let parsed = Cert::from_bytes(&armored(&crafted.cert)).unwrap();
        assert!(
            parsed
                .keys()
                .subkeys()
                .any(|k| k.key().fingerprint() == bob.cert.fingerprint()),
            "{case}"
        );
        let ws = Ws::new(&[("alice", &[&alice]), ("bob", &[&bob])]);
        // alice.asc sorts (and is read) before bob.asc: the first copy found must not win.
        ws.add_cert(&crafted);
        ws.put(
            "pallet-rust",
            HEX_A,
            1,
            &sign(bob.primary_pair(), &payload(REF, HEX_A)),
        );

        let report = ws.verify_json(&asked());
        assert_eq!(report["files"][0]["counts"], true, "{case}: {report}");
        assert_eq!(report["files"][0]["maintainer"], "bob", "{case}: {report}");
        let gate = ws.run(&["gate", "--threshold", "1", &asked()]);
        assert_eq!(gate.code, 0, "{case}: {gate:?}");

        // keyring check: an error naming the key and both certificates.
        let check = ws.run(&["keyring", "check"]);
        assert_eq!(check.code, 1, "{case}: {check:?}");
        let out = format!("{}{}", check.stdout, check.stderr);
        assert!(
            out.contains(&bob.fingerprint())
                && out.contains(&alice.fingerprint())
                && out.contains("keyring/alice.asc")
                && out.contains("keyring/bob.asc"),
            "{case}: {out}"
        );

        // Alice's withdraw finds nothing of hers, and Bob's signature stays.
        let key = ws.key_file(&alice);
        let run = ws.run(&["withdraw", &asked(), "--key", key.to_str().unwrap()]);
        assert_ne!(run.code, 0, "{case}: {run:?}");
        assert!(ws
            .image_dir("pallet-rust", HEX_A)
            .join("signature-1")
            .exists());
        assert!(!ws.path().join("signatures/.quorate").exists(), "{case}");

        // keyring import of the crafted certificate into a clean keyring: refused, naming both,
        // nothing written.
        ws.add_cert(&alice);
        std::fs::write(ws.path().join("crafted.asc"), armored(&crafted.cert)).unwrap();
        let saved = std::fs::read(ws.path().join("keyring/alice.asc")).unwrap();
        let run = ws.run(&["keyring", "import", "crafted.asc"]);
        assert_eq!(run.code, 1, "{case}: {run:?}");
        assert!(
            run.stderr.contains("crafted.asc")
                && run.stderr.contains(&bob.fingerprint())
                && run.stderr.contains(&alice.fingerprint()),
            "{case}: {run:?}"
        );
        assert_eq!(run.stderr.trim().lines().count(), 1, "{run:?}");
        assert_eq!(
            std::fs::read(ws.path().join("keyring/alice.asc")).unwrap(),
            saved
        );
        assert_eq!(ws.run(&["keyring", "check"]).code, 0, "{case}");
    }
}

/// A maintainer's primary key inside another maintainer's certificate is refused by import even
/// when the two arrive together in one import.
#[test]
fn keyring_import_refuses_one_key_in_two_incoming_certificates() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let ws = Ws::new(&[("alice", &[&alice]), ("bob", &[&bob])]);
    std::fs::remove_file(ws.path().join("keyring/alice.asc")).unwrap();
    std::fs::remove_file(ws.path().join("keyring/bob.asc")).unwrap();
    let crafted = carrying(&alice, &bob, None);
    let mut both = armored(&crafted.cert);
    both.extend(armored(&bob.cert));
    std::fs::write(ws.path().join("both.asc"), both).unwrap();
    let run = ws.run(&["keyring", "import", "both.asc"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains(&bob.fingerprint()), "{run:?}");
    assert_eq!(
        std::fs::read_dir(ws.path().join("keyring"))
            .unwrap()
            .count(),
        0
    );
}

/// Bob named Carol his designated revoker; Carol's revocation is as good as his own.
#[test]
fn a_designated_revokers_revocation_is_honoured() {
    let carol = TestKey::new("carol");
    let alice = TestKey::new("alice");
    let designating = |name: &str| {
        let revoker: RevocationKey = (&carol.cert).into();
        TestKey::build(name, move |b| b.set_revocation_keys(vec![revoker]))
    };
    let revoked_by = |key: &TestKey, by: &TestKey, reason| TestKey {
        name: key.name.clone(),
        cert: cert_revoked_by(&key.cert, by, reason, b"revoked by a designated revoker"),
    };
    let signed_a_day_ago = |key: &TestKey| {
        sign_at(
            key.primary_pair(),
            &payload(REF, HEX_A),
            SystemTime::now() - days(1),
            openpgp::types::HashAlgorithm::SHA256,
        )
    };

    for (reason, code) in [
        (ReasonForRevocation::KeyCompromised, Some("key-revoked")),
        (ReasonForRevocation::KeyRetired, Some("key-retired")),
    ] {
        let bob = designating("bob");
        let revoked = revoked_by(&bob, &carol, reason);
        let ws = Team::of([&alice, &bob, &carol]).ws();
        ws.put("pallet-rust", HEX_A, 1, &signed_a_day_ago(&bob));
        assert_eq!(ws.run(&["gate", "--threshold", "1", &asked()]).code, 0);
        ws.add_cert(&revoked);
        let report = ws.verify_json(&asked());
        assert_eq!(report["files"][0]["counts"], false, "{reason:?}: {report}");
        assert!(
            codes(&report, 1).contains(&code.unwrap().to_string()),
            "{report}"
        );
        assert_eq!(ws.run(&["gate", "--threshold", "1", &asked()]).code, 1);
        let check = ws.run(&["keyring", "check"]);
        assert!(
            check.stdout.contains("designated revoker"),
            "{reason:?}: {check:?}"
        );
        // As of before a soft revocation, the signature counted; a hard one voids it always.
        let before = chrono::Utc::now() - chrono::Duration::hours(12);
        let as_of = before.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let run = ws.run(&["gate", "--threshold", "1", "--as-of", &as_of, &asked()]);
        let expected = if reason == ReasonForRevocation::KeyRetired {
            0
        } else {
            1
        };
        assert_eq!(run.code, expected, "{reason:?}: {run:?}");

        // A revocation by someone Bob did not designate (a maintainer too) changes nothing; nor
        // does Carol's revocation while her own certificate is not in the keyring.
        let by_alice = revoked_by(&bob, &alice, ReasonForRevocation::KeyCompromised);
        ws.add_cert(&by_alice);
        assert_eq!(ws.run(&["gate", "--threshold", "1", &asked()]).code, 0);
        ws.add_cert(&revoked);
        std::fs::remove_file(ws.path().join("keyring/carol.asc")).unwrap();
        let report = ws.verify_json(&asked());
        assert_eq!(report["files"][0]["counts"], true, "{report}");
    }
}

/// skopeo (GPGME) refuses a signature whose key its designated revoker revoked; quorate agrees.
#[test]
fn skopeo_and_quorate_agree_on_a_designated_revocation() {
    if !have("skopeo") || !have("gpg") {
        return;
    }
    let carol = TestKey::new("carol");
    let revoker: RevocationKey = (&carol.cert).into();
    let bob = TestKey::build("bob", move |b| b.set_revocation_keys(vec![revoker]));
    let revoked = cert_revoked_by(
        &bob.cert,
        &carol,
        ReasonForRevocation::KeyCompromised,
        b"lost",
    );

    let manifest =
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
    let digest = hex_sha256(manifest);
    let signature = sign(bob.primary_pair(), &payload(REF, &digest));

    let g = Gnupg::new();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let manifest_file = write("manifest.json", manifest);
    let sig_file = write("signature-1", &signature);
    g.gpg(&[
        "--import",
        write("carol.asc", &carol.public()).to_str().unwrap(),
    ]);
    g.gpg(&[
        "--import",
        write("bob.asc", &armored(&revoked)).to_str().unwrap(),
    ]);
    let skopeo = g
        .cmd("skopeo")
        .args([
            "standalone-verify",
            manifest_file.to_str().unwrap(),
            REF,
            &bob.fingerprint().to_uppercase(),
            sig_file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!skopeo.status.success(), "skopeo accepted a revoked key");

    let ws = Ws::new(&[("bob", &[&bob]), ("carol", &[&carol])]);
    std::fs::write(ws.path().join("keyring/bob.asc"), armored(&revoked)).unwrap();
    ws.put("pallet-rust", &digest, 1, &signature);
    let asked = reference(&digest);
    let report = ws.verify_json(&asked);
    assert_eq!(report["files"][0]["counts"], false, "{report}");
    assert!(codes(&report, 1).contains(&"key-revoked".to_string()));
}

/// The certificate with only its newest self-signatures: what `--export-options export-minimal`
/// leaves after a renewal.
fn minimal(cert: &Cert) -> Cert {
    let newest = |sigs: &mut dyn Iterator<Item = &openpgp::packet::Signature>| {
        sigs.max_by_key(|s| s.signature_creation_time()).cloned()
    };
    let mut packets: Vec<Packet> = vec![cert.primary_key().key().clone().into()];
    packets.extend(newest(&mut cert.primary_key().self_signatures()).map(Packet::from));
    packets.extend(
        cert.primary_key()
            .self_revocations()
            .cloned()
            .map(Packet::from),
    );
    for uid in cert.userids() {
        packets.push(uid.userid().clone().into());
        packets.extend(newest(&mut uid.self_signatures()).map(Packet::from));
    }
    for sub in cert.keys().subkeys() {
        packets.push(sub.key().clone().into());
        packets.extend(newest(&mut sub.self_signatures()).map(Packet::from));
    }
    Cert::from_packets(packets.into_iter()).unwrap()
}

fn unix(t: SystemTime) -> String {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string()
}

/// A routine renewal (`gpg --quick-set-expire`, exported minimally) keeps the key's earlier
/// signatures: the key existed and was meant for signing when it signed. With gpg itself, for a
/// primary key that signs and for a smartcard-style signing subkey.
#[test]
fn a_renewed_certificate_exported_minimally_keeps_earlier_signatures() {
    if !have("gpg") {
        return;
    }
    let now = SystemTime::now();
    for subkey in [false, true] {
        let g = Gnupg::new();
        let at = |t: SystemTime| format!("{}!", unix(t));
        let created = at(now - days(30));
        let fpr = g.generate_with(
            "dana",
            subkey,
            "1y",
            &["--faked-system-time", &created, "--passphrase", ""],
        );
        // She signs twenty days ago, then renews today, for the key and every subkey.
        let signature = g
            .gpg_fed(
                &[
                    "--faked-system-time",
                    &at(now - days(20)),
                    "--sign",
                    "--no-armor",
                    "--local-user",
                    &fpr,
                ],
                &payload(REF, HEX_A),
            )
            .stdout;
        assert!(!signature.is_empty());
        g.gpg(&["--passphrase", "", "--quick-set-expire", &fpr, "2y"]);
        if subkey {
            g.gpg(&["--passphrase", "", "--quick-set-expire", &fpr, "2y", "*"]);
        }
        let exported = g.gpg(&["--export", "--export-options", "export-minimal", &fpr]);
        let cert = Cert::from_bytes(&exported).unwrap();
        // The export really holds no self-signature older than the signature.
        let oldest = cert
            .userids()
            .flat_map(|u| u.self_signatures())
            .filter_map(|s| s.signature_creation_time())
            .min()
            .unwrap();
        assert!(oldest > now - days(1), "subkey={subkey}");

        let dana = TestKey {
            name: "dana".into(),
            cert,
        };
        let ws = Ws::new(&[("dana", &[&dana])]);
        ws.put("pallet-rust", HEX_A, 1, &signature);
        let report = ws.verify_json(&asked());
        assert_eq!(
            report["files"][0]["counts"], true,
            "subkey={subkey}: {report}"
        );
        assert_eq!(
            ws.run(&["gate", "--threshold", "1", &asked()]).code,
            0,
            "subkey={subkey}"
        );
    }
}

/// The fallback to the oldest binding is no amnesty: a binding that says the key had expired
/// before it signed, a binding not for signing, and a hard revocation still void the signature.
#[test]
fn a_minimal_certificate_still_voids_what_it_must() {
    let now = SystemTime::now();
    let signed_at = now - days(20);
    let signature = |key: &TestKey| {
        sign_at(
            key.primary_pair(),
            &payload(REF, HEX_A),
            signed_at,
            openpgp::types::HashAlgorithm::SHA256,
        )
    };
    // The only binding (made yesterday) says the key expired five days after its creation, 30
    // days ago: before it signed.
    let mut expired = TestKey::new("dana");
    expired.set_expiry(Some(days(5)), now - days(1));
    expired.cert = minimal(&expired.cert);
    // Renewed minimally, then hard-revoked.
    let mut revoked = TestKey::new("dana");
    revoked.set_expiry(Some(days(400)), now - days(1));
    revoked.cert = minimal(&revoked.cert);
    revoked.revoke(ReasonForRevocation::KeyCompromised);
    // Renewed minimally, and still good: the control.
    let mut renewed = TestKey::new("dana");
    renewed.set_expiry(Some(days(400)), now - days(1));
    renewed.cert = minimal(&renewed.cert);

    for (key, expected) in [
        (&renewed, None),
        (&expired, Some("key-not-alive-at-signing")),
        (&revoked, Some("key-revoked")),
    ] {
        assert!(
            key.cert
                .userids()
                .flat_map(|u| u.self_signatures())
                .all(|s| s.signature_creation_time().unwrap() > signed_at),
            "no binding as old as the signature"
        );
        let ws = Ws::new(&[("dana", &[key])]);
        ws.put("pallet-rust", HEX_A, 1, &signature(key));
        let report = ws.verify_json(&asked());
        match expected {
            None => assert_eq!(report["files"][0]["counts"], true, "{report}"),
            Some(code) => {
                assert_eq!(report["files"][0]["counts"], false, "{report}");
                assert!(codes(&report, 1).contains(&code.to_string()), "{report}");
            }
        }
    }
    // A signature made before the key existed gains nothing either.
    let early = sign_at(
        renewed.primary_pair(),
        &payload(REF, HEX_A),
        now - days(40),
        openpgp::types::HashAlgorithm::SHA256,
    );
    let ws = Ws::new(&[("dana", &[&renewed])]);
    ws.put("pallet-rust", HEX_A, 1, &early);
    let report = ws.verify_json(&asked());
    assert_eq!(report["files"][0]["counts"], false, "{report}");
    let _ = Duration::ZERO;
}
