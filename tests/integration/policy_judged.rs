//! A policy judged whole, as podman uses it: `policy check --scope` answers for everything below
//! the scope, `policy export --merge` never keeps a weaker entry inside a scope it writes, and a
//! policy made from an older trust root is reported stale. The real podman pulls through the
//! registry on 127.0.0.1 to show what each policy really lets through.

use std::path::Path;

use crate::common::*;

/// Adds `entry` to the docker transport of `policy_dir/policy.json`.
fn add_entry(policy_dir: &Path, scope: &str, entry: serde_json::Value) {
    let file = policy_dir.join("policy.json");
    let mut policy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    policy["transports"]["docker"][scope] = entry;
    std::fs::write(&file, policy.to_string()).unwrap();
}

/// `stagex/img:1.0` pushed to a registry on 127.0.0.1; None where podman, skopeo or the
/// registry are missing.
struct Pulled {
    /// Bound by every test, so the registry lives as long as it.
    _registry: Server,
    digest: String,
    /// `127.0.0.1:PORT/stagex`.
    scope: String,
    /// `127.0.0.1:PORT/stagex/img`.
    repo: String,
}

fn pulled() -> Option<Pulled> {
    if !consumers_here() {
        return None;
    }
    let registry = registry();
    let digest = push_image(&registry, "stagex/img", "one");
    let scope = format!("127.0.0.1:{}/stagex", registry.port);
    Some(Pulled {
        _registry: registry,
        digest,
        repo: format!("{scope}/img"),
        scope,
    })
}

/// The workspace's signatures, as a `file://` lookaside.
fn file_url(ws: &Ws) -> String {
    format!("file://{}", ws.path().join("signatures").display())
}

/// `policy check --json` (with `--scope` when given) and its exit status.
fn check_json(ws: &Ws, policy_dir: &Path, scope: Option<&str>) -> (i32, serde_json::Value) {
    let policy = policy_dir.join("policy.json");
    let mut args = vec!["policy", "check", "--json", policy.to_str().unwrap()];
    if let Some(scope) = scope {
        args.extend(["--scope", scope]);
    }
    let run = ws.run(&args);
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    (run.code, serde_json::from_str(&run.stdout).unwrap())
}

