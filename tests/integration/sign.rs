//! `quorate sign`: numbering, refusals, keys, and the git commit.

use crate::common::*;

fn sign_as(ws: &Ws, key: &TestKey, extra: &[&str]) -> Run {
    let file = ws.key_file(key);
    let r = asked();
    let mut args = vec!["sign", "--no-rebuild", &r, "--key", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    ws.run(&args)
}

#[test]
fn two_maintainers_sign_and_the_gate_opens() {
    let (ws, [alice, bob]) = pair();
    let run = sign_as(&ws, &alice, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("signature-1"), "{}", run.stdout);
    assert_eq!(ws.run(&["gate", &asked()]).code, 1);
    let run = sign_as(&ws, &bob, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("signature-2"), "{}", run.stdout);
    let run = ws.run(&["gate", &asked()]);
    assert_eq!(run.code, 0, "{run:?}");
    // The payload carries the normalized reference.
    let report = ws.verify_json(&asked());
    assert_eq!(
        report["files"][0]["signed_reference"],
        "docker.io/stagex/pallet-rust:1.0"
    );
    // Two commits, one file each, with the maintainer and fingerprint in the message.
    let log = git(ws.path(), &["log", "--format=%B%x00", "--name-only"]);
    assert_eq!(git(ws.path(), &["rev-list", "--count", "HEAD"]).trim(), "2");
    assert!(
        log.contains(&format!("Fingerprint: {}", alice.fingerprint())),
        "{log}"
    );
    assert!(log.contains("Maintainer: bob"), "{log}");
    assert!(log.contains(&format!("Digest: sha256:{HEX_A}")), "{log}");
    // The work tree is clean: the index was updated too.
    let status = git(ws.path(), &["status", "--porcelain"]);
    assert!(!status.contains("signatures"), "{status}");
}

#[test]
fn signing_twice_writes_nothing() {
    let (ws, [alice, _]) = pair();
    assert_eq!(sign_as(&ws, &alice, &[]).code, 0);
    let run = sign_as(&ws, &alice, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("already signed"), "{}", run.stdout);
    assert_eq!(
        std::fs::read_dir(ws.image_dir("pallet-rust", HEX_A))
            .unwrap()
            .count(),
        1
    );
    assert_eq!(git(ws.path(), &["rev-list", "--count", "HEAD"]).trim(), "1");
}

#[test]
fn another_tag_of_the_same_digest_is_a_new_signature() {
    let (ws, [alice, _]) = pair();
    assert_eq!(sign_as(&ws, &alice, &[]).code, 0);
    let file = ws.key_file(&alice);
    let other = format!("stagex/pallet-rust:latest@sha256:{HEX_A}");
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &other,
        "--key",
        file.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("signature-2"), "{}", run.stdout);
}

#[test]
fn the_next_free_number_is_used_and_nothing_is_overwritten() {
    let (ws, [alice, bob]) = pair();
    let bobs = sign(bob.primary_pair(), &payload(REF, HEX_A));
    ws.put("pallet-rust", HEX_A, 1, &bobs);
    ws.put("pallet-rust", HEX_A, 3, b"junk");
    let run = sign_as(&ws, &alice, &["--no-commit"]);
    assert_eq!(run.code, 0, "{run:?}");
    // The gap at 2 is filled so podman sees every file; 1 and 3 are untouched.
    assert!(run.stdout.contains("signature-2"), "{}", run.stdout);
    let dir = ws.image_dir("pallet-rust", HEX_A);
    assert_eq!(std::fs::read(dir.join("signature-1")).unwrap(), bobs);
    assert_eq!(std::fs::read(dir.join("signature-3")).unwrap(), b"junk");
    // --no-commit leaves git alone.
    assert!(std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(ws.path())
        .output()
        .map(|o| !o.status.success())
        .unwrap());
}

