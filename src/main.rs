//! The `quorate` program: parses the command line once, hands plain settings to the library,
//! and prints what it found. Exit status: 0 success, 1 refused or invalid, 2 bad usage or input.

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::SystemTime;

use clap::Parser;

use quorate::keyring::{self, Severity};
use quorate::quorum::{check_image, ImageReport};
use quorate::rebuild::{self, Agreement, Rebuild};
use quorate::reference::Reference;
use quorate::release;
use quorate::report::{list_or, FileJson, GateJson, ImageJson};
use quorate::sign::{
    self, Commit, Committed, GpgSigner, KeyFileSigner, PayloadSigner, Placement, SignError,
};
use quorate::verify::{fmt_time, Verifier};
use quorate::workspace::{Workspace, WorkspaceOptions};

use cli::{
    AddArgs, AuditArgs, Cli, Command, DigestsCommand, GateArgs, JudgeArgs, KeyringCommand,
    PayloadArgs, RepairArgs, SignArgs, SignerArgs, SyncArgs, VerifyArgs, WithdrawArgs,
};

/// A failure that ends the program: the exit status and one line for stderr.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn input(message: impl ToString) -> Failure {
        Failure {
            code: 2,
            message: message.to_string(),
        }
    }
    fn refused(message: impl ToString) -> Failure {
        Failure {
            code: 1,
            message: message.to_string(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let options = WorkspaceOptions {
        dir: cli.global.workspace.clone(),
        keyring: cli.global.keyring.clone(),
        maintainers: cli.global.maintainers.clone(),
    };
    let result = match cli.command {
        Command::Sign(args) => run_sign(&options, args),
        Command::Verify(args) => run_verify(&options, args),
        Command::Gate(args) => run_gate(&options, args),
        Command::Audit(args) => run_audit(&options, args),
        Command::Withdraw(args) => run_withdraw(&options, args),
        Command::Repair(args) => run_repair(&options, args),
        Command::Sync(args) => run_sync(&options, args),
        Command::Payload(args) => run_payload(args),
        Command::Add(args) => run_add(&options, args),
        Command::Digests(command) => run_digests(command),
        Command::Keyring(KeyringCommand::Check) => run_keyring_check(&options),
        Command::Keyring(KeyringCommand::Import { files }) => run_keyring_import(&options, &files),
        Command::Keyring(KeyringCommand::Export { output }) => {
            run_keyring_export(&options, &output)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("quorate: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn load(options: &WorkspaceOptions) -> Result<Workspace, Failure> {
    Workspace::load(options).map_err(Failure::input)
}

/// The workspace as the judging options ask for it: the working tree, or `--at REV`.
fn load_judged(options: &WorkspaceOptions, args: &JudgeArgs) -> Result<Workspace, Failure> {
    match &args.at {
        Some(rev) => Workspace::load_at(options, rev).map_err(Failure::input),
        None => load(options),
    }
}

/// The verifier the judging options ask for.
fn judge<'a>(workspace: &'a Workspace, args: &JudgeArgs) -> Verifier<'a> {
    Verifier::new(
        &workspace.keyring,
        &workspace.maintainers,
        args.as_of.unwrap_or_else(SystemTime::now),
    )
    .accept_legacy(args.accept_legacy)
}

fn parse_reference(text: &str) -> Result<Reference, Failure> {
    Reference::parse_with_digest(text).map_err(|e| Failure::input(format!("{text}: {e}")))
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

fn run_sign(options: &WorkspaceOptions, args: SignArgs) -> Result<u8, Failure> {
    let reference = args.reference.as_deref().map(parse_tagged).transpose()?;
    let workspace = load(options)?;
    let now = SystemTime::now();
    let rebuild = args
        .rebuilt
        .as_deref()
        .map(|path| {
            Rebuild::load(path).map_err(|e| Failure {
                code: e.exit_code(),
                message: e.to_string(),
            })
        })
        .transpose()?;
    let signer = make_signer(&args.signer, &workspace, now)?;
    let commit = if args.no_commit {
        Commit::No
    } else {
        Commit::Yes
    };
    let Some(reference) = reference else {
        let rebuild = rebuild.expect("clap requires --rebuilt with --release");
        return run_sign_release(&workspace, &args, &rebuild, signer.as_ref(), commit, now);
    };
    if let Some(rebuild) = &rebuild {
        let digest = reference.digest().expect("parsed with a digest");
        if let Some(why) = release::not_reproduced(rebuild, release::package_of(&reference), digest)
        {
            return Err(Failure::refused(format!("not signed: {why}")));
        }
    }
    let (placement, committed) =
        sign::sign(&workspace, &reference, signer.as_ref(), commit, now).map_err(sign_failure)?;
    report_placement(&workspace, &reference, &placement, &committed)
}

/// Prints what placing a signature did; a failed commit is exit 1 with how to commit by hand.
fn report_placement(
    workspace: &Workspace,
    reference: &Reference,
    placement: &Placement,
    committed: &Committed,
) -> Result<u8, Failure> {
    match placement {
        Placement::AlreadySigned { maintainer, path } => {
            println!(
                "{maintainer} already signed {reference} in {}; nothing written",
                workspace.display_path(path)
            );
            Ok(0)
        }
        Placement::Written {
            number,
            path,
            maintainer,
            ..
        } => {
            let shown = workspace.display_path(path);
            println!("signed {reference} as {maintainer}: wrote {shown} (signature-{number})");
            report_commit(committed, &[shown], &format!("Sign {reference}"))
        }
    }
}

fn report_commit(committed: &Committed, files: &[String], subject: &str) -> Result<u8, Failure> {
    match (&committed.commit, &committed.error) {
        (Some(oid), _) => {
            println!("committed {oid}");
            Ok(0)
        }
        (None, Some(why)) => Err(Failure::refused(format!(
            "the signatures in {} are written and valid but not committed: {why}; commit them with: git add {} && git commit -m '{subject}'",
            files.join(", "),
            files.join(" ")
        ))),
        (None, None) => Ok(0),
    }
}

fn make_signer(
    args: &SignerArgs,
    workspace: &Workspace,
    now: SystemTime,
) -> Result<Box<dyn PayloadSigner>, Failure> {
    if args.gpg {
        let program: Vec<String> = match &args.gpg_program {
            Some(cmd) => cmd.split_whitespace().map(str::to_string).collect(),
            None => vec!["gpg".to_string()],
        };
        if program.is_empty() {
            return Err(Failure::input("--gpg-program is empty"));
        }
        let key = match &args.signer {
            Some(key) => key.clone(),
            None => git_signing_key(workspace).ok_or_else(|| {
                Failure::input("no --signer given and git config user.signingkey is not set")
            })?,
        };
        return Ok(Box::new(GpgSigner::new(program, key, &workspace.keyring)));
    }
    let path = args.key.as_deref().expect("clap requires --key or --gpg");
    let passphrase = match &args.passphrase_file {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| Failure::input(format!("{}: cannot read: {e}", file.display())))?;
            Some(text.lines().next().unwrap_or("").to_string().into())
        }
        None => None,
    };
    let signer = match KeyFileSigner::load(path, passphrase.as_ref(), now) {
        Err(SignError::NeedsPassphrase(path)) if std::io::stdin().is_terminal() => {
            let prompt = format!("Passphrase for {}: ", path.display());
            let typed = rpassword::prompt_password(prompt)
                .map_err(|e| Failure::input(format!("cannot read a passphrase: {e}")))?;
            KeyFileSigner::load(&path, Some(&typed.into()), now)
        }
        other => other,
    }
    .map_err(sign_failure)?;
    if signer.by_subkey() {
        eprintln!(
            "quorate: warning: signing with subkey {}: the primary key's secret is absent or cannot sign; \
             podman before 5.37 rejects signatures made by a subkey",
            signer.signing_key().to_hex()
        );
    }
    Ok(Box::new(signer))
}

/// `git config user.signingkey`, as StageX's scripts read it: the workspace's repository's
/// configuration (which includes the global one), else the global one.
fn git_signing_key(workspace: &Workspace) -> Option<String> {
    let config = quorate::git::discover(&workspace.root, &workspace.root)
        .and_then(|repo| repo.config().ok())
        .or_else(|| git2::Config::open_default().ok())?;
    config.get_string("user.signingkey").ok()
}

fn run_sign_release(
    workspace: &Workspace,
    args: &SignArgs,
    rebuild: &Rebuild,
    signer: &dyn PayloadSigner,
    commit: Commit,
    now: SystemTime,
) -> Result<u8, Failure> {
    let dir = args
        .digests
        .clone()
        .unwrap_or_else(|| workspace.digests_dir.clone());
    let release_digests =
        quorate::digests::read_release(workspace.source.as_ref(), &dir).map_err(Failure::input)?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                .expect("a valid template"),
        );
        bar
    });
    let mut progress = |step: release::Step| match (step, &bar) {
        (release::Step::Start(n), Some(bar)) => bar.set_length(n as u64),
        (release::Step::Done(item, what), Some(bar)) => {
            bar.set_message(format!("{} {what}", item.label()));
            bar.inc(1);
        }
        (release::Step::Start(n), None) => eprintln!("signing {n} platform manifests"),
        (release::Step::Done(item, what), None) => eprintln!("{what}: {}", item.label()),
    };
    let outcome = release::sign_release(
        workspace,
        &release::ReleasePlan {
            release: &release_digests,
            rebuild,
            tag: args.tag.as_deref(),
        },
        signer,
        commit,
        now,
        &mut progress,
    )
    .map_err(sign_failure)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    for (item, reference, placement) in &outcome.signed {
        if let Placement::Written { path, .. } = placement {
            println!(
                "signed   {}: {reference} in {}",
                item.label(),
                workspace.display_path(path)
            );
        }
    }
    for (item, path) in &outcome.skipped {
        println!(
            "skipped  {}: already signed in {}",
            item.label(),
            workspace.display_path(path)
        );
    }
    for (item, why) in &outcome.refused {
        println!("refused  {}: {why}", item.label());
    }
    println!(
        "{} signed, {} already signed, {} refused",
        outcome.signed.len(),
        outcome.skipped.len(),
        outcome.refused.len()
    );
    let files: Vec<String> = outcome
        .signed
        .iter()
        .filter_map(|(_, _, p)| match p {
            Placement::Written { path, .. } => Some(workspace.display_path(path)),
            Placement::AlreadySigned { .. } => None,
        })
        .collect();
    let committed = report_commit(&outcome.committed, &files, "Sign the release")?;
    Ok(if outcome.refused.is_empty() {
        committed
    } else {
        1
    })
}

