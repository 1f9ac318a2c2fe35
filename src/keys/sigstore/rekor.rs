//! Rekor's proofs that an entry is in the log: the signed entry timestamp (SET), the Merkle
//! inclusion proof (RFC 6962 §2.1.1, RFC 9162 §2.1.3.2) and the signed checkpoint (a signed
//! note) that carries the tree's root. The bytes come parsed from `format::sigstore`.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::ecdsa::{CosignPublicKey, KeyError};
use crate::format::sigstore::trusted_root::LogKey;
use crate::text::shown;

/// A checkpoint is a few hundred bytes; larger is refused before parsing.
pub const MAX_CHECKPOINT: usize = 16 * 1024;
/// An audit path longer than this cannot belong to a tree of 2^64 leaves.
pub const MAX_PROOF_HASHES: usize = 64;

/// Why a signed entry timestamp does not count.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    /// No log of the trusted root has that id.
    #[error("no transparency log of the trusted root has log id {0}")]
    UnknownLog(String),
    /// The log's key is not valid at the entry's time.
    #[error("transparency log {log} is not valid at {at} (Unix seconds)")]
    LogNotValidAt {
        /// The log's base URL.
        log: String,
        /// The integrated time.
        at: i64,
    },
    /// The trusted root's log key is not ECDSA P-256 or its id is not its hash.
    #[error("transparency log {log}'s key in the trusted root is unusable: {detail}")]
    LogKey {
        /// The log's base URL.
        log: String,
        /// What is wrong.
        detail: String,
    },
    /// The SET does not verify.
    #[error("the signed entry timestamp does not verify with transparency log {0}'s key")]
    BadSignature(String),
}

impl crate::fault::Classify for LogError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            LogError::LogKey { .. } => crate::fault::Fault::Input,
            _ => crate::fault::Fault::Refused,
        }
    }
}

/// Why an inclusion proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InclusionError {
    /// The index is not below the tree size.
    #[error("log index {index} is not inside a tree of size {size}")]
    IndexOutsideTree {
        /// The entry's index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The path has more or fewer hashes than the index and size need.
    #[error("the inclusion proof has {0} hashes, not as many as the index and tree size need")]
    WrongPathLength(usize),
    /// The computed root differs.
    #[error("the inclusion proof does not lead to the root hash")]
    RootMismatch,
}

crate::fault::always!(Refused: InclusionError);

/// Why a checkpoint does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// Larger than `MAX_CHECKPOINT`.
    #[error("the checkpoint is larger than {MAX_CHECKPOINT} bytes")]
    TooLarge,
    /// Not a signed note: text, a blank line, signature lines.
    #[error("the checkpoint is not a signed note: {0}")]
    Malformed(&'static str),
    /// The size line is not a decimal number.
    #[error("the checkpoint's tree size {0:?} is not a number")]
    Size(String),
    /// The root line is not base64 of 32 bytes.
    #[error("the checkpoint's root hash is not base64 of 32 bytes")]
    RootHash,
    /// A signature line is malformed.
    #[error("the checkpoint's signature line {0} is malformed")]
    SignatureLine(usize),
    /// No signature by a key of the trusted root's logs verifies.
    #[error(
        "no signature of the checkpoint verifies with a transparency log key of the trusted root"
    )]
    Unsigned,
    /// Another tree size than the proof's.
    #[error("the checkpoint is for tree size {checkpoint}, the proof for {proof}")]
    SizeMismatch {
        /// The checkpoint's.
        checkpoint: u64,
        /// The proof's.
        proof: u64,
    },
    /// Another root than the proof's.
    #[error("the checkpoint's root hash is not the proof's")]
    RootMismatch,
}

impl crate::fault::Classify for CheckpointError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            CheckpointError::Unsigned
            | CheckpointError::SizeMismatch { .. }
            | CheckpointError::RootMismatch => crate::fault::Fault::Refused,
            _ => crate::fault::Fault::Input,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn log_key(log: &LogKey) -> Result<CosignPublicKey, LogError> {
    let key = CosignPublicKey::from_spki_der(&log.public_key_der).map_err(|e: KeyError| {
        LogError::LogKey {
            log: shown(&log.base_url).into_owned(),
            detail: e.to_string(),
        }
    })?;
    if Sha256::digest(key.spki_der()).as_slice() != log.log_id {
        return Err(LogError::LogKey {
            log: shown(&log.base_url).into_owned(),
            detail: "its log id is not the SHA-256 of its key".into(),
        });
    }
    Ok(key)
}

