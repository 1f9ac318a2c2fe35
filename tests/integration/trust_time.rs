//! The chain of trust roots over time: no rollback past the pin or the memory, a version in
//! force never disappears from history, `--at` on a rewritten line, approvals by keys that
//! expired (the real gpg, its clock faked), and what is not a version in the chain's directory.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::common::*;

fn status_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let run = run_in(dir, &[args, &["trust", "status", "--json"]].concat());
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

fn digest_of(dir: &Path, version: usize) -> String {
    status_json(dir, &[])["versions"][version - 1]["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Image signatures of `stagex/pallet-rust:1.0@sha256:<HEX_A>` by these keys, replacing any.
fn signed_by(dir: &Path, keys: &[&TestKey]) {
    let image = image_dir(dir, HEX_A);
    let _ = std::fs::remove_dir_all(&image);
    std::fs::create_dir_all(&image).unwrap();
    for (i, key) in keys.iter().enumerate() {
        std::fs::write(
            image.join(format!("signature-{}", i + 1)),
            sign(key.primary_pair(), &payload(REF, HEX_A)),
        )
        .unwrap();
    }
}

fn approve_with(dir: &Path, key: &TestKey) {
    let file = key_beside(dir, key);
    let run = run_in(dir, &["trust", "sign", "--key", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
}

/// A fresh clone of the workspace's repository (CI): it remembers nothing.
fn fresh_clone(ws: &Ws, parent: &tempfile::TempDir, name: &str) -> PathBuf {
    let path = parent.path().join(name);
    git(
        parent.path(),
        &["clone", "-q", ws.path().to_str().unwrap(), name],
    );
    git(&path, &["config", "user.name", name]);
    git(&path, &["config", "user.email", "ci@example.org"]);
    path
}

fn short(dir: &Path, rev: &str) -> String {
    git(dir, &["rev-parse", "--short=12", rev])
        .trim()
        .to_string()
}

/// alice, bob, carol and dave (threshold 2), version 1 in force; then version 2 removes carol
/// and dave (their keys were stolen), approved by alice and bob. Returns the keys and the
/// digests of versions 1 and 2.
fn two_removed() -> (Ws, [TestKey; 4], String, String) {
    let keys = ["alice", "bob", "carol", "dave"].map(TestKey::new);
    let [a, b, c, d] = keys.each_ref();
    let ws = Ws::new(&[
        ("alice", &[a]),
        ("bob", &[b]),
        ("carol", &[c]),
        ("dave", &[d]),
    ]);
    commit_all(ws.path(), "workspace");
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    approve_with(ws.path(), a);
    approve_with(ws.path(), b);
    let v1 = digest_of(ws.path(), 1);
    std::fs::write(
        ws.path().join("MAINTAINERS"),
        maintainers(&[("alice", &[a]), ("bob", &[b])]),
    )
    .unwrap();
    commit_all(ws.path(), "remove carol and dave");
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    approve_with(ws.path(), a);
    approve_with(ws.path(), b);
    let v2 = digest_of(ws.path(), 2);
    assert_eq!(status_json(ws.path(), &[])["versions"][1]["in_force"], true);
    (ws, keys, v1, v2)
}

/// Whoever can push deletes version 2 and restores version 1's MAINTAINERS, then signs with
/// the two removed maintainers' stolen keys.
fn truncate(dir: &Path, keys: &[TestKey; 4]) -> String {
    git(dir, &["rm", "-rq", "signatures/.quorate/trust/2"]);
    let [a, b, c, d] = keys.each_ref();
    std::fs::write(
        dir.join("MAINTAINERS"),
        maintainers(&[
            ("alice", &[a]),
            ("bob", &[b]),
            ("carol", &[c]),
            ("dave", &[d]),
        ]),
    )
    .unwrap();
    signed_by(dir, &[c, d]);
    commit_all(dir, "truncated")
}

/// A clone that remembers version 2 in force, given the old pin of version 1 (as CI was told
/// to pin it): the pin and the memory combine, the newer is the floor, and the rollback to
/// version 1 is refused. Without the memory, the pin replaced it and the gate passed.
#[test]
fn a_pin_older_than_the_memory_cannot_roll_it_back() {
    let (ws, keys, v1, v2) = two_removed();
    let remembered = std::fs::read_to_string(ws.path().join(".git/quorate/trust-anchor")).unwrap();
    assert!(remembered.starts_with(&v2), "{remembered}");
    truncate(ws.path(), &keys);
    let gate = ws.run(&["--trust-anchor", &v1, "gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(
        gate.stderr.contains("this clone saw trust root version 2"),
        "{gate:?}"
    );
    // The pinned anchor is still checked: one the chain lacks is refused, naming the flag.
    let other = format!("sha256:{}", "0".repeat(64));
    let gate = ws.run(&["--trust-anchor", &other, "gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(gate.stderr.contains("--trust-anchor"), "{gate:?}");
}

/// A fresh clone (CI) pinned at version 1, or not pinned at all, remembers nothing: the
/// truncation shows in history, and is refused naming the version and the commit that held it
/// in force, for the working tree and `--at HEAD` alike. Removing version 2's approvals instead
/// of the version is refused the same way. A pinned run records what it saw, so a later
/// unpinned run on that clone is held to version 2 too.
#[test]
fn truncating_the_chain_is_refused_from_history() {
    let (ws, keys, v1, v2) = two_removed();
    let clones = tempfile::tempdir().unwrap();
    // Before the push, a pinned run on a fresh clone records version 2, which it saw in force.
    let early = fresh_clone(&ws, &clones, "early");
    let run = run_in(&early, &["--trust-anchor", &v1, "trust", "status"]);
    assert_eq!(run.code, 0, "{run:?}");
    let record = std::fs::read_to_string(early.join(".git/quorate/trust-anchor")).unwrap();
    assert!(record.starts_with(&v2), "a pinned run records: {record}");

    let before = git(ws.path(), &["rev-parse", "HEAD"]).trim().to_string();
    truncate(ws.path(), &keys);
    let ci = fresh_clone(&ws, &clones, "ci");
    assert!(!ci.join(".git/quorate/trust-anchor").exists());
    let held = short(&ci, &before);
    for args in [
        vec!["--trust-anchor", &v1, "gate", &asked()],
        vec!["gate", &asked()],
        vec!["--trust-anchor", &v1, "gate", "--at", "HEAD", &asked()],
    ] {
        let gate = run_in(&ci, &args);
        assert_eq!(gate.code, 1, "{args:?}: {gate:?}");
        assert!(
            gate.stderr.contains(&format!(
                "trust root version 2 ({v2}) was in force at commit {held}"
            )) && gate.stderr.contains("the chain judged no longer holds it"),
            "{args:?}: {gate:?}"
        );
    }
    // The early clone pulls the push: its record (made pinned) refuses it unpinned.
    git(&early, &["pull", "-q", "--ff-only"]);
    let gate = run_in(&early, &["gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(
        gate.stderr.contains("this clone saw trust root version 2"),
        "{gate:?}"
    );

    // Version 2's approvals deleted instead, its root left: no longer in force, refused.
    git(&ci, &["checkout", "-q", "-b", "approvals-gone", &before]);
    for n in [1, 2] {
        git(
            &ci,
            &[
                "rm",
                "-q",
                &format!("signatures/.quorate/trust/2/signature-{n}"),
            ],
        );
    }
    git(&ci, &["commit", "-qm", "approvals gone"]);
    let gate = run_in(&ci, &["gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(
        gate.stderr
            .contains("the chain judged holds it, but no longer in force"),
        "{gate:?}"
    );
}

/// A clone that remembers the chain follows a force-pushed rewrite with no chain and two
/// maintainers of the pusher's own: the working tree and `gate --at HEAD` are refused alike
/// (it is on neither side of the commit the memory was recorded at); `--as-found` judges it
/// anyway, saying so; older history is judged as found.
#[test]
fn gate_at_a_rewritten_line_is_held_to_the_memory() {
    let (keys, net) = {
        let keys = team_keys();
        let net = Team::of(keys.each_ref()).net();
        (keys, net)
    };
    let a = net.clone("alice");
    let first = git(&a, &["rev-parse", "HEAD"]).trim().to_string();
    assert_eq!(run_in(&a, &["trust", "propose"]).code, 0);
    approve_with(&a, &keys[0]);
    approve_with(&a, &keys[1]);
    assert_eq!(run_in(&a, &["sync"]).code, 0);
    let b = net.clone("bob");
    assert_eq!(run_in(&b, &["trust", "status"]).code, 0, "b remembers");

    // The pusher's rewrite: an orphan branch with two maintainers of their own, force-pushed.
    let m1 = TestKey::new("mallory");
    let m2 = TestKey::new("mallet");
    git(&a, &["checkout", "-q", "--orphan", "evil"]);
    git(&a, &["rm", "-rqf", "."]);
    std::fs::create_dir_all(a.join("keyring")).unwrap();
    std::fs::write(
        a.join("MAINTAINERS"),
        maintainers(&[("mallory", &[&m1]), ("mallet", &[&m2])]),
    )
    .unwrap();
    for m in [&m1, &m2] {
        std::fs::write(a.join(format!("keyring/{}.asc", m.name)), m.public()).unwrap();
    }
    signed_by(&a, &[&m1, &m2]);
    commit_all(&a, "rewritten");
    git(&a, &["push", "-q", "--force", "origin", "evil:main"]);
    git(&b, &["fetch", "-q", "origin"]);
    git(&b, &["reset", "-q", "--hard", "origin/main"]);

    let gate = run_in(&b, &["gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    let at = run_in(&b, &["gate", "--at", "HEAD", &asked()]);
    assert_eq!(at.code, 1, "{at:?}");
    assert!(
        at.stderr.contains("this clone saw trust root version 1"),
        "{at:?}"
    );
    // Asked for explicitly, it is judged from its own chain (none), and says so.
    let found = run_in(&b, &["gate", "--at", "HEAD", "--as-found", &asked()]);
    assert_eq!(found.code, 0, "{found:?}");
    assert!(found.stderr.contains("--as-found"), "{found:?}");
    let usage = run_in(&b, &["gate", "--as-found", &asked()]);
    assert_eq!(usage.code, 2, "--as-found needs --at: {usage:?}");
    // Older history (an ancestor of the commit remembered) is judged as found, flag or not.
    let old = run_in(&b, &["gate", "--at", &first, &asked()]);
    assert!(!old.stderr.contains("this clone saw"), "{old:?}");
}

/// Keys made with the real gpg as of `made`: (handle, expiry as gpg takes it).
fn gpg_keys(gpg: &Gnupg, made: SystemTime, people: &[(&str, &str)]) -> Vec<String> {
    people
        .iter()
        .map(|(name, expires)| {
            gpg.generate_with(
                name,
                false,
                expires,
                &["--passphrase", "", "--faked-system-time", &epoch(made)],
            )
        })
        .collect()
}

/// MAINTAINERS and keyring/ of these people (handle, fingerprint), certificates from gpg.
fn write_team(dir: &Path, gpg: &Gnupg, people: &[(&str, &str)]) {
    let listed: Vec<(&str, Vec<String>)> = people
        .iter()
        .map(|(h, f)| (*h, vec![f.to_string()]))
        .collect();
    std::fs::write(dir.join("MAINTAINERS"), maintainers_of(&listed)).unwrap();
    let _ = std::fs::remove_dir_all(dir.join("keyring"));
    std::fs::create_dir_all(dir.join("keyring")).unwrap();
    for (handle, fpr) in people {
        std::fs::write(dir.join(format!("keyring/{handle}.asc")), gpg.export(fpr)).unwrap();
    }
}

/// An approval of version `version` by `fpr`, made with gpg as of `at`, placed at the next
/// free number (by hand, as anyone who can push could), and committed.
fn approve_as_of(dir: &Path, gpg: &Gnupg, version: u32, fpr: &str, at: SystemTime) {
    let vdir = dir.join(format!("signatures/.quorate/trust/{version}"));
    let root = std::fs::read(vdir.join("root.json")).unwrap();
    let n = (1..)
        .find(|n| !vdir.join(format!("signature-{n}")).exists())
        .unwrap();
    std::fs::write(
        vdir.join(format!("signature-{n}")),
        gpg.sign_as_of(fpr, &root, at),
    )
    .unwrap();
    commit_all(dir, &format!("approve version {version}"));
}

/// The image signed now, with gpg, by these keys.
fn gpg_signed_by(dir: &Path, gpg: &Gnupg, fprs: &[&str]) {
    let image = image_dir(dir, HEX_A);
    let _ = std::fs::remove_dir_all(&image);
    std::fs::create_dir_all(&image).unwrap();
    for (i, fpr) in fprs.iter().enumerate() {
        std::fs::write(
            image.join(format!("signature-{}", i + 1)),
            gpg.stagex_sign(fpr, &payload(REF, HEX_A)),
        )
        .unwrap();
    }
    commit_all(dir, "signed");
}

/// Three years ago alice, bob and carol started the chain (threshold 2; carol's key expired
/// two years ago). Today alice, holding a copy of carol's key, adds a second identity of her
/// own (erin) and proposes it: returns the workspace, gpg, the fingerprints (alice, bob,
/// carol, erin), version 1's digest, and when version 1 came into force.
fn alice_and_carols_old_key() -> Option<(Ws, Gnupg, [String; 4], String, SystemTime)> {
    let (gpg, t0, made) =
        three_years_ago(&[("alice", "never"), ("bob", "never"), ("carol", "1y")])?;
    let now = SystemTime::now();
    let erin = gpg_keys(&gpg, now - days(1), &[("erin", "never")]).remove(0);
    let [alice, bob, carol]: [String; 3] = made.try_into().unwrap();
    let ws = Ws::new(&[]);
    write_team(
        ws.path(),
        &gpg,
        &[("alice", &alice), ("bob", &bob), ("carol", &carol)],
    );
    commit_all(ws.path(), "workspace");
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    approve_as_of(ws.path(), &gpg, 1, &alice, t0);
    approve_as_of(ws.path(), &gpg, 1, &carol, t0);
    let v1 = digest_of(ws.path(), 1);
    assert_eq!(status_json(ws.path(), &[])["versions"][0]["in_force"], true);
    // alice's second identity, erin, proposed as a maintainer.
    write_team(
        ws.path(),
        &gpg,
        &[
            ("alice", &alice),
            ("bob", &bob),
            ("carol", &carol),
            ("erin", &erin),
        ],
    );
    commit_all(ws.path(), "add erin");
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    Some((ws, gpg, [alice, bob, carol, erin], v1, t0))
}

/// A gpg home whose keys were made (as of) three years and a day ago, with the time three
/// years ago; None (the test skipped, loudly) without gpg.
fn three_years_ago(people: &[(&str, &str)]) -> Option<(Gnupg, SystemTime, Vec<String>)> {
    if !have("gpg") {
        return None;
    }
    let gpg = Gnupg::new();
    let t0 = SystemTime::now() - days(3 * 365);
    let made = gpg_keys(&gpg, t0 - days(1), people);
    Some((gpg, t0, made))
}

/// The attack: version 2 approved by alice, erin, and carol's expired key dated before its
/// expiry (and after version 1 came into force). A clone that trusts version 1 (remembered, or
/// pinned on a fresh CI clone) refuses it, whatever date carol's approval claims: a key that
/// cannot sign now cannot move the chain past what the clone trusts. A fresh unpinned clone
/// trusts what it first finds (docs/trust.md says so).
#[test]
fn an_expired_key_cannot_approve_by_backdating() {
    let Some((ws, gpg, [alice, _bob, carol, erin], v1, t0)) = alice_and_carols_old_key() else {
        return;
    };
    let now = SystemTime::now();
    approve_as_of(ws.path(), &gpg, 2, &alice, now);
    approve_as_of(ws.path(), &gpg, 2, &erin, now);
    approve_as_of(ws.path(), &gpg, 2, &carol, t0 + days(30));
    gpg_signed_by(ws.path(), &gpg, &[&alice, &erin]);

    let gate = ws.run(&["gate", &asked()]);
    assert_eq!(gate.code, 1, "the clone remembers version 1: {gate:?}");
    let status = ws.run(&["trust", "status"]);
    assert!(
        status.stdout.contains("key-expired")
            && status
                .stdout
                .contains("an approval past version 1, which this clone already trusts, must be by a key able to sign now"),
        "{status:?}"
    );
    let clones = tempfile::tempdir().unwrap();
    let ci = fresh_clone(&ws, &clones, "ci");
    let gate = run_in(&ci, &["--trust-anchor", &v1, "gate", &asked()]);
    assert_eq!(gate.code, 1, "pinned at version 1: {gate:?}");
    let s = status_json(&ci, &["--trust-anchor", &v1]);
    assert_eq!(s["versions"][1]["in_force"], false, "{s}");
    // Trust on first use: a fresh clone with no pin takes the chain as it finds it.
    let tofu = fresh_clone(&ws, &clones, "tofu");
    let gate = run_in(&tofu, &["gate", &asked()]);
    assert_eq!(gate.code, 0, "{gate:?}");
    assert!(gate.stderr.contains("trust on first use"), "{gate:?}");
}

/// An approval dated before the version it changes came into force is refused always, on a
/// fresh unpinned clone too: carol's expired key dated before version 1's approvals cannot
/// approve version 2.
#[test]
fn approvals_predating_the_version_they_change_are_refused() {
    let Some((ws, gpg, [alice, _bob, carol, erin], _v1, t0)) = alice_and_carols_old_key() else {
        return;
    };
    let now = SystemTime::now();
    approve_as_of(ws.path(), &gpg, 2, &alice, now);
    approve_as_of(ws.path(), &gpg, 2, &erin, now);
    let before_version_1 = t0 - days(1) + std::time::Duration::from_secs(3600);
    approve_as_of(ws.path(), &gpg, 2, &carol, before_version_1);
    gpg_signed_by(ws.path(), &gpg, &[&alice, &erin]);
    let clones = tempfile::tempdir().unwrap();
    let tofu = fresh_clone(&ws, &clones, "tofu");
    let gate = run_in(&tofu, &["gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    let status = run_in(&tofu, &["trust", "status"]);
    assert!(
        status
            .stdout
            .contains("before version 1 came into force at"),
        "{status:?}"
    );
    let s = status_json(&tofu, &[]);
    assert_eq!(s["versions"][1]["in_force"], false, "{s}");
}

/// The counter-requirement: a chain of three versions over two months, three years ago; since
/// then carol (removed in version 3) let her key expire and alice's expired and was renewed
/// (`gpg --quick-set-expire`). A fresh clone, unpinned or pinned at the newest version, still
/// verifies the whole chain (versions up to its floor are judged valid when made); pinned at
/// version 1, versions past it need keys able to sign now, and status says so.
#[test]
fn a_long_chain_stays_verifiable_after_its_approvers_keys_expire() {
    let Some((gpg, t0, made)) = three_years_ago(&[
        ("alice", "never"),
        ("bob", "never"),
        ("carol", "never"),
        ("dave", "never"),
    ]) else {
        return;
    };
    let [alice, bob, carol, dave]: [String; 4] = made.try_into().unwrap();
    let ws = Ws::new(&[]);
    let three = [("alice", &alice[..]), ("bob", &bob), ("carol", &carol)];
    write_team(ws.path(), &gpg, &three);
    commit_all(ws.path(), "workspace");
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    approve_as_of(ws.path(), &gpg, 1, &alice, t0);
    approve_as_of(ws.path(), &gpg, 1, &carol, t0);
    let v1 = digest_of(ws.path(), 1);
    let four = [
        ("alice", &alice[..]),
        ("bob", &bob),
        ("carol", &carol),
        ("dave", &dave),
    ];
    write_team(ws.path(), &gpg, &four);
    commit_all(ws.path(), "add dave");
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    for fpr in [&alice, &carol, &dave] {
        approve_as_of(ws.path(), &gpg, 2, fpr, t0 + days(30));
    }
    let without_carol = [("alice", &alice[..]), ("bob", &bob), ("dave", &dave)];
    write_team(ws.path(), &gpg, &without_carol);
    // Her certificate stays: her approvals of versions 1 and 2 are verified with it.
    std::fs::write(ws.path().join("keyring/carol.asc"), gpg.export(&carol)).unwrap();
    commit_all(ws.path(), "remove carol");
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    approve_as_of(ws.path(), &gpg, 3, &alice, t0 + days(60));
    approve_as_of(ws.path(), &gpg, 3, &dave, t0 + days(60));
    let v3 = digest_of(ws.path(), 3);
    // Two years on, carol's and alice's keys expire; alice renews hers today.
    let then = epoch(t0 + days(100));
    for fpr in [&carol, &alice] {
        gpg.gpg(&[
            "--faked-system-time",
            &then,
            "--quick-set-expire",
            fpr,
            "1d",
        ]);
    }
    gpg.gpg(&["--quick-set-expire", &alice, "2y"]);
    write_team(ws.path(), &gpg, &without_carol);
    std::fs::write(ws.path().join("keyring/carol.asc"), gpg.export(&carol)).unwrap();
    commit_all(ws.path(), "certificates renewed and expired");
    gpg_signed_by(ws.path(), &gpg, &[&alice, &bob]);

    let clones = tempfile::tempdir().unwrap();
    let fresh = fresh_clone(&ws, &clones, "fresh");
    for pin in [vec![], vec!["--trust-anchor", &v3]] {
        let s = status_json(&fresh, &pin);
        assert_eq!(s["versions"][2]["in_force"], true, "{pin:?}: {s}");
        let gate = run_in(&fresh, &[&pin[..], &["gate", &asked()]].concat());
        assert_eq!(gate.code, 0, "{pin:?}: {gate:?}");
    }
    let old_pin = tempfile::tempdir().unwrap();
    let ci = fresh_clone(&ws, &old_pin, "ci");
    let status = run_in(&ci, &["--trust-anchor", &v1, "trust", "status"]);
    assert_eq!(status.code, 1, "{status:?}");
    assert!(
        status.stdout.contains("must be by a key able to sign now"),
        "{status:?}"
    );
}

/// A file in the chain's directory that is not a version (a `.gitkeep`) is named once and
/// ignored; a broken version still refuses, naming the file.
#[test]
fn a_stray_file_in_the_chain_is_reported_and_ignored() {
    let (ws, keys) = chained();
    let trust = ws.path().join("signatures/.quorate/trust");
    std::fs::write(trust.join(".gitkeep"), b"").unwrap();
    std::fs::create_dir(trust.join("notes")).unwrap();
    std::fs::write(trust.join("notes/README"), b"how we rotate keys").unwrap();
    signed_by(ws.path(), &[&keys[0], &keys[1]]);
    commit_all(ws.path(), "stray files");
    let gate = ws.run(&["gate", &asked()]);
    assert_eq!(gate.code, 0, "{gate:?}");
    assert_eq!(
        gate.stderr
            .matches("signatures/.quorate/trust/.gitkeep: not a version")
            .count(),
        1,
        "{gate:?}"
    );
    assert!(
        gate.stderr
            .contains("signatures/.quorate/trust/notes: not a version"),
        "{gate:?}"
    );
    let status = ws.run(&["trust", "status"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(status.stdout.contains(".gitkeep"), "{status:?}");
    assert_eq!(ws.run(&["audit"]).code, 0);

    // A broken version refuses: a version's name on a file, or a root.json that is not one.
    std::fs::write(trust.join("2"), b"not a directory").unwrap();
    let gate = ws.run(&["gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(
        gate.stderr.contains("version 2 is not a directory"),
        "{gate:?}"
    );
    std::fs::remove_file(trust.join("2")).unwrap();
    std::fs::create_dir(trust.join("2")).unwrap();
    std::fs::write(trust.join("2/root.json"), b"{}").unwrap();
    let gate = ws.run(&["gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(
        gate.stderr
            .contains("signatures/.quorate/trust/2/root.json"),
        "{gate:?}"
    );
}
