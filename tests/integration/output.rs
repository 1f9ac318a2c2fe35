//! Text output cannot lie: every string that comes from git, the tree, a certificate,
//! MAINTAINERS or a server reaches the terminal with its control characters and bidirectional
//! overrides escaped, on every command that prints such strings; JSON stays JSON.

use crate::common::*;

/// A handle, a name and a commit author as a pusher would choose them: rewrite the line, hide
/// what follows, reverse the text.
const HANDLE: &str = "mal\u{1b}[8m";
const NAME: &str = "x\r\u{1b}[2K  signature-2  valid  bob\u{1b}[8m \u{202e}lam";
const AUTHOR: &str = "x\r\u{1b}[2K  signature-2  valid  bob\u{1b}[8m";

/// The characters a terminal acts on that must never be printed raw.
fn assert_clean(what: &str, run: &Run) {
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let raw: Vec<char> = text
            .chars()
            .filter(|c| *c != '\n' && quorate::text::is_unshowable(*c))
            .collect();
        assert!(
            raw.is_empty(),
            "{what}: {stream} carries {raw:?} raw:\n{text}"
        );
    }
}

/// alice and bob, and mallory whose handle, name and certificate's user ID are hostile; the
/// image signed by alice and mallory and committed by a hostile author.
fn hostile() -> (Ws, [TestKey; 3], String) {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let mallory = TestKey::build("mallory", |b| {
        b.add_userid(format!("{NAME} <mallory@example.org>"))
    });
    let ws = Ws::new(&[
        ("alice", &[&alice]),
        ("bob", &[&bob]),
        ("mallory", &[&mallory]),
    ]);
    let toml_escaped = |s: &str| {
        s.chars()
            .map(|c| match c {
                c if c.is_control() || c == '\u{202e}' => format!("\\u{:04X}", c as u32),
                c => c.to_string(),
            })
            .collect::<String>()
    };
    let text = std::fs::read_to_string(ws.path().join("MAINTAINERS"))
        .unwrap()
        .replace(
            "[people.mallory]",
            &format!("[people.\"{}\"]", toml_escaped(HANDLE)),
        )
        .replace(
            "[keys.mallory.",
            &format!("[keys.\"{}\".", toml_escaped(HANDLE)),
        )
        .replace(
            "name = \"mallory\"",
            &format!("name = \"{}\"", toml_escaped(NAME)),
        );
    std::fs::write(ws.path().join("MAINTAINERS"), text).unwrap();
    commit_all(ws.path(), "workspace");
    // The chain started, so trust status names version 1's maintainers.
    let run = ws.run(&["trust", "propose"]);
    assert_eq!(run.code, 0, "{run:?}");
    approve(&ws, &alice);
    approve(&ws, &mallory);
    commit_all(ws.path(), "trust root version 1");
    let hex = "ab".repeat(32);
    let reference = reference(&hex);
    for key in [&alice, &mallory] {
        let file = ws.key_file(key);
        let run = ws.run(&[
            "sign",
            "--no-rebuild",
            &reference,
            "--key",
            file.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    // The last signature's commit rewritten with the hostile author.
    git_env(
        ws.path(),
        &["commit", "-q", "--amend", "--no-edit", "--reset-author"],
        &[("GIT_AUTHOR_NAME", AUTHOR)],
    );
    (ws, [alice, bob, mallory], reference)
}

#[test]
fn every_command_escapes_what_others_wrote() {
    let (ws, _keys, reference) = hostile();
    let log = git(ws.path(), &["log", "-1", "--format=%an"]);
    assert!(
        log.contains('\u{1b}'),
        "git kept the author as given: {log:?}"
    );
    for args in [
        vec!["maintainers", "list"],
        vec!["verify", reference.as_str()],
        vec!["gate", reference.as_str()],
        vec!["keyring", "check"],
        vec!["trust", "status"],
        vec!["audit"],
    ] {
        let run = ws.run(&args);
        assert_clean(&args.join(" "), &run);
        assert!(
            run.stdout.contains("\\u{1b}") || run.stderr.contains("\\u{1b}"),
            "{args:?} shows the escape as \\u{{1b}}: {run:?}"
        );
    }
    // The audit's signature row names the author, escaped, and cannot forge a "valid bob" row.
    let audit = ws.run(&["audit"]);
    assert!(
        audit
            .stdout
            .contains("x\\r\\u{1b}[2K  signature-2  valid  bob\\u{1b}[8m"),
        "{audit:?}"
    );
}

#[test]
fn the_audit_page_shows_controls_and_bidi_overrides_instead_of_obeying_them() {
    let (ws, _keys, _reference) = hostile();
    let page = ws.path().join("audit.html");
    let run = ws.run(&["audit", "--html", page.to_str().unwrap()]);
    assert_clean("audit --html", &run);
    let html = std::fs::read_to_string(&page).unwrap();
    let raw: Vec<char> = html
        .chars()
        .filter(|c| !matches!(c, '\n' | '\t') && quorate::text::is_unshowable(*c))
        .collect();
    assert!(raw.is_empty(), "the page carries {raw:?} raw");
    assert!(
        html.contains("\\u{202e}lam"),
        "the name is on the page, shown"
    );
}

#[test]
fn json_output_stays_json_with_every_character_escaped() {
    let (ws, _keys, reference) = hostile();
    for args in [
        vec!["maintainers", "list", "--json"],
        vec!["verify", "--json", reference.as_str()],
        vec!["gate", "--json", reference.as_str()],
        vec!["audit", "--json"],
    ] {
        let run = ws.run(&args);
        assert_clean(&args.join(" "), &run);
        let value: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", run.stdout));
        if args[0] == "maintainers" {
            let mallory = &value[2];
            assert_eq!(mallory["handle"], HANDLE, "{value}");
            assert_eq!(mallory["name"], NAME, "{value}");
        }
    }
}

#[test]
fn a_server_message_is_escaped_by_sync() {
    let keys = team_keys();
    let net = Team::of(keys.each_ref()).net();
    // The remote refuses every push with a message that would erase the line before it.
    let hook = net.remote.path().join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\nprintf 'all good\\r\\033[2K\\033[1Apushed\\n' >&2\nexit 1\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let clone = net.clone("alice");
    let run = sign_in(&clone, &keys[0], &"cd".repeat(32));
    assert_eq!(run.code, 0, "{run:?}");
    let run = run_in(&clone, &["sync"]);
    assert_ne!(run.code, 0, "{run:?}");
    assert_clean("sync", &run);
    assert!(run.stderr.contains("\\u{1b}[2K"), "{run:?}");
}

// Output that reads right: the small fixes of the trial, one test each.

#[test]
fn outside_a_workspace_the_error_says_there_is_none() {
    let empty = tempfile::tempdir().unwrap();
    let run = run_in(empty.path(), &["maintainers", "list"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        "quorate: no workspace here or above (MAINTAINERS or quorate.toml); use --workspace\n"
    );
    let dir = empty.path().to_str().unwrap();
    let run = run_in(empty.path(), &["--workspace", dir, "gate", "--release"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        format!("quorate: {dir}: not a workspace (no MAINTAINERS or quorate.toml there)\n")
    );
}

#[test]
fn keyring_export_makes_its_directory() {
    let (ws, _keys) = team();
    let run = ws.run(&["keyring", "export", "-o", "out/keys/maintainers.asc"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(ws.path().join("out/keys/maintainers.asc").is_file());
    assert!(
        run.stdout
            .contains("wrote 3 maintainer certificates to out/keys/maintainers.asc"),
        "{run:?}"
    );
}

#[test]
fn a_release_signing_reports_each_image_once_and_its_commit_counts_right() {
    let (ws, keys, _busybox, _pallet) = release_workspace();
    // A release of one image: pallet-rust alone.
    for entry in std::fs::read_dir(ws.path().join("digests")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let kept: String = text
            .lines()
            .filter(|l| l.contains("pallet-rust"))
            .map(|l| format!("{l}\n"))
            .collect();
        if kept.is_empty() {
            std::fs::remove_file(&path).unwrap();
        } else {
            std::fs::write(&path, kept).unwrap();
        }
    }
    let bob = ws.key_file(&keys[1]);
    let run = ws.run(&[
        "sign",
        "--release",
        "--rebuilt",
        "bob-out",
        "--key",
        bob.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let all = format!("{}{}", run.stdout, run.stderr);
    let lines = all.lines().filter(|l| l.contains("pallet-rust")).count();
    assert_eq!(lines, 1, "{run:?}");
    assert_eq!(
        git(ws.path(), &["log", "-1", "--format=%s"]).trim(),
        "Sign 1 image of the release as bob"
    );
}

#[test]
fn verify_lines_up_its_columns() {
    let (ws, keys) = pair();
    for key in &keys {
        ws.put(
            "pallet-rust",
            HEX_A,
            if key.name == "alice" { 1 } else { 2 },
            &sign(key.primary_pair(), &payload(REF, HEX_A)),
        );
    }
    let run = ws.run(&["verify", &asked()]);
    assert_eq!(run.code, 0, "{run:?}");
    let columns: Vec<usize> = keys
        .iter()
        .map(|key| {
            let line = run
                .stdout
                .lines()
                .find(|l| l.contains(&key.fingerprint()))
                .unwrap();
            line.find(&key.fingerprint()).unwrap()
        })
        .collect();
    assert_eq!(columns[0], columns[1], "{}", run.stdout);
}

#[test]
fn gate_names_the_image_on_each_line_that_does_not_count() {
    let (ws, keys) = team();
    ws.put(
        "pallet-rust",
        HEX_A,
        1,
        &sign(keys[0].primary_pair(), &payload(REF, HEX_A)),
    );
    ws.put(
        "pallet-rust",
        HEX_A,
        2,
        &sign(keys[1].primary_pair(), &payload(REF, HEX_A)),
    );
    ws.put("pallet-rust", HEX_A, 3, b"not a signature");
    let run = ws.run(&["gate", &asked()]);
    assert_eq!(run.code, 0, "{run:?}");
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("does not count"))
        .unwrap_or_else(|| panic!("{run:?}"));
    assert!(
        line.starts_with(&format!("  {}: signature-3 does not count: ", asked()))
            || line.contains(&format!("{HEX_A}: signature-3 does not count: ")),
        "{line}"
    );
}

/// chained()'s workspace with erin added: version 2 proposed.
fn erin_proposed() -> (Ws, [TestKey; 3], TestKey) {
    let (ws, keys) = chained();
    let erin = TestKey::new("erin");
    ws.add_cert(&erin);
    let mut text = std::fs::read_to_string(ws.path().join("MAINTAINERS")).unwrap();
    text.push_str(&maintainers(&[("erin", &[&erin])]));
    std::fs::write(ws.path().join("MAINTAINERS"), text).unwrap();
    commit_all(ws.path(), "add erin");
    (ws, keys, erin)
}

#[test]
fn trust_propose_says_what_it_needs_in_numbers() {
    let (ws, _keys, erin) = erin_proposed();
    let run = ws.run(&["trust", "propose"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "it needs the approval (quorate trust sign) of 2 more of version 1's maintainers (alice, bob, carol); 2 more of version 2's maintainers (alice, bob, carol, erin); erin's approval with the added key {}",
            erin.fingerprint()
        )),
        "{run:?}"
    );
}

#[test]
fn the_trust_root_in_force_is_named_and_older_versions_are_superseded() {
    let (ws, keys, erin) = erin_proposed();
    assert_eq!(ws.run(&["trust", "propose"]).code, 0);
    for key in [&keys[0], &keys[1], &erin] {
        approve(&ws, key);
    }
    commit_all(ws.path(), "approved");
    let status = ws.run(&["trust", "status"]);
    assert!(status.stdout.contains("IN FORCE"), "{status:?}");
    let version_1 = status
        .stdout
        .lines()
        .find(|l| l.starts_with("version 1 "))
        .unwrap();
    assert!(version_1.ends_with("  superseded"), "{version_1}");
    let page = ws.path().join("audit.html");
    let run = ws.run(&["audit", "--html", page.to_str().unwrap()]);
    assert!(run.code <= 1, "{run:?}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("from trust root version 2 (sha256:"),
        "the header"
    );
    assert!(html.contains(", in force; threshold 2."), "the header");
    assert!(!html.contains("from MAINTAINERS"), "the header");
    assert!(
        html.contains("), superseded: maintainers alice, bob, carol"),
        "version 1: {html}"
    );
}

#[test]
fn a_timeline_of_one_day_keeps_its_labels_apart() {
    let (ws, keys) = team();
    for (n, key) in keys.iter().enumerate() {
        ws.put(
            "pallet-rust",
            HEX_A,
            n as u32 + 1,
            &sign(key.primary_pair(), &payload(REF, HEX_A)),
        );
    }
    let page = ws.path().join("audit.html");
    let run = ws.run(&["audit", "--html", page.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    let html = std::fs::read_to_string(&page).unwrap();
    let svg = &html[html.find("<svg").unwrap()..html.find("</svg>").unwrap()];
    let attribute = |element: &str, name: &str| -> f64 {
        let at = element.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        element[at..].split('"').next().unwrap().parse().unwrap()
    };
    // The handles end 8 units left of x = 130: no circle reaches them.
    let circles: Vec<&str> = svg.split("<circle").skip(1).collect();
    assert_eq!(circles.len(), 3, "{svg}");
    for circle in circles {
        let (cx, r) = (attribute(circle, "cx"), attribute(circle, "r"));
        assert!(cx - r > 130.0, "a circle over the handles: {circle}");
    }
    // The axis has one label, the day, under the circles.
    let labels: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter(|t| t.contains("text-anchor=\"middle\""))
        .collect();
    assert_eq!(labels.len(), 1, "{svg}");
}

#[test]
fn a_withdrawal_keeps_its_reason_signed_and_audit_shows_it() {
    let (ws, keys) = team();
    commit_all(ws.path(), "workspace");
    let alice = ws.key_file(&keys[0]);
    let alice = alice.to_str().unwrap();
    assert_eq!(
        ws.run(&["sign", "--no-rebuild", &asked(), "--key", alice])
            .code,
        0
    );
    let run = ws.run(&[
        "withdraw",
        &asked(),
        "--key",
        alice,
        "--reason",
        "signed the wrong build",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let message = git(ws.path(), &["log", "-1", "--format=%B"]);
    assert!(
        message.contains("Reason: signed the wrong build"),
        "{message}"
    );
    // In the statement alice signed, so nobody can change it later.
    let statements = ws.path().join("signatures/.quorate/withdrawals");
    let statement = std::fs::read_dir(&statements)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let bytes = std::fs::read(statement).unwrap();
    let window = b"\"reason\":\"signed the wrong build\"";
    assert!(
        bytes.windows(window.len()).any(|w| w == window),
        "the reason is in the signed payload"
    );
    let run = ws.run(&["audit", "--history"]);
    assert!(
        run.stdout.contains(
            "withdrawn by its maintainer with a signed statement, because: signed the wrong build"
        ),
        "{run:?}"
    );
}

#[test]
fn the_matrix_tells_the_release_from_older_tags() {
    let (ws, keys, _busybox, pallet) = release_workspace();
    let bob = ws.key_file(&keys[1]);
    let run = ws.run(&[
        "sign",
        "--release",
        "--rebuilt",
        "bob-out",
        "--key",
        bob.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    // An older tag of pallet-rust, signed before this release.
    ws.put(
        "pallet-rust",
        HEX_A,
        1,
        &sign(keys[0].primary_pair(), &payload(REF, HEX_A)),
    );
    let page = ws.path().join("audit.html");
    let run = ws.run(&["audit", "--html", page.to_str().unwrap()]);
    assert!(run.code <= 1, "{run:?}");
    let html = std::fs::read_to_string(&page).unwrap();
    let row = |hex: &str| -> String {
        html.split("<tr id=\"img-")
            .skip(1)
            .find(|r| r.contains(&hex[..12]))
            .unwrap_or_else(|| panic!("no row for {hex}"))
            .split("</tr>")
            .next()
            .unwrap()
            .to_string()
    };
    let release = row(&pallet[0]);
    assert!(release.contains("data-release=\"true\""), "{release}");
    assert!(
        release.contains("<span class=\"release\">release</span>"),
        "{release}"
    );
    let older = row(HEX_A);
    assert!(older.contains("data-release=\"false\""), "{older}");
    assert!(!older.contains("class=\"release\""), "{older}");
    // The release audited with --digests is the one the page marks, not the workspace's.
    std::fs::rename(ws.path().join("digests"), ws.path().join("elsewhere")).unwrap();
    let run = ws.run(&[
        "audit",
        "--release",
        "--digests",
        "elsewhere",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert!(run.code <= 1, "{run:?}");
    let html = std::fs::read_to_string(&page).unwrap();
    let marked = html
        .split("<tr id=\"img-")
        .skip(1)
        .find(|r| r.contains(&pallet[0][..12]))
        .unwrap();
    assert!(marked.contains("data-release=\"true\""), "{marked}");
}
