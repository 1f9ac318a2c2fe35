//! trust propose, sign and status; and the check every judging command makes first.

use quorate::trust::{self, Chain, Standing};

use super::signing::make_signer;
use super::*;

/// Before judging signatures: how the working trust root stands against the chain. With no
/// chain, one warning line (the maintainer set is unprotected); without an anchor, one line that
/// the chain was trusted on first use and the digest to pin. A chain that cannot be trusted (a
/// malformed version, a missing anchor) is refused (exit 1).
pub(crate) fn check_trust(
    options: &WorkspaceOptions,
    workspace: &Workspace,
    verifier: &Verifier,
) -> Result<Standing, Failure> {
    let anchor = options.trust_anchor.as_deref();
    let standing = trust::standing(workspace, verifier, anchor).map_err(Failure::refused)?;
    match &standing {
        Standing::NoChain => eprintln!(
            "warning: the maintainer set is unprotected: anyone who can push can change MAINTAINERS; start the chain with `quorate trust propose` and `quorate trust sign` (docs/trust.md)"
        ),
        Standing::NothingInForce(chain) => eprintln!(
            "warning: the chain of trust roots has no version in force yet ({}); the maintainer set is unprotected",
            pending_needs(chain)
        ),
        Standing::InForce(chain) | Standing::Unapproved(chain, _) => {
            if anchor.is_none() {
                if let Some(v) = chain.in_force() {
                    eprintln!(
                        "trust: verified from version 1 as found (trust on first use); pin it with --trust-anchor {} (version {})",
                        v.digest, v.version
                    );
                }
            }
        }
    }
    Ok(standing)
}

/// The refusal of a working trust root nobody approved: names the difference.
pub(crate) fn unapproved(standing: &Standing) -> Option<String> {
    let Standing::Unapproved(chain, changes) = standing else {
        return None;
    };
    let version = chain.in_force().map_or(0, |v| v.version);
    Some(format!(
        "MAINTAINERS or quorate.toml differ from trust root version {version} in force, and nobody approved it: {}; propose and approve the change (quorate trust propose) or revert it",
        changes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    ))
}

/// `check_trust`, refusing (exit 1) a working trust root that is not the one in force.
pub(crate) fn require_trust(
    options: &WorkspaceOptions,
    workspace: &Workspace,
    verifier: &Verifier,
) -> Result<Standing, Failure> {
    let standing = check_trust(options, workspace, verifier)?;
    match unapproved(&standing) {
        Some(why) => Err(Failure::refused(why)),
        None => Ok(standing),
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

fn trust_failure(e: trust::TrustError) -> Failure {
    match e {
        trust::TrustError::Sign(e) => sign_failure(e),
        other => Failure::refused(other),
    }
}

pub(crate) fn run_trust_propose(options: &WorkspaceOptions) -> Result<u8, Failure> {
    let workspace = load(options)?;
    let verifier = now_verifier(&workspace);
    let proposed = trust::propose(&workspace, &verifier, options.trust_anchor.as_deref())
        .map_err(trust_failure)?;
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
        if proposed.root.version == 1 {
            format!("{} of its maintainers", proposed.root.threshold)
        } else {
            "the threshold of the version in force, the threshold of this version, and every key it adds".into()
        }
    );
    report_commit(
        &proposed.committed,
        &[workspace.display_path(&proposed.file)],
        &format!("Propose trust root version {}", proposed.root.version),
    )
}

pub(crate) fn run_trust_sign(options: &WorkspaceOptions, args: &SignerArgs) -> Result<u8, Failure> {
    let workspace = load(options)?;
    let now = SystemTime::now();
    let signer = make_signer(args, &workspace, now)?;
    let verifier = now_verifier(&workspace);
    let approved = trust::approve(
        &workspace,
        &verifier,
        options.trust_anchor.as_deref(),
        signer.as_ref(),
    )
    .map_err(trust_failure)?;
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
    versions: &'a [trust::Version],
    working_in_force: bool,
}

pub(crate) fn run_trust_status(options: &WorkspaceOptions, json: bool) -> Result<u8, Failure> {
    let workspace = load(options)?;
    let verifier = now_verifier(&workspace);
    let standing = trust::standing(&workspace, &verifier, options.trust_anchor.as_deref())
        .map_err(Failure::refused)?;
    let ok = matches!(standing, Standing::InForce(_));
    let versions: &[trust::Version] = standing.chain().map_or(&[], |c| c.versions.as_slice());
    if json {
        print_json(&StatusJson {
            anchor: options.trust_anchor.as_deref(),
            versions,
            working_in_force: ok,
        });
        return Ok(if ok { 0 } else { 1 });
    }
    match options.trust_anchor.as_deref() {
        Some(a) => println!("anchor: {a}"),
        None => println!("anchor: none (the chain is trusted from version 1 as found)"),
    }
    if versions.is_empty() {
        println!(
            "no chain: the maintainer set is unprotected; start it with quorate trust propose"
        );
    }
    for v in versions {
        let state = if v.before_anchor {
            "before the anchor"
        } else if v.in_force {
            "IN FORCE"
        } else {
            "not in force"
        };
        println!(
            "version {} {}  {state}\n  previous: {}\n  maintainers: {} (threshold {})\n  approved by: {}",
            v.version,
            v.digest,
            v.previous.as_deref().unwrap_or("none"),
            v.maintainers.join(", "),
            v.threshold,
            list_or(&v.approved_by, "no one"),
        );
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
        Standing::Unapproved(_, changes) => {
            println!("the working MAINTAINERS / quorate.toml differ from the version in force:");
            for c in changes {
                println!("  {c}");
            }
        }
        Standing::InForce(_) => {
            println!("the working MAINTAINERS and quorate.toml are the version in force")
        }
        _ => {}
    }
    Ok(if ok { 0 } else { 1 })
}
