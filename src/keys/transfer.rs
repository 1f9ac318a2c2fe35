//! `keyring export` and `keyring import`: the maintainers' certificates out as one keyring, and
//! updated copies merged in, all or nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::Fingerprint;

use crate::keys::keyring::{parse_certs, shared_keys, Keyring, KeyringError, MAX_KEYRING_FILE};

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

impl crate::fault::Classify for ImportError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            ImportError::NotAMaintainer { .. } | ImportError::SharedKey { .. } => {
                crate::fault::Fault::Refused
            }
            ImportError::Input(_) | ImportError::Write { .. } => crate::fault::Fault::Input,
        }
    }
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
    after.show_paths_from(keyring.display_root());
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
    // The files whose certificates the import changes: only these are written, so an import
    // that brings nothing new leaves every file as it was, byte for byte.
    let mut changed: std::collections::BTreeSet<PathBuf> = std::collections::BTreeSet::new();
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
        if before.as_ref() != Some(&merged) {
            changed.insert(target.clone());
        }
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
    for (path, certs) in files_out.iter().filter(|(p, _)| changed.contains(*p)) {
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
    if before == after {
        return "unchanged".into();
    }
    let count = |c: &Cert| (c.keys().subkeys().count(), c.clone().into_packets().count());
    let (subkeys_before, packets_before) = count(before);
    let (subkeys_after, packets_after) = count(after);
    if packets_after <= packets_before {
        return "updated: other packets in place of some".into();
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