fn run_audit(options: &WorkspaceOptions, args: AuditArgs) -> Result<u8, Failure> {
    use quorate::audit::{self, Scope, Severity};
    let references = args
        .references
        .iter()
        .map(|text| parse_reference(text))
        .collect::<Result<Vec<_>, _>>()?;
    let workspace = load_judged(options, &args.judge)?;
    let scope = if args.release {
        let dir = args
            .digests
            .clone()
            .unwrap_or_else(|| workspace.digests_dir.clone());
        Scope::Release(
            quorate::digests::read_release(workspace.source.as_ref(), &dir)
                .map_err(Failure::input)?,
        )
    } else if references.is_empty() {
        Scope::Tree
    } else {
        Scope::References(references)
    };
    let verifier = judge(&workspace, &args.judge);
    let threshold = workspace.threshold(args.threshold);
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} images {elapsed}")
                .expect("a valid template"),
        );
        bar
    });
    let ledger = audit::audit(
        &workspace,
        &verifier,
        &audit::Options {
            scope,
            maintainer: args.maintainer.clone(),
            history: args.history,
            threshold,
            accept_legacy: args.judge.accept_legacy,
        },
        &|| {
            if let Some(bar) = &bar {
                bar.inc(1);
            }
        },
    )
    .map_err(Failure::input)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if args.json {
        print_json(&ledger);
    } else {
        println!(
            "Audit of {}, judged at {}, threshold {}{}; git: {}",
            ledger.source,
            ledger.judged_at,
            ledger.threshold,
            if ledger.accept_legacy {
                ", legacy payloads accepted"
            } else {
                ""
            },
            ledger
                .repository
                .as_deref()
                .unwrap_or("none (commits unknown)")
        );
        for image in &ledger.images {
            let name = match (&image.repository, &image.digest) {
                (Some(r), Some(d)) => format!("{r}@{d}"),
                _ => image.directory.clone(),
            };
            let status = if image.quorate {
                "quorate"
            } else {
                "SHORT OF QUORUM"
            };
            println!();
            println!(
                "{name}\n  {status}: {} of {}; signed by: {}; not yet: {}; tags: {}",
                image.signers.len(),
                ledger.threshold,
                list_or(&image.signers, "none"),
                list_or(&image.missing, "no one"),
                list_or(&image.references, "none")
            );
            for sig in &image.signatures {
                let f = &sig.file;
                let codes: Vec<&str> = f.problems.iter().map(|p| p.reason.code()).collect();
                let verdict = if f.counts {
                    "valid".to_string()
                } else {
                    format!("INVALID [{}]", codes.join(", "))
                };
                let who = f.maintainer.as_deref().unwrap_or("?");
                let key = f
                    .signing_key
                    .as_deref()
                    .map(short_fpr)
                    .unwrap_or_else(|| "?".into());
                let role = if f.by_subkey { " (subkey)" } else { "" };
                let legacy = if f.legacy { " legacy" } else { "" };
                let commit = match &sig.commit {
                    Some(c) => format!(
                        "{} {} {}{}",
                        &c.id[..8],
                        c.date,
                        c.author,
                        if c.signed { " signed" } else { "" }
                    ),
                    None => "commit unknown".into(),
                };
                let then = match &sig.at_commit {
                    Some(a) if a.counts != f.counts => {
                        if a.counts {
                            "; valid when committed"
                        } else {
                            "; invalid when committed"
                        }
                    }
                    _ => "",
                };
                println!(
                    "  signature-{:<3} {who:<12} {key}{role}  signed {}  {commit}{legacy}{then}\n                 {verdict}",
                    f.number,
                    f.created.as_deref().unwrap_or("?")
                );
            }
        }
        if !ledger.findings.is_empty() {
            println!();
            println!("Findings:");
        }
        for finding in &ledger.findings {
            let label = match finding.severity {
                Severity::Error => "error  ",
                Severity::Warning => "warning",
                Severity::Info => "info   ",
            };
            println!(
                "  {label} [{}] {}: {}",
                finding.code, finding.path, finding.detail
            );
        }
        println!();
        println!(
            "{} images; {} errors, {} warnings",
            ledger.images.len(),
            ledger.errors,
            ledger.warnings
        );
    }
    Ok(if ledger.errors > 0 { 1 } else { 0 })
}

