//! A team's daily `sync`: history kept honest. Several clones of a real bare remote, real git,
//! real gpg for commit signatures, real OpenPGP for image signatures.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// A team of alice (a gpg key, in a temporary GNUPGHOME) and bob (a Sequoia key), published to a
/// bare remote.
struct GpgTeam {
    net: Net,
    gnupg: Gnupg,
    alice: String,
    bob: TestKey,
}

impl GpgTeam {
    fn new() -> GpgTeam {
        let gnupg = Gnupg::new();
        let alice = gnupg.generate("alice", false);
        let bob = TestKey::new("bob");
        let public = gnupg.gpg(&["--export", &alice]);
        let net = Net::new(&[("bob", &[&bob])], |dir| {
            let mut text = std::fs::read_to_string(dir.join("MAINTAINERS")).unwrap();
            text.push_str(&format!(
                "[people.alice]\nname = \"alice\"\nemail = \"alice@example.org\"\n[keys.alice.k]\nid = \"{alice}\"\n"
            ));
            std::fs::write(dir.join("MAINTAINERS"), text).unwrap();
            std::fs::write(dir.join("keyring/alice.pgp"), &public).unwrap();
        });
        GpgTeam {
            net,
            gnupg,
            alice,
            bob,
        }
    }

    /// alice's clone, with git set to sign every commit with her gpg key through `gpg.program`
    /// (a wrapper that logs each call, so the test sees git's configuration was followed).
    fn alice_clone(&self, name: &str) -> PathBuf {
        let clone = self.net.clone(name);
        let wrapper = clone.with_extension("gpg.sh");
        let log = clone.with_extension("gpg.log");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\necho called >> '{}'\nexec gpg \"$@\"\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(
            &wrapper,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        git(&clone, &["config", "commit.gpgsign", "true"]);
        git(&clone, &["config", "user.signingkey", &self.alice]);
        git(
            &clone,
            &["config", "gpg.program", wrapper.to_str().unwrap()],
        );
        clone
    }

    /// Runs quorate as alice: her GNUPGHOME in the environment, as in her shell.
    fn as_alice(&self, clone: &Path, args: &[&str]) -> Run {
        run_env(clone, args, &[("GNUPGHOME", self.gnupg.home.path())])
    }

    /// alice signs an image with `quorate sign --gpg`.
    fn alice_signs(&self, clone: &Path, hex: &str, extra: &[&str]) -> Run {
        let reference = reference(hex);
        let mut args = vec![
            "sign",
            "--no-rebuild",
            reference.as_str(),
            "--gpg",
            "--signer",
            &self.alice,
        ];
        args.extend_from_slice(extra);
        self.as_alice(clone, &args)
    }

    /// `git` as alice (her GNUPGHOME set).
    fn git_as_alice(&self, clone: &Path, args: &[&str]) -> String {
        git_env(clone, args, &[("GNUPGHOME", self.gnupg.home.path())])
    }
}

/// Who signed the commits that added the signatures of an image, per audit --json, in file order.
fn commit_signers(clone: &Path, hex: &str) -> Vec<serde_json::Value> {
    let run = run_in(clone, &["audit", "--json", &reference(hex)]);
    let audit: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    audit["images"][0]["signatures"]
        .as_array()
        .unwrap_or_else(|| panic!("{audit}"))
        .iter()
        .map(|s| s["commit"]["signed_by"].clone())
        .collect()
}

fn head(clone: &Path) -> String {
    git(clone, &["rev-parse", "HEAD"]).trim().to_string()
}

