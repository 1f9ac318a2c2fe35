//! keyring check, import and export.

use super::*;

pub(crate) fn run_keyring_check(options: &WorkspaceOptions) -> Result<Outcome, Failure> {
    let mut workspace = load(options)?;
    // Judged against the working MAINTAINERS (what is about to be proposed), with the chain's
    // former maintainers known: their kept certificates are no stranger's.
    let verifier = now_verifier(&workspace);
    let former = super::trust::anchor_of(options, &workspace)
        .judge(&workspace, &verifier)
        .ok()
        .and_then(|standing| {
            standing
                .chain()
                .map(quorate::judge::trust::former_maintainers)
        });
    if let Some(former) = former {
        workspace.maintainers.set_former(former);
    }
    let findings = findings::check(
        &workspace.keyring,
        &workspace.maintainers,
        SystemTime::now(),
        workspace.config.consumer.as_ref(),
    );
    let width = findings
        .iter()
        .map(|f| columns::width(f.maintainer.as_deref().unwrap_or("-")))
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
            "{label}  {}  {}  {}{source}",
            columns::pad(who, width),
            f.fingerprint,
            f.message
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
        "{}, {}: {}, {} (checked at {})",
        plural(
            workspace.maintainers.fingerprints().count(),
            "maintainer key"
        ),
        plural(workspace.keyring.len(), "certificate"),
        plural(errors, "error"),
        plural(warnings, "warning"),
        fmt_time(SystemTime::now())
    );
    Ok(Outcome::passed_if(errors == 0))
}

pub(crate) fn run_keyring_import(
    options: &WorkspaceOptions,
    files: &[std::path::PathBuf],
) -> Result<Outcome, Failure> {
    let workspace = load(options)?;
    // A --keyring directory the caller named is theirs; the workspace's own is reached from the
    // workspace, never through a link.
    let root = match &options.keyring {
        Some(dir) => dir.clone(),
        None => workspace.root.clone(),
    };
    if let Some(consumer) = workspace.consumer() {
        for (fingerprint, notice) in
            quorate::keys::consumer::notices_for_files(files, &consumer, SystemTime::now())
        {
            // A stranger's certificate refuses the whole import below.
            if let Some(who) = workspace.maintainers.by_fingerprint(&fingerprint) {
                eprintln!("quorate: warning: {} {fingerprint}: {notice}", who.handle);
            }
        }
    }
    let imported = workspace.import_certificates(&root, files)?;
    for i in &imported {
        println!(
            "{}  {}  {}: {}",
            i.maintainer,
            i.fingerprint,
            workspace.display_path(&i.file),
            i.change
        );
    }
    Ok(Outcome::Passed)
}

pub(crate) fn run_keyring_export(
    options: &WorkspaceOptions,
    output: &std::path::Path,
) -> Result<Outcome, Failure> {
    let workspace = load(options)?;
    let (bytes, missing) = transfer::export(&workspace.keyring, &workspace.maintainers);
    quorate::fs::confine::write_output_file(output, &bytes)
        .map_err(|e| Failure::input(format!("cannot write the keyring: {e}")))?;
    let exported = workspace.maintainers.fingerprints().count() - missing.len();
    println!(
        "wrote {} to {}",
        plural(exported, "maintainer certificate"),
        workspace.display_path(output)
    );
    for fingerprint in &missing {
        eprintln!(
            "quorate: warning: no certificate for maintainer key {fingerprint}: not exported"
        );
    }
    Ok(Outcome::Passed)
}
