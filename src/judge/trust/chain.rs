//! The chain of trust roots in the signatures tree, and which version is in force.
//!
//! Layout: `signatures/.quorate/trust/<N>/root.json` (the canonical bytes of version N) and
//! `signatures/.quorate/trust/<N>/signature-<K>` (approvals: OpenPGP signed messages over those
//! bytes, in the same binary format as image signatures). Being under signatures/, they travel
//! on the same branch as the signatures: sync carries them, auditors see them, a rewritten
//! branch shows. A version whose root names a Sigstore trusted root (`sigstore`) holds its exact
//! bytes beside it, `signatures/.quorate/trust/<N>/sigstore-trusted-root.json`: the trusted root
//! that judges keyless votes is the one the root in force pins, never keyring/'s at HEAD.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use git2::{ObjectType, Oid};
use serde::Serialize;

use super::root::TrustRoot;
use crate::format::message::{read_signed_message, MAX_SIGNATURE_FILE};
use crate::fs::path::Kind;
use crate::fs::source::Source;
use crate::keys::reason::Reason;
use crate::keys::verify::Verifier;
use crate::workspace::tree::{signature_file_name, MAX_SIGNATURES, TRUST_DIR};
use crate::workspace::Workspace;

/// The copy of the Sigstore trusted root a version names, in that version's directory.
pub const SIGSTORE_TRUSTED_ROOT_COPY: &str = "sigstore-trusted-root.json";

/// A chain that cannot be trusted as it stands (exit 1): refused, never worked around.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// A version's files are not what a chain holds.
    #[error("{}: {message}", path.display())]
    Malformed {
        /// The file or directory at fault.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The pinned anchor is not in the chain (history rewritten to drop it, or the wrong
    /// repository).
    #[error("{anchor}: no version of the chain in {} has this digest (history rewritten, or another repository?)", dir.display())]
    AnchorMissing {
        /// The anchor asked for.
        anchor: String,
        /// The chain's directory.
        dir: PathBuf,
    },
    /// An anchor was given but the repository has no chain at all.
    #[error("{anchor}: {} holds no chain of trust roots", dir.display())]
    NoChain {
        /// The anchor asked for.
        anchor: String,
        /// Where the chain should be.
        dir: PathBuf,
    },
}

crate::fault::always!(Refused: ChainError);

/// One approval file and what it counts for.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    /// The file.
    pub path: String,
    /// The primary fingerprint of the key that made it, when it verified.
    pub primary: Option<String>,
    /// The handle in the version before that holds that key, if any.
    pub in_previous: Option<String>,
    /// The handle in this version that holds that key, if any.
    pub in_this: Option<String>,
    /// When it was made (its signature's creation time), when known.
    pub made: Option<String>,
    /// True when it verified, signs this version's exact bytes, and was valid when made.
    pub valid: bool,
    /// Why it does not count, when it does not.
    pub problem: Option<String>,
    /// When it was made, as a time.
    #[serde(skip)]
    pub made_at: Option<SystemTime>,
    /// The git blob id of its bytes (to compare with what history held).
    #[serde(skip)]
    pub(crate) blob: Option<Oid>,
}

/// One version of the chain, judged.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    /// N.
    pub version: u32,
    /// Its digest.
    pub digest: String,
    /// The digest of the version before.
    pub previous: Option<String>,
    /// Its maintainers, by handle.
    pub maintainers: Vec<String>,
    /// Its threshold.
    pub threshold: u32,
    /// Each person who validly approved it, once, whichever set they are in.
    pub approved_by: Vec<String>,
    /// What it still needs to come into force, in words; empty when in force.
    pub missing: Vec<String>,
    /// True when it is in force (or is the pinned anchor).
    pub in_force: bool,
    /// True for versions before the pinned anchor: not judged.
    pub before_anchor: bool,
    /// The approval files.
    pub approvals: Vec<Approval>,
    /// When its approvals, by their own times, first met its rule (the last approval needed):
    /// approvals of the next version made before then are refused.
    #[serde(skip)]
    pub in_force_since: Option<SystemTime>,
    /// The root itself.
    #[serde(skip)]
    pub root: TrustRoot,
    /// The bytes of its copy of the Sigstore trusted root (`SIGSTORE_TRUSTED_ROOT_COPY`), whose
    /// digest is the root's `sigstore`; None when the root names none.
    #[serde(skip)]
    pub sigstore_trusted_root: Option<Vec<u8>>,
}

