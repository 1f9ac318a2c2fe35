//! The chain of trust roots: the maintainer set and the threshold change only with the quorum
//! of the set before, real keys and real git, the CLI end to end.

use crate::common::*;

fn status(ws: &Ws) -> serde_json::Value {
    let run = ws.run(&["trust", "status", "--json"]);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

fn signed_by(ws: &Ws, keys: &[&TestKey]) {
    let _ = std::fs::remove_dir_all(ws.image_dir("pallet-rust", HEX_A));
    for (i, key) in keys.iter().enumerate() {
        ws.put(
            "pallet-rust",
            HEX_A,
            i as u32 + 1,
            &sign(key.primary_pair(), &payload(REF, HEX_A)),
        );
    }
}

/// Adds a maintainer (and their certificate) to the working MAINTAINERS.
fn add_maintainer(ws: &Ws, key: &TestKey) {
    add_maintainer_in(ws.path(), key);
}

/// alice, bob and carol (threshold 2), sharing a bare remote.
fn three_on_a_remote() -> ([TestKey; 3], Net) {
    let keys = team_keys();
    let net = Team::of(keys.each_ref()).net();
    (keys, net)
}

/// Whoever can push adds two maintainers of their own and signs with both: the root in force
/// decides who counts, so their signatures count for nothing (the gate refuses one of two) and
/// the edit is named as a pending change nobody proposed; proposing the change and approving it
/// with only their own two new keys changes nothing either.
#[test]
fn a_pusher_cannot_make_maintainers_of_their_own() {
    let (ws, keys) = chained();
    let m1 = TestKey::new("mallory");
    let m2 = TestKey::new("mallet");
    signed_by(&ws, &[&keys[0]]);
    assert_eq!(ws.run(&["gate", &asked()]).code, 1, "one of two");
    add_maintainer(&ws, &m1);
    add_maintainer(&ws, &m2);
    signed_by(&ws, &[&keys[0], &m1, &m2]);
    let gate = ws.run(&["gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(
        gate.stderr.contains("added maintainer mallory")
            && gate.stderr.contains("added maintainer mallet")
            && gate.stderr.contains("nobody proposed it"),
        "{gate:?}"
    );
    assert_eq!(
        gate.stderr.matches("change pending").count(),
        1,
        "said in one line: {gate:?}"
    );
    // The same after they propose and approve it with their own two new keys.
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    approve(&ws, &m1);
    approve(&ws, &m2);
    let s = status(&ws);
    assert_eq!(s["versions"][1]["in_force"], false, "{s}");
    assert_eq!(
        s["versions"][1]["approved_by"],
        serde_json::json!(["mallet", "mallory"])
    );
    let gate = ws.run(&["gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(gate.stderr.contains("version 2 proposes it"), "{gate:?}");
    assert_eq!(ws.run(&["trust", "status"]).code, 1);
    // audit shows the draft as the difference it is, and counts by the root in force.
    let audit = ws.run(&["audit", "--json"]);
    assert!(audit.stdout.contains("trust-root-unapproved"), "{audit:?}");
    let ledger: serde_json::Value = serde_json::from_str(&audit.stdout).unwrap();
    assert_eq!(ledger["images"][0]["quorate"], false, "{ledger}");
    assert_eq!(ledger["images"][0]["signers"], serde_json::json!(["alice"]));
}

/// Adding a maintainer takes threshold(N) of the old set, threshold(N+1) of the new, and the new
/// maintainer's own approval (proof they hold the key); then their signature counts.
#[test]
fn adding_a_maintainer_needs_the_old_quorum_and_the_new_key() {
    let (ws, keys) = chained();
    let dave = TestKey::new("dave");
    add_maintainer(&ws, &dave);
    signed_by(&ws, &[&keys[0], &dave]);
    assert_eq!(ws.run(&["gate", &asked()]).code, 1, "not approved yet");
    let run = ws.run(&["trust", "propose"]);
    assert!(run.stdout.contains("added maintainer dave"), "{run:?}");
    approve(&ws, &keys[0]);
    let run = approve(&ws, &keys[1]);
    assert!(run.stdout.contains("not in force yet"), "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "dave's approval with the added key {}",
            dave.fingerprint()
        )),
        "{run:?}"
    );
    assert_eq!(
        ws.run(&["gate", &asked()]).code,
        1,
        "without dave's own approval"
    );
    let run = approve(&ws, &dave);
    assert!(run.stdout.contains("version 2 is in force"), "{run:?}");
    let gate = ws.run(&["gate", &asked()]);
    assert_eq!(gate.code, 0, "{gate:?}");
    assert_eq!(ws.run(&["trust", "status"]).code, 0);
    let s = status(&ws);
    assert_eq!(
        s["versions"][1]["approved_by"],
        serde_json::json!(["alice", "bob", "dave"])
    );
    assert_eq!(s["versions"][1]["previous"], s["versions"][0]["digest"]);
    assert!(s["versions"][1]["approvals"][0]["made"].is_string(), "{s}");
}

/// Lowering the threshold from 3 to 2 (or removing a maintainer) with too few approvals of the
/// old set is not in force; while the unapproved file is in the working tree the gate judges by
/// the root in force (3 needed) and names the pending change; reverted, the same.
#[test]
fn lowering_the_threshold_needs_the_old_quorum() {
    let keys = team_keys();
    let ws = Team::of(keys.each_ref()).threshold(3).ws();
    commit_all(ws.path(), "workspace");
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    approve(&ws, &keys[0]);
    approve(&ws, &keys[1]);
    assert_eq!(status(&ws)["versions"][0]["in_force"], false, "3 needed");
    approve(&ws, &keys[2]);
    assert_eq!(status(&ws)["versions"][0]["in_force"], true);
    signed_by(&ws, &[&keys[0], &keys[1]]);
    assert_eq!(ws.run(&["gate", &asked()]).code, 1, "2 of 3");

    set_threshold(ws.path(), 2);
    let gate = ws.run(&["gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(gate.stderr.contains("threshold 3 -> 2"), "{gate:?}");
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    approve(&ws, &keys[0]);
    approve(&ws, &keys[1]);
    let s = status(&ws);
    assert_eq!(s["versions"][1]["in_force"], false, "{s}");
    assert!(
        s["versions"][1]["missing"][0]
            .as_str()
            .unwrap()
            .starts_with("1 more of version 1"),
        "{s}"
    );
    assert_eq!(ws.run(&["gate", &asked()]).code, 1);

    // Reverted: judged under version 1 again (3 needed, so 3 signatures pass).
    set_threshold(ws.path(), 3);
    assert_eq!(ws.run(&["gate", &asked()]).code, 1);
    signed_by(&ws, &[&keys[0], &keys[1], &keys[2]]);
    assert_eq!(ws.run(&["gate", &asked()]).code, 0);

    // Removing carol, approved by only two of the three the old threshold needs: not in force.
    let text = std::fs::read_to_string(ws.path().join("MAINTAINERS")).unwrap();
    let without: String = text
        .split("[people.")
        .filter(|part| !part.starts_with("carol]"))
        .collect::<Vec<_>>()
        .join("[people.");
    std::fs::write(ws.path().join("MAINTAINERS"), without).unwrap();
    set_threshold(ws.path(), 2);
    let gate = ws.run(&["gate", &asked()]);
    assert!(gate.stderr.contains("removed maintainer carol"), "{gate:?}");
}

/// Approvals count people: a stranger's approval file counts for no one, one person approving
/// with two keys counts once, `trust sign` refuses a signer of neither set.
#[test]
fn approvals_count_people_not_keys_or_files() {
    let alice = TestKey::new("alice");
    let alice2 = TestKey::new("alice-second");
    let bob = TestKey::new("bob");
    let ws = Ws::new(&[("alice", &[&alice, &alice2]), ("bob", &[&bob])]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "workspace"]);
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    approve(&ws, &alice);
    approve(&ws, &alice2);
    let s = status(&ws);
    assert_eq!(
        s["versions"][0]["approved_by"],
        serde_json::json!(["alice"])
    );
    assert_eq!(
        s["versions"][0]["in_force"], false,
        "one person, two keys: {s}"
    );
    // A stranger: refused by trust sign; an approval file placed by hand counts for no one.
    let stranger = TestKey::new("mallory");
    ws.add_cert(&stranger);
    let file = ws.key_file(&stranger);
    let run = ws.run(&["trust", "sign", "--key", file.to_str().unwrap()]);
    assert_ne!(run.code, 0, "{run:?}");
    let root = std::fs::read(ws.path().join("signatures/.quorate/trust/1/root.json")).unwrap();
    std::fs::write(
        ws.path().join("signatures/.quorate/trust/1/signature-3"),
        sign(stranger.primary_pair(), &root),
    )
    .unwrap();
    // And a maintainer's signature over other bytes.
    std::fs::write(
        ws.path().join("signatures/.quorate/trust/1/signature-4"),
        sign(bob.primary_pair(), &payload(REF, HEX_A)),
    )
    .unwrap();
    let s = status(&ws);
    assert_eq!(s["versions"][0]["in_force"], false, "{s}");
    let problems: Vec<String> = s["versions"][0]["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["problem"].as_str().map(str::to_string))
        .collect();
    assert_eq!(problems.len(), 2, "{s}");
    approve(&ws, &bob);
    assert_eq!(status(&ws)["versions"][0]["in_force"], true);
}

/// A caller who pinned version 2 refuses a history rewritten to drop it; the environment
/// variable pins the same way; an anchor with no chain at all is refused.
#[test]
fn a_pinned_anchor_refuses_a_rewritten_history() {
    let (ws, keys) = chained();
    let dave = TestKey::new("dave");
    add_maintainer(&ws, &dave);
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    approve(&ws, &keys[0]);
    approve(&ws, &keys[1]);
    approve(&ws, &dave);
    let s = status(&ws);
    let v2 = s["versions"][1]["digest"].as_str().unwrap().to_string();
    signed_by(&ws, &[&keys[0], &dave]);
    let gate = ws.run(&["--trust-anchor", &v2, "gate", &asked()]);
    assert_eq!(gate.code, 0, "{gate:?}");
    assert!(!gate.stderr.contains("trust on first use"), "{gate:?}");
    let unpinned = ws.run(&["gate", &asked()]);
    assert!(
        unpinned.stderr.contains(&format!("--trust-anchor {v2}")),
        "{unpinned:?}"
    );

    // History rewritten: version 2 dropped, dave still in the working MAINTAINERS... and the
    // pusher re-proposes a version 2 of their own making.
    git(ws.path(), &["rm", "-rq", "signatures/.quorate/trust/2"]);
    git(ws.path(), &["commit", "-qm", "rewrite"]);
    let pinned = ws.run(&["--trust-anchor", &v2, "gate", &asked()]);
    assert_eq!(pinned.code, 1, "{pinned:?}");
    assert!(
        pinned.stderr.contains("no version of the chain"),
        "{pinned:?}"
    );
    let by_env = run_env(
        ws.path(),
        &["gate", &asked()],
        &[("QUORATE_TRUST_ANCHOR", &v2)],
    );
    assert_eq!(by_env.code, 1, "{by_env:?}");
    let audit = ws.run(&["--trust-anchor", &v2, "audit"]);
    assert_eq!(audit.code, 1, "{audit:?}");

    // No chain at all, with an anchor: refused; a malformed anchor: bad usage.
    let bare = Ws::new(&[("alice", &[&keys[0]])]);
    let run = bare.run(&["--trust-anchor", &v2, "gate", &asked()]);
    assert_eq!(run.code, 1, "{run:?}");
    let run = bare.run(&["--trust-anchor", "sha256:XYZ", "gate", &asked()]);
    assert_eq!(run.code, 2, "{run:?}");
}

/// A maintainer renews their certificate with keyring import: no approval needed, nothing breaks.
#[test]
fn renewing_a_certificate_needs_no_approval() {
    let (ws, mut keys) = chained();
    let now = std::time::SystemTime::now();
    keys[0].set_expiry(Some(days(400)), now - days(1));
    std::fs::write(ws.path().join("alice-renewed.asc"), keys[0].public()).unwrap();
    let run = ws.run(&["keyring", "import", "alice-renewed.asc"]);
    assert_eq!(run.code, 0, "{run:?}");
    signed_by(&ws, &[&keys[0], &keys[1]]);
    assert_eq!(ws.run(&["gate", &asked()]).code, 0);
    assert_eq!(ws.run(&["trust", "status"]).code, 0);
}

/// sync carries proposals and approvals: two maintainers approving the same proposal at once on
/// two clones both land, renumbered, and the version comes into force for everyone.
#[test]
fn sync_carries_proposals_and_approvals() {
    let (keys, net) = three_on_a_remote();
    let first = net.clone("alice");
    // A clone that had no chain hears of version 1 when it syncs.
    let third = net.clone("carol-early");
    let run = run_in(&first, &["trust", "propose"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = run_in(&first, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    let second = net.clone("bob");
    // Both approve before either syncs: both write signature-1.
    for (clone, key) in [(&first, &keys[0]), (&second, &keys[1])] {
        let file = key_beside(clone, key);
        let run = run_in(clone, &["trust", "sign", "--key", file.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    assert_eq!(run_in(&first, &["sync"]).code, 0);
    let run = run_in(&second, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = run_in(&third, &["sync"]);
    assert!(
        run.stdout.contains("sync: brought in trust root version 1")
            && run.stdout.contains("in force"),
        "{run:?}"
    );
    let fresh = net.clone("carol");
    let run = run_in(&fresh, &["trust", "status", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let s: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        s["versions"][0]["approved_by"],
        serde_json::json!(["alice", "bob"])
    );
    assert_eq!(s["versions"][0]["in_force"], true);
}

/// The podman policy is made from the trust root in force: an unapproved MAINTAINERS is a draft,
/// named, and changes nothing in the policy.
#[test]
fn policy_export_follows_the_root_in_force() {
    let (ws, _) = chained();
    let out = ws.path().join("policy");
    let run = ws.run(&["policy", "export", "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    let before = std::fs::read(out.join("policy.json")).unwrap();
    add_maintainer(&ws, &TestKey::new("mallory"));
    let run = ws.run(&["policy", "export", "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("added maintainer mallory"), "{run:?}");
    assert!(!run.stdout.contains("mallory"), "{run:?}");
    assert_eq!(std::fs::read(out.join("policy.json")).unwrap(), before);
}

/// Whoever can push may fill a version's directory with thousands of approval files: quorate
/// judges only signature-1 to signature-127 (never more is written), says how many it left
/// unjudged, and the version stays in force on the approvals that count.
#[test]
fn a_flood_of_approval_files_is_not_judged_past_127() {
    let (ws, _keys) = chained();
    let dir = ws.path().join("signatures/.quorate/trust/1");
    for n in 3..=2000 {
        std::fs::write(dir.join(format!("signature-{n}")), b"not an approval").unwrap();
    }
    let s = status(&ws);
    assert_eq!(s["versions"][0]["in_force"], true, "{s}");
    let approvals = s["versions"][0]["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 128, "127 judged and one line for the rest");
    let last = approvals.last().unwrap();
    assert_eq!(last["valid"], false);
    assert!(
        last["problem"]
            .as_str()
            .unwrap()
            .contains("1873 more files past signature-127"),
        "{last}"
    );
    assert_eq!(ws.run(&["trust", "status"]).code, 0);
}

/// A consumer's policy is judged against the trust root in force, as export makes it: an
/// unapproved MAINTAINERS or threshold is a draft, named, never judged against.
#[test]
fn policy_check_follows_the_root_in_force() {
    let (ws, _) = chained();
    let out = ws.path().join("policy");
    let run = ws.run(&["policy", "export", "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    let policy = out.join("policy.json");
    let policy = policy.to_str().unwrap();
    let run = ws.run(&["policy", "check", policy]);
    assert_eq!(run.code, 0, "{run:?}");
    add_maintainer(&ws, &TestKey::new("mallory"));
    set_threshold(ws.path(), 3);
    for args in [
        vec!["policy", "check", policy],
        vec!["policy", "check", "--json", policy],
    ] {
        let run = ws.run(&args);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stderr.contains("added maintainer mallory")
                && run.stderr.contains("threshold 2 -> 3"),
            "{run:?}"
        );
    }
    let run = ws.run(&["policy", "check", "--json", policy]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap()["threshold"],
        2
    );
}

/// Trust on first use, remembered: once a clone has seen a version of the chain in force
/// (committed), later states must keep it, as if pinned. A pusher who deletes one approver's
/// certificate (so version 1 no longer verifies) or the whole chain, then adds maintainers of
/// their own, is refused by that clone; a revision older than what it saw is judged as found.
#[test]
fn a_clone_remembers_the_chain_it_trusted() {
    let (ws, keys) = chained();
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "chain", "--allow-empty"]);
    let before_chain = String::from_utf8(
        std::process::Command::new("git")
            .args(["rev-list", "--max-parents=0", "HEAD"])
            .current_dir(ws.path())
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    signed_by(&ws, &[&keys[0], &keys[1]]);
    let gate = ws.run(&["gate", &asked()]);
    assert_eq!(gate.code, 0, "{gate:?}");
    let remembered = ws.path().join(".git/quorate/trust-anchor");
    assert!(remembered.is_file(), "the clone records what it trusted");
    // The commit it was seen at is rewritten (as sync's replay does): the next command moves the
    // record onto HEAD's line, so `--at` below still follows it.
    git(
        ws.path(),
        &[
            "commit",
            "-q",
            "--amend",
            "-m",
            "chain, amended",
            "--allow-empty",
        ],
    );
    assert_eq!(ws.run(&["gate", &asked()]).code, 0);

    // The pusher: alice's certificate gone (version 1's approvals no longer verify), two
    // maintainers of their own, both signing.
    let m1 = TestKey::new("mallory");
    let m2 = TestKey::new("mallet");
    std::fs::remove_file(ws.path().join("keyring/alice.asc")).unwrap();
    add_maintainer(&ws, &m1);
    add_maintainer(&ws, &m2);
    signed_by(&ws, &[&m1, &m2]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "pushed"]);
    let gate = ws.run(&["gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(gate.stderr.contains("added maintainer mallory"), "{gate:?}");
    let gate = ws.run(&["gate", "--at", "HEAD", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(gate.stderr.contains("added maintainer mallory"), "{gate:?}");

    // The whole chain deleted too.
    git(ws.path(), &["rm", "-rq", "signatures/.quorate"]);
    git(ws.path(), &["commit", "-qm", "no chain"]);
    let gate = ws.run(&["gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(gate.stderr.contains("this clone saw"), "{gate:?}");
    assert!(
        gate.stderr.contains(".git/quorate/trust-anchor"),
        "{gate:?}"
    );

    // A revision from before the chain is judged as found, not against the memory.
    let old = ws.run(&["gate", "--at", &before_chain, &asked()]);
    assert!(!old.stderr.contains("this clone saw"), "{old:?}");

    // With the record removed, history still shows version 1 in force: the deletion is refused
    // on a clone that remembers nothing, too (trust_time.rs covers it in full).
    std::fs::remove_file(&remembered).unwrap();
    let gate = ws.run(&["gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(
        gate.stderr.contains("trust root version 1")
            && gate.stderr.contains("a version in force never disappears"),
        "{gate:?}"
    );
}

/// Two clones propose different versions 2 on the same chain: the first to sync publishes its
/// own; the second's sync is refused naming the version, never replaying its root.json over the
/// remote's (which would void the approvals the remote's version already has).
#[test]
fn sync_refuses_a_second_different_version_of_the_chain() {
    let (keys, net) = three_on_a_remote();
    let a = net.clone("alice");
    assert_eq!(run_in(&a, &["trust", "propose"]).code, 0);
    let approve_in = |clone: &std::path::Path, key: &TestKey| {
        let file = key_beside(clone, key);
        let run = run_in(clone, &["trust", "sign", "--key", file.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
    };
    approve_in(&a, &keys[0]);
    approve_in(&a, &keys[1]);
    assert_eq!(run_in(&a, &["sync"]).code, 0);
    let b = net.clone("bob");
    // Each proposes a version 2 of its own: a raises the threshold, b lowers it.
    std::fs::write(a.join("quorate.toml"), "threshold = 3\n").unwrap();
    assert_eq!(run_in(&a, &["trust", "propose"]).code, 0);
    std::fs::write(b.join("quorate.toml"), "threshold = 1\n").unwrap();
    assert_eq!(run_in(&b, &["trust", "propose"]).code, 0);
    approve_in(&a, &keys[0]);
    approve_in(&a, &keys[1]);
    let run = run_in(&a, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    let theirs = std::fs::read(a.join("signatures/.quorate/trust/2/root.json")).unwrap();
    let run = run_in(&b, &["sync"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("signatures/.quorate/trust/2/root.json"),
        "{run:?}"
    );
    // The remote still holds a's version 2, with its approvals.
    let fresh = net.clone("carol");
    assert_eq!(
        std::fs::read(fresh.join("signatures/.quorate/trust/2/root.json")).unwrap(),
        theirs
    );
    // a's version 2 is not in force (threshold 3 needs three of its people): a replaces its own
    // pending proposal, and that sync goes through, for it rewrites exactly the remote's bytes.
    std::fs::write(a.join("quorate.toml"), "threshold = 1\n").unwrap();
    let run = run_in(&a, &["trust", "propose"]);
    assert!(
        run.stdout.contains("replacing the pending proposal"),
        "{run:?}"
    );
    let run = run_in(&a, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
}

/// A push that deletes the chain reaches a clone that had seen it in force: sync says at once
/// that the chain as it now stands is refused, and the gate refuses it.
#[test]
fn sync_says_when_the_chain_this_clone_trusted_is_gone() {
    let (keys, net) = three_on_a_remote();
    let a = net.clone("alice");
    assert_eq!(run_in(&a, &["trust", "propose"]).code, 0);
    for key in &keys[..2] {
        let file = key_beside(&a, key);
        let run = run_in(&a, &["trust", "sign", "--key", file.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    assert_eq!(run_in(&a, &["sync"]).code, 0);
    let b = net.clone("bob");
    // b judges once: it now remembers version 1; c only syncs, which remembers too.
    assert_eq!(run_in(&b, &["trust", "status"]).code, 0);
    let c = net.clone("carol");
    assert_eq!(run_in(&c, &["sync"]).code, 0);
    // Whoever can push deletes the chain.
    git(&a, &["rm", "-rq", "signatures/.quorate"]);
    git(&a, &["commit", "-qm", "no chain"]);
    git(&a, &["push", "-q", "origin", "main"]);
    for clone in [&b, &c] {
        let run = run_in(clone, &["sync"]);
        assert!(
            run.stdout
                .contains("sync: the chain of trust roots as it now stands is refused: this clone saw trust root version 1"),
            "{run:?}"
        );
    }
    let run = run_in(&b, &["gate", &asked()]);
    assert_eq!(run.code, 1, "{run:?}");
}
