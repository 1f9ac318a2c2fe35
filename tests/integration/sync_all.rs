//! `sync` publishes every commit: digests, trust-root edits and docs as well as signatures,
//! pushed as made when the remote has not moved and rebased when it has, a conflict refused
//! naming the commit and the file with nothing pushed or lost; and many clones syncing at once
//! all land. Real git, a bare remote and several clones.

use std::path::Path;

use crate::common::*;

fn head(clone: &Path) -> String {
    git(clone, &["rev-parse", "HEAD"]).trim().to_string()
}

/// The file at `path` in the remote's main.
fn on_remote(net: &Net, path: &str) -> String {
    git(net.remote.path(), &["show", &format!("main:{path}")])
}

/// The signature files of `stagex/pallet-rust@sha256=<HEX_A>` on the remote's main, one a line.
fn published(net: &Net) -> String {
    git(
        net.remote.path(),
        &[
            "ls-tree",
            "--name-only",
            "main",
            &format!("signatures/stagex/pallet-rust@sha256={HEX_A}/"),
        ],
    )
}

/// A commit of the release's digests, as `digests compute -o digests` leaves them.
fn commit_digests(clone: &Path) {
    std::fs::create_dir_all(clone.join("digests")).unwrap();
    std::fs::write(
        clone.join("digests/pallet.txt"),
        format!("{HEX_A} pallet-rust\n"),
    )
    .unwrap();
    commit_all(clone, "Release digests");
}

/// A commit adding carol to MAINTAINERS, with her certificate.
fn add_carol(clone: &Path, [alice, bob, carol]: [&TestKey; 3]) {
    std::fs::write(
        clone.join("MAINTAINERS"),
        maintainers(&[("alice", &[alice]), ("bob", &[bob]), ("carol", &[carol])]),
    )
    .unwrap();
    std::fs::write(clone.join("keyring/carol.asc"), carol.public()).unwrap();
    commit_all(clone, "Add carol");
}

/// Finding: sync refused any commit changing more than signatures, even with nothing to rebase
/// ("changes more than adding signatures; rebase it by hand"). A fast-forward pushes the
/// maintainer's commits as made, whatever they change: ids intact.
#[test]
fn sync_pushes_digests_docs_and_maintainers_commits_as_made() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let carol = TestKey::new("carol");
    let net = Net::new(&[("alice", &[&alice]), ("bob", &[&bob])], |_| {});
    let mine = net.clone("alice");
    commit_digests(&mine);
    std::fs::write(mine.join("NOTES.md"), "how we release\n").unwrap();
    commit_all(&mine, "Docs");
    assert_eq!(sign_in(&mine, &alice, HEX_A).code, 0);
    add_carol(&mine, [&alice, &bob, &carol]);
    let made = head(&mine);
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("4 commits pushed as made"), "{run:?}");
    assert_eq!(net.tip("main"), made);
    assert_eq!(head(&mine), made);
    assert!(on_remote(&net, "MAINTAINERS").contains("carol"));
    assert_agrees_with_head(&mine);
}

/// When the remote moved: signature commits are replayed (renumbered) as before, the other
/// commits rebased on top, messages and authors kept; what the remote changed of the trust root
/// is still named.
#[test]
fn sync_rebases_other_commits_when_the_remote_moved_and_names_trust_changes() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let carol = TestKey::new("carol");
    let net = Net::new(&[("alice", &[&alice]), ("bob", &[&bob])], |_| {});
    let mine = net.clone("alice");
    let theirs = net.clone("bob");
    // bob: a signature, and carol added to MAINTAINERS, both published with sync.
    assert_eq!(sign_in(&theirs, &bob, HEX_A).code, 0);
    add_carol(&theirs, [&alice, &bob, &carol]);
    assert_eq!(run_in(&theirs, &["sync"]).code, 0);

    // alice, meanwhile: docs, her signature of the same image, release digests.
    std::fs::write(mine.join("NOTES.md"), "how we release\n").unwrap();
    commit_all(&mine, "Docs");
    assert_eq!(sign_in(&mine, &alice, HEX_A).code, 0);
    commit_digests(&mine);
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("3 commits replayed"), "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "sync: the remote changed the trust root: added maintainer carol ({})",
            carol.fingerprint()
        )),
        "{run:?}"
    );
    assert_eq!(net.tip("main"), head(&mine));
    assert_eq!(on_remote(&net, "NOTES.md"), "how we release\n");
    assert_eq!(
        on_remote(&net, "digests/pallet.txt"),
        format!("{HEX_A} pallet-rust\n")
    );
    assert!(on_remote(&net, "MAINTAINERS").contains("carol"));
    let published = published(&net);
    assert_eq!(published.lines().count(), 2, "{published}");
    let log = git(net.remote.path(), &["log", "--format=%s %an", "-3", "main"]);
    let log: Vec<&str> = log.lines().collect();
    assert_eq!(log[0], "Release digests alice", "{log:?}");
    assert!(
        log[1].starts_with("Sign ") && log[1].ends_with(" alice"),
        "{log:?}"
    );
    assert_eq!(log[2], "Docs alice", "{log:?}");
    assert_agrees_with_head(&mine);
    // bob's clone takes it all in with sync too.
    let run = run_in(&theirs, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(head(&theirs), net.tip("main"));
}

