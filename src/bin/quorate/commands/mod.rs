//! The commands: each takes the settings cli.rs parsed, calls the library, and prints what it found.

mod audit;
mod columns;
mod digests;
mod docs;
mod gate;
mod keys;
mod policy;
mod publish;
mod signing;
mod status;
mod team;
mod trust;

pub(crate) use audit::run_audit;
pub(crate) use digests::run_digests;
pub(crate) use docs::{run_completions, run_man};
pub(crate) use gate::{run_gate, run_verify};
pub(crate) use keys::{run_keyring_check, run_keyring_export, run_keyring_import};
pub(crate) use policy::{run_policy_check, run_policy_export};
pub(crate) use publish::run_publish;
pub(crate) use signing::{run_add, run_payload, run_repair, run_sign, run_sync, run_withdraw};
pub(crate) use status::run_status;
pub(crate) use team::{
    run_init, run_maintainers_add, run_maintainers_add_sigstore, run_maintainers_list,
    run_maintainers_remove,
};
pub(crate) use trust::{
    anchor_failure, anchor_of, check_trust, check_trust_from, run_trust_propose, run_trust_sign,
    run_trust_status,
};

use std::io::IsTerminal;
use std::time::SystemTime;

use quorate::format::reference::Reference;
use quorate::judge::quorum::{check_image, ImageReport};
use quorate::keys::findings::{self, Severity};
use quorate::keys::transfer;
use quorate::keys::verify::Verifier;
use quorate::ledger::report::{list_or, FileJson, GateJson, ImageJson};
use quorate::ops::rebuild::{self, Agreement, Rebuild};
use quorate::ops::release;
use quorate::ops::sign::{
    self, Commit, Committed, GpgSigner, KeyFileSigner, PayloadSigner, Placement, SignError,
};
use quorate::text::fmt_time;
use quorate::workspace::{Workspace, WorkspaceError, WorkspaceOptions};

use crate::cli::{
    AddArgs, AuditArgs, DigestsCommand, GateArgs, JudgeArgs, PayloadArgs, PublishArgs, RepairArgs,
    SignArgs, SignerArgs, StatusArgs, SyncArgs, VerifyArgs, WithdrawArgs,
};

pub(crate) use crate::outcome::{Failure, Outcome};

fn load(options: &WorkspaceOptions) -> Result<Workspace, Failure> {
    let workspace = Workspace::load(options)?;
    print_warnings(&workspace);
    Ok(workspace)
}

/// What loading found odd but harmless, on stderr so JSON on stdout stays clean.
fn print_warnings(workspace: &Workspace) {
    for warning in &workspace.warnings {
        eprintln!("quorate: warning: {warning}");
    }
}

/// The workspace as the judging options ask for it: the working tree, or `--at REV`.
fn load_judged(options: &WorkspaceOptions, args: &JudgeArgs) -> Result<Workspace, Failure> {
    let mut workspace = match &args.at {
        Some(rev) => {
            let workspace = Workspace::load_at(options, rev).map_err(|e| match e {
                WorkspaceError::Revision { .. } => Failure::from(e).prefixed("--at "),
                _ => Failure::from(e),
            })?;
            print_warnings(&workspace);
            workspace
        }
        None => load(options)?,
    };
    if let Some(url) = &args.lookaside {
        workspace.lookaside = Some(lookaside(url)?.with_deadlines(args.deadlines()));
    }
    Ok(workspace)
}

/// The workspace options with what the judging options add to them (`--as-found`).
fn judged_options(options: &WorkspaceOptions, args: &JudgeArgs) -> WorkspaceOptions {
    WorkspaceOptions {
        rewritten_as_found: args.as_found,
        ..options.clone()
    }
}

/// A published lookaside to read signatures from; its errors name the flag.
fn lookaside(url: &str) -> Result<quorate::workspace::lookaside::Lookaside, Failure> {
    quorate::workspace::lookaside::Lookaside::new(url)
        .map_err(|e| Failure::from(e).prefixed("--lookaside "))
}