/// The chain as found.
#[derive(Debug, Clone, Serialize)]
pub struct Chain {
    /// The anchor the chain was verified from (`--trust-anchor`), or None (trust on first use
    /// of version 1).
    pub anchor: Option<String>,
    /// Every version, oldest first.
    pub versions: Vec<Version>,
    /// What lies in the chain's directory that is not a version (a `.gitkeep`, a note): named
    /// once to people and otherwise ignored.
    pub ignored: Vec<String>,
}

impl Chain {
    /// The version in force: the last one whose chain verifies.
    pub fn in_force(&self) -> Option<&Version> {
        self.versions.iter().rev().find(|v| v.in_force)
    }

    /// The first version after the one in force: a pending proposal, if any.
    pub fn pending(&self) -> Option<&Version> {
        let next = self.in_force().map_or(1, |v| v.version + 1);
        self.versions.iter().find(|v| v.version == next)
    }
}

/// Reads and judges the chain (from the workspace's source: the working tree or `--at REV`),
/// verified from `anchors`: the digests the caller already trusts (the pinned anchor, the
/// version this clone remembers). The chain must hold every one; the newest is the **floor**.
/// None when the tree holds no chain.
pub fn load_chain(
    workspace: &Workspace,
    verifier: &Verifier,
    anchors: &[&str],
) -> Result<Option<Chain>, ChainError> {
    read_chain(workspace.source.as_ref(), workspace, verifier, anchors)
}

/// What a version's approvals must be to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Valid when made (judged at its own time): versions up to the floor, and every version
    /// on a clone with no floor (trust on first use).
    WhenMade,
    /// By a key able to sign now: a version past the floor moves this clone to a maintainer
    /// set it does not trust yet, and a signer chooses the time its signature claims.
    Now { floor: u32 },
}

/// `load_chain` from any source of the workspace's files (a commit of its history, too).
pub(crate) fn read_chain(
    source: &dyn Source,
    workspace: &Workspace,
    verifier: &Verifier,
    anchors: &[&str],
) -> Result<Option<Chain>, ChainError> {
    let dir = workspace.signatures_dir.join(TRUST_DIR);
    let shown = |p: &Path| PathBuf::from(workspace.display_path(p));
    let malformed = |p: &Path, message: String| malformed_in(workspace, p, message);
    let no_chain = || match anchors.first() {
        Some(anchor) => Err(ChainError::NoChain {
            anchor: anchor.to_string(),
            dir: shown(&dir),
        }),
        None => Ok(None),
    };
    let Some((numbers, ignored)) = version_numbers(source, workspace, &dir)? else {
        return no_chain();
    };
    let roots = read_roots(source, workspace, &dir, &numbers)?;
    let copies = roots
        .iter()
        .map(|root| read_sigstore_copy(source, workspace, &dir, root))
        .collect::<Result<Vec<_>, _>>()?;

    // The floor: the newest of the anchors, each of which the chain must hold.
    let digests: Vec<String> = roots.iter().map(TrustRoot::digest).collect();
    let mut floor: Option<usize> = None;
    for anchor in anchors {
        let at =
            digests
                .iter()
                .position(|d| d == anchor)
                .ok_or_else(|| ChainError::AnchorMissing {
                    anchor: anchor.to_string(),
                    dir: shown(&dir),
                })?;
        floor = floor.max(Some(at));
    }

    let mut versions: Vec<Version> = Vec::new();
    for (i, (root, copy)) in roots.iter().zip(copies).enumerate() {
        let previous = i.checked_sub(1).map(|p| &roots[p]);
        let vdir = dir.join(root.version.to_string());
        let rule = match floor {
            Some(f) if i > f => Rule::Now {
                floor: roots[f].version,
            },
            _ => Rule::WhenMade,
        };
        let mut approvals = approvals(source, workspace, verifier, &vdir, root, previous, rule)
            .map_err(|message| malformed(&vdir, message))?;
        // An approval cannot predate the version it changes: made before the predecessor came
        // into force (by the times its own approvals claim), it is refused whoever made it.
        if let Some(since) = versions.last().and_then(|v: &Version| v.in_force_since) {
            for a in approvals.iter_mut() {
                if a.made_at.is_some_and(|t| t < since) {
                    a.valid = false;
                    a.problem = Some(format!(
                        "made at {}, before version {} came into force at {}: an approval cannot predate the version it changes",
                        a.made.as_deref().unwrap_or("?"),
                        root.version - 1,
                        crate::text::fmt_time(since)
                    ));
                }
            }
        }
        let mut version = judge(root.clone(), previous, approvals);
        version.sigstore_trusted_root = copy;
        versions.push(version);
    }

    // In force: from the floor (trusted as pinned) or from version 1, forward, each needing the
    // one before in force.
    let start = match floor {
        Some(at) => {
            for v in &mut versions[..at] {
                v.before_anchor = true;
                v.in_force = false;
            }
            versions[at].in_force = true;
            versions[at].missing.clear();
            at + 1
        }
        None => 0,
    };
    for i in start..versions.len() {
        let before_in_force = i == 0 || versions[i - 1].in_force;
        if !before_in_force {
            let before = versions[i].version - 1;
            versions[i].in_force = false;
            versions[i]
                .missing
                .insert(0, format!("version {before} in force first"));
        }
    }
    Ok(Some(Chain {
        anchor: floor.map(|f| digests[f].clone()),
        versions,
        ignored,
    }))
}