/// The first and last 8 hex digits of a fingerprint.
fn short_fpr(fpr: &str) -> String {
    if fpr.len() > 16 {
        format!("{}…{}", &fpr[..8], &fpr[fpr.len() - 8..])
    } else {
        fpr.to_string()
    }
}

fn run_withdraw(options: &WorkspaceOptions, args: WithdrawArgs) -> Result<u8, Failure> {
    let reference = parse_reference(&args.reference)?;
    let workspace = load(options)?;
    let now = SystemTime::now();
    let signer = make_signer(&args.signer, &workspace, now)?;
    let verifier = Verifier::new(&workspace.keyring, &workspace.maintainers, now);
    let commit = if args.no_commit {
        Commit::No
    } else {
        Commit::Yes
    };
    let done =
        quorate::withdraw::withdraw(&workspace, &verifier, &reference, signer.as_ref(), commit)
            .map_err(sign_failure)?;
    for path in &done.removed {
        println!("withdrew {}", workspace.display_path(path));
    }
    for path in &done.statements {
        println!("kept the signed statement {}", workspace.display_path(path));
    }
    for (from, to) in &done.moves {
        println!(
            "renumbered {} -> {}",
            workspace.display_path(from),
            workspace.display_path(to)
        );
    }
    let files: Vec<String> = done
        .statements
        .iter()
        .map(|p| workspace.display_path(p))
        .collect();
    report_commit(
        &done.committed,
        &files,
        &format!("Withdraw a signature of {reference}"),
    )
}

