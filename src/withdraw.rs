//! Withdrawing a signature: the maintainer's own signed statement naming the withdrawn bytes is
//! kept in the tree, so history can tell a withdrawal from a rollback that anyone with push
//! access could make.

use std::path::Path;

use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::message::read_signed_message;
use crate::verify::Verifier;

/// The statement's payload `type`.
pub const STATEMENT_TYPE: &str = "quorate signature withdrawal";

/// The lowercase hex sha256 of a file's bytes: how a statement names the signature it withdraws.
pub fn content_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The payload a maintainer signs to withdraw the signature `bytes` found at `file`.
pub fn statement_payload(bytes: &[u8], file: &str) -> Vec<u8> {
    let value = json!({
        "type": STATEMENT_TYPE,
        "withdrawn": {"sha256": content_hash(bytes), "file": file},
    });
    serde_json::to_vec(&value).expect("a JSON value always serializes")
}

/// True when `statement` is a signed withdrawal of `withdrawn` by the maintainer who made it.
pub fn statement_is_valid(statement: &[u8], withdrawn: &[u8], verifier: &Verifier) -> bool {
    let Ok(message) = read_signed_message(statement) else {
        return false;
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&message.payload) else {
        return false;
    };
    if value["type"] != STATEMENT_TYPE || value["withdrawn"]["sha256"] != content_hash(withdrawn) {
        return false;
    }
    let by = verifier.verify_message(&message);
    if by.signer.maintainer.is_none()
        || by
            .problems
            .iter()
            .any(|p| p.reason == crate::reason::Reason::BadSignature)
    {
        return false;
    }
    let Ok(original) = read_signed_message(withdrawn) else {
        return false;
    };
    let made_by = verifier.verify_message(&original);
    made_by.signer.maintainer.is_some() && made_by.signer.maintainer == by.signer.maintainer
}

/// Whether a commit's tree holds a valid withdrawal statement for `withdrawn` in `dir`.
pub fn statement_in_tree(
    repo: &git2::Repository,
    tree: &git2::Tree,
    dir: &Path,
    withdrawn: &[u8],
    verifier: &Verifier,
) -> bool {
    let path = dir.join(format!("{}.pgp", content_hash(withdrawn)));
    let Ok(entry) = tree.get_path(&path) else {
        return false;
    };
    let Ok(blob) = repo.find_blob(entry.id()) else {
        return false;
    };
    statement_is_valid(blob.content(), withdrawn, verifier)
}
