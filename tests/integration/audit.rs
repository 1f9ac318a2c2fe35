//! `quorate audit`, `withdraw`, `repair` and `sync`: the ledger, its findings, `--at`,
//! `--history`, and two maintainers signing at once.

use std::path::Path;

use serde_json::Value;

use crate::common::*;

fn ledger(ws: &Ws, args: &[&str]) -> (Run, Value) {
    let mut all = vec!["audit", "--json"];
    all.extend_from_slice(args);
    let run = ws.run(&all);
    let json = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    (run, json)
}

/// (severity, code, path) of every finding.
fn findings(ledger: &Value) -> Vec<(String, String, String)> {
    ledger["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["code"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn has(found: &[(String, String, String)], severity: &str, code: &str, path_part: &str) -> bool {
    found
        .iter()
        .any(|(s, c, p)| s == severity && c == code && p.contains(path_part))
}

fn keys() -> [TestKey; 3] {
    [
        TestKey::new("alice"),
        TestKey::with_signing_subkey("bob"),
        TestKey::new("carol"),
    ]
}

fn workspace(keys: &[TestKey; 3]) -> Ws {
    Team::of(keys.each_ref()).ws()
}

/// A signature by the key's signing key (bob's is a subkey).
fn by(key: &TestKey, reference: &str, hex: &str) -> Vec<u8> {
    let pair = if key.name == "bob" {
        key.subkey_pair()
    } else {
        key.primary_pair()
    };
    sign(pair, &payload(reference, hex))
}

#[test]
fn the_audit_names_every_finding_with_its_severity() {
    let keys = keys();
    let ws = workspace(&keys);
    let hex = |n: u8| format!("{:064x}", n);
    // 1: quorate (alice, bob by subkey); committed in 2020, signed now: signed after its commit.
    ws.put("pallet-rust", &hex(1), 1, &by(&keys[0], REF, &hex(1)));
    ws.put("pallet-rust", &hex(1), 2, &by(&keys[1], REF, &hex(1)));
    // 2: a gap; 3: a stranger; 4: alice twice for the same tag, and once for another tag.
    ws.put("pallet-rust", &hex(2), 1, &by(&keys[0], REF, &hex(2)));
    ws.put("pallet-rust", &hex(2), 3, &by(&keys[2], REF, &hex(2)));
    let mallory = TestKey::new("mallory");
    ws.add_cert(&mallory);
    ws.put("pallet-rust", &hex(3), 1, &by(&mallory, REF, &hex(3)));
    ws.put("pallet-rust", &hex(4), 1, &by(&keys[0], REF, &hex(4)));
    ws.put("pallet-rust", &hex(4), 2, &by(&keys[0], REF, &hex(4)));
    ws.put(
        "pallet-rust",
        &hex(4),
        3,
        &by(&keys[0], "docker.io/stagex/pallet-rust:latest", &hex(4)),
    );
    // 5: a signature moved from another digest's directory; a file over 4 MiB.
    ws.put("pallet-rust", &hex(5), 1, &by(&keys[2], REF, &hex(6)));
    let mut big = by(&keys[0], REF, &hex(5));
    big.resize(5 * 1024 * 1024, 0);
    ws.put("pallet-rust", &hex(5), 2, &big);
    // A malformed directory name, and a symlink.
    let bad = ws.path().join("signatures/stagex/core-busybox@sha256=");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("signature-1"),
        by(&keys[0], "docker.io/stagex/core-busybox:1", &hex(7)),
    )
    .unwrap();
    commit_all_at(ws.path(), "signatures", "2020-01-01T00:00:00Z");
    std::os::unix::fs::symlink(
        "/etc",
        ws.path()
            .join("signatures/stagex/etc@sha256=".to_string() + &hex(8)),
    )
    .unwrap();
    // Not committed.
    ws.put("pallet-rust", &hex(1), 3, &by(&keys[2], REF, &hex(1)));

    let (run, ledger) = ledger(&ws, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    let found = findings(&ledger);
    let dir = |n: u8| format!("pallet-rust@sha256={}", hex(n));
    for (severity, code, path) in [
        ("error", "after-gap", format!("{}/signature-3", dir(2))),
        (
            "error",
            "not-a-maintainer",
            format!("{}/signature-1", dir(3)),
        ),
        (
            "error",
            "duplicate-maintainer",
            format!("{}/signature-2", dir(4)),
        ),
        (
            "error",
            "directory-mismatch",
            format!("{}/signature-1", dir(5)),
        ),
        ("error", "too-large", format!("{}/signature-2", dir(5))),
        (
            "error",
            "malformed-directory",
            "core-busybox@sha256=".to_string(),
        ),
        ("error", "symlink-in-tree", "etc@sha256=".to_string()),
        (
            "warning",
            "signed-by-subkey",
            format!("{}/signature-2", dir(1)),
        ),
        (
            "warning",
            "signature-after-commit",
            format!("{}/signature-1", dir(1)),
        ),
        ("warning", "short-of-quorum", dir(2)),
        ("info", "uncommitted", format!("{}/signature-3", dir(1))),
    ] {
        assert!(
            has(&found, severity, code, &path),
            "no {severity} {code} at {path} in {found:#?}"
        );
    }
    // Another tag of the same digest is not a duplicate.
    assert!(
        !has(
            &found,
            "error",
            "duplicate-maintainer",
            &format!("{}/signature-3", dir(4))
        ),
        "{found:#?}"
    );
    // The ledger: signers, tags, commits, and the verdict when committed.
    let image = ledger["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["directory"].as_str().unwrap().contains(&dir(1)))
        .unwrap();
    assert_eq!(image["quorate"], true);
    assert_eq!(
        image["signers"],
        serde_json::json!(["alice", "bob", "carol"])
    );
    assert_eq!(image["references"], serde_json::json!([REF]));
    let first = &image["signatures"][0];
    assert_eq!(first["commit"]["date"], "2020-01-01T00:00:00Z");
    assert_eq!(first["commit"]["signed"], false);
    assert_eq!(first["commit"]["author"], "Test <test@example.org>");
    // In 2020 the key did not exist yet: the signature could not have counted then.
    assert_eq!(first["at_commit"]["counts"], false);
    assert_eq!(image["signatures"][2]["commit"], Value::Null);

    // --maintainer: everything one person signed, and nothing else.
    let (_, mine) = self::ledger(&ws, &["--maintainer", "carol"]);
    for image in mine["images"].as_array().unwrap() {
        for sig in image["signatures"].as_array().unwrap() {
            assert_eq!(sig["maintainer"], "carol", "{sig}");
        }
    }
    assert_eq!(ws.run(&["audit", "--maintainer", "nobody"]).code, 2);
}

#[test]
fn the_json_validates_against_the_documented_schema_and_round_trips() {
    let keys = keys();
    let ws = workspace(&keys);
    ws.put("pallet-rust", HEX_A, 1, &by(&keys[0], REF, HEX_A));
    ws.put("pallet-rust", HEX_A, 2, &by(&keys[1], REF, HEX_B));
    commit_all(ws.path(), "signatures");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/audit.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let realworld = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/realworld/stagex");
    let corpus = run_in(
        &realworld,
        &[
            "--keyring",
            "keys",
            "audit",
            "--json",
            "--accept-legacy",
            "--as-of",
            "2024-07-01T00:00:00Z",
        ],
    );
    for run in [ws.run(&["audit", "--json", "--history"]), corpus] {
        let value: Value = serde_json::from_str(&run.stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        let again: Value = serde_json::from_str(&serde_json::to_string(&value).unwrap()).unwrap();
        assert_eq!(again, value);
    }
}

#[test]
fn release_audit_reports_unsigned_digests() {
    let keys = keys();
    let ws = workspace(&keys);
    std::fs::create_dir(ws.path().join("digests")).unwrap();
    std::fs::write(
        ws.path().join("digests/pallet.txt"),
        format!("{HEX_B} pallet-go\n{HEX_A} pallet-rust\n"),
    )
    .unwrap();
    ws.put("pallet-rust", HEX_A, 1, &by(&keys[0], REF, HEX_A));
    let (run, ledger) = ledger(&ws, &["--release"]);
    assert_eq!(run.code, 1);
    let found = findings(&ledger);
    assert!(
        has(
            &found,
            "error",
            "unsigned-release-digest",
            &format!("pallet-go@sha256={HEX_B}")
        ),
        "{found:#?}"
    );
    assert!(
        has(&found, "warning", "short-of-quorum", "pallet-rust"),
        "{found:#?}"
    );
}

#[test]
fn at_reads_a_pinned_revision_not_the_working_tree() {
    let keys = keys();
    let ws = workspace(&keys);
    ws.put("pallet-rust", HEX_A, 1, &by(&keys[0], REF, HEX_A));
    ws.put("pallet-rust", HEX_A, 2, &by(&keys[2], REF, HEX_A));
    commit_all(ws.path(), "release");
    let pinned = git(ws.path(), &["rev-parse", "HEAD"]).trim().to_string();
    // After the pin: a signature removed and MAINTAINERS emptied, committed and in the work tree.
    std::fs::remove_file(ws.image_dir("pallet-rust", HEX_A).join("signature-2")).unwrap();
    std::fs::write(ws.path().join("MAINTAINERS"), "[people.mallory]\n").unwrap();
    commit_all(ws.path(), "tamper");
    let asked = reference(HEX_A);
    assert_eq!(ws.run(&["gate", &asked]).code, 1);
    assert_eq!(ws.run(&["gate", &asked, "--at", &pinned]).code, 0);
    assert_eq!(ws.run(&["verify", &asked, "--at", &pinned]).code, 0);
    let (run, ledger) = ledger(&ws, &["--at", &pinned]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(ledger["source"].as_str().unwrap().contains(&pinned[..12]));
    assert_eq!(ledger["images"][0]["quorate"], true);
    assert_eq!(ws.run(&["gate", &asked, "--at", "no-such-rev"]).code, 2);
}

#[test]
fn history_tells_rollbacks_and_rewrites_from_moves_and_withdrawals() {
    let keys = keys();
    let ws = workspace(&keys);
    let r = |hex: &str| reference(hex);
    for key in &keys {
        let file = ws.key_file(key);
        assert_eq!(
            ws.run(&[
                "sign",
                "--no-rebuild",
                &r(HEX_A),
                "--key",
                file.to_str().unwrap()
            ])
            .code,
            0
        );
        assert_eq!(
            ws.run(&[
                "sign",
                "--no-rebuild",
                &r(HEX_B),
                "--key",
                file.to_str().unwrap()
            ])
            .code,
            0
        );
    }
    let dir_a = ws.image_dir("pallet-rust", HEX_A);
    let dir_b = ws.image_dir("pallet-rust", HEX_B);
    // Someone with push access deletes bob's signature of A (a rollback) ...
    std::fs::remove_file(dir_a.join("signature-2")).unwrap();
    commit_all(ws.path(), "drop one");
    // ... overwrites carol's signature of B with alice's of A (a rewrite) ...
    std::fs::copy(dir_a.join("signature-1"), dir_b.join("signature-3")).unwrap();
    commit_all(ws.path(), "overwrite");
    // ... and repair renumbers A's signature-3 to 2.
    let run = ws.run(&["repair"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("1 signature renumbered"),
        "{}",
        run.stdout
    );
    // alice withdraws her signature of B: a withdrawal, not a rollback.
    let alice = ws.key_file(&keys[0]);
    let run = ws.run(&["withdraw", &r(HEX_B), "--key", alice.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("withdrew"), "{}", run.stdout);
    assert_eq!(
        ws.run(&["verify", &r(HEX_B)]).code,
        1,
        "the copied file at signature-2 signs A"
    );

    let (run, ledger) = ledger(&ws, &["--history"]);
    assert_eq!(run.code, 1, "{run:?}");
    let found = findings(&ledger);
    assert!(
        has(
            &found,
            "error",
            "rollback",
            &format!("pallet-rust@sha256={HEX_A}/signature-2")
        ),
        "{found:#?}"
    );
    assert!(
        has(
            &found,
            "error",
            "rewritten",
            &format!("pallet-rust@sha256={HEX_B}/signature-3")
        ),
        "{found:#?}"
    );
    assert!(
        has(
            &found,
            "info",
            "renumbered",
            &format!("pallet-rust@sha256={HEX_A}/signature-3")
        ),
        "{found:#?}"
    );
    assert!(
        has(
            &found,
            "info",
            "withdrawn",
            &format!("pallet-rust@sha256={HEX_B}/signature-1")
        ),
        "{found:#?}"
    );
    assert!(
        !has(
            &found,
            "error",
            "rollback",
            &format!("pallet-rust@sha256={HEX_B}/signature-1")
        ),
        "{found:#?}"
    );
    // Each history finding names its commit.
    let rollback = ledger["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "rollback")
        .unwrap();
    let subject = git(
        ws.path(),
        &[
            "log",
            "-1",
            "--format=%s",
            rollback["commit"]["id"].as_str().unwrap(),
        ],
    );
    assert_eq!(subject.trim(), "drop one");

    // Asked about image B only, the history of B only: A's rollback is not reported.
    let only_b = ws.run(&["audit", "--json", "--history", &r(HEX_B)]);
    let only_b: Value = serde_json::from_str(&only_b.stdout).unwrap();
    let found = findings(&only_b);
    assert!(
        has(
            &found,
            "error",
            "rewritten",
            &format!("pallet-rust@sha256={HEX_B}/signature-3")
        ),
        "{found:#?}"
    );
    assert!(
        !has(
            &found,
            "error",
            "rollback",
            &format!("pallet-rust@sha256={HEX_A}/signature-2")
        ),
        "{found:#?}"
    );
}

#[test]
fn a_withdrawal_statement_by_someone_else_is_a_rollback() {
    let keys = keys();
    let ws = workspace(&keys);
    let reference = asked();
    for key in &keys[..2] {
        let file = ws.key_file(key);
        assert_eq!(
            ws.run(&[
                "sign",
                "--no-rebuild",
                &reference,
                "--key",
                file.to_str().unwrap()
            ])
            .code,
            0
        );
    }
    // carol, who never signed, has nothing to withdraw.
    let carol = ws.key_file(&keys[2]);
    let run = ws.run(&["withdraw", &reference, "--key", carol.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    // carol forges a "withdrawal" of alice's signature with her own statement.
    let sig = std::fs::read(ws.image_dir("pallet-rust", HEX_A).join("signature-1")).unwrap();
    let statement = sign(
        keys[2].primary_pair(),
        &quorate::ops::withdraw::statement_payload(&sig, "signatures/x/signature-1"),
    );
    let dir = ws.path().join("signatures/.quorate/withdrawals");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!(
            "{}.pgp",
            quorate::ops::withdraw::content_hash(&sig)
        )),
        statement,
    )
    .unwrap();
    std::fs::remove_file(ws.image_dir("pallet-rust", HEX_A).join("signature-1")).unwrap();
    commit_all(ws.path(), "forged withdrawal");
    let (_, ledger) = ledger(&ws, &["--history"]);
    let found = findings(&ledger);
    assert!(
        has(&found, "error", "rollback", "signature-1"),
        "{found:#?}"
    );
    assert!(
        !found.iter().any(|(_, c, _)| c == "withdrawn"),
        "{found:#?}"
    );
}

#[test]
fn sync_resolves_two_maintainers_signing_at_once() {
    let keys = keys();
    let seed = workspace(&keys);
    commit_all(seed.path(), "workspace");
    let remote = tempfile::tempdir().unwrap();
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    let url = remote.path().to_str().unwrap();
    git(seed.path(), &["push", "-q", url, "main"]);
    let clone = |name: &str| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        git(dir.path(), &["clone", "-q", url, name]);
        git(&path, &["config", "user.name", name]);
        git(
            &path,
            &["config", "user.email", &format!("{name}@example.org")],
        );
        (dir, path)
    };
    let (_a, alice_clone) = clone("alice");
    let (_b, bob_clone) = clone("bob");
    let reference = asked();
    for (path, key) in [(&alice_clone, &keys[0]), (&bob_clone, &keys[1])] {
        let file = path.join("../key.asc");
        std::fs::write(&file, key.secret()).unwrap();
        let run = run_in(
            path,
            &[
                "sign",
                "--no-rebuild",
                &reference,
                "--key",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("signature-1"), "{}", run.stdout);
    }
    // alice publishes first; bob's signature-1 now collides.
    let run = run_in(&alice_clone, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = run_in(&bob_clone, &["sync", "origin", "main"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("signature-2"), "{}", run.stdout);
    // A fresh clone of the remote holds both, contiguous, and passes the gate.
    let (_c, fresh) = clone("carol");
    let dir = fresh.join(format!("signatures/stagex/pallet-rust@sha256={HEX_A}"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["signature-1", "signature-2"]);
    let run = run_in(&fresh, &["gate", &reference]);
    assert_eq!(run.code, 0, "{run:?}");
    // bob's clone is on the remote's tip with a clean work tree.
    assert_eq!(git(&bob_clone, &["status", "--porcelain"]).trim(), "");
    // --push-to: a branch for a merge request.
    let (_d, carol_clone) = clone("carol2");
    let file = carol_clone.join("../key.asc");
    std::fs::write(&file, keys[2].secret()).unwrap();
    assert_eq!(
        run_in(
            &carol_clone,
            &[
                "sign",
                "--no-rebuild",
                &reference,
                "--key",
                file.to_str().unwrap()
            ]
        )
        .code,
        0
    );
    let run = run_in(&carol_clone, &["sync", "--push-to", "carol-signs"]);
    assert_eq!(run.code, 0, "{run:?}");
    let branches = git(remote.path(), &["branch", "--list"]);
    assert!(branches.contains("carol-signs"), "{branches}");
}

#[test]
fn a_commit_signed_by_a_maintainer_is_named() {
    if !have("gpg") {
        return;
    }
    let gnupg = Gnupg::new();
    let fpr = gnupg.generate("alice", false);
    let ws = Ws::new(&[]);
    std::fs::write(
        ws.path().join("MAINTAINERS"),
        format!("[people.alice]\n[keys.alice.k]\nid = \"{fpr}\"\n"),
    )
    .unwrap();
    std::fs::write(
        ws.path().join("keyring/alice.pgp"),
        gnupg.gpg(&["--export", &fpr]),
    )
    .unwrap();
    std::fs::write(
        ws.path().join("alice.key"),
        gnupg.gpg(&["--export-secret-keys", &fpr]),
    )
    .unwrap();
    let reference = asked();
    assert_eq!(
        ws.run(&[
            "sign",
            "--no-rebuild",
            &reference,
            "--key",
            "alice.key",
            "--no-commit"
        ])
        .code,
        0
    );
    git(ws.path(), &["add", "signatures"]);
    git_env(
        ws.path(),
        &[
            "-c",
            &format!("user.signingkey={fpr}"),
            "commit",
            "-S",
            "-qm",
            "signed",
        ],
        &[("GNUPGHOME", gnupg.home.path())],
    );
    let (_, signed) = ledger(&ws, &[]);
    let commit = &signed["images"][0]["signatures"][0]["commit"];
    assert_eq!(commit["signed"], true, "{commit}");
    assert_eq!(commit["signed_by"], "alice", "{commit}");
    // An unsigned commit says so.
    assert_eq!(
        ws.run(&[
            "sign",
            "--no-rebuild",
            &format!("stagex/pallet-go:1.0@sha256:{HEX_A}"),
            "--key",
            "alice.key"
        ])
        .code,
        0
    );
    let (_, later) = ledger(&ws, &[]);
    let unsigned = later["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["directory"].as_str().unwrap().contains("pallet-go"))
        .unwrap();
    assert_eq!(unsigned["signatures"][0]["commit"]["signed"], false);
    assert_eq!(
        unsigned["signatures"][0]["commit"]["signed_by"],
        Value::Null
    );
}

/// In a shallow clone the audit says attribution stops at the graft, and credits the files it
/// cannot trace to no commit, never to the graft commit itself.
#[test]
fn a_shallow_clone_credits_nothing_to_the_graft() {
    let keys = keys();
    let ws = Ws::new(&[("alice", &[&keys[0]]), ("bob", &[&keys[1]])]);
    ws.put(
        "pallet-rust",
        HEX_A,
        1,
        &sign(keys[0].primary_pair(), &payload(REF, HEX_A)),
    );
    commit_all(ws.path(), "alice signs");
    ws.put(
        "pallet-rust",
        HEX_A,
        2,
        &sign(keys[1].primary_pair(), &payload(REF, HEX_A)),
    );
    commit_all(ws.path(), "bob signs");
    let clones = tempfile::tempdir().unwrap();
    git(
        clones.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &format!("file://{}", ws.path().display()),
            "shallow",
        ],
    );
    let clone = clones.path().join("shallow");
    let run = run_in(&clone, &["audit", "--json"]);
    let ledger: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    let found = findings(&ledger);
    assert!(has(&found, "warning", "shallow-clone", ""), "{found:#?}");
    for s in ledger["images"][0]["signatures"].as_array().unwrap() {
        assert!(s["commit"].is_null(), "credited to the graft: {s}");
    }
    // The full clone credits each file to its own commit.
    let (_, full) = ledger_of(&ws);
    let subjects: Vec<&str> = full["images"][0]["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["commit"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(subjects.len(), 2);
    assert_ne!(subjects[0], subjects[1]);
}

fn ledger_of(ws: &Ws) -> (Run, Value) {
    ledger(ws, &[])
}
