//! Paths, links and history: `--at` reads the pinned commit and nothing else, no command creates,
//! writes or deletes anything through a link, and history calls every removal a rollback unless
//! its own maintainer signed a withdrawal, wherever the bytes went.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

fn by(key: &TestKey, hex: &str) -> Vec<u8> {
    sign(key.primary_pair(), &payload(REF, hex))
}

/// Every file under `dir`, as (relative path, bytes), links listed as links: what a test
/// compares before and after a command that must change nothing there.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Option<String>)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let relative = entry.path().strip_prefix(dir).unwrap().to_path_buf();
        if relative.starts_with(".git") {
            continue;
        }
        let bytes = entry
            .file_type()
            .is_file()
            .then(|| hex_sha256(&std::fs::read(entry.path()).unwrap()));
        out.push((relative, bytes));
    }
    out
}

fn quorate_sign(ws: &Ws, key: &TestKey, hex: &str) {
    let file = ws.key_file(key);
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &reference(hex),
        "--key",
        file.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
}

// --- 4. `--at REV` reads REV, never the checkout's links ---

/// Each way a checkout's link could redirect what a gate pinned to REV reads: REV alone is
/// one signature short; the link points at what would pass.
#[test]
fn at_reads_the_pinned_commit_never_the_checkouts_links() {
    let outside = tempfile::tempdir().unwrap();
    type Case = fn(&Ws, &[TestKey; 2], &Path);
    let cases: [(&str, Case, Case); 4] = [
        (
            "quorate.toml -> docs/empty.toml",
            |ws, keys, _| {
                // REV asks for three of three maintainers (a threshold the team can reach);
                // two signed.
                let carol = TestKey::new("carol");
                ws.add_cert(&carol);
                let mut maintainers =
                    std::fs::read_to_string(ws.path().join("MAINTAINERS")).unwrap();
                maintainers.push_str(&format!(
                    "[people.carol]\n[keys.carol.k]\nid = \"{}\"\n",
                    carol.fingerprint()
                ));
                std::fs::write(ws.path().join("MAINTAINERS"), maintainers).unwrap();
                std::fs::write(ws.path().join("quorate.toml"), "threshold = 3\n").unwrap();
                ws.put("pallet-rust", HEX_A, 1, &by(&keys[0], HEX_A));
                ws.put("pallet-rust", HEX_A, 2, &by(&keys[1], HEX_A));
                std::fs::create_dir_all(ws.path().join("docs")).unwrap();
                std::fs::write(ws.path().join("docs/empty.toml"), "").unwrap();
            },
            |ws, _, _| {
                std::fs::remove_file(ws.path().join("quorate.toml")).unwrap();
                symlink("docs/empty.toml", ws.path().join("quorate.toml")).unwrap();
            },
        ),
        (
            "signatures -> archive",
            |ws, keys, _| {
                ws.put("pallet-rust", HEX_A, 1, &by(&keys[0], HEX_A));
                let archive = ws
                    .path()
                    .join(format!("archive/stagex/pallet-rust@sha256={HEX_A}"));
                std::fs::create_dir_all(&archive).unwrap();
                std::fs::write(archive.join("signature-1"), by(&keys[0], HEX_A)).unwrap();
                std::fs::write(archive.join("signature-2"), by(&keys[1], HEX_A)).unwrap();
            },
            |ws, _, _| {
                std::fs::rename(ws.path().join("signatures"), ws.path().join("old")).unwrap();
                symlink("archive", ws.path().join("signatures")).unwrap();
            },
        ),
        (
            "keyring -> elsewhere",
            |ws, keys, outside| {
                // REV's keyring lacks bob's certificate; elsewhere holds both.
                std::fs::remove_file(ws.path().join("keyring/bob.asc")).unwrap();
                ws.put("pallet-rust", HEX_A, 1, &by(&keys[0], HEX_A));
                ws.put("pallet-rust", HEX_A, 2, &by(&keys[1], HEX_A));
                let elsewhere = outside.join("keyring");
                std::fs::create_dir_all(&elsewhere).unwrap();
                for key in keys {
                    std::fs::write(elsewhere.join(format!("{}.asc", key.name)), key.public())
                        .unwrap();
                }
            },
            |ws, _, outside| {
                std::fs::remove_dir_all(ws.path().join("keyring")).unwrap();
                symlink(outside.join("keyring"), ws.path().join("keyring")).unwrap();
            },
        ),
        (
            "MAINTAINERS -> elsewhere",
            |ws, keys, outside| {
                // REV lists alice alone, so bob's signature is no maintainer's.
                let text = std::fs::read_to_string(ws.path().join("MAINTAINERS")).unwrap();
                std::fs::write(outside.join("MAINTAINERS"), &text).unwrap();
                let alice_only: String = text.split("[people.bob]").next().unwrap().into();
                std::fs::write(ws.path().join("MAINTAINERS"), alice_only).unwrap();
                ws.put("pallet-rust", HEX_A, 1, &by(&keys[0], HEX_A));
                ws.put("pallet-rust", HEX_A, 2, &by(&keys[1], HEX_A));
            },
            |ws, _, outside| {
                std::fs::remove_file(ws.path().join("MAINTAINERS")).unwrap();
                symlink(outside.join("MAINTAINERS"), ws.path().join("MAINTAINERS")).unwrap();
            },
        ),
    ];
    for (name, pin, tamper) in cases {
        let (ws, keys) = pair();
        let outside = outside.path().join(name.split(' ').next().unwrap());
        std::fs::create_dir_all(&outside).unwrap();
        pin(&ws, &keys, &outside);
        let rev = commit_all(ws.path(), "pinned");
        let gate = |ws: &Ws| ws.run(&["gate", &reference(HEX_A), "--at", &rev]);
        let run = gate(&ws);
        assert_eq!(run.code, 1, "{name}: REV alone is short: {run:?}");
        tamper(&ws, &keys, &outside);
        let run = gate(&ws);
        assert_eq!(
            run.code, 1,
            "{name}: the checkout's link was followed: {run:?}"
        );
        assert!(
            run.stdout.contains("1 of 2") || run.stdout.contains("2 of 3"),
            "{name}: {run:?}"
        );
        let run = ws.run(&["audit", "--json", "--at", &rev]);
        let ledger: Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
        assert_eq!(ledger["images"][0]["quorate"], false, "{name}: {ledger}");
    }
    // A trust root the caller names stays the file the caller chose, with --at too.
    let (ws, keys) = pair();
    std::fs::remove_file(ws.path().join("keyring/bob.asc")).unwrap();
    ws.put("pallet-rust", HEX_A, 1, &by(&keys[0], HEX_A));
    ws.put("pallet-rust", HEX_A, 2, &by(&keys[1], HEX_A));
    let rev = commit_all(ws.path(), "pinned");
    let chosen = outside.path().join("chosen");
    std::fs::create_dir_all(&chosen).unwrap();
    for key in &keys {
        std::fs::write(chosen.join(format!("{}.asc", key.name)), key.public()).unwrap();
    }
    let chosen = chosen.to_str().unwrap();
    let run = ws.run(&["--keyring", chosen, "gate", &reference(HEX_A), "--at", &rev]);
    assert_eq!(run.code, 0, "{run:?}");
}

