//! `quorate policy export` and `quorate policy check`.

use std::time::SystemTime;

use quorate::judge::policy::{self, ExportOptions, ImageOptions, Mirror};
use quorate::workspace::{Workspace, WorkspaceOptions};

use super::{
    check_trust, in_namespace, load, lookaside, parse_reference, plural, print_json, Failure,
    Outcome,
};
use crate::cli::{PolicyCheckArgs, PolicyExportArgs};

pub(crate) fn run_policy_export(
    options: &WorkspaceOptions,
    args: PolicyExportArgs,
) -> Result<Outcome, Failure> {
    let mut workspace = load(options)?;
    // The policy is made from the trust root in force, whatever the working MAINTAINERS say.
    let standing = check_trust(options, &mut workspace, SystemTime::now())?;
    let trust_root_version = standing
        .chain()
        .and_then(|c| c.in_force())
        .map(|v| v.version);
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
    let json = args.json;
    let sigstore_voters = policy::sigstore_voters(&workspace);
    let exported = policy::export(
        &workspace,
        &ExportOptions {
            output: args.output,
            scopes: args.scope,
            mirrors,
            lookaside: args.lookaside,
            merge: args.merge,
            threshold: args.threshold.value,
            replace_weaker: args.replace_weaker,
            trust_root_version,
        },
    );
    let exported = match exported {
        Ok(exported) => exported,
        Err(error) => {
            if json {
                // The refusal names whose votes podman cannot check; JSON readers get the list.
                print_json(&ExportJson {
                    written: false,
                    error: Some(error.to_string()),
                    threshold: None,
                    maintainers: &[],
                    requirements: 0,
                    scopes: &[],
                    files: Vec::new(),
                    replaced: &[],
                    warnings: Vec::new(),
                    podman_cannot_check: &sigstore_voters,
                });
            }
            return Err(error.into());
        }
    };
    if json {
        print_json(&ExportJson {
            written: true,
            error: None,
            threshold: Some(exported.threshold),
            maintainers: &exported.maintainers,
            requirements: exported.requirements,
            scopes: &exported.scopes,
            files: exported
                .files
                .iter()
                .map(|f| workspace.display_path(f))
                .collect(),
            replaced: &exported.replaced,
            warnings: exported.warnings.iter().map(|w| w.to_string()).collect(),
            podman_cannot_check: &sigstore_voters,
        });
        return Ok(Outcome::Passed);
    }
    for entry in &exported.replaced {
        eprintln!(
            "replaced {entry:?}, which needed fewer than {} maintainers, with the quorum",
            exported.threshold
        );
    }
    for warning in &exported.warnings {
        eprintln!("warning: {warning}");
    }
    let files: Vec<String> = exported
        .files
        .iter()
        .map(|f| workspace.display_path(f))
        .collect();
    println!(
        "wrote {}: {} for each of {} (any {} of {} maintainers: {}){}",
        files.join(" and "),
        plural(exported.requirements, "signedBy requirement"),
        exported.scopes.join(", "),
        exported.threshold,
        exported.maintainers.len(),
        exported.maintainers.join(", "),
        match trust_root_version {
            Some(v) => format!(", from trust root version {v}"),
            None => String::new(),
        }
    );
    Ok(Outcome::Passed)
}

#[derive(serde::Serialize)]
struct ExportJson<'a> {
    written: bool,
    error: Option<String>,
    threshold: Option<u32>,
    maintainers: &'a [String],
    requirements: usize,
    scopes: &'a [String],
    files: Vec<String>,
    replaced: &'a [String],
    warnings: Vec<String>,
    podman_cannot_check: &'a [policy::SigstoreVoter],
}

#[derive(serde::Serialize)]
struct CheckJson<'a> {
    threshold: u32,
    made_from: Option<u32>,
    in_force: Option<u32>,
    stale: bool,
    scopes: &'a [policy::ScopeCheck],
}

pub(crate) fn run_policy_check(
    options: &WorkspaceOptions,
    args: PolicyCheckArgs,
) -> Result<Outcome, Failure> {
    let mut workspace = load(options)?;
    // Judged against the trust root in force, as export makes it: a policy is never said to
    // hold (or fall short) against a MAINTAINERS or threshold nobody approved.
    // `check_trust` leaves the root in force deciding in the workspace: its people and threshold.
    let standing = check_trust(options, &mut workspace, SystemTime::now())?;
    let in_force = standing.chain().and_then(|c| c.in_force());
    let people = policy::People::from_maintainers(&workspace.maintainers);
    let threshold = workspace.threshold(args.threshold.value);
    if let Some(image) = &args.image {
        return run_image_check(&workspace, &args, image, &people);
    }
    let checked = policy::check(&args.policy, &people, args.scope.as_deref())?;
    let scopes = &checked.scopes;
    let in_force = in_force.map(|v| v.version);
    let stale = scopes.iter().any(policy::ScopeCheck::stale);
    let holds = !stale && scopes.iter().all(|s| s.holds(threshold));
    if args.json {
        print_json(&CheckJson {
            threshold,
            made_from: checked.made_from,
            in_force,
            stale,
            scopes,
        });
        return Ok(Outcome::passed_if(holds));
    }
    let shown_policy = workspace.display_path(&args.policy);
    if scopes.is_empty() {
        println!("{shown_policy}: no docker scope");
    }
    let judged = match in_force {
        Some(v) => format!("trust root version {v} in force"),
        None => "MAINTAINERS".to_string(),
    };
    let made_from = match checked.made_from {
        Some(v) => format!("made from trust root version {v}"),
        None => "records no trust-root version".to_string(),
    };
    if stale {
        println!(
            "STALE    {shown_policy}: {made_from}, judged against {judged}; export it again (quorate policy export)"
        );
    } else if checked.made_from.is_some() && checked.made_from != in_force {
        println!("note     {shown_policy}: {made_from}, judged against {judged}");
    }
    for scope in scopes {
        print_scope(scope, threshold, &judged, "");
        for entry in &scope.entries {
            print_scope(entry, threshold, &judged, "  ");
        }
    }
    Ok(Outcome::passed_if(holds))
}

