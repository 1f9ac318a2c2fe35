//! Test scaffolding: keys generated at run time with Sequoia, workspaces in temporary
//! directories with real git repositories, and the real `quorate` binary.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::crypto::KeyPair;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::Packet;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{LiteralWriter, Message, Signer};
use openpgp::serialize::Serialize;
use openpgp::types::{HashAlgorithm, KeyFlags, ReasonForRevocation, SignatureType};

pub const HEX_A: &str = "2fbe7b164dd92edb9c1096152f6d27592d8a69b1b8eb2fc907b5fadea7d11668";
pub const HEX_B: &str = "f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268";

pub fn days(n: u64) -> Duration {
    Duration::from_secs(n * 86400)
}

/// A maintainer's key, secret parts included.
#[derive(Clone)]
pub struct TestKey {
    pub name: String,
    pub cert: Cert,
}

impl TestKey {
    /// Ed25519, the primary key certifies and signs, never expires.
    pub fn new(name: &str) -> TestKey {
        TestKey::build(name, |b| b)
    }

    /// The primary key only certifies; a subkey signs (as on a smartcard).
    pub fn with_signing_subkey(name: &str) -> TestKey {
        TestKey::build(name, |b| {
            b.set_primary_key_flags(KeyFlags::empty().set_certification())
                .add_signing_subkey()
        })
    }

    pub fn build(
        name: &str,
        f: impl FnOnce(CertBuilder<'static>) -> CertBuilder<'static>,
    ) -> TestKey {
        let builder = CertBuilder::new()
            .add_userid(format!("{name} <{name}@example.org>"))
            .set_cipher_suite(CipherSuite::Cv25519)
            .set_primary_key_flags(KeyFlags::empty().set_certification().set_signing())
            .set_creation_time(SystemTime::now() - days(30));
        let (cert, _) = f(builder).generate().unwrap();
        TestKey {
            name: name.to_string(),
            cert,
        }
    }

    pub fn fingerprint(&self) -> String {
        self.cert.fingerprint().to_hex()
    }

    pub fn public(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.cert.armored().serialize(&mut out).unwrap();
        out
    }

    pub fn secret(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.cert.as_tsk().armored().serialize(&mut out).unwrap();
        out
    }

    /// The primary key as a signer, whatever its flags.
    pub fn primary_pair(&self) -> KeyPair {
        self.cert
            .primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap()
            .into_keypair()
            .unwrap()
    }

    /// The first subkey as a signer, whatever its flags.
    pub fn subkey_pair(&self) -> KeyPair {
        self.cert
            .keys()
            .subkeys()
            .next()
            .unwrap()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap()
            .role_into_unspecified()
            .into_keypair()
            .unwrap()
    }

    /// Adds a revocation of the whole certificate, made now.
    pub fn revoke(&mut self, reason: ReasonForRevocation) {
        let mut pair = self.primary_pair();
        let rev = CertRevocationBuilder::new()
            .set_reason_for_revocation(reason, b"test")
            .unwrap()
            .build(&mut pair, &self.cert, None)
            .unwrap();
        self.cert = self
            .cert
            .clone()
            .insert_packets(Packet::from(rev))
            .unwrap()
            .0;
    }

    /// Sets the certificate to expire `validity` after its creation, by a new self-signature
    /// made at `at`.
    pub fn set_expiry(&mut self, validity: Option<Duration>, at: SystemTime) {
        let policy = StandardPolicy::new();
        let mut pair = self.primary_pair();
        let expiration = validity.map(|v| self.cert.primary_key().key().creation_time() + v);
        let sigs = self
            .cert
            .primary_key()
            .with_policy(&policy, at)
            .unwrap()
            .set_expiration_time(&mut pair, expiration)
            .unwrap();
        // Re-date them: set_expiration_time stamps "now".
        let mut redated = Vec::new();
        for sig in sigs {
            let builder = SignatureBuilder::from(sig.clone())
                .set_signature_creation_time(at)
                .unwrap();
            let new = match sig.typ() {
                SignatureType::DirectKey => builder.sign_direct_key(&mut pair, None).unwrap(),
                _ => {
                    let uid = self.cert.userids().next().unwrap().userid().clone();
                    builder.sign_userid_binding(&mut pair, None, &uid).unwrap()
                }
            };
            redated.push(Packet::from(new));
        }
        self.cert = self.cert.clone().insert_packets(redated).unwrap().0;
    }
}

/// The payload quorate and StageX write.
pub fn payload(reference: &str, hex: &str) -> Vec<u8> {
    format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{reference}"}},"image":{{"docker-manifest-digest":"sha256:{hex}"}},"type":"atomic container signature"}},"optional":{{}}}}"#
    )
    .into_bytes()
}

