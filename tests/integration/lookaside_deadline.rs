//! A lookaside server cannot keep a gate or an audit waiting: each image's reads and all of a
//! run's have a deadline, past which the image is unreadable and the command refuses; and a
//! redirect is followed only where podman follows it. Hostile servers on 127.0.0.1.

use std::time::Duration;

use crate::common::*;

/// Long enough for any machine to finish what the deadlines allow; only a hang reaches it.
const WATCHDOG: Duration = Duration::from_secs(90);

/// A server that serves every `signature-N` there is (never a 404), each after a one-second
/// stall: without a deadline, 127 of them are read one after another.
fn stalling_server() -> Server {
    python_server(
        "time.sleep(1); self.send_response(200); self.send_header('Content-Length', '3'); self.end_headers(); self.wfile.write(b'sig')",
    )
}

/// alice and bob, with alice's signature on the image in the tree.
fn signed() -> Ws {
    let alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    let ws = Ws::new(&[("alice", &[&alice]), ("bob", &[&bob])]);
    ws.put(
        "pallet-rust",
        HEX_A,
        1,
        &sign(alice.primary_pair(), &payload(REF, HEX_A)),
    );
    ws
}

#[test]
fn a_stalling_lookaside_makes_the_gate_refuse_at_the_image_deadline() {
    let ws = signed();
    let server = stalling_server();
    let url = format!("http://127.0.0.1:{}", server.port);
    let run = run_within(
        ws.path(),
        &[
            "gate",
            &asked(),
            "--lookaside",
            &url,
            "--lookaside-deadline",
            "3",
        ],
        WATCHDOG,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("Minimum signatures not met"), "{run:?}");
    assert!(
        run.stdout
            .contains("the deadline for one image's reads passed (3 s, --lookaside-deadline SECONDS): the image's signatures are unreadable"),
        "{run:?}"
    );
}

#[test]
fn audit_published_gives_up_on_every_image_at_the_run_deadline() {
    let ws = signed();
    // Two more images in the tree, so the run's deadline, not one image's, ends the reading.
    let other = "cd".repeat(32);
    let third = "ef".repeat(32);
    for hex in [&other, &third] {
        ws.put("pallet-rust", hex, 1, b"sig");
    }
    let server = stalling_server();
    let url = format!("http://127.0.0.1:{}", server.port);
    let run = run_within(
        ws.path(),
        &[
            "audit",
            "--json",
            "--published",
            &url,
            "--lookaside-deadline",
            "600",
            "--lookaside-run-deadline",
            "3",
        ],
        WATCHDOG,
    );
    assert_eq!(run.code, 1, "{run:?}");
    let ledger: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let unreadable: Vec<&serde_json::Value> = ledger["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "published-unreadable")
        .collect();
    assert_eq!(unreadable.len(), 3, "{ledger:#}");
    for finding in unreadable {
        let detail = finding.to_string();
        assert!(
            detail.contains("for every lookaside read of this run passed (3 s, --lookaside-run-deadline SECONDS)"),
            "{detail}"
        );
    }
}

#[test]
fn a_redirect_to_a_file_is_refused_as_what_it_is() {
    let ws = signed();
    let server = python_server(
        "self.send_response(302); self.send_header('Location', 'file:///etc/passwd'); self.end_headers()",
    );
    let url = format!("http://127.0.0.1:{}", server.port);
    let run = run_within(
        ws.path(),
        &["verify", &asked(), "--lookaside", &url],
        WATCHDOG,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains(
            "redirected to file:///etc/passwd, which podman does not follow (only http:// and https://)"
        ),
        "{run:?}"
    );
    assert!(!run.stdout.contains("too many redirects"), "{run:?}");
}

#[test]
fn redirects_to_http_are_followed_absolute_or_relative() {
    let ws = signed();
    let files = http_server(&ws.path().join("signatures"));
    // One server sends every request on to the files' server by a scheme-relative URL, the
    // other to the first by an absolute one.
    let relay = python_server(&format!(
        "self.send_response(301); self.send_header('Location', '//127.0.0.1:{}' + self.path); self.end_headers()",
        files.port
    ));
    let front = python_server(&format!(
        "self.send_response(302); self.send_header('Location', 'http://127.0.0.1:{}' + self.path); self.end_headers()",
        relay.port
    ));
    let url = format!("http://127.0.0.1:{}", front.port);
    let run = run_within(
        ws.path(),
        &["verify", "--json", &asked(), "--lookaside", &url],
        WATCHDOG,
    );
    let report: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    assert_eq!(
        report["signers"],
        serde_json::json!(["alice"]),
        "{report:#}"
    );
}

#[test]
fn a_fifo_in_a_file_lookaside_is_unreadable_not_a_hang() {
    let ws = signed();
    let served = tempfile::tempdir().unwrap();
    let dir = served
        .path()
        .join(format!("stagex/pallet-rust@sha256={HEX_A}"));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("signature-1");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let url = format!("file://{}", served.path().display());
    let run = run_within(
        ws.path(),
        &["verify", &asked(), "--lookaside", &url],
        WATCHDOG,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("signature-1: not a regular file"),
        "{run:?}"
    );
}
