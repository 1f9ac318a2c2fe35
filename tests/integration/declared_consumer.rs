//! The declared consumer decides what counts: quorate.toml's `[consumers]` names the oldest
//! podman, skopeo, CRI-O or containers/image the images are pulled with, and verify, gate, audit
//! and sign count exactly the signatures it accepts. Checked against Debian 12's real podman
//! 4.3.1 and skopeo 1.9 (containers/image before 5.37: subkey signatures refused).

use crate::common::*;

/// `signers` sign `reference` (image `stagex/<name>` at `digest`) as signature-1, 2, …, replacing
/// what was there: each a key and whether its subkey signs.
fn signed_as(ws: &Ws, name: &str, reference: &str, digest: &str, signers: &[(&TestKey, bool)]) {
    let _ = std::fs::remove_dir_all(ws.image_dir(name, digest));
    for (i, (key, by_subkey)) in signers.iter().enumerate() {
        let pair = if *by_subkey {
            key.subkey_pair()
        } else {
            key.primary_pair()
        };
        ws.put(
            name,
            digest,
            i as u32 + 1,
            &sign(pair, &payload(reference, digest)),
        );
    }
}

/// `signed_as` for the image the registry serves.
fn signed(ws: &Ws, reference: &str, digest: &str, signers: &[(&TestKey, bool)]) {
    signed_as(ws, "img", reference, digest, signers);
}

