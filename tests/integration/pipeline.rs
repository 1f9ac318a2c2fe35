//! From a maintainer's rebuild to an image podman pulls, with no hand-written glue: `gate -- CMD`
//! hands CMD what it verified, `publish` writes the lookaside, CI runs unattended, and `status`
//! says what is left to do. Against the real skopeo, podman, docker-registry, git and a static
//! HTTP server on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// A script of the docs, written executable into `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// alice, bob and carol (threshold 2) publishing to the registry's `team` namespace; `out/`
/// holds hello and greeter, digests/ the release computed from it, and alice and bob signed it.
fn signed_release(registry: &Server) -> (Ws, [TestKey; 3], [String; 2]) {
    let (ws, keys) = team();
    let namespace = format!("127.0.0.1:{}/team", registry.port);
    std::fs::write(
        ws.path().join("quorate.toml"),
        format!("threshold = 2\nnamespace = \"{namespace}\"\n"),
    )
    .unwrap();
    let out = ws.path().join("out");
    let hello = real_layout(&out, "core-hello", "hello 1.0", "1.0");
    let greeter = real_layout(&out, "core-greeter", "greeter 1.0", "1.0");
    let run = ws.run(&["digests", "compute", "out", "-o", "digests"]);
    assert_eq!(run.code, 0, "{run:?}");
    commit_all(ws.path(), "release");
    for key in &keys[..2] {
        let file = ws.key_file(key);
        let run = ws.run(&[
            "sign",
            "--release",
            "--rebuilt",
            "out",
            "--key",
            file.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    (ws, keys, [hello, greeter])
}

/// The manifest digest the registry serves for `repository@sha256:hex`, if any.
fn served(repository: &str, hex: &str) -> Option<String> {
    let out = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{repository}@sha256:{hex}"))
        .output()
        .unwrap();
    out.status.success().then(|| hex_sha256(&out.stdout))
}

/// `gate -- CMD` hands CMD the images it verified (QUORATE_GATED, QUORATE_GATED_REFS), and
/// docs/json.md's push script pushes exactly those, by digest, to the real registry; a layout
/// changed after the gate pushes nothing.
#[test]
fn gate_hands_the_push_script_what_it_verified() {
    if !consumers_here() || !have("jq") {
        return;
    }
    let registry = registry();
    let (ws, _keys, [hello, greeter]) = signed_release(&registry);
    let namespace = format!("127.0.0.1:{}/team", registry.port);
    script(
        ws.path(),
        "push.sh",
        &doc_script("docs/json.md", "# push.sh"),
    );
    let env = [("SKOPEO_FLAGS", "--dest-tls-verify=false")];
    let seen = ws.path().join("seen");
    let show = script(
        ws.path(),
        "show.sh",
        &format!(
            "#!/bin/sh\necho \"$QUORATE_GATED\" > {0}/path && cp \"$QUORATE_GATED\" {0}/gated.json && printf '%s\\n' \"$QUORATE_GATED_REFS\" > {0}/refs && exec ./push.sh\n",
            seen.display()
        ),
    );
    std::fs::create_dir(&seen).unwrap();
    let run = run_env(
        ws.path(),
        &[
            "gate",
            "--release",
            "--rebuilt",
            "out",
            "--",
            show.to_str().unwrap(),
        ],
        &env,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let gated: serde_json::Value =
        serde_json::from_slice(&std::fs::read(seen.join("gated.json")).unwrap()).unwrap();
    assert_eq!(gated["threshold"], 2);
    let images = gated["images"].as_array().unwrap();
    assert_eq!(images.len(), 2, "{gated}");
    let greeter_image = &images[0];
    assert_eq!(greeter_image["package"], "core-greeter");
    assert_eq!(greeter_image["platform"], "linux/amd64");
    assert_eq!(greeter_image["tag"], "1.0");
    assert_eq!(greeter_image["digest"], format!("sha256:{greeter}"));
    assert_eq!(
        greeter_image["reference"],
        format!("{namespace}/core-greeter:1.0@sha256:{greeter}")
    );
    let layout = ws.path().join("out/core-greeter");
    assert_eq!(
        Path::new(greeter_image["layout"].as_str().unwrap()),
        std::fs::canonicalize(&layout).unwrap()
    );
    assert!(greeter_image["manifest"]
        .as_str()
        .unwrap()
        .ends_with(&format!("out/core-greeter/blobs/sha256/{greeter}")));
    assert_eq!(
        std::fs::read_to_string(seen.join("refs")).unwrap(),
        format!(
            "{namespace}/core-greeter:1.0@sha256:{greeter}\n{namespace}/core-hello:1.0@sha256:{hello}\n"
        )
    );
    // The file was made for CMD alone and is gone once it ended.
    let handed = std::fs::read_to_string(seen.join("path")).unwrap();
    assert!(!Path::new(handed.trim()).exists(), "{handed}");
    assert_eq!(
        served(&format!("{namespace}/core-hello"), &hello).as_deref(),
        Some(hello.as_str())
    );
    assert_eq!(
        served(&format!("{namespace}/core-greeter"), &greeter).as_deref(),
        Some(greeter.as_str())
    );

    // Between the gate and the push, out/ changes: the script still pushes by the gated
    // digest, and the registry refuses a manifest that is not it.
    let registry2 = self::registry();
    let (ws2, _keys, [hello2, _]) = signed_release(&registry2);
    let namespace2 = format!("127.0.0.1:{}/team", registry2.port);
    script(
        ws2.path(),
        "push.sh",
        &doc_script("docs/json.md", "# push.sh"),
    );
    let evil = tempfile::tempdir().unwrap();
    real_layout(
        evil.path(),
        "core-hello",
        "hello 1.0 with something else",
        "1.0",
    );
    let swap_then_push = script(
        ws2.path(),
        "swap-then-push.sh",
        &format!(
            "#!/bin/sh\nset -e\nrm -r out/core-hello\ncp -r {} out/core-hello\nexec ./push.sh\n",
            evil.path().join("core-hello").display()
        ),
    );
    let run = run_env(
        ws2.path(),
        &[
            "gate",
            "--release",
            "--rebuilt",
            "out",
            "--",
            swap_then_push.to_str().unwrap(),
        ],
        &env,
    );
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("Digest of source image's manifest would not match destination reference"),
        "{run:?}"
    );
    assert_eq!(served(&format!("{namespace2}/core-hello"), &hello2), None);
}

/// Every file below `dir`, relative, sorted.
fn files_below(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| !e.file_type().is_dir())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    files
}

/// `quorate publish DIR`: exactly podman's lookaside layout of a revision (no .quorate/, no
/// .gitkeep), swapped in whole, saying what changed; unchanged leaves DIR alone; a gap, a
/// directory holding other files and `--at` an older revision are handled as podman and the
/// server's owner need; `audit --published` finds nothing missing on the static server.
#[test]
fn publish_writes_exactly_the_lookaside_of_a_revision() {
    let (ws, [alice, bob, _], busybox, _) = release_workspace();
    std::fs::create_dir_all(ws.path().join("signatures/.quorate")).unwrap();
    std::fs::write(ws.path().join("signatures/.quorate/notes"), "internal").unwrap();
    std::fs::write(ws.path().join("signatures/.gitkeep"), "").unwrap();
    commit_all(ws.path(), "release");
    let sign_release = |key: &TestKey, out: &str| {
        let file = ws.key_file(key);
        let run = ws.run(&[
            "sign",
            "--release",
            "--rebuilt",
            out,
            "--key",
            file.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{run:?}");
    };
    sign_release(&alice, "alice-out");
    let first = git(ws.path(), &["rev-parse", "HEAD"]).trim().to_string();
    let site = tempfile::tempdir().unwrap();
    let dir = site.path().join("lookaside");
    let publish = |args: &[&str]| {
        let mut all = vec!["publish", dir.to_str().unwrap()];
        all.extend_from_slice(args);
        ws.run(&all)
    };
    let run = publish(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    let image = |hex: &str| format!("stagex/core-busybox@sha256={hex}");
    let one = files_below(&dir);
    assert_eq!(one.len(), 3, "{one:?}");
    assert!(
        one.contains(&format!("{}/signature-1", image(&busybox[0]))),
        "{one:?}"
    );
    assert!(one
        .iter()
        .all(|f| !f.contains(".quorate") && !f.contains(".gitkeep")));
    assert!(
        run.stdout.contains("3 added, 0 replaced, 0 removed"),
        "{run:?}"
    );
    assert_eq!(run.stdout.matches("added ").count(), 3, "{run:?}");
    // Nothing but DIR is left beside it.
    assert_eq!(std::fs::read_dir(site.path()).unwrap().count(), 1);

    let server = http_server(site.path());
    let url = format!("http://127.0.0.1:{}/lookaside", server.port);
    let run = ws.run(&["audit", "--published", &url]);
    assert!(!run.stdout.contains("published-"), "{run:?}");

    // bob signs: the next publish adds his files, says so; then unchanged is unchanged.
    sign_release(&bob, "bob-out");
    let run = ws.run(&["audit", "--published", &url]);
    assert!(run.stdout.contains("published-missing"), "{run:?}");
    let run = publish(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("3 added, 0 replaced, 0 removed"),
        "{run:?}"
    );
    assert_eq!(files_below(&dir).len(), 6);
    let run = ws.run(&["audit", "--published", &url]);
    assert!(!run.stdout.contains("published-"), "{run:?}");
    let before = std::fs::metadata(&dir).unwrap();
    let run = publish(&[]);
    assert!(run.stdout.starts_with("unchanged: "), "{run:?}");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&dir).unwrap().ino(), before.ino());

    // An older revision: what is gone is removed, and said.
    let run = publish(&["--at", &first]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("0 added, 0 replaced, 3 removed"),
        "{run:?}"
    );
    assert_eq!(files_below(&dir), one);

    // A gap podman would stop short in: refused, DIR as it was.
    let gapped = ws.image_dir("core-busybox", &busybox[0]);
    std::fs::rename(gapped.join("signature-1"), gapped.join("signature-3")).unwrap();
    commit_all(ws.path(), "a gap");
    let run = publish(&[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "signatures/{}: signature-1 is missing before signature-2",
            image(&busybox[0])
        )),
        "{run:?}"
    );
    assert_eq!(files_below(&dir), one);

    // A directory holding what publish did not write is not replaced.
    let other = site.path().join("www");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("index.html"), "hello").unwrap();
    let run = ws.run(&["publish", other.to_str().unwrap(), "--at", &first]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("index.html, which publish does not write"),
        "{run:?}"
    );
    assert_eq!(
        std::fs::read_to_string(other.join("index.html")).unwrap(),
        "hello"
    );
}

/// The digest of version 1 of `ws`'s chain, as `trust status` prints it (what CI pins).
fn first_version_digest(ws: &Ws) -> String {
    let status: serde_json::Value =
        serde_json::from_str(&ws.run(&["trust", "status", "--json"]).stdout).unwrap();
    status["versions"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `--require-anchor` (and QUORATE_REQUIRE_ANCHOR=1) refuses to trust a fresh clone's chain as
/// found (exit 1) and passes once the anchor is pinned; `--quiet` leaves only the result and
/// warnings.
#[test]
fn ci_requires_a_pinned_anchor_and_can_be_quiet() {
    let (ws, _keys) = chained();
    let digest = first_version_digest(&ws);
    // A fresh clone, as CI has: it remembers nothing.
    let clones = tempfile::tempdir().unwrap();
    git(
        clones.path(),
        &["clone", "-q", ws.path().to_str().unwrap(), "ci"],
    );
    let ci = clones.path().join("ci");
    let out = ci.join("policy");
    let export = ["policy", "export", "-o", out.to_str().unwrap()];
    let with = |flags: &[&str], env: &[(&str, &str)]| {
        let args: Vec<&str> = flags.iter().chain(export.iter()).copied().collect();
        run_env(&ci, &args, env)
    };
    for refused in [
        with(&["--require-anchor"], &[]),
        with(&[], &[("QUORATE_REQUIRE_ANCHOR", "1")]),
    ] {
        assert_eq!(refused.code, 1, "{refused:?}");
        assert!(
            refused.stderr.contains("--require-anchor: no trust anchor")
                && refused.stderr.contains("trust on first use"),
            "{refused:?}"
        );
        assert!(!out.exists());
    }
    let run = with(&[], &[("QUORATE_REQUIRE_ANCHOR", "0")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("trust: verified from version 1 as found"),
        "{run:?}"
    );
    let pinned = ["--require-anchor", "--trust-anchor", &digest];
    let run = with(&pinned, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let noted = with(&[], &[]);
    assert!(noted.stderr.contains("trust: verified from"), "{noted:?}");
    let quiet = with(&["--quiet"], &[]);
    assert_eq!(quiet.code, 0, "{quiet:?}");
    assert_eq!(quiet.stderr, "", "{quiet:?}");
    assert_eq!(quiet.stdout, noted.stdout);
    // Quiet keeps warnings: a workspace with no chain is still said to be unprotected, and an
    // anchor is still required of it.
    let (bare, _) = team();
    let run = run_env(
        bare.path(),
        &["--quiet", "verify", &reference(&"a".repeat(64))],
        &[("QUORATE_QUIET", "1")],
    );
    assert!(
        run.stderr
            .contains("warning: the maintainer set is unprotected"),
        "{run:?}"
    );
    let run = bare.run(&["--require-anchor", "verify", &reference(&"a".repeat(64))]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("--require-anchor: no trust anchor"),
        "{run:?}"
    );
}

/// `sync` and `status` under `--require-anchor` refuse as verify and gate do (exit 1) when a
/// fresh clone has nothing pinned: sync before it fetches or pushes anything, and without
/// remembering the chain as found (which would make it the clone's anchor for the next
/// `--require-anchor` run); pinned, both run.
#[test]
fn sync_and_status_require_an_anchor_as_gate_does() {
    let (ws, _keys) = chained();
    let digest = first_version_digest(&ws);
    let dirs = tempfile::tempdir().unwrap();
    let origin = dirs.path().join("origin.git");
    git(
        dirs.path(),
        &[
            "clone",
            "-q",
            "--bare",
            ws.path().to_str().unwrap(),
            "origin.git",
        ],
    );
    git(
        dirs.path(),
        &["clone", "-q", origin.to_str().unwrap(), "ci"],
    );
    let ci = dirs.path().join("ci");
    git(&ci, &["commit", "-q", "--allow-empty", "-m", "local"]);
    let published = git(&origin, &["rev-parse", "HEAD"]);
    let memory = ci.join(".git/quorate/trust-anchor");
    let status = ["status", "--signer", "alice", "--no-fetch"];
    for (flags, env) in [
        (vec!["--require-anchor"], vec![]),
        (vec![], vec![("QUORATE_REQUIRE_ANCHOR", "1")]),
    ] {
        for command in [&["sync"][..], &status[..]] {
            let args: Vec<&str> = flags.iter().chain(command).copied().collect();
            let refused = run_env(&ci, &args, &env);
            assert_eq!(refused.code, 1, "{args:?}: {refused:?}");
            assert!(
                refused.stderr.contains("--require-anchor: no trust anchor"),
                "{args:?}: {refused:?}"
            );
            assert!(!memory.exists(), "{args:?} remembered the chain as found");
            assert_eq!(git(&origin, &["rev-parse", "HEAD"]), published);
        }
    }
    let pinned = ["--require-anchor", "--trust-anchor", &digest];
    let args: Vec<&str> = pinned.iter().chain(&["sync"]).copied().collect();
    let run = run_env::<&str>(&ci, &args, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_ne!(git(&origin, &["rev-parse", "HEAD"]), published);
    let args: Vec<&str> = pinned.iter().chain(&status).copied().collect();
    let run = run_env::<&str>(&ci, &args, &[]);
    assert_eq!(run.code, 0, "{run:?}");
}

/// The directory of the quorate binary, first on PATH: the docs' scripts call `quorate`.
fn path_with_quorate() -> std::ffi::OsString {
    let bin = Path::new(env!("CARGO_BIN_EXE_quorate")).parent().unwrap();
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

/// A docs script run with `sh` in `dir`.
fn run_script(dir: &Path, body: &str, env: &[(&str, &str)]) -> Run {
    let out = Command::new("sh")
        .arg("-c")
        .arg(body)
        .current_dir(dir)
        .env("PATH", path_with_quorate())
        .env_remove("QUORATE_TRUST_ANCHOR")
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The commands of a script, without comments or blank lines.
fn commands_of(script: &str) -> Vec<&str> {
    script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// docs/ci.md's jobs, end to end: a bare remote holding a release alice and bob signed (the
/// chain started), a fresh CI clone running the exact lines of both the GitHub Actions and the
/// GitLab CI job against the local registry, then the static server serving what it published.
/// Without the anchor configured, the job fails and pushes nothing.
#[test]
fn ci_jobs_run_end_to_end() {
    if !consumers_here() || !have("jq") || !have("make") {
        return;
    }
    let release = doc_script("docs/ci.md", "# ci-release.sh");
    let check = doc_script("docs/ci.md", "# ci-check-published.sh");
    for (marker, what) in [
        ("actions/checkout", "GitHub Actions"),
        ("stages:", "GitLab CI"),
    ] {
        let job = doc_block("docs/ci.md", "yaml", marker);
        let lines: Vec<&str> = job.lines().map(str::trim).collect();
        for command in commands_of(&release).into_iter().chain(commands_of(&check)) {
            assert!(
                lines.contains(&command),
                "the {what} job does not run `{command}`"
            );
        }
    }

    let registry = registry();
    let namespace = format!("127.0.0.1:{}/team", registry.port);
    let keys = team_keys();
    let built = tempfile::tempdir().unwrap();
    let hello = real_layout(built.path(), "core-hello", "hello 2.0", "2.0");
    let net = Net::new(
        &[
            ("alice", &[&keys[0]]),
            ("bob", &[&keys[1]]),
            ("carol", &[&keys[2]]),
        ],
        |dir| {
            std::fs::write(
                dir.join("quorate.toml"),
                format!("threshold = 2\nnamespace = \"{namespace}\"\n"),
            )
            .unwrap();
            script(dir, "push.sh", &doc_script("docs/json.md", "# push.sh"));
            std::fs::write(
                dir.join("Makefile"),
                "all:\n\trm -rf out && cp -r \"$(PREBUILT)\" out\n",
            )
            .unwrap();
            std::fs::write(dir.join(".gitignore"), "out/\npublic/\naudit.html\n").unwrap();
            let run = run_in(
                dir,
                &[
                    "digests",
                    "compute",
                    built.path().to_str().unwrap(),
                    "-o",
                    "digests",
                ],
            );
            assert_eq!(run.code, 0, "{run:?}");
        },
    );
    let alice = net.clone("alice");
    assert_eq!(run_in(&alice, &["trust", "propose"]).code, 0);
    for key in &keys[..2] {
        let file = key_beside(&alice, key);
        let run = run_in(&alice, &["trust", "sign", "--key", file.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
        let run = run_in(
            &alice,
            &[
                "sign",
                "--release",
                "--rebuilt",
                built.path().to_str().unwrap(),
                "--key",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 0, "{run:?}");
    }
    let run = run_in(&alice, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    let status: serde_json::Value =
        serde_json::from_str(&run_in(&alice, &["trust", "status", "--json"]).stdout).unwrap();
    let anchor = status["versions"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();

    let prebuilt = built.path().to_str().unwrap();
    let base = [
        ("SKOPEO_FLAGS", "--dest-tls-verify=false"),
        ("PREBUILT", prebuilt),
    ];
    // The anchor missing from the CI settings: refused, nothing pushed or published.
    let unpinned = net.clone("ci-unpinned");
    let run = run_script(&unpinned, &release, &base);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("--require-anchor: no trust anchor"),
        "{run:?}"
    );
    assert_eq!(served(&format!("{namespace}/core-hello"), &hello), None);
    assert!(!unpinned.join("public").exists());

    let ci = net.clone("ci");
    let mut env = base.to_vec();
    env.push(("QUORATE_TRUST_ANCHOR", &anchor));
    let run = run_script(&ci, &release, &env);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stderr.contains("trust: verified"), "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("pushed {namespace}/core-hello@sha256:{hello}")),
        "{run:?}"
    );
    assert_eq!(
        served(&format!("{namespace}/core-hello"), &hello).as_deref(),
        Some(hello.as_str())
    );
    assert_eq!(files_below(&ci.join("public")).len(), 2);
    assert!(std::fs::read_to_string(ci.join("audit.html"))
        .unwrap()
        .contains("<html"));

    let pages = http_server(&ci.join("public"));
    let url = format!("http://127.0.0.1:{}/", pages.port);
    let mut env = vec![
        ("QUORATE_TRUST_ANCHOR", anchor.as_str()),
        ("LOOKASIDE_URL", url.as_str()),
    ];
    let run = run_script(&ci, &check, &env);
    assert_eq!(run.code, 0, "{run:?}");
    // What is served going stale is what the check is for.
    let served_file = ci
        .join("public")
        .join(files_below(&ci.join("public"))[0].clone());
    std::fs::remove_file(served_file).unwrap();
    env.truncate(2);
    let run = run_script(&ci, &check, &env);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("published-missing"), "{run:?}");
}

/// `quorate status`: bob's view of his work, in his own clone, as alice signs and pushes: what
/// he has not signed, what is short of quorum, the trust proposal awaiting him, and how far his
/// clone is behind the remote; text and `--json`, the signer found from git's signing key.
#[test]
fn status_says_what_the_signer_still_has_to_do() {
    let keys = team_keys();
    let rebuilds = tempfile::tempdir().unwrap();
    let (alice_out, busybox, pallet) = out_dir(rebuilds.path(), "alice-out", "v1");
    let (bob_out, _, _) = out_dir(rebuilds.path(), "bob-out", "v1");
    let net = Net::new(
        &[
            ("alice", &[&keys[0]]),
            ("bob", &[&keys[1]]),
            ("carol", &[&keys[2]]),
        ],
        |dir| {
            let run = run_in(
                dir,
                &[
                    "digests",
                    "compute",
                    alice_out.to_str().unwrap(),
                    "-o",
                    "digests",
                ],
            );
            assert_eq!(run.code, 0, "{run:?}");
        },
    );
    let alice = net.clone("alice");
    let bob = net.clone("bob");
    git(&bob, &["config", "user.signingkey", &keys[1].fingerprint()]);
    let status = |args: &[&str]| {
        let mut all = vec!["status"];
        all.extend_from_slice(args);
        run_in(&bob, &all)
    };
    let json = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let run = status(&all);
        assert_eq!(run.code, 0, "{run:?}");
        serde_json::from_str(&run.stdout).unwrap()
    };
    let packages = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|i| {
                i["reference"]
                    .as_str()
                    .unwrap()
                    .rsplit_once('@')
                    .unwrap()
                    .1
                    .to_string()
            })
            .collect()
    };
    let all = vec![
        format!("sha256:{}", busybox[0]),
        format!("sha256:{}", busybox[1]),
        format!("sha256:{}", pallet[0]),
    ];
    let now = json(&[]);
    assert_eq!(now["signer"], "bob");
    assert_eq!(now["release_images"], 3);
    assert_eq!(packages(&now["to_sign"]), all);
    assert_eq!(packages(&now["short_of_quorum"]), all);
    assert_eq!(now["trust_to_approve"], serde_json::Value::Null);
    assert_eq!(now["remote"]["behind"], 0);
    assert_eq!(now["remote"]["ahead"], 0);

    // alice proposes the first trust root, approves it, signs the release and pushes.
    assert_eq!(run_in(&alice, &["trust", "propose"]).code, 0);
    let key = key_beside(&alice, &keys[0]);
    assert_eq!(
        run_in(&alice, &["trust", "sign", "--key", key.to_str().unwrap()]).code,
        0
    );
    let run = run_in(
        &alice,
        &[
            "sign",
            "--release",
            "--rebuilt",
            alice_out.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let run = run_in(&alice, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    // Without fetching, bob's clone does not know yet.
    assert!(status(&["--no-fetch"])
        .stdout
        .contains("remote: origin/main: up to date"));
    let run = status(&[]);
    assert!(
        run.stdout
            .contains("remote: origin/main: 3 commits behind (git pull --ff-only)"),
        "{run:?}"
    );
    git(&bob, &["pull", "-q", "--ff-only"]);
    let now = json(&["--signer", "bob"]);
    assert_eq!(now["remote"]["behind"], 0);
    assert_eq!(packages(&now["to_sign"]), all);
    assert_eq!(packages(&now["short_of_quorum"]), all);
    assert_eq!(
        now["short_of_quorum"][0]["signers"],
        serde_json::json!(["alice"])
    );
    assert_eq!(now["trust_to_approve"]["version"], 1);
    assert_eq!(
        now["trust_to_approve"]["approved_by"],
        serde_json::json!(["alice"])
    );
    let run = status(&[]);
    assert!(run.stdout.contains("trust: version 1 (sha256:"), "{run:?}");
    assert!(
        run.stdout
            .contains("core-busybox: 1 of 2 (alice); not yet signed by: bob, carol"),
        "{run:?}"
    );

    // bob approves and signs: nothing left for him but to publish.
    let key = key_beside(&bob, &keys[1]);
    assert_eq!(
        run_in(&bob, &["trust", "sign", "--key", key.to_str().unwrap()]).code,
        0
    );
    let run = run_in(
        &bob,
        &[
            "sign",
            "--release",
            "--rebuilt",
            bob_out.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let now = json(&[]);
    assert_eq!(now["to_sign"], serde_json::json!([]));
    assert_eq!(now["short_of_quorum"], serde_json::json!([]));
    assert_eq!(now["trust_to_approve"], serde_json::Value::Null);
    assert_eq!(now["remote"]["ahead"], 2);
    let run = status(&[]);
    assert!(
        run.stdout.contains("signed by you: every release image"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("2 commits to publish (quorate sync)"),
        "{run:?}"
    );
    // carol is found by her key too, and a key of no maintainer is bad input.
    let carol = json(&["--signer", &keys[2].fingerprint()]);
    assert_eq!(carol["signer"], "carol");
    assert_eq!(packages(&carol["to_sign"]), all);
    let run = status(&["--signer", &TestKey::new("mallory").fingerprint()]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("names no maintainer"), "{run:?}");
}

/// One maintainer of the walk: a gpg home with their key, and their clone.
struct Maintainer {
    handle: &'static str,
    gnupg: Gnupg,
    fingerprint: String,
    clone: PathBuf,
}

impl Maintainer {
    /// quorate in their clone, as in their shell (their GNUPGHOME).
    fn run(&self, args: &[&str]) -> Run {
        let run = run_env(&self.clone, args, &[("GNUPGHOME", self.gnupg.home.path())]);
        assert_eq!(run.code, 0, "{} {args:?}: {run:?}", self.handle);
        run
    }
}

/// The README's quick start, walked by three maintainers with the real gpg, git, skopeo,
/// podman, docker-registry and a static HTTP server: init → maintainers → trust → rebuild →
/// digests → sign → concurrent sync → gate with a push → publish → podman pull through the
/// exported policy. An image of the same repository that the quorum did not sign is not pulled.
#[test]
fn the_pipeline_from_init_to_podman_pull() {
    if !consumers_here() || !have("jq") || !have("gpg") {
        return;
    }
    let registry = registry();
    let namespace = format!("127.0.0.1:{}/team", registry.port);
    let place = tempfile::tempdir().unwrap();
    let remote = place.path().join("remote.git");
    std::fs::create_dir(&remote).unwrap();
    git(&remote, &["init", "-q", "--bare", "-b", "main"]);
    let people: Vec<Maintainer> = ["alice", "bob", "carol"]
        .into_iter()
        .map(|handle| {
            let gnupg = Gnupg::new();
            let fingerprint = gnupg.generate(handle, false);
            Maintainer {
                handle,
                gnupg,
                fingerprint,
                clone: place.path().join(handle),
            }
        })
        .collect();
    let [alice, bob, carol] = [&people[0], &people[1], &people[2]];

    // alice sets the workspace up: init, the maintainers, published with sync.
    std::fs::create_dir(&alice.clone).unwrap();
    git(&alice.clone, &["init", "-q", "-b", "main"]);
    let identify = |m: &Maintainer| {
        git(&m.clone, &["config", "user.name", m.handle]);
        git(
            &m.clone,
            &["config", "user.email", &format!("{}@example.org", m.handle)],
        );
        git(&m.clone, &["config", "user.signingkey", &m.fingerprint]);
    };
    identify(alice);
    alice.run(&["init", "--namespace", &namespace]);
    for m in &people {
        let cert = place.path().join(format!("{}.asc", m.handle));
        std::fs::write(&cert, m.gnupg.gpg(&["--armor", "--export", &m.fingerprint])).unwrap();
        let email = format!("{}@example.org", m.handle);
        alice.run(&[
            "maintainers",
            "add",
            m.handle,
            "--name",
            m.handle,
            "--email",
            &email,
            cert.to_str().unwrap(),
        ]);
    }
    script(
        &alice.clone,
        "push.sh",
        &doc_script("docs/json.md", "# push.sh"),
    );
    std::fs::write(alice.clone.join(".gitignore"), "out/\npublic/\n").unwrap();
    commit_all(&alice.clone, "The maintainers, and the push script");
    git(
        &alice.clone,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    let run = alice.run(&["sync"]);
    assert!(run.stdout.contains("pushed to origin main"), "{run:?}");
    for m in [bob, carol] {
        git(
            place.path(),
            &["clone", "-q", remote.to_str().unwrap(), m.handle],
        );
        identify(m);
    }

    // The trust root: alice proposes, alice and bob approve; version 1 comes into force.
    alice.run(&["trust", "propose"]);
    alice.run(&["trust", "sign", "--gpg"]);
    alice.run(&["sync"]);
    let run = bob.run(&["sync"]);
    assert!(
        run.stdout
            .contains("sync: brought in trust root version 1 ("),
        "{run:?}"
    );
    let run = bob.run(&["trust", "sign", "--gpg"]);
    assert!(run.stdout.contains("version 1 is in force"), "{run:?}");
    bob.run(&["sync"]);
    let status: serde_json::Value =
        serde_json::from_str(&bob.run(&["trust", "status", "--json"]).stdout).unwrap();
    let anchor = status["versions"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();

    // Each rebuilds (the same sources, the same digests); alice commits the release's digests.
    let mut digests = Vec::new();
    for m in &people {
        let out = m.clone.join("out");
        digests = vec![
            real_layout(&out, "core-hello", "hello 1.0", "1.0"),
            real_layout(&out, "core-greeter", "greeter 1.0", "1.0"),
        ];
    }
    alice.run(&["sync"]);
    alice.run(&["digests", "compute", "out", "-o", "digests"]);
    commit_all(&alice.clone, "Release digests");
    alice.run(&["sync"]);
    for m in [bob, carol] {
        m.run(&["sync"]);
        m.run(&["digests", "compare", "digests", "out"]);
    }

    // Everyone signs what they rebuilt, then all sync at once.
    for m in &people {
        m.run(&["sign", "--release", "--rebuilt", "out", "--gpg"]);
        let status = m.run(&["status", "--json"]);
        let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
        assert_eq!(status["to_sign"], serde_json::json!([]), "{status}");
    }
    let synced: Vec<Run> = std::thread::scope(|s| {
        let handles: Vec<_> = people
            .iter()
            .map(|m| s.spawn(|| run_in(&m.clone, &["sync"])))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (m, run) in people.iter().zip(&synced) {
        assert_eq!(run.code, 0, "{}'s sync: {run:?}", m.handle);
    }

    // The release, from a clone of what was pushed: gated with the push, then published.
    git(
        place.path(),
        &["clone", "-q", remote.to_str().unwrap(), "release"],
    );
    let release = place.path().join("release");
    for (package, content) in [("core-hello", "hello 1.0"), ("core-greeter", "greeter 1.0")] {
        real_layout(&release.join("out"), package, content, "1.0");
    }
    let env = [
        ("SKOPEO_FLAGS", "--dest-tls-verify=false"),
        ("QUORATE_TRUST_ANCHOR", anchor.as_str()),
        ("QUORATE_REQUIRE_ANCHOR", "1"),
    ];
    let run = run_env(
        &release,
        &["gate", "--release", "--rebuilt", "out", "--", "./push.sh"],
        &env,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("gate passed: 2 of 2 images signed by at least 2"),
        "{run:?}"
    );
    let run = run_env(&release, &["publish", "public"], &env);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("published 2 images (6 signatures)"),
        "{run:?}"
    );
    let pages = http_server(&release.join("public"));
    let url = format!("http://127.0.0.1:{}/", pages.port);
    let run = run_env(&release, &["audit", "--published", &url], &env);
    assert!(!run.stdout.contains("published-"), "{run:?}");
    let policy = release.join("policy");
    let run = run_env(
        &release,
        &[
            "policy",
            "export",
            "-o",
            policy.to_str().unwrap(),
            "--lookaside",
            &url,
        ],
        &env,
    );
    assert_eq!(run.code, 0, "{run:?}");

    // podman pulls the release through the exported policy, and not an unsigned image.
    let hello = &digests[0];
    podman_pulls(&policy, &format!("{namespace}/core-hello@sha256:{hello}")).unwrap();
    let other = tempfile::tempdir().unwrap();
    let unsigned = real_layout(other.path(), "core-hello", "hello 1.0, changed", "1.0");
    let out = Command::new("skopeo")
        .args(["copy", "--quiet", "--dest-tls-verify=false"])
        .arg(format!(
            "oci:{}:1.0",
            other.path().join("core-hello").display()
        ))
        .arg(format!("docker://{namespace}/core-hello:unsigned"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let refused = podman_pulls(
        &policy,
        &format!("{namespace}/core-hello@sha256:{unsigned}"),
    );
    assert!(refused.is_err(), "podman pulled an image nobody signed");
}

/// The README's quick start is the walk above, step by step: its quorate commands, in order,
/// are the ones `the_pipeline_from_init_to_podman_pull` runs.
#[test]
fn the_quick_start_is_the_walk() {
    let quick = doc_block("README.md", "sh", "quorate init --namespace");
    let steps: Vec<String> = quick
        .lines()
        .flat_map(|line| line.split("&&"))
        .filter_map(|command| {
            let words: Vec<&str> = command.split_whitespace().collect();
            (words.first() == Some(&"quorate")).then(|| {
                let sub = words[1];
                match words.get(2) {
                    Some(next) if ["maintainers", "trust", "digests", "policy"].contains(&sub) => {
                        format!("{sub} {next}")
                    }
                    _ => sub.to_string(),
                }
            })
        })
        .collect();
    assert_eq!(
        steps,
        [
            "init",
            "maintainers add",
            "sync",
            "trust propose",
            "trust sign",
            "sync",
            "digests compute",
            "digests compare",
            "sign",
            "status",
            "sync",
            "gate",
            "publish",
            "policy export",
        ]
    );
    let walk = std::fs::read_to_string(file!()).unwrap();
    // Compared without whitespace, so rustfmt's line breaks do not matter.
    let walk: String = walk[walk
        .find("fn the_pipeline_from_init_to_podman_pull")
        .unwrap()..]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut from = 0;
    for step in &steps {
        let args = step
            .split(' ')
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(",");
        let at = walk[from..].find(&format!("[{args}")).unwrap_or_else(|| {
            panic!("the walk does not run `quorate {step}` after the steps before it")
        });
        from += at;
    }
}