fn run_sync(options: &WorkspaceOptions, args: SyncArgs) -> Result<u8, Failure> {
    use quorate::sync::SyncError;
    let workspace = load(options)?;
    let verifier = Verifier::new(
        &workspace.keyring,
        &workspace.maintainers,
        SystemTime::now(),
    );
    let synced = quorate::sync::sync(
        &workspace,
        &verifier,
        &args.remote,
        args.branch.as_deref(),
        args.push_to.as_deref(),
    )
    .map_err(|e| match e {
        SyncError::Setup(_) => Failure::input(e),
        _ => Failure::refused(e),
    })?;
    for (from, to) in &synced.placed {
        if from == to {
            println!("replayed {}", to.display());
        } else {
            println!("replayed {} as {}", from.display(), to.display());
        }
    }
    for path in &synced.already_there {
        println!("already on the remote: {}", path.display());
    }
    match &synced.pushed_to {
        Some(to) => println!("{} commit(s) replayed; pushed to {to}", synced.replayed),
        None => println!("up to date with the remote"),
    }
    Ok(0)
}

fn run_repair(options: &WorkspaceOptions, args: RepairArgs) -> Result<u8, Failure> {
    let references = args
        .references
        .iter()
        .map(|text| parse_reference(text))
        .collect::<Result<Vec<_>, _>>()?;
    let workspace = load(options)?;
    let dirs = if references.is_empty() {
        quorate::tree::image_dirs(&workspace.signatures_dir).map_err(Failure::input)?
    } else {
        references
            .iter()
            .map(|r| quorate::tree::image_dir(&workspace.signatures_dir, r))
            .collect()
    };
    let commit = if args.no_commit {
        Commit::No
    } else {
        Commit::Yes
    };
    let (moves, committed) =
        quorate::withdraw::repair(&workspace, &dirs, commit).map_err(sign_failure)?;
    for (from, to) in &moves {
        println!(
            "renumbered {} -> {}",
            workspace.display_path(from),
            workspace.display_path(to)
        );
    }
    println!(
        "{} signature(s) renumbered in {} image directories",
        moves.len(),
        dirs.len()
    );
    let files: Vec<String> = moves
        .iter()
        .map(|(_, to)| workspace.display_path(to))
        .collect();
    report_commit(&committed, &files, "Repair the numbering")
}

