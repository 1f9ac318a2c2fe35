//! trust propose, sign and status; and the check every judging command makes first.

use quorate::judge::trust::{self, Chain, Standing};
use quorate::ops::trust as change;

use super::signing::make_signer;
use super::*;

/// The anchor a command judges from: the one pinned (`--trust-anchor`, `QUORATE_TRUST_ANCHOR`),
/// else the version this clone remembers seeing in force (trust on first use, remembered;
/// docs/trust.md), else none: the chain as found.
pub(crate) struct Anchor {
    pinned: Option<String>,
    remembered: Option<trust::Remembered>,
}

impl Anchor {
    pub(crate) fn of(options: &WorkspaceOptions, workspace: &Workspace) -> Anchor {
        let pinned = options.trust_anchor.clone();
        let remembered = pinned.is_none().then(|| trust::recall(workspace)).flatten();
        Anchor { pinned, remembered }
    }

    /// The digest to verify the chain from.
    pub(crate) fn digest(&self) -> Option<&str> {
        self.pinned
            .as_deref()
            .or(self.remembered.as_ref().map(|r| r.digest.as_str()))
    }

    /// How the anchor came, for people.
    pub(crate) fn describe(&self) -> String {
        match (&self.pinned, &self.remembered) {
            (Some(a), _) => format!("the pinned anchor {a}"),
            (None, Some(r)) => format!(
                "version {}, which this clone saw in force ({})",
                r.version, r.file
            ),
            (None, None) => "version 1 as found (trust on first use)".into(),
        }
    }

    /// A chain that lost what this clone remembered says so, and how to forget on purpose.
    pub(crate) fn failure(&self, e: trust::ChainError) -> Failure {
        match (&self.remembered, &e) {
            (
                Some(r),
                trust::ChainError::AnchorMissing { .. } | trust::ChainError::NoChain { .. },
            ) => Failure::refused(format!(
                "this clone saw trust root version {} ({}) in force at commit {}, and {}: a push deleted or rewrote the chain of trust roots. Pin the version you trust with --trust-anchor; if the chain was restarted on purpose, delete {}",
                r.version,
                r.digest,
                quorate::text::short_id(r.commit),
                match e {
                    trust::ChainError::NoChain { .. } => "the tree holds no chain now",
                    _ => "the chain no longer holds it",
                },
                r.file
            )),
            _ => Failure::refused(e),
        }
    }

    /// Remembers the newest version in force of a committed chain, when nothing is pinned.
    pub(crate) fn remember(&self, workspace: &Workspace, standing: &Standing) {
        if let Some(chain) = standing.chain() {
            self.remember_chain(workspace, chain);
        }
    }

    /// As `remember`, for a chain read on its own (sync's report).
    pub(crate) fn remember_chain(&self, workspace: &Workspace, chain: &Chain) {
        if self.pinned.is_none() {
            trust::remember(workspace, chain, self.remembered.as_ref());
        }
    }
}

/// Before judging signatures: how the working trust root stands against the chain. With no
/// chain, one warning line (the maintainer set is unprotected); without a pinned anchor, one line
/// saying where the chain was verified from and the digest to pin. A chain that cannot be
/// trusted (a malformed version, an anchor it lost) is refused (exit 1).
fn check_trust(
    options: &WorkspaceOptions,
    workspace: &Workspace,
    verifier: &Verifier,
) -> Result<Standing, Failure> {
    check_trust_from(&Anchor::of(options, workspace), workspace, verifier)
}

/// `check_trust` from an anchor the caller keeps, to say afterwards where the chain was
/// verified from as it stood before this run remembered anything.
pub(crate) fn check_trust_from(
    anchor: &Anchor,
    workspace: &Workspace,
    verifier: &Verifier,
) -> Result<Standing, Failure> {
    let standing =
        trust::standing(workspace, verifier, anchor.digest()).map_err(|e| anchor.failure(e))?;
    match &standing {
        Standing::NoChain => eprintln!(
            "warning: the maintainer set is unprotected: anyone who can push can change MAINTAINERS; start the chain with `quorate trust propose` and `quorate trust sign` (docs/trust.md)"
        ),
        Standing::NothingInForce(chain) => eprintln!(
            "warning: the chain of trust roots has no version in force yet ({}); the maintainer set is unprotected",
            pending_needs(chain)
        ),
        Standing::InForce(chain) | Standing::Unapproved(chain, _) => {
            if anchor.pinned.is_none() {
                if let Some(v) = chain.in_force() {
                    eprintln!(
                        "trust: verified from {}; pin it with --trust-anchor {} (version {})",
                        anchor.describe(),
                        v.digest,
                        v.version
                    );
                }
            }
        }
    }
    anchor.remember(workspace, &standing);
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

fn trust_failure(e: change::TrustError, anchor: &Anchor) -> Failure {
    match e {
        change::TrustError::Sign(e) => sign_failure(e),
        change::TrustError::Chain(e) => anchor.failure(e),
        other => Failure::refused(other),
    }
}

pub(crate) fn run_trust_propose(options: &WorkspaceOptions) -> Result<u8, Failure> {
    let workspace = load(options)?;
    let verifier = now_verifier(&workspace);
    let anchor = Anchor::of(options, &workspace);
    let proposed = change::propose(&workspace, &verifier, anchor.digest())
        .map_err(|e| trust_failure(e, &anchor))?;
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
    let anchor = Anchor::of(options, &workspace);
    let approved = change::approve(&workspace, &verifier, anchor.digest(), signer.as_ref())
        .map_err(|e| trust_failure(e, &anchor))?;
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

pub(crate) fn run_trust_status(options: &WorkspaceOptions, json: bool) -> Result<u8, Failure> {
    let workspace = load(options)?;
    let verifier = now_verifier(&workspace);
    let anchor = Anchor::of(options, &workspace);
    let standing =
        trust::standing(&workspace, &verifier, anchor.digest()).map_err(|e| anchor.failure(e))?;
    anchor.remember(&workspace, &standing);
    let ok = matches!(standing, Standing::InForce(_));
    let versions: &[trust::Version] = standing.chain().map_or(&[], |c| c.versions.as_slice());
    if json {
        print_json(&StatusJson {
            anchor: anchor.digest(),
            remembered: anchor.pinned.is_none() && anchor.remembered.is_some(),
            versions,
            working_in_force: ok,
        });
        return Ok(if ok { 0 } else { 1 });
    }
    match (&anchor.pinned, &anchor.remembered) {
        (Some(a), _) => println!("anchor: {a}"),
        (None, Some(_)) => println!("anchor: {}", anchor.describe()),
        (None, None) => println!("anchor: none (the chain is trusted from version 1 as found)"),
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
