//! `audit --html`: the page rendered by a real headless Chromium (Debian's `chromium`), its DOM
//! read back to check the matrix holds the right cells, a screenshot kept under
//! target/test-pages/, and hostile text shown as text, never as markup.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// Chromium as this machine allows it: headless, no sandbox (root), no background networking.
fn chromium(args: &[&str], page: &Path) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap()
}

/// The DOM after Chromium loaded the page (and ran its script).
fn dom(page: &Path) -> String {
    let out = chromium(&["--dump-dom"], page);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A screenshot kept by the test run, under target/test-pages/.
fn screenshot(page: &Path, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-pages");
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&png);
    let out = chromium(
        &[
            "--window-size=1280,1000",
            &format!("--screenshot={}", png.display()),
        ],
        page,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    png
}

/// The `<tr>` of the image whose digest starts with `hex`, as the DOM holds it.
fn row<'a>(dom: &'a str, hex: &str) -> &'a str {
    let at = dom
        .find(&format!("title=\"sha256:{hex}"))
        .unwrap_or_else(|| panic!("no row for {hex}"));
    let start = dom[..at].rfind("<tr ").unwrap();
    let end = at + dom[at..].find("</tr>").unwrap();
    &dom[start..end]
}

fn cell_state(row: &str, handle: &str) -> String {
    let marker = format!("data-maintainer=\"{handle}\" data-state=\"");
    let at = row
        .find(&marker)
        .unwrap_or_else(|| panic!("no cell for {handle} in {row}"))
        + marker.len();
    row[at..].split('"').next().unwrap().to_string()
}

/// A workspace whose answers are known: image A signed by alice and bob (quorate), image B by
/// alice and by a signature of bob's over another digest (short, bob's cell invalid with its
/// reason), carol signs nothing.
#[test]
fn the_page_shows_who_signed_what() {
    if !have("chromium") {
        return;
    }
    let (ws, keys) = team();
    let reference = REF;
    ws.put(
        "pallet-rust",
        HEX_A,
        1,
        &sign(keys[0].primary_pair(), &payload(reference, HEX_A)),
    );
    ws.put(
        "pallet-rust",
        HEX_A,
        2,
        &sign(keys[1].primary_pair(), &payload(reference, HEX_A)),
    );
    ws.put(
        "pallet-rust",
        HEX_B,
        1,
        &sign(keys[0].primary_pair(), &payload(reference, HEX_B)),
    );
    ws.put(
        "pallet-rust",
        HEX_B,
        2,
        &sign(keys[1].primary_pair(), &payload(reference, HEX_A)),
    );
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "signatures"]);

    let page = ws.path().join("audit.html");
    let run = ws.run(&["audit", "--html", page.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("2 images, 1 quorate"), "{run:?}");
    let dom = dom(&page);
    // The script ran (the filter shows), and the page holds no other script.
    assert!(
        dom.contains("<html lang=\"en\" class=\"js\">"),
        "script did not run"
    );
    assert_eq!(dom.matches("<script").count(), 1);

    let a = row(&dom, &HEX_A[..12]);
    assert!(a.contains("data-status=\"quorate\""), "{a}");
    assert_eq!(cell_state(a, "alice"), "valid");
    assert_eq!(cell_state(a, "bob"), "valid");
    assert_eq!(cell_state(a, "carol"), "unsigned");
    assert!(a.contains("✓ quorate: 2 (threshold 2)"), "{a}");

    let b = row(&dom, &HEX_B[..12]);
    assert!(b.contains("data-status=\"errors\""), "{b}");
    assert_eq!(cell_state(b, "alice"), "valid");
    assert_eq!(cell_state(b, "bob"), "invalid");
    assert!(b.contains("data-code=\"digest-mismatch\""), "{b}");
    assert!(b.contains("href=\"#code-digest-mismatch\""), "{b}");
    assert_eq!(cell_state(b, "carol"), "unsigned");
    assert!(b.contains("short, with errors: 1 (threshold 2)"), "{b}");
    // Every code used is explained, and the finding links to its row.
    assert!(dom.contains("id=\"code-digest-mismatch\""));
    assert!(
        dom.contains("href=\"#img-1\""),
        "findings link to their rows"
    );
    // The totals, the maintainers' record and the timeline.
    assert!(dom.contains("✓ 1 quorate"), "totals");
    assert!(dom.contains("<svg"), "timeline");
    assert!(
        dom.contains("Signatures per maintainer from"),
        "timeline title"
    );
    screenshot(&page, "known-answers");
}

