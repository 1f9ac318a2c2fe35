//! The real consumers: an image pushed to Debian's docker-registry, pulled with Debian's podman
//! (vfs storage in a temporary directory) and copied with skopeo, under a policy
//! `quorate policy export` wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output().unwrap()
}

/// Pushes a one-layer image (a real tar) as `repo:1.0` and returns the digest the registry
/// serves (skopeo may rewrite the manifest on push, so that is the one to sign).
pub fn push_image(registry: &Server, repo: &str, content: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let rootfs = dir.path().join("rootfs");
    std::fs::create_dir(&rootfs).unwrap();
    std::fs::write(rootfs.join("hello.txt"), content).unwrap();
    let tar = dir.path().join("layer.tar");
    assert!(run(Command::new("tar")
        .arg("-cf")
        .arg(&tar)
        .arg("-C")
        .arg(&rootfs)
        .arg("."))
    .status
    .success());
    let layout = dir.path().join("oci");
    let blob = |bytes: &[u8]| blob(&layout, bytes);
    let layer = std::fs::read(&tar).unwrap();
    let layer_hex = blob(&layer);
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["sha256:{layer_hex}"]}},"config":{{}}}}"#
    );
    let config_hex = blob(config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{config_hex}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{layer_hex}","size":{}}}]}}"#,
        config.len(),
        layer.len()
    );
    let manifest_hex = blob(manifest.as_bytes());
    std::fs::write(
        layout.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{manifest_hex}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"1.0"}}}}]}}"#,
            manifest.len()
        ),
    )
    .unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let target = format!("docker://127.0.0.1:{}/{repo}:1.0", registry.port);
    let out = run(Command::new("skopeo")
        .args(["copy", "--quiet", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:1.0", layout.display()))
        .arg(&target));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let raw = run(Command::new("skopeo").args(["inspect", "--raw", "--tls-verify=false", &target]));
    assert!(raw.status.success());
    hex_sha256(&raw.stdout)
}

/// What `podman pull` by digest says, with the policy and registries.d `quorate policy export`
/// wrote into `policy_dir`, in a storage of its own (so nothing is cached between pulls).
pub fn podman_pulls(policy_dir: &Path, image: &str) -> Result<(), String> {
    let scratch = tempfile::tempdir().unwrap();
    let home = scratch.path().join("home");
    let registries = home.join(".config/containers/registries.d");
    std::fs::create_dir_all(&registries).unwrap();
    let yaml = policy_dir.join("registries.d/quorate.yaml");
    std::fs::copy(&yaml, registries.join("quorate.yaml")).unwrap();
    let out = run(Command::new("podman")
        .env("HOME", &home)
        .args(["--storage-driver", "vfs", "--root"])
        .arg(scratch.path().join("store"))
        .arg("--runroot")
        .arg(scratch.path().join("run"))
        .args([
            "pull",
            "--quiet",
            "--tls-verify=false",
            "--signature-policy",
        ])
        .arg(policy_dir.join("policy.json"))
        .arg(image));
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// What `skopeo copy` says with the same files.
pub fn skopeo_copies(policy_dir: &Path, image: &str) -> Result<(), String> {
    let scratch = tempfile::tempdir().unwrap();
    let out = run(Command::new("skopeo")
        .arg("--policy")
        .arg(policy_dir.join("policy.json"))
        .arg("--registries.d")
        .arg(policy_dir.join("registries.d"))
        .args(["copy", "--quiet", "--src-tls-verify=false"])
        .arg(format!("docker://{image}"))
        .arg(format!("dir:{}", scratch.path().join("copy").display())));
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

pub fn consumers_here() -> bool {
    have("podman") && have("skopeo") && have("docker-registry")
}

/// Writes the policy for `scope` with a lookaside URL into a new directory.
pub fn export(ws: &Ws, args: &[&str]) -> PathBuf {
    let out = ws
        .path()
        .join(format!("policy-{}", hex_sha256(args.join(" ").as_bytes())));
    let mut full = vec!["policy", "export", "-o", out.to_str().unwrap()];
    full.extend_from_slice(args);
    let run = ws.run(&full);
    assert_eq!(run.code, 0, "{run:?}");
    out
}

/// Replaces `img`'s signatures at `digest` with one by each of `signers`' primary keys, in order.
pub fn signed_by(ws: &Ws, reference: &str, digest: &str, signers: &[&TestKey]) {
    let dir = ws.image_dir("img", digest);
    let _ = std::fs::remove_dir_all(&dir);
    for (i, key) in signers.iter().enumerate() {
        ws.put(
            "img",
            digest,
            i as u32 + 1,
            &sign(key.primary_pair(), &payload(reference, digest)),
        );
    }
}
