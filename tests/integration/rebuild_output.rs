//! What sign, gate and digests say about a rebuild, platform by platform and package by package:
//! refusals quote what the rebuild got for the item at hand, a package the rebuild lacks is
//! refused alone, and a layout written by the real skopeo reads as the images it holds.

use std::path::Path;
use std::process::Command;

use crate::common::*;

/// A layout with descriptor sizes that match (skopeo checks them): index.json → image index →
/// one manifest per platform. Returns the layout's directory.
fn source_layout(parent: &Path, package: &str, content: &str, platforms: &[&str]) -> String {
    let dir = parent.join(package);
    let mut descriptors = Vec::new();
    for platform in platforms {
        let (os, arch) = platform.split_once('/').unwrap();
        let layer = format!("{package} {content} {platform}");
        let layer_hex = blob(&dir, layer.as_bytes());
        let config = format!(r#"{{"architecture":"{arch}","os":"{os}"}}"#);
        let config_hex = blob(&dir, config.as_bytes());
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{config_hex}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{layer_hex}","size":{}}}]}}"#,
            config.len(),
            layer.len()
        );
        let hex = blob(&dir, manifest.as_bytes());
        descriptors.push(format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{hex}","size":{},"platform":{{"architecture":"{arch}","os":"{os}"}}}}"#,
            manifest.len()
        ));
    }
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}]}}"#,
        descriptors.join(",")
    );
    point_at_index(&dir, &index);
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    format!("oci:{}", dir.display())
}

/// Stores `index` (an image index) as a blob and writes the layout's index.json naming it.
fn point_at_index(dir: &Path, index: &str) {
    let index_hex = blob(dir, index.as_bytes());
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:{index_hex}","size":{}}}]}}"#,
            index.len()
        ),
    )
    .unwrap();
}

/// `skopeo copy ARGS… FROM TO`, which must succeed.
fn skopeo_copy(args: &[&str], from: &str, to: &str) {
    assert!(have("skopeo"), "these tests need skopeo");
    let output = Command::new("skopeo")
        .args(["copy", "-q"])
        .args(args)
        .args([from, to])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "skopeo copy {from} {to}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The top-level descriptors of a layout's index.json: (digest hex, ref.name).
fn top_level(layout: &Path) -> Vec<(String, Option<String>)> {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["digest"].as_str().unwrap()["sha256:".len()..].to_string(),
                d["annotations"]["org.opencontainers.image.ref.name"]
                    .as_str()
                    .map(str::to_string),
            )
        })
        .collect()
}

/// The platform manifests an image index blob lists: (digest hex, os/arch).
fn index_children(layout: &Path, index_hex: &str) -> Vec<(String, String)> {
    let index: serde_json::Value = serde_json::from_slice(
        &std::fs::read(layout.join("blobs/sha256").join(index_hex)).unwrap(),
    )
    .unwrap();
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["digest"].as_str().unwrap()["sha256:".len()..].to_string(),
                format!(
                    "{}/{}",
                    d["platform"]["os"].as_str().unwrap(),
                    d["platform"]["architecture"].as_str().unwrap()
                ),
            )
        })
        .collect()
}

fn line_of<'a>(text: &'a str, start: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting {start:?} in:\n{text}"))
}

