//! The page itself.

use std::fmt::Write as _;

use super::maintainers::Maintainer;
use super::text::{esc, meanings};
use super::timeline;
use crate::ledger::audit::{Ledger, LedgerImage, Severity};

/// What the page says besides the ledger.
#[derive(Debug, Clone)]
pub struct PageContext {
    /// The workspace, as the caller named it.
    pub workspace: String,
    /// The maintainers, in MAINTAINERS order.
    pub maintainers: Vec<Maintainer>,
    /// The trust root: what decides who counts, in words (one paragraph each).
    pub trust_root: Vec<String>,
    /// The digests (`sha256:<hex>`) of the workspace's release (digests/), so the matrix tells
    /// its images from older tags'; empty without a release.
    pub release: Vec<String>,
}

/// The CSS: plain, printable, with status shown by symbols and words as well as colour.
const STYLE: &str = r#"
:root { color-scheme: light; --ok: #1a7f37; --bad: #b42318; --warn: #9a6700; --none: #6e7781; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; color: #1f2328; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #d0d7de; padding-bottom: .25rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
.totals { font-size: 1.05rem; margin: .75rem 0; }
table { border-collapse: collapse; }
th, td { border: 1px solid #d0d7de; padding: .25rem .45rem; vertical-align: top; text-align: left; }
thead th { background: #f6f8fa; position: sticky; top: 0; }
th.person { writing-mode: horizontal-tb; min-width: 6rem; }
th.person small { display: block; font-weight: normal; color: #57606a; }
td.digest, code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .92em; }
#matrix-table td, #matrix-table th { white-space: nowrap; }
caption { text-align: left; color: #57606a; padding: .25rem 0; }
span.release { font-size: .8em; font-weight: 600; border: 1px solid #0969da; color: #0969da; border-radius: .6em; padding: 0 .4em; }
tr[data-release="false"] th { font-weight: normal; color: #57606a; }
.valid { color: var(--ok); }
.invalid { color: var(--bad); }
.unsigned { color: var(--none); }
.quorate { color: var(--ok); font-weight: 600; }
.short { color: var(--warn); font-weight: 600; }
.errors { color: var(--bad); font-weight: 600; }
td.cell.valid { background: #dafbe1; }
td.cell.invalid { background: #ffebe9; }
tr:target { outline: 3px solid #0969da; }
.sev-error { color: var(--bad); } .sev-warning { color: var(--warn); } .sev-info { color: var(--none); }
ul.findings li { margin: .2rem 0; }
.filter { margin: .5rem 0; display: none; }
.js .filter { display: block; }
svg text { font: 11px system-ui, sans-serif; fill: #1f2328; }
@media print {
  body { margin: 0; font-size: 10px; }
  .filter, nav { display: none !important; }
  thead th { position: static; }
  td.cell.valid, td.cell.invalid { background: none; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// A small optional script: filter the matrix by text and by status. Without it every row shows.
const SCRIPT: &str = r#"
document.documentElement.classList.add('js');
(function () {
  var text = document.getElementById('filter-text');
  var status = document.getElementById('filter-status');
  var rows = document.querySelectorAll('#matrix-table tbody tr');
  function apply() {
    var q = text.value.toLowerCase(), s = status.value;
    rows.forEach(function (r) {
      var show = (!q || r.textContent.toLowerCase().indexOf(q) >= 0) &&
                 (!s || r.getAttribute('data-status') === s);
      r.style.display = show ? '' : 'none';
    });
  }
  text.addEventListener('input', apply);
  status.addEventListener('change', apply);
})();
"#;

/// The whole page.
pub fn render(ledger: &Ledger, context: &PageContext) -> String {
    let mut page = Page::new(context);
    for image in &ledger.images {
        page.add(image);
    }
    page.finish(ledger)
}

/// The page built as the ledger is made (`audit_into`): of each image only what the page
/// prints of it is kept (its matrix row, and its share of the maintainers' counts and the
/// timeline), not its files' verdicts.
pub struct Page<'c> {
    context: &'c PageContext,
    rows: Vec<Row>,
    used_codes: Vec<String>,
    people: Vec<Person>,
    days: timeline::Days,
}

/// An image's row of the matrix, all but what the findings decide (its status).
struct Row {
    directory: String,
    quorate: bool,
    signers: usize,
    release_attribute: String,
    /// From the image's name to its other files' cell, written.
    cells: String,
}

/// A maintainer's line of the maintainers' table, counted so far.
#[derive(Default)]
struct Person {
    images: usize,
    invalid: usize,
    last: Option<String>,
}

impl<'c> Page<'c> {
    /// A page of no image yet.
    pub fn new(context: &'c PageContext) -> Page<'c> {
        Page {
            context,
            rows: Vec::new(),
            used_codes: Vec::new(),
            people: context
                .maintainers
                .iter()
                .map(|_| Person::default())
                .collect(),
            days: timeline::Days::default(),
        }
    }

    /// One more image, in the ledger's order.
    pub fn add(&mut self, image: &LedgerImage) {
        let digest = image.digest.as_deref().unwrap_or("");
        let (release_attribute, release_mark) = release_marks(self.context, digest);
        let mut cells = String::new();
        row_cells(
            &mut cells,
            image,
            release_mark,
            self.context,
            &mut self.used_codes,
        );
        // Kept until the page is written: its length, not the capacity it grew to (up to twice
        // that), a row for every image of the tree.
        cells.shrink_to_fit();
        self.rows.push(Row {
            directory: image.directory.clone(),
            quorate: image.quorate,
            signers: image.signers.len(),
            release_attribute,
            cells,
        });
        for (m, person) in self.context.maintainers.iter().zip(&mut self.people) {
            person.add(image, &m.handle);
        }
        self.days.add(image, &self.context.maintainers);
    }

    /// The page, with the ledger's findings and totals (its images are those added).
    pub fn finish(self, ledger: &Ledger) -> String {
        let mut bytes = Vec::with_capacity(64 * 1024 + self.rows.len() * 1024);
        // Writing into memory cannot fail, and the page is written from strings.
        let _ = self.write_to(ledger, &mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// `finish`, written to `sink` as it is made: of a tree of 100,000 signatures the page is
    /// about 50 MB, which is then never held whole.
    pub fn write_to(
        mut self,
        ledger: &Ledger,
        sink: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        let mut out = String::with_capacity(SPILL_AT + 4096);
        let with_errors: Vec<bool> =
            self.rows
                .iter()
                .map(|row| {
                    ledger.findings.iter().any(|f| {
                        f.severity() == Severity::Error && belongs(&f.path, &row.directory)
                    })
                })
                .collect();
        let context = self.context;
        head(&mut out, context);
        header(&mut out, ledger, &self.rows, context, &with_errors);
        matrix(&mut out, sink, ledger, &self.rows, context, &with_errors)?;
        findings(&mut out, ledger, &self.rows, &mut self.used_codes);
        spill(&mut out, sink)?;
        per_maintainer(&mut out, &self.people, context);
        timeline_section(&mut out, &self.days, context);
        trust_root(&mut out, context);
        codes(&mut out, self.used_codes);
        let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
        sink.write_all(out.as_bytes())
    }
}

impl crate::ledger::audit::LedgerSink for Page<'_> {
    fn head(&mut self, _head: &Ledger) {}
    fn image(&mut self, image: LedgerImage) {
        self.add(&image);
    }
}

impl Person {
    /// What one image adds to the maintainer's line.
    fn add(&mut self, image: &LedgerImage, handle: &str) {
        if image.signers.iter().any(|s| s == handle) {
            self.images += 1;
        }
        for s in &image.signatures {
            let whose = s.file.maintainer.as_deref();
            if whose.or(s.file.former_maintainer.as_deref()) != Some(handle) {
                continue;
            }
            if s.file.counts {
                if let Some(c) = s.file.created.as_deref() {
                    if self.last.as_deref().is_none_or(|l| c > l) {
                        self.last = Some(c.to_string());
                    }
                }
            } else {
                self.invalid += 1;
            }
        }
    }
}

/// The document's head, with the style, and the body's start.
fn head(out: &mut String, context: &PageContext) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>quorate audit: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&context.workspace)
    );
}

/// The header: what was judged, when, against what, and the totals; then the navigation.
fn header(
    out: &mut String,
    ledger: &Ledger,
    rows: &[Row],
    context: &PageContext,
    with_errors: &[bool],
) {
    let quorate = rows.iter().filter(|i| i.quorate).count();
    let error_images = with_errors.iter().filter(|e| **e).count();
    let _ = write!(
        out,
        "<header>\n<h1>Audit: who signed what</h1>\n<dl class=\"meta\">\n<dt>Workspace</dt><dd><code>{}</code></dd>\n<dt>Revision judged</dt><dd>{}</dd>\n<dt>Judged at</dt><dd><time>{}</time></dd>\n<dt>Threshold</dt><dd>{} distinct maintainers{}</dd>\n<dt>Trust root</dt><dd>{}</dd>\n<dt>Repository</dt><dd>{}</dd>\n</dl>\n",
        esc(&context.workspace),
        esc(&ledger.source),
        esc(&ledger.judged_at),
        ledger.threshold,
        if ledger.accept_legacy { "; StageX's legacy payloads accepted" } else { "" },
        context.trust_root.first().map(|t| esc(t)).unwrap_or_default(),
        ledger.repository.as_deref().map(esc).unwrap_or_else(|| "none: commits unknown".into()),
    );
    let _ = write!(
        out,
        "<p class=\"totals\" id=\"totals\"><span class=\"quorate\">✓ {quorate} quorate</span> · <span class=\"short\">✗ {} short of quorum</span> · <span class=\"errors\">⚠ {error_images} with errors</span> · {} · {}, {}</p>\n</header>\n",
        rows.len() - quorate,
        crate::plural(rows.len(), "image"),
        crate::plural(ledger.errors, "error finding"),
        crate::plural(ledger.warnings, "warning"),
    );
    out.push_str("<nav><a href=\"#matrix\">Matrix</a> · <a href=\"#findings\">Findings</a> · <a href=\"#maintainers\">Maintainers</a> · <a href=\"#timeline\">Timeline</a> · <a href=\"#trust\">Trust root</a> · <a href=\"#codes\">Codes</a></nav>\n");
}

/// The matrix: one row per image, one column per maintainer.
fn matrix(
    out: &mut String,
    sink: &mut dyn std::io::Write,
    ledger: &Ledger,
    rows: &[Row],
    context: &PageContext,
    with_errors: &[bool],
) -> std::io::Result<()> {
    out.push_str("<section id=\"matrix\">\n<h2>Images × maintainers</h2>\n<p>Each cell: <span class=\"valid\">✓ valid</span> (with the date it was signed), <span class=\"invalid\">✗ does not count</span> (with the reason; hover for the detail), or <span class=\"unsigned\">– not signed</span>.</p>\n");
    out.push_str("<div class=\"filter\"><label>Filter <input id=\"filter-text\" type=\"search\" placeholder=\"package, digest, tag, maintainer\"></label> <label>Status <select id=\"filter-status\"><option value=\"\">all</option><option value=\"quorate\">quorate</option><option value=\"short\">short of quorum</option><option value=\"errors\">with errors</option></select></label></div>\n");
    out.push_str("<table id=\"matrix-table\">\n<caption>Every image judged, one row each; one column per maintainer.</caption>\n<thead><tr><th scope=\"col\">Image</th><th scope=\"col\">Digest</th><th scope=\"col\">Tags</th>");
    for m in &context.maintainers {
        let _ = write!(
            out,
            "<th scope=\"col\" class=\"person\" data-maintainer=\"{}\">{}<small>{}</small></th>",
            esc(&m.handle),
            esc(&m.handle),
            esc(m.name.as_deref().unwrap_or(""))
        );
    }
    out.push_str(
        "<th scope=\"col\">Other files</th><th scope=\"col\">Status</th></tr></thead>\n<tbody>\n",
    );
    for (index, image) in rows.iter().enumerate() {
        row(out, index, image, ledger.threshold, with_errors[index]);
        spill(out, sink)?;
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    Ok(())
}

/// How much of the page `write_to` holds before it writes it out: the matrix, one row an
/// image, is nearly all of a large tree's page.
const SPILL_AT: usize = 16 * 1024;

/// Writes out what the page holds once it is `SPILL_AT` or more.
fn spill(out: &mut String, sink: &mut dyn std::io::Write) -> std::io::Result<()> {
    if out.len() >= SPILL_AT {
        sink.write_all(out.as_bytes())?;
        out.clear();
    }
    Ok(())
}

/// The findings, by severity.
fn findings(out: &mut String, ledger: &Ledger, rows: &[Row], used_codes: &mut Vec<String>) {
    out.push_str("<section id=\"findings\">\n<h2>Findings</h2>\n");
    if ledger.findings.is_empty() {
        out.push_str("<p>None.</p>\n");
    }
    for (severity, title) in [
        (Severity::Error, "Errors"),
        (Severity::Warning, "Warnings"),
        (Severity::Info, "Information"),
    ] {
        let found: Vec<_> = ledger
            .findings
            .iter()
            .filter(|f| f.severity() == severity)
            .collect();
        if found.is_empty() {
            continue;
        }
        let class = match severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        let symbol = match severity {
            Severity::Error => "⚠",
            Severity::Warning => "!",
            Severity::Info => "i",
        };
        let _ = write!(
            out,
            "<h3 class=\"sev-{class}\">{symbol} {title} ({})</h3>\n<ul class=\"findings\" data-severity=\"{class}\">\n",
            found.len()
        );
        for f in found {
            note_code(used_codes, f.code.code());
            let target = rows
                .iter()
                .position(|i| belongs(&f.path, &i.directory))
                .map(|i| format!(" <a href=\"#img-{i}\">(row)</a>"))
                .unwrap_or_default();
            let commit = f
                .commit
                .as_ref()
                .map(|c| {
                    format!(
                        " <small>commit <code>{}</code></small>",
                        esc(&crate::text::short_id(&c.id))
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<li><a href=\"#code-{code}\"><code>{code}</code></a> <code>{}</code>: {}{target}{commit}</li>",
                esc(&f.path),
                esc(&f.detail),
                code = esc(f.code.code()),
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

/// Per maintainer: what they signed, what of it does not count, their last valid signature.
fn per_maintainer(out: &mut String, people: &[Person], context: &PageContext) {
    out.push_str("<section id=\"maintainers\">\n<h2>Maintainers</h2>\n<table>\n<thead><tr><th scope=\"col\">Maintainer</th><th scope=\"col\">Images signed (counting)</th><th scope=\"col\">Signatures that do not count</th><th scope=\"col\">Last valid signature</th><th scope=\"col\">Keys</th></tr></thead>\n<tbody>\n");
    for (m, person) in context.maintainers.iter().zip(people) {
        let (images, invalid, last) = (person.images, person.invalid, person.last.as_deref());
        let _ = writeln!(
            out,
            "<tr data-maintainer=\"{}\"><th scope=\"row\">{} <small>{}</small></th><td>{images}</td><td>{invalid}</td><td>{}</td><td class=\"{}\">{} {}</td></tr>",
            esc(&m.handle),
            esc(&m.handle),
            esc(m.name.as_deref().unwrap_or("")),
            last.map(|l| format!("<time>{}</time>", esc(l))).unwrap_or_else(|| "never".into()),
            if m.key_concern { "invalid" } else { "valid" },
            if m.key_concern { "⚠" } else { "✓" },
            esc(&m.key_state),
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// The timeline of signatures.
fn timeline_section(out: &mut String, days: &timeline::Days, context: &PageContext) {
    out.push_str("<section id=\"timeline\">\n<h2>Timeline</h2>\n<p>Signatures per maintainer and day: a filled circle counts, a hollow one does not; the area grows with the number that day.</p>\n");
    out.push_str(&days.svg(&context.maintainers));
    out.push_str("</section>\n");
}

/// The trust root, in words.
fn trust_root(out: &mut String, context: &PageContext) {
    out.push_str("<section id=\"trust\">\n<h2>Trust root</h2>\n");
    for paragraph in &context.trust_root {
        let _ = writeln!(out, "<p>{}</p>", esc(paragraph));
    }
    out.push_str("</section>\n");
}

/// What each code used on the page means.
fn codes(out: &mut String, mut used_codes: Vec<String>) {
    let meanings = meanings();
    out.push_str("<section id=\"codes\">\n<h2>What the codes mean</h2>\n<dl>\n");
    used_codes.sort();
    for code in &used_codes {
        let meaning = meanings
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, m)| m.as_str())
            .unwrap_or("");
        let _ = writeln!(
            out,
            "<dt id=\"code-{c}\"><code>{c}</code></dt><dd>{}</dd>",
            esc(&strip_markdown(meaning)),
            c = esc(code)
        );
    }
    out.push_str("</dl>\n<p>Generated by quorate; every code is documented in docs/reasons.md and docs/audit.md.</p>\n</section>\n");
}

/// Whether a row's image is in the workspace's release, as the row's attribute and the mark
/// after its name: in words, not only by style, since an older tag of the same package is
/// otherwise the same row. Nothing is marked without a release.
fn release_marks(context: &PageContext, digest: &str) -> (String, &'static str) {
    if context.release.is_empty() {
        return (String::new(), "");
    }
    let in_release = context.release.iter().any(|d| d == digest);
    (
        format!(" data-release=\"{in_release}\""),
        if in_release {
            " <span class=\"release\">release</span>"
        } else {
            ""
        },
    )
}

/// One image's row of the matrix: its status, from the findings, around its cells.
fn row(out: &mut String, index: usize, image: &Row, threshold: u32, errors: bool) {
    let status = if errors {
        "errors"
    } else if image.quorate {
        "quorate"
    } else {
        "short"
    };
    let _ = write!(
        out,
        "<tr id=\"img-{index}\" data-status=\"{status}\"{}>{}",
        image.release_attribute, image.cells
    );
    let signers = image.signers;
    let label = match status {
        "errors" if image.quorate => format!(
            "⚠ quorate, with errors: {} (threshold {threshold})",
            signers
        ),
        "errors" => format!("⚠ short, with errors: {} (threshold {threshold})", signers),
        "quorate" => format!("✓ quorate: {} (threshold {threshold})", signers),
        _ => format!("✗ short of quorum: {} (threshold {threshold})", signers),
    };
    let _ = writeln!(out, "<td class=\"{status}\">{}</td></tr>", esc(&label));
}

/// An image's cells in the matrix: its name, digest and tags, one cell per maintainer, and its
/// other files; the codes they show noted.
fn row_cells(
    out: &mut String,
    image: &LedgerImage,
    release_mark: &str,
    context: &PageContext,
    used_codes: &mut Vec<String>,
) {
    let name = image
        .repository
        .as_deref()
        .map(package_name)
        .unwrap_or_else(|| image.directory.clone());
    let digest = image.digest.as_deref().unwrap_or("");
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    let tags: Vec<String> = image
        .references
        .iter()
        .map(|r| {
            r.rsplit_once(':')
                .map(|(_, t)| t.to_string())
                .unwrap_or_default()
        })
        .collect();
    let _ = write!(
        out,
        "<th scope=\"row\" title=\"{}\">{}{}</th><td class=\"digest\" title=\"{}\">{}</td><td>{}</td>",
        esc(image.repository.as_deref().unwrap_or(&image.directory)),
        esc(&name),
        release_mark,
        esc(digest),
        esc(&hex[..hex.len().min(12)]),
        esc(&tags.join(", ")),
    );
    for m in &context.maintainers {
        let mine: Vec<_> = image
            .signatures
            .iter()
            .filter(|s| {
                s.file
                    .maintainer
                    .as_deref()
                    .or(s.file.former_maintainer.as_deref())
                    == Some(m.handle.as_str())
            })
            .collect();
        let handle = esc(&m.handle);
        if let (Some(first), Some(removed_in)) = (mine.first(), m.removed_in) {
            let date = first.file.created.as_deref().unwrap_or("");
            let _ = write!(
                out,
                "<td class=\"cell former\" data-maintainer=\"{handle}\" data-state=\"former\" title=\"{}\">former maintainer (removed in version {removed_in}), not counted<br><time>{}</time></td>",
                esc(&first.file.path),
                esc(&date[..date.len().min(10)]),
            );
        } else if let Some(valid) = mine.iter().find(|s| s.file.counts) {
            let date = valid.file.created.as_deref().unwrap_or("");
            let more = if mine.len() > 1 {
                format!(" <small>(+{} more)</small>", mine.len() - 1)
            } else {
                String::new()
            };
            let _ = write!(
                out,
                "<td class=\"cell valid\" data-maintainer=\"{handle}\" data-state=\"valid\" title=\"{}\">✓ valid{}<br><time>{}</time>{more}</td>",
                esc(&valid.file.path),
                kind_label(&valid.file),
                esc(&date[..date.len().min(10)]),
            );
        } else if let Some(invalid) = mine.first() {
            let problem = invalid.file.problems.iter().find(|p| p.reason.is_fault());
            let code = problem.map(|p| p.reason.code()).unwrap_or("invalid");
            let detail = problem.map(|p| p.detail.as_str()).unwrap_or("");
            note_code(used_codes, code);
            let _ = write!(
                out,
                "<td class=\"cell invalid\" data-maintainer=\"{handle}\" data-state=\"invalid\" data-code=\"{c}\" title=\"{}\"><a href=\"#code-{c}\">✗ {c}</a>{}</td>",
                esc(detail),
                kind_label(&invalid.file),
                c = esc(code),
            );
        } else {
            let _ = write!(
                out,
                "<td class=\"cell unsigned\" data-maintainer=\"{handle}\" data-state=\"unsigned\">– not signed</td>"
            );
        }
    }
    let others: Vec<_> = image
        .signatures
        .iter()
        .filter(|s| {
            s.file
                .maintainer
                .as_deref()
                .or(s.file.former_maintainer.as_deref())
                .is_none_or(|h| !context.maintainers.iter().any(|m| m.handle == h))
        })
        .collect();
    if others.is_empty() {
        out.push_str("<td></td>");
    } else {
        let mut codes: Vec<&str> = Vec::new();
        for s in &others {
            if let Some(p) = s.file.problems.iter().find(|p| p.reason.is_fault()) {
                note_code(used_codes, p.reason.code());
                if !codes.contains(&p.reason.code()) {
                    codes.push(p.reason.code());
                }
            }
        }
        let shown: Vec<String> = codes
            .iter()
            .take(2)
            .map(|c| format!("<a href=\"#code-{c}\">{c}</a>", c = esc(c)))
            .collect();
        let _ = write!(
            out,
            "<td class=\"invalid\" data-state=\"others\" title=\"{}\">✗ {}: {}{}</td>",
            esc(&codes.join(", ")),
            crate::plural(others.len(), "file"),
            shown.join(", "),
            if codes.len() > 2 { ", …" } else { "" }
        );
    }
}

/// A Sigstore vote's kind, a small label in its cell (`cosign key`, `keyless`), its key or
/// identity in the label's title; nothing for an OpenPGP signature, the page's usual case.
fn kind_label(file: &crate::ledger::report::FileJson) -> String {
    let (label, who) = match (file.kind, &file.cosign_key_id, &file.issuer, &file.subject) {
        ("cosign-key", Some(id), _, _) => ("cosign key", id.clone()),
        ("keyless", _, Some(issuer), Some(subject)) => ("keyless", format!("{subject} ({issuer})")),
        _ => return String::new(),
    };
    let bundle = if file.bundle { ", bundle" } else { "" };
    format!(
        " <small class=\"kind\" title=\"{}\">{}{}</small>",
        esc(&who),
        esc(label),
        bundle
    )
}

/// `docker.io/stagex/pallet-rust` → `pallet-rust` (the namespace is the same for every row).
fn package_name(repository: &str) -> String {
    repository
        .rsplit('/')
        .next()
        .unwrap_or(repository)
        .to_string()
}

/// True when a finding's path is the image's directory or lies below it.
fn belongs(path: &str, directory: &str) -> bool {
    path == directory
        || path
            .strip_prefix(directory)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn note_code(codes: &mut Vec<String>, code: &str) {
    if !codes.iter().any(|c| c == code) {
        codes.push(code.to_string());
    }
}

/// The documentation's markdown, as plain text: backticks and links dropped.
fn strip_markdown(text: &str) -> String {
    text.replace('`', "")
}
