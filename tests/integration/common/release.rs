//! Release fixtures: OCI layouts as `docker buildx --output type=oci` leaves them, maintainers'
//! rebuild output directories, and the release's digests/ built from them.

use std::path::{Path, PathBuf};

use super::keys::{hex_sha256, TestKey};
use super::team::team;
use super::workspace::Ws;

pub const TAG: &str = "sx2026.11.0";

/// Writes a blob into a layout and returns its digest hex.
pub fn blob(layout: &Path, bytes: &[u8]) -> String {
    let hex = hex_sha256(bytes);
    let dir = layout.join("blobs/sha256");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&hex), bytes).unwrap();
    hex
}

/// A layout as `docker buildx --output type=oci` leaves it: index.json → image index →
/// one image manifest per platform. `content` decides the layers, so equal content gives equal
/// digests. Returns (index digest, platform manifest digests).
pub fn layout(
    out: &Path,
    package: &str,
    content: &str,
    platforms: &[&str],
) -> (String, Vec<String>) {
    let dir = out.join(package);
    let mut manifests = Vec::new();
    let mut descriptors = Vec::new();
    for platform in platforms {
        let (os, arch) = platform.split_once('/').unwrap();
        let layer = blob(&dir, format!("{package} {content} {platform}").as_bytes());
        let config = blob(
            &dir,
            format!(r#"{{"architecture":"{arch}","os":"{os}"}}"#).as_bytes(),
        );
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{config}","size":1}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{layer}","size":1}}]}}"#
        );
        let hex = blob(&dir, manifest.as_bytes());
        descriptors.push(format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{hex}","size":{},"platform":{{"architecture":"{arch}","os":"{os}"}}}}"#,
            manifest.len()
        ));
        manifests.push(hex);
    }
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}]}}"#,
        descriptors.join(",")
    );
    let index_hex = blob(&dir, index.as_bytes());
    let top = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:{index_hex}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"{TAG}","io.containerd.image.name":"docker.io/stagex/{package}:{TAG}"}}}}]}}"#,
        index.len()
    );
    std::fs::write(dir.join("index.json"), top).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    (index_hex, manifests)
}

/// A maintainer's OUT_DIR: core-busybox (two platforms) and pallet-rust; `rust` varies
/// pallet-rust's content, so a different value is an unreproducible build.
pub fn out_dir(parent: &Path, name: &str, rust: &str) -> (PathBuf, Vec<String>, Vec<String>) {
    let out = parent.join(name);
    let (_, busybox) = layout(
        &out,
        "core-busybox",
        "same",
        &["linux/amd64", "linux/arm64"],
    );
    let (_, pallet) = layout(&out, "pallet-rust", rust, &["linux/amd64"]);
    (out, busybox, pallet)
}

/// A copy of the release's digests/ as a maintainer's own rebuild digests (no tags in them).
pub fn copy_digests(ws: &Ws, to: &str) {
    std::fs::create_dir_all(ws.path().join(to)).unwrap();
    for entry in std::fs::read_dir(ws.path().join("digests")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), ws.path().join(to).join(entry.file_name())).unwrap();
    }
}

/// The release is alice's rebuild; bob reproduces it, carol's pallet-rust differs.
pub fn release_workspace() -> (Ws, [TestKey; 3], Vec<String>, Vec<String>) {
    let (ws, keys) = team();
    let (_, busybox, pallet) = out_dir(ws.path(), "alice-out", "v1");
    out_dir(ws.path(), "bob-out", "v1");
    out_dir(ws.path(), "carol-out", "v2");
    assert_eq!(
        ws.run(&["digests", "compute", "alice-out", "-o", "digests"])
            .code,
        0
    );
    (ws, keys, busybox, pallet)
}
