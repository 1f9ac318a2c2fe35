//! `quorate gate`, the workspace's inputs, and `quorate keyring`.

use crate::common::*;

/// alice, bob and carol; alice and bob signed HEX_A, only alice HEX_B.
fn release() -> (Ws, [TestKey; 3]) {
    let (ws, keys) = team();
    ws.put(
        "pallet-rust",
        HEX_A,
        1,
        &sign(keys[0].primary_pair(), &payload(REF, HEX_A)),
    );
    ws.put(
        "pallet-rust",
        HEX_A,
        2,
        &sign(keys[1].primary_pair(), &payload(REF, HEX_A)),
    );
    ws.put(
        "pallet-rust",
        HEX_B,
        1,
        &sign(keys[0].primary_pair(), &payload(REF, HEX_B)),
    );
    (ws, keys)
}

#[test]
fn the_refusal_names_who_signed_and_who_has_not() {
    let (ws, _) = release();
    let run = ws.run(&["gate", &reference(HEX_A), &reference(HEX_B)]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "Quorate: {}: 2 of 2 (alice, bob)",
            reference(HEX_A)
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "Minimum signatures not met: {}: 1 of 2 (alice); not yet signed by: bob, carol",
            reference(HEX_B)
        )),
        "{}",
        run.stdout
    );
}

#[test]
fn the_command_runs_only_when_the_gate_passes() {
    let (ws, _) = release();
    let marker = ws.path().join("published");
    let touch = ["touch", marker.to_str().unwrap()];
    let run = ws.run(&[&["gate", &reference(HEX_B), "--"][..], &touch].concat());
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!marker.exists());
    // The report goes to stderr when a command runs, so the command owns stdout.
    assert!(run.stderr.contains("Minimum signatures not met"), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");

    let run = ws.run(&[&["gate", &reference(HEX_A), "--"][..], &touch].concat());
    assert_eq!(run.code, 0, "{run:?}");
    assert!(marker.exists());

    let run = ws.run(&[
        "gate",
        &reference(HEX_A),
        "--",
        "sh",
        "-c",
        "echo published; exit 7",
    ]);
    assert_eq!(run.code, 7, "{run:?}");
    assert_eq!(run.stdout, "published\n");
    assert!(run.stderr.contains("Quorate:"), "{run:?}");

    let run = ws.run(&["gate", &reference(HEX_A), "--", "/nonexistent/publish"]);
    assert_eq!(run.code, 127, "{run:?}");
    let run = ws.run(&[
        "gate",
        &reference(HEX_A),
        "--",
        ws.path().join("MAINTAINERS").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 126, "{run:?}");
}

#[test]
fn the_threshold_is_the_larger_of_the_callers_and_the_repositorys() {
    let (ws, keys) = release();
    assert_eq!(
        ws.run(&["gate", &reference(HEX_B), "--threshold", "1"])
            .code,
        0
    );
    assert_eq!(
        ws.run(&["gate", &reference(HEX_A), "--threshold", "3"])
            .code,
        1
    );
    std::fs::write(ws.path().join("quorate.toml"), "threshold = 3\n").unwrap();
    // The repository raises it; the caller cannot lower it.
    let run = ws.run(&["gate", &reference(HEX_A), "--threshold", "1"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("2 of 3"), "{}", run.stdout);
    ws.put(
        "pallet-rust",
        HEX_A,
        3,
        &sign(keys[2].primary_pair(), &payload(REF, HEX_A)),
    );
    assert_eq!(ws.run(&["gate", &reference(HEX_A)]).code, 0);
    std::fs::write(ws.path().join("quorate.toml"), "treshold = 3\n").unwrap();
    let run = ws.run(&["gate", &reference(HEX_A)]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("quorate.toml"), "{run:?}");
}

#[test]
fn gate_json_reports_each_image() {
    let (ws, _) = release();
    let run = ws.run(&["gate", "--json", &reference(HEX_A), &reference(HEX_B)]);
    assert_eq!(run.code, 1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["passed"], false);
    assert_eq!(json["threshold"], 2);
    assert_eq!(json["images"][0]["quorate"], true);
    assert_eq!(json["images"][1]["signers"], serde_json::json!(["alice"]));
    assert_eq!(
        json["images"][1]["missing"],
        serde_json::json!(["bob", "carol"])
    );
}

#[test]
fn verify_needs_at_least_one_file() {
    let (ws, _) = release();
    let hex = "0".repeat(64);
    let run = ws.run(&["verify", &reference(&hex)]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("no signatures"), "{}", run.stdout);
    assert_eq!(
        ws.run(&["gate", &reference(&hex), "--threshold", "1"]).code,
        1
    );
}

#[test]
fn verify_lists_every_reason_of_every_file() {
    let (ws, keys) = release();
    let mallory = TestKey::new("mallory");
    ws.add_cert(&mallory);
    // Not a maintainer, and signs another digest: two reasons.
    ws.put(
        "pallet-rust",
        HEX_A,
        3,
        &sign(mallory.primary_pair(), &payload(REF, HEX_B)),
    );
    let run = ws.run(&["verify", &reference(HEX_A)]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("[not-a-maintainer]"), "{}", run.stdout);
    assert!(run.stdout.contains("[digest-mismatch]"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("valid    alice  {}", keys[0].fingerprint())),
        "{}",
        run.stdout
    );
}

#[test]
fn malformed_inputs_are_named_on_one_line_with_exit_2() {
    let (ws, keys) = release();
    let maintainers = std::fs::read_to_string(ws.path().join("MAINTAINERS")).unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "MAINTAINERS",
            "[people.x\n".into(),
            "MAINTAINERS:1:10: invalid table header",
        ),
        (
            "MAINTAINERS",
            format!(
                "{maintainers}[people.dup]\n[keys.dup.k]\nid = \"{}\"\n",
                keys[0].fingerprint()
            ),
            "listed under two people",
        ),
        (
            "keyring/broken.asc",
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnonsense\n".into(),
            "keyring/broken.asc: ",
        ),
    ];
    for (file, content, expected) in cases {
        let path = ws.path().join(file);
        let saved = std::fs::read(&path).ok();
        std::fs::write(&path, content).unwrap();
        for args in [
            vec!["gate", &reference(HEX_A) as &str],
            vec!["keyring", "check"],
        ] {
            let run = ws.run(&args);
            assert_eq!(run.code, 2, "{file}: {run:?}");
            // One line, but for a TOML syntax error: then the line at fault and a caret follow.
            let lines = if expected.contains(":1:10:") { 3 } else { 1 };
            assert_eq!(run.stderr.lines().count(), lines, "{file}: {run:?}");
            assert!(
                run.stderr.lines().next().unwrap().contains(expected),
                "{file}: {run:?}"
            );
        }
        match saved {
            Some(bytes) => std::fs::write(&path, bytes).unwrap(),
            None => std::fs::remove_file(&path).unwrap(),
        }
    }
    let run = ws.run(&["--workspace", "/nonexistent", "gate", &reference(HEX_A)]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("/nonexistent"), "{run:?}");
}