/// A commit that does not apply on the remote that moved is refused naming the commit and the
/// file: nothing is pushed, nothing of the clone is lost or moved.
#[test]
fn a_conflicting_commit_is_refused_naming_it_and_the_file_with_nothing_pushed_or_lost() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let net = Net::new(&[("alice", &[&alice]), ("bob", &[&bob])], |dir| {
        std::fs::write(dir.join("NOTES.md"), "v1\n").unwrap();
    });
    let mine = net.clone("alice");
    let theirs = net.clone("bob");
    std::fs::write(theirs.join("NOTES.md"), "bob's\n").unwrap();
    commit_all(&theirs, "bob's notes");
    assert_eq!(run_in(&theirs, &["sync"]).code, 0);
    let tip = net.tip("main");

    assert_eq!(sign_in(&mine, &alice, HEX_A).code, 0);
    std::fs::write(mine.join("NOTES.md"), "alice's\n").unwrap();
    let conflicting = commit_all(&mine, "alice's notes");
    let before = head(&mine);
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "commit {} conflicts with the remote on NOTES.md",
            &conflicting[..12]
        )),
        "{run:?}"
    );
    assert_eq!(net.tip("main"), tip, "nothing pushed");
    assert_eq!(head(&mine), before, "nothing moved");
    assert_eq!(
        std::fs::read_to_string(mine.join("NOTES.md")).unwrap(),
        "alice's\n"
    );
    assert_agrees_with_head(&mine);
}

/// Finding: four syncs at once, one gave up after three attempts. Eight clones, each with its
/// own signature of the same image, sync at the same moment: every one lands, numbered 1 to 8
/// with no gap, and each clone ends on the remote's history.
#[test]
fn eight_clones_syncing_at_once_all_land() {
    let names = ["ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal"];
    let keys: Vec<TestKey> = names.iter().map(|n| TestKey::new(n)).collect();
    let people: Vec<(&str, Vec<&TestKey>)> = names
        .iter()
        .zip(&keys)
        .map(|(n, k)| (*n, vec![k]))
        .collect();
    let people: Vec<(&str, &[&TestKey])> = people.iter().map(|(n, k)| (*n, &k[..])).collect();
    let net = Net::new(&people, |_| {});
    let clones: Vec<_> = names.iter().map(|n| net.clone(n)).collect();
    for (clone, key) in clones.iter().zip(&keys) {
        assert_eq!(sign_in(clone, key, HEX_A).code, 0);
    }
    let started: Vec<_> = clones
        .iter()
        .map(|clone| {
            quorate_command(clone)
                .arg("sync")
                .env_remove("GIT_DIR")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut retries = 0;
    for (name, child) in names.iter().zip(started) {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("pushed to origin main"), "{name}: {stdout}");
        retries += stdout
            .lines()
            .find_map(|l| {
                l.strip_prefix("the remote moved while pushing: fetched and replayed again (")
            })
            .and_then(|rest| rest.split(' ').next())
            .map_or(0, |n| n.parse::<usize>().unwrap());
    }
    // The figure for the report (attempts beyond the first, all clones together).
    eprintln!("eight syncs at once: {retries} retries in all");
    let published = published(&net);
    let mut numbers: Vec<u32> = published
        .lines()
        .filter_map(|l| quorate::workspace::tree::signature_number(l.rsplit('/').next().unwrap()))
        .collect();
    numbers.sort();
    assert_eq!(numbers, (1..=8).collect::<Vec<u32>>(), "{published}");
    // Every signature counts on the remote's tip.
    let last = net.clone("reader");
    let report = run_in(&last, &["verify", "--json", &reference(HEX_A)]);
    let report: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    assert_eq!(report["all_valid"], true, "{report}");
    for clone in &clones {
        assert_eq!(run_in(clone, &["sync"]).code, 0);
        assert_eq!(head(clone), net.tip("main"));
        assert_agrees_with_head(clone);
    }
}

/// Finding: a sync whose push failed printed "replayed … as signature-2" as if published, and
/// flattened git's multi-line message onto one line. A push refused by the remote (a hook) says
/// the replay is in the branch only, and shows git's lines as git printed them.
#[test]
fn only_what_was_pushed_is_reported_pushed_and_gits_lines_are_kept() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let net = Net::new(&[("alice", &[&alice]), ("bob", &[&bob])], |_| {});
    let mine = net.clone("alice");
    let theirs = net.clone("bob");
    assert_eq!(sign_in(&theirs, &bob, HEX_A).code, 0);
    assert_eq!(run_in(&theirs, &["sync"]).code, 0);
    let hook = net.remote.path().join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'pushes are closed today' >&2\necho 'ask the release manager' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let tip = net.tip("main");
    assert_eq!(sign_in(&mine, &alice, HEX_A).code, 0);
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 1, "{run:?}");
    let replayed = run
        .stdout
        .lines()
        .find(|l| l.starts_with("replayed "))
        .unwrap_or_else(|| panic!("{run:?}"));
    assert!(
        replayed.ends_with("signature-2 in your branch (not pushed)"),
        "{run:?}"
    );
    assert!(!run.stdout.contains("pushed to"), "{run:?}");
    // git's lines one by one, as git printed them (git pads a remote's lines with spaces).
    let lines: Vec<&str> = run.stderr.lines().map(str::trim_end).collect();
    let at = lines
        .iter()
        .position(|l| *l == "remote: pushes are closed today")
        .unwrap_or_else(|| panic!("{run:?}"));
    assert_eq!(lines[at + 1], "remote: ask the release manager", "{run:?}");
    assert!(run.stderr.contains("nothing was published"), "{run:?}");
    assert_eq!(net.tip("main"), tip);
    assert_agrees_with_head(&mine);
}

