//! The teams most tests sign with: alice, bob and carol (or alice and bob), one way to write
//! each down.

use super::keys::TestKey;
use super::remote::Net;
use super::run::{commit_all, Run};
use super::workspace::{set_threshold, Ws};

const TEAM: [&str; 3] = ["alice", "bob", "carol"];

/// alice, bob and carol, each with a new key of their own, in that order.
pub fn team_keys() -> [TestKey; 3] {
    TEAM.map(TestKey::new)
}

/// alice, bob and carol with new keys, the maintainers of a new workspace.
pub fn team() -> (Ws, [TestKey; 3]) {
    let keys = team_keys();
    let ws = Team::of(keys.each_ref()).ws();
    (ws, keys)
}

/// alice and bob with new keys, the maintainers of a new workspace.
pub fn pair() -> (Ws, [TestKey; 2]) {
    let keys = [TestKey::new("alice"), TestKey::new("bob")];
    let ws = Ws::new(&[("alice", &[&keys[0]]), ("bob", &[&keys[1]])]);
    (ws, keys)
}

/// alice, bob and carol as the maintainers, each holding the key given (in that order), and
/// what a test varies: another key for one of them, quorate.toml's threshold.
pub struct Team<'k> {
    keys: [Vec<&'k TestKey>; 3],
    threshold: Option<u32>,
}

impl<'k> Team<'k> {
    pub fn of(keys: [&'k TestKey; 3]) -> Team<'k> {
        Team {
            keys: keys.map(|key| vec![key]),
            threshold: None,
        }
    }

    /// Gives `handle` another key, after the ones they hold.
    pub fn also(mut self, handle: &str, key: &'k TestKey) -> Team<'k> {
        let person = TEAM.iter().position(|h| *h == handle).unwrap();
        self.keys[person].push(key);
        self
    }

    /// quorate.toml's threshold: left uncommitted in `ws`, in the first commit of `net`.
    pub fn threshold(mut self, threshold: u32) -> Team<'k> {
        self.threshold = Some(threshold);
        self
    }

    fn people(&self) -> Vec<(&'static str, &[&'k TestKey])> {
        TEAM.into_iter()
            .zip(self.keys.iter().map(Vec::as_slice))
            .collect()
    }

    /// The team's workspace.
    pub fn ws(&self) -> Ws {
        let ws = Ws::new(&self.people());
        if let Some(threshold) = self.threshold {
            set_threshold(ws.path(), threshold);
        }
        ws
    }

    /// The team's workspace published to a bare remote.
    pub fn net(&self) -> Net {
        Net::new(&self.people(), |dir| {
            if let Some(threshold) = self.threshold {
                set_threshold(dir, threshold);
            }
        })
    }
}

/// Three maintainers (threshold 2), a first commit, and the chain started: version 1 proposed
/// and approved by alice and bob.
pub fn chained() -> (Ws, [TestKey; 3]) {
    let (ws, keys) = team();
    commit_all(ws.path(), "workspace");
    let run = ws.run(&["trust", "propose"]);
    assert_eq!(run.code, 0, "{run:?}");
    approve(&ws, &keys[0]);
    let run = approve(&ws, &keys[1]);
    assert!(run.stdout.contains("version 1 is in force"), "{run:?}");
    (ws, keys)
}

pub fn approve(ws: &Ws, key: &TestKey) -> Run {
    let file = ws.key_file(key);
    let run = ws.run(&["trust", "sign", "--key", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    run
}

/// `quorate trust sign` in a clone with the key's secret kept beside it; the run, whatever it did.
pub fn trust_sign_in(clone: &std::path::Path, key: &TestKey) -> Run {
    let file = super::remote::key_beside(clone, key);
    super::run::run_in(clone, &["trust", "sign", "--key", file.to_str().unwrap()])
}

/// `trust_sign_in`, which must pass.
pub fn approve_in(clone: &std::path::Path, key: &TestKey) -> Run {
    let run = trust_sign_in(clone, key);
    assert_eq!(run.code, 0, "{run:?}");
    run
}
