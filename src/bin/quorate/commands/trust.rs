//! trust propose, sign and status; and the check every judging command makes first.

use quorate::judge::trust::{self, Anchor, AnchorError, Chain, ChainError, Standing};
use quorate::ops::trust as change;

use super::signing::make_signer;
use super::*;

/// The anchor a command judges from (the library decides: pinned and remembered, either, or
/// none; a revision on a rewritten line as found only when `--as-found` asks).
pub(crate) fn anchor_of(options: &WorkspaceOptions, workspace: &Workspace) -> Anchor {
    Anchor::resolve(workspace, options.trust_anchor.as_deref())
        .rewritten_as_found(options.rewritten_as_found)
        .required(options.require_anchor)
}

/// A chain that cannot be trusted: refused, and for a chain that lost what this clone
/// remembered, how to pin or forget on purpose.
pub(crate) fn anchor_failure(e: AnchorError) -> Failure {
    match &e {
        AnchorError::Lost { remembered, .. } => Failure::refused(format!(
            "{e}. Pin the version you trust with --trust-anchor; if the chain was restarted on purpose, delete {} and pin the new chain's version",
            remembered.file
        )),
        AnchorError::Chain(ChainError::AnchorMissing { .. } | ChainError::NoChain { .. }) => {
            Failure::from(e).prefixed("--trust-anchor ")
        }
        AnchorError::Chain(_) | AnchorError::Truncated(_) | AnchorError::Required => {
            Failure::from(e)
        }
    }
}

/// Before judging signatures (as of `at`): how the working trust root stands against the chain,
/// and the root in force made to decide who counts in `workspace` (the working MAINTAINERS and
/// quorate.toml are then a draft, said in one line when they differ). With no chain, one warning
/// line (the maintainer set is unprotected); without a pinned anchor, one line saying where the
/// chain was verified from and the digest to pin. A chain that cannot be trusted (a malformed
/// version, an anchor it lost) is refused (exit 1).
pub(crate) fn check_trust(
    options: &WorkspaceOptions,
    workspace: &mut Workspace,
    at: SystemTime,
) -> Result<Standing, Failure> {
    let anchor = anchor_of(options, workspace);
    check_trust_from(&anchor, workspace, at)
}

/// `check_trust` from an anchor the caller keeps, to say afterwards where the chain was
/// verified from as it stood before this run remembered anything.
pub(crate) fn check_trust_from(
    anchor: &Anchor,
    workspace: &mut Workspace,
    at: SystemTime,
) -> Result<Standing, Failure> {
    let standing = anchor.decide(workspace, at).map_err(anchor_failure)?;
    if anchor.rewritten() && anchor.remembered().is_none() {
        eprintln!(
            "warning: --as-found: this revision lies on a line rewritten since this clone recorded the trust root it saw; it is judged from its own chain, as found"
        );
    }
    if let Some(chain) = standing.chain() {
        for path in &chain.ignored {
            eprintln!("warning: {path}: not a version of the chain of trust roots; ignored");
        }
        print_pin_behind(anchor, chain);
    }
    match &standing {
        Standing::NoChain => {
            workspace.check_threshold()?;
            eprintln!(
                "warning: the maintainer set is unprotected: anyone who can push can change MAINTAINERS; start the chain with `quorate trust propose` and `quorate trust sign` (docs/trust.md)"
            )
        }
        Standing::NothingInForce(chain) => {
            // Nothing decides but the working files: their threshold must be reachable.
            workspace.check_threshold()?;
            eprintln!(
                "warning: the chain of trust roots has no version in force yet ({}); the maintainer set is unprotected",
                pending_needs(chain)
            )
        }
        Standing::InForce(chain) | Standing::Unapproved(chain, _, _) => {
            if anchor.pinned().is_none() {
                if let Some(v) = chain.in_force() {
                    crate::notes::note!(
                        "trust: verified from {}; pin it with --trust-anchor {} (version {})",
                        anchor.describe(),
                        v.digest,
                        v.version
                    );
                }
            }
        }
    }
    if let Some(pending) = standing.unapproved() {
        eprintln!("trust: {pending}");
    }
    Ok(standing)
}

/// A pinned anchor older than the version in force: how CI keeps its pin current.
fn print_pin_behind(anchor: &Anchor, chain: &Chain) {
    let Some(pinned) = anchor.pinned() else {
        return;
    };
    let pinned = chain.versions.iter().find(|v| v.digest == pinned);
    if let (Some(pinned), Some(in_force)) = (pinned, chain.in_force()) {
        if in_force.version > pinned.version {
            eprintln!(
                "trust: version {} is in force, newer than the pinned anchor (version {}); once you have checked it, pin --trust-anchor {}",
                in_force.version, pinned.version, in_force.digest
            );
        }
    }
}

fn pending_needs(chain: &Chain) -> String {
    match chain.pending() {
        Some(v) if !v.missing.is_empty() => {
            format!("version {} needs {}", v.version, v.missing.join("; "))
        }
        Some(v) => format!("version {} is pending", v.version),
        None => "no pending version".into(),
    }
}

fn trust_failure(e: change::TrustError) -> Failure {
    match e {
        change::TrustError::Sign(e) => sign_failure(e),
        change::TrustError::Chain(e) => anchor_failure(e),
        other => Failure::from(other),
    }
}

