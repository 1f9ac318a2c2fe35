//! Withdrawing a signature: the maintainer's own signed statement naming the withdrawn bytes is
//! kept in the tree, so history can tell a withdrawal from a rollback that anyone with push
//! access could make.

use std::path::Path;

use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::format::message::read_signed_message;
use crate::keys::verify::Verifier;

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
    statement_payload_because(bytes, file, None)
}

/// `statement_payload` with the maintainer's reason (`withdraw --reason`), signed with it so
/// nobody can change or add one later.
pub fn statement_payload_because(bytes: &[u8], file: &str, reason: Option<&str>) -> Vec<u8> {
    let mut value = json!({
        "type": STATEMENT_TYPE,
        "withdrawn": {"sha256": content_hash(bytes), "file": file},
    });
    if let Some(reason) = reason {
        value["reason"] = json!(reason);
    }
    serde_json::to_vec(&value).expect("a JSON value always serializes")
}

/// The reason a commit's statement for `withdrawn` in `dir` gives, if it gives one (the
/// statement's validity is `statement_in_tree`'s to judge).
pub fn statement_reason(
    repo: &git2::Repository,
    tree: &git2::Tree,
    dir: &Path,
    withdrawn: &[u8],
) -> Option<String> {
    let path = dir.join(format!("{}.pgp", content_hash(withdrawn)));
    let blob = repo.find_blob(tree.get_path(&path).ok()?.id()).ok()?;
    let message = read_signed_message(blob.content()).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&message.payload).ok()?;
    value["reason"].as_str().map(str::to_string)
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
            .any(|p| p.reason == crate::keys::reason::Reason::BadSignature)
    {
        return false;
    }
    // A Sigstore vote names no OpenPGP key: it is its maintainer's (whatever key of theirs made
    // the statement) when it verifies as theirs.
    let anywhere = crate::keys::verify::Expected {
        reference: None,
        directory: None,
    };
    let made_by = if crate::format::sigstore::envelope::is_sigstore(withdrawn) {
        verifier.verify_bytes(withdrawn, &anywhere).signer
    } else if withdrawn.first() == Some(&b'{') {
        verifier.verify_bundle_bytes(withdrawn, &anywhere).signer
    } else {
        let Ok(original) = read_signed_message(withdrawn) else {
            return false;
        };
        verifier.verify_message(&original).signer
    };
    made_by.maintainer.is_some() && made_by.maintainer == by.signer.maintainer
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

use std::path::PathBuf;

use crate::format::reference::Reference;
use crate::judge::quorum::check_image;
use crate::ops::sign::{commit_changes_placed, Commit, Committed, PayloadSigner, SignError};
use crate::workspace::Workspace;

/// What a withdrawal did.
#[derive(Debug, Default)]
pub struct Withdrawal {
    /// The signature files removed.
    pub removed: Vec<PathBuf>,
    /// The signed statements written, one per removed file.
    pub statements: Vec<PathBuf>,
    /// The renumbering that closed the gaps: (from, to).
    pub moves: Vec<(PathBuf, PathBuf)>,
    /// The one commit.
    pub committed: Committed,
}

/// Removes the signer's own signatures of `reference` (of its tag, or of every tag when the
/// reference names only the digest), closes the gap, and keeps a signed statement for each, all
/// in one commit.
pub fn withdraw(
    workspace: &Workspace,
    verifier: &Verifier,
    reference: &Reference,
    signer: &dyn PayloadSigner,
    commit: Commit,
    reason: Option<&str>,
) -> Result<Withdrawal, SignError> {
    withdraw_unshown(workspace, verifier, reference, signer, commit, reason)
        .map_err(|e| e.shown_in(workspace))
}

