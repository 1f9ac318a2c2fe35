//! `quorate sync` under attack and under contention: a signer running while sync replays, a
//! remote that would push a replay past podman's 128 signatures, and a remote that changes the
//! trust root. Real clones of a real bare remote, real git, real keys.

use std::process::Stdio;
use std::time::Duration;

use crate::common::*;

/// Finding 7: `sign` while `sync` is between its replay and moving the branch. sync holds the
/// lock sign commits under, so sign waits; sync sees the tree changed under it and moves
/// nothing; sign then commits. Nothing committed ever goes missing from the work tree.
#[test]
fn signing_while_sync_runs_never_deletes_a_committed_signature() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let net = Net::new(&[("alice", &[&alice]), ("bob", &[&bob])], |_| {});
    let mine = net.clone("alice");
    let theirs = net.clone("bob");
    // bob publishes signature-1 of A; alice's own signature-1 of A is replayed as signature-2.
    assert_eq!(sign_in(&theirs, &bob, HEX_A).code, 0);
    assert_eq!(run_in(&theirs, &["sync"]).code, 0);
    assert_eq!(sign_in(&mine, &alice, HEX_A).code, 0);

    let sync = Paused::start(&mine, &["sync"], "sync-replayed");
    assert!(sync.reached(), "sync never reached its pause");
    // While sync holds, alice signs another image.
    let key = key_beside(&mine, &alice);
    let mut sign = quorate_command(&mine)
        .args([
            "sign",
            "--no-rebuild",
            &reference(HEX_B),
            "--key",
            key.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let written = image_dir(&mine, HEX_B).join("signature-1");
    assert!(wait_until(Duration::from_secs(60), || written.exists()
        || sign.try_wait().unwrap().is_some()));
    // Unhindered, a signer commits within milliseconds of writing: give it ample time to.
    wait_until(Duration::from_secs(3), || {
        sign.try_wait().unwrap().is_some()
    });
    let synced = sync.resume();
    let signed = sign.wait_with_output().unwrap();
    let sync_err = String::from_utf8_lossy(&synced.stderr);
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    assert_agrees_with_head(&mine);
    assert!(!sync_err.contains("panicked"), "{sync_err}");
    if !synced.status.success() {
        assert_eq!(synced.status.code(), Some(1), "{sync_err}");
        assert!(sync_err.contains("while sync ran"), "{sync_err}");
    }
    let head = git(
        &mine,
        &["ls-tree", "-r", "--name-only", "HEAD", "signatures"],
    );
    assert!(
        head.contains(&format!("pallet-rust@sha256={HEX_B}/signature-1")),
        "{head}"
    );

    // Run again, sync publishes everything.
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_agrees_with_head(&mine);
    let fresh = net.clone("fresh");
    assert_eq!(
        signature_names(&image_dir(&fresh, HEX_A)),
        ["signature-1", "signature-2"]
    );
    assert_eq!(signature_names(&image_dir(&fresh, HEX_B)), ["signature-1"]);
    let run = run_in(&fresh, &["gate", &reference(HEX_A)]);
    assert_eq!(run.code, 0, "{run:?}");
}

/// Finding 7, without quorate's lock: a plain `git commit` (here of a signature written with
/// `sign --no-commit`) while sync is paused moves the branch. sync sees it moved and touches
/// nothing; the commit stays whole in the work tree.
#[test]
fn a_commit_made_while_sync_runs_is_never_undone() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let net = Net::new(&[("alice", &[&alice]), ("bob", &[&bob])], |_| {});
    let mine = net.clone("alice");
    let theirs = net.clone("bob");
    assert_eq!(sign_in(&theirs, &bob, HEX_A).code, 0);
    assert_eq!(run_in(&theirs, &["sync"]).code, 0);
    assert_eq!(sign_in(&mine, &alice, HEX_A).code, 0);

    let sync = Paused::start(&mine, &["sync"], "sync-replayed");
    assert!(sync.reached(), "sync never reached its pause");
    let key = key_beside(&mine, &alice);
    let run = run_in(
        &mine,
        &[
            "sign",
            "--no-rebuild",
            &reference(HEX_B),
            "--key",
            key.to_str().unwrap(),
            "--no-commit",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    git(&mine, &["add", "signatures"]);
    git(&mine, &["commit", "-qm", "Sign B by hand"]);
    let moved = git(&mine, &["rev-parse", "HEAD"]);
    let synced = sync.resume();
    assert_agrees_with_head(&mine);
    assert_eq!(git(&mine, &["rev-parse", "HEAD"]), moved);
    let sync_err = String::from_utf8_lossy(&synced.stderr);
    assert_eq!(synced.status.code(), Some(1), "{sync_err}");
    assert!(
        sync_err.contains("the branch main moved while sync ran"),
        "{sync_err}"
    );
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_agrees_with_head(&mine);
    let fresh = net.clone("fresh");
    assert_eq!(signature_names(&image_dir(&fresh, HEX_B)), ["signature-1"]);
}

/// Finding 8: the remote already holds 127 signatures of the image, so a replay would land as
/// signature-128, which makes current podman refuse the whole image (and a 129th podman never
/// reads). sync refuses as sign does, before anything is written, moved or pushed; at 126 the
/// replay lands as signature-127 and sync succeeds.
#[test]
fn sync_refuses_a_replay_past_podmans_limit() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let net = Net::new(&[("alice", &[&alice]), ("bob", &[&bob])], |_| {});
    let mine = net.clone("alice");
    let theirs = net.clone("bob");
    let dir = image_dir(&theirs, HEX_A);
    std::fs::create_dir_all(&dir).unwrap();
    for n in 1..=127 {
        std::fs::write(dir.join(format!("signature-{n}")), format!("filler {n}")).unwrap();
    }
    commit_all(&theirs, "127 signatures");
    git(&theirs, &["push", "-q", "origin", "main"]);
    // sign's own refusal at 127, to compare with.
    let refused = sign_in(&theirs, &bob, HEX_A);
    assert_eq!(refused.code, 1, "{refused:?}");
    let limit = format!("pallet-rust@sha256={HEX_A}: already holds 127 signatures");
    assert!(refused.stderr.contains(&limit), "{refused:?}");

    // Two local commits: B's replay is fine, A's is not; neither may be written.
    assert_eq!(sign_in(&mine, &alice, HEX_B).code, 0);
    assert_eq!(sign_in(&mine, &alice, HEX_A).code, 0);
    // Fetched beforehand, so any object sync wrote would show in the count.
    git(&mine, &["fetch", "-q", "origin", "main"]);
    let objects = git(&mine, &["count-objects", "-v"]);
    let head = git(&mine, &["rev-parse", "HEAD"]);
    let remote_tip = net.tip("main");
    for args in [&["sync"][..], &["sync", "--push-to", "alice-signs"]] {
        let run = run_in(&mine, args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(run.stderr.contains(&limit), "{args:?}: {run:?}");
        assert_eq!(run.stderr.trim().lines().count(), 1, "{run:?}");
        assert_eq!(git(&mine, &["rev-parse", "HEAD"]), head);
        assert_eq!(git(&mine, &["count-objects", "-v"]), objects, "{args:?}");
        assert_agrees_with_head(&mine);
        assert_eq!(net.tip("main"), remote_tip);
        let branches = git(net.remote.path(), &["branch", "--list"]);
        assert!(!branches.contains("alice-signs"), "{branches}");
    }
    assert_eq!(signature_names(&image_dir(&mine, HEX_A)), ["signature-1"]);

    // One fewer on the remote: the replay is the 127th, which every podman pulls.
    git(
        &theirs,
        &["rm", "-q", &format!("{}/signature-127", dir.display())],
    );
    git(&theirs, &["commit", "-qm", "126 signatures"]);
    git(&theirs, &["push", "-q", "origin", "main"]);
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("signature-127"), "{run:?}");
    assert!(run.stdout.contains("2 commits replayed"), "{run:?}");
    assert_agrees_with_head(&mine);
}

/// Finding 11: a remote commit that changes MAINTAINERS or the threshold is named, change by
/// change, whether sync replays local commits on top of it or only fast-forwards.
#[test]
fn sync_names_every_change_a_remote_makes_to_the_trust_root() {
    let [alice, bob, carol] = team_keys();
    let alice2 = TestKey::new("alice2");
    let mallory = TestKey::new("mallory");
    let net = Team::of([&alice, &bob, &carol])
        .also("alice", &alice2)
        .threshold(2)
        .net();
    let admin = net.clone("admin");
    let mine = net.clone("bob");
    let idle = net.clone("idle");
    // Someone with push access: mallory in, carol out, alice's second key gone, threshold 1.
    std::fs::write(
        admin.join("MAINTAINERS"),
        maintainers(&[
            ("alice", &[&alice]),
            ("bob", &[&bob]),
            ("mallory", &[&mallory]),
        ]),
    )
    .unwrap();
    std::fs::write(admin.join("keyring/mallory.asc"), mallory.public()).unwrap();
    std::fs::write(admin.join("quorate.toml"), "threshold = 1\n").unwrap();
    commit_all(&admin, "Tidy the maintainers");
    git(&admin, &["push", "-q", "origin", "main"]);

    let expected = [
        format!("removed key {} from alice", alice2.fingerprint()),
        format!("removed maintainer carol ({})", carol.fingerprint()),
        format!("added maintainer mallory ({})", mallory.fingerprint()),
        "threshold 2 -> 1".to_string(),
    ];
    let said = |run: &Run| -> Vec<String> {
        run.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("sync: the remote changed the trust root: "))
            .map(str::to_string)
            .collect()
    };
    // bob has a signature to replay on top of the change.
    assert_eq!(sign_in(&mine, &bob, HEX_A).code, 0);
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(said(&run), expected, "{run:?}");
    assert_agrees_with_head(&mine);
    // Nothing new: nothing said.
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(said(&run), Vec::<String>::new(), "{run:?}");
    // A clone with nothing of its own only fast-forwards, and is told the same.
    let run = run_in(&idle, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(said(&run), expected, "{run:?}");
    assert_agrees_with_head(&idle);
    // A trust root that no longer parses is said to be unreadable, naming the file, not skipped.
    git(&admin, &["pull", "-q", "--ff-only", "origin", "main"]);
    std::fs::write(admin.join("MAINTAINERS"), "[people.alice\n").unwrap();
    commit_all(&admin, "Break the maintainers");
    git(&admin, &["push", "-q", "origin", "main"]);
    let run = run_in(&idle, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("sync: the trust root could not be compared: "))
        .unwrap_or_else(|| panic!("{run:?}"));
    assert!(
        line.contains("MAINTAINERS:1:14: invalid table header"),
        "{line}"
    );
}
