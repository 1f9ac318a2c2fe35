//! A throwaway GnuPG home, for the tests that sign or check with the real gpg.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use super::workspace::Ws;

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

    /// A new key without a passphrase, never expiring; with `subkey`, the primary only
    /// certifies and an Ed25519 subkey signs.
    pub fn generate(&self, name: &str, subkey: bool) -> String {
        self.generate_with(name, subkey, "never", &["--passphrase", ""])
    }

    /// A new key as `generate` makes it, expiring after `expires` (`never`, `1y`, ...), each gpg
    /// call given `options` (the passphrase, `--faked-system-time`, ...) before its command.
    pub fn generate_with(
        &self,
        name: &str,
        subkey: bool,
        expires: &str,
        options: &[&str],
    ) -> String {
        let usage = if subkey { "cert" } else { "sign,cert" };
        let user = format!("{name} <{name}@example.org>");
        self.gpg(
            &[
                options,
                &["--quick-gen-key", &user, "ed25519", usage, expires],
            ]
            .concat(),
        );
        let fpr = self.fingerprint(name);
        if subkey {
            self.gpg(
                &[
                    options,
                    &["--quick-add-key", &fpr, "ed25519", "sign", expires],
                ]
                .concat(),
            );
        }
        fpr
    }

    pub fn fingerprint(&self, name: &str) -> String {
        self.fingerprints(name).remove(0)
    }

    /// The fingerprints of `name`'s key, the primary first and then each subkey.
    pub fn fingerprints(&self, name: &str) -> Vec<String> {
        let listing = String::from_utf8(self.gpg(&["--with-colons", "--list-keys", name])).unwrap();
        listing
            .lines()
            .filter(|l| l.starts_with("fpr:"))
            .map(|l| l.split(':').nth(9).unwrap().to_string())
            .collect()
    }

    /// `gpg --batch <args>` with `input` on its standard input: what it did, failed or not.
    pub fn gpg_fed(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .cmd("gpg")
            .arg("--batch")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    /// The certificate of `fpr`, armored, as keyring/ holds it.
    pub fn export(&self, fpr: &str) -> Vec<u8> {
        self.gpg(&["--armor", "--export", fpr])
    }

    /// `gpg --sign --no-armor` of `payload` by `fpr`, as if it were `at`
    /// (`--faked-system-time`): the time a signer claims is the signer's choice.
    pub fn sign_as_of(&self, fpr: &str, payload: &[u8], at: std::time::SystemTime) -> Vec<u8> {
        let out = self.gpg_fed(
            &[
                "--faked-system-time",
                &epoch(at),
                "--sign",
                "--no-armor",
                "--local-user",
                fpr,
            ],
            payload,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// StageX's sign.sh: the payload piped through `gpg --sign --no-armor`.
    pub fn stagex_sign(&self, fpr: &str, payload: &[u8]) -> Vec<u8> {
        let out = self.gpg_fed(&["--sign", "--no-armor", "--local-user", fpr], payload);
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

/// Seconds since the epoch, as `gpg --faked-system-time` takes a time.
pub fn epoch(at: std::time::SystemTime) -> String {
    at.duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string()
}

/// A workspace whose maintainers' keys live in a GnuPG home.
pub fn gpg_workspace(gnupg: &Gnupg, people: &[(&str, &str)]) -> Ws {
    let ws = Ws::new(&[]);
    let mut maintainers = String::new();
    for (handle, fpr) in people {
        maintainers.push_str(&format!(
            "[people.{handle}]\nname = \"{handle}\"\n[keys.{handle}.gpg]\nid = \"{fpr}\"\n"
        ));
        std::fs::write(
            ws.path().join(format!("keyring/{handle}.pgp")),
            gnupg.gpg(&["--export", fpr]),
        )
        .unwrap();
    }
    std::fs::write(ws.path().join("MAINTAINERS"), maintainers).unwrap();
    ws
}