/// A maintainer name, a user ID and a payload's reference holding markup, quotes and ampersands
/// appear as text.
#[test]
fn hostile_text_is_shown_as_text() {
    if !have("chromium") {
        return;
    }
    let evil = TestKey::new("<img src=x onerror=alert(1)> & \"q\"");
    let alice = TestKey::new("alice");
    let ws = Ws::new(&[("alice", &[&alice])]);
    // MAINTAINERS with a hostile name, and a hostile user ID's certificate (not a maintainer's).
    let maintainers = std::fs::read_to_string(ws.path().join("MAINTAINERS"))
        .unwrap()
        .replace(
            "name = \"alice\"",
            "name = \"<script>alert('name')</script> & \\\"Co\\\"\"",
        );
    std::fs::write(ws.path().join("MAINTAINERS"), maintainers).unwrap();
    ws.put(
        "pallet-rust",
        HEX_A,
        1,
        &sign(
            alice.primary_pair(),
            &payload("docker.io/stagex/<script>alert(2)</script>:1.0", HEX_A),
        ),
    );
    ws.put(
        "pallet-rust",
        HEX_A,
        2,
        &sign(evil.primary_pair(), &payload(REF, HEX_A)),
    );
    let page = ws.path().join("audit.html");
    ws.run(&["audit", "--html", page.to_str().unwrap()]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert!(!html.contains("<img src=x"));
    assert!(
        html.contains("&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; &amp; &quot;Co&quot;")
    );
    let dom = dom(&page);
    assert_eq!(dom.matches("<script").count(), 1, "{dom}");
    assert!(!dom.contains("<img"), "an element was made from text");
    assert!(
        dom.contains("&lt;script&gt;alert('name')&lt;/script&gt; &amp; \"Co\""),
        "{dom}"
    );
}

/// The page of the real StageX corpus shows every reason code found there, and the corpus's
/// screenshot is what docs/audit.md shows.
#[test]
fn the_stagex_corpus_page_explains_every_code_found() {
    if !have("chromium") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/realworld/stagex");
    let keys = root.join("keys");
    let json = run_in(
        &root,
        &[
            "--keyring",
            keys.to_str().unwrap(),
            "audit",
            "--json",
            "--accept-legacy",
            "--as-of",
            "2024-07-01T00:00:00Z",
        ],
    );
    let ledger: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let mut found: Vec<String> = ledger["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    for image in ledger["images"].as_array().unwrap() {
        for s in image["signatures"].as_array().unwrap() {
            for p in s["problems"].as_array().unwrap() {
                found.push(p["code"].as_str().unwrap().to_string());
            }
        }
    }
    found.sort();
    found.dedup();
    assert!(found.len() >= 5, "{found:?}");
    let out = tempfile::tempdir().unwrap();
    let page = out.path().join("stagex.html");
    run_in(
        &root,
        &[
            "--keyring",
            keys.to_str().unwrap(),
            "audit",
            "--accept-legacy",
            "--as-of",
            "2024-07-01T00:00:00Z",
            "--html",
            page.to_str().unwrap(),
        ],
    );
    // The page is written to its file as it is made, 16 KiB at a time: the corpus's page is
    // several such pieces, and holds every image's row, in order, and the page's end.
    let written = std::fs::read_to_string(&page).unwrap();
    assert!(written.len() > 64 * 1024, "{} bytes", written.len());
    let images = ledger["images"].as_array().unwrap().len();
    let mut at = 0;
    for index in 0..images {
        let tag = format!("<tr id=\"img-{index}\" ");
        at += written[at..]
            .find(&tag)
            .unwrap_or_else(|| panic!("row {index} of {images} is missing or out of order"));
    }
    assert!(!written.contains(&format!("<tr id=\"img-{images}\" ")));
    assert!(written.ends_with("</html>\n"));
    let dom = dom(&page);
    for code in &found {
        assert!(
            dom.contains(&format!("id=\"code-{code}\"")),
            "{code} is not explained"
        );
    }
    screenshot(&page, "stagex-corpus");
}