/// Finding: with nothing to renumber, sync pushed replayed copies of the maintainer's commits,
/// stripping a `git commit -S` signature and the ids `sign` printed. It fast-forwards now, when
/// the remote has not moved and when it is an ancestor the local commits apply on unchanged.
#[test]
fn sync_fast_forwards_what_needs_no_renumbering() {
    if !have("gpg") {
        return;
    }
    let team = GpgTeam::new();
    let mine = team.net.clone("alice");
    // Signed with quorate, committed by hand with git commit -S.
    let run = team.alice_signs(&mine, HEX_A, &["--no-commit"]);
    assert_eq!(run.code, 0, "{run:?}");
    git(&mine, &["add", "signatures"]);
    team.git_as_alice(
        &mine,
        &[
            "-c",
            &format!("user.signingkey={}", team.alice),
            "commit",
            "-S",
            "-qm",
            "Sign A",
        ],
    );
    let signed = head(&mine);
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(team.net.tip("main"), signed, "{run:?}");
    assert_eq!(head(&mine), signed);
    assert_agrees_with_head(&mine);
    let fresh = team.net.clone("fresh");
    assert_eq!(commit_signers(&fresh, HEX_A), ["alice"]);

    // The remote moved, but only by what this clone already has below its own commit (someone
    // else's commit, fetched and merged by fast-forward): still pushed as made.
    let other = team.net.clone("bob");
    assert_eq!(sign_in(&other, &team.bob, HEX_B).code, 0);
    assert_eq!(run_in(&other, &["sync"]).code, 0);
    git(&mine, &["pull", "-q", "--ff-only", "origin", "main"]);
    let run = team.alice_signs(&mine, HEX_B, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let signed = head(&mine);
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(team.net.tip("main"), signed, "{run:?}");
    assert!(run.stdout.contains("0 commits replayed"), "{run:?}");

    // When the remote did move, a `git commit -S` commit must be replayed: git is not set to
    // sign commits here, so its replay is unsigned, and sync says so rather than drop it
    // silently.
    git(&other, &["pull", "-q", "--ff-only", "origin", "main"]);
    let key = key_beside(&other, &team.bob);
    let run = run_in(
        &other,
        &[
            "sign",
            "--no-rebuild",
            &reference(HEX_C),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run_in(&other, &["sync"]).code, 0);
    let run = team.alice_signs(&mine, HEX_A_TOO, &["--no-commit"]);
    assert_eq!(run.code, 0, "{run:?}");
    git(&mine, &["add", "signatures"]);
    team.git_as_alice(
        &mine,
        &[
            "-c",
            &format!("user.signingkey={}", team.alice),
            "commit",
            "-S",
            "-qm",
            "Sign again",
        ],
    );
    let signed = head(&mine);
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "sync: commit {} was signed but its replay",
            &signed[..12]
        )),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("brought in 1 commit from the remote"),
        "{run:?}"
    );
    // A clone with nothing to push still says what it brought in: a pull is never silent.
    let run = run_in(&other, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("brought in 1 commit from the remote\nup to date with the remote"),
        "{run:?}"
    );
}

