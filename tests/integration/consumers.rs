//! The quorum where images are pulled: `quorate policy export` run against Debian's real podman
//! and skopeo, pulling from Debian's docker-registry on 127.0.0.1, with the signatures served
//! from the workspace (file://) or by a static HTTP server on 127.0.0.1.

use std::path::Path;
use std::process::Command;

use crate::common::*;

/// Places the signatures of `signers` (each key once) as signature-1, 2, … of the image,
/// replacing what was there.
/// k = 2 of 3 and k = 3 of 4, with podman and skopeo: fewer than k people (however many keys
/// or files) are refused, k people pull; a tampered or misplaced signature adds nobody; the
/// lookaside served over HTTP answers as file:// does; a mirror pulls through remapIdentity.
#[test]
fn podman_needs_the_quorum_the_generated_policy_asks_for() {
    if !consumers_here() {
        return;
    }
    let registry = registry();
    let port = registry.port;
    let digest = push_image(&registry, "stagex/img", "one");
    let other_digest = push_image(&registry, "stagex/other", "two");
    let reference = format!("127.0.0.1:{port}/stagex/img:1.0");
    let image = format!("127.0.0.1:{port}/stagex/img@sha256:{digest}");

    let alice = TestKey::new("alice");
    let alice2 = TestKey::new("alice-second");
    let bob = TestKey::new("bob");
    let carol = TestKey::new("carol");
    let dave = TestKey::new("dave");
    let ws = Team::of([&alice, &bob, &carol]).also("alice", &alice2).ws();
    let scope = format!("127.0.0.1:{port}/stagex");
    let file_url = format!("file://{}", ws.path().join("signatures").display());
    let policy = export(&ws, &["--scope", &scope, "--lookaside", &file_url]);
    let text = std::fs::read_to_string(policy.join("policy.json")).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        parsed["transports"]["docker"][&scope]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(parsed["default"][0]["type"], "reject");

    let refused = |why: &str| {
        let pulled = podman_pulls(&policy, &image);
        assert!(pulled.is_err(), "podman pulled with {why}");
        assert!(
            skopeo_copies(&policy, &image).is_err(),
            "skopeo copied with {why}"
        );
    };
    refused("no signature");
    signed_by(&ws, &reference, &digest, &[&alice]);
    refused("alice alone");
    signed_by(&ws, &reference, &digest, &[&alice, &alice2]);
    refused("alice with two keys");
    // bob's signature, one bit flipped.
    signed_by(&ws, &reference, &digest, &[&alice, &bob]);
    let bob_file = ws.image_dir("img", &digest).join("signature-2");
    let mut bytes = std::fs::read(&bob_file).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 1;
    std::fs::write(&bob_file, bytes).unwrap();
    refused("alice and a tampered signature of bob's");
    // bob's signature of another image, copied here.
    let other_ref = format!("127.0.0.1:{port}/stagex/other:1.0");
    std::fs::write(
        &bob_file,
        sign(bob.primary_pair(), &payload(&other_ref, &other_digest)),
    )
    .unwrap();
    refused("alice and bob's signature of another image");
    // A stranger's valid signature is no maintainer's.
    signed_by(&ws, &reference, &digest, &[&alice, &dave]);
    refused("alice and a stranger");

    signed_by(&ws, &reference, &digest, &[&alice, &bob]);
    podman_pulls(&policy, &image).unwrap();
    skopeo_copies(&policy, &image).unwrap();
    signed_by(&ws, &reference, &digest, &[&carol, &alice2]);
    podman_pulls(&policy, &image).unwrap();
    // quorate's gate agrees.
    let asked = format!("{reference}@sha256:{digest}");
    assert_eq!(ws.run(&["gate", &asked]).code, 0);

    // The same lookaside served over HTTP: the same answers.
    let server = http_server(&ws.path().join("signatures"));
    let http_url = format!("http://127.0.0.1:{}/", server.port);
    let over_http = export(&ws, &["--scope", &scope, "--lookaside", &http_url]);
    podman_pulls(&over_http, &image).unwrap();
    signed_by(&ws, &reference, &digest, &[&alice]);
    assert!(podman_pulls(&over_http, &image).is_err());

    // A mirror: pulled as localhost:PORT/stagex/img, signed as 127.0.0.1:PORT/stagex/img.
    let mirror = format!("localhost:{port}/stagex={scope}");
    let mirrored = export(
        &ws,
        &[
            "--scope",
            &scope,
            "--mirror",
            &mirror,
            "--lookaside",
            &file_url,
        ],
    );
    let via_mirror = format!("localhost:{port}/stagex/img@sha256:{digest}");
    assert!(podman_pulls(&mirrored, &via_mirror).is_err());
    signed_by(&ws, &reference, &digest, &[&alice, &bob]);
    podman_pulls(&mirrored, &via_mirror).unwrap();

    // k = 3 of 4: two refused, three pull.
    let ws4 = Ws::new(&[
        ("alice", &[&alice]),
        ("bob", &[&bob]),
        ("carol", &[&carol]),
        ("dave", &[&dave]),
    ]);
    let file_url4 = format!("file://{}", ws4.path().join("signatures").display());
    let policy4 = export(
        &ws4,
        &[
            "--scope",
            &scope,
            "--lookaside",
            &file_url4,
            "--threshold",
            "3",
        ],
    );
    let parsed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(policy4.join("policy.json")).unwrap())
            .unwrap();
    assert_eq!(
        parsed["transports"]["docker"][&scope]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    signed_by(&ws4, &reference, &digest, &[&bob, &dave]);
    assert!(podman_pulls(&policy4, &image).is_err());
    signed_by(&ws4, &reference, &digest, &[&bob, &dave, &alice]);
    podman_pulls(&policy4, &image).unwrap();
}

