//! What consumers run: real OCI layouts skopeo can push (a real tar layer), and podman pulling
//! by digest through the policy and registries.d `quorate policy export` writes.

use std::path::Path;
use std::process::Command;

use super::release::blob;

/// Writes `out/<package>/`, an OCI layout holding one linux/amd64 image (a real one-file tar
/// layer of `content`, built reproducibly) tagged `tag`, and returns its manifest digest hex.
pub fn real_layout(out: &Path, package: &str, content: &str, tag: &str) -> String {
    let layout = out.join(package);
    let scratch = tempfile::tempdir().unwrap();
    let rootfs = scratch.path().join("rootfs");
    std::fs::create_dir(&rootfs).unwrap();
    std::fs::write(rootfs.join("hello.txt"), content).unwrap();
    let tar = scratch.path().join("layer.tar");
    // Reproducible, as a rebuild must be: the same content gives the same digest.
    assert!(Command::new("tar")
        .args([
            "--mtime=@0",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "--sort=name"
        ])
        .arg("-cf")
        .arg(&tar)
        .arg("-C")
        .arg(&rootfs)
        .arg(".")
        .status()
        .unwrap()
        .success());
    let layer = std::fs::read(&tar).unwrap();
    let layer_hex = blob(&layout, &layer);
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["sha256:{layer_hex}"]}},"config":{{}}}}"#
    );
    let config_hex = blob(&layout, config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{config_hex}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{layer_hex}","size":{}}}]}}"#,
        config.len(),
        layer.len()
    );
    let manifest_hex = blob(&layout, manifest.as_bytes());
    std::fs::write(
        layout.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{manifest_hex}","size":{},"platform":{{"architecture":"amd64","os":"linux"}},"annotations":{{"org.opencontainers.image.ref.name":"{tag}"}}}}]}}"#,
            manifest.len()
        ),
    )
    .unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    manifest_hex
}

/// The fenced ```sh block of a document (path from the repository root) that contains
/// `marker`: the docs' scripts are what the tests run.
pub fn doc_script(doc: &str, marker: &str) -> String {
    doc_block(doc, "sh", marker) + "\n"
}

/// The fenced block of language `lang` (```sh, ```yaml) of a document that contains `marker`.
pub fn doc_block(doc: &str, lang: &str, marker: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join(doc)).unwrap();
    text.split(&format!("```{lang}\n"))
        .skip(1)
        .filter_map(|rest| rest.split_once("\n```").map(|(block, _)| block))
        .find(|block| block.contains(marker))
        .unwrap_or_else(|| panic!("{doc} has no {lang} block holding {marker}"))
        .to_string()
}