/// A verifier judging now, for the commands that write (sign, sync, trust, policy).
pub(crate) fn now_verifier(workspace: &Workspace) -> Verifier<'_> {
    Verifier::new(
        &workspace.keyring,
        &workspace.maintainers,
        SystemTime::now(),
    )
    .for_consumer(workspace.consumer())
}

/// The time the judging options ask to judge at.
fn judged_at(args: &JudgeArgs) -> SystemTime {
    args.as_of.unwrap_or_else(SystemTime::now)
}

/// The verifier the judging options ask for.
fn judge<'a>(workspace: &'a Workspace, args: &JudgeArgs) -> Verifier<'a> {
    Verifier::new(&workspace.keyring, &workspace.maintainers, judged_at(args))
        .accept_legacy(args.accept_legacy)
        .for_consumer(workspace.consumer())
}

fn parse_reference(text: &str) -> Result<Reference, Failure> {
    Reference::parse_with_digest(text).map_err(|e| Failure::input(format!("{text}: {e}")))
}

/// A short reference (a name with no `/`, such as `core-busybox:1.36@sha256:…`) names a
/// package of this workspace: it lies under quorate.toml's namespace, as `--release` has it,
/// never under docker.io/library. `reference` is `text` already parsed (so syntax errors come
/// first, before the workspace is read).
fn in_namespace(
    workspace: &Workspace,
    text: &str,
    reference: Reference,
) -> Result<Reference, Failure> {
    let name = text.split('@').next().unwrap_or(text);
    if name.contains('/') {
        return Ok(reference);
    }
    parse_reference(&format!("{}/{text}", workspace.namespace()))
}

/// A reference that must carry a tag: what a signature's identity is.
fn parse_tagged(text: &str) -> Result<Reference, Failure> {
    let reference = parse_reference(text)?;
    if reference.tag().is_none() {
        return Err(Failure::input(format!(
            "{text}: a tag is required to sign (podman matches the signed name and tag exactly)"
        )));
    }
    Ok(reference)
}

/// A signing failure, with the flag that remedies it.
fn sign_failure(e: SignError) -> Failure {
    let hint = match &e {
        SignError::NeedsPassphrase(_) => "; give --passphrase-file",
        SignError::NoTag(_) => "; give --tag",
        SignError::UnknownSigner => {
            ": give --signer as a fingerprint or key id of a certificate in the keyring"
        }
        _ => "",
    };
    Failure::from(e).hinted(hint)
}

/// `sign_failure` for a key file named on the command line, shown from the workspace (the
/// library keeps the path as given: it is read again to retry with a passphrase).
fn sign_failure_in(workspace: &Workspace) -> impl Fn(SignError) -> Failure + '_ {
    move |e| sign_failure(e.shown_in(workspace))
}

fn report_commit(
    committed: &Committed,
    files: &[String],
    subject: &str,
) -> Result<Outcome, Failure> {
    match (&committed.commit, &committed.error) {
        (Some(oid), _) => {
            println!("committed {oid}");
            Ok(Outcome::Passed)
        }
        (None, Some(why)) => Err(Failure::refused(format!(
            "the signatures in {} are written and valid but not committed: {why}; commit them with: git add {} && git commit -m '{subject}'",
            files.join(", "),
            files.join(" ")
        ))),
        (None, None) if committed.outside_git => {
            println!(
                "not committed: the workspace is not in a git repository (quorate uses one at or below the workspace); {} written",
                files.join(", ")
            );
            Ok(Outcome::Passed)
        }
        (None, None) => Ok(Outcome::Passed),
    }
}

/// A progress bar on stderr when it is a terminal and the work is large enough to wait for.
fn progress_bar(total: usize) -> Option<indicatif::ProgressBar> {
    (std::io::stderr().is_terminal() && total >= 200 && crate::notes::shown()).then(|| {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} images {elapsed}")
                .expect("a valid template"),
        );
        bar
    })
}

pub(crate) use quorate::plural;

fn print_json<T: serde::Serialize>(value: &T) {
    std::println!("{}", crate::output::json(value));
}
