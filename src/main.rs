//! The `quorate` program: parses the command line once, hands plain settings to the library,
//! and prints what it found. Exit status: 0 success, 1 refused or invalid, 2 bad usage or input.

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::SystemTime;

use clap::Parser;

use quorate::keyring::{self, Severity};
use quorate::quorum::{check_image, ImageReport};
use quorate::reference::Reference;
use quorate::report::{FileJson, GateJson, ImageJson};
use quorate::sign::{self, Commit, KeyFileSigner, SignError, SignOutcome};
use quorate::verify::{fmt_time, Verifier};
use quorate::workspace::{Workspace, WorkspaceOptions};

use cli::{Cli, Command, GateArgs, KeyringCommand, SignArgs, VerifyArgs};

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
        Command::Keyring(KeyringCommand::Check) => run_keyring_check(&options),
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

fn parse_reference(text: &str) -> Result<Reference, Failure> {
    Reference::parse_with_digest(text).map_err(|e| Failure::input(format!("{text}: {e}")))
}

fn run_sign(options: &WorkspaceOptions, args: SignArgs) -> Result<u8, Failure> {
    let reference = parse_reference(&args.reference)?;
    if reference.tag().is_none() {
        return Err(Failure::input(format!(
            "{}: a tag is required to sign (podman matches the signed name and tag exactly)",
            args.reference
        )));
    }
    let workspace = load(options)?;
    let now = SystemTime::now();
    let passphrase = match &args.passphrase_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::input(format!("{}: cannot read: {e}", path.display())))?;
            Some(text.lines().next().unwrap_or("").to_string().into())
        }
        None => None,
    };
    let signer = match KeyFileSigner::load(&args.key, passphrase.as_ref(), now) {
        Err(SignError::NeedsPassphrase(path)) if std::io::stdin().is_terminal() => {
            let prompt = format!("Passphrase for {}: ", path.display());
            let typed = rpassword::prompt_password(prompt)
                .map_err(|e| Failure::input(format!("cannot read a passphrase: {e}")))?;
            KeyFileSigner::load(&args.key, Some(&typed.into()), now)
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
    let commit = if args.no_commit {
        Commit::No
    } else {
        Commit::Yes
    };
    match sign::sign(&workspace, &reference, &signer, commit, now).map_err(sign_failure)? {
        SignOutcome::AlreadySigned { maintainer, path } => {
            println!(
                "{maintainer} already signed {reference} in {}; nothing written",
                workspace.display_path(&path)
            );
            Ok(0)
        }
        SignOutcome::Written {
            number,
            path,
            maintainer,
            commit,
            commit_error,
        } => {
            let shown = workspace.display_path(&path);
            println!("signed {reference} as {maintainer}: wrote {shown} (signature-{number})");
            match (commit, commit_error) {
                (Some(oid), _) => {
                    println!("committed {oid}");
                    Ok(0)
                }
                (None, Some(why)) => Err(Failure::refused(format!(
                    "the signature in {shown} is written and valid but not committed: {why}; commit it with: \
                     git add {shown} && git commit -m 'Sign {reference}'"
                ))),
                (None, None) => Ok(0),
            }
        }
    }
}

fn sign_failure(e: SignError) -> Failure {
    Failure {
        code: e.exit_code() as u8,
        message: e.to_string(),
    }
}

fn run_verify(options: &WorkspaceOptions, args: VerifyArgs) -> Result<u8, Failure> {
    let reference = parse_reference(&args.reference)?;
    let workspace = load(options)?;
    let verifier = Verifier::new(
        &workspace.keyring,
        &workspace.maintainers,
        SystemTime::now(),
    );
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
        println!("  {name}  valid    {maintainer}  {primary}  by {key}  at {created}");
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
    let workspace = load(options)?;
    let targets = if args.release {
        release_targets(&workspace, args.digests.as_deref())?
    } else {
        explicit
    };
    let threshold = workspace.threshold(args.threshold);
    let verifier = Verifier::new(
        &workspace.keyring,
        &workspace.maintainers,
        SystemTime::now(),
    );
    let images: Vec<(String, ImageReport)> = targets
        .into_iter()
        .map(|(label, reference)| {
            let report = check_image(&workspace, &verifier, &reference);
            (label, report)
        })
        .collect();
    let passed = images.iter().all(|(_, image)| image.is_quorate(threshold));

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
            images: images
                .iter()
                .map(|(_, i)| ImageJson::new(&workspace, i, threshold))
                .collect(),
        };
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&json).expect("serializable")
        );
    } else {
        if args.release {
            print_release_table(&mut out, &images, threshold);
        }
        for (label, image) in &images {
            let count = image.signers.len();
            let signers = list_or(&image.signers, "none");
            if image.is_quorate(threshold) {
                if !args.release {
                    let _ = writeln!(out, "Quorate: {label}: {count} of {threshold} ({signers})");
                }
            } else {
                let missing = list_or(&image.missing, "no one else");
                let _ = writeln!(
                    out,
                    "Minimum signatures not met: {label}: {count} of {threshold} ({signers}); not yet signed by: {missing}"
                );
            }
            if let Some(e) = &image.directory_error {
                let _ = writeln!(out, "  {e}");
            }
            for file in image.files.iter().filter(|f| !f.verdict.counts()) {
                let codes: Vec<String> = file
                    .verdict
                    .problems
                    .iter()
                    .map(|p| p.to_string())
                    .collect();
                let _ = writeln!(
                    out,
                    "  signature-{} does not count: {}",
                    file.number,
                    codes.join("; ")
                );
            }
        }
        let verdict = if passed { "passed" } else { "FAILED" };
        let _ =
            writeln!(
            out,
            "gate {verdict}: {} of {} images signed by at least {threshold} distinct maintainers",
            images.iter().filter(|(_, i)| i.is_quorate(threshold)).count(),
            images.len()
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

/// Every package of the release, labelled by package name, gated by repository and digest.
fn release_targets(
    workspace: &Workspace,
    digests: Option<&std::path::Path>,
) -> Result<Vec<(String, Reference)>, Failure> {
    let dir = digests.map_or_else(
        || workspace.digests_dir.clone(),
        std::path::Path::to_path_buf,
    );
    let packages = quorate::digests::read_dir(&dir).map_err(Failure::input)?;
    packages
        .iter()
        .map(|p| {
            workspace
                .package_reference(p)
                .map(|r| (p.name.clone(), r))
                .map_err(|e| {
                    Failure::input(format!("{}:{}: {e}", p.source.0.display(), p.source.1))
                })
        })
        .collect()
}

fn print_release_table(
    out: &mut dyn std::io::Write,
    images: &[(String, ImageReport)],
    threshold: u32,
) {
    let rows: Vec<[String; 4]> = images
        .iter()
        .map(|(label, image)| {
            let digest = image
                .reference
                .digest()
                .map(|d| d.to_string())
                .unwrap_or_default();
            let status = if image.is_quorate(threshold) {
                "quorate".to_string()
            } else {
                format!(
                    "{} of {threshold}; missing: {}",
                    image.signers.len(),
                    list_or(&image.missing, "no one else")
                )
            };
            [
                label.clone(),
                digest[..19.min(digest.len())].to_string() + "…",
                list_or(&image.signers, "-"),
                status,
            ]
        })
        .collect();
    let header = ["PACKAGE", "DIGEST", "SIGNED BY", "STATUS"].map(String::from);
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .chain(std::iter::once(&header))
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
}

fn list_or(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        empty.to_string()
    } else {
        items.join(", ")
    }
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
