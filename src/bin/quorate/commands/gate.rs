//! verify and gate: the verdicts, and the gate that runs the publish step.

use quorate::ops::gated;

use super::*;

pub(crate) fn run_verify(options: &WorkspaceOptions, args: VerifyArgs) -> Result<Outcome, Failure> {
    let options = &judged_options(options, &args.judge);
    let reference = parse_reference(&args.reference)?;
    let mut workspace = load_judged(options, &args.judge)?;
    let reference = in_namespace(&workspace, &args.reference, reference)?;
    check_trust(options, &mut workspace, judged_at(&args.judge))?;
    let verifier = judge(&workspace, &args.judge);
    let image = check_image(&workspace, &verifier, &reference);
    let threshold = workspace.threshold(quorate::workspace::Threshold::DEFAULT);
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
        let files: Vec<FileJson> = image
            .files
            .iter()
            .map(|file| FileJson::new(&workspace, file))
            .collect();
        print_files(&files);
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
    Ok(Outcome::passed_if(image.all_valid()))
}

/// One row per signature file, its columns lined up across the image, each file's problems
/// beneath it.
fn print_files(files: &[FileJson]) {
    let rows: Vec<[String; 6]> = files.iter().map(file_row).collect();
    for (line, file) in columns::render(&rows).iter().zip(files) {
        println!("  {line}");
        for problem in &file.problems {
            println!("      {problem}");
        }
    }
}

/// A signature file's row: name, verdict, maintainer, primary key (or the Sigstore key or
/// identity), signing key (or the vote's kind), when.
fn file_row(file: &FileJson) -> [String; 6] {
    let name = if file.bundle {
        format!(
            "{} (bundle)",
            quorate::workspace::tree::bundle_file_name(file.number)
        )
    } else {
        quorate::workspace::tree::signature_file_name(file.number)
    };
    if !file.counts {
        // A former maintainer's signature is honest history: shown as theirs, not counted.
        let verdict = match (&file.former_maintainer, file.removed_in) {
            (Some(former), Some(n)) => format!(
                "not counted: {former}, a former maintainer (removed in trust root version {n})"
            ),
            _ => "INVALID".into(),
        };
        return [
            name,
            verdict,
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ];
    }
    let legacy = if file.legacy {
        "  (legacy payload)"
    } else {
        ""
    };
    let created = format!("at {}{legacy}", file.created.as_deref().unwrap_or("?"));
    let maintainer = file.maintainer.clone().unwrap_or_else(|| "?".into());
    // A Sigstore vote is named by its key or identity where an OpenPGP one names its key.
    if let Some(id) = &file.cosign_key_id {
        return [
            name,
            "valid".into(),
            maintainer,
            format!("cosign key {id}"),
            String::new(),
            created,
        ];
    }
    if let (Some(issuer), Some(subject)) = (&file.issuer, &file.subject) {
        return [
            name,
            "valid".into(),
            maintainer,
            format!("keyless {subject}"),
            format!("issuer {issuer}"),
            created,
        ];
    }
    let key = match (&file.signing_key, file.by_subkey) {
        (Some(k), true) => format!("by subkey {k}"),
        _ => "by primary key".to_string(),
    };
    [
        name,
        "valid".into(),
        maintainer,
        file.primary_fingerprint
            .clone()
            .unwrap_or_else(|| "?".into()),
        key,
        created,
    ]
}

