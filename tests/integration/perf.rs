//! What is done, counted, never timed. (That a revision's tree objects are read from git once
//! each is unit-tested in src/workspace/tree.rs: `Revision` is the library's own.)

use crate::common::*;

/// A gpg-made certificate binds its key with user ID self-signatures only (no direct-key
/// signature): asking sequoia for its revocation status builds an error on the way, so quorate
/// asks only when a self-revocation is there. The shortcut must not lose a revocation: a gpg
/// revocation of the certificate (its openpgp-revocs.d certificate) or of a signing subkey still
/// voids the signatures, and without one they count.
#[test]
fn gpg_made_certificates_count_until_gpg_revokes_them() {
    if !have("gpg") {
        eprintln!("SKIPPED: gpg is not installed");
        return;
    }
    let gnupg = Gnupg::new();
    let alice = gnupg.generate("alice", false);
    let bob = gnupg.generate("bob", true);
    let ws = Ws::new(&[]);
    let export = |fpr: &str, name: &str| {
        std::fs::write(
            ws.path().join(format!("keyring/{name}.asc")),
            gnupg.gpg(&["--armor", "--export", fpr]),
        )
        .unwrap();
    };
    export(&alice, "alice");
    export(&bob, "bob");
    std::fs::write(
        ws.path().join("MAINTAINERS"),
        format!(
            "[people.alice]\nname = \"alice\"\n[keys.alice.k]\nid = \"{alice}\"\n\
             [people.bob]\nname = \"bob\"\n[keys.bob.k]\nid = \"{bob}\"\n"
        ),
    )
    .unwrap();
    let hex = hex_sha256(b"perf/0");
    let reference = "docker.io/stagex/pkg0:1.0";
    for (n, fpr) in [&alice, &bob].into_iter().enumerate() {
        ws.put(
            "pkg0",
            &hex,
            n as u32 + 1,
            &gnupg.stagex_sign(fpr, &payload(reference, &hex)),
        );
    }
    let asked = format!("stagex/pkg0:1.0@sha256:{hex}");
    let run = ws.run(&["gate", &asked, "--threshold", "2"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    // bob's signing subkey revoked by gpg (--edit-key, revkey, no reason given: hard).
    let edited = gnupg.gpg_fed(
        &[
            "--command-fd",
            "0",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--edit-key",
            &bob,
        ],
        b"key 1\nrevkey\ny\n0\n\ny\nsave\n",
    );
    assert!(edited.status.success());
    export(&bob, "bob");
    let report = ws.verify_json(&asked);
    assert_eq!(codes(&report, 2), ["key-revoked"], "{report}");

    // alice's certificate revoked with the revocation certificate gpg made for it.
    let revocation = std::fs::read_to_string(
        gnupg
            .home
            .path()
            .join(format!("openpgp-revocs.d/{alice}.rev")),
    )
    .unwrap()
    .replace(":-----BEGIN", "-----BEGIN");
    let rev_file = ws.path().join("alice.rev");
    std::fs::write(&rev_file, revocation).unwrap();
    gnupg.gpg(&["--import", rev_file.to_str().unwrap()]);
    export(&alice, "alice");
    let report = ws.verify_json(&asked);
    assert_eq!(codes(&report, 1), ["key-revoked"], "{report}");
}