/// A signed message made with Sequoia at a chosen time and hash.
pub fn sign_at(pair: KeyPair, payload: &[u8], at: SystemTime, hash: HashAlgorithm) -> Vec<u8> {
    let mut sink = Vec::new();
    {
        let message = Message::new(&mut sink);
        let signer = Signer::new(message, pair)
            .unwrap()
            .hash_algo(hash)
            .unwrap()
            .creation_time(at)
            .build()
            .unwrap();
        let mut literal = LiteralWriter::new(signer).build().unwrap();
        literal.write_all(payload).unwrap();
        literal.finalize().unwrap();
    }
    sink
}

/// A signed message made now with SHA-256.
pub fn sign(pair: KeyPair, payload: &[u8]) -> Vec<u8> {
    sign_at(
        pair,
        payload,
        SystemTime::now() - Duration::from_secs(60),
        HashAlgorithm::SHA256,
    )
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
        let mut maintainers = String::new();
        for (handle, keys) in people {
            maintainers.push_str(&format!(
                "[people.{handle}]\nname = \"{handle}\"\nemail = \"{handle}@example.org\"\n"
            ));
            for (i, key) in keys.iter().enumerate() {
                maintainers.push_str(&format!(
                    "[keys.{handle}.key{i}]\nid = \"{}\"\n",
                    key.fingerprint()
                ));
                ws.add_cert(key);
            }
        }
        std::fs::write(ws.path().join("MAINTAINERS"), maintainers).unwrap();
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

/// A finished run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    run_env(dir, args, &[])
}

/// Runs quorate in `dir` with extra environment variables.
pub fn run_env(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Run {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_quorate"))
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
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

/// True when the program is on PATH. When it is not, the test says so loudly, and fails when
/// QUORATE_REQUIRE_INTEROP is set (as .ci/run sets it), so CI never skips silently.
pub fn have(program: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var_os("QUORATE_REQUIRE_INTEROP").is_some() {
            panic!("{program} is required (QUORATE_REQUIRE_INTEROP is set) but not installed");
        }
        eprintln!("\n*** SKIPPED: {program} is not installed; this interop test did not run ***\n");
    }
    found
}

/// The lowercase hex sha256 of some bytes.
pub fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A throwaway GnuPG home; its agent is stopped when it is dropped.
pub struct Gnupg {
    pub home: tempfile::TempDir,
}

impl Gnupg {
    pub fn new() -> Gnupg {
        let home = tempfile::Builder::new()
            .prefix("gpg")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::set_permissions(
            home.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        Gnupg { home }
    }

    pub fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("GNUPGHOME", self.home.path());
        c
    }

    pub fn gpg(&self, args: &[&str]) -> Vec<u8> {
        let out = self.cmd("gpg").arg("--batch").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// A new key; with `subkey`, the primary only certifies and an Ed25519 subkey signs.
    pub fn generate(&self, name: &str, subkey: bool) -> String {
        let usage = if subkey { "cert" } else { "sign,cert" };
        self.gpg(&[
            "--passphrase",
            "",
            "--quick-gen-key",
            &format!("{name} <{name}@example.org>"),
            "ed25519",
            usage,
            "never",
        ]);
        let fpr = self.fingerprint(name);
        if subkey {
            self.gpg(&[
                "--passphrase",
                "",
                "--quick-add-key",
                &fpr,
                "ed25519",
                "sign",
                "never",
            ]);
        }
        fpr
    }

    pub fn fingerprint(&self, name: &str) -> String {
        let listing = String::from_utf8(self.gpg(&["--with-colons", "--list-keys", name])).unwrap();
        listing
            .lines()
            .find(|l| l.starts_with("fpr:"))
            .unwrap()
            .split(':')
            .nth(9)
            .unwrap()
            .to_string()
    }

    /// StageX's sign.sh: the payload piped through `gpg --sign --no-armor`.
    pub fn stagex_sign(&self, fpr: &str, payload: &[u8]) -> Vec<u8> {
        let mut child = self
            .cmd("gpg")
            .args(["--batch", "--sign", "--no-armor", "--local-user", fpr])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(payload).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

impl Drop for Gnupg {
    fn drop(&mut self) {
        let _ = self.cmd("gpgconf").args(["--kill", "all"]).output();
    }
}
