//! A workspace published to a bare git remote, and clones of it: each maintainer's checkout,
//! signing `stagex/pallet-rust:1.0` with the key kept beside it.

use std::path::{Path, PathBuf};

use super::keys::{reference, TestKey};
use super::run::{commit_all, git, run_in, Run};
use super::workspace::Ws;

/// A workspace published to a bare remote, and clones of it.
pub struct Net {
    _seed: Ws,
    pub remote: tempfile::TempDir,
    clones: tempfile::TempDir,
}

impl Net {
    /// The workspace `Ws::new(people)` makes, changed by `extra`, committed and pushed.
    pub fn new(people: &[(&str, &[&TestKey])], extra: impl FnOnce(&Path)) -> Net {
        let seed = Ws::new(people);
        extra(seed.path());
        commit_all(seed.path(), "workspace");
        let remote = tempfile::tempdir().unwrap();
        git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
        git(seed.path(), &["push", "-q", self_url(&remote), "main"]);
        Net {
            _seed: seed,
            remote,
            clones: tempfile::tempdir().unwrap(),
        }
    }

    pub fn url(&self) -> &str {
        self_url(&self.remote)
    }

    /// A clone in `<clones>/<name>`, its git identity set; keys are kept beside it, outside.
    pub fn clone(&self, name: &str) -> PathBuf {
        git(self.clones.path(), &["clone", "-q", self.url(), name]);
        let path = self.clones.path().join(name);
        git(&path, &["config", "user.name", name]);
        git(
            &path,
            &["config", "user.email", &format!("{name}@example.org")],
        );
        path
    }

    /// The remote's tip of a branch.
    pub fn tip(&self, branch: &str) -> String {
        git(self.remote.path(), &["rev-parse", branch])
            .trim()
            .to_string()
    }
}

fn self_url(dir: &tempfile::TempDir) -> &str {
    dir.path().to_str().unwrap()
}

/// The key's secret beside the clone (outside its work tree).
pub fn key_beside(clone: &Path, key: &TestKey) -> PathBuf {
    let path = clone.with_extension(format!("{}.key", key.name));
    std::fs::write(&path, key.secret()).unwrap();
    path
}

/// `quorate sign` of `stagex/pallet-rust:1.0@sha256:<hex>` in the clone, with the key's secret
/// beside it.
pub fn sign_in(clone: &Path, key: &TestKey, hex: &str) -> Run {
    let file = key_beside(clone, key);
    run_in(
        clone,
        &[
            "sign",
            "--no-rebuild",
            &reference(hex),
            "--key",
            file.to_str().unwrap(),
        ],
    )
}

/// The lookaside directory of `stagex/pallet-rust@sha256=<hex>` in the clone.
pub fn image_dir(clone: &Path, hex: &str) -> PathBuf {
    clone.join(format!("signatures/stagex/pallet-rust@sha256={hex}"))
}

/// Work tree, index and HEAD agree: nothing staged, deleted, modified or left over, and every
/// signature HEAD holds is in the work tree with HEAD's bytes.
pub fn assert_agrees_with_head(clone: &Path) {
    let status = git(clone, &["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(
        status,
        "",
        "{}: the work tree or index differs from HEAD",
        clone.display()
    );
    let committed = git(
        clone,
        &["ls-tree", "-r", "--name-only", "HEAD", "signatures"],
    );
    for path in committed.lines() {
        assert!(
            clone.join(path).is_file(),
            "{path} is committed but missing from the work tree"
        );
        assert_eq!(
            git(clone, &["hash-object", path]),
            git(clone, &["rev-parse", &format!("HEAD:{path}")]),
            "{path} differs from HEAD"
        );
    }
}

/// The signature files of an image directory, in number order.
pub fn signature_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort_by_key(|n| quorate::workspace::tree::signature_number(n));
    names
}