#[test]
fn a_key_that_is_not_a_maintainers_is_refused() {
    let (ws, [_, _]) = pair();
    let mallory = TestKey::new("mallory");
    ws.add_cert(&mallory);
    let run = sign_as(&ws, &mallory, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not a maintainer's"), "{}", run.stderr);
    assert!(!ws.image_dir("pallet-rust", HEX_A).exists());
}

#[test]
fn a_maintainer_whose_certificate_is_missing_is_refused_before_writing() {
    let (ws, [alice, _]) = pair();
    std::fs::remove_file(ws.path().join("keyring/alice.asc")).unwrap();
    let run = sign_as(&ws, &alice, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("maintainer-certificate-missing"),
        "{}",
        run.stderr
    );
    assert!(!ws.image_dir("pallet-rust", HEX_A).exists());
}

#[test]
fn a_subkey_signs_when_the_primary_cannot_with_a_warning() {
    let alice = TestKey::with_signing_subkey("alice");
    let ws = Ws::new(&[("alice", &[&alice])]);
    let run = sign_as(&ws, &alice, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("warning: signing with subkey"),
        "{}",
        run.stderr
    );
    assert_eq!(ws.verify_json(&asked())["files"][0]["by_subkey"], true);
}

#[test]
fn the_primary_key_signs_when_it_can() {
    let alice = TestKey::build("alice", |b| b.add_signing_subkey());
    let ws = Ws::new(&[("alice", &[&alice])]);
    let run = sign_as(&ws, &alice, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let report = ws.verify_json(&asked());
    assert_eq!(report["files"][0]["by_subkey"], false);
    assert_eq!(report["files"][0]["signing_key"], alice.fingerprint());
}

#[test]
fn a_passphrase_protected_key_needs_its_passphrase() {
    let plain = TestKey::new("alice");
    let ws = Ws::new(&[("alice", &[&plain])]);
    let password: sequoia_openpgp::crypto::Password = "correct horse".into();
    let mut encrypted = plain.clone();
    encrypted.cert = {
        use sequoia_openpgp::packet::Packet;
        let key = plain
            .cert
            .primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap();
        let locked = key.encrypt_secret(&password).unwrap();
        plain
            .cert
            .clone()
            .insert_packets(Packet::from(locked.role_into_primary()))
            .unwrap()
            .0
    };
    let key_file = ws.key_file(&encrypted);
    let r = asked();
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &r,
        "--key",
        key_file.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("passphrase"), "{}", run.stderr);
    let wrong = ws.path().join("wrong");
    std::fs::write(&wrong, "nope\n").unwrap();
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &r,
        "--key",
        key_file.to_str().unwrap(),
        "--passphrase-file",
        wrong.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    let right = ws.path().join("right");
    std::fs::write(&right, "correct horse\n").unwrap();
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &r,
        "--key",
        key_file.to_str().unwrap(),
        "--passphrase-file",
        right.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn bad_input_is_exit_2_with_one_line() {
    let (ws, [alice, _]) = pair();
    let key = ws.key_file(&alice);
    let key = key.to_str().unwrap();
    for args in [
        vec![
            "sign".to_string(),
            "--no-rebuild".into(),
            format!("stagex/pallet-rust@sha256:{HEX_A}"),
            "--key".into(),
            key.into(),
        ],
        vec![
            "sign".to_string(),
            "--no-rebuild".into(),
            "stagex/pallet-rust:1.0".into(),
            "--key".into(),
            key.into(),
        ],
        vec![
            "sign".to_string(),
            "--no-rebuild".into(),
            format!("Stagex/x:1@sha256:{HEX_A}"),
            "--key".into(),
            key.into(),
        ],
        vec![
            "sign".to_string(),
            "--no-rebuild".into(),
            asked(),
            "--key".into(),
            "missing.key".into(),
        ],
        vec![
            "sign".to_string(),
            "--no-rebuild".into(),
            asked(),
            "--key".into(),
            "MAINTAINERS".into(),
        ],
        vec!["verify".to_string(), "stagex/x:1@sha256:abc".into()],
        vec![
            "gate".to_string(),
            asked(),
            "--threshold".into(),
            "0".into(),
        ],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = ws.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
        assert!(!run.stderr.contains("panicked"), "{args:?}: {run:?}");
    }
    // Errors about files name the file, on one line.
    let run = ws.run(&["sign", "--no-rebuild", &asked(), "--key", "missing.key"]);
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(run.stderr.starts_with("quorate: missing.key: "), "{run:?}");
}

#[test]
fn a_detached_head_leaves_the_signature_written_and_says_how_to_commit() {
    let (ws, [alice, _]) = pair();
    std::fs::write(ws.path().join("README"), "x").unwrap();
    git(ws.path(), &["add", "README"]);
    git(ws.path(), &["commit", "-qm", "init"]);
    git(ws.path(), &["checkout", "-q", "--detach"]);
    let run = sign_as(&ws, &alice, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("written and valid but not committed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("git add signatures/stagex/pallet-rust@sha256="),
        "{}",
        run.stderr
    );
    assert_eq!(ws.run(&["verify", &asked()]).code, 0);
}

#[test]
fn a_locked_index_is_retried_then_reported() {
    let (ws, [alice, bob]) = pair();
    let lock = ws.path().join(".git/index.lock");
    // Released while quorate waits: the commit goes through.
    std::fs::write(&lock, "").unwrap();
    let releaser = {
        let lock = lock.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(800));
            std::fs::remove_file(lock).unwrap();
        })
    };
    let run = sign_as(&ws, &alice, &[]);
    releaser.join().unwrap();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("committed"), "{}", run.stdout);
    // Held for good: the signature stays, uncommitted, and the user is told how to commit it.
    std::fs::write(&lock, "").unwrap();
    let run = sign_as(&ws, &bob, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not committed"), "{}", run.stderr);
    assert!(ws
        .image_dir("pallet-rust", HEX_A)
        .join("signature-2")
        .exists());
    std::fs::remove_file(&lock).unwrap();
    assert_eq!(ws.run(&["gate", &asked()]).code, 0);
}

