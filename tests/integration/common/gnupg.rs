//! A throwaway GnuPG home, for the tests that sign or check with the real gpg.

use std::process::{Command, Stdio};

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
