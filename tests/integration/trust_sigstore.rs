//! The Sigstore trusted root is part of the trust root (issue 23): each version that pins one
//! holds its exact bytes beside root.json, and the root in force decides which trusted root
//! judges keyless votes, never keyring/sigstore/trusted_root.json at HEAD. Real git, real keys,
//! the CLI and the library end to end. The public-good trusted root, in two spellings of the
//! same JSON, is the pair of trusted roots: these tests are about digests and custody.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use quorate::{Anchor, Workspace};

use crate::common::*;

/// Two trusted roots, told apart by their bytes (and so by their digests).
const ROOT_A: &[u8] = include_bytes!("../fixtures/sigstore/public-good.trusted_root.json");
const ROOT_B: &[u8] = include_bytes!("../fixtures/sigstore/public-good.trusted_root.compact.json");

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex_sha256(bytes))
}

/// Writes keyring/sigstore/trusted_root.json in the workspace at `dir`.
fn put_trusted_root(dir: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(dir.join("keyring/sigstore")).unwrap();
    std::fs::write(dir.join("keyring/sigstore/trusted_root.json"), bytes).unwrap();
}

/// The chain's copy of version `n`'s trusted root.
fn chain_copy(ws: &Ws, n: u32) -> PathBuf {
    ws.path().join(format!(
        "signatures/.quorate/trust/{n}/sigstore-trusted-root.json"
    ))
}

/// alice, bob and carol (threshold 2) with ROOT_A in keyring/, committed; version 1 (which pins
/// ROOT_A) proposed and approved by alice and bob.
fn chained_with_a_trusted_root() -> (Ws, [TestKey; 3]) {
    let (ws, keys) = team();
    put_trusted_root(ws.path(), ROOT_A);
    commit_all(ws.path(), "workspace");
    let run = ws.run(&["trust", "propose"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("Sigstore trusted root none -> {}", digest(ROOT_A))),
        "{run:?}"
    );
    approve(&ws, &keys[0]);
    let run = approve(&ws, &keys[1]);
    assert!(run.stdout.contains("version 1 is in force"), "{run:?}");
    (ws, keys)
}

/// The workspace at `ws` as a library user loads it, decided by the root in force; the standing.
fn decided(ws: &Ws) -> (Workspace, quorate::Standing) {
    decided_at(ws.path())
}

/// `decided` for the workspace or clone at `dir`.
fn decided_at(dir: &Path) -> (Workspace, quorate::Standing) {
    let mut workspace = Workspace::load(&quorate::WorkspaceOptions {
        dir: dir.to_path_buf(),
        ..Default::default()
    })
    .unwrap();
    let standing = Anchor::resolve(&workspace, None)
        .decide(&mut workspace, SystemTime::now())
        .unwrap();
    (workspace, standing)
}

/// The digest of the trusted root a decided workspace judges with, if any.
fn judging_digest(workspace: &Workspace) -> Option<String> {
    workspace
        .keyring
        .sigstore
        .trusted_root
        .as_ref()
        .map(|r| r.digest.clone())
}

/// A commit that only changes keyring/sigstore/trusted_root.json (a pusher's own Fulcio CA)
/// changes nothing: every judging command says the change is pending, and the workspace the
/// library decides judges with the copy the root in force pins, read from the chain. Deleting
/// the working file changes nothing either.
#[test]
fn a_pushed_trusted_root_changes_nothing_until_approved() {
    let (ws, _keys) = chained_with_a_trusted_root();
    // The proposal carried the exact bytes into the chain, committed with it.
    assert_eq!(std::fs::read(chain_copy(&ws, 1)).unwrap(), ROOT_A);
    let status = git(ws.path(), &["status", "--porcelain"]);
    assert!(!status.contains("sigstore"), "{status}");

    put_trusted_root(ws.path(), ROOT_B);
    commit_all(ws.path(), "A pusher's own trusted root");
    let change = format!(
        "Sigstore trusted root {} -> {}",
        digest(ROOT_A),
        digest(ROOT_B)
    );
    for args in [vec!["gate", &asked()], vec!["verify", &asked()]] {
        let run = ws.run(&args);
        let pending: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("trust: change pending:"))
            .collect();
        assert_eq!(pending.len(), 1, "{args:?}: {run:?}");
        assert!(
            pending[0].contains("keyring/sigstore/trusted_root.json differs")
                && pending[0].contains(&change)
                && pending[0].contains("nobody proposed it"),
            "{args:?}: {run:?}"
        );
    }
    let status = ws.run(&["trust", "status"]);
    assert_eq!(status.code, 1, "the draft differs: {status:?}");
    assert!(status.stdout.contains(&change), "{status:?}");

    let (workspace, standing) = decided(&ws);
    assert!(
        standing.unapproved().is_some_and(|u| u.contains(&change)),
        "{standing:?}"
    );
    let judging = workspace.keyring.sigstore.trusted_root.as_ref().unwrap();
    assert_eq!(judging.digest, digest(ROOT_A));
    assert_eq!(judging.bytes, ROOT_A);
    assert!(
        judging
            .path
            .ends_with("signatures/.quorate/trust/1/sigstore-trusted-root.json"),
        "{judging:?}"
    );
    assert_eq!(workspace.sigstore_root_digest(), Some(digest(ROOT_A)));

    std::fs::remove_file(ws.path().join("keyring/sigstore/trusted_root.json")).unwrap();
    let (workspace, standing) = decided(&ws);
    assert_eq!(judging_digest(&workspace), Some(digest(ROOT_A)));
    assert!(
        standing.unapproved().is_some_and(
            |u| u.contains(&format!("Sigstore trusted root {} -> none", digest(ROOT_A)))
        ),
        "{standing:?}"
    );
}