pub(crate) fn run_gate(options: &WorkspaceOptions, args: GateArgs) -> Result<Outcome, Failure> {
    let options = &judged_options(options, &args.judge);
    let explicit = args
        .references
        .iter()
        .map(|text| parse_reference(text).map(|r| (text.clone(), r)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut workspace = load_judged(options, &args.judge)?;
    let explicit = explicit
        .into_iter()
        .map(|(text, r)| in_namespace(&workspace, &text, r).map(|r| (text, r)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut mismatches = Vec::new();
    let (targets, gated) = if args.release {
        let dir = args
            .digests
            .clone()
            .unwrap_or_else(|| workspace.digests_dir.clone());
        let release_digests = workspace.read_release(&dir)?;
        let rebuild = args.rebuilt.as_deref().map(Rebuild::load).transpose()?;
        if let Some(rebuild) = &rebuild {
            mismatches = release::push_mismatches(&release_digests, rebuild);
        }
        let gated = gated::of_release(workspace.namespace(), &release_digests, rebuild.as_ref())
            .map_err(|e| Failure::input(format!("{}: {e}", workspace.namespace())))?;
        (release_targets(&workspace, &release_digests)?, gated)
    } else {
        let references: Vec<Reference> = explicit.iter().map(|(_, r)| r.clone()).collect();
        (explicit, gated::of_references(&references))
    };
    check_trust(options, &mut workspace, judged_at(&args.judge))?;
    let threshold = workspace.threshold(args.threshold.value);
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
    let rows: Vec<GateRow> = quorate::judge::quorum::check_images(
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

    // With a command to run, the text report goes to stderr so CMD owns stdout; with --json the
    // JSON owns stdout and CMD's output goes to stderr, so the two never mix.
    let mut out: Box<dyn std::io::Write> = if args.command.is_empty() || args.json {
        Box::new(std::io::stdout())
    } else {
        Box::new(std::io::stderr())
    };
    if args.json {
        let json = GateJson {
            passed,
            threshold,
            consumer: workspace.consumer().map(|c| c.describe()),
            images: rows.into_iter().filter_map(|r| r.json).collect(),
            refused: mismatches.clone(),
        };
        let _ = std::writeln!(out, "{}", crate::output::json(&json));
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
            // Named: with --release a quorate image has no line of its own above these.
            for line in &row.not_counting {
                let _ = writeln!(out, "  {label}: {line}");
            }
            if let Some(line) = undeclared_subkey_note(&workspace, row) {
                let _ = writeln!(out, "  {label}: {line}");
            }
        }
        for mismatch in &mismatches {
            let _ = writeln!(out, "Refused: {}: {}", mismatch.label(), mismatch.message);
        }
        let verdict = if passed { "passed" } else { "FAILED" };
        let _ = writeln!(
            out,
            "gate {verdict}: {} of {} signed by at least {threshold} distinct maintainers{}",
            rows.iter().filter(|r| r.quorate).count(),
            plural(rows.len(), "image"),
            push_summary(&mismatches)
        );
        if let Some(line) = undeclared_subkey_summary(&workspace, &rows, threshold) {
            let _ = writeln!(out, "{line}");
        }
    }
    drop(out);
    if !passed {
        return Ok(Outcome::Refused);
    }
    match args.command.split_first() {
        None => Ok(Outcome::Passed),
        Some((program, rest)) => {
            let gated = gated::Gated {
                threshold,
                images: gated,
            };
            run_gated(program, rest, args.json, &gated)
        }
    }
}

/// With no consumer declared, every valid signature counts, subkey ones too: what a podman
/// before containers/image 5.37 (Debian 12's 4.3.1) accepts of an image, when that is less.
fn undeclared_subkey_note(workspace: &Workspace, row: &GateRow) -> Option<String> {
    if workspace.consumer().is_some() || row.primary_signers.len() == row.signers.len() {
        return None;
    }
    let by_subkey: Vec<String> = row
        .signers
        .iter()
        .filter(|s| !row.primary_signers.contains(s))
        .cloned()
        .collect();
    Some(format!(
        "a podman before 5.37 would accept {} of the {} counted ({} signed with a subkey only)",
        row.primary_signers.len(),
        row.signers.len(),
        by_subkey.join(", ")
    ))
}

/// The summary's word on subkey signatures when no consumer is declared: how many images a
/// podman before 5.37 would pull, and the remedy.
fn undeclared_subkey_summary(
    workspace: &Workspace,
    rows: &[GateRow],
    threshold: u32,
) -> Option<String> {
    // `threshold` people signing by primary key is what such a podman needs of an image.
    if workspace.consumer().is_some()
        || rows
            .iter()
            .all(|r| r.primary_signers.len() == r.signers.len())
    {
        return None;
    }
    let old = rows
        .iter()
        .filter(|r| r.primary_signers.len() >= threshold as usize)
        .count();
    Some(format!(
        "a podman before 5.37 (Debian 12's 4.3.1 among them) would accept {old} of {}: it refuses subkey signatures, counted here because quorate.toml declares no [consumers] (docs/consumers.md)",
        plural(rows.len(), "image")
    ))
}

/// Runs CMD with what passed: `QUORATE_GATED` names a JSON file made fresh for it (removed once
/// CMD ends), `QUORATE_GATED_REFS` the plain list.
fn run_gated(
    program: &str,
    rest: &[String],
    json: bool,
    gated: &gated::Gated,
) -> Result<Outcome, Failure> {
    let dir = quorate::fs::confine::private_temp_dir("quorate-gated-")
        .map_err(|e| Failure::input(format!("cannot hand CMD the gated images: {e}")))?;
    let file = std::ffi::OsStr::new("gated.json");
    let text = serde_json::to_string_pretty(gated).expect("serializable") + "\n";
    let written = dir.write_atomic(file, text.as_bytes());
    let status = written.map(|()| {
        let env = [
            ("QUORATE_GATED", dir.path().join(file).into_os_string()),
            ("QUORATE_GATED_REFS", gated.references().into()),
        ];
        // With --json, stdout holds the JSON alone: the command's output goes to stderr.
        run_command(program, rest, json, &env)
    });
    let _ = dir.remove(file);
    if let Some(parent) = dir.path().parent() {
        if let Ok(Some(base)) = quorate::fs::confine::Dir::open(parent, parent) {
            let _ = base.remove_dir(dir.path().file_name().unwrap_or_default());
        }
    }
    let status =
        status.map_err(|e| Failure::input(format!("cannot hand CMD the gated images: {e}")))?;
    Ok(Outcome::Ran(status))
}

/// Why the images about to be pushed fail the gate, after the quorum count: without it, "3 of 3
/// images signed" over a FAILED verdict reads as a contradiction.
fn push_summary(mismatches: &[release::Mismatch]) -> String {
    let count = |kind| mismatches.iter().filter(|m| m.kind == kind).count();
    let is_are = |n: usize| if n == 1 { "is" } else { "are" };
    let mut parts = Vec::new();
    let extra = count(release::MismatchKind::NotInRelease);
    if extra > 0 {
        parts.push(format!(
            "{} about to be pushed {} not the release's",
            plural(extra, "image"),
            is_are(extra)
        ));
    }
    let missing = count(release::MismatchKind::NotPushed);
    if missing > 0 {
        parts.push(format!(
            "{} {} not about to be pushed",
            plural(missing, "release image"),
            is_are(missing)
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(", but {}", parts.join(" and "))
    }
}

/// Every platform manifest of the release, labelled by package (and platform, past the first),
/// gated by repository and digest.
fn release_targets(
    workspace: &Workspace,
    release_digests: &quorate::format::digests::Release,
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
    let all: Vec<[String; 4]> = std::iter::once(header).chain(table).collect();
    for line in columns::render(&all) {
        let _ = writeln!(out, "{line}");
    }
}

/// What gate prints of one image.
struct GateRow {
    digest: String,
    quorate: bool,
    signers: Vec<String>,
    /// The signers a consumer before containers/image 5.37 accepts.
    primary_signers: Vec<String>,
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
            primary_signers: image.signers_by_primary_key(),
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
                        "{} does not count: {}",
                        quorate::workspace::tree::signature_file_name(f.number),
                        codes.join("; ")
                    )
                })
                .collect(),
            json: json.then(|| ImageJson::new(workspace, image, threshold)),
        }
    }
}

/// Runs CMD and returns its status as env(1) does: 126 when it cannot be run, 127 when it is
/// not found, 128+N when a signal ended it.
pub(crate) fn run_command(
    program: &str,
    args: &[String],
    stdout_to_stderr: bool,
    env: &[(&str, std::ffi::OsString)],
) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    let mut command = std::process::Command::new(program);
    command.args(args);
    command.envs(env.iter().map(|(k, v)| (k, v)));
    if stdout_to_stderr {
        command.stdout(std::io::stderr());
    }
    match command.status() {
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