#[test]
fn the_users_staged_changes_stay_out_of_the_commit_and_stay_staged() {
    let (ws, [alice, _]) = pair();
    std::fs::write(ws.path().join("README"), "one").unwrap();
    git(ws.path(), &["add", "README"]);
    git(ws.path(), &["commit", "-qm", "init"]);
    std::fs::write(ws.path().join("README"), "two").unwrap();
    std::fs::write(ws.path().join("NEW"), "new").unwrap();
    git(ws.path(), &["add", "README", "NEW"]);
    assert_eq!(sign_as(&ws, &alice, &[]).code, 0);
    let files = git(ws.path(), &["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(files.lines().count(), 1, "{files}");
    assert!(
        files.starts_with("signatures/stagex/pallet-rust@sha256="),
        "{files}"
    );
    let staged = git(ws.path(), &["diff", "--cached", "--name-only"]);
    assert_eq!(staged, "NEW\nREADME\n");
}

#[test]
fn a_signatures_repository_of_its_own_is_used() {
    let (ws, [alice, _]) = pair();
    let sigs = ws.path().join("signatures");
    std::fs::create_dir(&sigs).unwrap();
    git(&sigs, &["init", "-q", "-b", "main"]);
    git(&sigs, &["config", "user.name", "Sig"]);
    git(&sigs, &["config", "user.email", "sig@example.org"]);
    assert_eq!(sign_as(&ws, &alice, &[]).code, 0);
    assert_eq!(git(&sigs, &["rev-list", "--count", "HEAD"]).trim(), "1");
    let files = git(&sigs, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(files.starts_with("stagex/pallet-rust@sha256="), "{files}");
}

#[test]
fn no_repository_above_the_workspace_is_used() {
    let outer = tempfile::tempdir().unwrap();
    git(outer.path(), &["init", "-q", "-b", "main"]);
    let alice = TestKey::new("alice");
    let ws = Ws::new(&[("alice", &[&alice])]);
    // A workspace inside someone else's repository, with no repository of its own.
    let inner = outer.path().join("ws");
    std::fs::rename(ws.path(), &inner).unwrap_or_else(|_| {
        copy_dir(ws.path(), &inner);
    });
    std::fs::remove_dir_all(inner.join(".git")).unwrap();
    let key = inner.join("alice.key");
    std::fs::write(&key, alice.secret()).unwrap();
    let run = run_in(
        &inner,
        &[
            "sign",
            "--no-rebuild",
            &asked(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    // Said plainly: written, and not committed.
    assert!(
        run.stdout
            .contains("not committed: the workspace is not in a git repository"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("\ncommitted "), "{}", run.stdout);
    let head = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(outer.path())
        .output()
        .unwrap();
    assert!(!head.status.success(), "the outer repository got a commit");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
