//! Workspaces in temporary directories, each with a real git repository.

use std::path::{Path, PathBuf};

use super::keys::TestKey;
use super::run::{git, run_in, Run};

/// MAINTAINERS naming each person with the keys they hold, as `Ws::new` writes it.
pub fn maintainers(people: &[(&str, &[&TestKey])]) -> String {
    let people: Vec<(&str, Vec<String>)> = people
        .iter()
        .map(|(handle, keys)| (*handle, keys.iter().map(|k| k.fingerprint()).collect()))
        .collect();
    maintainers_of(&people)
}

/// MAINTAINERS naming each person with the primary fingerprints they hold (keys made by gpg).
pub fn maintainers_of(people: &[(&str, Vec<String>)]) -> String {
    let mut text = String::new();
    for (handle, fingerprints) in people {
        text.push_str(&format!(
            "[people.{handle}]\nname = \"{handle}\"\nemail = \"{handle}@example.org\"\n"
        ));
        for (i, fingerprint) in fingerprints.iter().enumerate() {
            text.push_str(&format!("[keys.{handle}.key{i}]\nid = \"{fingerprint}\"\n"));
        }
    }
    text
}

/// Adds a maintainer (and their certificate) to the working MAINTAINERS of the workspace or
/// clone at `dir`.
pub fn add_maintainer_in(dir: &Path, key: &TestKey) {
    let mut text = std::fs::read_to_string(dir.join("MAINTAINERS")).unwrap();
    text.push_str(&format!(
        "[people.{n}]\nname = \"{n}\"\n[keys.{n}.main]\nid = \"{}\"\n",
        key.fingerprint(),
        n = key.name
    ));
    std::fs::write(dir.join("MAINTAINERS"), text).unwrap();
    std::fs::write(dir.join(format!("keyring/{}.asc", key.name)), key.public()).unwrap();
}

/// A workspace in a temporary directory, with a git repository.
pub struct Ws {
    pub dir: tempfile::TempDir,
}

impl Ws {
    /// Each maintainer with the keys they hold; every key's certificate goes in keyring/.
    pub fn new(people: &[(&str, &[&TestKey])]) -> Ws {
        let ws = Ws {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir(ws.path().join("keyring")).unwrap();
        for (_, keys) in people {
            for key in *keys {
                ws.add_cert(key);
            }
        }
        std::fs::write(ws.path().join("MAINTAINERS"), maintainers(people)).unwrap();
        git(ws.path(), &["init", "-q", "-b", "main"]);
        git(ws.path(), &["config", "user.name", "Test"]);
        git(ws.path(), &["config", "user.email", "test@example.org"]);
        ws
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Puts a key's certificate in keyring/ (replacing an older copy).
    pub fn add_cert(&self, key: &TestKey) {
        std::fs::write(
            self.path().join(format!("keyring/{}.asc", key.name)),
            key.public(),
        )
        .unwrap();
    }

    /// Writes the key's secret to a file and returns its path.
    pub fn key_file(&self, key: &TestKey) -> PathBuf {
        let path = self.path().join(format!("{}.key", key.name));
        std::fs::write(&path, key.secret()).unwrap();
        path
    }

    /// The lookaside directory of `stagex/<name>@sha256=<hex>`.
    pub fn image_dir(&self, name: &str, hex: &str) -> PathBuf {
        self.path()
            .join(format!("signatures/stagex/{name}@sha256={hex}"))
    }

    /// Places bytes as signature-N of an image.
    pub fn put(&self, name: &str, hex: &str, n: u32, bytes: &[u8]) -> PathBuf {
        let dir = self.image_dir(name, hex);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("signature-{n}"));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Runs quorate in the workspace.
    pub fn run(&self, args: &[&str]) -> Run {
        run_in(self.path(), args)
    }

    /// `quorate verify --json` of one reference, parsed.
    pub fn verify_json(&self, reference: &str) -> serde_json::Value {
        let run = self.run(&["verify", "--json", reference]);
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
    }
}

/// The codes of every problem of signature-N in a verify JSON report.
pub fn codes(report: &serde_json::Value, n: u64) -> Vec<String> {
    let file = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["number"] == n)
        .unwrap_or_else(|| panic!("no signature-{n} in {report}"));
    file["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect()
}

/// Sets quorate.toml's threshold in the workspace at `dir`.
pub fn set_threshold(dir: &Path, threshold: u32) {
    std::fs::write(
        dir.join("quorate.toml"),
        format!("threshold = {threshold}\n"),
    )
    .unwrap();
}

/// Declares the oldest consumer in quorate.toml at `dir` (`podman = "4.3.1"`, ...), keeping
/// what else it says.
pub fn declare_consumer(dir: &Path, entry: &str) {
    let path = dir.join("quorate.toml");
    let before = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, format!("{before}\n[consumers]\n{entry}\n")).unwrap();
}