/// A link committed where quorate reads is an input error naming it, never followed.
#[test]
fn a_link_stored_in_the_pinned_commit_is_an_input_error() {
    for part in [
        "MAINTAINERS",
        "keyring",
        "quorate.toml",
        "signatures",
        "digests",
    ] {
        let (ws, keys) = pair();
        ws.put("pallet-rust", HEX_A, 1, &by(&keys[0], HEX_A));
        ws.put("pallet-rust", HEX_A, 2, &by(&keys[1], HEX_A));
        std::fs::create_dir_all(ws.path().join("digests")).unwrap();
        std::fs::write(
            ws.path().join("digests/pallet.txt"),
            format!("{HEX_A} pallet-rust\n"),
        )
        .unwrap();
        std::fs::write(ws.path().join("quorate.toml"), "threshold = 2\n").unwrap();
        let real = ws.path().join(format!("real-{part}"));
        std::fs::rename(ws.path().join(part), &real).unwrap();
        symlink(format!("real-{part}"), ws.path().join(part)).unwrap();
        let rev = commit_all(ws.path(), "links");
        let run = ws.run(&["gate", "--release", "--at", &rev]);
        assert_eq!(run.code, 2, "{part}: {run:?}");
        assert!(
            run.stderr.contains(part) && run.stderr.contains("symlink"),
            "{part}: {run:?}"
        );
    }
    // Below signatures/: never followed; that image is refused and named.
    let (ws, keys) = pair();
    let real = ws.path().join(format!("real/pallet-rust@sha256={HEX_A}"));
    std::fs::create_dir_all(&real).unwrap();
    std::fs::write(real.join("signature-1"), by(&keys[0], HEX_A)).unwrap();
    std::fs::write(real.join("signature-2"), by(&keys[1], HEX_A)).unwrap();
    std::fs::create_dir_all(ws.path().join("signatures")).unwrap();
    symlink("../real", ws.path().join("signatures/stagex")).unwrap();
    let rev = commit_all(ws.path(), "namespace link");
    let run = ws.run(&["gate", &reference(HEX_A), "--at", &rev]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("symlink"), "{run:?}");
}

