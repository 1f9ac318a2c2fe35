//! The network a test stands up: a bare git remote with clones of it, and waiting for
//! something to happen.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::keys::TestKey;
use super::run::{commit_all, git};
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

/// Polls `done` every 20 ms until it holds or `limit` has passed; says whether it held.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}