/// `signed_as` for docker.io/stagex/pallet-rust:1.0 at HEX_A.
fn signed_at(ws: &Ws, signers: &[(&TestKey, bool)]) {
    signed_as(ws, "pallet-rust", REF, HEX_A, signers);
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

/// The trial: alice signs with her primary key, carol with a smartcard-style subkey.
/// Undeclared, the gate counts both (as before) but says a podman before 5.37 accepts one;
/// the real podman 4.3.1 and skopeo refuse the pull. Declaring `podman = "4.3.1"`, verify, gate
/// and audit refuse carol's signature with `subkey-not-accepted` and its remedy, as podman does;
/// once bob signs with his primary key, gate and podman both accept.
#[test]
fn the_gate_counts_what_the_declared_podman_pulls() {
    if !consumers_here() {
        return;
    }
    let registry = registry();
    let port = registry.port;
    let digest = push_image(&registry, "stagex/img", "declared");
    let reference = format!("127.0.0.1:{port}/stagex/img:1.0");
    let asked = format!("{reference}@sha256:{digest}");
    let image = format!("127.0.0.1:{port}/stagex/img@sha256:{digest}");
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let carol = TestKey::with_signing_subkey("carol");
    let ws = Team::of([&alice, &bob, &carol]).threshold(2).ws();
    let scope = format!("127.0.0.1:{port}/stagex");
    let file_url = format!("file://{}", ws.path().join("signatures").display());
    let policy = export(&ws, &["--scope", &scope, "--lookaside", &file_url]);
    signed(&ws, &reference, &digest, &[(&alice, false), (&carol, true)]);

    // The consumer refuses: carol's subkey signature is not accepted before containers/image 5.37.
    let pulled = podman_pulls(&policy, &image);
    assert!(pulled.is_err(), "podman 4.3.1 pulled a subkey quorum");
    assert!(skopeo_copies(&policy, &image).is_err());

    // Nothing declared: today's counting, and the gate says what an older podman accepts.
    let run = ws.run(&["gate", &asked]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("a podman before 5.37 would accept 1 of the 2 counted (carol signed with a subkey only)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("a podman before 5.37 (Debian 12's 4.3.1 among them) would accept 0 of 1 image: it refuses subkey signatures"),
        "{}",
        run.stdout
    );
    let gate = json(&ws.run(&["gate", "--json", &asked]));
    assert_eq!(gate["consumer"], serde_json::Value::Null);
    assert_eq!(
        gate["images"][0]["signers"],
        serde_json::json!(["alice", "carol"])
    );
    assert_eq!(
        gate["images"][0]["signers_by_primary_key"],
        serde_json::json!(["alice"])
    );

    // Declared: quorate refuses what podman refuses, with the reason and the remedy.
    declare_consumer(ws.path(), "podman = \"4.3.1\"");
    let run = ws.run(&["gate", &asked]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("1 of 2 (alice)"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("signature-2 does not count: [subkey-not-accepted]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("podman 4.3.1 (containers/image 5.23) refuses; sign with the primary key"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("would accept"), "{}", run.stdout);
    let gate = json(&ws.run(&["gate", "--json", &asked]));
    assert_eq!(gate["consumer"], "podman 4.3.1 (containers/image 5.23)");
    assert_eq!(gate["passed"], false);
    let report = ws.verify_json(&asked);
    assert_eq!(codes(&report, 2), ["subkey-not-accepted"]);
    assert_eq!(report["files"][1]["counts"], false);
    assert_eq!(ws.run(&["verify", &asked]).code, 1);
    let audit = json(&ws.run(&["audit", "--json"]));
    let found: Vec<&str> = audit["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(found.contains(&"subkey-not-accepted"), "{audit}");
    assert!(!found.contains(&"signed-by-subkey"), "{audit}");

    // bob signs with his primary key: quorate and podman agree again.
    signed(
        &ws,
        &reference,
        &digest,
        &[(&alice, false), (&carol, true), (&bob, false)],
    );
    assert_eq!(ws.run(&["gate", &asked]).code, 0);
    podman_pulls(&policy, &image).unwrap();
    skopeo_copies(&policy, &image).unwrap();

    // A declared consumer that accepts subkey signatures counts carol's.
    std::fs::write(
        ws.path().join("quorate.toml"),
        "threshold = 2\n[consumers]\ncontainers-image = \"5.37\"\n",
    )
    .unwrap();
    signed(&ws, &reference, &digest, &[(&alice, false), (&carol, true)]);
    let run = ws.run(&["gate", &asked]);
    assert_eq!(run.code, 0, "{run:?}");
}

/// `policy export` and `policy check --image` judge by the declared consumer: undeclared (or
/// declared before containers/image 5.37), a subkey-only maintainer is warned about, the quorum
/// without them is said unreachable, and a subkey signature does not satisfy a requirement;
/// declared 5.37 or later, none of that.
#[test]
fn policy_export_and_image_check_follow_the_declared_consumer() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let carol = TestKey::with_signing_subkey("carol");
    let ws = Team::of([&alice, &bob, &carol]).threshold(3).ws();
    signed_at(&ws, &[(&alice, false), (&carol, true), (&bob, false)]);
    let image = format!("{REF}@sha256:{HEX_A}");
    let cases = [
        (
            None,
            Some("carol signs with a subkey: podman before containers/image 5.37 (Debian 12's podman 4.3.1) rejects those signatures"),
            Some("made with a subkey, which containers/image before 5.37 rejects"),
        ),
        (
            Some("podman = \"4.3.1\""),
            Some("carol signs with a subkey: the declared consumer podman 4.3.1 (containers/image 5.23) rejects those signatures"),
            Some("made with a subkey, which the declared consumer podman 4.3.1 (containers/image 5.23) rejects (sign with the primary key, or raise [consumers]"),
        ),
        (Some("containers-image = \"5.37\""), None, None),
        (Some("podman = \"5.7\""), None, None),
    ];
    for (declared, export_warning, image_refusal) in cases {
        let toml = match declared {
            Some(entry) => format!("threshold = 3\n[consumers]\n{entry}\n"),
            None => "threshold = 3\n".to_string(),
        };
        std::fs::write(ws.path().join("quorate.toml"), toml).unwrap();
        let out = ws.path().join("out");
        let run = ws.run(&["policy", "export", "-o", out.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{declared:?}: {run:?}");
        match export_warning {
            Some(warning) => {
                assert!(run.stderr.contains(warning), "{declared:?}: {run:?}");
                assert!(
                    run.stderr.contains("the quorum is not reachable on "),
                    "{declared:?}: {run:?}"
                );
            }
            None => assert!(
                !run.stderr.contains("subkey") && !run.stderr.contains("not reachable"),
                "{declared:?}: {run:?}"
            ),
        }
        let policy = out.join("policy.json");
        let run = ws.run(&[
            "policy",
            "check",
            policy.to_str().unwrap(),
            "--image",
            &image,
        ]);
        match image_refusal {
            Some(why) => {
                assert_eq!(run.code, 1, "{declared:?}: {run:?}");
                assert!(
                    run.stdout.contains(&format!("signature-2 (carol): {why}")),
                    "{declared:?}: {run:?}"
                );
            }
            None => {
                assert_eq!(run.code, 0, "{declared:?}: {run:?}");
                assert!(run.stdout.starts_with("accepted "), "{declared:?}: {run:?}");
            }
        }
    }
}

/// `sign --key` with a key whose primary cannot sign, under a consumer that refuses subkey
/// signatures: refused before anything is signed or written, naming the subkey and the remedy.
/// Undeclared, it signs as before (with a warning).
#[test]
fn sign_refuses_a_subkey_the_declared_consumer_would_refuse_before_writing() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let carol = TestKey::with_signing_subkey("carol");
    let ws = Team::of([&alice, &bob, &carol]).ws();
    let sign_with = |key: &TestKey| {
        let file = ws.key_file(key);
        ws.run(&[
            "sign",
            "--no-rebuild",
            &reference(HEX_A),
            "--not-in-release",
            "--key",
            file.to_str().unwrap(),
        ])
    };
    declare_consumer(ws.path(), "podman = \"4.3.1\"");
    let run = sign_with(&carol);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("the declared consumer podman 4.3.1 (containers/image 5.23) refuses signatures made by a subkey"),
        "{run:?}"
    );
    assert!(run.stderr.contains("sign with the primary key"), "{run:?}");
    assert!(!ws.path().join("signatures").exists(), "{run:?}");
    // A primary key that signs is what the consumer accepts.
    assert_eq!(sign_with(&alice).code, 0);
    // Undeclared: signed, counted, with the warning about older consumers.
    std::fs::remove_file(ws.path().join("quorate.toml")).unwrap();
    let run = sign_with(&carol);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("warning: signing with subkey"),
        "{run:?}"
    );
}

/// `sign --gpg` under a consumer before 5.37: gpg would pick the signing subkey of a key whose
/// primary also signs, so quorate asks for the primary (`FINGERPRINT!`) and the signature
/// counts; a key whose primary cannot sign is refused before gpg is even run.
#[test]
fn sign_gpg_signs_with_the_primary_key_the_declared_consumer_accepts() {
    if !have("gpg") {
        return;
    }
    let gnupg = Gnupg::new();
    let dora = gnupg.generate("dora", false);
    gnupg.gpg(&[
        "--passphrase",
        "",
        "--quick-add-key",
        &dora,
        "ed25519",
        "sign",
        "never",
    ]);
    let erin = gnupg.generate("erin", true);
    // fay's primary key signs too, but its secret is kept offline: only the subkey's is here.
    let fay = gnupg.generate("fay", false);
    gnupg.gpg(&[
        "--passphrase",
        "",
        "--quick-add-key",
        &fay,
        "ed25519",
        "sign",
        "never",
    ]);
    let fay_subkey = gnupg.fingerprints("fay").pop().unwrap();
    let stub = gnupg.gpg(&["--export-secret-subkeys", &format!("{fay_subkey}!")]);
    gnupg.gpg(&["--yes", "--delete-secret-keys", &fay]);
    gnupg.gpg_fed(&["--import"], &stub);
    let ws = gpg_workspace(&gnupg, &[("dora", &dora), ("erin", &erin), ("fay", &fay)]);
    let env = [("GNUPGHOME", gnupg.home.path())];
    let sign_as = |ws: &Ws, fpr: &str, program: &str| {
        run_env(
            ws.path(),
            &[
                "sign",
                "--no-rebuild",
                &reference(HEX_A),
                "--not-in-release",
                "--no-commit",
                "--gpg",
                "--signer",
                fpr,
                "--gpg-program",
                program,
            ],
            &env,
        )
    };
    // Undeclared: gpg picks dora's signing subkey, as it always has.
    let run = sign_as(&ws, &dora, "gpg");
    assert_eq!(run.code, 0, "{run:?}");
    let report = ws.verify_json(&reference(HEX_A));
    assert_eq!(report["files"][0]["by_subkey"], true, "{report}");
    std::fs::remove_dir_all(ws.path().join("signatures")).unwrap();

    // Declared: dora's primary key signs, and the signature counts for podman 4.3.1.
    declare_consumer(ws.path(), "podman = \"4.3\"");
    let run = sign_as(&ws, &dora, "gpg");
    assert_eq!(run.code, 0, "{run:?}");
    let report = ws.verify_json(&reference(HEX_A));
    assert_eq!(report["files"][0]["by_subkey"], false, "{report}");
    assert_eq!(report["files"][0]["counts"], true, "{report}");
    assert_eq!(report["files"][0]["signing_key"], dora, "{report}");

    // erin's primary only certifies: refused before gpg runs (no PIN asked, nothing written).
    let called = ws.path().join("gpg-called");
    let wrapper = ws.path().join("gpg.sh");
    std::fs::write(
        &wrapper,
        format!("#!/bin/sh\ntouch '{}'\nexec gpg \"$@\"\n", called.display()),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let run = sign_as(&ws, &erin, wrapper.to_str().unwrap());
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("certificate {erin}'s primary key cannot sign")),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("subkey-not-accepted")
            || run.stderr.contains("refuses signatures made by a subkey"),
        "{run:?}"
    );
    assert!(!called.exists(), "gpg was run: {run:?}");
    // fay's primary key is asked for and gpg has no secret for it: gpg's failure, and why.
    let run = sign_as(&ws, &fay, "gpg");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!("quorate asked for the primary key ({fay}!), as the declared consumer refuses subkey signatures")),
        "{run:?}"
    );
    assert_eq!(
        std::fs::read_dir(ws.image_dir("pallet-rust", HEX_A))
            .unwrap()
            .count(),
        1
    );
}

/// maintainers add, keyring check and keyring import name a key that can sign only with a
/// subkey when the declared consumer refuses those, and say nothing of it otherwise.
#[test]
fn key_commands_warn_of_a_subkey_only_key_under_the_declared_consumer() {
    let (ws, _) = team();
    let dave = TestKey::with_signing_subkey("dave");
    let cert = ws.path().join("dave.asc");
    std::fs::write(&cert, dave.public()).unwrap();
    let add = |ws: &Ws| {
        ws.run(&[
            "maintainers",
            "add",
            "dave",
            "--name",
            "Dave",
            "--email",
            "dave@example.org",
            cert.to_str().unwrap(),
        ])
    };
    let notice = "only subkey";
    declare_consumer(ws.path(), "skopeo = \"1.9.3\"");
    let run = add(&ws);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("warning: dave {}: {notice}", dave.fingerprint())),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("skopeo 1.9.3 (containers/image 5.21) refuses signatures made by a subkey"),
        "{run:?}"
    );
    let run = ws.run(&["keyring", "check"]);
    assert!(run.stdout.contains(notice), "{run:?}");
    let run = ws.run(&["keyring", "import", cert.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains(notice), "{run:?}");

    // A consumer that accepts subkey signatures, or none declared: nothing to say.
    std::fs::write(
        ws.path().join("quorate.toml"),
        "[consumers]\ncri-o = \"1.35\"\n",
    )
    .unwrap();
    assert!(!ws.run(&["keyring", "check"]).stdout.contains(notice));
    std::fs::remove_file(ws.path().join("quorate.toml")).unwrap();
    let run = ws.run(&["keyring", "import", cert.to_str().unwrap()]);
    assert!(!run.stderr.contains(notice), "{run:?}");
    assert!(!ws.run(&["keyring", "check"]).stdout.contains(notice));
}

/// `keyring import` of a certificate the keyring already holds says "unchanged" and leaves its
/// file as it was, byte for byte (here gpg's binary export, which quorate would write as armor).
#[test]
fn keyring_import_of_an_unchanged_certificate_leaves_the_file_untouched() {
    let (ws, [alice, ..]) = team();
    let file = ws.path().join("keyring/alice.asc");
    let binary = {
        use sequoia_openpgp::serialize::Serialize;
        let mut out = Vec::new();
        alice.cert.serialize(&mut out).unwrap();
        out
    };
    std::fs::write(&file, &binary).unwrap();
    commit_all(ws.path(), "workspace");
    let update = ws.path().join("alice-update.asc");
    std::fs::write(&update, alice.public()).unwrap();
    let run = ws.run(&["keyring", "import", update.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("keyring/alice.asc: unchanged"),
        "{run:?}"
    );
    assert!(
        std::fs::read(&file).unwrap() == binary,
        "keyring/alice.asc was rewritten"
    );
    assert_eq!(
        git(ws.path(), &["status", "--porcelain", "keyring"]),
        "",
        "{run:?}"
    );
    // A real update is still written.
    let mut renewed = alice.clone();
    renewed.set_expiry(Some(days(400)), std::time::SystemTime::now());
    std::fs::write(&update, renewed.public()).unwrap();
    let run = ws.run(&["keyring", "import", update.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("unchanged"), "{run:?}");
    assert_ne!(std::fs::read(&file).unwrap(), binary);
}

/// `[consumers]` input: a release line quorate does not know, an unknown program, an empty
/// table are one-line errors naming quorate.toml and its line (exit 2); several consumers
/// declared, the oldest decides; init writes Debian 12's podman and says what it means.
#[test]
fn consumers_are_declared_by_known_versions_the_oldest_deciding() {
    let alice = TestKey::new("alice");
    let carol = TestKey::with_signing_subkey("carol");
    let ws = Team::of([&alice, &TestKey::new("bob"), &carol]).ws();
    signed_at(&ws, &[(&alice, false)]);
    let cases = [
        ("threshold = 1\n[consumers]\npodman = \"9.1\"\n", "quorate.toml:3: [consumers] podman = \"9.1\" is not a release line quorate knows (3.2 to 5.8)"),
        ("[consumers]\ncontainers-image = \"latest\"\n", "quorate.toml:2: [consumers] containers-image = \"latest\" is not a version"),
        ("[consumers]\n", "quorate.toml: [consumers] names no consumer"),
        // A TOML error shows its line under the message, as every quorate.toml error does.
        ("[consumers]\ndocker = \"24\"\n", "quorate.toml:2:1: unknown field `docker`, expected one of `containers-image`, `podman`, `skopeo`, `cri-o`"),
    ];
    for (text, said) in cases {
        std::fs::write(ws.path().join("quorate.toml"), text).unwrap();
        let run = ws.run(&["verify", &reference(HEX_A)]);
        assert_eq!(run.code, 2, "{text}: {run:?}");
        assert!(
            run.stderr.lines().next().unwrap().contains(said),
            "{text}: {run:?}"
        );
    }
    // podman 5.7 accepts subkey signatures, skopeo 1.9 does not: the oldest decides.
    signed_at(&ws, &[(&alice, false), (&carol, true)]);
    std::fs::write(
        ws.path().join("quorate.toml"),
        "[consumers]\npodman = \"5.7.1\"\n",
    )
    .unwrap();
    assert_eq!(ws.run(&["gate", &reference(HEX_A)]).code, 0);
    std::fs::write(
        ws.path().join("quorate.toml"),
        "[consumers]\npodman = \"5.7.1\"\nskopeo = \"1.9\"\n",
    )
    .unwrap();
    let run = ws.run(&["gate", &reference(HEX_A)]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("skopeo 1.9 (containers/image 5.21)"),
        "{run:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new");
    let run = run_in(dir.path(), &["init", new.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("quorate.toml declares the oldest consumer, [consumers] podman 4.3.1: quorate counts the signatures podman 4.3.1 (containers/image 5.23) and later accept: a signature made by a subkey does not count"),
        "{run:?}"
    );
    let toml = std::fs::read_to_string(new.join("quorate.toml")).unwrap();
    assert!(toml.contains("[consumers]\npodman = \"4.3.1\""), "{toml}");
}

/// sync replays only signatures the declared consumer accepts: a subkey signature committed in a
/// clone is refused on the way to the remote, naming the reason.
#[test]
fn sync_refuses_to_publish_a_signature_the_declared_consumer_refuses() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let carol = TestKey::with_signing_subkey("carol");
    let net = Net::new(
        &[("alice", &[&alice]), ("bob", &[&bob]), ("carol", &[&carol])],
        |dir| declare_consumer(dir, "podman = \"4.3.1\""),
    );
    let theirs = net.clone("bob");
    let mine = net.clone("carol");
    let dir = image_dir(&mine, HEX_A);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("signature-1"),
        sign(carol.subkey_pair(), &payload(REF, HEX_A)),
    )
    .unwrap();
    commit_all(&mine, "carol signs A with her subkey");
    // The remote moves, so carol's commit is replayed and judged.
    assert_eq!(sign_in(&theirs, &bob, HEX_A).code, 0);
    assert_eq!(run_in(&theirs, &["sync"]).code, 0);
    let before = net.tip("main");
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        format!("{}{}", run.stdout, run.stderr).contains("subkey-not-accepted"),
        "{run:?}"
    );
    assert_eq!(net.tip("main"), before);
}