#[test]
fn a_refusal_quotes_what_the_rebuild_got_for_that_platform() {
    let (ws, keys, busybox, _) = release_workspace();
    let carol = ws.key_file(&keys[2]);
    // carol's rebuild reproduces busybox's amd64 image but got another arm64 one.
    copy_digests(&ws, "carol-digests");
    let platforms = ws.path().join("carol-digests/core.platforms");
    std::fs::write(&platforms, format!("{HEX_A} core-busybox linux/arm64\n")).unwrap();
    let run = ws.run(&[
        "sign",
        "--release",
        "--rebuilt",
        "carol-digests",
        "--tag",
        TAG,
        "--key",
        carol.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    let line = line_of(&run.stdout, "refused  core-busybox (linux/arm64)");
    assert_eq!(
        line,
        format!(
            "refused  core-busybox (linux/arm64): the rebuild in carol-digests got sha256:{HEX_A} for core-busybox (linux/arm64), not sha256:{}",
            busybox[1]
        )
    );
    // The gate over the images about to be pushed says the same.
    let run = ws.run(&["gate", "--release", "--rebuilt", "carol-digests"]);
    assert_eq!(run.code, 1, "{run:?}");
    let line = line_of(&run.stdout, "Refused: core-busybox");
    assert!(
        line.contains(&format!(
            "got sha256:{HEX_A} for core-busybox (linux/arm64), not sha256:{}",
            busybox[1]
        )),
        "{line}"
    );
    assert!(!line.contains(&busybox[0]), "{line}");

    // A rebuild with no arm64 image of busybox at all says so.
    let out = ws.path().join("amd64-out");
    layout(&out, "core-busybox", "same", &["linux/amd64"]);
    layout(&out, "pallet-rust", "v1", &["linux/amd64"]);
    let alice = ws.key_file(&keys[0]);
    let run = ws.run(&[
        "sign",
        "--release",
        "--rebuilt",
        "amd64-out",
        "--key",
        alice.to_str().unwrap(),
        "--no-commit",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        line_of(&run.stdout, "refused  core-busybox (linux/arm64)"),
        "refused  core-busybox (linux/arm64): the rebuild in amd64-out has no linux/arm64 image of core-busybox (it has linux/amd64)"
    );
    assert!(
        run.stdout.contains("2 signed, 0 already signed, 1 refused"),
        "{}",
        run.stdout
    );
    // A single digest: what the rebuild got for every platform of the package.
    let run = ws.run(&[
        "sign",
        &format!("stagex/core-busybox:{TAG}@sha256:{HEX_B}"),
        "--key",
        carol.to_str().unwrap(),
        "--rebuilt",
        "alice-out",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "got sha256:{} (linux/amd64), sha256:{} (linux/arm64) for core-busybox, not sha256:{HEX_B}",
            busybox[0], busybox[1]
        )),
        "{run:?}"
    );
}

#[test]
fn a_package_the_rebuild_lacks_is_refused_alone() {
    let (ws, keys, _, _) = release_workspace();
    let bob = ws.key_file(&keys[1]);
    let bob = bob.to_str().unwrap();
    std::fs::remove_dir_all(ws.path().join("bob-out/pallet-rust")).unwrap();
    let run = ws.run(&["sign", "--release", "--rebuilt", "bob-out", "--key", bob]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        line_of(&run.stdout, "refused  pallet-rust"),
        "refused  pallet-rust: the rebuild in bob-out has no package pallet-rust"
    );
    assert!(
        run.stdout.contains("2 signed, 0 already signed, 1 refused"),
        "{}",
        run.stdout
    );
    // The rest is signed and committed, in one commit.
    let files = git(ws.path(), &["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(files.lines().count(), 2, "{files}");
    assert_eq!(git(ws.path(), &["status", "--porcelain", "signatures"]), "");
}

#[test]
fn an_unreadable_layout_is_refused_for_its_package_alone() {
    let (ws, keys, busybox, pallet) = release_workspace();
    let bob = ws.key_file(&keys[1]);
    let bob = bob.to_str().unwrap();
    std::fs::write(
        ws.path().join("bob-out/pallet-rust/index.json"),
        "{not json",
    )
    .unwrap();
    let run = ws.run(&["sign", "--release", "--rebuilt", "bob-out", "--key", bob]);
    assert_eq!(run.code, 1, "{run:?}");
    let line = line_of(&run.stdout, "refused  pallet-rust");
    assert!(
        line.contains("bob-out/pallet-rust/index.json") && line.contains("not JSON"),
        "{line}"
    );
    assert!(
        run.stdout.contains("2 signed, 0 already signed, 1 refused"),
        "{}",
        run.stdout
    );
    // Signing one image: refused for that package, while another package's is signed.
    let run = ws.run(&[
        "sign",
        &format!("stagex/pallet-rust:{TAG}@sha256:{}", pallet[0]),
        "--key",
        bob,
        "--rebuilt",
        "bob-out",
        "--no-commit",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("cannot be read for pallet-rust"),
        "{run:?}"
    );
    let run = ws.run(&[
        "sign",
        &format!("stagex/core-busybox:{TAG}@sha256:{}", busybox[0]),
        "--key",
        bob,
        "--rebuilt",
        "bob-out",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("already signed"), "{run:?}");
    // The digests of such a rebuild are not computed, nor does the gate take it.
    assert_eq!(ws.run(&["digests", "compute", "bob-out"]).code, 2);
    let run = ws.run(&["gate", "--release", "--rebuilt", "bob-out"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("not JSON"), "{run:?}");

    // A blob that does not hash to its name is a tampered rebuild: nothing of it is signed.
    let (_, _, _) = out_dir(ws.path(), "dave-out", "v1");
    let blobs = ws.path().join("dave-out/pallet-rust/blobs/sha256");
    let first = std::fs::read_dir(&blobs).unwrap().next().unwrap().unwrap();
    std::fs::write(first.path(), b"tampered").unwrap();
    let carol = ws.key_file(&keys[2]);
    let run = ws.run(&[
        "sign",
        "--release",
        "--rebuilt",
        "dave-out",
        "--key",
        carol.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("hashes to"), "{run:?}");
    assert!(!run.stdout.contains("signed   "), "{run:?}");
}

#[test]
fn gate_says_why_it_failed_when_other_images_would_be_pushed() {
    let (ws, keys, _, _) = release_workspace();
    for (key, out) in [(&keys[0], "alice-out"), (&keys[1], "bob-out")] {
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
    }
    assert_eq!(
        ws.run(&["gate", "--release", "--rebuilt", "bob-out"]).code,
        0
    );
    // bob's OUT_DIR also holds a package the release does not list.
    layout(
        &ws.path().join("bob-out"),
        "core-extra",
        "x",
        &["linux/amd64"],
    );
    let run = ws.run(&["gate", "--release", "--rebuilt", "bob-out"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("Refused: core-extra"), "{}", run.stdout);
    assert_eq!(
        run.stdout.lines().last().unwrap(),
        "gate FAILED: 3 of 3 images signed by at least 2 distinct maintainers, but 1 image about to be pushed is not the release's"
    );
    // And a release image the rebuild lacks.
    std::fs::remove_dir_all(ws.path().join("bob-out/pallet-rust")).unwrap();
    let run = ws.run(&["gate", "--release", "--rebuilt", "bob-out"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stdout.lines().last().unwrap(),
        "gate FAILED: 3 of 3 images signed by at least 2 distinct maintainers, but 1 image about to be pushed is not the release's and 1 release image is not about to be pushed"
    );
    // Each refusal in JSON carries the platform and the digest at stake.
    let run = ws.run(&["gate", "--release", "--rebuilt", "bob-out", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let refused = json["refused"].as_array().unwrap();
    let extra = refused
        .iter()
        .find(|r| r["package"] == "core-extra")
        .unwrap();
    assert_eq!(extra["platform"], "linux/amd64", "{extra}");
    assert!(
        extra["digest"].as_str().unwrap().starts_with("sha256:"),
        "{extra}"
    );
    let lacking = refused
        .iter()
        .find(|r| r["package"] == "pallet-rust")
        .unwrap();
    assert_eq!(lacking["platform"], serde_json::Value::Null, "{lacking}");
    assert!(
        lacking["digest"].as_str().unwrap().starts_with("sha256:"),
        "{lacking}"
    );
}

#[test]
fn a_layout_holding_two_images_under_two_names_is_two_images() {
    let (ws, _) = team();
    let src = ws.path().join("src");
    let foo = source_layout(&src, "core-foo", "x", &["linux/amd64", "linux/arm64"]);
    let bar = source_layout(&src, "core-bar", "y", &["linux/amd64", "linux/arm64"]);
    let out = ws.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // Two different single-platform images in one directory, as `skopeo copy` to
    // oci:DIR:name1 and oci:DIR:name2 leaves them: index.json names each, with no platform.
    let both = out.join("both");
    skopeo_copy(
        &["--override-arch", "arm64"],
        &foo,
        &format!("oci:{}:docker.io/stagex/core-foo:{TAG}", both.display()),
    );
    skopeo_copy(
        &["--override-arch", "amd64"],
        &bar,
        &format!("oci:{}:core-bar:{TAG}", both.display()),
    );
    let named = top_level(&both);
    assert_eq!(named.len(), 2, "{named:?}");
    // A directory whose images carry bare tags: the directory names the package, one image per
    // platform.
    let qux_src = source_layout(&src, "core-qux", "z", &["linux/amd64", "linux/arm64"]);
    let qux = out.join("core-qux");
    for arch in ["amd64", "arm64"] {
        skopeo_copy(
            &["--override-arch", arch],
            &qux_src,
            &format!("oci:{}:{arch}", qux.display()),
        );
    }
    let qux_named = top_level(&qux);

    let run = ws.run(&["digests", "compute", "out"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "# core.platforms\n{} core-qux linux/arm64\n# core.txt\n{} core-bar\n{} core-foo\n{} core-qux\n",
            qux_named[1].0, named[1].0, named[0].0, qux_named[0].0
        )
    );
    // The platform comes from each image's config: signing another digest says what each is.
    let key = ws.key_file(&TestKey::new("alice"));
    let run = ws.run(&[
        "sign",
        &format!("stagex/core-foo:{TAG}@sha256:{HEX_A}"),
        "--key",
        key.to_str().unwrap(),
        "--rebuilt",
        "out",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "got sha256:{} (linux/arm64) for core-foo, not sha256:{HEX_A}",
            named[0].0
        )),
        "{run:?}"
    );

    // Two layouts building the same package are still caught, however they name it.
    skopeo_copy(
        &["--override-arch", "amd64"],
        &bar,
        &format!("oci:{}:{TAG}", out.join("core-bar").display()),
    );
    let run = ws.run(&["digests", "compute", "out"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("package core-bar is also built in"),
        "{run:?}"
    );

    // Two builds of one package for one platform under two tags are not two platforms.
    let out = ws.path().join("out2");
    std::fs::create_dir_all(&out).unwrap();
    let other = source_layout(&ws.path().join("src2"), "core-foo", "w", &["linux/amd64"]);
    for (from, tag) in [(&foo, "1"), (&other, "2")] {
        skopeo_copy(
            &["--override-arch", "amd64"],
            from,
            &format!("oci:{}:stagex/core-foo:{tag}", out.join("foo").display()),
        );
    }
    let run = ws.run(&["digests", "compute", "out2"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("holds two images of core-foo for linux/amd64"),
        "{run:?}"
    );
}

#[test]
fn a_manifest_that_names_no_platform_anywhere_is_an_input_error() {
    let (ws, _) = team();
    let dir = ws.path().join("out/core-foo");
    let config = blob(&dir, b"{}");
    let layer = blob(&dir, b"layer");
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{config}","size":2}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{layer}","size":5}}]}}"#
    );
    let hex = blob(&dir, manifest.as_bytes());
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{hex}","size":{}}}]}}"#,
            manifest.len()
        ),
    )
    .unwrap();
    let run = ws.run(&["digests", "compute", "out"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "out/core-foo/blobs/sha256/{config}: names no platform"
        )) && run.stderr.contains("names no platform"),
        "{run:?}"
    );
}

#[test]
fn signing_an_image_index_is_refused_naming_each_platform() {
    let (ws, keys) = team();
    let src = ws.path().join("src");
    let rust = source_layout(&src, "pallet-rust", "v1", &["linux/amd64", "linux/arm64"]);
    let out = ws.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let dir = out.join("pallet-rust");
    skopeo_copy(&["--all"], &rust, &format!("oci:{}:{TAG}", dir.display()));
    let (index, _) = top_level(&dir).remove(0);
    let children = index_children(&dir, &index);
    assert_eq!(children.len(), 2, "{children:?}");
    let alice = ws.key_file(&keys[0]);
    let alice = alice.to_str().unwrap();
    let run = ws.run(&[
        "sign",
        &format!("stagex/pallet-rust:{TAG}@sha256:{index}"),
        "--key",
        alice,
        "--rebuilt",
        "out",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("image index"), "{run:?}");
    for (hex, platform) in &children {
        assert!(
            run.stderr.contains(&format!("sha256:{hex} ({platform})")),
            "{run:?}"
        );
    }
    assert!(!ws.path().join("signatures").exists());

    // digests compute records the platform manifests, never the index.
    let run = ws.run(&["digests", "compute", "out", "-o", "digests"]);
    assert_eq!(run.code, 0, "{run:?}");
    let recorded = std::fs::read_to_string(ws.path().join("digests/pallet.txt")).unwrap()
        + &std::fs::read_to_string(ws.path().join("digests/pallet.platforms")).unwrap();
    assert!(!recorded.contains(&index), "{recorded}");
    assert_eq!(
        recorded,
        format!(
            "{} pallet-rust\n{} pallet-rust {}\n",
            children[0].0, children[1].0, children[1].1
        )
    );
    let run = ws.run(&["digests", "compare", "digests", "out"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains(&index), "{}", run.stdout);

    // A release whose digests/ lists the index digest: refused, naming the manifests.
    std::fs::write(
        ws.path().join("digests/pallet.txt"),
        format!("{index} pallet-rust\n"),
    )
    .unwrap();
    std::fs::remove_file(ws.path().join("digests/pallet.platforms")).unwrap();
    let run = ws.run(&["sign", "--release", "--rebuilt", "out", "--key", alice]);
    assert_eq!(run.code, 1, "{run:?}");
    let line = line_of(&run.stdout, "refused  pallet-rust");
    assert!(line.contains("image index"), "{line}");
    for (hex, platform) in &children {
        assert!(
            line.contains(&format!("sha256:{hex} ({platform})")),
            "{line}"
        );
    }
    assert!(!ws.path().join("signatures").exists());
}

#[test]
fn compare_quotes_the_platform_that_differs() {
    let (ws, _, busybox, _) = release_workspace();
    copy_digests(&ws, "carol-digests");
    std::fs::write(
        ws.path().join("carol-digests/core.platforms"),
        format!("{HEX_A} core-busybox linux/arm64\n"),
    )
    .unwrap();
    let run = ws.run(&["digests", "compare", "alice-out", "carol-digests"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        line_of(&run.stdout, "core-busybox"),
        format!(
            "core-busybox  differ   alice-out: sha256:{} (linux/amd64), sha256:{} (linux/arm64) | carol-digests: sha256:{}, sha256:{HEX_A} (linux/arm64)",
            busybox[0], busybox[1], busybox[0]
        )
    );
}

/// BuildKit's image indexes list an attestation manifest beside each image (platform
/// `unknown/unknown`, annotation `vnd.docker.reference.type: attestation-manifest`): nobody pulls
/// it, podman never asks for its signature, so a rebuild records and signs only the images.
#[test]
fn buildkit_attestation_manifests_are_not_images() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out/core-busybox");
    let config = r#"{"architecture":"amd64","os":"linux"}"#;
    let config_hex = blob(&dir, config.as_bytes());
    let image = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{config_hex}","size":{}}},"layers":[]}}"#,
        config.len()
    );
    let image_hex = blob(&dir, image.as_bytes());
    let statement = r#"{"_type":"https://in-toto.io/Statement/v0.1"}"#;
    let statement_hex = blob(&dir, statement.as_bytes());
    let attestation = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{statement_hex}","size":{}}},"layers":[]}}"#,
        statement.len()
    );
    let attestation_hex = blob(&dir, attestation.as_bytes());
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{image_hex}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}},{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{attestation_hex}","size":{},"annotations":{{"vnd.docker.reference.digest":"sha256:{image_hex}","vnd.docker.reference.type":"attestation-manifest"}},"platform":{{"architecture":"unknown","os":"unknown"}}}}]}}"#,
        image.len(),
        attestation.len()
    );
    point_at_index(&dir, &index);
    let out = Command::new(env!("CARGO_BIN_EXE_quorate"))
        .current_dir(tmp.path())
        .args(["digests", "compute", "out"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains(&image_hex), "{stdout}");
    assert!(!stdout.contains(&attestation_hex), "{stdout}");
    assert!(!stdout.contains("unknown"), "{stdout}");
}