fn run_payload(args: PayloadArgs) -> Result<u8, Failure> {
    let reference = parse_tagged(&args.reference)?;
    let digest = reference.digest().expect("parsed with a digest");
    let bytes = quorate::payload::Payload::to_bytes(&reference, digest);
    use std::io::Write;
    std::io::stdout()
        .write_all(&bytes)
        .map_err(|e| Failure::input(format!("cannot write: {e}")))?;
    Ok(0)
}

fn run_add(options: &WorkspaceOptions, args: AddArgs) -> Result<u8, Failure> {
    let reference = parse_tagged(&args.reference)?;
    let workspace = load(options)?;
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Failure::input(format!("{}: cannot read: {e}", args.file.display())))?;
    let now = SystemTime::now();
    let verifier = Verifier::new(&workspace.keyring, &workspace.maintainers, now);
    let placement =
        sign::place_bytes(&workspace, &verifier, &reference, &bytes).map_err(|e| Failure {
            code: e.exit_code() as u8,
            message: format!("{}: {e}", args.file.display()),
        })?;
    let committed = match (&placement, args.no_commit) {
        (
            Placement::Written {
                path, maintainer, ..
            },
            false,
        ) => {
            let message = sign::commit_message(&workspace, &reference, &placement);
            sign::commit_placed(&workspace, std::slice::from_ref(path), &message, maintainer)
        }
        _ => Committed::default(),
    };
    report_placement(&workspace, &reference, &placement, &committed)
}

fn sign_failure(e: SignError) -> Failure {
    Failure {
        code: e.exit_code() as u8,
        message: e.to_string(),
    }
}

fn run_digests(command: DigestsCommand) -> Result<u8, Failure> {
    let load_rebuild = |path: &std::path::Path| {
        Rebuild::load(path).map_err(|e| Failure {
            code: e.exit_code(),
            message: e.to_string(),
        })
    };
    match command {
        DigestsCommand::Compute { out_dir, output } => {
            let rebuild = load_rebuild(&out_dir)?;
            let files = rebuild.digests_files();
            match output {
                None => {
                    for (name, bytes) in &files {
                        println!("# {name}");
                        print!("{}", String::from_utf8_lossy(bytes));
                    }
                }
                Some(dir) => {
                    std::fs::create_dir_all(&dir).map_err(|e| {
                        Failure::input(format!("{}: cannot create: {e}", dir.display()))
                    })?;
                    for (name, bytes) in &files {
                        let path = dir.join(name);
                        quorate::tree::write_atomic(&path, bytes).map_err(|e| {
                            Failure::input(format!("{}: cannot write: {e}", path.display()))
                        })?;
                        println!("wrote {}", path.display());
                    }
                }
            }
            Ok(0)
        }
        DigestsCommand::Compare { rebuilds } => {
            let loaded = rebuilds
                .iter()
                .map(|p| load_rebuild(p))
                .collect::<Result<Vec<_>, _>>()?;
            let rows = rebuild::compare(&loaded);
            print_comparison(&rows);
            let agree = rows.iter().all(|r| r.agreement == Agreement::Agree);
            if !agree {
                print_diffs(&loaded);
            }
            Ok(if agree { 0 } else { 1 })
        }
    }
}

