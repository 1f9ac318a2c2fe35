//! Sign only what you rebuilt, by default: `sign` needs `--rebuilt DIR` (or quorate.toml's
//! `rebuilt`) or `--no-rebuild`, which the commit message records; and right after `quorate
//! init` an empty digests/ is a workspace with no release yet.

use crate::common::*;

/// The message of HEAD's commit.
fn head_message(ws: &Ws) -> String {
    git(ws.path(), &["log", "-1", "--format=%B"])
}

/// Finding: a maintainer whose out/ still held 1.0 signed 1.1 with no warning, since a single
/// image was signed with no rebuild checked. Now no rebuild is refused (exit 2, nothing
/// written); the rebuild given is checked; --no-rebuild signs and says so in the commit.
#[test]
fn signing_needs_your_rebuild_or_no_rebuild_said_in_the_commit() {
    let (ws, keys, busybox, pallet) = release_workspace();
    let bob = ws.key_file(&keys[1]);
    let bob = bob.to_str().unwrap();
    let busybox_ref = format!("stagex/core-busybox:{TAG}@sha256:{}", busybox[0]);
    let commits = || git(ws.path(), &["rev-list", "--all", "--count"]);
    let before = commits();

    let run = ws.run(&["sign", &busybox_ref, "--key", bob]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("--rebuilt") && run.stderr.contains("--no-rebuild"),
        "{run:?}"
    );
    assert!(!ws.path().join("signatures").exists(), "nothing written");
    assert_eq!(commits(), before);

    // carol's out/ holds another pallet-rust: what it does not show is refused.
    let carol = ws.key_file(&keys[2]);
    let pallet_ref = format!("stagex/pallet-rust:{TAG}@sha256:{}", pallet[0]);
    let run = ws.run(&[
        "sign",
        &pallet_ref,
        "--rebuilt",
        "carol-out",
        "--key",
        carol.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("not signed: the rebuild in carol-out got"),
        "{run:?}"
    );

    let run = ws.run(&["sign", &busybox_ref, "--rebuilt", "bob-out", "--key", bob]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        head_message(&ws).contains("\nRebuilt: bob-out\n"),
        "{}",
        head_message(&ws)
    );

    let alice = ws.key_file(&keys[0]);
    let run = ws.run(&[
        "sign",
        &busybox_ref,
        "--no-rebuild",
        "--key",
        alice.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        head_message(&ws).contains(
            "\nRebuilt: no (--no-rebuild: signed without a rebuild of the signer's own)\n"
        ),
        "{}",
        head_message(&ws)
    );
    // --no-rebuild with a rebuild, or for a whole release, is bad usage.
    for args in [
        vec![
            "sign",
            &busybox_ref,
            "--no-rebuild",
            "--rebuilt",
            "bob-out",
            "--key",
            bob,
        ],
        vec!["sign", "--release", "--no-rebuild", "--key", bob],
    ] {
        assert_eq!(ws.run(&args).code, 2, "{args:?}");
    }
}

/// The rebuild directory set once in quorate.toml is checked as --rebuilt is, for one image and
/// for the release; a value outside the workspace is refused naming quorate.toml.
#[test]
fn the_rebuild_directory_set_once_in_quorate_toml_is_checked() {
    let (ws, keys, busybox, pallet) = release_workspace();
    std::fs::write(ws.path().join("quorate.toml"), "rebuilt = \"carol-out\"\n").unwrap();
    let carol = ws.key_file(&keys[2]);
    let carol = carol.to_str().unwrap();
    let pallet_ref = format!("stagex/pallet-rust:{TAG}@sha256:{}", pallet[0]);
    let run = ws.run(&["sign", &pallet_ref, "--key", carol]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("the rebuild in"), "{run:?}");
    assert!(run.stderr.contains("carol-out"), "{run:?}");
    let busybox_ref = format!("stagex/core-busybox:{TAG}@sha256:{}", busybox[0]);
    let run = ws.run(&["sign", &busybox_ref, "--key", carol]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        head_message(&ws).contains("carol-out\n"),
        "{}",
        head_message(&ws)
    );
    // The release, signed against it with no --rebuilt.
    let run = ws.run(&["sign", "--release", "--key", carol]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("1 signed, 1 already signed, 1 refused"),
        "{run:?}"
    );

    for bad in ["../elsewhere", "/tmp/out", ""] {
        std::fs::write(
            ws.path().join("quorate.toml"),
            format!("rebuilt = {bad:?}\n"),
        )
        .unwrap();
        let run = ws.run(&["sign", &busybox_ref, "--key", carol]);
        assert_eq!(run.code, 2, "{bad}: {run:?}");
        assert!(run.stderr.contains("quorate.toml"), "{bad}: {run:?}");
    }
}

/// Finding: right after `quorate init`, whose digests/ holds only .gitkeep, `sign REF --key K`
/// failed with "digests: holds no digests", exit 2. An empty digests/ is no release yet, as a
/// workspace without digests/ is.
#[test]
fn right_after_init_an_empty_digests_dir_is_no_release_yet() {
    let top = tempfile::tempdir().unwrap();
    assert_eq!(run_in(top.path(), &["init", "team"]).code, 0);
    let ws = top.path().join("team");
    assert!(ws.join("digests/.gitkeep").is_file());
    let alice = TestKey::new("alice");
    std::fs::write(top.path().join("alice.asc"), alice.public()).unwrap();
    let run = run_in(
        &ws,
        &[
            "maintainers",
            "add",
            "alice",
            "--name",
            "Alice",
            "--email",
            "alice@example.org",
            top.path().join("alice.asc").to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    set_threshold(&ws, 1);
    let key = top.path().join("alice.key");
    std::fs::write(&key, alice.secret()).unwrap();
    let run = run_in(
        &ws,
        &[
            "sign",
            &asked(),
            "--no-rebuild",
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("signature-1"), "{run:?}");
}