/// A version's file or directory that is not what a chain holds.
fn malformed_in(workspace: &Workspace, path: &Path, message: String) -> ChainError {
    ChainError::Malformed {
        path: PathBuf::from(workspace.display_path(path)),
        message,
    }
}

/// The version numbers 1..=K, and the paths beside them that are not versions.
type Listed = (Vec<u32>, Vec<String>);

/// The chain's version numbers 1..=K, and what lies beside them that is not a version; None
/// when there is no version at all.
fn version_numbers(
    source: &dyn Source,
    workspace: &Workspace,
    dir: &Path,
) -> Result<Option<Listed>, ChainError> {
    let malformed = |p: &Path, message: String| malformed_in(workspace, p, message);
    let entries = match source.list(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(malformed(dir, format!("cannot read: {e}"))),
    };
    // Version directories 1..=K; anything not named as a version is named and ignored, so a
    // `.gitkeep` never denies a release. A version's name on anything but a directory is a
    // broken version, refused.
    let mut numbers = Vec::new();
    let mut ignored = Vec::new();
    for (name, kind) in entries {
        let path = dir.join(&name);
        let number = name.to_str().and_then(|n| {
            n.parse::<u32>()
                .ok()
                .filter(|v| *v > 0 && n == v.to_string())
        });
        match (number, kind) {
            (Some(n), Kind::Dir) => numbers.push(n),
            (Some(n), _) => {
                return Err(malformed(
                    &path,
                    format!("version {n} is not a directory (a link or a file is refused)"),
                ))
            }
            (None, _) => ignored.push(workspace.display_path(&path)),
        }
    }
    ignored.sort();
    numbers.sort_unstable();
    if numbers.is_empty() {
        return Ok(None);
    }
    for (i, n) in numbers.iter().enumerate() {
        if *n != i as u32 + 1 {
            return Err(malformed(
                &dir.join((i + 1).to_string()),
                format!(
                    "version {} is missing: versions go up by exactly one",
                    i + 1
                ),
            ));
        }
    }
    Ok(Some((numbers, ignored)))
}