/// One scope's lines: its verdict, then what else satisfies it and why it is stale.
fn print_scope(scope: &policy::ScopeCheck, threshold: u32, judged: &str, indent: &str) {
    let verdict = if !scope.holds(threshold) {
        "TOO WEAK"
    } else if scope.stale() {
        "STALE"
    } else {
        "ok"
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
        "{indent}{verdict:8} {shown}: {needs}; threshold {threshold} [{}]",
        scope.decided_by
    );
    for other in &scope.also_satisfied_by {
        println!("{indent}         also satisfied by {other}");
    }
    for stranger in &scope.strangers {
        println!("{indent}         key {stranger} is nobody's in {judged}");
    }
    for who in &scope.unseen {
        println!(
            "{indent}         {who} ({judged}) is in no requirement: their signatures never count"
        );
    }
}

#[derive(serde::Serialize)]
struct ImageJson<'a> {
    image: String,
    signatures_from: String,
    #[serde(flatten)]
    check: &'a policy::ImageCheck,
}

/// `policy check --image`: the image as podman would pull it by digest.
fn run_image_check(
    workspace: &Workspace,
    args: &PolicyCheckArgs,
    image: &str,
    people: &policy::People,
) -> Result<Outcome, Failure> {
    let reference = in_namespace(workspace, image, parse_reference(image)?)?;
    // Without --lookaside, the workspace's own tree, read as podman reads a file:// lookaside.
    let (url, reader) = match &args.lookaside {
        Some(url) => (url.clone(), lookaside(url)?),
        None => {
            let dir = std::path::absolute(&workspace.signatures_dir).map_err(|e| {
                Failure::input(format!("{}: {e}", workspace.signatures_dir.display()))
            })?;
            let url = format!("file://{}", dir.display());
            let reader = quorate::workspace::lookaside::Lookaside::new(&url)?;
            (url, reader)
        }
    };
    let served = reader.fetch(&reference)?;
    let value = policy::read_policy(&args.policy)?;
    let checked = policy::check_image(
        &value,
        &args.policy,
        people,
        &ImageOptions {
            reference: &reference,
            served: &served,
            consumer: workspace.consumer().as_ref(),
            now: SystemTime::now(),
        },
    )?;
    if args.json {
        print_json(&ImageJson {
            image: reference.to_string(),
            signatures_from: url,
            check: &checked,
        });
        return Ok(Outcome::passed_if(checked.accepted));
    }
    println!(
        "{} {}: {} [{}]; {} read from {url}",
        if checked.accepted {
            "accepted"
        } else {
            "REFUSED "
        },
        checked.identity,
        if checked.accepted {
            "podman would pull it"
        } else {
            "podman would refuse it"
        },
        checked.decided_by,
        plural(served.len(), "signature"),
    );
    for req in &checked.requirements {
        let keyring = if req.kind == "signedBy" {
            let mut holders = req.keyring.clone();
            holders.extend(req.strangers.iter().map(|s| format!("key {s}")));
            format!(" of {}", holders.join(", "))
        } else {
            String::new()
        };
        let state = if req.satisfied {
            "satisfied"
        } else {
            "NOT SATISFIED"
        };
        let by: Vec<&str> = req
            .signatures
            .iter()
            .filter(|s| s.accepted)
            .map(|s| {
                s.signer
                    .as_deref()
                    .unwrap_or("a key of nobody judged against")
            })
            .collect();
        let by = if by.is_empty() {
            String::new()
        } else {
            format!(" by {}", by.join(", "))
        };
        println!(
            "  requirement {} ({}{keyring}): {state}{by}",
            req.number, req.kind
        );
        if !req.note.is_empty() {
            println!("    {}", req.note);
        }
        if !req.satisfied {
            for sig in &req.signatures {
                println!(
                    "    {} ({}): {}",
                    sig.file,
                    sig.signer.as_deref().unwrap_or("signer unknown"),
                    sig.why
                );
            }
        }
    }
    match &checked.would_pass_with {
        _ if checked.accepted => {}
        Some(people) => println!(
            "to pass: a signature, as podman accepts it, by {} (e.g. {})",
            plural(people.len(), "more maintainer"),
            people.join(", ")
        ),
        None => println!("to pass: no maintainer's signature can satisfy every requirement"),
    }
    Ok(Outcome::passed_if(checked.accepted))
}