fn print_comparison(rows: &[rebuild::Row]) {
    let groups = |groups: &[rebuild::Group]| {
        groups
            .iter()
            .map(|g| {
                let note = if g.others_differ {
                    " (other platforms differ)"
                } else {
                    ""
                };
                format!("{}: {}{note}", g.members.join(", "), g.first)
            })
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let width = rows
        .iter()
        .map(|r| r.package.len())
        .max()
        .unwrap_or(0)
        .max("PACKAGE".len());
    println!("{:<width$}  RESULT   DETAIL", "PACKAGE");
    for row in rows {
        let (result, detail) = match &row.agreement {
            Agreement::Agree => ("agree", String::new()),
            Agreement::Differ(g) => ("differ", groups(g)),
            Agreement::Missing { present, absent } => (
                "missing",
                format!("not in {}; {}", absent.join(", "), groups(present)),
            ),
        };
        println!(
            "{}",
            format!("{:<width$}  {result:<7}  {detail}", row.package).trim_end()
        );
    }
    let count = |f: fn(&Agreement) -> bool| rows.iter().filter(|r| f(&r.agreement)).count();
    println!(
        "{} agree, {} differ, {} missing",
        count(|a| *a == Agreement::Agree),
        count(|a| matches!(a, Agreement::Differ(_))),
        count(|a| matches!(a, Agreement::Missing { .. }))
    );
}

/// A unified diff of each rebuild's digests files against the first rebuild's.
fn print_diffs(rebuilds: &[Rebuild]) {
    let Some((first, rest)) = rebuilds.split_first() else {
        return;
    };
    let base = first.digests_files();
    for other in rest {
        let theirs = other.digests_files();
        let mut names: Vec<&String> = base.keys().chain(theirs.keys()).collect();
        names.sort();
        names.dedup();
        for name in names {
            let a = base
                .get(name)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            let b = theirs
                .get(name)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            if a != b {
                let diff = similar::TextDiff::from_lines(&a, &b);
                print!(
                    "{}",
                    diff.unified_diff().context_radius(1).header(
                        &format!("{}/{name}", first.label),
                        &format!("{}/{name}", other.label)
                    )
                );
            }
        }
    }
}

fn run_verify(options: &WorkspaceOptions, args: VerifyArgs) -> Result<u8, Failure> {
    let reference = parse_reference(&args.reference)?;
    let workspace = load_judged(options, &args.judge)?;
    let verifier = judge(&workspace, &args.judge);
    let image = check_image(&workspace, &verifier, &reference);
    let threshold = workspace.threshold(quorate::workspace::DEFAULT_THRESHOLD);
    if args.json {
        print_json(&ImageJson::new(&workspace, &image, threshold));
    } else {
        println!(
            "{} in {}",
            image.reference,
            workspace.display_path(&image.directory)
        );
        if let Some(e) = &image.directory_error {
            println!("  {e}");
        }
        for file in &image.files {
            print_file(&FileJson::new(&workspace, file));
        }
        let valid = image.files.iter().filter(|f| f.verdict.counts()).count();
        if image.files.is_empty() {
            println!("no signatures");
        } else {
            println!(
                "{valid} of {} files valid; distinct maintainers: {}",
                image.files.len(),
                list_or(&image.signers, "none")
            );
        }
    }
    Ok(if image.all_valid() { 0 } else { 1 })
}

fn print_file(file: &FileJson) {
    let name = format!("signature-{}", file.number);
    if file.counts {
        let maintainer = file.maintainer.as_deref().unwrap_or("?");
        let primary = file.primary_fingerprint.as_deref().unwrap_or("?");
        let key = match (&file.signing_key, file.by_subkey) {
            (Some(k), true) => format!("subkey {k}"),
            _ => "primary key".to_string(),
        };
        let created = file.created.as_deref().unwrap_or("?");
        let legacy = if file.legacy {
            "  (legacy payload)"
        } else {
            ""
        };
        println!("  {name}  valid    {maintainer}  {primary}  by {key}  at {created}{legacy}");
    } else {
        println!("  {name}  INVALID");
    }
    for problem in &file.problems {
        println!("      {problem}");
    }
}

fn run_gate(options: &WorkspaceOptions, args: GateArgs) -> Result<u8, Failure> {
    let explicit = args
        .references
        .iter()
        .map(|text| parse_reference(text).map(|r| (text.clone(), r)))
        .collect::<Result<Vec<_>, _>>()?;
    let workspace = load_judged(options, &args.judge)?;
    let mut mismatches = Vec::new();
    let targets = if args.release {
        let dir = args
            .digests
            .clone()
            .unwrap_or_else(|| workspace.digests_dir.clone());
        let release_digests = quorate::digests::read_release(workspace.source.as_ref(), &dir)
            .map_err(Failure::input)?;
        if let Some(path) = &args.rebuilt {
            let rebuild = Rebuild::load(path).map_err(|e| Failure {
                code: e.exit_code(),
                message: e.to_string(),
            })?;
            mismatches = release::push_mismatches(&release_digests, &rebuild);
        }
        release_targets(&workspace, &release_digests)?
    } else {
        explicit
    };
    let threshold = workspace.threshold(args.threshold);
    let verifier = judge(&workspace, &args.judge);
    let (labels, references): (Vec<String>, Vec<Reference>) = targets.into_iter().unzip();
    let bar = progress_bar(references.len());
    let tick = || {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    // Each image's report is boiled down as soon as it is judged, so memory follows what is
    // printed, not the whole tree.
    let rows: Vec<GateRow> = quorate::quorum::check_images(
        &workspace,
        &verifier,
        &references,
        &|image| GateRow::new(&workspace, &image, threshold, args.json),
        &tick,
    );
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let passed = mismatches.is_empty() && rows.iter().all(|r| r.quorate);

    // With a command to run, the gate's report goes to stderr so CMD owns stdout.
    let mut out: Box<dyn std::io::Write> = if args.command.is_empty() {
        Box::new(std::io::stdout())
    } else {
        Box::new(std::io::stderr())
    };
    if args.json {
        let json = GateJson {
            passed,
            threshold,
            images: rows.into_iter().filter_map(|r| r.json).collect(),
            refused: mismatches.clone(),
        };
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&json).expect("serializable")
        );
    } else {
        if args.release {
            print_release_table(&mut out, &labels, &rows, threshold);
        }
        for (label, row) in labels.iter().zip(&rows) {
            let count = row.signers.len();
            let signers = list_or(&row.signers, "none");
            if row.quorate {
                if !args.release {
                    let _ = writeln!(out, "Quorate: {label}: {count} of {threshold} ({signers})");
                }
            } else {
                let missing = list_or(&row.missing, "no one else");
                let _ = writeln!(
                    out,
                    "Minimum signatures not met: {label}: {count} of {threshold} ({signers}); not yet signed by: {missing}"
                );
            }
            if let Some(e) = &row.directory_error {
                let _ = writeln!(out, "  {e}");
            }
            for line in &row.not_counting {
                let _ = writeln!(out, "  {line}");
            }
        }
        for mismatch in &mismatches {
            let _ = writeln!(out, "Refused: {}: {}", mismatch.package, mismatch.message);
        }
        let verdict = if passed { "passed" } else { "FAILED" };
        let _ = writeln!(
            out,
            "gate {verdict}: {} of {} images signed by at least {threshold} distinct maintainers",
            rows.iter().filter(|r| r.quorate).count(),
            rows.len()
        );
    }
    drop(out);
    if !passed {
        return Ok(1);
    }
    match args.command.split_first() {
        None => Ok(0),
        Some((program, rest)) => Ok(run_command(program, rest)),
    }
}

