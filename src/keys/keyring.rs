//! The keyring: OpenPGP certificates read from `keyring/` (`*.asc`, `*.pgp`, `*.gpg`, any
//! number per file, armored or binary). Only these certificates are ever consulted: no ambient
//! GnuPG trust, no key servers.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::parse::Parse;
use openpgp::{Fingerprint, KeyHandle, KeyID};

use crate::fs::path::Kind;
use crate::fs::source::Source;
use crate::text::error_chain;

/// A keyring that cannot be read. Always an input error (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct KeyringError {
    /// The directory or file at fault.
    pub path: PathBuf,
    /// What is wrong, in one line.
    pub message: String,
}

crate::fault::always!(Input: KeyringError);

/// The certificates, merged by primary fingerprint, with an index from every (sub)key id.
#[derive(Debug, Default)]
pub struct Keyring {
    certs: Vec<Cert>,
    /// Where each certificate was read from (the first file that held it).
    sources: Vec<PathBuf>,
    by_primary: BTreeMap<Fingerprint, usize>,
    by_keyid: HashMap<KeyID, Vec<usize>>,
    /// The workspace the source files are named from in messages (empty: as read).
    display_root: PathBuf,
    /// The Sigstore part: the trusted root and the cosign keys MAINTAINERS names (loaded by
    /// the workspace, which knows MAINTAINERS).
    pub sigstore: crate::keys::sigstore::material::SigstoreMaterial,
}

/// A keyring file larger than this is refused rather than read.
pub(crate) const MAX_KEYRING_FILE: u64 = 64 * 1024 * 1024;

/// The file names a keyring directory reads.
pub fn is_keyring_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("asc") | Some("pgp") | Some("gpg")
    )
}

impl Keyring {
    /// Names the source files in messages from the workspace at `root`, as quorate names every
    /// path; where they are read from is unchanged.
    pub fn show_paths_from(&mut self, root: &Path) {
        self.display_root = root.to_path_buf();
    }

    /// The workspace the source files are named from in messages.
    pub(crate) fn display_root(&self) -> &Path {
        &self.display_root
    }

    /// Reads every certificate file in `dir` (not recursive), sorted by name.
    pub fn load_dir(source: &dyn Source, dir: &Path) -> Result<Keyring, KeyringError> {
        let fail = |path: &Path, message: String| KeyringError {
            path: path.to_path_buf(),
            message,
        };
        let entries = source
            .list(dir)
            .map_err(|e| fail(dir, format!("cannot read the keyring directory: {e}")))?;
        let mut files = Vec::new();
        for (name, kind) in entries {
            let path = dir.join(name);
            match kind {
                Kind::File if is_keyring_file(&path) => files.push(path),
                Kind::Symlink if is_keyring_file(&path) => {
                    return Err(fail(
                        &path,
                        "is a symlink; quorate does not follow links in the trust root".into(),
                    ))
                }
                _ => {}
            }
        }
        files.sort();
        let mut keyring = Keyring::default();
        for path in files {
            let bytes = source
                .read(&path, MAX_KEYRING_FILE)
                .map_err(|e| fail(&path, format!("cannot read: {e}")))?;
            if bytes.len() as u64 > MAX_KEYRING_FILE {
                return Err(fail(
                    &path,
                    "larger than any keyring file quorate reads (64 MiB)".into(),
                ));
            }
            let certs = parse_certs(&bytes).map_err(|message| fail(&path, message))?;
            for cert in certs {
                keyring.insert(cert, &path);
            }
        }
        Ok(keyring)
    }

    /// Adds a certificate, merging it with a copy already held. Secret key material is dropped:
    /// the keyring only ever verifies.
    pub fn insert(&mut self, cert: Cert, source: &Path) {
        let cert = cert.strip_secret_key_material();
        let fingerprint = cert.fingerprint();
        let index = match self.by_primary.get(&fingerprint) {
            Some(&i) => {
                // Merging two copies of one certificate cannot fail: the fingerprints are equal.
                self.certs[i] = self.certs[i]
                    .clone()
                    .merge_public(cert)
                    .expect("same primary key");
                i
            }
            None => {
                self.certs.push(cert);
                self.sources.push(source.to_path_buf());
                self.by_primary.insert(fingerprint, self.certs.len() - 1);
                self.certs.len() - 1
            }
        };
        for key in self.certs[index].keys() {
            let ids = self.by_keyid.entry(key.key().keyid()).or_default();
            if !ids.contains(&index) {
                ids.push(index);
            }
        }
    }

