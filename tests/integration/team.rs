//! A team's daily work: setting up a workspace, changing who the maintainers are, finding the
//! workspace from anywhere inside it, and signing only what is meant.

use std::path::Path;

use crate::common::*;

fn write(path: &Path, text: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Every file below `dir` (outside .git) with its bytes: to show nothing changed.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_type().is_file() && !e.path().components().any(|c| c.as_os_str() == ".git")
        })
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// A new project says where its images live: `init --namespace` writes it to quorate.toml, and
/// short references point there (never at StageX's namespace, the default); a namespace that is
/// no repository name is bad input, and nothing is made.
#[test]
fn init_namespace_is_where_short_references_point() {
    let top = tempfile::tempdir().unwrap();
    let run = run_in(
        top.path(),
        &["init", "team", "--namespace", "ghcr.io/example"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("images are published as ghcr.io/example/<package>"),
        "{run:?}"
    );
    let ws = top.path().join("team");
    assert!(read(&ws.join("quorate.toml")).contains("\nnamespace = \"ghcr.io/example\"\n"));
    let run = run_in(&ws, &["payload", &format!("core-x:1@sha256:{HEX_A}")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("\"docker-reference\":\"ghcr.io/example/core-x:1\""),
        "{run:?}"
    );
    // Without it, init says whose namespace the default is.
    let run = run_in(top.path(), &["init", "other"]);
    assert!(
        run.stdout.contains("docker.io/stagex/<package>, StageX's"),
        "{run:?}"
    );
    let run = run_in(top.path(), &["init", "bad", "--namespace", "Not A Name"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(!top.path().join("bad").exists());
}

#[test]
fn init_makes_a_workspace_in_git_and_refuses_to_overwrite() {
    let top = tempfile::tempdir().unwrap();
    let run = run_in(top.path(), &["init", "team"]);
    assert_eq!(run.code, 0, "{run:?}");
    let ws = top.path().join("team");
    let maintainers = read(&ws.join("MAINTAINERS"));
    assert!(maintainers.contains("# [people.alice]"), "{maintainers}");
    assert!(read(&ws.join("quorate.toml")).contains("threshold = 2"));
    for dir in ["keyring", "digests", "signatures"] {
        assert!(ws.join(dir).is_dir(), "{dir}");
    }
    // A new repository, and the empty directories are kept in it.
    assert!(ws.join(".git").is_dir());
    let tracked = git(&ws, &["ls-files"]);
    for dir in ["keyring/", "digests/", "signatures/"] {
        assert!(
            tracked.lines().any(|l| l.starts_with(dir)),
            "{dir}: {tracked}"
        );
    }
    for file in ["MAINTAINERS", "quorate.toml"] {
        assert!(tracked.lines().any(|l| l == file), "{file}: {tracked}");
    }
    // The new workspace loads and is clean; its threshold cannot pass with nobody.
    let run = run_in(&ws, &["audit"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("can never pass"), "{}", run.stderr);

    // A second init changes nothing and names what is in the way.
    let before = snapshot(&ws);
    let run = run_in(top.path(), &["init", "team"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("MAINTAINERS"), "{}", run.stderr);
    assert_eq!(snapshot(&ws), before);

    // At the root of an existing repository, that repository holds the workspace.
    let repo = tempfile::tempdir().unwrap();
    git(repo.path(), &["init", "-q", "-b", "main"]);
    write(&repo.path().join("README"), "a project\n");
    let run = run_in(repo.path(), &["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    let tracked = git(repo.path(), &["ls-files"]);
    assert!(tracked.contains("MAINTAINERS"), "{tracked}");
    // The user's own untracked file stays out of init's commit.
    assert!(!tracked.contains("README"), "{tracked}");
}

#[test]
fn maintainers_add_list_and_remove_edit_maintainers_and_keyring_together() {
    let top = tempfile::tempdir().unwrap();
    assert_eq!(run_in(top.path(), &["init", "ws"]).code, 0);
    let ws = top.path().join("ws");
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    write(&top.path().join("alice.asc"), alice.public());
    write(&top.path().join("bob.asc"), bob.public());
    let alice_file = top.path().join("alice.asc");
    let bob_file = top.path().join("bob.asc");
    let add = |handle: &str, name: &str, file: &Path| {
        run_in(
            &ws,
            &[
                "maintainers",
                "add",
                handle,
                "--name",
                name,
                "--email",
                &format!("{handle}@example.org"),
                file.to_str().unwrap(),
            ],
        )
    };
    // A comment of the user's own survives every edit.
    let mut text = read(&ws.join("MAINTAINERS"));
    text.push_str("\n# Reviewed by the release team.\n");
    write(&ws.join("MAINTAINERS"), &text);

    let run = add("alice", "Alice Example", &alice_file);
    assert_eq!(run.code, 0, "{run:?}");
    let run = add("bob", "Bob Example", &bob_file);
    assert_eq!(run.code, 0, "{run:?}");
    let text = read(&ws.join("MAINTAINERS"));
    assert!(text.contains("# Reviewed by the release team."), "{text}");
    assert!(text.contains("# [people.alice]"), "{text}");
    assert!(
        text.contains("[people.alice]\nname = \"Alice Example\""),
        "{text}"
    );
    assert!(text.contains(&alice.fingerprint()), "{text}");
    assert!(ws.join("keyring/alice.asc").is_file());
    assert!(ws.join("keyring/bob.asc").is_file());
    let run = run_in(&ws, &["keyring", "check"]);
    assert_eq!(run.code, 0, "{run:?}");
    // The workspace init made audits clean: its keep files are nobody's signatures.
    let run = run_in(&ws, &["audit"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("stray-file"), "{run:?}");
    // Nothing but the note that no signed chain protects the new team yet (docs/trust.md).
    assert!(
        run.stderr
            .lines()
            .all(|l| l.contains("maintainer set is unprotected")),
        "{run:?}"
    );

    let run = run_in(&ws, &["maintainers", "list"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("alice") && run.stdout.contains(&bob.fingerprint()),
        "{}",
        run.stdout
    );
    let run = run_in(&ws, &["maintainers", "list", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json[0]["handle"], "alice");
    assert_eq!(json[0]["keys"][0]["fingerprint"], alice.fingerprint());
    assert_eq!(json[0]["keys"][0]["certificate"], "keyring/alice.asc");
    assert_eq!(json[1]["emails"][0], "bob@example.org");

    // Refusals change nothing: a handle taken, a key already listed, a secret key file.
    let before = snapshot(&ws);
    let run = add("alice", "Alice Again", &bob_file);
    assert_eq!(run.code, 1, "{run:?}");
    let run = add("mallory", "Mallory", &alice_file);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("alice"), "{}", run.stderr);
    let carol = TestKey::new("carol");
    write(&top.path().join("carol.key"), carol.secret());
    let run = add("carol", "Carol", &top.path().join("carol.key"));
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("secret"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_eq!(snapshot(&ws), before);

    let run = run_in(&ws, &["maintainers", "remove", "alice"]);
    assert_eq!(run.code, 0, "{run:?}");
    let text = read(&ws.join("MAINTAINERS"));
    assert!(!text.contains("\n[people.alice]"), "{text}");
    assert!(!text.contains(&alice.fingerprint()), "{text}");
    assert!(text.contains("# Reviewed by the release team."), "{text}");
    assert!(!ws.join("keyring/alice.asc").exists());
    assert!(ws.join("keyring/bob.asc").exists());
    // One maintainer left under a threshold of two: said at once.
    assert!(run.stderr.contains("can never pass"), "{}", run.stderr);
    let run = run_in(&ws, &["maintainers", "remove", "alice"]);
    assert_eq!(run.code, 1, "{run:?}");
}

/// The example workspace's MAINTAINERS with one line changed, in a copy.
fn team_with(maintainers: &str) -> (Ws, TestKey, TestKey) {
    let alice = TestKey::with_signing_subkey("alice");
    let bob = TestKey::new("bob");
    let ws = Ws::new(&[("alice", &[&alice]), ("bob", &[&bob])]);
    let text = maintainers
        .replace("ALICE", &alice.fingerprint())
        .replace("BOB", &bob.fingerprint());
    write(&ws.path().join("MAINTAINERS"), text);
    (ws, alice, bob)
}

const TEAM: &str =
    "# The team.\n[people.alice]\nname = \"Alice\"\n\n[people.bob]\nname = \"Bob\"\n\n\
                    [keys.alice.main]\nid = \"ALICE\"\n\n[keys.bob.main]\nid = \"BOB\"\n";

#[test]
fn a_workspace_is_checked_as_it_loads_with_file_and_line() {
    let reference = asked();
    // The team as written loads without a word.
    let (ws, _, _) = team_with(TEAM);
    let run = ws.run(&["verify", &reference]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .lines()
            .all(|l| !l.contains("warning") || l.contains("maintainer set is unprotected")),
        "{}",
        run.stderr
    );

    // A typo'd table is a warning with its line; the rest still works.
    let (ws, _, _) = team_with(&format!("{TEAM}\n[key.bob.laptop]\nid = \"BOB\"\n"));
    let run = ws.run(&["keyring", "check"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("quorate: warning: MAINTAINERS:14: unknown table `key`"),
        "{}",
        run.stderr
    );

    // A person with no key: a warning naming them.
    let (ws, _, _) = team_with(&format!("{TEAM}\n[people.carol]\nname = \"Carol\"\n"));
    let run = ws.run(&["keyring", "check"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("warning: MAINTAINERS:14: carol has no key"),
        "{}",
        run.stderr
    );

    // A fingerprint pasted with spaces: an error that prints what to paste.
    let (ws, alice, _) = team_with(TEAM);
    let spaced: String = alice
        .fingerprint()
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    write(
        &ws.path().join("MAINTAINERS"),
        read(&ws.path().join("MAINTAINERS")).replace(&alice.fingerprint(), &spaced),
    );
    let run = ws.run(&["keyring", "check"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("MAINTAINERS:9:"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("id = \"{}\"", alice.fingerprint())),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);

    // A subkey's fingerprint: an error naming the primary to list instead.
    let (ws, alice, _) = team_with(TEAM);
    let subkey = alice
        .cert
        .keys()
        .subkeys()
        .next()
        .unwrap()
        .key()
        .fingerprint()
        .to_hex();
    write(
        &ws.path().join("MAINTAINERS"),
        read(&ws.path().join("MAINTAINERS")).replace(&alice.fingerprint(), &subkey),
    );
    let run = ws.run(&["verify", &reference]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("MAINTAINERS:9:"), "{}", run.stderr);
    assert!(run.stderr.contains("subkey"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("id = \"{}\"", alice.fingerprint())),
        "{}",
        run.stderr
    );

    // A threshold two people can never reach.
    let (ws, _, _) = team_with(TEAM);
    write(
        &ws.path().join("quorate.toml"),
        "# Raised for 2.0.\nthreshold = 3\n",
    );
    let run = ws.run(&["gate", &reference]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("quorate.toml:2: threshold 3 can never pass"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_workspace_is_found_upward_from_inside_it() {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let ws = Ws::new(&[("alice", &[&alice]), ("bob", &[&bob])]);
    let reference = asked();
    let key = ws.key_file(&alice);
    let deep = ws.path().join("notes/2026");
    std::fs::create_dir_all(&deep).unwrap();
    let run = run_in(
        &deep,
        &[
            "sign",
            "--no-rebuild",
            &reference,
            "--key",
            key.to_str().unwrap(),
            "--not-in-release",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    // Paths are the workspace's, wherever quorate was run from.
    assert!(
        run.stdout
            .contains("wrote signatures/stagex/pallet-rust@sha256="),
        "{}",
        run.stdout
    );
    let dir = ws.image_dir("pallet-rust", HEX_A);
    let run = run_in(&dir, &["verify", &reference]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("alice"), "{}", run.stdout);
    // Outside any workspace, the error names the directory looked in.
    let elsewhere = tempfile::tempdir().unwrap();
    let run = run_in(elsewhere.path(), &["verify", &reference]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("MAINTAINERS"), "{}", run.stderr);
}

/// A workspace with a release of one package (pallet-rust at HEX_A) and alice and bob.
fn release_team() -> (Ws, TestKey, TestKey) {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let ws = Ws::new(&[("alice", &[&alice]), ("bob", &[&bob])]);
    write(
        &ws.path().join("digests/pallet.txt"),
        format!("{HEX_A} pallet-rust\n"),
    );
    (ws, alice, bob)
}

#[test]
fn a_short_reference_uses_the_workspaces_namespace() {
    let (ws, alice, _) = release_team();
    write(
        &ws.path().join("quorate.toml"),
        "namespace = \"quay.io/core\"\n",
    );
    let key = ws.key_file(&alice);
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &format!("pallet-rust:1.0@sha256:{HEX_A}"),
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("quay.io/core/pallet-rust:1.0"),
        "{}",
        run.stdout
    );
    assert!(ws
        .path()
        .join(format!(
            "signatures/core/pallet-rust@sha256={HEX_A}/signature-1"
        ))
        .is_file());
    // verify and gate read the short name the same way.
    let run = ws.run(&["verify", &format!("pallet-rust:1.0@sha256:{HEX_A}")]);
    assert_eq!(run.code, 0, "{run:?}");
    // payload, for signing elsewhere, means the same image.
    let run = ws.run(&["payload", &format!("pallet-rust:1.0@sha256:{HEX_A}")]);
    assert!(
        run.stdout.contains("quay.io/core/pallet-rust:1.0"),
        "{run:?}"
    );
}

#[test]
fn a_digest_outside_the_release_is_signed_only_when_meant() {
    let (ws, alice, _) = release_team();
    let key = ws.key_file(&alice);
    let key = key.to_str().unwrap();
    let outside = reference(HEX_B);
    let run = ws.run(&["sign", "--no-rebuild", &outside, "--key", key]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("digests/") && run.stderr.contains("--not-in-release"),
        "{}",
        run.stderr
    );
    assert!(!ws.path().join("signatures").exists());
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &outside,
        "--key",
        key,
        "--not-in-release",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    // The release's own digest needs nothing more.
    let run = ws.run(&["sign", "--no-rebuild", &asked(), "--key", key]);
    assert_eq!(run.code, 0, "{run:?}");
    // --rebuilt naming the release itself proves nothing.
    let run = ws.run(&[
        "sign",
        &format!("stagex/pallet-rust:2.0@sha256:{HEX_A}"),
        "--key",
        key,
        "--rebuilt",
        "digests",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("that is the release, not your rebuild"),
        "{}",
        run.stderr
    );
    let run = ws.run(&[
        "sign",
        "--release",
        "--rebuilt",
        "digests",
        "--tag",
        "1.0",
        "--key",
        key,
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("that is the release, not your rebuild"),
        "{}",
        run.stderr
    );
    let copy = ws.path().join("digests/../digests/pallet.txt");
    let run = ws.run(&[
        "sign",
        &format!("stagex/pallet-rust:2.0@sha256:{HEX_A}"),
        "--key",
        key,
        "--rebuilt",
        copy.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("that is the release, not your rebuild"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_signature_left_uncommitted_is_committed_by_the_next_sign() {
    let (ws, alice, _) = release_team();
    let key = ws.key_file(&alice);
    let key = key.to_str().unwrap();
    let reference = asked();
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &reference,
        "--key",
        key,
        "--no-commit",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let status = git(ws.path(), &["status", "--porcelain", "signatures"]);
    assert_eq!(status.lines().count(), 1, "{status}");
    // Signing the same image again writes nothing and commits what was left.
    let run = ws.run(&["sign", "--no-rebuild", &reference, "--key", key]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("committed"), "{}", run.stdout);
    assert_eq!(git(ws.path(), &["status", "--porcelain", "signatures"]), "");
    let files = git(ws.path(), &["show", "--name-only", "--format=", "HEAD"]);
    assert!(files.contains("signature-1"), "{files}");
}

#[test]
fn outside_git_sign_says_it_wrote_and_did_not_commit() {
    let (ws, alice, _) = release_team();
    std::fs::remove_dir_all(ws.path().join(".git")).unwrap();
    let key = ws.key_file(&alice);
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &asked(),
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("not committed: the workspace is not in a git repository"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_gpg_failure_shows_gpgs_message() {
    if !have("gpg") {
        return;
    }
    let gnupg = Gnupg::new();
    // A key whose passphrase gpg cannot ask for in batch mode: gpg fails at the signature.
    let fpr = gnupg.generate_with(
        "alice",
        false,
        "never",
        &["--passphrase", "secret", "--pinentry-mode", "loopback"],
    );
    let ws = Ws::new(&[]);
    write(
        &ws.path().join("keyring/alice.pgp"),
        gnupg.gpg(&["--export", &fpr]),
    );
    write(
        &ws.path().join("MAINTAINERS"),
        format!("[people.alice]\n[keys.alice.card]\nid = \"{fpr}\"\n"),
    );
    let run = run_env(
        ws.path(),
        &[
            "sign",
            "--no-rebuild",
            &asked(),
            "--not-in-release",
            "--gpg",
            "--signer",
            &fpr,
            "--gpg-program",
            "gpg --batch --pinentry-mode error",
        ],
        &[("GNUPGHOME", gnupg.home.path())],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(last.contains("gpg made no signature"), "{}", run.stderr);
    assert!(last.contains("signing failed"), "{}", run.stderr);
    assert!(!run.stderr.contains("would not count"), "{}", run.stderr);
    assert!(!ws.path().join("signatures").exists());
}

#[test]
fn digests_compute_writes_exactly_the_release() {
    let (ws, _, _) = release_team();
    out_dir(ws.path(), "out", "v1");
    write(&ws.path().join("digests/.gitkeep"), "");
    let run = ws.run(&["digests", "compute", "out", "-o", "digests"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(ws.path().join("digests/core.txt").is_file());
    // A package gone from the build is gone from the release: nothing stale is left behind.
    std::fs::remove_dir_all(ws.path().join("out/core-busybox")).unwrap();
    let run = ws.run(&["digests", "compute", "out", "-o", "digests"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("removed digests/core.txt"),
        "{}",
        run.stdout
    );
    let mut names: Vec<String> = std::fs::read_dir(ws.path().join("digests"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".gitkeep", "pallet.txt"]);
}

#[test]
fn completions_and_man_pages_are_generated() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef quorate"),
        ("fish", "complete -c quorate"),
    ] {
        let run = run_in(dir.path(), &["completions", shell]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        assert!(run.stdout.contains("maintainers"), "{shell}");
    }
    let run = run_in(dir.path(), &["completions", "tcsh"]);
    assert_eq!(run.code, 2, "{run:?}");

    let run = run_in(dir.path(), &["man", "-o", "man"]);
    assert_eq!(run.code, 0, "{run:?}");
    for page in [
        "quorate.1",
        "quorate-sign.1",
        "quorate-maintainers-add.1",
        "quorate-keyring-check.1",
    ] {
        let text = read(&dir.path().join("man").join(page));
        assert!(
            text.starts_with(".ie") || text.contains(".TH"),
            "{page}: {text}"
        );
    }
    let sign = read(&dir.path().join("man/quorate-sign.1"));
    assert!(sign.contains("not\\-in\\-release"), "{sign}");
}

#[test]
fn adding_a_maintainer_whose_key_cannot_sign_says_so() {
    let top = tempfile::tempdir().unwrap();
    assert_eq!(run_in(top.path(), &["init", "ws"]).code, 0);
    let ws = top.path().join("ws");
    let mut dave = TestKey::new("dave");
    dave.revoke(openpgp_reason());
    write(&top.path().join("dave.asc"), dave.public());
    let run = run_in(
        &ws,
        &[
            "maintainers",
            "add",
            "dave",
            "--name",
            "Dave",
            "--email",
            "dave@example.org",
            top.path().join("dave.asc").to_str().unwrap(),
        ],
    );
    // Listed as asked (a revoked key keeps the history readable), and told at once.
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("quorate: warning: dave") && run.stderr.contains("revoked"),
        "{}",
        run.stderr
    );
}

fn openpgp_reason() -> sequoia_openpgp::types::ReasonForRevocation {
    sequoia_openpgp::types::ReasonForRevocation::KeyRetired
}

/// `add` of a signature already in the tree but never committed (its commit failed: a detached
/// HEAD) commits it, as `sign` does, and says so; outside git it says it wrote and did not commit.
#[test]
fn add_commits_a_signature_an_earlier_run_left_uncommitted() {
    let (ws, alice, _) = release_team();
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "workspace"]);
    let reference = asked();
    let file = ws.path().join("alice.sig");
    write(&file, sign(alice.primary_pair(), &payload(REF, HEX_A)));
    let file = file.to_str().unwrap();
    git(ws.path(), &["checkout", "-q", "--detach"]);
    let run = ws.run(&["add", file, &reference]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not committed"), "{run:?}");
    git(ws.path(), &["checkout", "-q", "main"]);
    let status = git(ws.path(), &["status", "--porcelain", "signatures"]);
    assert_eq!(status.lines().count(), 1, "{status}");
    // Adding it again writes nothing and commits what the failed run left.
    let run = ws.run(&["add", file, &reference]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("written by an earlier run but not committed: committing it")
            && run.stdout.contains("committed "),
        "{}",
        run.stdout
    );
    assert_eq!(git(ws.path(), &["status", "--porcelain", "signatures"]), "");
    let files = git(ws.path(), &["show", "--name-only", "--format=", "HEAD"]);
    assert!(files.contains("signature-1"), "{files}");
    // Once committed, adding it again is only "already signed".
    let run = ws.run(&["add", file, &reference]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("committing"), "{}", run.stdout);

    std::fs::remove_dir_all(ws.path().join(".git")).unwrap();
    std::fs::remove_dir_all(ws.path().join("signatures")).unwrap();
    let run = ws.run(&["add", file, &reference]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("not committed: the workspace is not in a git repository")
            && run.stdout.contains("signature-1 written"),
        "{}",
        run.stdout
    );
}

/// `maintainers add` of a handle already listed gives that person another key (a new
/// smartcard): a `[keys.HANDLE.<label>]` entry and the certificate in keyring/, their name and
/// email kept. A conflicting --name or --email is refused, a key listed for someone else is
/// refused naming them, a key already theirs changes nothing, and with a chain of trust roots in
/// force the change is said to need the quorum's approval.
#[test]
fn maintainers_add_gives_an_existing_person_another_key() {
    let (ws, alice, bob) = release_team();
    let mut text = read(&ws.path().join("MAINTAINERS"));
    text.insert_str(0, "# The team.\n");
    write(&ws.path().join("MAINTAINERS"), &text);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "workspace"]);
    // The chain of trust roots, version 1 approved by alice and bob.
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    for key in [&alice, &bob] {
        let file = ws.key_file(key);
        let run = ws.run(&["trust", "sign", "--key", file.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    let card = TestKey::new("card");
    let card_file = ws.path().join("card.asc");
    write(&card_file, card.public());
    let card_file = card_file.to_str().unwrap();

    let before = snapshot(ws.path());
    let add = |args: &[&str]| {
        let mut all = vec!["maintainers", "add"];
        all.extend_from_slice(args);
        ws.run(&all)
    };
    // Another person's key, a name or an email that is not theirs: refused, nothing changed.
    let run = add(&["bob", &ws.key_file(&alice).to_string_lossy()]);
    assert_eq!(run.code, 2, "a secret key file: {run:?}");
    write(&ws.path().join("alice.asc"), alice.public());
    let run = add(&["bob", &ws.path().join("alice.asc").to_string_lossy()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("already listed under alice"), "{run:?}");
    let run = add(&["alice", "--name", "Alicia", card_file]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("\"Alicia\""), "{run:?}");
    let run = add(&["alice", "--email", "alicia@example.org", card_file]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("alicia@example.org"), "{run:?}");
    std::fs::remove_file(ws.path().join("alice.asc")).unwrap();
    assert_eq!(snapshot(ws.path()), before);
    // A new person still needs a name and an email.
    let run = add(&["carol", card_file]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--name"), "{run:?}");

    // The same name and email as listed are no conflict.
    let run = add(&[
        "alice",
        "--name",
        "alice",
        "--email",
        "alice@example.org",
        card_file,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("added alice: key {}", card.fingerprint())),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("quorate trust propose"),
        "the trust root changed: {}",
        run.stdout
    );
    let text = read(&ws.path().join("MAINTAINERS"));
    assert!(text.starts_with("# The team.\n"), "{text}");
    assert!(text.contains(&card.fingerprint()), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&ws.run(&["maintainers", "list", "--json"]).stdout).unwrap();
    assert_eq!(json[0]["handle"], "alice");
    assert_eq!(json[0]["name"], "alice");
    assert_eq!(json[0]["emails"][0], "alice@example.org");
    assert_eq!(json[0]["keys"].as_array().unwrap().len(), 2, "{json}");
    assert_eq!(json[0]["keys"][1]["fingerprint"], card.fingerprint());
    let certificate = json[0]["keys"][1]["certificate"].as_str().unwrap();
    assert!(certificate.starts_with("keyring/"), "{json}");
    // The first key's certificate file is left as it was.
    assert_eq!(json[0]["keys"][0]["certificate"], "keyring/alice.asc");

    // Adding it again changes nothing, and says so.
    let before = snapshot(ws.path());
    let run = add(&["alice", card_file]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("nothing changed"), "{}", run.stdout);
    assert_eq!(snapshot(ws.path()), before);
    let run = add(&["bob", card_file]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("already listed under alice"), "{run:?}");

    // Until the quorum approves it, the new key counts for nothing: the gate judges by version 1
    // in force and says the edit is pending.
    let run = ws.run(&["gate", &asked()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("change pending") && run.stderr.contains("added key"),
        "{run:?}"
    );

    // Removing the person deletes the certificate the chain never named (the card's) and keeps
    // the one it names (alice approved version 1 with it): her approvals still verify, version 1
    // stays in force, and her signatures can be shown as a former maintainer's. (This clone's
    // memory of version 1, which would keep it in force anyway, is forgotten first.)
    std::fs::remove_file(ws.path().join(".git/quorate/trust-anchor")).unwrap();
    let run = ws.run(&["maintainers", "remove", "alice"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!ws.path().join(certificate).exists(), "{run:?}");
    assert!(ws.path().join("keyring/alice.asc").exists(), "{run:?}");
    assert!(run.stdout.contains("kept keyring/alice.asc"), "{run:?}");
    assert!(!run.stderr.contains("no longer in force"), "{run:?}");
    let status = ws.run(&["trust", "status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["versions"][0]["in_force"], true, "{status}");
}

/// sync names files relative to the workspace, however the workspace was found: `--workspace .`
/// and upward from a subdirectory print `MAINTAINERS:1:…`, never `./MAINTAINERS` or
/// `../MAINTAINERS`.
#[test]
fn sync_prints_paths_relative_to_the_workspace() {
    let alice = TestKey::new("alice");
    let net = Net::new(&[("alice", &[&alice])], |_| {});
    let admin = net.clone("admin");
    let dot = net.clone("dot");
    let below = net.clone("below");
    write(&admin.join("MAINTAINERS"), "[people.alice\n");
    commit_all(&admin, "Break the maintainers");
    git(&admin, &["push", "-q", "origin", "main"]);
    let said = |run: &Run| -> String {
        run.stdout
            .lines()
            .find_map(|l| l.strip_prefix("sync: the trust root could not be compared: "))
            .unwrap_or_else(|| panic!("{run:?}"))
            .to_string()
    };
    let run = run_in(&dot, &["--workspace", ".", "sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    let line = said(&run);
    assert!(line.contains(": MAINTAINERS:1:14: "), "{line}");
    let inside = below.join("signatures");
    std::fs::create_dir_all(&inside).unwrap();
    let run = run_in(&inside, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    let line = said(&run);
    assert!(line.contains(": MAINTAINERS:1:14: "), "{line}");
}

/// Every path quorate prints (errors, warnings, listings) is relative to the workspace, with no
/// leading `./`, whether the workspace is given as `--workspace .` or found upward from a
/// subdirectory; a path outside the workspace is printed as the user gave it.
#[test]
fn every_path_is_shown_relative_to_the_workspace() {
    let (ws, alice, bob) = release_team();
    let reference = asked();
    let key = ws.key_file(&alice);
    let key = key.to_str().unwrap().to_string();
    let sub = ws.path().join("notes");
    std::fs::create_dir_all(&sub).unwrap();
    // Each way of finding the workspace, and how a file in it is named from there.
    let ways: [(&Path, &[&str], &str); 2] =
        [(ws.path(), &["--workspace", "."], "./"), (&sub, &[], "../")];
    let run_as = |dir: &Path, how: &[&str], args: &[&str]| -> Run {
        let mut all: Vec<&str> = how.to_vec();
        all.extend_from_slice(args);
        run_in(dir, &all)
    };
    let clean = |run: &Run, expected: &str| {
        let out = format!("{}{}", run.stdout, run.stderr);
        assert!(out.contains(expected), "{expected}: {run:?}");
        assert!(
            !out.contains("./") && !out.contains(ws.path().to_str().unwrap()),
            "{run:?}"
        );
    };
    let mut typo = read(&ws.path().join("MAINTAINERS"));
    typo.push_str("[key.carol.x]\n");
    write(&ws.path().join("MAINTAINERS"), &typo);
    for (dir, how, up) in ways {
        let run = run_as(dir, how, &["maintainers", "list"]);
        clean(&run, "MAINTAINERS:11: unknown table `key`");
        clean(&run, "keyring/alice.asc");
        clean(
            &run_as(dir, how, &["keyring", "check"]),
            "(keyring/alice.asc)",
        );

        // A signature file given by the user inside the workspace: named from the workspace.
        write(&ws.path().join("bad.sig"), b"not a signature");
        let file = format!("{up}bad.sig");
        let run = run_as(dir, how, &["add", &file, &reference]);
        assert_eq!(run.code, 1, "{run:?}");
        clean(&run, "bad.sig: ");
        // One in the subdirectory quorate runs in is named from the workspace too.
        write(&sub.join("here.sig"), b"not a signature");
        let file = if up == "../" {
            "here.sig"
        } else {
            "notes/here.sig"
        };
        let run = run_as(dir, how, &["add", file, &reference]);
        assert_eq!(run.code, 1, "{run:?}");
        clean(&run, "quorate: notes/here.sig: ");

        // A link where an image directory should be.
        let image = ws.image_dir("pallet-rust", HEX_A);
        std::fs::create_dir_all(image.parent().unwrap()).unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), &image).unwrap();
        let shown = format!("signatures/stagex/pallet-rust@sha256={HEX_A}: is a symlink");
        clean(&run_as(dir, how, &["verify", &reference]), &shown);
        let run = run_as(
            dir,
            how,
            &["sign", "--no-rebuild", &reference, "--key", &key],
        );
        assert_eq!(run.code, 1, "{run:?}");
        clean(&run, &shown);
        std::fs::remove_file(&image).unwrap();

        // A keyring file that does not parse, and a quorate.toml that does not.
        write(
            &ws.path().join("keyring/broken.asc"),
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnonsense\n",
        );
        clean(
            &run_as(dir, how, &["keyring", "check"]),
            "keyring/broken.asc: ",
        );
        std::fs::remove_file(ws.path().join("keyring/broken.asc")).unwrap();
        write(&ws.path().join("quorate.toml"), "threshold = \n");
        clean(
            &run_as(dir, how, &["verify", &reference]),
            "quorate.toml:1:13: ",
        );
        std::fs::remove_file(ws.path().join("quorate.toml")).unwrap();

        // A release file that does not parse.
        write(&ws.path().join("digests/bad.txt"), "garbage\n");
        clean(
            &run_as(
                dir,
                how,
                &["sign", "--no-rebuild", &reference, "--key", &key],
            ),
            "digests/bad.txt:1: ",
        );
        clean(
            &run_as(dir, how, &["audit", "--release"]),
            "digests/bad.txt:1: ",
        );
        clean(
            &run_as(dir, how, &["gate", "--release"]),
            "digests/bad.txt:1: ",
        );
        std::fs::remove_file(ws.path().join("digests/bad.txt")).unwrap();

        // MAINTAINERS itself a link.
        std::fs::rename(ws.path().join("MAINTAINERS"), ws.path().join("M")).unwrap();
        std::os::unix::fs::symlink("M", ws.path().join("MAINTAINERS")).unwrap();
        clean(
            &run_as(dir, how, &["keyring", "check"]),
            "MAINTAINERS: is a symlink",
        );
        std::fs::remove_file(ws.path().join("MAINTAINERS")).unwrap();
        std::fs::rename(ws.path().join("M"), ws.path().join("MAINTAINERS")).unwrap();
    }
    // A certificate carrying another's key: keyring check names both files from the workspace.
    let crafted = carrying(&alice, &bob, None);
    ws.add_cert(&crafted);
    for (dir, how, _) in ways {
        let run = run_as(dir, how, &["keyring", "check"]);
        assert_eq!(run.code, 1, "{run:?}");
        clean(&run, "(keyring/bob.asc) as its primary key");
    }
    ws.add_cert(&alice);

    // A file outside the workspace is named as given.
    let outside = tempfile::tempdir().unwrap();
    let bad = outside.path().join("bad.sig");
    write(&bad, b"not a signature");
    let run = ws.run(&["add", bad.to_str().unwrap(), &reference]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains(bad.to_str().unwrap()), "{run:?}");
}

/// What a published lookaside serves is named by its URL, untouched by the workspace-relative
/// naming of paths (a URL is not a path below the workspace, even run from inside it).
#[test]
fn a_lookaside_url_is_printed_as_given() {
    let (ws, alice, _) = release_team();
    let key = ws.key_file(&alice);
    let reference = asked();
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &reference,
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let url = format!("file://{}", ws.path().join("signatures").display());
    for how in [vec![], vec!["--workspace", "."]] {
        let mut args = how.clone();
        args.extend(["gate", "--json", "--lookaside", &url, &reference]);
        let run = ws.run(&args);
        let json: serde_json::Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
        let image = &json["images"][0];
        assert!(
            image["directory"].as_str().unwrap().starts_with(&url),
            "{image}"
        );
        assert!(
            image["files"][0]["path"]
                .as_str()
                .unwrap()
                .starts_with(&url),
            "{image}"
        );
    }
}