/// Checks a signed entry timestamp: the log of `tlogs` with id `log_id`, valid at
/// `integrated_time`, signed (ECDSA-SHA256, DER) `canonical_payload` (the canonical JSON of
/// `{"body","integratedTime","logID","logIndex"}`, built by the caller) as `set`. Returns the
/// log's index in `tlogs`.
pub fn verify_set(
    tlogs: &[LogKey],
    log_id: &[u8; 32],
    canonical_payload: &[u8],
    set: &[u8],
    integrated_time: i64,
) -> Result<usize, LogError> {
    let Some(index) = tlogs.iter().position(|l| l.log_id == *log_id) else {
        return Err(LogError::UnknownLog(hex(log_id)));
    };
    let log = &tlogs[index];
    if !log.valid_for.contains(integrated_time) {
        return Err(LogError::LogNotValidAt {
            log: shown(&log.base_url).into_owned(),
            at: integrated_time,
        });
    }
    let key = log_key(log)?;
    if !key.verify(canonical_payload, set) {
        return Err(LogError::BadSignature(shown(&log.base_url).into_owned()));
    }
    Ok(index)
}

/// RFC 6962's leaf hash: SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// RFC 6962's interior node hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Checks that `body` (the canonicalized entry) is leaf `log_index` of the tree of
/// `tree_size` leaves whose root is `root_hash`, through the audit path `hashes` (RFC 9162
/// §2.1.3.2: leaf-side first).
pub fn verify_inclusion(
    body: &[u8],
    log_index: u64,
    tree_size: u64,
    hashes: &[[u8; 32]],
    root_hash: &[u8; 32],
) -> Result<(), InclusionError> {
    if log_index >= tree_size {
        return Err(InclusionError::IndexOutsideTree {
            index: log_index,
            size: tree_size,
        });
    }
    if hashes.len() > MAX_PROOF_HASHES {
        return Err(InclusionError::WrongPathLength(hashes.len()));
    }
    let (mut fn_, mut sn) = (log_index, tree_size - 1);
    let mut r = leaf_hash(body);
    for p in hashes {
        if sn == 0 {
            return Err(InclusionError::WrongPathLength(hashes.len()));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(InclusionError::WrongPathLength(hashes.len()));
    }
    if r != *root_hash {
        return Err(InclusionError::RootMismatch);
    }
    Ok(())
}

/// Checks a checkpoint (a signed note: origin line, tree size, base64 root hash, optional
/// further lines, a blank line, then lines `— <name> <base64(key hint ‖ signature)>`): one
/// signature whose 4-byte key hint is the start of a `tlogs` log id verifies (ECDSA-SHA256
/// over the note's text, its final newline included) with that log's key, and the note
/// carries `tree_size` and `root_hash`. The signature's name is not compared with anything
/// (sigstore-python does not either). Returns the index in `tlogs` of the log that signed.
pub fn verify_checkpoint(
    envelope: &str,
    tlogs: &[LogKey],
    root_hash: &[u8; 32],
    tree_size: u64,
) -> Result<usize, CheckpointError> {
    if envelope.len() > MAX_CHECKPOINT {
        return Err(CheckpointError::TooLarge);
    }
    let Some(split) = envelope.find("\n\n") else {
        return Err(CheckpointError::Malformed(
            "no blank line before the signatures",
        ));
    };
    let (text, signatures) = (&envelope[..split + 1], &envelope[split + 2..]);
    let mut lines = text.lines();
    let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
        return Err(CheckpointError::Malformed("fewer than three lines of text"));
    };
    if origin.is_empty() {
        return Err(CheckpointError::Malformed("the origin line is empty"));
    }
    let checkpoint_size: u64 = match size.parse() {
        Ok(n) if !size.starts_with('+') && (size == "0" || !size.starts_with('0')) => n,
        _ => return Err(CheckpointError::Size(shown(size).into_owned())),
    };
    let root: [u8; 32] = base64::engine::general_purpose::STANDARD
        .decode(root.as_bytes())
        .ok()
        .and_then(|r| r.try_into().ok())
        .ok_or(CheckpointError::RootHash)?;
    if !signatures.ends_with('\n') || signatures.len() < 2 {
        return Err(CheckpointError::Malformed(
            "the signature lines do not end in a newline",
        ));
    }
    let mut signer = None;
    for (n, line) in signatures.lines().enumerate() {
        let parsed = line
            .strip_prefix("\u{2014} ")
            .and_then(|rest| rest.rsplit_once(' '))
            .filter(|(name, _)| !name.is_empty() && !name.contains(' '))
            .and_then(|(_, b64)| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .filter(|raw| raw.len() > 4);
        let Some(raw) = parsed else {
            return Err(CheckpointError::SignatureLine(n + 1));
        };
        let (hint, signature) = raw.split_at(4);
        if signer.is_some() {
            continue;
        }
        for (index, log) in tlogs.iter().enumerate() {
            if log.log_id[..4] != *hint {
                continue;
            }
            if let Ok(key) = log_key(log) {
                if key.verify(text.as_bytes(), signature) {
                    signer = Some(index);
                    break;
                }
            }
        }
    }
    let Some(signer) = signer else {
        return Err(CheckpointError::Unsigned);
    };
    if checkpoint_size != tree_size {
        return Err(CheckpointError::SizeMismatch {
            checkpoint: checkpoint_size,
            proof: tree_size,
        });
    }
    if root != *root_hash {
        return Err(CheckpointError::RootMismatch);
    }
    Ok(signer)
}

#[cfg(test)]
mod tests;
