//! Getting Sigstore votes in (issue 23): `payload --cosign`, `sign --cosign-key`, `add` of what
//! cosign made elsewhere, `maintainers add --cosign-key/--keyless`. The votes and keys come
//! from make.py's offline world (Python `cryptography`, `pynacl`); quorate runs as the binary.

use std::path::Path;

use crate::common::sigstore::{world, World};
use crate::common::*;

const HEX: &str = "4b1f9d0c3a6e8f7b2d5c1e0a9b8f7e6d5c4b3a29181706f5e4d3c2b1a0f9e8d7";
const REPOSITORY: &str = "ghcr.io/stagex/core-x";

/// The image as `sign`, `add` and `gate` are asked about it.
fn image() -> String {
    format!("{REPOSITORY}:1@sha256:{HEX}")
}

/// A workspace whose MAINTAINERS lists alice's cosign key, bob's and carol's keyless
/// identities, with the world's trusted root in keyring/sigstore/ and no consumer declared;
/// committed. None when no Python can make the world.
fn sigstore_ws() -> Option<(Ws, World)> {
    let ws = Ws::new(&[]);
    let world = world(
        &ws.path().join("world"),
        &format!("sha256:{HEX}"),
        REPOSITORY,
    )?;
    std::fs::create_dir_all(ws.path().join("keyring/cosign")).unwrap();
    std::fs::create_dir_all(ws.path().join("keyring/sigstore")).unwrap();
    std::fs::copy(
        &world.trusted_root,
        ws.path().join("keyring/sigstore/trusted_root.json"),
    )
    .unwrap();
    let alice = &world.people["alice"];
    std::fs::copy(
        &alice.cosign_pub,
        ws.path().join("keyring/cosign/alice.pub"),
    )
    .unwrap();
    let mut text = format!(
        "[people.alice]\nname = \"alice\"\n[keys.alice.cosign]\ncosign = \"cosign/alice.pub\"\nid = \"{}\"\n",
        alice.key_id
    );
    for name in ["bob", "carol"] {
        let (subject, issuer) = world.people[name].identity.clone().unwrap();
        text.push_str(&format!(
            "[people.{name}]\nname = \"{name}\"\n[keys.{name}.keyless]\noidc-issuer = \"{issuer}\"\nsubject = \"{subject}\"\n"
        ));
    }
    std::fs::write(ws.path().join("MAINTAINERS"), text).unwrap();
    std::fs::write(ws.path().join(".gitignore"), "world/\n").unwrap();
    std::fs::write(
        ws.path().join("quorate.toml"),
        "namespace = \"ghcr.io/stagex\"\n",
    )
    .unwrap();
    commit_all(ws.path(), "workspace");
    Some((ws, world))
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn image_dir(ws: &Ws) -> std::path::PathBuf {
    ws.path()
        .join(format!("signatures/stagex/core-x@sha256={HEX}"))
}

/// `payload --cosign` prints cosign's simple-signing payload: the repository without its tag,
/// byte for byte what make.py's votes sign.
#[test]
fn payload_cosign_prints_what_cosign_signs() {
    let Some((ws, world)) = sigstore_ws() else {
        return;
    };
    let run = ws.run(&["payload", "--cosign", &image()]);
    assert_eq!(run.code, 0, "{run:?}");
    let expected = std::fs::read(world.dir.join("votes/payload.json")).unwrap();
    assert_eq!(run.stdout.as_bytes(), expected.as_slice(), "{run:?}");
    assert!(!run.stdout.contains(":1\""), "{run:?}");
    // Without --cosign the atomic payload (with the tag) is printed, as before.
    let run = ws.run(&["payload", &image()]);
    assert_ne!(run.stdout.as_bytes(), expected.as_slice());
}

/// `sign --cosign-key` decrypts every key file make.py wrote (both PEM labels, both scrypt N),
/// writes a legacy-form vote that counts, commits it, and the gate counts it.
#[test]
fn sign_with_a_cosign_key_writes_a_counting_legacy_vote() {
    let Some((ws, world)) = sigstore_ws() else {
        return;
    };
    let alice = &world.people["alice"];
    let passphrase = alice.passphrase_file.to_str().unwrap();
    for (i, (key, label, n)) in alice.private_keys.iter().enumerate() {
        let run = ws.run(&[
            "sign",
            "--cosign-key",
            key.to_str().unwrap(),
            "--passphrase-file",
            passphrase,
            "--no-rebuild",
            &image(),
        ]);
        assert_eq!(run.code, 0, "{label} N={n}: {run:?}");
        if i == 0 {
            assert!(run.stdout.contains("as alice"), "{run:?}");
        } else {
            assert!(
                run.stdout.contains("already signed"),
                "{label} N={n}: {run:?}"
            );
        }
    }
    assert_eq!(files_in(&image_dir(&ws)), ["signature-1"]);
    let bytes = std::fs::read(image_dir(&ws).join("signature-1")).unwrap();
    assert!(bytes.starts_with(b"\x00sigstore-json\n"));
    let log = git(ws.path(), &["log", "--format=%s", "-1"]);
    assert!(log.starts_with("Sign "), "{log}");
    assert_eq!(git(ws.path(), &["status", "--porcelain"]), "");
    let gate = ws.run(&["gate", "--threshold", "1", &image()]);
    assert_eq!(gate.code, 0, "{gate:?}");
}

/// A wrong passphrase is exit 2 with one line naming the key file; nothing is written.
#[test]
fn sign_with_a_cosign_key_and_a_wrong_passphrase_is_exit_2() {
    let Some((ws, world)) = sigstore_ws() else {
        return;
    };
    let wrong = ws.path().join("wrong");
    std::fs::write(&wrong, "not the passphrase\n").unwrap();
    let (key, _, _) = &world.people["alice"].private_keys[0];
    let run = ws.run(&[
        "sign",
        "--cosign-key",
        key.to_str().unwrap(),
        "--passphrase-file",
        wrong.to_str().unwrap(),
        "--no-rebuild",
        &image(),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("passphrase"), "{run:?}");
    assert!(run.stderr.contains("alice"), "{run:?}");
    assert_eq!(run.stderr.trim().lines().count(), 1, "{run:?}");
    assert!(files_in(&image_dir(&ws)).is_empty());
}

/// A cosign key MAINTAINERS does not list is refused before anything is written.
#[test]
fn sign_with_an_unlisted_cosign_key_writes_nothing() {
    let Some((ws, world)) = sigstore_ws() else {
        return;
    };
    let bob = &world.people["bob"];
    let (key, _, _) = &bob.private_keys[0];
    let run = ws.run(&[
        "sign",
        "--cosign-key",
        key.to_str().unwrap(),
        "--passphrase-file",
        bob.passphrase_file.to_str().unwrap(),
        "--no-rebuild",
        &image(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains(&bob.key_id), "{run:?}");
    assert!(files_in(&image_dir(&ws)).is_empty());
}

/// The world's vote file `votes/<name>`.
fn vote(world: &World, name: &str) -> String {
    world
        .dir
        .join("votes")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

/// `add` of legacy-form votes (cosign key and keyless) places each as the next signature-N of
/// the image its payload names, one commit each; the same vote again writes nothing; the gate
/// counts both.
#[test]
fn add_places_legacy_sigstore_votes_and_the_gate_counts_them() {
    let Some((ws, world)) = sigstore_ws() else {
        return;
    };
    for (name, who) in [
        ("legacy-alice-key.sig", "alice"),
        ("legacy-bob-keyless.sig", "bob"),
    ] {
        let run = ws.run(&["add", &vote(&world, name)]);
        assert_eq!(run.code, 0, "{name}: {run:?}");
        assert!(
            run.stdout.contains(&format!("added {who}'s vote")),
            "{run:?}"
        );
    }
    assert_eq!(files_in(&image_dir(&ws)), ["signature-1", "signature-2"]);
    assert_eq!(
        std::fs::read(image_dir(&ws).join("signature-2")).unwrap(),
        std::fs::read(vote(&world, "legacy-bob-keyless.sig")).unwrap()
    );
    assert_eq!(git(ws.path(), &["status", "--porcelain"]), "");
    let run = ws.run(&["add", &vote(&world, "legacy-bob-keyless.sig")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("nothing written"), "{run:?}");
    assert_eq!(files_in(&image_dir(&ws)).len(), 2);
    let gate = ws.run(&["gate", "--threshold", "2", &image()]);
    assert_eq!(gate.code, 0, "{gate:?}");
}

/// A vote that does not count is refused with the verdict's reasons (exit 1), writing nothing.
#[test]
fn add_refuses_a_sigstore_vote_that_does_not_count_and_writes_nothing() {
    let Some((ws, world)) = sigstore_ws() else {
        return;
    };
    for name in [
        "mutation-legacy-bob-wrong-identity.sig",
        "mutation-legacy-alice-payload-changed.sig",
    ] {
        let run = ws.run(&["add", &vote(&world, name)]);
        assert_eq!(run.code, 1, "{name}: {run:?}");
        assert!(run.stderr.contains("would not count"), "{run:?}");
        assert!(run.stderr.contains(name), "{run:?}");
    }
    let run = ws.run(&[
        "add",
        "--bundle",
        &vote(&world, "mutation-bundle-carol-wrong-identity.sigstore.json"),
        "--image",
        &image(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(files_in(&image_dir(&ws)).is_empty());
    assert_eq!(git(ws.path(), &["rev-list", "--count", "HEAD"]).trim(), "1");
}

/// `add --bundle` of DSSE bundles writes sigstore-bundle-N.json in --image's directory; the gate
/// counts them.
#[test]
fn add_places_dsse_bundles_and_the_gate_counts_them() {
    let Some((ws, world)) = sigstore_ws() else {
        return;
    };
    for name in [
        "bundle-alice-key.sigstore.json",
        "bundle-carol-keyless.sigstore.json",
    ] {
        let run = ws.run(&["add", "--bundle", &vote(&world, name), "--image", &image()]);
        assert_eq!(run.code, 0, "{name}: {run:?}");
    }
    assert_eq!(
        files_in(&image_dir(&ws)),
        ["sigstore-bundle-1.json", "sigstore-bundle-2.json"]
    );
    // The same bundle again is noted, not written twice.
    let run = ws.run(&[
        "add",
        "--bundle",
        &vote(&world, "bundle-alice-key.sigstore.json"),
        "--image",
        &image(),
    ]);
    assert!(run.stdout.contains("nothing written"), "{run:?}");
    assert_eq!(files_in(&image_dir(&ws)).len(), 2);
    assert_eq!(git(ws.path(), &["status", "--porcelain"]), "");
    let gate = ws.run(&["gate", "--threshold", "2", &image()]);
    assert_eq!(gate.code, 0, "{gate:?}");
}

/// A messageSignature bundle (`cosign sign-blob --bundle` over `payload --cosign`) becomes a
/// legacy-form signature-N carrying the payload, the certificate and the SET; the gate counts
/// it. For another image its messageDigest does not match and nothing is written.
#[test]
fn add_converts_a_message_signature_bundle_to_the_legacy_form() {
    let Some((ws, world)) = sigstore_ws() else {
        return;
    };
    let other = format!("{REPOSITORY}:1@sha256:{}", "0".repeat(64));
    let run = ws.run(&[
        "add",
        "--bundle",
        &vote(&world, "blob-bob-keyless.sigstore.json"),
        "--image",
        &other,
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("messageDigest"), "{run:?}");
    for name in [
        "blob-bob-keyless.sigstore.json",
        "blob-alice-key.sigstore.json",
    ] {
        let run = ws.run(&["add", "--bundle", &vote(&world, name), "--image", &image()]);
        assert_eq!(run.code, 0, "{name}: {run:?}");
    }
    assert_eq!(files_in(&image_dir(&ws)), ["signature-1", "signature-2"]);
    let bytes = std::fs::read(image_dir(&ws).join("signature-1")).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(bytes.starts_with(b"\x00sigstore-json\n"));
    assert!(text.contains("dev.sigstore.cosign/certificate"), "{text}");
    assert!(text.contains("dev.sigstore.cosign/bundle"), "{text}");
    let gate = ws.run(&["gate", "--threshold", "2", &image()]);
    assert_eq!(gate.code, 0, "{gate:?}");
}

/// `maintainers add --cosign-key` copies the key to keyring/cosign/ and pins its computed id;
/// `--keyless` lists the issuer and subject; the rest of MAINTAINERS is kept; the votes of the
/// people so added count; the same key again changes nothing, under another person it is
/// refused.
#[test]
fn maintainers_add_lists_cosign_keys_and_keyless_identities_that_then_count() {
    let Some((ws, world)) = sigstore_ws() else {
        return;
    };
    // Start from a MAINTAINERS that lists nobody of Sigstore, with a comment kept through.
    std::fs::write(
        ws.path().join("MAINTAINERS"),
        "# The team.\n[people.alice]\nname = \"alice\"\n",
    )
    .unwrap();
    std::fs::remove_file(ws.path().join("keyring/cosign/alice.pub")).unwrap();
    let alice = &world.people["alice"];
    let run = ws.run(&[
        "maintainers",
        "add",
        "alice",
        "--cosign-key",
        alice.cosign_pub.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(ws.path().join("MAINTAINERS")).unwrap();
    assert!(text.starts_with("# The team.\n"), "{text}");
    assert!(
        text.contains(&format!(
            "[keys.alice.cosign]\ncosign = \"cosign/alice-cosign.pub\"\nid = \"{}\"",
            alice.key_id
        )),
        "{text}"
    );
    assert!(ws.path().join("keyring/cosign/alice-cosign.pub").is_file());
    let (subject, issuer) = world.people["bob"].identity.clone().unwrap();
    let run = ws.run(&[
        "maintainers",
        "add",
        "bob",
        "--name",
        "bob",
        "--email",
        "bob@example.org",
        "--keyless",
        &issuer,
        &subject,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(ws.path().join("MAINTAINERS")).unwrap();
    assert!(
        text.contains(&format!(
            "[keys.bob.keyless]\noidc-issuer = \"{issuer}\"\nsubject = \"{subject}\""
        )),
        "{text}"
    );
    // Again: nothing changes; under another person: refused.
    let again = ws.run(&["maintainers", "add", "bob", "--keyless", &issuer, &subject]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("nothing changed"), "{again:?}");
    let other = ws.run(&[
        "maintainers",
        "add",
        "alice",
        "--keyless",
        &issuer,
        &subject,
    ]);
    assert_eq!(other.code, 1, "{other:?}");
    assert!(
        other.stderr.contains("already listed under bob"),
        "{other:?}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("MAINTAINERS")).unwrap(),
        text
    );
    commit_all(ws.path(), "team");
    for name in ["legacy-alice-key.sig", "legacy-bob-keyless.sig"] {
        let run = ws.run(&["add", &vote(&world, name)]);
        assert_eq!(run.code, 0, "{name}: {run:?}");
    }
    let gate = ws.run(&["gate", "--threshold", "2", &image()]);
    assert_eq!(gate.code, 0, "{gate:?}");
}

/// The base64 bodies of the PEM blocks in `pem` (each the DER's standard base64).
fn pem_bodies(pem: &str) -> Vec<serde_json::Value> {
    pem.split("-----END CERTIFICATE-----")
        .filter_map(|block| {
            let body: String = block
                .lines()
                .filter(|l| !l.starts_with("-----") && !l.trim().is_empty())
                .collect();
            (!body.is_empty()).then(|| serde_json::json!({ "Raw": body }))
        })
        .collect()
}

/// The line `cosign download signature` prints for a legacy-form vote file (Go's json.Marshal of
/// `SignedPayload`), built here from the file's annotations.
fn download_line(file: &Path) -> String {
    let bytes = std::fs::read(file).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(bytes.strip_prefix(b"\x00sigstore-json\n").unwrap()).unwrap();
    let a = &json["annotations"];
    let cert = a["dev.sigstore.cosign/certificate"]
        .as_str()
        .map(|pem| pem_bodies(pem).remove(0));
    let chain = a["dev.sigstore.cosign/chain"].as_str().map(pem_bodies);
    let set: Option<serde_json::Value> = a["dev.sigstore.cosign/bundle"]
        .as_str()
        .map(|s| serde_json::from_str(s).unwrap());
    serde_json::json!({
        "Base64Signature": a["dev.cosignproject.cosign/signature"],
        "Payload": json["payload"],
        "Cert": cert,
        "Chain": chain,
        "Bundle": set,
        "RFC3161Timestamp": null,
    })
    .to_string()
}

/// `add` of `cosign download signature` output places each line as a legacy-form signature-N,
/// in one commit; a download with a line that does not count writes nothing.
#[test]
fn add_places_cosign_download_lines_in_one_commit() {
    let Some((ws, world)) = sigstore_ws() else {
        return;
    };
    let refused = ws.path().join("refused.jsonl");
    std::fs::write(
        &refused,
        format!(
            "{}\n{}\n",
            download_line(&world.dir.join("votes/legacy-alice-key-set.sig")),
            download_line(
                &world
                    .dir
                    .join("votes/mutation-legacy-bob-wrong-identity.sig")
            ),
        ),
    )
    .unwrap();
    let run = ws.run(&["add", refused.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(files_in(&image_dir(&ws)).is_empty());
    let lines = ws.path().join("download.jsonl");
    std::fs::write(
        &lines,
        format!(
            "{}\n{}\n",
            download_line(&world.dir.join("votes/legacy-alice-key-set.sig")),
            download_line(&world.dir.join("votes/legacy-bob-keyless.sig")),
        ),
    )
    .unwrap();
    let before: u32 = git(ws.path(), &["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap();
    let run = ws.run(&["add", lines.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(files_in(&image_dir(&ws)), ["signature-1", "signature-2"]);
    let after: u32 = git(ws.path(), &["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(after, before + 1);
    let gate = ws.run(&["gate", "--threshold", "2", &image()]);
    assert_eq!(gate.code, 0, "{gate:?}");
}

/// Writes `bytes` as a blob of the layout at `dir`; its digest.
fn put_blob(dir: &Path, bytes: &[u8]) -> String {
    let hex = hex_sha256(bytes);
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("blobs/sha256").join(&hex), bytes).unwrap();
    format!("sha256:{hex}")
}

/// A `cosign save` layout holding the legacy-form vote files as layers of one signatures
/// manifest (index entry annotated kind = dev.cosignproject.cosign/sigs), beside an image entry.
fn save_layout(dir: &Path, votes: &[&Path]) {
    let layers: Vec<serde_json::Value> = votes
        .iter()
        .map(|file| {
            let bytes = std::fs::read(file).unwrap();
            let json: serde_json::Value =
                serde_json::from_slice(bytes.strip_prefix(b"\x00sigstore-json\n").unwrap())
                    .unwrap();
            use base64::Engine as _;
            let payload = base64::engine::general_purpose::STANDARD
                .decode(json["payload"].as_str().unwrap())
                .unwrap();
            serde_json::json!({
                "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                "size": payload.len(),
                "digest": put_blob(dir, &payload),
                "annotations": json["annotations"],
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": put_blob(dir, b"{}")},
        "layers": layers,
    });
    let digest = put_blob(dir, manifest.to_string().as_bytes());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put_blob(dir, b"not a signature"), "size": 15,
             "annotations": {"kind": "dev.cosignproject.image/index"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": 0,
             "annotations": {"kind": "dev.cosignproject.cosign/sigs"}},
        ],
    });
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

/// `add` of a `cosign save` layout places each layer of its signatures manifest as a
/// legacy-form signature-N, in one commit; the gate counts them; a layout with a vote that does
/// not count writes nothing.
#[test]
fn add_places_the_signatures_of_a_cosign_save_layout() {
    let Some((ws, world)) = sigstore_ws() else {
        return;
    };
    let refused = ws.path().join("refused-layout");
    save_layout(
        &refused,
        &[
            &world.dir.join("votes/legacy-alice-key.sig"),
            &world
                .dir
                .join("votes/mutation-legacy-bob-wrong-identity.sig"),
        ],
    );
    let run = ws.run(&["add", refused.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(files_in(&image_dir(&ws)).is_empty());
    let layout = ws.path().join("layout");
    save_layout(
        &layout,
        &[
            &world.dir.join("votes/legacy-alice-key.sig"),
            &world.dir.join("votes/legacy-bob-keyless.sig"),
        ],
    );
    let run = ws.run(&["add", layout.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(files_in(&image_dir(&ws)), ["signature-1", "signature-2"]);
    let subject = git(ws.path(), &["log", "-1", "--format=%s"]);
    assert_eq!(subject.trim(), "Sign 2 votes");
    let gate = ws.run(&["gate", "--threshold", "2", &image()]);
    assert_eq!(gate.code, 0, "{gate:?}");
}