/// Findings (severity, code) of `audit --json --history` in a clone.
fn history_codes(clone: &Path) -> Vec<(String, String, String)> {
    let run = run_in(clone, &["audit", "--json", "--history"]);
    let audit: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    audit["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap_or("").to_string(),
                f["code"].as_str().unwrap_or("").to_string(),
                f["path"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The blob ids of an image's signatures in the remote's tip, in number order.
fn remote_signatures(net: &Net, hex: &str) -> Vec<(String, String)> {
    let dir = format!("signatures/stagex/pallet-rust@sha256={hex}/");
    let listing = git(net.remote.path(), &["ls-tree", "main", &dir]);
    let mut out: Vec<(String, String)> = listing
        .lines()
        .filter_map(|l| {
            let (meta, path) = l.split_once('\t')?;
            let blob = meta.split_whitespace().nth(2)?.to_string();
            Some((path.rsplit('/').next()?.to_string(), blob))
        })
        .collect();
    out.sort_by_key(|(name, _)| quorate::workspace::tree::signature_number(name));
    out
}

fn blob_at(clone: &Path, path: &str) -> String {
    git(clone, &["rev-parse", &format!("HEAD:{path}")])
        .trim()
        .to_string()
}

/// Two more digests.
const HEX_C: &str = "c0ffee0000000000000000000000000000000000000000000000000000000001";
const HEX_A_TOO: &str = "c0ffee0000000000000000000000000000000000000000000000000000000002";

fn sig_path(hex: &str, n: u32) -> String {
    format!("signatures/stagex/pallet-rust@sha256={hex}/signature-{n}")
}

/// Finding: commits quorate made were never signed, whatever git's configuration said. sign,
/// withdraw, repair and a replay now sign as `git commit` would (commit.gpgsign, user.signingkey,
/// gpg.program), and audit names the maintainer who signed the commit.
#[test]
fn quorates_commits_are_signed_as_git_is_configured() {
    if !have("gpg") {
        return;
    }
    let team = GpgTeam::new();
    let mine = team.alice_clone("alice");
    let log = mine.with_extension("gpg.log");
    let theirs = team.net.clone("bob");
    let signed = |range: &str| -> Vec<String> {
        team.git_as_alice(&mine, &["log", "--format=%G?", range])
            .lines()
            .map(str::to_string)
            .collect()
    };
    // sign.
    let run = team.alice_signs(&mine, HEX_A, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(signed("-1"), ["G"], "sign's commit is not signed");
    assert!(log.exists(), "gpg.program was not used");
    // A replay: bob published first, so alice's commit is replayed, and signed again by her.
    assert_eq!(sign_in(&theirs, &team.bob, HEX_A).code, 0);
    assert_eq!(run_in(&theirs, &["sync"]).code, 0);
    let run = team.as_alice(&mine, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("1 commit replayed"), "{run:?}");
    assert_eq!(signed("-1"), ["G"], "the replayed commit is not signed");
    let fresh = team.net.clone("fresh");
    assert_eq!(
        commit_signers(&fresh, HEX_A),
        [serde_json::Value::Null, "alice".into()]
    );
    // withdraw.
    let run = team.as_alice(
        &mine,
        &[
            "withdraw",
            &reference(HEX_A),
            "--gpg",
            "--signer",
            &team.alice,
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(signed("-1"), ["G"], "withdraw's commit is not signed");
    // repair: a gap made by hand, closed by quorate.
    let bobs_key = key_beside(&mine, &team.bob);
    let run = team.as_alice(
        &mine,
        &[
            "sign",
            "--no-rebuild",
            &reference(HEX_B),
            "--key",
            bobs_key.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let run = team.alice_signs(&mine, HEX_B, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    team.git_as_alice(&mine, &["rm", "-q", &sig_path(HEX_B, 1)]);
    team.git_as_alice(&mine, &["commit", "-qm", "a gap"]);
    let run = team.as_alice(&mine, &["repair"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(signed("-1"), ["G"], "repair's commit is not signed");
    // A signature git cannot make fails the commit, as it fails git commit; the file is kept.
    git(
        &mine,
        &[
            "config",
            "user.signingkey",
            "0000000000000000000000000000000000000000",
        ],
    );
    let run = team.alice_signs(&mine, HEX_A, &[]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("signed commit failed"), "{run:?}");
}

/// Finding: a maintainer who signed the same image on two clones got both signatures published
/// (audit then reports duplicate-maintainer with no clean way out). The replayed one is dropped
/// and said so.
#[test]
fn a_replayed_second_signature_of_one_maintainer_is_dropped() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let net = Net::new(&[("alice", &[&alice]), ("bob", &[&bob])], |_| {});
    let laptop = net.clone("laptop");
    let desktop = net.clone("desktop");
    let other = net.clone("bob");
    assert_eq!(sign_in(&laptop, &alice, HEX_A).code, 0);
    assert_eq!(run_in(&laptop, &["sync"]).code, 0);
    // The same maintainer, the same reference, on another clone; and another image beside it.
    assert_eq!(sign_in(&desktop, &alice, HEX_A).code, 0);
    assert_eq!(sign_in(&desktop, &alice, HEX_B).code, 0);
    let run = run_in(&desktop, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "dropped {}: alice already has a valid signature of it on the remote ({})",
            sig_path(HEX_A, 1),
            sig_path(HEX_A, 1)
        )),
        "{run:?}"
    );
    assert_eq!(remote_signatures(&net, HEX_A).len(), 1);
    assert_eq!(remote_signatures(&net, HEX_B).len(), 1);
    assert_agrees_with_head(&desktop);
    let fresh = net.clone("fresh");
    let run = run_in(&fresh, &["audit"]);
    assert!(!run.stdout.contains("duplicate-maintainer"), "{run:?}");
    // Another maintainer's signature of the same image is never taken for a duplicate.
    assert_eq!(sign_in(&other, &bob, HEX_A).code, 0);
    let run = run_in(&other, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("1 commit replayed"), "{run:?}");
    assert_eq!(remote_signatures(&net, HEX_A).len(), 2);
}

/// Finding: a withdrawal or a repair could not be synced ("changes more than adding
/// signatures"). A withdrawal is replayed by content: the withdrawn bytes leave the image
/// whatever number the remote gave them, and the signed statement goes with them. A repair is
/// redone on the remote's numbering.
#[test]
fn withdrawals_and_repairs_are_replayed_on_top_of_the_remote() {
    let [alice, bob, carol] = team_keys();
    let net = Team::of([&alice, &bob, &carol]).net();
    let a = net.clone("alice");
    let c = net.clone("carol");
    // carol publishes signature-1, alice's is replayed as signature-2.
    assert_eq!(sign_in(&c, &carol, HEX_A).code, 0);
    assert_eq!(run_in(&c, &["sync"]).code, 0);
    assert_eq!(sign_in(&a, &alice, HEX_A).code, 0);
    assert_eq!(run_in(&a, &["sync"]).code, 0);
    let alices = blob_at(&a, &sig_path(HEX_A, 2));
    // carol withdraws hers and publishes: alice's bytes are now signature-1 on the remote.
    git(&c, &["pull", "-q", "--ff-only", "origin", "main"]);
    let key = key_beside(&c, &carol);
    let run = run_in(
        &c,
        &[
            "withdraw",
            &reference(HEX_A),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run_in(&c, &["sync"]).code, 0);
    assert_eq!(
        remote_signatures(&net, HEX_A),
        [("signature-1".to_string(), alices.clone())]
    );
    // alice, not having pulled, withdraws hers: signature-2 in her clone.
    let key = key_beside(&a, &alice);
    let run = run_in(
        &a,
        &[
            "withdraw",
            &reference(HEX_A),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let run = run_in(&a, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "replayed the withdrawal of {}",
            sig_path(HEX_A, 1)
        )),
        "{run:?}"
    );
    assert_eq!(
        remote_signatures(&net, HEX_A),
        Vec::<(String, String)>::new()
    );
    assert_agrees_with_head(&a);
    let fresh = net.clone("fresh");
    let found = history_codes(&fresh);
    assert!(
        !found.iter().any(|(s, _, _)| s == "error"),
        "a synced withdrawal reads as an error: {found:#?}"
    );
    assert_eq!(
        found
            .iter()
            .filter(|(_, code, _)| code == "withdrawn")
            .count(),
        2,
        "{found:#?}"
    );

    // A repair, redone on the remote's numbering: a gap made by hand on the remote, repaired in
    // one clone while another publishes meanwhile.
    let b = net.clone("bob");
    assert_eq!(sign_in(&b, &bob, HEX_B).code, 0);
    assert_eq!(sign_in(&b, &carol, HEX_B).code, 0);
    assert_eq!(sign_in(&b, &alice, HEX_B).code, 0);
    git(&b, &["rm", "-q", &sig_path(HEX_B, 1)]);
    git(&b, &["commit", "-qm", "a gap"]);
    git(&b, &["push", "-q", "origin", "main"]);
    let carols = blob_at(&b, &sig_path(HEX_B, 2));
    let alices = blob_at(&b, &sig_path(HEX_B, 3));
    git(&a, &["pull", "-q", "--ff-only", "origin", "main"]);
    let run = run_in(&a, &["repair"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(sign_in(&c, &carol, HEX_A).code, 0);
    git(&c, &["pull", "-q", "--rebase", "origin", "main"]);
    assert_eq!(run_in(&c, &["sync"]).code, 0);
    let run = run_in(&a, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        remote_signatures(&net, HEX_B),
        [
            ("signature-1".to_string(), carols),
            ("signature-2".to_string(), alices)
        ]
    );
    assert_eq!(remote_signatures(&net, HEX_A).len(), 1);
    assert_agrees_with_head(&a);
}

/// Finding: after a force-push, sync followed the rewritten remote and re-published what it
/// had dropped. It refuses, naming the signatures that disappeared, every run (what the clone
/// last saw is recorded), until the user puts the branch on the rewritten remote themselves.
#[test]
fn a_force_pushed_remote_is_refused_naming_what_disappeared() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let net = Net::new(&[("alice", &[&alice]), ("bob", &[&bob])], |_| {});
    let start = net.tip("main");
    let mine = net.clone("alice");
    let theirs = net.clone("bob");
    assert_eq!(sign_in(&theirs, &bob, HEX_A).code, 0);
    assert_eq!(run_in(&theirs, &["sync"]).code, 0);
    assert_eq!(run_in(&mine, &["sync"]).code, 0);
    // Someone with push access rewinds the branch, dropping bob's signature.
    git(
        &theirs,
        &[
            "push",
            "-q",
            "--force",
            "origin",
            &format!("{start}:refs/heads/main"),
        ],
    );
    assert_eq!(sign_in(&mine, &alice, HEX_B).code, 0);
    let head = head(&mine);
    for _ in 0..2 {
        let run = run_in(&mine, &["sync"]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("origin main was rewritten"), "{run:?}");
        assert!(
            run.stderr.contains(&format!(
                "signatures that disappeared from it: {}",
                sig_path(HEX_A, 1)
            )),
            "{run:?}"
        );
        assert_eq!(run.stderr.trim().lines().count(), 1, "{run:?}");
        assert_eq!(net.tip("main"), start);
        assert_eq!(self::head(&mine), head);
    }
    // A branch deleted on the remote is a rewrite too, not an empty remote to publish to.
    let tip = net.tip("main");
    git(net.remote.path(), &["update-ref", "-d", "refs/heads/main"]);
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("origin main was rewritten"), "{run:?}");
    assert!(run.stderr.contains(&sig_path(HEX_A, 1)), "{run:?}");
    git(net.remote.path(), &["update-ref", "refs/heads/main", &tip]);
    // The user follows the rewrite deliberately: sync then publishes on top of it.
    git(&mine, &["fetch", "-q", "origin", "main"]);
    git(&mine, &["reset", "-q", "--keep", "FETCH_HEAD"]);
    assert_eq!(sign_in(&mine, &alice, HEX_B).code, 0);
    let run = run_in(&mine, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(net.tip("main"), self::head(&mine));
}

/// Finding: sync could not publish to an empty remote (git fetch found no branch).
#[test]
fn the_first_push_to_an_empty_remote_works() {
    let alice = TestKey::new("alice");
    let ws = Ws::new(&[("alice", &[&alice])]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "workspace"]);
    let remote = tempfile::tempdir().unwrap();
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    git(
        ws.path(),
        &["remote", "add", "origin", remote.path().to_str().unwrap()],
    );
    let key = ws.key_file(&alice);
    git(
        ws.path(),
        &["rm", "-q", "--cached", "--ignore-unmatch", "alice.key"],
    );
    std::fs::write(ws.path().join(".gitignore"), "*.key\n").unwrap();
    git(ws.path(), &["add", ".gitignore"]);
    git(ws.path(), &["commit", "-qm", "ignore keys"]);
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &reference(HEX_A),
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = ws.run(&["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("3 commits pushed as made, 0 commits replayed"),
        "{run:?}"
    );
    assert_eq!(
        git(remote.path(), &["rev-parse", "main"]),
        git(ws.path(), &["rev-parse", "HEAD"])
    );
    // A remote that cannot be reached is still an error, not an empty remote.
    let run = ws.run(&["sync", "/nonexistent/remote"]);
    assert_eq!(run.code, 1, "{run:?}");
}

/// Finding: a push that lost a race to another maintainer's push failed, leaving the clone to
/// sort it out. sync fetches, replays and pushes again (a bounded number of times).
#[test]
fn a_push_that_loses_a_race_is_replayed_and_retried() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let net = Net::new(&[("alice", &[&alice]), ("bob", &[&bob])], |_| {});
    let mine = net.clone("alice");
    let theirs = net.clone("bob");
    assert_eq!(sign_in(&mine, &alice, HEX_A).code, 0);
    let sync = Paused::start(&mine, &["sync"], "sync-pushing");
    assert!(sync.reached(), "sync never reached its push");
    // bob publishes between alice's fetch and her push.
    assert_eq!(sign_in(&theirs, &bob, HEX_A).code, 0);
    assert_eq!(run_in(&theirs, &["sync"]).code, 0);
    let bobs = blob_at(&theirs, &sig_path(HEX_A, 1));
    let out = sync.resume();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("the remote moved while pushing"),
        "{stdout}"
    );
    let published = remote_signatures(&net, HEX_A);
    assert_eq!(published.len(), 2, "{published:?}");
    assert_eq!(published[0].1, bobs);
    assert_eq!(net.tip("main"), head(&mine));
    assert_agrees_with_head(&mine);
}

/// Finding: sync ran in the middle of a rebase or a merge. It names which and touches nothing.
#[test]
fn a_rebase_or_merge_in_progress_is_named() {
    let alice = TestKey::new("alice");
    let net = Net::new(&[("alice", &[&alice])], |dir| {
        std::fs::write(dir.join("notes.txt"), "base\n").unwrap()
    });
    let mine = net.clone("alice");
    let theirs = net.clone("other");
    std::fs::write(theirs.join("notes.txt"), "theirs\n").unwrap();
    commit_all(&theirs, "theirs");
    git(&theirs, &["push", "-q", "origin", "main"]);
    std::fs::write(mine.join("notes.txt"), "mine\n").unwrap();
    commit_all(&mine, "mine");
    let tip = net.tip("main");
    for (how, named) in [("--no-rebase", "a merge"), ("--rebase", "a rebase")] {
        let status = Command::new("git")
            .args(["pull", "-q", how, "origin", "main"])
            .current_dir(&mine)
            .output()
            .unwrap()
            .status;
        assert!(!status.success(), "the pull was meant to conflict");
        let run = run_in(&mine, &["sync"]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr.contains(&format!("{named} is in progress")),
            "{run:?}"
        );
        assert_eq!(net.tip("main"), tip);
        let abort = if how == "--rebase" { "rebase" } else { "merge" };
        git(&mine, &[abort, "--abort"]);
    }
}

/// sync never publishes a rollback: a local commit that removes a signature without its
/// maintainer's signed withdrawal statement is refused, whether it would be pushed as made or
/// replayed, and nothing is moved or pushed.
#[test]
fn sync_never_publishes_a_rollback() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let net = Net::new(&[("alice", &[&alice]), ("bob", &[&bob])], |_| {});
    let theirs = net.clone("bob");
    assert_eq!(sign_in(&theirs, &bob, HEX_A).code, 0);
    assert_eq!(run_in(&theirs, &["sync"]).code, 0);
    let mine = net.clone("alice");
    git(&mine, &["rm", "-q", &sig_path(HEX_A, 1)]);
    git(&mine, &["commit", "-qm", "Drop bob's signature"]);
    let head = head(&mine);
    let tip = net.tip("main");
    let refused = |run: &Run| {
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr.contains(&format!(
                "removes {} without a signed withdrawal statement",
                sig_path(HEX_A, 1)
            )),
            "{run:?}"
        );
    };
    refused(&run_in(&mine, &["sync"]));
    assert_eq!(net.tip("main"), tip);
    // The same once the remote has moved (a replay).
    assert_eq!(sign_in(&theirs, &bob, HEX_B).code, 0);
    assert_eq!(run_in(&theirs, &["sync"]).code, 0);
    let tip = net.tip("main");
    refused(&run_in(&mine, &["sync"]));
    assert_eq!(net.tip("main"), tip);
    assert_eq!(self::head(&mine), head);
    assert_agrees_with_head(&mine);
}

/// A signature signed and withdrawn before it was ever published: both commits replay on top of
/// a remote that moved, the signature lands and leaves again, the statement stays, and the
/// remote's own signature is untouched.
#[test]
fn a_signature_signed_and_withdrawn_unpublished_replays_as_nothing_but_its_statement() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let net = Net::new(&[("alice", &[&alice]), ("bob", &[&bob])], |_| {});
    let a = net.clone("alice");
    let b = net.clone("bob");
    assert_eq!(sign_in(&a, &alice, HEX_B).code, 0);
    let key = key_beside(&a, &alice);
    let run = run_in(
        &a,
        &[
            "withdraw",
            &reference(HEX_B),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(sign_in(&b, &bob, HEX_B).code, 0);
    assert_eq!(run_in(&b, &["sync"]).code, 0);
    let bobs = blob_at(&b, &sig_path(HEX_B, 1));
    let run = run_in(&a, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        remote_signatures(&net, HEX_B),
        [("signature-1".to_string(), bobs)]
    );
    let statements = git(
        net.remote.path(),
        &[
            "ls-tree",
            "--name-only",
            "main",
            "signatures/.quorate/withdrawals/",
        ],
    );
    assert_eq!(statements.lines().count(), 1, "{statements}");
    assert_agrees_with_head(&a);
    let fresh = net.clone("fresh");
    let found = history_codes(&fresh);
    assert!(!found.iter().any(|(s, _, _)| s == "error"), "{found:#?}");
    assert_eq!(
        run_in(&fresh, &["gate", "--threshold", "1", &reference(HEX_B)]).code,
        0
    );
}
