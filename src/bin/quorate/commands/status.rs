//! status: what the signer still has to do.

use quorate::ops::status::{self, Status, StatusImage, StatusOptions};

use super::signing::git_signing_key;
use super::trust::check_trust_from;
use super::*;

pub(crate) fn run_status(options: &WorkspaceOptions, args: StatusArgs) -> Result<Outcome, Failure> {
    let mut workspace = load(options)?;
    let signer = args
        .signer
        .clone()
        .or_else(|| git_signing_key(&workspace))
        .ok_or_else(|| {
            Failure::input("whose status? give --signer (a handle, or your key's fingerprint or id), or set git config user.signingkey")
        })?;
    // Judged as verify and gate judge: the root in force decides who counts, and a pending
    // change is named (the proposal to approve is part of the answer).
    let anchor = anchor_of(options, &workspace);
    let standing = check_trust_from(&anchor, &mut workspace, std::time::SystemTime::now())?;
    let verifier = now_verifier(&workspace);
    let release_digests = if workspace.holds_release(&workspace.digests_dir)? {
        Some(workspace.read_release(&workspace.digests_dir.clone())?)
    } else {
        None
    };
    let threshold = workspace.threshold(args.threshold.value);
    let status = status::status(
        &workspace,
        &verifier,
        release_digests.as_ref(),
        standing.chain(),
        threshold,
        &StatusOptions {
            signer,
            remote: args.remote.clone(),
            fetch: !args.no_fetch,
        },
    )?;
    if args.json {
        print_json(&status);
    } else {
        print_status(&status);
    }
    Ok(Outcome::Passed)
}

fn label(image: &StatusImage) -> String {
    match &image.platform {
        Some(platform) => format!("{} ({platform})", image.package),
        None => image.package.clone(),
    }
}

fn print_status(status: &Status) {
    println!(
        "{}: {} in the release, threshold {}",
        status.signer,
        plural(status.release_images, "image"),
        status.threshold
    );
    if status.to_sign.is_empty() {
        println!("  signed by you: every release image");
    } else {
        println!("  not signed by you ({}):", status.to_sign.len());
        let rows: Vec<[String; 2]> = status
            .to_sign
            .iter()
            .map(|image| [label(image), image.reference.clone()])
            .collect();
        for line in columns::render(&rows) {
            println!("    {line}");
        }
    }
    if status.short_of_quorum.is_empty() {
        println!("  short of quorum: none");
    } else {
        println!("  short of quorum ({}):", status.short_of_quorum.len());
        for image in &status.short_of_quorum {
            println!(
                "    {}: {} of {} ({}); not yet signed by: {}",
                label(image),
                image.signers.len(),
                status.threshold,
                list_or(&image.signers, "none"),
                list_or(&image.missing, "no one else")
            );
        }
    }
    match &status.trust_to_approve {
        Some(pending) => println!(
            "  trust: version {} ({}) awaits your approval (quorate trust sign); approved by {}{}",
            pending.version,
            pending.digest,
            list_or(&pending.approved_by, "no one yet"),
            if pending.needs.is_empty() {
                String::new()
            } else {
                format!("; it needs {}", pending.needs.join("; "))
            }
        ),
        None => println!("  trust: nothing awaits your approval"),
    }
    let remote = &status.remote;
    let branch = remote.branch.as_deref().unwrap_or("?");
    match (remote.behind, remote.ahead, &remote.error) {
        (_, _, Some(error)) if remote.behind.is_none() => {
            println!("  remote: cannot tell: {error}")
        }
        (Some(behind), Some(ahead), error) => {
            let mut line = format!("  remote: {}/{branch}: ", remote.remote);
            line.push_str(&match (behind, ahead) {
                (0, 0) => "up to date".to_string(),
                (0, a) => format!("{} to publish (quorate sync)", plural(a, "commit")),
                (b, 0) => format!("{} behind (git pull --ff-only)", plural(b, "commit")),
                (b, a) => format!(
                    "{} behind and {} to publish (quorate sync)",
                    plural(b, "commit"),
                    plural(a, "commit")
                ),
            });
            if let Some(error) = error {
                line.push_str(&format!(" as of the last fetch ({error})"));
            }
            println!("{line}");
        }
        _ => println!("  remote: cannot tell"),
    }
}