/// quorate's own export for REG/stagex plus one line `"REG/stagex/img:1.0":
/// insecureAcceptAnything`: podman pulls that tag unsigned, and `policy check --scope` says so for
/// the namespace and the repository alike, naming the entry; a `repo@digest` entry or a
/// repository below the namespace that needs one maintainer is found the same way, a stronger one
/// or one beside the scope changes nothing.
#[test]
fn policy_check_scope_answers_for_every_entry_below_it() {
    let Some(Pulled {
        digest,
        scope,
        repo,
        _registry,
    }) = pulled()
    else {
        return;
    };
    let (ws, keys) = team();
    let file_url = file_url(&ws);
    let policy = export(&ws, &["--scope", &scope, "--lookaside", &file_url]);
    for asked in [&scope, &repo] {
        let (code, json) = check_json(&ws, &policy, Some(asked));
        assert_eq!(code, 0, "{json}");
        assert_eq!(json["scopes"][0]["min_maintainers"], 2, "{json}");
    }

    let tag = format!("{repo}:1.0");
    add_entry(
        &policy,
        &tag,
        serde_json::json!([{"type": "insecureAcceptAnything"}]),
    );
    // What is at stake: podman uses the most specific entry, and pulls the tag unsigned; the
    // digest goes through the namespace's quorum and is refused.
    podman_pulls(&policy, &tag).unwrap();
    let by_digest = format!("{repo}@sha256:{digest}");
    assert!(podman_pulls(&policy, &by_digest).is_err());
    for asked in [&scope, &repo] {
        let (code, json) = check_json(&ws, &policy, Some(asked));
        assert_eq!(code, 1, "{asked}: {json}");
        let answer = &json["scopes"][0];
        assert_eq!(answer["scope"], asked.as_str());
        assert_eq!(answer["min_maintainers"], 0, "{json}");
        assert!(
            answer["decided_by"].as_str().unwrap().contains(&tag),
            "{json}"
        );
        let entries = answer["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2, "{json}");
        assert_eq!(entries[0]["min_maintainers"], 2, "{json}");
        assert_eq!(entries[1]["scope"], tag.as_str(), "{json}");
        let policy_file = policy.join("policy.json");
        let run = ws.run(&[
            "policy",
            "check",
            policy_file.to_str().unwrap(),
            "--scope",
            asked,
        ]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stdout.starts_with("TOO WEAK"), "{run:?}");
        assert!(
            run.stdout.contains(&format!(
                "{tag}: accepts images without any maintainer's signature"
            )),
            "{run:?}"
        );
    }
    // The tag itself: nothing is more specific than a tag.
    let (code, json) = check_json(&ws, &policy, Some(&tag));
    assert_eq!(code, 1, "{json}");
    assert!(json["scopes"][0].get("entries").is_none(), "{json}");

    // A digest entry below the repository, and a repository below the namespace that needs one
    // maintainer (StageX's documented single signedBy): both found.
    let one_keyring = ws.path().join("one.pgp");
    std::fs::write(&one_keyring, keys[0].public()).unwrap();
    let policy = export(&ws, &["--scope", &scope, "--lookaside", &file_url]);
    add_entry(
        &policy,
        &by_digest,
        serde_json::json!([{"type": "insecureAcceptAnything"}]),
    );
    signed_by(&ws, &tag, &digest, &[]);
    podman_pulls(&policy, &by_digest).unwrap();
    let (code, json) = check_json(&ws, &policy, Some(&repo));
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["scopes"][0]["min_maintainers"], 0, "{json}");
    let policy = export(&ws, &["--scope", &scope, "--lookaside", &file_url]);
    add_entry(
        &policy,
        &repo,
        serde_json::json!([{"type": "signedBy", "keyType": "GPGKeys", "keyPath": one_keyring,
            "signedIdentity": {"type": "matchRepoDigestOrExact"}}]),
    );
    signed_by(&ws, &tag, &digest, &[&keys[0]]);
    podman_pulls(&policy, &by_digest).unwrap();
    let (code, json) = check_json(&ws, &policy, Some(&scope));
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["scopes"][0]["min_maintainers"], 1, "{json}");
    assert_eq!(json["scopes"][0]["example"][0], "alice", "{json}");

    // Stronger below, or beside (img2 is not below img): the scope's own answer stands.
    let policy = export(&ws, &["--scope", &scope, "--lookaside", &file_url]);
    add_entry(&policy, &tag, serde_json::json!([{"type": "reject"}]));
    add_entry(
        &policy,
        &format!("{repo}2:1.0"),
        serde_json::json!([{"type": "insecureAcceptAnything"}]),
    );
    let (code, json) = check_json(&ws, &policy, Some(&repo));
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["scopes"][0]["min_maintainers"], 2, "{json}");
    assert_eq!(json["scopes"][0]["entries"].as_array().unwrap().len(), 2);
}

