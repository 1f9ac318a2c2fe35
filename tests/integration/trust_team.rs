//! The trust root over time, as a team lives it (issue 20, items 4 to 8): once a chain is in
//! force its root decides who counts everywhere and the working MAINTAINERS and quorate.toml are
//! a draft; a proposal travels with the edit it was made from; a removed maintainer's past
//! signatures stay honest history; the departing maintainer approves his own removal. A bare
//! remote and several clones, real git, real keys, the CLI end to end.

use std::path::{Path, PathBuf};

use crate::common::*;

/// alice, bob and carol (threshold 2) on a bare remote, the chain's version 1 proposed in
/// alice's clone, approved by alice and bob, and synced; alice's clone.
fn chained_net() -> ([TestKey; 3], Net, PathBuf) {
    let keys = team_keys();
    let net = Team::of(keys.each_ref()).net();
    let alice = net.clone("alice");
    assert_eq!(run_in(&alice, &["trust", "propose"]).code, 0);
    approve_in(&alice, &keys[0]);
    approve_in(&alice, &keys[1]);
    let run = run_in(&alice, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    (keys, net, alice)
}

/// `quorate maintainers add HANDLE` in `clone`, with the certificate written beside it.
fn add_person(clone: &Path, key: &TestKey) {
    let cert = clone.with_extension(format!("{}.asc", key.name));
    std::fs::write(&cert, key.public()).unwrap();
    let run = run_in(
        clone,
        &[
            "maintainers",
            "add",
            &key.name,
            "--name",
            &key.name,
            "--email",
            &format!("{}@example.org", key.name),
            cert.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

/// Item 4. Whoever can push adds two keys of their own to MAINTAINERS and keyring/ while the
/// chain is in force, signs an image with both and pushes: on another clone, every judging
/// command counts people by the root in force. The gate refuses, the audit (text, JSON, HTML)
/// shows the image short of quorum and the edit as the pending difference it is, the policy is
/// made without them.
#[test]
fn every_judging_command_counts_by_the_root_in_force() {
    let (_keys, net, _alice) = chained_net();
    let pusher = net.clone("pusher");
    let m1 = TestKey::new("mallory");
    let m2 = TestKey::new("mallet");
    add_person(&pusher, &m1);
    add_person(&pusher, &m2);
    commit_all(&pusher, "Add two maintainers");
    assert_eq!(sign_in(&pusher, &m1, HEX_A).code, 0);
    assert_eq!(sign_in(&pusher, &m2, HEX_A).code, 0);
    git(&pusher, &["push", "-q", "origin", "main"]);

    let bob = net.clone("bob");
    let gate = run_in(&bob, &["gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(
        gate.stderr.contains("added maintainer mallory") && gate.stderr.contains("nobody proposed"),
        "{gate:?}"
    );
    let verify = json(&run_in(&bob, &["verify", "--json", &asked()]));
    assert_eq!(verify["signers"], serde_json::json!([]), "{verify}");

    let audit = run_in(&bob, &["audit"]);
    assert!(!audit.stdout.contains("  quorate: 2 of 2"), "{audit:?}");
    assert!(
        audit.stdout.contains("SHORT OF QUORUM: 0 of 2"),
        "{audit:?}"
    );
    let ledger = json(&run_in(&bob, &["audit", "--json"]));
    let image = &ledger["images"][0];
    assert_eq!(image["quorate"], false, "{ledger}");
    assert_eq!(image["signers"], serde_json::json!([]), "{ledger}");
    let draft = ledger["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "trust-root-unapproved")
        .unwrap_or_else(|| panic!("{ledger}"));
    assert!(
        draft["detail"]
            .as_str()
            .unwrap()
            .contains("added maintainer mallet"),
        "{draft}"
    );
    let page = bob.with_extension("html");
    let run = run_in(&bob, &["audit", "--html", page.to_str().unwrap()]);
    assert!(run.code <= 1, "{run:?}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("✓ 0 quorate"), "the totals count none");
    assert!(!html.contains("✓ quorate ("), "no row shows quorate");
    assert!(!html.contains("data-maintainer=\"mallory\""), "no column");

    let out = bob.with_extension("policy");
    let run = run_in(&bob, &["policy", "export", "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("alice, bob, carol"), "{run:?}");
    assert!(!run.stdout.contains("mallory"), "{run:?}");
}

/// Item 5. A pending change blocks no release: while the proposal to raise the threshold to 3
/// waits for approvals, another clone that synced it (MAINTAINERS, quorate.toml and root.json
/// together) gates by the root in force (2 of 3 pass), saying in one line which version proposes
/// the change; once the quorum approves it, 3 are needed.
#[test]
fn a_pending_change_blocks_no_release() {
    let (keys, net, alice) = chained_net();
    set_threshold(&alice, 3);
    assert_eq!(run_in(&alice, &["trust", "propose"]).code, 0);
    assert_eq!(run_in(&alice, &["sync"]).code, 0);

    let bob = net.clone("bob");
    assert_eq!(sign_in(&bob, &keys[1], HEX_A).code, 0);
    assert_eq!(sign_in(&bob, &keys[2], HEX_A).code, 0);
    let gate = run_in(&bob, &["gate", &asked()]);
    assert_eq!(gate.code, 0, "a hotfix passes: {gate:?}");
    let pending: Vec<&str> = gate
        .stderr
        .lines()
        .filter(|l| l.contains("change pending"))
        .collect();
    assert_eq!(pending.len(), 1, "{gate:?}");
    assert!(
        pending[0].contains("threshold 2 -> 3") && pending[0].contains("version 2 proposes it"),
        "{gate:?}"
    );
    let out = bob.with_extension("policy");
    let run = run_in(&bob, &["policy", "export", "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("any 2 of 3"), "{run:?}");
    let audit = run_in(&bob, &["audit"]);
    assert_eq!(audit.code, 0, "a draft is no audit error: {audit:?}");

    // Approved by 2 of version 1 and 3 of version 2: in force, and now 3 are needed.
    for key in &keys {
        approve_in(&bob, key);
    }
    let gate = run_in(&bob, &["gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(!gate.stderr.contains("change pending"), "{gate:?}");
}

/// Item 6. `trust propose` commits the trust-root files it was made from with root.json, in one
/// commit: after adding dave (MAINTAINERS, keyring/dave.asc), deleting an unused keyring file
/// by hand and raising the threshold, the work tree is clean; synced, another clone holds the
/// edit and the proposal together and is in no "differs" state it never saw. With MAINTAINERS
/// outside the repository, propose refuses naming it and writes nothing.
#[test]
fn trust_propose_commits_the_edit_it_was_made_from() {
    let (keys, net, alice) = chained_net();
    let stray = TestKey::new("stray");
    std::fs::write(alice.join("keyring/stray.asc"), stray.public()).unwrap();
    commit_all(&alice, "A certificate nobody uses");
    git(&alice, &["push", "-q", "origin", "main"]);
    // carol signs and syncs meanwhile, so alice's sync replays her proposal on a moved remote.
    let carol = net.clone("carol");
    assert_eq!(sign_in(&carol, &keys[2], HEX_B).code, 0);
    assert_eq!(run_in(&carol, &["sync"]).code, 0);

    let dave = TestKey::new("dave");
    add_person(&alice, &dave);
    std::fs::remove_file(alice.join("keyring/stray.asc")).unwrap();
    set_threshold(&alice, 3);
    let run = run_in(&alice, &["trust", "propose"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_agrees_with_head(&alice);
    let files = git(&alice, &["show", "--name-status", "--format=", "HEAD"]);
    for line in [
        "M\tMAINTAINERS",
        "A\tkeyring/dave.asc",
        "D\tkeyring/stray.asc",
        "A\tquorate.toml",
        "A\tsignatures/.quorate/trust/2/root.json",
    ] {
        assert!(files.lines().any(|l| l == line), "{line}: {files}");
    }
    let run = run_in(&alice, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_agrees_with_head(&alice);

    let bob = net.clone("bob");
    let status = json(&run_in(&bob, &["trust", "status", "--json"]));
    assert_eq!(
        status["versions"][1]["maintainers"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let gate = run_in(&bob, &["gate", &asked()]);
    assert!(gate.stderr.contains("version 2 proposes it"), "{gate:?}");
    assert!(bob.join("keyring/dave.asc").exists());

    // A trust root kept outside the repository cannot travel with the proposal: refused,
    // naming it, before anything is written.
    let outside = alice.with_extension("MAINTAINERS");
    std::fs::copy(alice.join("MAINTAINERS"), &outside).unwrap();
    std::fs::write(alice.join("quorate.toml"), "threshold = 2\n").unwrap();
    let run = run_in(
        &alice,
        &[
            "--maintainers",
            outside.to_str().unwrap(),
            "trust",
            "propose",
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("is outside the repository")
            && run
                .stderr
                .contains(outside.file_name().unwrap().to_str().unwrap()),
        "{run:?}"
    );
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
}

/// alice, bob, carol and dave (threshold 3), the chain's version 1 approved by alice, bob and
/// carol; dave and alice signed image A, alice and bob image B; all committed.
fn four_with_dave() -> (Ws, [TestKey; 4]) {
    let [alice, bob, carol] = team_keys();
    let dave = TestKey::new("dave");
    let ws = Ws::new(&[
        ("alice", &[&alice]),
        ("bob", &[&bob]),
        ("carol", &[&carol]),
        ("dave", &[&dave]),
    ]);
    set_threshold(ws.path(), 3);
    commit_all(ws.path(), "workspace");
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    for key in [&alice, &bob, &carol] {
        approve(&ws, key);
    }
    for (hex, key) in [
        (HEX_A, &alice),
        (HEX_A, &dave),
        (HEX_B, &alice),
        (HEX_B, &bob),
    ] {
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
    (ws, [alice, bob, carol, dave])
}

/// `maintainers remove dave`, the threshold lowered to 2, proposed: version 2.
fn remove_dave(ws: &Ws) -> String {
    let run = ws.run(&["maintainers", "remove", "dave"]);
    assert_eq!(run.code, 0, "{run:?}");
    set_threshold(ws.path(), 2);
    let run = ws.run(&["trust", "propose"]);
    assert_eq!(run.code, 0, "{run:?}");
    git(ws.path(), &["rev-parse", "HEAD~1"]).trim().to_string()
}

/// A chain that cannot be read (a version's name on a file, pushed by anyone) never lets
/// `maintainers remove` conclude that it names nobody and delete a certificate it names: the
/// removal is refused, nothing changed.
#[test]
fn an_unreadable_chain_keeps_maintainers_remove_from_deleting_certificates() {
    let (ws, _keys) = four_with_dave();
    std::fs::write(
        ws.path().join("signatures/.quorate/trust/2"),
        "not a version",
    )
    .unwrap();
    let maintainers = std::fs::read(ws.path().join("MAINTAINERS")).unwrap();
    let run = ws.run(&["maintainers", "remove", "dave"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("nothing was removed"), "{run:?}");
    assert!(ws.path().join("keyring/dave.asc").exists());
    assert_eq!(
        std::fs::read(ws.path().join("MAINTAINERS")).unwrap(),
        maintainers
    );
}

/// Item 7. Removing a maintainer keeps his certificate while the chain names him; once the
/// version that removes him is in force, his past signatures are a former maintainer's
/// ("removed in trust root version 2"): never an error or an unknown issuer, counted only where
/// the deciding root names him (`--at` a revision from before), `audit` green, the HTML page
/// keeping his column.
#[test]
fn a_removed_maintainers_signatures_stay_honest_history() {
    let (ws, [alice, bob, carol, _dave]) = four_with_dave();
    let before = remove_dave(&ws);
    assert!(ws.path().join("keyring/dave.asc").exists());
    // Version 1 needs 3 of its 4, version 2 needs 2 of its 3.
    for key in [&alice, &carol, &bob] {
        approve(&ws, key);
    }
    let status = json(&ws.run(&["trust", "status", "--json"]));
    assert_eq!(status["versions"][1]["in_force"], true, "{status}");
    let a = reference(HEX_A);

    let report = ws.verify_json(&a);
    assert_eq!(codes(&report, 2), ["former-maintainer"], "{report}");
    let file = &report["files"][1];
    assert_eq!(file["former_maintainer"], "dave", "{report}");
    assert_eq!(file["removed_in"], 2, "{report}");
    assert_eq!(file["counts"], false);
    let verify = ws.run(&["verify", &a]);
    assert_eq!(verify.code, 0, "honest history is no error: {verify:?}");
    assert!(
        verify
            .stdout
            .contains("dave, a former maintainer (removed in trust root version 2)"),
        "{verify:?}"
    );
    // Counted only where the deciding root names him: not now (A has 1 of 2), but at a revision
    // from before his removal, where version 1 decides.
    assert_eq!(ws.run(&["gate", &a]).code, 1);
    assert_eq!(ws.run(&["gate", &reference(HEX_B)]).code, 0);
    let then = ws.run(&["verify", "--json", "--at", &before, &a]);
    assert_eq!(
        json(&then)["signers"],
        serde_json::json!(["alice", "dave"]),
        "{then:?}"
    );

    let audit = ws.run(&["audit"]);
    assert_eq!(
        audit.code, 0,
        "a routine removal leaves audit green: {audit:?}"
    );
    assert!(!audit.stdout.contains("unknown-issuer"), "{audit:?}");
    assert!(
        audit
            .stdout
            .contains("not counted: a former maintainer (removed in trust root version 2)"),
        "{audit:?}"
    );
    let ledger = json(&ws.run(&["audit", "--json"]));
    assert_eq!(ledger["errors"], 0, "{ledger}");
    let page = ws.path().join("audit.html");
    let run = ws.run(&["audit", "--html", page.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("class=\"person\" data-maintainer=\"dave\""),
        "his column stays"
    );
    assert!(
        html.contains("data-state=\"former\""),
        "his cell is a former's"
    );
    // His kept certificate is a former maintainer's, not a stranger's: keyring check stays green.
    let check = ws.run(&["keyring", "check"]);
    assert_eq!(check.code, 0, "{check:?}");
    assert!(
        check
            .stdout
            .contains("a former maintainer's key (removed in trust root version 2)"),
        "{check:?}"
    );
}

/// Item 8. Every maintainer of the version in force can approve the next one, whatever it does
/// to them: dave approves his own removal (with bob away, version 1's threshold of 3 needs him);
/// and when his certificate is missing, the refusal names that, not "no maintainer".
#[test]
fn the_departing_maintainer_approves_his_own_removal() {
    let (ws, [alice, _bob, carol, dave]) = four_with_dave();
    remove_dave(&ws);
    let status = ws.run(&["trust", "status"]);
    assert!(status.stdout.contains("dave"), "{status:?}");

    // His certificate gone from keyring/ (deleted by hand): the refusal names the real cause.
    let kept = std::fs::read(ws.path().join("keyring/dave.asc")).unwrap();
    std::fs::remove_file(ws.path().join("keyring/dave.asc")).unwrap();
    let file = ws.key_file(&dave);
    let run = ws.run(&["trust", "sign", "--key", file.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("holds no certificate of dave's key")
            && run.stderr.contains(&dave.fingerprint()),
        "{run:?}"
    );
    std::fs::write(ws.path().join("keyring/dave.asc"), kept).unwrap();

    let run = approve(&ws, &dave);
    assert!(run.stdout.contains("as dave"), "{run:?}");
    approve(&ws, &alice);
    let run = approve(&ws, &carol);
    assert!(run.stdout.contains("version 2 is in force"), "{run:?}");
}

/// Item 5, the team's own edit: with three maintainers and a threshold of 3 in force, removing
/// one leaves the draft's threshold out of reach. That draft blocks nothing either: the gate
/// judges by version 1 (3 of 3 pass) and names the pending change, rather than refusing to load
/// the workspace.
#[test]
fn a_draft_whose_threshold_is_out_of_reach_blocks_nothing() {
    let keys = team_keys();
    let ws = Team::of(keys.each_ref()).threshold(3).ws();
    commit_all(ws.path(), "workspace");
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    for key in &keys {
        approve(&ws, key);
        let file = ws.key_file(key);
        let run = ws.run(&[
            "sign",
            "--no-rebuild",
            &asked(),
            "--key",
            file.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    let run = ws.run(&["maintainers", "remove", "carol"]);
    assert_eq!(run.code, 0, "{run:?}");
    let gate = ws.run(&["gate", &asked()]);
    assert_eq!(gate.code, 0, "{gate:?}");
    assert!(
        gate.stderr.contains("change pending") && gate.stderr.contains("removed maintainer carol"),
        "{gate:?}"
    );
    // Proposing it is refused: that draft could never pass.
    let run = ws.run(&["trust", "propose"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("can never pass"), "{run:?}");
}
