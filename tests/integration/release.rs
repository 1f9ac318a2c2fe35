//! Reproduce, then sign: OCI layouts built here, their digests computed and compared, a release
//! signed with each kind of signer, and gated.

use crate::common::*;

#[test]
fn digests_are_computed_per_platform_in_stagexs_format() {
    let (ws, _) = team();
    let (out, busybox, pallet) = out_dir(ws.path(), "out", "v1");
    let run = ws.run(&["digests", "compute", out.to_str().unwrap(), "-o", "digests"]);
    assert_eq!(run.code, 0, "{run:?}");
    let core = std::fs::read_to_string(ws.path().join("digests/core.txt")).unwrap();
    assert_eq!(core, format!("{} core-busybox\n", busybox[0]));
    let platforms = std::fs::read_to_string(ws.path().join("digests/core.platforms")).unwrap();
    assert_eq!(
        platforms,
        format!("{} core-busybox linux/arm64\n", busybox[1])
    );
    let pallet_file = std::fs::read_to_string(ws.path().join("digests/pallet.txt")).unwrap();
    assert_eq!(pallet_file, format!("{} pallet-rust\n", pallet[0]));
    assert!(!ws.path().join("digests/pallet.platforms").exists());
}

#[test]
fn a_blob_that_does_not_match_its_name_is_named() {
    let (ws, _) = team();
    let (out, busybox, _) = out_dir(ws.path(), "out", "v1");
    let bad = out.join("core-busybox/blobs/sha256").join(&busybox[1]);
    std::fs::write(&bad, b"tampered").unwrap();
    let run = ws.run(&["digests", "compute", out.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains(&busybox[1]), "{run:?}");
    assert!(run.stderr.contains("hashes to"), "{run:?}");
}

#[test]
fn a_layout_that_loops_is_refused() {
    let (ws, _) = team();
    let dir = ws.path().join("out/loop");
    // An index that lists itself cannot be written (its digest would change), so two indexes
    // that list each other are impossible too; a loop through index.json's own entry is what a
    // crafted layout can do: the same index twice.
    let inner = r#"{"schemaVersion":2,"manifests":[]}"#;
    let hex = blob(&dir, inner.as_bytes());
    let entry = format!(
        r#"{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:{hex}","size":1}}"#
    );
    std::fs::write(
        dir.join("index.json"),
        format!(r#"{{"schemaVersion":2,"manifests":[{entry},{entry}]}}"#),
    )
    .unwrap();
    let run = ws.run(&["digests", "compute", "out"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("loops"), "{run:?}");
}

#[test]
fn compare_shows_agreement_and_splits() {
    let (ws, _) = team();
    let (a, _, pallet_a) = out_dir(ws.path(), "alice-out", "v1");
    let (b, _, _) = out_dir(ws.path(), "bob-out", "v1");
    let run = ws.run(&[
        "digests",
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("2 agree, 0 differ, 0 missing"),
        "{}",
        run.stdout
    );

    // carol's pallet-rust differs: two on one digest, one on another, shown as such.
    let (c, _, pallet_c) = out_dir(ws.path(), "carol-out", "v2");
    let run = ws.run(&["digests", "compare", "alice-out", "bob-out", "carol-out"]);
    assert_eq!(run.code, 1, "{run:?}");
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with("pallet-rust"))
        .unwrap();
    assert!(row.contains("differ"), "{row}");
    assert!(
        row.contains(&format!("alice-out, bob-out: sha256:{}", pallet_a[0])),
        "{row}"
    );
    assert!(
        row.contains(&format!("carol-out: sha256:{}", pallet_c[0])),
        "{row}"
    );
    // And a unified diff of the digests files.
    assert!(
        run.stdout.contains("--- alice-out/pallet.txt"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("+{} pallet-rust", pallet_c[0])),
        "{}",
        run.stdout
    );
    let _ = c;

    // A digests directory compares with an OUT_DIR; a package one lacks is missing.
    assert_eq!(
        ws.run(&["digests", "compute", "alice-out", "-o", "alice-digests"])
            .code,
        0
    );
    std::fs::remove_dir_all(ws.path().join("bob-out/core-busybox")).unwrap();
    let run = ws.run(&["digests", "compare", "alice-digests", "bob-out"]);
    assert_eq!(run.code, 1, "{run:?}");
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with("core-busybox"))
        .unwrap();
    assert!(
        row.contains("missing") && row.contains("not in bob-out"),
        "{row}"
    );
    let run = ws.run(&["digests", "compare", "alice-digests", "alice-out"]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn sign_rebuilt_refuses_what_the_rebuild_does_not_show() {
    let (ws, keys) = team();
    let (index, pallet) = layout(
        &ws.path().join("out"),
        "pallet-rust",
        "v1",
        &["linux/amd64", "linux/arm64"],
    );
    let key = ws.key_file(&keys[0]);
    let key = key.to_str().unwrap();
    // Not in the rebuild.
    let other = format!("stagex/pallet-rust:{TAG}@sha256:{HEX_A}");
    let run = ws.run(&["sign", &other, "--key", key, "--rebuilt", "out"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("got sha256:"), "{run:?}");
    // The image index: refused, naming the platform manifests to sign instead.
    let run = ws.run(&[
        "sign",
        &format!("stagex/pallet-rust:{TAG}@sha256:{index}"),
        "--key",
        key,
        "--rebuilt",
        "out",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("image index"), "{run:?}");
    assert!(run.stderr.contains(&pallet[1]), "{run:?}");
    // Another package's digest.
    let run = ws.run(&[
        "sign",
        &format!("stagex/pallet-go:{TAG}@sha256:{}", pallet[0]),
        "--key",
        key,
        "--rebuilt",
        "out",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!ws.path().join("signatures").exists());
    // Reproduced: signed.
    let run = ws.run(&[
        "sign",
        &format!("stagex/pallet-rust:{TAG}@sha256:{}", pallet[1]),
        "--key",
        key,
        "--rebuilt",
        "out",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn a_release_is_signed_where_reproduced_and_gated_until_two_maintainers_sign() {
    let (ws, keys, busybox, _) = release_workspace();
    let run = ws.run(&["gate", "--release"]);
    assert_eq!(run.code, 1, "{run:?}");

    // carol: busybox reproduces (both platforms), pallet-rust does not.
    let carol = ws.key_file(&keys[2]);
    let run = ws.run(&[
        "sign",
        "--release",
        "--rebuilt",
        "carol-out",
        "--key",
        carol.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("2 signed, 0 already signed, 1 refused"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("refused  pallet-rust")),
        "{}",
        run.stdout
    );
    // One commit for the batch, holding both files.
    let files = git(ws.path(), &["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(files.lines().count(), 2, "{files}");
    assert_eq!(git(ws.path(), &["rev-list", "--count", "HEAD"]).trim(), "1");
    // Tags come from the layouts; the namespace is quorate.toml's default.
    let report = ws.verify_json(&format!("stagex/core-busybox:{TAG}@sha256:{}", busybox[0]));
    assert_eq!(report["all_valid"], true, "{report}");

    // Short of quorum until a second maintainer signs.
    let run = ws.run(&["gate", "--release"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("Minimum signatures not met: core-busybox: 1 of 2 (carol)"),
        "{}",
        run.stdout
    );

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
    assert!(
        run.stdout.contains("3 signed, 0 already signed, 0 refused"),
        "{}",
        run.stdout
    );
    // Again: nothing new.
    let run = ws.run(&[
        "sign",
        "--release",
        "--rebuilt",
        "bob-out",
        "--key",
        bob.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("0 signed, 3 already signed, 0 refused"),
        "{}",
        run.stdout
    );
    assert_eq!(
        ws.run(&["gate", "--release"]).code,
        1,
        "pallet-rust has only bob"
    );

    let alice = ws.key_file(&keys[0]);
    // alice's rebuild, as a digests directory of her own (the release's is refused).
    copy_digests(&ws, "alice-digests");
    assert_eq!(
        ws.run(&[
            "sign",
            "--release",
            "--rebuilt",
            "alice-digests",
            "--tag",
            TAG,
            "--key",
            alice.to_str().unwrap()
        ])
        .code,
        0
    );
    let run = ws.run(&["gate", "--release"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("core-busybox (linux/arm64)"),
        "{}",
        run.stdout
    );

    // The images about to be pushed must be the release's.
    assert_eq!(
        ws.run(&["gate", "--release", "--rebuilt", "bob-out"]).code,
        0
    );
    let run = ws.run(&[
        "gate",
        "--release",
        "--rebuilt",
        "carol-out",
        "--",
        "touch",
        "pushed",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("Refused: pallet-rust"), "{run:?}");
    assert!(!ws.path().join("pushed").exists());
}

#[test]
fn a_release_without_tags_needs_tag() {
    let (ws, keys, _, _) = release_workspace();
    let alice = ws.key_file(&keys[0]);
    copy_digests(&ws, "alice-digests");
    let run = ws.run(&[
        "sign",
        "--release",
        "--rebuilt",
        "alice-digests",
        "--key",
        alice.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--tag"), "{run:?}");
    assert!(!ws.path().join("signatures").exists());
}

/// A workspace whose maintainers' keys live in a real GnuPG home with its agent.
fn gpg_release() -> (Ws, Gnupg, String, String, Vec<String>) {
    let gnupg = Gnupg::new();
    let alice = gnupg.generate("alice", false);
    let bob = gnupg.generate("bob", true);
    let ws = Ws::new(&[]);
    let mut maintainers = String::new();
    for (handle, fpr) in [("alice", &alice), ("bob", &bob)] {
        maintainers.push_str(&format!(
            "[people.{handle}]\n[keys.{handle}.card]\nid = \"{fpr}\"\n"
        ));
        std::fs::write(
            ws.path().join(format!("keyring/{handle}.pgp")),
            gnupg.gpg(&["--export", fpr]),
        )
        .unwrap();
    }
    std::fs::write(ws.path().join("MAINTAINERS"), maintainers).unwrap();
    let (_, _, pallet) = out_dir(ws.path(), "out", "v1");
    assert_eq!(
        ws.run(&["digests", "compute", "out", "-o", "digests"]).code,
        0
    );
    (ws, gnupg, alice, bob, pallet)
}

#[test]
fn gpg_signs_through_the_agent_with_the_subkey_it_picks() {
    if !have("gpg") {
        return;
    }
    let (ws, gnupg, alice, bob, _) = gpg_release();
    let home = gnupg.home.path();
    let env = [("GNUPGHOME", home)];
    // bob: --signer, a signing subkey chosen by gpg.
    let run = run_env(
        ws.path(),
        &[
            "sign",
            "--release",
            "--rebuilt",
            "out",
            "--gpg",
            "--signer",
            &bob,
        ],
        &env,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("3 signed"), "{}", run.stdout);
    // alice: the key from git config user.signingkey, as StageX's scripts take it.
    git(ws.path(), &["config", "user.signingkey", &alice]);
    let run = run_env(
        ws.path(),
        &["sign", "--release", "--rebuilt", "out", "--gpg"],
        &env,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let run = ws.run(&["gate", "--release"]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn a_gpg_programs_output_is_verified_not_trusted() {
    if !have("gpg") {
        return;
    }
    let (ws, gnupg, alice, bob, pallet) = gpg_release();
    let home = gnupg.home.path();
    let reference = format!("stagex/pallet-rust:{TAG}@sha256:{}", pallet[0]);
    // A wrapper that exits 0 but prints garbage.
    let liar = ws.path().join("liar.sh");
    std::fs::write(
        &liar,
        "#!/bin/sh\ncat >/dev/null\nprintf 'not a signature'\n",
    )
    .unwrap();
    std::fs::set_permissions(&liar, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let run = run_env(
        ws.path(),
        &[
            "sign",
            "--no-rebuild",
            &reference,
            "--gpg",
            "--signer",
            &alice,
            "--gpg-program",
            liar.to_str().unwrap(),
        ],
        &[("GNUPGHOME", home)],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not-openpgp"), "{run:?}");
    assert!(!ws.path().join("signatures").exists());
    // A wrapper that signs with a key no maintainer holds.
    let mallory = gnupg.generate("mallory", false);
    let run = run_env(
        ws.path(),
        &[
            "sign",
            "--no-rebuild",
            &reference,
            "--gpg",
            "--signer",
            &mallory,
        ],
        &[("GNUPGHOME", home)],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!ws.path().join("signatures").exists());
    // A wrapper asked for alice's key that signs with bob's: a valid maintainer signature, but not
    // the one asked for, so nothing is written.
    let swapper = ws.path().join("swapper.sh");
    std::fs::write(
        &swapper,
        format!(
            "#!/bin/sh\nexec gpg --homedir {} --batch --sign --no-armor --local-user {bob}\n",
            home.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &swapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &reference,
        "--gpg",
        "--signer",
        &alice,
        "--gpg-program",
        swapper.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not a maintainer's"), "{run:?}");
    assert!(!ws.path().join("signatures").exists());
    // --gpg-program with its own arguments, as STAGEX_GPG_SIGN may be.
    let program = format!("gpg --homedir {}", home.display());
    let run = ws.run(&[
        "sign",
        "--no-rebuild",
        &reference,
        "--gpg",
        "--signer",
        &alice,
        "--gpg-program",
        &program,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn air_gapped_payload_then_add() {
    if !have("gpg") {
        return;
    }
    let (ws, gnupg, alice, bob, pallet) = gpg_release();
    let reference = format!("stagex/pallet-rust:{TAG}@sha256:{}", pallet[0]);
    let run = ws.run(&["payload", &reference]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout.as_bytes(),
        payload(&format!("docker.io/stagex/pallet-rust:{TAG}"), &pallet[0])
    );
    // Signed on "another machine", carried back as a file.
    std::fs::write(
        ws.path().join("alice.sig"),
        gnupg.stagex_sign(&alice, run.stdout.as_bytes()),
    )
    .unwrap();
    let run = ws.run(&["add", "alice.sig", &reference]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("signature-1"), "{}", run.stdout);
    assert!(run.stdout.contains("committed"), "{}", run.stdout);
    // The same file again: nothing written.
    let run = ws.run(&["add", "alice.sig", &reference]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("already signed"), "{}", run.stdout);
    // A signature of another image is refused with its reasons, and nothing is placed.
    let other = payload(&format!("docker.io/stagex/pallet-rust:{TAG}"), HEX_A);
    std::fs::write(ws.path().join("bob.sig"), gnupg.stagex_sign(&bob, &other)).unwrap();
    let run = ws.run(&["add", "bob.sig", &reference]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("digest-mismatch"), "{run:?}");
    assert!(!ws
        .image_dir("pallet-rust", &pallet[0])
        .join("signature-2")
        .exists());
}

#[test]
fn an_interrupted_release_signing_is_completed_by_the_next_run() {
    let (ws, keys, _, _) = release_workspace();
    let bob = ws.key_file(&keys[1]);
    let args = [
        "sign",
        "--release",
        "--rebuilt",
        "bob-out",
        "--key",
        bob.to_str().unwrap(),
    ];
    // Killed right after the first file is linked into place.
    let run = run_failing_at(ws.path(), &args, "tree-linked");
    assert_eq!(run.code, -1, "{run:?}");
    let status = git(ws.path(), &["status", "--porcelain", "signatures"]);
    assert_eq!(status.lines().count(), 1, "{status}");
    let run = ws.run(&args);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("2 signed, 1 already signed, 0 refused"),
        "{}",
        run.stdout
    );
    // The file the interrupted run placed is committed with the rest.
    assert_eq!(git(ws.path(), &["status", "--porcelain", "signatures"]), "");
    let files = git(ws.path(), &["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(files.lines().count(), 3, "{files}");
}
