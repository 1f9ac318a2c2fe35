//! audit: the ledger as a person reads it.

use super::*;

pub(crate) fn run_audit(options: &WorkspaceOptions, args: AuditArgs) -> Result<Outcome, Failure> {
    let options = &judged_options(options, &args.judge);
    use quorate::ledger::audit;
    // Syntax errors first, before the workspace is read.
    let references = args
        .references
        .iter()
        .map(|text| parse_reference(text))
        .collect::<Result<Vec<_>, _>>()?;
    let mut workspace = load_judged(options, &args.judge)?;
    // The root in force decides who counts; a draft that differs is a finding of its own.
    let anchor = anchor_of(options, &workspace);
    let standing = check_trust_from(&anchor, &mut workspace, judged_at(&args.judge))?;
    let scope = audit_scope(&workspace, &args, references)?;
    let release = if args.html.is_some() {
        release_marks(&workspace, &args, &scope)
    } else {
        Vec::new()
    };
    let verifier = judge(&workspace, &args.judge);
    let threshold = workspace.threshold(args.threshold.value);
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} images {elapsed}")
                .expect("a valid template"),
        );
        bar
    });
    // The page's context is known before any image; the page keeps of each image its row.
    let context = args
        .html
        .as_ref()
        .map(|_| quorate::ledger::html::PageContext {
            workspace: std::fs::canonicalize(&options.dir)
                .unwrap_or_else(|_| options.dir.clone())
                .display()
                .to_string(),
            maintainers: quorate::ledger::html::maintainers(&workspace, verifier.now()),
            trust_root: trust_paragraphs(&workspace, &standing, &anchor, threshold),
            release,
        });
    let mut out = AuditOutput {
        text: (!args.json && args.html.is_none()).then_some(&anchor),
        json: args
            .json
            .then(|| quorate::ledger::json::LedgerJson::new(std::io::stdout().lock())),
        page: context.as_ref().map(quorate::ledger::html::Page::new),
        bar: bar.as_ref(),
        images: 0,
        quorate: 0,
        threshold,
    };
    let ledger = audit::audit_into(
        &workspace,
        &verifier,
        &audit::Options {
            scope,
            maintainer: args.maintainer.clone(),
            history: args.history,
            threshold,
            accept_legacy: args.judge.accept_legacy,
            published: args
                .published
                .as_deref()
                .map(|url| Ok::<_, Failure>(lookaside(url)?.with_deadlines(args.judge.deadlines())))
                .transpose()?,
            trust: standing.clone(),
        },
        &|| {
            if let Some(bar) = &bar {
                bar.inc(1);
            }
        },
        &mut out,
    )
    .map_err(|e| match e {
        audit::AuditError::UnknownMaintainer(_) => Failure::from(e).prefixed("--maintainer "),
        _ => Failure::from(e),
    })?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if let (Some(page), Some(path)) = (out.page.take(), &args.html) {
        write_page(&workspace, page, &ledger, (out.images, out.quorate), path)?;
    }
    if let Some(json) = out.json.take() {
        drop(
            json.finish(&ledger)
                .map_err(|e| Failure::input(format!("stdout: {e}")))?,
        );
    } else if out.text.is_some() {
        print_findings(&ledger, out.images);
    }
    Ok(Outcome::passed_if(ledger.errors == 0))
}

/// Where the audit's images go as they are judged: printed as text, written as JSON, kept as
/// the page's rows; and counted.
struct AuditOutput<'a, 'c> {
    text: Option<&'a quorate::Anchor>,
    json: Option<quorate::ledger::json::LedgerJson<std::io::StdoutLock<'static>>>,
    page: Option<quorate::ledger::html::Page<'c>>,
    /// The spinner on a terminal, cleared while a line is printed.
    bar: Option<&'a indicatif::ProgressBar>,
    images: usize,
    quorate: usize,
    threshold: u32,
}

impl AuditOutput<'_, '_> {
    /// Prints, the spinner out of the way.
    fn printing(&mut self, print: impl FnOnce(&mut Self)) {
        match self.bar {
            Some(bar) => bar.suspend(|| print(self)),
            None => print(self),
        }
    }
}