    /// Certificates holding a key with this handle (primary or subkey). More than one only when
    /// key ids collide.
    pub fn certs_for(&self, handle: &KeyHandle) -> Vec<&Cert> {
        let keyid = KeyID::from(handle.clone());
        self.by_keyid
            .get(&keyid)
            .into_iter()
            .flatten()
            .map(|&i| &self.certs[i])
            .filter(|cert| cert.keys().any(|k| k.key().key_handle().aliases(handle)))
            .collect()
    }

    /// The certificate with this primary fingerprint.
    pub fn by_primary(&self, fingerprint: &Fingerprint) -> Option<&Cert> {
        self.by_primary.get(fingerprint).map(|&i| &self.certs[i])
    }

    /// The file a certificate was first read from.
    pub fn source_of(&self, fingerprint: &Fingerprint) -> Option<&Path> {
        self.by_primary
            .get(fingerprint)
            .map(|&i| self.sources[i].as_path())
    }

    /// Every certificate, sorted by primary fingerprint.
    pub fn certs(&self) -> impl Iterator<Item = &Cert> {
        self.by_primary.values().map(|&i| &self.certs[i])
    }

    /// How many certificates.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// True when there is no certificate.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }
}

/// Parses one file's certificates; an error is one line saying what is wrong.
pub fn parse_certs(bytes: &[u8]) -> Result<Vec<Cert>, String> {
    let parser = CertParser::from_bytes(bytes)
        .map_err(|e| format!("not an OpenPGP certificate file: {}", error_chain(&e)))?;
    let mut certs = Vec::new();
    for cert in parser {
        certs.push(cert.map_err(|e| format!("unparsable certificate: {}", error_chain(&e)))?);
    }
    if certs.is_empty() {
        return Err("holds no OpenPGP certificate".into());
    }
    Ok(certs)
}

/// One key (the same key material, so the same fingerprint) held by several certificates: a
/// certificate carrying another person's key, bound or not. Signatures are still attributed only
/// where the key is validly bound for signing, but the keyring that holds it is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedKey {
    /// The key.
    pub key: Fingerprint,
    /// The certificates holding it, by primary fingerprint, sorted.
    pub holders: Vec<Fingerprint>,
}

impl SharedKey {
    /// One line naming the key and every certificate (with its file) that holds it.
    pub fn describe(&self, keyring: &Keyring) -> String {
        let holders: Vec<String> = self
            .holders
            .iter()
            .map(|h| {
                let role = if *h == self.key {
                    "as its primary key"
                } else {
                    "as a subkey"
                };
                match keyring.source_of(h) {
                    Some(file) => format!(
                        "certificate {} ({}) {role}",
                        h.to_hex(),
                        crate::fs::path::shown_path(&keyring.display_root, file)
                    ),
                    None => format!("certificate {} {role}", h.to_hex()),
                }
            })
            .collect();
        format!(
            "key {} is held by {}: one key belongs to one certificate",
            self.key.to_hex(),
            holders.join(" and ")
        )
    }
}

/// Every key that more than one certificate of the keyring holds.
pub fn shared_keys(keyring: &Keyring) -> Vec<SharedKey> {
    let mut holders: BTreeMap<Fingerprint, Vec<Fingerprint>> = BTreeMap::new();
    for cert in keyring.certs() {
        for key in cert.keys() {
            let entry = holders.entry(key.key().fingerprint()).or_default();
            if !entry.contains(&cert.fingerprint()) {
                entry.push(cert.fingerprint());
            }
        }
    }
    holders
        .into_iter()
        .filter(|(_, h)| h.len() > 1)
        .map(|(key, mut holders)| {
            holders.sort();
            SharedKey { key, holders }
        })
        .collect()
}
