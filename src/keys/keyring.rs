//! The keyring: OpenPGP certificates read from `keyring/` (`*.asc`, `*.pgp`, `*.gpg`, any
//! number per file, armored or binary). Only these certificates are ever consulted: no ambient
//! GnuPG trust, no key servers.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::parse::Parse;
use openpgp::{Fingerprint, KeyHandle, KeyID};

use crate::fs::source::{Kind, Source};

/// A keyring that cannot be read. Always an input error (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct KeyringError {
    /// The directory or file at fault.
    pub path: PathBuf,
    /// What is wrong, in one line.
    pub message: String,
}

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
}

/// A keyring file larger than this is refused rather than read.
const MAX_KEYRING_FILE: u64 = 64 * 1024 * 1024;

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

/// An anyhow error and its causes on one line.
pub(crate) fn error_chain(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

/// How serious a keyring finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The keyring and MAINTAINERS agree on this key.
    Ok,
    /// Worth knowing: an expired or revoked key, a key that cannot sign.
    Warning,
    /// The trust root is inconsistent: a maintainer key with no certificate, a certificate of no
    /// maintainer, an invalid certificate.
    Error,
}

/// One line of `keyring check`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyringFinding {
    /// How serious.
    pub severity: Severity,
    /// The maintainer's handle, when the finding is about one.
    pub maintainer: Option<String>,
    /// The primary fingerprint.
    pub fingerprint: String,
    /// The keyring file holding the certificate, when there is one.
    pub source: Option<PathBuf>,
    /// What was found.
    pub message: String,
}