/// `policy export --merge` of a policy that holds `"REG/stagex/img": insecureAcceptAnything`
/// (which podman would use for every image of that repository) is refused, naming the entry,
/// and writes nothing; `--replace-weaker` replaces it with the quorum, and podman then refuses
/// the unsigned image. Entries beside the scope, and stronger ones inside it, are kept.
#[test]
fn policy_export_merge_never_keeps_a_weaker_entry_inside_its_scope() {
    let Some(Pulled {
        digest,
        scope,
        repo,
        _registry,
    }) = pulled()
    else {
        return;
    };
    let (ws, keys) = team();
    let file_url = file_url(&ws);
    let tag = format!("{repo}:1.0");
    let mine = serde_json::json!({
        "default": [{"type": "reject"}],
        "transports": {"docker": {
            &repo: [{"type": "insecureAcceptAnything"}],
            format!("{scope}/locked"): [{"type": "reject"}],
            "docker.io/library": [{"type": "insecureAcceptAnything"}],
        }}
    });
    let merge = ws.path().join("mine.json");
    std::fs::write(&merge, mine.to_string()).unwrap();
    // As the user has it, podman pulls the image unsigned.
    let mine_dir = ws.path().join("mine");
    std::fs::create_dir_all(mine_dir.join("registries.d")).unwrap();
    std::fs::copy(&merge, mine_dir.join("policy.json")).unwrap();
    std::fs::write(mine_dir.join("registries.d/quorate.yaml"), "docker: {}\n").unwrap();
    podman_pulls(&mine_dir, &tag).unwrap();

    let out = ws.path().join("out");
    let args = |extra: &[&str]| {
        let mut args = vec![
            "policy",
            "export",
            "-o",
            out.to_str().unwrap(),
            "--scope",
            &scope,
            "--lookaside",
            &file_url,
            "--merge",
            merge.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let refused = ws.run(&args(&[]).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("mine.json"), "{refused:?}");
    assert!(
        refused.stderr.contains(&format!(
            "{repo:?} accepts images without any maintainer's signature, inside {scope}"
        )),
        "{refused:?}"
    );
    assert!(refused.stderr.contains("--replace-weaker"), "{refused:?}");
    assert!(!out.join("policy.json").exists(), "{refused:?}");

    let replaced = ws.run(
        &args(&["--replace-weaker"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(replaced.code, 0, "{replaced:?}");
    assert!(
        replaced.stderr.contains(&format!("replaced {repo:?}")),
        "{replaced:?}"
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("policy.json")).unwrap()).unwrap();
    let docker = &written["transports"]["docker"];
    assert_eq!(docker[&repo], docker[&scope], "{written}");
    assert_eq!(
        docker[format!("{scope}/locked")],
        mine["transports"]["docker"][format!("{scope}/locked")]
    );
    assert_eq!(
        docker["docker.io/library"],
        mine["transports"]["docker"]["docker.io/library"]
    );
    for asked in [&scope, &repo] {
        let (code, json) = check_json(&ws, &out, Some(asked));
        assert_eq!(code, 0, "{json}");
        assert_eq!(json["scopes"][0]["min_maintainers"], 2, "{json}");
    }
    assert!(podman_pulls(&out, &tag).is_err());
    signed_by(&ws, &tag, &digest, &[&keys[0], &keys[1]]);
    podman_pulls(&out, &tag).unwrap();
}

/// A deployed policy judged against the root in force: made from version 1, it is reported
/// stale (exit 1, naming both versions) once version 2 adds erin (whom it cannot see), and once
/// version 3 removes carol and lowers the threshold to 1 (carol's key still satisfies its
/// requirements, where the old check said "ok"); exported again, it is fine. The version is
/// recorded as a scope podman parses: the real podman pulls with the exported policy.
#[test]
fn a_policy_made_from_an_older_trust_root_is_stale() {
    let (ws, keys) = chained();
    let erin = TestKey::new("erin");
    let made = export(&ws, &[]);
    let (code, json) = check_json(&ws, &made, None);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["made_from"], 1, "{json}");
    assert_eq!(json["in_force"], 1, "{json}");
    assert_eq!(json["stale"], false, "{json}");
    assert_eq!(json["scopes"].as_array().unwrap().len(), 1, "{json}");

    if consumers_here() {
        let registry = registry();
        let digest = push_image(&registry, "stagex/img", "one");
        let scope = format!("127.0.0.1:{}/stagex", registry.port);
        let file_url = format!("file://{}", ws.path().join("signatures").display());
        let pulled = export(&ws, &["--scope", &scope, "--lookaside", &file_url]);
        let text = std::fs::read_to_string(pulled.join("policy.json")).unwrap();
        assert!(
            text.contains("quorate.invalid/trust-root/version-1"),
            "{text}"
        );
        let tag = format!("{scope}/img:1.0");
        signed_by(&ws, &tag, &digest, &[&keys[0], &keys[2]]);
        podman_pulls(&pulled, &format!("{scope}/img@sha256:{digest}")).unwrap();
        std::fs::remove_dir_all(ws.path().join("signatures/stagex")).unwrap();
    }

    let new_version = |ws: &Ws, approvers: &[&TestKey]| {
        commit_all(ws.path(), "change");
        let run = ws.run(&["trust", "propose"]);
        assert_eq!(run.code, 0, "{run:?}");
        let runs: Vec<Run> = approvers.iter().map(|key| approve(ws, key)).collect();
        let last = runs.last().unwrap();
        assert!(last.stdout.contains("is in force"), "{last:?}");
    };
    let erin_file = ws.path().join("erin.pub.asc");
    std::fs::write(&erin_file, erin.public()).unwrap();
    let run = ws.run(&[
        "maintainers",
        "add",
        "erin",
        "--name",
        "erin",
        "--email",
        "erin@example.org",
        erin_file.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    std::fs::remove_file(&erin_file).unwrap();
    new_version(&ws, &[&keys[0], &keys[1], &erin]);
    let (code, json) = check_json(&ws, &made, None);
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["stale"], true, "{json}");
    assert_eq!(json["made_from"], 1, "{json}");
    assert_eq!(json["in_force"], 2, "{json}");
    assert_eq!(json["scopes"][0]["unseen"][0], "erin", "{json}");
    let policy_file = made.join("policy.json");
    let run = ws.run(&["policy", "check", policy_file.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains(
            "made from trust root version 1, judged against trust root version 2 in force"
        ),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("erin (trust root version 2 in force) is in no requirement"),
        "{run:?}"
    );

    let run = ws.run(&["maintainers", "remove", "carol"]);
    assert_eq!(run.code, 0, "{run:?}");
    set_threshold(ws.path(), 1);
    new_version(&ws, &[&keys[0], &keys[1]]);
    let run = ws.run(&["policy", "check", policy_file.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("version 3 in force"), "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("key {} (carol", keys[2].fingerprint())),
        "{run:?}"
    );

    let again = export(&ws, &[]);
    let (code, json) = check_json(&ws, &again, None);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["made_from"], 3, "{json}");
    assert_eq!(json["stale"], false, "{json}");
}

/// `policy check --image` evaluates an image as the real podman 4.3.1 pulls it, and agrees with
/// it on every case the consumer tests pull (k = 2 of 3): no signature, one maintainer, one
/// maintainer's two keys, a tampered signature, a signature of another image, a stranger's,
/// a subkey signature (refused before containers/image 5.37), a key expired since it signed;
/// two maintainers pull, over file:// and HTTP. A refusal names the requirement nobody satisfies
/// and who would have to sign.
#[test]
fn policy_check_image_agrees_with_podman() {
    let Some(Pulled {
        digest,
        scope,
        repo,
        _registry,
    }) = pulled()
    else {
        return;
    };
    let other_digest = push_image(&_registry, "stagex/other", "two");
    let alice = TestKey::new("alice");
    let alice2 = TestKey::new("alice-second");
    let bob = TestKey::with_signing_subkey("bob");
    let carol = TestKey::new("carol");
    let dave = TestKey::new("dave");
    let mut old = TestKey::new("alice-old");
    let now = std::time::SystemTime::now();
    old.set_expiry(Some(days(1)), now - days(29));
    let ws = Team::of([&alice, &bob, &carol])
        .also("alice", &alice2)
        .also("alice", &old)
        .ws();
    let file_url = file_url(&ws);
    let policy = export(&ws, &["--scope", &scope, "--lookaside", &file_url]);
    let tag = format!("{repo}:1.0");
    let image = format!("{repo}@sha256:{digest}");
    let signed = payload(&tag, &digest);
    let put = |files: Vec<Vec<u8>>| {
        let _ = std::fs::remove_dir_all(ws.image_dir("img", &digest));
        for (i, bytes) in files.iter().enumerate() {
            ws.put("img", &digest, i as u32 + 1, bytes);
        }
    };
    let by = |key: &TestKey| sign(key.primary_pair(), &signed);
    let by_bob = || sign(bob.subkey_pair(), &signed);
    let mut tampered = by(&carol);
    let last = tampered.len() - 3;
    tampered[last] ^= 1;
    let cases: Vec<(&str, Vec<Vec<u8>>, bool)> = vec![
        ("no signature", vec![], false),
        ("alice alone", vec![by(&alice)], false),
        ("alice with two keys", vec![by(&alice), by(&alice2)], false),
        (
            "alice and a tampered carol",
            vec![by(&alice), tampered],
            false,
        ),
        (
            "alice and carol's signature of another image",
            vec![
                by(&alice),
                sign(
                    carol.primary_pair(),
                    &payload(&format!("{scope}/other:1.0"), &other_digest),
                ),
            ],
            false,
        ),
        ("alice and a stranger", vec![by(&alice), by(&dave)], false),
        ("alice and bob by subkey", vec![by(&alice), by_bob()], false),
        (
            "carol and alice's key expired since it signed",
            vec![
                by(&carol),
                sign_at(
                    old.primary_pair(),
                    &signed,
                    now - days(29) - days(1) / 2,
                    sequoia_openpgp::types::HashAlgorithm::SHA256,
                ),
            ],
            false,
        ),
        ("alice and carol", vec![by(&alice), by(&carol)], true),
        (
            "carol and alice's second key",
            vec![by(&carol), by(&alice2)],
            true,
        ),
    ];
    let policy_file = policy.join("policy.json");
    let check = |url: &str| {
        ws.run(&[
            "policy",
            "check",
            policy_file.to_str().unwrap(),
            "--image",
            &image,
            "--lookaside",
            url,
        ])
    };
    let server = http_server(&ws.path().join("signatures"));
    let http_url = format!("http://127.0.0.1:{}/", server.port);
    for (case, files, pulls) in cases {
        put(files);
        let podman = podman_pulls(&policy, &image);
        assert_eq!(podman.is_ok(), pulls, "podman, {case}: {podman:?}");
        for url in [&file_url, &http_url] {
            let run = check(url);
            assert_eq!(
                run.code,
                if pulls { 0 } else { 1 },
                "{case}, {url}: {run:?}"
            );
        }
    }

    // A mirror: pulled as localhost:PORT/stagex/img, signed as 127.0.0.1:PORT/stagex/img
    // (remapIdentity).
    let mirror_scope = scope.replace("127.0.0.1", "localhost");
    let mirrored = export(
        &ws,
        &[
            "--scope",
            &scope,
            "--mirror",
            &format!("{mirror_scope}={scope}"),
            "--lookaside",
            &file_url,
        ],
    );
    let via_mirror = format!("{mirror_scope}/img@sha256:{digest}");
    let mirrored_file = mirrored.join("policy.json");
    for (files, pulls) in [
        (vec![by(&alice)], false),
        (vec![by(&alice), by(&carol)], true),
    ] {
        put(files);
        assert_eq!(podman_pulls(&mirrored, &via_mirror).is_ok(), pulls);
        let run = ws.run(&[
            "policy",
            "check",
            mirrored_file.to_str().unwrap(),
            "--image",
            &via_mirror,
        ]);
        assert_eq!(run.code, if pulls { 0 } else { 1 }, "{run:?}");
    }

    // What a refusal says: the requirement nobody satisfies, each signature's reason, who to ask.
    put(vec![by(&alice), by_bob()]);
    let run = check(&file_url);
    assert!(
        run.stdout
            .starts_with(&format!("REFUSED  {image}: podman would refuse it")),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("(signedBy of bob, carol): NOT SATISFIED"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("(signedBy of alice, bob): satisfied by alice"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains(
            "signature-1 (alice): made by a key this requirement's keyring does not hold"
        ),
        "{run:?}"
    );
    assert!(
        run.stdout.contains(
            "signature-2 (bob): made with a subkey, which containers/image before 5.37 rejects"
        ),
        "{run:?}"
    );
    assert!(
        run.stdout.contains(
            "to pass: a signature, as podman accepts it, by 1 more maintainer (e.g. carol)"
        ),
        "{run:?}"
    );
    let json = ws.run(&[
        "policy",
        "check",
        "--json",
        policy_file.to_str().unwrap(),
        "--image",
        &image,
    ]);
    assert_eq!(json.code, 1, "{json:?}");
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["accepted"], false, "{json}");
    assert_eq!(json["would_pass_with"][0], "carol", "{json}");
    let unmet: Vec<&serde_json::Value> = json["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["satisfied"] == false)
        .collect();
    assert_eq!(unmet.len(), 1, "{json}");
    assert_eq!(
        unmet[0]["keyring"],
        serde_json::json!(["bob", "carol"]),
        "{json}"
    );
}