/// Under signatures/, sync replays only signatures' own changes: a commit editing another file
/// there is pushed as made when the remote has not moved, and refused naming it and the file
/// when it would have to be replayed.
#[test]
fn an_edit_under_signatures_is_pushed_as_made_but_never_replayed() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let net = Net::new(&[("alice", &[&alice]), ("bob", &[&bob])], |dir| {
        std::fs::create_dir_all(dir.join("signatures")).unwrap();
        std::fs::write(dir.join("signatures/README.md"), "v1\n").unwrap();
    });
    let mine = net.clone("alice");
    let theirs = net.clone("bob");
    std::fs::write(mine.join("signatures/README.md"), "v2\n").unwrap();
    let made = commit_all(&mine, "README v2");
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(net.tip("main"), made);

    git(&theirs, &["pull", "-q", "--ff-only", "origin", "main"]);
    assert_eq!(sign_in(&theirs, &bob, HEX_A).code, 0);
    assert_eq!(run_in(&theirs, &["sync"]).code, 0);
    let tip = net.tip("main");
    std::fs::write(mine.join("signatures/README.md"), "v3\n").unwrap();
    let edit = commit_all(&mine, "README v3");
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "commit {} changes signatures/README.md, which sync cannot replay",
            &edit[..12]
        )),
        "{run:?}"
    );
    assert_eq!(net.tip("main"), tip);
    assert_eq!(head(&mine), edit);
    assert_agrees_with_head(&mine);
}

/// Pushed as made, a commit's edit under signatures/ does not excuse the rest of it: a commit
/// that edits a file there and deletes another maintainer's signature without a withdrawal
/// statement is refused, as the deletion alone is, with nothing pushed.
#[test]
fn an_edit_under_signatures_does_not_carry_an_unwithdrawn_removal() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let net = Net::new(&[("alice", &[&alice]), ("bob", &[&bob])], |dir| {
        std::fs::create_dir_all(dir.join("signatures")).unwrap();
        std::fs::write(dir.join("signatures/README.md"), "v1\n").unwrap();
    });
    let theirs = net.clone("bob");
    assert_eq!(sign_in(&theirs, &bob, HEX_A).code, 0);
    assert_eq!(run_in(&theirs, &["sync"]).code, 0);
    let tip = net.tip("main");
    let mine = net.clone("alice");
    let signature = image_dir(&mine, HEX_A).join("signature-1");
    std::fs::remove_file(&signature).unwrap();
    std::fs::write(mine.join("signatures/README.md"), "v2\n").unwrap();
    commit_all(&mine, "README v2, and bob's signature gone");
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("signature-1"), "{run:?}");
    assert_eq!(net.tip("main"), tip, "nothing pushed");
}