/// `withdraw`, with paths in its errors as they were found.
fn withdraw_unshown(
    workspace: &Workspace,
    verifier: &Verifier,
    reference: &Reference,
    signer: &dyn PayloadSigner,
    commit: Commit,
    reason: Option<&str>,
) -> Result<Withdrawal, SignError> {
    let primary = signer.expected_primary().ok_or(SignError::UnknownSigner)?;
    let maintainer = workspace
        .maintainers
        .by_fingerprint(&primary.to_hex())
        .ok_or_else(|| SignError::NotAMaintainer(primary.to_hex()))?
        .handle
        .clone();
    let report = check_image(workspace, verifier, reference);
    let mine: Vec<PathBuf> = report
        .files
        .iter()
        // Only a signature that verifies as hers and counts for her: one merely attributed to her
        // (a copy of someone else's key in her certificate) is not hers to remove.
        .filter(|f| {
            f.verdict.signer.maintainer.as_deref() == Some(maintainer.as_str())
                && f.verdict.counts()
        })
        // Her signatures *of this image*: a copy of another digest's signature lying here is not.
        .filter(|f| {
            f.verdict.payload.as_ref().is_some_and(|p| {
                Some(&p.digest) == reference.digest()
                    && (reference.tag().is_none() || p.reference == reference.without_digest())
            })
        })
        .map(|f| f.path.clone())
        .collect();
    if mine.is_empty() {
        return Err(SignError::NothingToWithdraw(format!(
            "{maintainer} has no signature of {reference}"
        )));
    }
    // Every place this writes or deletes is reached without a link, checked before the signer is
    // asked for anything and before anything changes: a refusal leaves the tree as it was.
    let image =
        crate::fs::confine::Dir::open(&workspace.root, &report.directory)?.ok_or_else(|| {
            SignError::NothingToWithdraw(format!("{maintainer} has no signature of {reference}"))
        })?;
    let statements_dir = workspace
        .signatures_dir
        .join(crate::judge::history::WITHDRAWALS_DIR);
    crate::fs::confine::check(&workspace.root, &statements_dir)?;
    let mut withdrawal = Withdrawal::default();
    let mut statements = Vec::new();
    for path in &mine {
        let name = path.file_name().unwrap_or_default();
        let bytes = image
            .read(name, crate::format::message::MAX_SIGNATURE_FILE)
            .map_err(|e| SignError::Crypto(format!("{}: {e}", path.display())))?;
        let shown = workspace.display_path(path);
        let statement = signer.sign(&statement_payload_because(&bytes, &shown, reason))?;
        if !statement_is_valid(&statement, &bytes, verifier) {
            return Err(SignError::NotAMaintainer(primary.to_hex()));
        }
        let file = std::ffi::OsString::from(format!("{}.pgp", content_hash(&bytes)));
        statements.push((file, statement));
    }
    let statements_handle = crate::fs::confine::Dir::create(&workspace.root, &statements_dir)?;
    for (file, _) in &statements {
        statements_handle.check_replaceable(file)?;
    }
    for (file, statement) in &statements {
        statements_handle.write_atomic(file, statement)?;
        withdrawal.statements.push(statements_dir.join(file));
    }
    for path in &mine {
        let name = path.file_name().unwrap_or_default();
        image
            .remove(name)
            .map_err(|e| SignError::Crypto(format!("{}: {e}", path.display())))?;
        withdrawal.removed.push(path.clone());
    }
    withdrawal.moves = crate::workspace::tree::close_gaps_in(&image)?;
    if commit == Commit::Yes {
        let mut written = withdrawal.statements.clone();
        written.extend(withdrawal.moves.iter().map(|(_, to)| to.clone()));
        let mut removed = withdrawal.removed.clone();
        removed.extend(withdrawal.moves.iter().map(|(from, _)| from.clone()));
        removed.retain(|p| !written.contains(p));
        let message = format!(
            "Withdraw {maintainer}'s signature of {reference}\n\n{}\n{}",
            withdrawal
                .removed
                .iter()
                .map(|p| format!("Withdrawn: {}", workspace.display_path(p)))
                .collect::<Vec<_>>()
                .join("\n"),
            reason
                .map(|r| format!("Reason: {}\n", crate::text::one_line(r)))
                .unwrap_or_default()
        );
        withdrawal.committed =
            commit_changes_placed(workspace, &written, &removed, &message, &maintainer);
    }
    Ok(withdrawal)
}

/// Closes every gap in the tree (or in the given image directories) by renumbering, in one commit.
pub fn repair(
    workspace: &Workspace,
    dirs: &[PathBuf],
    commit: Commit,
) -> Result<(Vec<(PathBuf, PathBuf)>, Committed), SignError> {
    repair_unshown(workspace, dirs, commit).map_err(|e| e.shown_in(workspace))
}

/// `repair`, with paths in its errors as they were found.
fn repair_unshown(
    workspace: &Workspace,
    dirs: &[PathBuf],
    commit: Commit,
) -> Result<(Vec<(PathBuf, PathBuf)>, Committed), SignError> {
    // Every directory is opened and checked before any moves: a link refuses the whole repair.
    let handles = crate::workspace::tree::open_for_renumbering(&workspace.root, dirs)?;
    let mut moves = Vec::new();
    for handle in &handles {
        moves.extend(crate::workspace::tree::close_gaps_in(handle)?);
    }
    let mut committed = Committed::default();
    if commit == Commit::Yes && !moves.is_empty() {
        let written: Vec<PathBuf> = moves.iter().map(|(_, to)| to.clone()).collect();
        let removed: Vec<PathBuf> = moves
            .iter()
            .map(|(from, _)| from.clone())
            .filter(|p| !written.contains(p))
            .collect();
        let message = format!(
            "Repair: renumber {} so podman sees them all\n\n{}\n",
            crate::plural(moves.len(), "signature"),
            moves
                .iter()
                .map(|(from, to)| format!(
                    "Moved: {} -> {}",
                    workspace.display_path(from),
                    workspace.display_path(to)
                ))
                .collect::<Vec<_>>()
                .join("\n")
        );
        committed = commit_changes_placed(workspace, &written, &removed, &message, "quorate");
    }
    Ok((moves, committed))
}