/// A version in force that pins no trusted root judges with none, whatever keyring/ holds; a
/// proposal that pins one needs the quorum like any change, and then its digest decides. A
/// proposal replaced by one that pins none takes its copy with it.
#[test]
fn a_trusted_root_change_needs_the_quorum() {
    let (ws, keys) = chained();
    put_trusted_root(ws.path(), ROOT_A);
    let (workspace, standing) = decided(&ws);
    assert_eq!(judging_digest(&workspace), None, "version 1 pins none");
    assert!(standing.unapproved().is_some(), "{standing:?}");

    let change = format!("Sigstore trusted root none -> {}", digest(ROOT_A));
    let run = ws.run(&["trust", "propose"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains(&change), "{run:?}");
    assert_eq!(std::fs::read(chain_copy(&ws, 2)).unwrap(), ROOT_A);
    // The copy and the working file travel in the proposal's commit.
    let committed = git(ws.path(), &["show", "--name-only", "--format=", "HEAD"]);
    for file in [
        "signatures/.quorate/trust/2/sigstore-trusted-root.json",
        "keyring/sigstore/trusted_root.json",
    ] {
        assert!(committed.lines().any(|l| l == file), "{file}: {committed}");
    }

    let run = approve(&ws, &keys[0]);
    assert!(run.stdout.contains(&change), "{run:?}");
    assert!(run.stdout.contains("not in force yet"), "{run:?}");
    let (workspace, _) = decided(&ws);
    assert_eq!(
        judging_digest(&workspace),
        None,
        "one approval is no quorum"
    );
    let one_approval = git(ws.path(), &["rev-parse", "HEAD"]).trim().to_string();

    let run = approve(&ws, &keys[1]);
    assert!(run.stdout.contains("version 2 is in force"), "{run:?}");
    let (workspace, _) = decided(&ws);
    assert_eq!(judging_digest(&workspace), Some(digest(ROOT_A)));
    let status = ws.run(&["trust", "status"]);
    assert_eq!(status.code, 0, "{status:?}");

    // Version 3 proposes ROOT_B, then is replaced by a proposal that pins none: the copy goes.
    put_trusted_root(ws.path(), ROOT_B);
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    assert_eq!(std::fs::read(chain_copy(&ws, 3)).unwrap(), ROOT_B);
    std::fs::remove_file(ws.path().join("keyring/sigstore/trusted_root.json")).unwrap();
    let run = ws.run(&["trust", "propose"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("Sigstore trusted root {} -> none", digest(ROOT_A))),
        "{run:?}"
    );
    assert!(!chain_copy(&ws, 3).exists());
    let committed = git(ws.path(), &["show", "--name-status", "--format=", "HEAD"]);
    assert!(
        committed.contains("D\tsignatures/.quorate/trust/3/sigstore-trusted-root.json")
            && committed.contains("D\tkeyring/sigstore/trusted_root.json"),
        "{committed}"
    );
    let status = ws.run(&["trust", "status"]);
    assert!(
        status.stdout.contains("version 3") && !status.stderr.contains("sigstore-trusted-root"),
        "{status:?}"
    );
    let (workspace, _) = decided(&ws);
    assert_eq!(
        judging_digest(&workspace),
        Some(digest(ROOT_A)),
        "still 2's"
    );

    // An older revision is judged by the version in force there, with its own chain's copy: at
    // one approval, version 1 (which pins none), though keyring/ held ROOT_A there.
    let mut workspace = Workspace::load_at(
        &quorate::WorkspaceOptions {
            dir: ws.path().to_path_buf(),
            ..Default::default()
        },
        &one_approval,
    )
    .unwrap();
    assert_eq!(workspace.sigstore_root_digest(), Some(digest(ROOT_A)));
    let standing = Anchor::resolve(&workspace, None)
        .decide(&mut workspace, SystemTime::now())
        .unwrap();
    assert_eq!(judging_digest(&workspace), None, "{standing:?}");
    let verify = ws.run(&["verify", "--at", &one_approval, &asked()]);
    assert!(
        verify.stderr.contains(&change) && verify.stderr.contains("version 2 proposes it"),
        "{verify:?}"
    );
}

/// The chain's copy must be a regular file with the digest its root names, and lie only where a
/// root names one: any other copy makes the version malformed, and the chain is refused, naming
/// the file.
#[test]
fn a_chain_copy_that_does_not_match_its_digest_is_refused() {
    let (ws, _keys) = chained_with_a_trusted_root();
    let copy = chain_copy(&ws, 1);
    let shown = "signatures/.quorate/trust/1/sigstore-trusted-root.json";
    let refused = |what: &str| {
        let gate = ws.run(&["gate", &asked()]);
        assert_eq!(gate.code, 1, "{what}: {gate:?}");
        assert!(
            gate.stderr.contains(shown) && gate.stderr.contains(what),
            "{what}: {gate:?}"
        );
        let mut workspace = Workspace::load(&quorate::WorkspaceOptions {
            dir: ws.path().to_path_buf(),
            ..Default::default()
        })
        .unwrap();
        let e = Anchor::resolve(&workspace, None)
            .decide(&mut workspace, SystemTime::now())
            .unwrap_err();
        assert!(e.to_string().contains(what), "{what}: {e}");
    };

    std::fs::write(&copy, ROOT_B).unwrap();
    refused(&format!(
        "its digest is {}, but version 1's root names the Sigstore trusted root {}",
        digest(ROOT_B),
        digest(ROOT_A)
    ));

    std::fs::remove_file(&copy).unwrap();
    refused("missing: version 1's root names the Sigstore trusted root");

    // A link to a file with the right bytes is still a link.
    std::os::unix::fs::symlink("../../../../keyring/sigstore/trusted_root.json", &copy).unwrap();
    assert_eq!(std::fs::read(&copy).unwrap(), ROOT_A);
    refused("is a symlink");
    std::fs::remove_file(&copy).unwrap();

    std::fs::write(&copy, vec![b' '; 1024 * 1024 + 1]).unwrap();
    refused("larger than any trusted root");

    std::fs::write(&copy, ROOT_A).unwrap();
    let gate = ws.run(&["gate", &asked()]);
    assert!(!gate.stderr.contains(shown), "restored: {gate:?}");

    // A copy where the root names none.
    let (ws, _keys) = chained();
    std::fs::write(chain_copy(&ws, 1), ROOT_A).unwrap();
    let gate = ws.run(&["gate", &asked()]);
    assert_eq!(gate.code, 1, "{gate:?}");
    assert!(
        gate.stderr.contains(shown)
            && gate
                .stderr
                .contains("version 1's root names no Sigstore trusted root"),
        "{gate:?}"
    );
}

/// A proposal that pins a trusted root travels by sync as any proposal does, replayed on a
/// remote that moved: another clone finds the copy in the chain, approves, and judges with it.
#[test]
fn a_trusted_root_proposal_travels_by_sync() {
    let keys = team_keys();
    let net = Team::of(keys.each_ref()).net();
    let alice = net.clone("alice");
    put_trusted_root(&alice, ROOT_A);
    assert_eq!(run_in(&alice, &["trust", "propose"]).code, 0);
    // carol signs and syncs meanwhile, so alice's sync replays her proposal on a moved remote.
    let carol = net.clone("carol");
    assert_eq!(sign_in(&carol, &keys[2], HEX_B).code, 0);
    assert_eq!(run_in(&carol, &["sync"]).code, 0);
    let run = run_in(&alice, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_agrees_with_head(&alice);

    let bob = net.clone("bob");
    let copy = bob.join("signatures/.quorate/trust/1/sigstore-trusted-root.json");
    assert_eq!(std::fs::read(&copy).unwrap(), ROOT_A);
    assert_eq!(
        std::fs::read(bob.join("keyring/sigstore/trusted_root.json")).unwrap(),
        ROOT_A
    );
    approve_in(&bob, &keys[0]);
    let run = approve_in(&bob, &keys[1]);
    assert!(run.stdout.contains("version 1 is in force"), "{run:?}");
    let (workspace, _) = decided_at(&bob);
    assert_eq!(judging_digest(&workspace), Some(digest(ROOT_A)));
}

/// A program that audits without letting the root in force decide is refused when only the
/// trusted root differs, as when the people do: it would judge keyless votes by the pushed file.
#[test]
fn the_library_audit_refuses_an_undecided_trusted_root() {
    use quorate::keys::verify::Verifier;
    use quorate::ledger::audit::{Options, Scope};
    let (ws, _keys) = chained_with_a_trusted_root();
    put_trusted_root(ws.path(), ROOT_B);
    commit_all(ws.path(), "a pushed trusted root");
    let workspace = Workspace::load(&quorate::WorkspaceOptions {
        dir: ws.path().to_path_buf(),
        ..Default::default()
    })
    .unwrap();
    let verifier = Verifier::new(
        &workspace.keyring,
        &workspace.maintainers,
        SystemTime::now(),
    );
    let standing = Anchor::resolve(&workspace, None)
        .judge(&workspace, &verifier)
        .unwrap();
    let options = Options {
        scope: Scope::Tree,
        maintainer: None,
        history: false,
        threshold: 2,
        accept_legacy: false,
        published: None,
        trust: standing,
    };
    let e = quorate::audit(&workspace, &verifier, &options, &|| {}).unwrap_err();
    assert!(e.to_string().contains("Anchor::decide"), "{e}");
}
