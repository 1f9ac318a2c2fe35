//! Crash safety and concurrency: `quorate sign` stopped at every step of a write, killed at random
//! moments, and sixteen maintainers signing the same digest at once in one clone.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;

/// The tree's promise after any interruption: every `signature-N` is a whole, valid signature,
/// and the numbers run 1..k with no gap.
fn assert_tree_sound(ws: &Ws, hex: &str) -> usize {
    let dir = ws.image_dir("pallet-rust", hex);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let mut numbers: Vec<u32> = entries
        .filter_map(|e| {
            quorate::workspace::tree::signature_number(e.unwrap().file_name().to_str().unwrap())
        })
        .collect();
    numbers.sort();
    assert_eq!(
        numbers,
        (1..=numbers.len() as u32).collect::<Vec<_>>(),
        "{}",
        dir.display()
    );
    if !numbers.is_empty() {
        let run = ws.run(&["verify", &reference(hex)]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    numbers.len()
}

#[test]
fn a_sign_stopped_at_any_step_leaves_a_sound_tree() {
    for point in [
        "tree-temp-written",
        "tree-temp-synced",
        "tree-linked",
        "git-staged",
        "git-committed",
    ] {
        let alice = TestKey::new("alice");
        let bob = TestKey::new("bob");
        let ws = Ws::new(&[("alice", &[&alice]), ("bob", &[&bob])]);
        let key = ws.key_file(&alice);
        let run = run_failing_at(
            ws.path(),
            &[
                "sign",
                "--no-rebuild",
                &reference(HEX_A),
                "--key",
                key.to_str().unwrap(),
            ],
            point,
        );
        assert_eq!(
            run.code, -1,
            "{point}: the failpoint did not stop the process: {run:?}"
        );
        let before = assert_tree_sound(&ws, HEX_A);
        let linked = matches!(point, "tree-linked" | "git-staged" | "git-committed");
        assert_eq!(before, usize::from(linked), "{point}");
        // The next signer is not hindered, and nothing is lost or renumbered.
        let bob_key = ws.key_file(&bob);
        let run = ws.run(&[
            "sign",
            "--no-rebuild",
            &reference(HEX_A),
            "--key",
            bob_key.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{point}: {run:?}");
        assert_eq!(assert_tree_sound(&ws, HEX_A), before + 1, "{point}");
        // No temporary file is left behind once a later signer has passed.
        let leftovers: Vec<_> = std::fs::read_dir(ws.image_dir("pallet-rust", HEX_A))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{point}: {leftovers:?}");
        // git's own check of the repository.
        git(ws.path(), &["fsck", "--no-progress"]);
    }
}

/// A small deterministic generator: the delays vary, the run is repeatable.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

#[test]
fn two_hundred_signers_killed_at_random_moments_leave_a_sound_tree() {
    let alice = TestKey::new("alice");
    let ws = Ws::new(&[("alice", &[&alice])]);
    // A first commit, so HEAD exists even when a loaded machine lets no signer finish in time.
    std::fs::write(ws.path().join("README"), "x").unwrap();
    git(ws.path(), &["add", "README"]);
    git(ws.path(), &["commit", "-qm", "init"]);
    let key = ws.key_file(&alice);
    let mut rng = Lcg(0x5eed);
    let mut survived = 0;
    let hexes: Vec<String> = (0..200u32)
        .map(|i| format!("{:064x}", u64::from(i) + 1))
        .collect();
    for hex in &hexes {
        let mut child = quorate_command(ws.path())
            .args([
                "sign",
                "--no-rebuild",
                &reference(hex),
                "--key",
                key.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.next(40_000)));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            survived += 1;
        }
        // A lock git left behind when killed mid-write is what a user removes after a crash.
        let _ = std::fs::remove_file(ws.path().join(".git/index.lock"));
    }
    let mut written = 0;
    for hex in &hexes {
        let n = assert_tree_sound(&ws, hex);
        assert!(n <= 1);
        written += n;
    }
    git(ws.path(), &["fsck", "--no-progress"]);
    // On a loaded machine every signer may be killed before its commit: then there is no HEAD.
    let has_head = Command::new("git")
        .args(["rev-parse", "--verify", "-q", "HEAD"])
        .current_dir(ws.path())
        .output()
        .unwrap()
        .status
        .success();
    let committed = if has_head {
        git(ws.path(), &["ls-tree", "-r", "--name-only", "HEAD"])
            .lines()
            .filter(|l| l.starts_with("signatures/"))
            .count()
    } else {
        0
    };
    eprintln!("crash loop: {survived} of 200 signers finished, {written} signatures written, {committed} committed");
}

#[test]
fn sixteen_maintainers_sign_one_digest_at_once() {
    let keys: Vec<TestKey> = (0..16).map(|i| TestKey::new(&format!("m{i:02}"))).collect();
    let people: Vec<(String, Vec<&TestKey>)> =
        keys.iter().map(|k| (k.name.clone(), vec![k])).collect();
    let people: Vec<(&str, &[&TestKey])> = people
        .iter()
        .map(|(h, k)| (h.as_str(), k.as_slice()))
        .collect();
    let ws = Ws::new(&people);
    std::fs::write(ws.path().join("README"), "x").unwrap();
    git(ws.path(), &["add", "README"]);
    git(ws.path(), &["commit", "-qm", "init"]);
    let files: Vec<_> = keys.iter().map(|k| ws.key_file(k)).collect();
    let children: Vec<_> = files
        .iter()
        .map(|file| {
            quorate_command(ws.path())
                .args([
                    "sign",
                    "--no-rebuild",
                    &reference(HEX_A),
                    "--key",
                    file.to_str().unwrap(),
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(assert_tree_sound(&ws, HEX_A), 16);
    let run = ws.run(&["gate", "--threshold", "16", &reference(HEX_A)]);
    assert_eq!(run.code, 0, "{run:?}");
    // Every one committed, one commit each, and the index agrees with HEAD.
    let tracked = git(
        ws.path(),
        &["ls-tree", "-r", "--name-only", "HEAD", "signatures"],
    );
    assert_eq!(tracked.lines().count(), 16, "{tracked}");
    assert_eq!(
        git(ws.path(), &["rev-list", "--count", "HEAD"]).trim(),
        "17"
    );
    let status = git(ws.path(), &["status", "--porcelain", "signatures"]);
    assert_eq!(status, "", "{status}");
}