/// Checks the keyring against MAINTAINERS, as of `now`.
pub fn check(
    keyring: &Keyring,
    maintainers: &crate::format::maintainers::Maintainers,
    now: std::time::SystemTime,
) -> Vec<KeyringFinding> {
    use openpgp::policy::StandardPolicy;
    use openpgp::types::RevocationStatus;
    let policy = StandardPolicy::at(now);
    let mut findings = Vec::new();
    for (fingerprint, handle) in maintainers.fingerprints() {
        let source = Fingerprint::from_hex(fingerprint)
            .ok()
            .and_then(|f| keyring.source_of(&f))
            .map(Path::to_path_buf);
        let finding = |severity, message: String| KeyringFinding {
            severity,
            maintainer: Some(handle.to_string()),
            fingerprint: fingerprint.to_string(),
            source: source.clone(),
            message,
        };
        let Some(cert) = Fingerprint::from_hex(fingerprint)
            .ok()
            .and_then(|f| keyring.by_primary(&f))
        else {
            findings.push(finding(
                Severity::Error,
                "no certificate in the keyring".into(),
            ));
            continue;
        };
        let vc = match cert.with_policy(&policy, now) {
            Ok(vc) => vc,
            Err(e) => {
                findings.push(finding(
                    Severity::Error,
                    format!("certificate is not valid: {}", error_chain(&e)),
                ));
                continue;
            }
        };
        let mut problems = Vec::new();
        let judge = crate::keys::keystate::KeyJudge {
            keyring,
            policy: &policy,
        };
        if let RevocationStatus::Revoked(_) = vc.revocation_status() {
            problems.push("the certificate is revoked".to_string());
        } else if judge.designated_revocation(cert, now).is_some() {
            problems.push("the certificate is revoked by its designated revoker".to_string());
        }
        if let Err(e) = vc.alive() {
            problems.push(format!("the certificate has expired ({})", error_chain(&e)));
        }
        for ka in vc.keys() {
            let role = if ka.primary() {
                "primary key"
            } else {
                "subkey"
            };
            let fpr = ka.key().fingerprint().to_hex();
            if let RevocationStatus::Revoked(_) = ka.revocation_status() {
                if !ka.primary() {
                    problems.push(format!("{role} {fpr} is revoked"));
                }
            } else if ka.alive().is_err() && vc.alive().is_ok() {
                problems.push(format!("{role} {fpr} has expired"));
            }
        }
        let can_sign = vc
            .keys()
            .for_signing()
            .alive()
            .revoked(false)
            .next()
            .is_some();
        if !can_sign {
            problems.push("no key of the certificate can sign now".to_string());
        }
        let uid = vc
            .primary_userid()
            .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
            .unwrap_or_default();
        if problems.is_empty() {
            findings.push(finding(Severity::Ok, uid));
        } else {
            findings.push(finding(
                Severity::Warning,
                format!("{uid}: {}", problems.join("; ")),
            ));
        }
    }
    findings.extend(shared_keys(keyring).into_iter().map(|shared| {
        let fingerprint = shared.holders[0].to_hex();
        KeyringFinding {
            severity: Severity::Error,
            maintainer: maintainers
                .by_fingerprint(&fingerprint)
                .map(|m| m.handle.clone()),
            source: keyring.source_of(&shared.holders[0]).map(Path::to_path_buf),
            fingerprint,
            message: shared.describe(keyring),
        }
    }));
    for cert in keyring.certs() {
        let fingerprint = cert.fingerprint().to_hex();
        if maintainers.by_fingerprint(&fingerprint).is_none() {
            let uid = cert
                .userids()
                .next()
                .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
                .unwrap_or_default();
            findings.push(KeyringFinding {
                severity: Severity::Error,
                maintainer: None,
                fingerprint,
                source: keyring
                    .source_of(&cert.fingerprint())
                    .map(Path::to_path_buf),
                message: format!(
                    "certificate {uid} is not a maintainer's key: MAINTAINERS does not list it"
                ),
            });
        }
    }
    findings
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
                        crate::workspace::shown_path(&keyring.display_root, file)
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

/// The maintainers' certificates as one binary keyring (public parts only), and the
/// maintainer fingerprints that have no certificate.
pub fn export(
    keyring: &Keyring,
    maintainers: &crate::format::maintainers::Maintainers,
) -> (Vec<u8>, Vec<String>) {
    use openpgp::serialize::Serialize;
    let mut bytes = Vec::new();
    let mut missing = Vec::new();
    for (fingerprint, _) in maintainers.fingerprints() {
        match Fingerprint::from_hex(fingerprint)
            .ok()
            .and_then(|f| keyring.by_primary(&f))
        {
            // Serializing a certificate into memory cannot fail.
            Some(cert) => cert.serialize(&mut bytes).expect("serialize to memory"),
            None => missing.push(fingerprint.to_string()),
        }
    }
    (bytes, missing)
}

/// Why `keyring import` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file to import cannot be read or parsed (exit 2).
    #[error(transparent)]
    Input(#[from] KeyringError),
    /// A certificate's primary key is not one MAINTAINERS names (exit 1): the keyring is the trust
    /// root, and only maintainers' certificates belong in it.
    #[error("{}: certificate {fingerprint} is not a maintainer's key: MAINTAINERS does not list it; nothing imported", file.display())]
    NotAMaintainer {
        /// The file it came from.
        file: PathBuf,
        /// Its primary fingerprint.
        fingerprint: String,
    },
    /// A certificate holds a key that another certificate holds too (exit 1): a certificate
    /// carrying another person's key.
    #[error("{}: {message}; nothing imported", file.display())]
    SharedKey {
        /// The file it came from.
        file: PathBuf,
        /// The key and both certificates, in words.
        message: String,
    },
    /// The keyring file could not be written (exit 2).
    #[error("{}: cannot write: {message}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// One certificate merged into the keyring.
#[derive(Debug, Clone)]
pub struct Imported {
    /// Its primary fingerprint.
    pub fingerprint: String,
    /// The maintainer who holds it.
    pub maintainer: String,
    /// The keyring file written.
    pub file: PathBuf,
    /// What changed, in words.
    pub change: String,
}

/// Merges updated copies of maintainers' certificates (a renewed expiry, a new subkey, a
/// revocation) into the keyring directory: into the file that already holds each, or a new
/// `<FINGERPRINT>.asc`. All or nothing: one certificate that is not a maintainer's refuses all,
/// and so does a link on the way to any file it would write (checked from `root`, the workspace
/// or the `--keyring` directory the caller named, before anything is written).
pub fn import(
    root: &Path,
    keyring_dir: &Path,
    keyring: &Keyring,
    maintainers: &crate::format::maintainers::Maintainers,
    files: &[PathBuf],
) -> Result<Vec<Imported>, ImportError> {
    use openpgp::serialize::Serialize;
    let mut incoming = Vec::new();
    let mut incoming_files = Vec::new();
    for file in files {
        let bytes = std::fs::read(file).map_err(|e| KeyringError {
            path: file.clone(),
            message: format!("cannot read: {e}"),
        })?;
        let certs = parse_certs(&bytes).map_err(|message| KeyringError {
            path: file.clone(),
            message,
        })?;
        for cert in certs {
            let fingerprint = cert.fingerprint().to_hex();
            let Some(maintainer) = maintainers.by_fingerprint(&fingerprint) else {
                return Err(ImportError::NotAMaintainer {
                    file: file.clone(),
                    fingerprint,
                });
            };
            incoming.push((cert.strip_secret_key_material(), maintainer.handle.clone()));
            incoming_files.push(file.clone());
        }
    }
    // One key, one certificate: what the keyring would hold after the import must not share a key
    // between two certificates, whether the clash is with the keyring or within the import.
    let mut after = Keyring::default();
    after.show_paths_from(&keyring.display_root);
    for cert in keyring.certs() {
        after.insert(
            cert.clone(),
            keyring
                .source_of(&cert.fingerprint())
                .unwrap_or(keyring_dir),
        );
    }
    let mut from_file: Vec<(Fingerprint, PathBuf)> = Vec::new();
    for ((cert, _), file) in incoming.iter().zip(incoming_files.iter()) {
        after.insert(cert.clone(), file);
        from_file.push((cert.fingerprint(), file.clone()));
    }
    if let Some(shared) = shared_keys(&after).into_iter().next() {
        let file = shared
            .holders
            .iter()
            .find_map(|h| {
                from_file
                    .iter()
                    .find(|(f, _)| f == h)
                    .map(|(_, p)| p.clone())
            })
            .unwrap_or_else(|| keyring_dir.to_path_buf());
        return Err(ImportError::SharedKey {
            file,
            message: shared.describe(&after),
        });
    }
    // What each keyring file will hold: its current certificates, with the incoming merged in.
    let mut files_out: BTreeMap<PathBuf, Vec<Cert>> = BTreeMap::new();
    let mut imported = Vec::new();
    for (cert, maintainer) in incoming {
        let fingerprint = cert.fingerprint();
        let target = keyring
            .source_of(&fingerprint)
            .map(Path::to_path_buf)
            .unwrap_or_else(|| keyring_dir.join(format!("{}.asc", fingerprint.to_hex())));
        if !files_out.contains_key(&target) {
            crate::fs::confine::check(root, &target).map_err(|e| ImportError::Write {
                path: target.clone(),
                message: e.to_string(),
            })?;
        }
        let held = files_out.entry(target.clone()).or_insert_with(|| {
            read_held(root, &target)
                .and_then(|b| parse_certs(&b).ok())
                .map(|certs| {
                    certs
                        .into_iter()
                        .map(|c| c.strip_secret_key_material())
                        .collect()
                })
                .unwrap_or_default()
        });
        let before = held
            .iter()
            .find(|c| c.fingerprint() == fingerprint)
            .cloned();
        let merged = match &before {
            Some(old) => old.clone().merge_public(cert).expect("same primary key"),
            None => cert,
        };
        let change = describe_change(before.as_ref(), &merged);
        held.retain(|c| c.fingerprint() != fingerprint);
        held.push(merged);
        imported.push(Imported {
            fingerprint: fingerprint.to_hex(),
            maintainer,
            file: target,
            change,
        });
    }
    for (path, certs) in &files_out {
        let mut out = Vec::new();
        for cert in certs {
            // Serializing into memory cannot fail.
            cert.armored()
                .serialize(&mut out)
                .expect("serialize to memory");
        }
        let write = || -> Result<(), crate::fs::confine::ConfineError> {
            let parent = path.parent().unwrap_or(Path::new(""));
            let dir = crate::fs::confine::Dir::create(root, parent)?;
            dir.write_atomic(path.file_name().unwrap_or_default(), &out)
        };
        write().map_err(|e| ImportError::Write {
            path: path.clone(),
            message: e.to_string(),
        })?;
    }
    Ok(imported)
}

/// The bytes a keyring file holds now, read without following a link; None when absent.
fn read_held(root: &Path, file: &Path) -> Option<Vec<u8>> {
    let dir = crate::fs::confine::Dir::open(root, file.parent()?).ok()??;
    dir.read(file.file_name()?, MAX_KEYRING_FILE).ok()
}

fn describe_change(before: Option<&Cert>, after: &Cert) -> String {
    let Some(before) = before else {
        return "new certificate".into();
    };
    let count = |c: &Cert| (c.keys().subkeys().count(), c.clone().into_packets().count());
    let (subkeys_before, packets_before) = count(before);
    let (subkeys_after, packets_after) = count(after);
    if packets_after == packets_before {
        return "unchanged".into();
    }
    let mut parts = Vec::new();
    if subkeys_after > subkeys_before {
        parts.push(crate::plural(subkeys_after - subkeys_before, "new subkey"));
    }
    parts.push(format!(
        "{} (signatures: expiry, revocation, bindings)",
        crate::plural(packets_after - packets_before, "new packet")
    ));
    parts.join(", ")
}
