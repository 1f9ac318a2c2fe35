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
    real_layout(dir.path(), "oci", content, "1.0");
    let layout = dir.path().join("oci");
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