pub(crate) fn run_trust_propose(options: &WorkspaceOptions) -> Result<Outcome, Failure> {
    let workspace = load(options)?;
    let verifier = now_verifier(&workspace);
    let anchor = anchor_of(options, &workspace);
    let proposed = change::propose(&workspace, &verifier, &anchor).map_err(trust_failure)?;
    println!(
        "proposed trust root version {} ({}){}: {}",
        proposed.root.version,
        proposed.root.digest(),
        if proposed.replaced {
            ", replacing the pending proposal and its approvals"
        } else {
            ""
        },
        workspace.display_path(&proposed.file)
    );
    for change in &proposed.changes {
        println!("  {change}");
    }
    println!("  threshold {}", proposed.root.threshold);
    println!(
        "it needs the approval (quorate trust sign) of {}",
        proposed.needs.join("; ")
    );
    let files: Vec<String> = std::iter::once(&proposed.file)
        .chain(&proposed.trust_files)
        .map(|f| workspace.display_path(f))
        .collect();
    report_commit(
        &proposed.committed,
        &files,
        &format!("Propose trust root version {}", proposed.root.version),
    )
}

pub(crate) fn run_trust_sign(
    options: &WorkspaceOptions,
    args: &SignerArgs,
) -> Result<Outcome, Failure> {
    let workspace = load(options)?;
    let now = SystemTime::now();
    let signer = make_signer(args, &workspace, now)?;
    let verifier = now_verifier(&workspace);
    let anchor = anchor_of(options, &workspace);
    let approved =
        change::approve(&workspace, &verifier, &anchor, signer.as_ref()).map_err(trust_failure)?;
    println!(
        "approved trust root version {} ({}) as {}: {}",
        approved.version,
        approved.digest,
        approved.by,
        workspace.display_path(&approved.file)
    );
    for change in &approved.changes {
        println!("  {change}");
    }
    if approved.in_force {
        println!("version {} is in force", approved.version);
    } else {
        println!(
            "version {} is not in force yet: it needs {}",
            approved.version,
            approved.missing.join("; ")
        );
    }
    report_commit(
        &approved.committed,
        &[workspace.display_path(&approved.file)],
        &format!("Approve trust root version {}", approved.version),
    )
}

#[derive(serde::Serialize)]
struct StatusJson<'a> {
    anchor: Option<&'a str>,
    remembered: bool,
    versions: &'a [trust::Version],
    working_in_force: bool,
}

pub(crate) fn run_trust_status(options: &WorkspaceOptions, json: bool) -> Result<Outcome, Failure> {
    let workspace = load(options)?;
    let verifier = now_verifier(&workspace);
    let anchor = anchor_of(options, &workspace);
    let standing = anchor
        .judge(&workspace, &verifier)
        .map_err(anchor_failure)?;
    let ok = matches!(standing, Standing::InForce(_));
    let versions: &[trust::Version] = standing.chain().map_or(&[], |c| c.versions.as_slice());
    if json {
        print_json(&StatusJson {
            anchor: anchor.digest(),
            remembered: anchor.remembered().is_some(),
            versions,
            working_in_force: ok,
        });
        return Ok(Outcome::passed_if(ok));
    }
    match (anchor.pinned(), anchor.remembered()) {
        (Some(a), _) => println!("anchor: {a}"),
        (None, Some(_)) => println!("anchor: {}", anchor.describe()),
        (None, None) => println!("anchor: none (the chain is trusted from version 1 as found)"),
    }
    if versions.is_empty() {
        println!(
            "no chain: the maintainer set is unprotected; start it with quorate trust propose"
        );
    }
    for path in standing.chain().map_or(&[][..], |c| c.ignored.as_slice()) {
        println!("ignored: {path} (not a version of the chain)");
    }
    // Every version that came into force is marked so; the chain's own is the one in force.
    let current = standing
        .chain()
        .and_then(|c| c.in_force())
        .map(|v| v.version);
    for v in versions {
        let state = if v.before_anchor {
            "before the anchor"
        } else if v.in_force && Some(v.version) == current {
            "IN FORCE"
        } else if current.is_some_and(|n| v.version < n) {
            // Each version is made on the one in force: those below it were, once.
            "superseded"
        } else {
            "not in force"
        };
        println!("version {} {}  {state}", v.version, v.digest);
        println!("  previous: {}", v.previous.as_deref().unwrap_or("none"));
        println!(
            "  maintainers: {} (threshold {})",
            v.maintainers.join(", "),
            v.threshold
        );
        println!("  approved by: {}", list_or(&v.approved_by, "no one"));
        for need in &v.missing {
            println!("  still needs: {need}");
        }
        for a in v.approvals.iter().filter(|a| !a.valid) {
            println!(
                "  not counted: {}: {}",
                a.path,
                a.problem.as_deref().unwrap_or("?")
            );
        }
    }
    match &standing {
        Standing::Unapproved(_, changes, _) => {
            println!("the working MAINTAINERS / quorate.toml differ from the version in force (a draft, which counts for nothing until approved):");
            for c in changes {
                println!("  {c}");
            }
        }
        Standing::InForce(_) => {
            println!("the working MAINTAINERS and quorate.toml are the version in force")
        }
        _ => {}
    }
    Ok(Outcome::passed_if(ok))
}