#[test]
fn the_trust_root_can_come_from_outside_the_repository() {
    let (ws, keys) = release();
    // The repository's own MAINTAINERS is tampered with: mallory listed, bob removed.
    let pinned = tempfile::tempdir().unwrap();
    std::fs::copy(
        ws.path().join("MAINTAINERS"),
        pinned.path().join("MAINTAINERS"),
    )
    .unwrap();
    std::fs::create_dir(pinned.path().join("keys")).unwrap();
    for key in &keys {
        std::fs::write(
            pinned.path().join(format!("keys/{}.asc", key.name)),
            key.public(),
        )
        .unwrap();
    }
    std::fs::write(ws.path().join("MAINTAINERS"), "[people.mallory]\n").unwrap();
    assert_eq!(ws.run(&["gate", &reference(HEX_A)]).code, 1);
    let m = pinned.path().join("MAINTAINERS");
    let k = pinned.path().join("keys");
    let run = ws.run(&[
        "--maintainers",
        m.to_str().unwrap(),
        "--keyring",
        k.to_str().unwrap(),
        "gate",
        &reference(HEX_A),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn the_same_certificate_in_two_files_is_merged() {
    let (ws, keys) = release();
    let mut both = keys[1].public();
    both.extend_from_slice(&keys[0].public());
    std::fs::write(ws.path().join("keyring/all.asc"), both).unwrap();
    assert_eq!(ws.run(&["gate", &reference(HEX_A)]).code, 0);
    let run = ws.run(&["keyring", "check"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("3 certificates"), "{}", run.stdout);
}

#[test]
fn keyring_check_names_every_inconsistency() {
    let (ws, mut keys) = release();
    let run = ws.run(&["keyring", "check"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout.matches("ok ").count(), 3, "{}", run.stdout);

    // carol's key expired, bob's revoked: named, but not errors.
    let now = std::time::SystemTime::now();
    keys[2].set_expiry(Some(days(5)), now - days(29));
    ws.add_cert(&keys[2]);
    keys[1].revoke(sequoia_openpgp::types::ReasonForRevocation::KeyRetired);
    ws.add_cert(&keys[1]);
    let run = ws.run(&["keyring", "check"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .lines()
            .any(|l| l.contains("carol") && l.contains("expired")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.contains("bob") && l.contains("revoked")),
        "{}",
        run.stdout
    );

    // A certificate no maintainer holds, and a maintainer key with no certificate: errors.
    ws.add_cert(&TestKey::new("mallory"));
    std::fs::remove_file(ws.path().join("keyring/alice.asc")).unwrap();
    let run = ws.run(&["keyring", "check"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("error") && l.contains("alice") && l.contains("no certificate")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.lines().any(|l| l.starts_with("error")
            && l.contains("mallory")
            && l.contains("not a maintainer")),
        "{}",
        run.stdout
    );
}

#[test]
fn keyring_export_holds_only_maintainers_public_certificates() {
    let (ws, keys) = release();
    ws.add_cert(&TestKey::new("mallory"));
    // A secret key dropped into keyring/ by mistake never leaks into the export.
    std::fs::write(ws.path().join("keyring/alice-secret.asc"), keys[0].secret()).unwrap();
    let run = ws.run(&["keyring", "export", "-o", "out.pgp"]);
    assert_eq!(run.code, 0, "{run:?}");
    let bytes = std::fs::read(ws.path().join("out.pgp")).unwrap();
    let certs = quorate::keys::keyring::parse_certs(&bytes).unwrap();
    let mut fingerprints: Vec<String> = certs.iter().map(|c| c.fingerprint().to_hex()).collect();
    fingerprints.sort();
    let mut expected: Vec<String> = keys.iter().map(TestKey::fingerprint).collect();
    expected.sort();
    assert_eq!(fingerprints, expected);
    assert!(certs.iter().all(|c| !c.is_tsk()));
}

#[test]
fn keyring_import_merges_a_renewed_certificate_and_refuses_strangers() {
    let (ws, mut keys) = release();
    let now = std::time::SystemTime::now();
    // bob's copy in keyring/ is outdated: it says the key expired 10 days ago.
    let mut stale = keys[1].clone();
    stale.set_expiry(Some(days(20)), now - days(29));
    ws.add_cert(&stale);
    assert_eq!(ws.run(&["gate", &reference(HEX_A)]).code, 1);
    // His fresh copy extends the expiry.
    keys[1] = stale.clone();
    keys[1].set_expiry(Some(days(400)), now - days(1));
    std::fs::write(ws.path().join("bob-fresh.asc"), keys[1].public()).unwrap();
    let before: Vec<_> = std::fs::read_dir(ws.path().join("keyring"))
        .unwrap()
        .collect();
    let run = ws.run(&["keyring", "import", "bob-fresh.asc"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("keyring/bob.asc"), "{}", run.stdout);
    assert_eq!(
        std::fs::read_dir(ws.path().join("keyring"))
            .unwrap()
            .count(),
        before.len()
    );
    assert_eq!(ws.run(&["gate", &reference(HEX_A)]).code, 0);

    // A stranger, or a key that only claims a maintainer's name: refused, nothing written.
    let impostor = TestKey::new("alice");
    std::fs::write(ws.path().join("impostor.asc"), impostor.public()).unwrap();
    let saved = std::fs::read(ws.path().join("keyring/alice.asc")).unwrap();
    let run = ws.run(&["keyring", "import", "bob-fresh.asc", "impostor.asc"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("impostor.asc") && run.stderr.contains("not a maintainer's"),
        "{run:?}"
    );
    assert_eq!(
        std::fs::read(ws.path().join("keyring/alice.asc")).unwrap(),
        saved
    );
    let run = ws.run(&["keyring", "import", "missing.asc"]);
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn keyring_import_adds_a_missing_maintainer_certificate() {
    let (ws, keys) = release();
    std::fs::remove_file(ws.path().join("keyring/carol.asc")).unwrap();
    std::fs::write(ws.path().join("carol.asc"), keys[2].public()).unwrap();
    let run = ws.run(&["keyring", "import", "carol.asc"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(ws
        .path()
        .join(format!("keyring/{}.asc", keys[2].fingerprint()))
        .exists());
    assert_eq!(ws.run(&["keyring", "check"]).code, 0);
}
