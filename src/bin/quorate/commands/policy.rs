//! `quorate policy export` and `quorate policy check`.

use quorate::judge::policy::{self, ExportOptions, Mirror};
use quorate::workspace::WorkspaceOptions;

use super::{check_trust, load, plural, print_json, Failure, Outcome};
use crate::cli::{PolicyCheckArgs, PolicyExportArgs};

pub(crate) fn run_policy_export(
    options: &WorkspaceOptions,
    args: PolicyExportArgs,
) -> Result<Outcome, Failure> {
    let mut workspace = load(options)?;
    // The policy is made from the trust root in force, whatever the working MAINTAINERS say.
    check_trust(options, &mut workspace, std::time::SystemTime::now())?;
    let mut mirrors = Vec::new();
    for text in &args.mirror {
        let Some((scope, signed_prefix)) = text.split_once('=') else {
            return Err(Failure::input(format!(
                "--mirror {text}: expected SCOPE=SIGNED_PREFIX, e.g. quay.io/stagex=docker.io/stagex"
            )));
        };
        mirrors.push(Mirror {
            scope: scope.to_string(),
            signed_prefix: signed_prefix.to_string(),
        });
    }
    if let Some(url) = &args.lookaside {
        if !["https://", "http://", "file://"]
            .iter()
            .any(|scheme| url.starts_with(scheme))
        {
            return Err(Failure::input(format!(
                "--lookaside {url}: expected an https://, http:// or file:// URL"
            )));
        }
    }
    let exported = policy::export(
        &workspace,
        &ExportOptions {
            output: args.output,
            scopes: args.scope,
            mirrors,
            lookaside: args.lookaside,
            merge: args.merge,
            threshold: args.threshold.value,
        },
    )?;
    for warning in &exported.warnings {
        eprintln!("warning: {warning}");
    }
    let files: Vec<String> = exported
        .files
        .iter()
        .map(|f| workspace.display_path(f))
        .collect();
    println!(
        "wrote {}: {} for each of {} (any {} of {} maintainers: {})",
        files.join(" and "),
        plural(exported.requirements, "signedBy requirement"),
        exported.scopes.join(", "),
        exported.threshold,
        exported.maintainers.len(),
        exported.maintainers.join(", ")
    );
    Ok(Outcome::Passed)
}

#[derive(serde::Serialize)]
struct CheckJson<'a> {
    threshold: u32,
    scopes: &'a [policy::ScopeCheck],
}

pub(crate) fn run_policy_check(
    options: &WorkspaceOptions,
    args: PolicyCheckArgs,
) -> Result<Outcome, Failure> {
    let mut workspace = load(options)?;
    // Judged against the trust root in force, as export makes it: a policy is never said to
    // hold (or fall short) against a MAINTAINERS or threshold nobody approved.
    check_trust(options, &mut workspace, std::time::SystemTime::now())?;
    let threshold = workspace.threshold(args.threshold.value);
    let scopes = policy::check(&args.policy, &workspace.maintainers, args.scope.as_deref())?;
    let holds = scopes.iter().all(|s| s.holds(threshold));
    if args.json {
        print_json(&CheckJson {
            threshold,
            scopes: &scopes,
        });
    } else {
        if scopes.is_empty() {
            println!("{}: no docker scope", workspace.display_path(&args.policy));
        }
        for scope in &scopes {
            let verdict = if scope.holds(threshold) {
                "ok"
            } else {
                "TOO WEAK"
            };
            let needs = match scope.min_maintainers {
                None => "accepts no image".to_string(),
                Some(0) => "accepts images without any maintainer's signature".to_string(),
                Some(n) => format!(
                    "needs {} (e.g. {})",
                    plural(n, "maintainer"),
                    scope.example.join(", ")
                ),
            };
            let shown = if scope.scope.is_empty() {
                "docker default"
            } else {
                &scope.scope
            };
            println!(
                "{verdict:8} {shown}: {needs}; threshold {threshold} [{}]",
                scope.decided_by
            );
            for other in &scope.also_satisfied_by {
                println!("         also satisfied by {other}");
            }
        }
    }
    Ok(Outcome::passed_if(holds))
}