/// Every platform manifest of the release, labelled by package (and platform, past the first),
/// gated by repository and digest.
fn release_targets(
    workspace: &Workspace,
    release_digests: &quorate::digests::Release,
) -> Result<Vec<(String, Reference)>, Failure> {
    release::items(release_digests)
        .into_iter()
        .map(|item| {
            let name = format!("{}/{}", workspace.namespace(), item.package);
            let label = item.label();
            Reference::with_parts(&name, None, Some(item.digest))
                .map(|r| (label, r))
                .map_err(|e| Failure::input(format!("{name}: {e}")))
        })
        .collect()
}

fn print_release_table(
    out: &mut dyn std::io::Write,
    labels: &[String],
    rows: &[GateRow],
    threshold: u32,
) {
    let table: Vec<[String; 4]> = labels
        .iter()
        .zip(rows)
        .map(|(label, row)| {
            let status = if row.quorate {
                "quorate".to_string()
            } else {
                format!(
                    "{} of {threshold}; missing: {}",
                    row.signers.len(),
                    list_or(&row.missing, "no one else")
                )
            };
            [
                label.clone(),
                row.digest[..19.min(row.digest.len())].to_string() + "…",
                list_or(&row.signers, "-"),
                status,
            ]
        })
        .collect();
    let header = ["PACKAGE", "DIGEST", "SIGNED BY", "STATUS"].map(String::from);
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            table
                .iter()
                .chain(std::iter::once(&header))
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(table.iter()) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
}

/// What gate prints of one image.
struct GateRow {
    digest: String,
    quorate: bool,
    signers: Vec<String>,
    missing: Vec<String>,
    directory_error: Option<String>,
    /// `signature-N does not count: …` for each file that does not.
    not_counting: Vec<String>,
    /// The whole image, only when JSON was asked for.
    json: Option<ImageJson>,
}