/// `policy check`: the generated policy needs k; StageX's documented policy (one signedBy over
/// the whole keyring) needs 1; an accepting default or a stranger's key is named.
#[test]
fn policy_check_counts_people_not_requirements() {
    let (ws, _) = team();
    let generated = export(&ws, &["--threshold", "3"]);
    let run = ws.run(&[
        "policy",
        "check",
        "--json",
        generated.join("policy.json").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["threshold"], 2);
    assert_eq!(json["scopes"][0]["scope"], "docker.io/stagex");
    assert_eq!(json["scopes"][0]["min_maintainers"], 3);

    // StageX's documented policy, with the keyring `keyring export` writes.
    let keyring = ws.path().join("stagex-keyring.pgp");
    assert_eq!(
        ws.run(&["keyring", "export", "-o", keyring.to_str().unwrap()])
            .code,
        0
    );
    let stranger = TestKey::new("mallory");
    let stranger_file = ws.path().join("mallory.pgp");
    std::fs::write(&stranger_file, stranger.public()).unwrap();
    let documented = serde_json::json!({
        "default": [{"type": "reject"}],
        "transports": {"docker": {
            "docker.io/stagex": [{"type": "signedBy", "keyType": "GPGKeys",
                "keyPath": keyring, "signedIdentity": {"type": "matchRepoDigestOrExact"}}],
            "quay.io/stagex": [{"type": "signedBy", "keyType": "GPGKeys",
                "keyPaths": [keyring, stranger_file],
                "signedIdentity": {"type": "remapIdentity", "prefix": "quay.io/stagex",
                    "signedPrefix": "docker.io/stagex"}}],
        }}
    });
    let path = ws.path().join("documented.json");
    std::fs::write(&path, documented.to_string()).unwrap();
    let run = ws.run(&["policy", "check", "--json", path.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let scopes = json["scopes"].as_array().unwrap();
    assert_eq!(scopes[0]["scope"], "docker.io/stagex");
    assert_eq!(scopes[0]["min_maintainers"], 1);
    assert_eq!(scopes[1]["min_maintainers"], 0, "{json}");
    assert!(
        scopes[1]["also_satisfied_by"][0]
            .as_str()
            .unwrap()
            .contains(&stranger.fingerprint()),
        "{json}"
    );

    // --scope resolves as podman does: a repository under a listed namespace, and the default.
    let run = ws.run(&[
        "policy",
        "check",
        "--scope",
        "docker.io/stagex/pallet-rust",
        generated.join("policy.json").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("needs 3 maintainers"), "{}", run.stdout);
    let accepting =
        serde_json::json!({"default": [{"type": "insecureAcceptAnything"}], "transports": {}});
    std::fs::write(&path, accepting.to_string()).unwrap();
    let run = ws.run(&[
        "policy",
        "check",
        "--scope",
        "docker.io/stagex",
        path.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("insecureAcceptAnything"),
        "{}",
        run.stdout
    );

    // Bad input: exit 2, one line naming the file.
    std::fs::write(&path, "{").unwrap();
    let run = ws.run(&["policy", "check", path.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("documented.json"), "{run:?}");
}

/// `policy export`: merges into an existing policy without touching what is not its own, refuses
/// a threshold that can never pass and warns, by name, about maintainers podman may refuse.
#[test]
fn policy_export_merges_refuses_and_warns() {
    let alice = TestKey::new("alice");
    let bob = TestKey::with_signing_subkey("bob");
    let carol = TestKey::new("carol");
    let mut expired = carol.clone();
    expired.set_expiry(Some(days(1)), std::time::SystemTime::now() - days(29));
    let ws = Team::of([&alice, &bob, &expired]).ws();
    let mine = serde_json::json!({
        "default": [{"type": "insecureAcceptAnything"}],
        "transports": {
            "docker": {
                "docker.io/library": [{"type": "insecureAcceptAnything"}],
                "docker.io/stagex": [{"type": "insecureAcceptAnything"}],
            },
            "docker-daemon": {"": [{"type": "insecureAcceptAnything"}]},
        }
    });
    let merge = ws.path().join("mine.json");
    std::fs::write(&merge, mine.to_string()).unwrap();
    let out = ws.path().join("out");
    let run = ws.run(&[
        "policy",
        "export",
        "-o",
        out.to_str().unwrap(),
        "--merge",
        merge.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("3 signedBy requirements"), "{run:?}");
    assert!(run.stderr.contains("bob signs with a subkey"), "{run:?}");
    assert!(
        run.stderr.contains("carol has no key that can sign now"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("not reachable on podman before containers/image 5.37"),
        "{run:?}"
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("policy.json")).unwrap()).unwrap();
    let mut expected = mine.clone();
    expected["transports"]["docker"]["docker.io/stagex"] =
        written["transports"]["docker"]["docker.io/stagex"].clone();
    assert_eq!(written, expected, "only quorate's scope changed");
    assert_eq!(
        written["transports"]["docker"]["docker.io/stagex"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(!out.join("registries.d").exists());

    let run = ws.run(&[
        "policy",
        "export",
        "-o",
        out.to_str().unwrap(),
        "--threshold",
        "4",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("can never pass"), "{run:?}");
    let run = ws.run(&[
        "policy",
        "export",
        "-o",
        out.to_str().unwrap(),
        "--mirror",
        "quay.io",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    std::fs::write(&merge, "[]").unwrap();
    let run = ws.run(&[
        "policy",
        "export",
        "-o",
        out.to_str().unwrap(),
        "--merge",
        merge.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("mine.json"), "{run:?}");
}

/// `--lookaside URL`: verify and gate read what is published, as podman reads it: file:// and
/// HTTP give the working tree's answers; a file deleted from the server, a gap, an error status
/// and an oversized file are seen as podman sees them.
#[test]
fn the_published_lookaside_is_read_as_podman_reads_it() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let ws = Ws::new(&[("alice", &[&alice]), ("bob", &[&bob])]);
    let reference = REF;
    let asked = asked();
    ws.put(
        "pallet-rust",
        HEX_A,
        1,
        &sign(alice.primary_pair(), &payload(reference, HEX_A)),
    );
    ws.put(
        "pallet-rust",
        HEX_A,
        2,
        &sign(bob.primary_pair(), &payload(reference, HEX_A)),
    );
    let local = ws.verify_json(&asked);

    // A published copy of the tree, served over HTTP and read through file://.
    let published = tempfile::tempdir().unwrap();
    let copy = |from: &Path, to: &Path| {
        assert!(Command::new("cp")
            .arg("-r")
            .arg(from)
            .arg(to)
            .status()
            .unwrap()
            .success());
    };
    copy(&ws.path().join("signatures"), published.path());
    let root = published.path().join("signatures");
    let server = http_server(&root);
    let http = format!("http://127.0.0.1:{}", server.port);
    let file = format!("file://{}/", root.display());
    let served_dir = root.join(format!("stagex/pallet-rust@sha256={HEX_A}"));
    for url in [&http, &format!("{http}/"), &file] {
        let run = ws.run(&["verify", "--json", "--lookaside", url, &asked]);
        assert_eq!(run.code, 0, "{url}: {run:?}");
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(report["signers"], local["signers"], "{url}");
        assert_eq!(report["files"].as_array().unwrap().len(), 2, "{url}");
        assert!(
            report["files"][1]["path"]
                .as_str()
                .unwrap()
                .ends_with(&format!("pallet-rust@sha256={HEX_A}/signature-2")),
            "{report}"
        );
        assert_eq!(
            ws.run(&["gate", "--lookaside", url, &asked]).code,
            0,
            "{url}"
        );
    }

    // bob's file deleted from the server: the working tree still passes, what is served does not.
    std::fs::remove_file(served_dir.join("signature-2")).unwrap();
    assert_eq!(ws.run(&["gate", &asked]).code, 0);
    let run = ws.run(&["gate", "--lookaside", &http, &asked]);
    assert_eq!(run.code, 1, "{run:?}");
    // A gap hides what follows: podman stops at the first 404.
    std::fs::copy(
        ws.image_dir("pallet-rust", HEX_A).join("signature-2"),
        served_dir.join("signature-3"),
    )
    .unwrap();
    let run = ws.run(&["verify", "--json", "--lookaside", &http, &asked]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["files"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(ws.run(&["gate", "--lookaside", &file, &asked]).code, 1);

    // An oversized file fails the image, as it fails podman's pull.
    std::fs::write(served_dir.join("signature-2"), vec![0xa3; 5 * 1024 * 1024]).unwrap();
    for url in [&http, &file] {
        let run = ws.run(&["gate", "--lookaside", url, &asked]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stdout.contains("4 MiB") || run.stderr.contains("4 MiB"),
            "{run:?}"
        );
    }
    // Any status but 200 and 404 fails the image.
    let broken = failing_server(500);
    let url = format!("http://127.0.0.1:{}", broken.port);
    let run = ws.run(&["verify", "--lookaside", &url, &asked]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        format!("{}{}", run.stdout, run.stderr).contains("HTTP status 500"),
        "{run:?}"
    );
    // Nothing listening: an error, not a hang and not an empty image that "just has no
    // signatures".
    drop(broken);
    let run = ws.run(&["gate", "--lookaside", &url, &asked]);
    assert_eq!(run.code, 1, "{run:?}");
    // Not a lookaside URL: bad usage.
    for bad in ["ftp://example.org/x", "file://relative/path", "https://"] {
        let run = ws.run(&["verify", "--lookaside", bad, &asked]);
        assert_eq!(run.code, 2, "{bad}: {run:?}");
        assert!(run.stderr.contains("--lookaside"), "{run:?}");
    }
}

/// `audit --published URL` compares git's tree with what the server serves.
#[test]
fn audit_published_finds_what_the_server_lost_added_or_changed() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let ws = Ws::new(&[("alice", &[&alice]), ("bob", &[&bob])]);
    let reference = REF;
    ws.put(
        "pallet-rust",
        HEX_A,
        1,
        &sign(alice.primary_pair(), &payload(reference, HEX_A)),
    );
    ws.put(
        "pallet-rust",
        HEX_A,
        2,
        &sign(bob.primary_pair(), &payload(reference, HEX_A)),
    );
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-q", "-m", "signatures"]);

    let published = tempfile::tempdir().unwrap();
    let root = published.path().join("signatures");
    std::fs::create_dir_all(&root).unwrap();
    assert!(Command::new("cp")
        .args(["-r"])
        .arg(ws.path().join("signatures/stagex"))
        .arg(&root)
        .status()
        .unwrap()
        .success());
    let served = root.join(format!("stagex/pallet-rust@sha256={HEX_A}"));
    let server = http_server(&root);
    let url = format!("http://127.0.0.1:{}/", server.port);
    let published_codes = || -> Vec<(String, String)> {
        let run = ws.run(&["audit", "--json", "--published", &url]);
        let ledger: serde_json::Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
        ledger["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"].as_str().unwrap().starts_with("published-"))
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_string(),
                    f["path"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(published_codes(), vec![]);

    let saved = std::fs::read(served.join("signature-2")).unwrap();
    std::fs::remove_file(served.join("signature-2")).unwrap();
    let found = published_codes();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "published-missing");
    assert!(found[0].1.ends_with("signature-2"), "{found:?}");
    let run = ws.run(&["audit", "--published", &url]);
    assert_eq!(run.code, 1, "{run:?}");

    std::fs::write(served.join("signature-2"), &saved).unwrap();
    std::fs::write(served.join("signature-3"), &saved).unwrap();
    let mut tampered = std::fs::read(served.join("signature-1")).unwrap();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    std::fs::write(served.join("signature-1"), tampered).unwrap();
    let mut found = published_codes();
    found.sort();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "published-differs");
    assert_eq!(found[1].0, "published-extra");
    assert!(found[1].1.starts_with("http://127.0.0.1"), "{found:?}");

    let broken = failing_server(503);
    let url = format!("http://127.0.0.1:{}", broken.port);
    let run = ws.run(&["audit", "--json", "--published", &url]);
    assert!(run.stdout.contains("published-unreadable"), "{run:?}");
    assert!(run.stdout.contains("HTTP status 503"), "{run:?}");
}

/// Current containers/image gives up on an image whose lookaside holds 128 signatures ("server
/// provided 128 signatures, assuming that's unreasonable and a server error"); Debian 12's
/// podman 4.3.1 still reads on. quorate takes the stricter view: it never places a 128th
/// signature, and an image padded to 128 (by anyone who can push) counts nobody, so the gate
/// never passes what current consumers cannot pull. 127 pull with the real podman and count.
#[test]
fn an_image_holds_at_most_127_signatures() {
    if !consumers_here() {
        return;
    }
    let registry = registry();
    let port = registry.port;
    let digest = push_image(&registry, "stagex/img", "padded");
    let reference = format!("127.0.0.1:{port}/stagex/img:1.0");
    let image = format!("127.0.0.1:{port}/stagex/img@sha256:{digest}");
    let (ws, [alice, bob, carol]) = team();
    let scope = format!("127.0.0.1:{port}/stagex");
    let file_url = format!("file://{}", ws.path().join("signatures").display());
    let policy = export(
        &ws,
        &[
            "--scope",
            &scope,
            "--lookaside",
            &file_url,
            "--threshold",
            "1",
        ],
    );
    let signature = sign(alice.primary_pair(), &payload(&reference, &digest));
    for n in 1..=126 {
        ws.put("img", &digest, n, &signature);
    }
    let asked = format!("{reference}@sha256:{digest}");
    // The 127th is placed by sign; the 128th is refused before anything is written.
    let key = ws.key_file(&bob);
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        "--no-commit",
        "--key",
        key.to_str().unwrap(),
        &asked,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("signature-127"), "{run:?}");
    podman_pulls(&policy, &image).unwrap();
    assert_eq!(ws.run(&["gate", "--threshold", "1", &asked]).code, 0);
    let key = ws.key_file(&carol);
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        "--no-commit",
        "--key",
        key.to_str().unwrap(),
        &asked,
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("already holds 127 signatures"),
        "{run:?}"
    );
    assert!(!ws.image_dir("img", &digest).join("signature-128").exists());
    // Padded to 128 by hand: nobody counts, and --lookaside reads it as current podman does.
    ws.put("img", &digest, 128, &signature);
    let gate = ws.run(&["gate", "--threshold", "1", &asked]);
    assert_eq!(gate.code, 1, "{gate:?}");
    let report = ws.verify_json(&asked);
    assert_eq!(codes(&report, 1), vec!["too-many-signatures"], "{report}");
    let run = ws.run(&["gate", "--threshold", "1", "--lookaside", &file_url, &asked]);
    assert_eq!(run.code, 1, "{run:?}");
}