/// Without --at, the workspace's own keyring/, MAINTAINERS, quorate.toml, signatures/ and
/// digests/ are refused as links, the way a link inside signatures/ always was; a directory the
/// caller names with --keyring is the caller's choice.
#[test]
fn the_workspaces_own_links_are_refused() {
    for part in [
        "MAINTAINERS",
        "keyring",
        "quorate.toml",
        "signatures",
        "digests",
    ] {
        let (ws, keys) = pair();
        ws.put("pallet-rust", HEX_A, 1, &by(&keys[0], HEX_A));
        ws.put("pallet-rust", HEX_A, 2, &by(&keys[1], HEX_A));
        std::fs::create_dir_all(ws.path().join("digests")).unwrap();
        std::fs::write(
            ws.path().join("digests/pallet.txt"),
            format!("{HEX_A} pallet-rust\n"),
        )
        .unwrap();
        std::fs::write(ws.path().join("quorate.toml"), "threshold = 2\n").unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let target = elsewhere.path().join(part);
        std::fs::rename(ws.path().join(part), &target).unwrap();
        symlink(&target, ws.path().join(part)).unwrap();
        for args in [vec!["gate", "--release"], vec!["audit"]] {
            let run = ws.run(&args);
            assert_eq!(run.code, 2, "{part} {args:?}: {run:?}");
            assert!(
                run.stderr.contains(part) && run.stderr.contains("is a symlink"),
                "{part}: {run:?}"
            );
        }
    }
    let (ws, keys) = pair();
    ws.put("pallet-rust", HEX_A, 1, &by(&keys[0], HEX_A));
    ws.put("pallet-rust", HEX_A, 2, &by(&keys[1], HEX_A));
    let elsewhere = tempfile::tempdir().unwrap();
    let link = elsewhere.path().join("link");
    symlink(ws.path().join("keyring"), &link).unwrap();
    let run = ws.run(&[
        "--keyring",
        link.to_str().unwrap(),
        "gate",
        &reference(HEX_A),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
}

/// A digests/ that cannot be read as a directory (here a file of that name) is refused by
/// `sign`, never taken for "no release yet", which would let a digest outside the release be
/// signed without `--not-in-release`.
#[test]
fn sign_refuses_an_unreadable_digests_dir_rather_than_taking_it_for_no_release() {
    let (ws, keys) = pair();
    std::fs::write(ws.path().join("digests"), format!("{HEX_A} pallet-rust\n")).unwrap();
    let key = ws.key_file(&keys[0]);
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &reference(HEX_B),
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("digests") && run.stderr.contains("cannot read the digests directory"),
        "{run:?}"
    );
    assert!(
        !ws.image_dir("pallet-rust", HEX_B).exists(),
        "nothing signed"
    );
}

// --- 5. A rollback disguised as a withdrawal or a move ---

/// (severity, code, path, commit subject) of every history finding.
fn history(ws: &Ws) -> Vec<(String, String, String, String)> {
    let run = ws.run(&["audit", "--json", "--history"]);
    let ledger: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    ledger["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["commit"].is_object())
        .map(|f| {
            let id = f["commit"]["id"].as_str().unwrap();
            (
                f["severity"].as_str().unwrap().to_string(),
                f["code"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                git(ws.path(), &["log", "-1", "--format=%s", id])
                    .trim()
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn a_signature_moved_out_of_its_place_is_a_rollback() {
    let (ws, keys) = team();
    for key in &keys {
        quorate_sign(&ws, key, HEX_A);
    }
    for key in &keys[..2] {
        quorate_sign(&ws, key, HEX_B);
    }
    let hex_c = format!("{:064x}", 12);
    let a = |n: u32| format!("signatures/stagex/pallet-rust@sha256={HEX_A}/signature-{n}");
    let b = |n: u32| format!("signatures/stagex/pallet-rust@sha256={HEX_B}/signature-{n}");
    let bob_a = std::fs::read(ws.path().join(a(2))).unwrap();
    // bob's signature of A "withdrawn" by moving its bytes where statements are kept ...
    let statements = ws.path().join("signatures/.quorate/withdrawals");
    std::fs::create_dir_all(&statements).unwrap();
    let hidden = format!(
        "signatures/.quorate/withdrawals/{}.pgp",
        quorate::ops::withdraw::content_hash(&bob_a)
    );
    git(ws.path(), &["mv", &a(2), &hidden]);
    commit_all(ws.path(), "hide");
    // ... alice's beside it under a name podman never reads ...
    git(
        ws.path(),
        &[
            "mv",
            &a(1),
            &format!("signatures/stagex/pallet-rust@sha256={HEX_A}/backup"),
        ],
    );
    commit_all(ws.path(), "stash");
    // ... bob's signature of B into another image's directory, where it cannot count ...
    let c_dir = ws
        .path()
        .join(format!("signatures/stagex/pallet-rust@sha256={hex_c}"));
    std::fs::create_dir_all(&c_dir).unwrap();
    git(
        ws.path(),
        &[
            "mv",
            &b(2),
            &format!("signatures/stagex/pallet-rust@sha256={hex_c}/signature-1"),
        ],
    );
    commit_all(ws.path(), "elsewhere");
    // ... and alice's of B deleted, then its bytes brought back as a stray file.
    let alice_b = std::fs::read(ws.path().join(b(1))).unwrap();
    std::fs::remove_file(ws.path().join(b(1))).unwrap();
    commit_all(ws.path(), "drop");
    std::fs::write(ws.path().join("signatures/stray"), &alice_b).unwrap();
    commit_all(ws.path(), "stray copy");
    // A genuine renumber (repair closes A's gap) and a genuine withdrawal stay what they are.
    let run = ws.run(&["repair"]);
    assert_eq!(run.code, 0, "{run:?}");
    let carol = ws.key_file(&keys[2]);
    let run = ws.run(&[
        "withdraw",
        &reference(HEX_A),
        "--key",
        carol.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");

    let found = history(&ws);
    let has = |severity: &str, code: &str, path: &str, subject: &str| {
        found
            .iter()
            .any(|(s, c, p, m)| s == severity && c == code && p == path && m == subject)
    };
    for (path, subject) in [
        (a(2), "hide"),
        (a(1), "stash"),
        (b(2), "elsewhere"),
        (b(1), "drop"),
    ] {
        assert!(
            has("error", "rollback", &path, subject),
            "{path}: {found:#?}"
        );
    }
    assert!(
        has(
            "info",
            "renumbered",
            &a(3),
            "Repair: renumber 1 signature so podman sees them all"
        ),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|(s, c, p, _)| s == "info" && c == "withdrawn" && *p == a(1)),
        "{found:#?}"
    );
    assert!(!found.iter().any(|(_, c, _, _)| c == "moved"), "{found:#?}");
    assert_eq!(
        found.iter().filter(|(s, _, _, _)| s == "error").count(),
        4,
        "{found:#?}"
    );
}

// --- 6. Nothing written or deleted through a link ---

#[test]
fn withdraw_writes_nothing_through_a_link() {
    let (ws, keys) = pair();
    quorate_sign(&ws, &keys[0], HEX_A);
    quorate_sign(&ws, &keys[1], HEX_A);
    let outside = tempfile::tempdir().unwrap();
    symlink(outside.path(), ws.path().join("signatures/.quorate")).unwrap();
    let alice = ws.key_file(&keys[0]);
    let before = snapshot(ws.path());
    let run = ws.run(&[
        "withdraw",
        &reference(HEX_A),
        "--key",
        alice.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("signatures/.quorate") && run.stderr.contains("symlink"),
        "{run:?}"
    );
    assert_eq!(snapshot(outside.path()).len(), 1, "nothing written outside");
    assert_eq!(snapshot(ws.path()), before, "the tree is unchanged");
    assert_eq!(ws.run(&["gate", &reference(HEX_A)]).code, 0);
}

#[test]
fn sign_and_add_delete_nothing_through_a_link() {
    let (ws, keys) = pair();
    let outside = tempfile::tempdir().unwrap();
    let image = outside.path().join(format!("pallet-rust@sha256={HEX_A}"));
    std::fs::create_dir_all(&image).unwrap();
    // A temporary file of a process that is gone: stale, were it in the tree.
    let stale = image.join(format!(".quorate-{}-1.tmp", i32::MAX));
    std::fs::write(&stale, b"someone else's").unwrap();
    std::fs::create_dir_all(ws.path().join("signatures")).unwrap();
    symlink(outside.path(), ws.path().join("signatures/stagex")).unwrap();
    let before = snapshot(outside.path());
    let key = ws.key_file(&keys[0]);
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &reference(HEX_A),
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("symlink"), "{run:?}");
    let file = ws.path().join("alice.sig");
    std::fs::write(&file, by(&keys[0], HEX_A)).unwrap();
    let run = ws.run(&["add", file.to_str().unwrap(), &reference(HEX_A)]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(snapshot(outside.path()), before);
}

#[test]
fn repair_changes_nothing_when_one_directory_is_behind_a_link() {
    let (ws, keys) = pair();
    ws.put("pallet-rust", HEX_A, 2, &by(&keys[0], HEX_A));
    let outside = tempfile::tempdir().unwrap();
    let image = outside.path().join(format!("x@sha256={HEX_B}"));
    std::fs::create_dir_all(&image).unwrap();
    std::fs::write(image.join("signature-2"), b"theirs").unwrap();
    symlink(outside.path(), ws.path().join("signatures/other")).unwrap();
    commit_all(ws.path(), "gap");
    let before = (snapshot(ws.path()), snapshot(outside.path()));
    let run = ws.run(&[
        "repair",
        &format!("stagex/pallet-rust@sha256:{HEX_A}"),
        &format!("other/x@sha256:{HEX_B}"),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("symlink"), "{run:?}");
    assert_eq!((snapshot(ws.path()), snapshot(outside.path())), before);
}

#[test]
fn keyring_import_writes_nothing_through_a_link() {
    let (ws, mut keys) = pair();
    let outside = tempfile::tempdir().unwrap();
    let moved = outside.path().join("keyring");
    std::fs::rename(ws.path().join("keyring"), &moved).unwrap();
    symlink(&moved, ws.path().join("keyring")).unwrap();
    let before = snapshot(outside.path());
    keys[0].set_expiry(Some(days(800)), std::time::SystemTime::now());
    let renewed = ws.path().join("renewed.asc");
    std::fs::write(&renewed, keys[0].public()).unwrap();
    let run = ws.run(&["keyring", "import", renewed.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("symlink"), "{run:?}");
    assert_eq!(snapshot(outside.path()), before);
    // Named by the caller, the directory is the caller's choice.
    let run = ws.run(&[
        "--keyring",
        moved.to_str().unwrap(),
        "keyring",
        "import",
        renewed.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
}

/// A one-platform OCI layout of `package` in `out`; returns its manifest digest.
fn layout(out: &Path, package: &str) -> String {
    let dir = out.join(package);
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let hex = hex_sha256(bytes);
        std::fs::write(blobs.join(&hex), bytes).unwrap();
        hex
    };
    let layer = put(package.as_bytes());
    let config = put(br#"{"architecture":"amd64","os":"linux"}"#);
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{config}","size":1}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{layer}","size":1}}]}}"#
    );
    let hex = put(manifest.as_bytes());
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{hex}","size":{},"platform":{{"architecture":"amd64","os":"linux"}},"annotations":{{"org.opencontainers.image.ref.name":"1.0"}}}}]}}"#,
            manifest.len()
        ),
    )
    .unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    hex
}

#[test]
fn outputs_are_never_written_through_a_link() {
    let (ws, _) = pair();
    layout(&ws.path().join("out"), "pallet-rust");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("kept"), b"kept").unwrap();
    // digests compute -o DIR, DIR a link.
    symlink(outside.path(), ws.path().join("digests")).unwrap();
    let before = snapshot(outside.path());
    let run = ws.run(&["digests", "compute", "out", "-o", "digests"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("symlink"), "{run:?}");
    // ... or a file it would replace a link.
    std::fs::create_dir_all(ws.path().join("fresh")).unwrap();
    symlink(
        outside.path().join("kept"),
        ws.path().join("fresh/pallet.txt"),
    )
    .unwrap();
    let run = ws.run(&["digests", "compute", "out", "-o", "fresh"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("symlink"), "{run:?}");
    assert!(ws.path().join("fresh/pallet.txt").is_symlink());
    // keyring export -o FILE, FILE a link.
    symlink(outside.path().join("kept"), ws.path().join("export.pgp")).unwrap();
    let run = ws.run(&["keyring", "export", "-o", "export.pgp"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(ws.path().join("export.pgp").is_symlink());
    assert_eq!(snapshot(outside.path()), before);
    // Where nothing is a link, both write.
    let run = ws.run(&["digests", "compute", "out", "-o", "new/digests"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(ws.path().join("new/digests/pallet.txt").is_file());
}

#[test]
fn sync_writes_nothing_through_a_link() {
    let (seed, keys) = pair();
    commit_all(seed.path(), "workspace");
    let remote = tempfile::tempdir().unwrap();
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    let url = remote.path().to_str().unwrap();
    git(seed.path(), &["push", "-q", url, "main"]);
    let parent = tempfile::tempdir().unwrap();
    let clone = |name: &str| {
        let path = parent.path().join(name);
        git(parent.path(), &["clone", "-q", url, name]);
        git(&path, &["config", "user.name", name]);
        git(
            &path,
            &["config", "user.email", &format!("{name}@example.org")],
        );
        path
    };
    let bob = clone("bob");
    let file = parent.path().join("bob.key");
    std::fs::write(&file, keys[1].secret()).unwrap();
    let run = run_in(
        &bob,
        &[
            "sign",
            "--no-rebuild",
            &reference(HEX_A),
            "--key",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run_in(&bob, &["sync"]).code, 0);
    // alice's clone holds an ignored link where the remote's new signature will land.
    let alice = clone("alice");
    git(&alice, &["reset", "-q", "--hard", "HEAD~1"]);
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(alice.join("signatures")).unwrap();
    symlink(outside.path(), alice.join("signatures/stagex")).unwrap();
    std::fs::write(alice.join(".git/info/exclude"), "/signatures/stagex\n").unwrap();
    let head = git(&alice, &["rev-parse", "HEAD"]);
    let run = run_in(&alice, &["sync"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("symlink"), "{run:?}");
    assert_eq!(snapshot(outside.path()).len(), 1, "nothing written outside");
    assert_eq!(
        git(&alice, &["rev-parse", "HEAD"]),
        head,
        "the branch did not move"
    );
}