impl GateRow {
    fn new(workspace: &Workspace, image: &ImageReport, threshold: u32, json: bool) -> GateRow {
        GateRow {
            digest: image
                .reference
                .digest()
                .map(|d| d.to_string())
                .unwrap_or_default(),
            quorate: image.is_quorate(threshold),
            signers: image.signers.clone(),
            missing: image.missing.clone(),
            directory_error: image.directory_error.clone(),
            not_counting: image
                .files
                .iter()
                .filter(|f| !f.verdict.counts())
                .map(|f| {
                    let codes: Vec<String> =
                        f.verdict.problems.iter().map(|p| p.to_string()).collect();
                    format!(
                        "signature-{} does not count: {}",
                        f.number,
                        codes.join("; ")
                    )
                })
                .collect(),
            json: json.then(|| ImageJson::new(workspace, image, threshold)),
        }
    }
}

/// A progress bar on stderr when it is a terminal and the work is large enough to wait for.
fn progress_bar(total: usize) -> Option<indicatif::ProgressBar> {
    (std::io::stderr().is_terminal() && total >= 200).then(|| {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} images {elapsed}")
                .expect("a valid template"),
        );
        bar
    })
}

/// Runs CMD and returns its status as env(1) does: 126 when it cannot be run, 127 when it is
/// not found, 128+N when a signal ended it.
fn run_command(program: &str, args: &[String]) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match std::process::Command::new(program).args(args).status() {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => code as u8,
            (None, Some(signal)) => (128 + signal) as u8,
            (None, None) => 1,
        },
        Err(e) => {
            eprintln!("quorate: {program}: {e}");
            if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            }
        }
    }
}

fn run_keyring_check(options: &WorkspaceOptions) -> Result<u8, Failure> {
    let workspace = load(options)?;
    let findings = keyring::check(
        &workspace.keyring,
        &workspace.maintainers,
        SystemTime::now(),
    );
    let width = findings
        .iter()
        .map(|f| f.maintainer.as_deref().unwrap_or("-").len())
        .max()
        .unwrap_or(0);
    for f in &findings {
        let label = match f.severity {
            Severity::Ok => "ok     ",
            Severity::Warning => "warning",
            Severity::Error => "error  ",
        };
        let who = f.maintainer.as_deref().unwrap_or("-");
        let source = f
            .source
            .as_ref()
            .map(|p| format!(" ({})", workspace.display_path(p)))
            .unwrap_or_default();
        println!(
            "{label}  {who:<width$}  {}  {}{source}",
            f.fingerprint, f.message
        );
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    println!(
        "{} maintainer keys, {} certificates: {errors} errors, {warnings} warnings (checked at {})",
        workspace.maintainers.fingerprints().count(),
        workspace.keyring.len(),
        fmt_time(SystemTime::now())
    );
    Ok(if errors > 0 { 1 } else { 0 })
}

fn run_keyring_import(
    options: &WorkspaceOptions,
    files: &[std::path::PathBuf],
) -> Result<u8, Failure> {
    let workspace = load(options)?;
    let imported = keyring::import(
        &workspace.keyring_dir,
        &workspace.keyring,
        &workspace.maintainers,
        files,
    )
    .map_err(|e| match e {
        keyring::ImportError::NotAMaintainer { .. } => Failure::refused(e),
        _ => Failure::input(e),
    })?;
    for i in &imported {
        println!(
            "{}  {}  {}: {}",
            i.maintainer,
            i.fingerprint,
            workspace.display_path(&i.file),
            i.change
        );
    }
    Ok(0)
}

fn run_keyring_export(options: &WorkspaceOptions, output: &std::path::Path) -> Result<u8, Failure> {
    let workspace = load(options)?;
    let (bytes, missing) = keyring::export(&workspace.keyring, &workspace.maintainers);
    quorate::tree::write_atomic(output, &bytes)
        .map_err(|e| Failure::input(format!("{}: cannot write: {e}", output.display())))?;
    let exported = workspace.maintainers.fingerprints().count() - missing.len();
    println!(
        "wrote {exported} maintainer certificates to {}",
        output.display()
    );
    for fingerprint in &missing {
        eprintln!(
            "quorate: warning: no certificate for maintainer key {fingerprint}: not exported"
        );
    }
    Ok(0)
}

fn print_json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("serializable")
    );
}