/// Each version's root.json, parsed, in its place, naming its predecessor's digest.
fn read_roots(
    source: &dyn Source,
    workspace: &Workspace,
    dir: &Path,
    numbers: &[u32],
) -> Result<Vec<TrustRoot>, ChainError> {
    let malformed = |p: &Path, message: String| malformed_in(workspace, p, message);
    let mut roots: Vec<TrustRoot> = Vec::new();
    for &n in numbers {
        let file = dir.join(n.to_string()).join("root.json");
        let bytes = source
            .read(&file, 1024 * 1024)
            .map_err(|e| malformed(&file, format!("cannot read: {e}")))?;
        let root = TrustRoot::parse(&bytes).map_err(|e| malformed(&file, e.0))?;
        if root.version != n {
            return Err(malformed(
                &file,
                format!(
                    "says version {}, but lies in version {n}'s directory",
                    root.version
                ),
            ));
        }
        let expected_previous = roots.last().map(TrustRoot::digest);
        if root.previous != expected_previous {
            return Err(malformed(
                &file,
                format!(
                    "names {} as its predecessor, not version {}'s digest {}",
                    root.previous.as_deref().unwrap_or("none"),
                    n.saturating_sub(1),
                    expected_previous
                        .as_deref()
                        .unwrap_or("(none: version 1 has no predecessor)")
                ),
            ));
        }
        roots.push(root);
    }
    Ok(roots)
}