impl quorate::ledger::audit::LedgerSink for AuditOutput<'_, '_> {
    fn head(&mut self, head: &quorate::Ledger) {
        self.printing(|out| {
            if let Some(json) = &mut out.json {
                json.head(head);
            }
            if let Some(anchor) = out.text {
                print_head(head, anchor);
            }
        });
    }

    fn image(&mut self, image: quorate::ledger::audit::LedgerImage) {
        self.images += 1;
        self.quorate += usize::from(image.quorate);
        if let Some(page) = &mut self.page {
            page.add(&image);
        }
        self.printing(|out| {
            if let Some(json) = &mut out.json {
                json.image(&image);
            }
            if out.text.is_some() {
                print_image(out.threshold, &image);
            }
        });
    }
}

/// What the audit covers: the release, the references named (short ones in the workspace's
/// namespace), or the whole tree.
fn audit_scope(
    workspace: &Workspace,
    args: &AuditArgs,
    parsed: Vec<Reference>,
) -> Result<quorate::ledger::audit::Scope, Failure> {
    use quorate::ledger::audit::Scope;
    let references = args
        .references
        .iter()
        .zip(parsed)
        .map(|(text, r)| in_namespace(workspace, text, r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if args.release {
        let dir = args
            .digests
            .clone()
            .unwrap_or_else(|| workspace.digests_dir.clone());
        Scope::Release(workspace.read_release(&dir)?)
    } else if references.is_empty() {
        Scope::Tree
    } else {
        Scope::References(references)
    })
}

/// The release's digests the page marks: the release audited with `--release` (from
/// `--digests` when given), else the workspace's; none when it cannot be read (the audit itself
/// reports what is wrong).
fn release_marks(
    workspace: &Workspace,
    args: &AuditArgs,
    scope: &quorate::ledger::audit::Scope,
) -> Vec<String> {
    let digests = |release: &quorate::format::digests::Release| {
        quorate::ops::release::items(release)
            .into_iter()
            .map(|item| item.digest.to_string())
            .collect()
    };
    match scope {
        quorate::ledger::audit::Scope::Release(release) => digests(release),
        _ => {
            let dir = args.digests.as_ref().unwrap_or(&workspace.digests_dir);
            workspace
                .read_release(dir)
                .map(|r| digests(&r))
                .unwrap_or_default()
        }
    }
}

/// `--html FILE`: the page, written through confine, and one line saying what it holds.
fn write_page(
    workspace: &Workspace,
    page: quorate::ledger::html::Page,
    ledger: &quorate::Ledger,
    (images, quorate_images): (usize, usize),
    path: &std::path::Path,
) -> Result<(), Failure> {
    quorate::fs::confine::write_output_file_with(path, |file| {
        let mut out = std::io::BufWriter::new(file);
        page.write_to(ledger, &mut out)?;
        std::io::Write::flush(&mut out)
    })
    .map_err(|e| Failure::input(format!("{}: {e}", workspace.display_path(path))))?;
    eprintln!(
        "wrote {}: {}, {quorate_images} quorate; {}, {}",
        workspace.display_path(path),
        plural(images, "image"),
        plural(ledger.errors, "error"),
        plural(ledger.warnings, "warning"),
    );
    Ok(())
}

/// The ledger as text, before its images: what was judged, and the trust root.
fn print_head(ledger: &quorate::Ledger, anchor: &quorate::Anchor) {
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
    match ledger.trust.as_ref().and_then(|c| c.in_force()) {
        Some(v) => println!(
            "Trust root: version {} ({}) in force, approved by {}; verified from {}",
            v.version,
            v.digest,
            list_or(&v.approved_by, "no one"),
            anchor.describe()
        ),
        None => {
            println!("Trust root: MAINTAINERS as found; no signed chain in force (docs/trust.md)")
        }
    }
}

/// The ledger as text, after its `images` images: the findings and the totals.
fn print_findings(ledger: &quorate::Ledger, images: usize) {
    use quorate::ledger::audit::Severity;
    if !ledger.findings.is_empty() {
        println!();
        println!("Findings:");
    }
    for finding in &ledger.findings {
        let label = match finding.severity() {
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
        "{}; {}, {}",
        plural(images, "image"),
        plural(ledger.errors, "error"),
        plural(ledger.warnings, "warning")
    );
}

/// One image of the ledger: its status line, then one row per signature, lined up.
fn print_image(threshold: u32, image: &quorate::ledger::audit::LedgerImage) {
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
    println!("{name}");
    println!(
        "  {status}: {} of {}; signed by: {}; not yet: {}; tags: {}",
        image.signers.len(),
        threshold,
        list_or(&image.signers, "none"),
        list_or(&image.missing, "no one"),
        list_or(&image.references, "none")
    );
    // One row per signature, its columns lined up across the image.
    let mut rows: Vec<[String; 6]> = Vec::new();
    for sig in &image.signatures {
        let f = &sig.file;
        let codes: Vec<&str> = f.problems.iter().map(|p| p.reason.code()).collect();
        let honest = f
            .problems
            .iter()
            .all(|p| !p.reason.is_fault() || p.reason.is_honest_past());
        let verdict = match f.removed_in {
            _ if f.counts => "valid".to_string(),
            Some(n) if honest => {
                format!("not counted: a former maintainer (removed in trust root version {n})")
            }
            _ => format!("INVALID [{}]", codes.join(", ")),
        };
        let who = f
            .maintainer
            .as_deref()
            .or(f.former_maintainer.as_deref())
            .unwrap_or("?");
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
        rows.push([
            quorate::workspace::tree::signature_file_name(f.number),
            verdict,
            who.to_string(),
            format!("{key}{role}"),
            format!("signed {}", f.created.as_deref().unwrap_or("?")),
            format!("{commit}{legacy}{then}"),
        ]);
    }
    for line in columns::render(&rows) {
        println!("  {line}");
    }
}

/// The first and last 8 hex digits of a fingerprint.
fn short_fpr(fpr: &str) -> String {
    if fpr.len() > 16 {
        format!("{}…{}", &fpr[..8], &fpr[fpr.len() - 8..])
    } else {
        fpr.to_string()
    }
}

/// What the page says of the trust root: the chain, each version, who approved it.
fn trust_paragraphs(
    workspace: &Workspace,
    standing: &quorate::judge::trust::Standing,
    anchor: &quorate::judge::trust::Anchor,
    threshold: u32,
) -> Vec<String> {
    let in_force = standing.chain().and_then(|c| c.in_force());
    let from = match in_force {
        Some(v) => format!("trust root version {} ({}), in force", v.version, v.digest),
        None => workspace.display_path(&workspace.maintainers_path),
    };
    let mut out = vec![format!(
        "{} maintainers and their primary keys, from {from}; threshold {threshold}.",
        workspace.maintainers.people().count(),
    )];
    let Some(chain) = standing.chain() else {
        out.push("No signed chain of maintainer sets protects them: whoever can change MAINTAINERS in the repository judged changes who counts (docs/trust.md).".into());
        return out;
    };
    out.push(format!("The chain is verified from {}.", anchor.describe()));
    for v in &chain.versions {
        // Who approved, and when.
        let approvals: Vec<String> = v
            .approvals
            .iter()
            .filter(|a| a.valid)
            .map(|a| {
                format!(
                    "{} on {}",
                    a.in_this
                        .as_deref()
                        .or(a.in_previous.as_deref())
                        .unwrap_or("?"),
                    a.made.as_deref().unwrap_or("?")
                )
            })
            .collect();
        out.push(format!(
            "Version {} ({}){}: maintainers {} (threshold {}), approved by {}{}.",
            v.version,
            v.digest,
            if in_force.is_some_and(|f| f.version == v.version) {
                ", in force"
            } else if in_force.is_some_and(|f| v.version < f.version) {
                // Each version is made on the one in force: those below it were, once.
                ", superseded"
            } else {
                ", not in force"
            },
            v.maintainers.join(", "),
            v.threshold,
            list_or(&approvals, "no one"),
            if v.missing.is_empty() {
                String::new()
            } else {
                format!("; still needs {}", v.missing.join("; "))
            }
        ));
    }
    if let Some(why) = standing.unapproved() {
        out.push(why);
    }
    out
}