/// The version's copy of the Sigstore trusted root its root names: a regular file whose digest
/// is the root's `sigstore`. A copy in a version whose root names none is refused too: quorate
/// never writes one, and a file that judges nothing must not sit beside the root as if it did.
fn read_sigstore_copy(
    source: &dyn Source,
    workspace: &Workspace,
    dir: &Path,
    root: &TrustRoot,
) -> Result<Option<Vec<u8>>, ChainError> {
    let file = dir
        .join(root.version.to_string())
        .join(SIGSTORE_TRUSTED_ROOT_COPY);
    let malformed = |message: String| malformed_in(workspace, &file, message);
    let kind = source
        .kind(&file)
        .map_err(|e| malformed(format!("cannot read: {e}")))?;
    let digest = match (root.sigstore.as_deref(), kind) {
        (None, None) => return Ok(None),
        (None, Some(_)) => {
            return Err(malformed(format!(
                "version {}'s root names no Sigstore trusted root, yet its directory holds a copy of one",
                root.version
            )))
        }
        (Some(digest), None) => {
            return Err(malformed(format!(
                "missing: version {}'s root names the Sigstore trusted root {digest}, whose copy must lie here",
                root.version
            )))
        }
        (Some(_), Some(Kind::Symlink)) => {
            return Err(malformed(
                "is a symlink; quorate does not follow links in the trust root".into(),
            ))
        }
        (Some(digest), Some(Kind::File)) => digest,
        (Some(_), Some(_)) => return Err(malformed("is not a regular file".into())),
    };
    let limit = crate::keys::sigstore::material::MAX_TRUSTED_ROOT;
    let bytes = source
        .read(&file, limit)
        .map_err(|e| malformed(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(malformed(
            "larger than any trusted root quorate reads (1 MiB)".into(),
        ));
    }
    let found = crate::keys::sigstore::material::sha256_id(&bytes);
    if found != digest {
        return Err(malformed(format!(
            "its digest is {found}, but version {}'s root names the Sigstore trusted root {digest}",
            root.version
        )));
    }
    // Approved bytes that are no trusted root would judge nothing: the version is refused.
    crate::format::sigstore::trusted_root::TrustedRoot::parse(&bytes)
        .map_err(|e| malformed(e.to_string()))?;
    Ok(Some(bytes))
}

/// Every approval of a version, judged: valid when made (a hard revocation voids it), over the
/// version's exact bytes, attributed by primary fingerprint to the people of both sets.
fn approvals(
    source: &dyn Source,
    workspace: &Workspace,
    verifier: &Verifier,
    dir: &Path,
    root: &TrustRoot,
    previous: Option<&TrustRoot>,
    rule: Rule,
) -> Result<Vec<Approval>, String> {
    let listing = crate::workspace::tree::list(source, dir, &workspace.signatures_dir)
        .map_err(|e| e.to_string())?;
    let canonical = root.canonical();
    let mut out = Vec::new();
    // Only the numbers quorate ever writes are judged: a pusher's thousands of files cost a
    // listing, never thousands of signature checks.
    let (judged, past): (Vec<_>, Vec<_>) = listing
        .entries
        .iter()
        .partition(|e| e.number <= MAX_SIGNATURES);
    for entry in judged {
        let path = workspace.display_path(&entry.path);
        let mut approval = Approval {
            path,
            primary: None,
            in_previous: None,
            in_this: None,
            made: None,
            valid: false,
            problem: None,
            made_at: None,
            blob: None,
        };
        let bytes = match source.read(&entry.path, MAX_SIGNATURE_FILE) {
            Ok(b) if entry.regular && b.len() as u64 <= MAX_SIGNATURE_FILE => b,
            _ => {
                approval.problem = Some("not a readable regular file of at most 4 MiB".into());
                out.push(approval);
                continue;
            }
        };
        approval.blob = Oid::hash_object(ObjectType::Blob, &bytes).ok();
        let message = match read_signed_message(&bytes) {
            Ok(m) => m,
            Err(e) => {
                approval.problem = Some(e.to_string());
                out.push(approval);
                continue;
            }
        };
        if message.payload != canonical {
            approval.problem = Some("approves other bytes than this version's root.json".into());
            out.push(approval);
            continue;
        }
        // Valid when made: judged at its own time, so a key that expired since still approved;
        // a hard revocation voids it whenever it was made. Past the floor, by a key able to sign
        // now, whatever time it claims.
        let made = message.signature.signature_creation_time();
        approval.made = made.map(crate::text::fmt_time);
        approval.made_at = made;
        let verdict = match made {
            Some(_) if matches!(rule, Rule::Now { .. }) => verifier.verify_message(&message),
            Some(t) if t <= verifier.now() => verifier.verify_message_as_made(&message),
            _ => {
                approval.problem =
                    Some("no creation time, or made after the time judged at".into());
                out.push(approval);
                continue;
            }
        };
        approval.primary = verdict.signer.primary.as_ref().map(|f| f.to_hex());
        if let Some(primary) = &approval.primary {
            approval.in_previous = previous.and_then(|p| p.holder(primary)).map(str::to_string);
            approval.in_this = root.holder(primary).map(str::to_string);
        }
        // Who is a maintainer is this chain's question, not the working MAINTAINERS'.
        let fault = verdict
            .problems
            .iter()
            .find(|p| p.reason.is_fault() && !matches!(p.reason, Reason::NotAMaintainer));
        match (fault, rule) {
            (Some(p), Rule::Now { floor }) => {
                approval.problem = Some(format!(
                    "{p}; an approval past version {floor}, which this clone already trusts, must be by a key able to sign now"
                ))
            }
            (Some(p), Rule::WhenMade) => approval.problem = Some(p.to_string()),
            (None, _) if approval.in_previous.is_none() && approval.in_this.is_none() => {
                approval.problem =
                    Some("made by no maintainer of this version or the one before".into())
            }
            (None, _) => approval.valid = true,
        }
        out.push(approval);
    }
    if let Some(first) = past.first() {
        out.push(Approval {
            path: workspace.display_path(&first.path),
            primary: None,
            in_previous: None,
            in_this: None,
            made: None,
            valid: false,
            made_at: None,
            blob: None,
            problem: Some(format!(
                "{} more files past {}, not judged: a version holds at most {MAX_SIGNATURES} approvals",
                past.len(),
                signature_file_name(MAX_SIGNATURES)
            )),
        });
    }
    Ok(out)
}

/// What a new version needs to come into force, in numbers and names, before anyone approved
/// it (the rule `needs` applies, so the two never disagree).
pub fn approvals_needed(root: &TrustRoot, previous: Option<&TrustRoot>) -> Vec<String> {
    needs(root, previous, &[])
}

/// What a version still needs, given the approvals that count: threshold(N−1) people of N−1,
/// threshold(N) people of N, and every key N adds (proof its holder has it). People, not keys
/// or files.
fn needs(root: &TrustRoot, previous: Option<&TrustRoot>, valid: &[&Approval]) -> Vec<String> {
    let of_this: BTreeSet<&str> = valid.iter().filter_map(|a| a.in_this.as_deref()).collect();
    let of_previous: BTreeSet<&str> = valid
        .iter()
        .filter_map(|a| a.in_previous.as_deref())
        .collect();
    let keys_approving: BTreeSet<&str> =
        valid.iter().filter_map(|a| a.primary.as_deref()).collect();
    let mut missing = Vec::new();
    let need = |have: &BTreeSet<&str>, of: &TrustRoot, which: &str, missing: &mut Vec<String>| {
        if have.len() < of.threshold as usize {
            let others: Vec<&str> = of
                .maintainers
                .keys()
                .map(String::as_str)
                .filter(|h| !have.contains(h))
                .collect();
            missing.push(format!(
                "{} more of {which} ({})",
                of.threshold as usize - have.len(),
                others.join(", ")
            ));
        }
    };
    if let Some(previous) = previous {
        need(
            &of_previous,
            previous,
            &format!("version {}'s maintainers", previous.version),
            &mut missing,
        );
    }
    need(
        &of_this,
        root,
        &format!("version {}'s maintainers", root.version),
        &mut missing,
    );
    if let Some(previous) = previous {
        for (handle, keys) in &root.maintainers {
            for key in keys {
                // Only an OpenPGP key can sign an approval: a cosign key or keyless identity
                // proves itself by the votes it makes, never here (else adding one froze the chain).
                let openpgp = crate::format::maintainers::normalize_fingerprint(key).as_deref()
                    == Some(key.as_str());
                let added = previous.holder(key).is_none();
                if added && openpgp && !keys_approving.contains(key.as_str()) {
                    missing.push(format!("{handle}'s approval with the added key {key}"));
                }
            }
        }
    }
    missing
}

/// A version judged by its own rule (`needs`), and since when its approvals meet it.
fn judge(root: TrustRoot, previous: Option<&TrustRoot>, approvals: Vec<Approval>) -> Version {
    let mut valid: Vec<&Approval> = approvals.iter().filter(|a| a.valid).collect();
    let missing = needs(&root, previous, &valid);
    // The first moment the approvals made by then met the rule.
    valid.sort_by_key(|a| a.made_at);
    let in_force_since = (1..=valid.len())
        .find(|k| needs(&root, previous, &valid[..*k]).is_empty())
        .and_then(|k| valid[k - 1].made_at);
    let mut approved_by: Vec<String> = valid
        .iter()
        .filter_map(|a| a.in_previous.as_deref())
        .chain(valid.iter().filter_map(|a| a.in_this.as_deref()))
        .map(str::to_string)
        .collect();
    approved_by.sort();
    approved_by.dedup();
    Version {
        version: root.version,
        digest: root.digest(),
        previous: root.previous.clone(),
        maintainers: root.maintainers.keys().cloned().collect(),
        threshold: root.threshold,
        approved_by,
        in_force: missing.is_empty(),
        missing,
        before_anchor: false,
        approvals,
        in_force_since,
        root,
        sigstore_trusted_root: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const A: &str = "5CE71567A9683B8E4AD6F959C08CD5D16755644C";
    const B: &str = "9A0ABFA895801E72C777842BAFCE400C56F67E7C";

    fn root(version: u32, extra: &[(&str, &str)]) -> TrustRoot {
        let mut maintainers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        maintainers.insert("alice".into(), BTreeSet::from([A.to_string()]));
        maintainers.insert("bob".into(), BTreeSet::from([B.to_string()]));
        for (handle, key) in extra {
            maintainers
                .entry(handle.to_string())
                .or_default()
                .insert(key.to_string());
        }
        TrustRoot {
            maintainers,
            previous: None,
            sigstore: None,
            threshold: 2,
            kind: super::super::root::ROOT_TYPE.into(),
            version,
        }
    }

    #[test]
    fn an_added_openpgp_key_must_approve_and_an_added_sigstore_key_cannot() {
        let before = root(1, &[]);
        let cosign = format!("sha256:{}", "ab".repeat(32));
        let with_cosign = root(2, &[("alice", &cosign)]);
        let needed = approvals_needed(&with_cosign, Some(&before));
        assert!(
            !needed.iter().any(|n| n.contains("added key")),
            "a cosign key cannot sign an approval: {needed:?}"
        );
        let c = "F9BE1278A7448863EDA7B2CA548A2B393B5ECF9F";
        let with_openpgp = root(2, &[("alice", c)]);
        let needed = approvals_needed(&with_openpgp, Some(&before));
        assert!(
            needed.iter().any(|n| n.contains(&format!("added key {c}"))),
            "{needed:?}"
        );
    }
}
