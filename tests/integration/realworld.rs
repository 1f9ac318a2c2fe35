//! The real StageX corpus (tests/realworld/stagex, copied from ../shared/realworld): 91 signature
//! files StageX maintainers published. quorate must say of each what gpg and sq said
//! (EXPECTED.tsv, DIRS.tsv).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/realworld/stagex")
}

fn audit(extra: &[&str]) -> (Run, Value) {
    let root = corpus();
    let keys = root.join("keys");
    let mut args = vec!["--keyring", keys.to_str().unwrap(), "audit", "--json"];
    args.extend_from_slice(extra);
    let run = run_in(&root, &args);
    let json = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    (run, json)
}

fn tsv(name: &str) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(corpus().join(name)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .map(|line| {
            header
                .iter()
                .map(|h| h.to_string())
                .zip(line.split('\t').map(str::to_string))
                .collect()
        })
        .collect()
}

/// Every signature of the ledger by its path.
fn signatures(ledger: &Value) -> BTreeMap<String, Value> {
    ledger["images"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["signatures"].as_array().unwrap().iter().cloned())
        .map(|s| (s["path"].as_str().unwrap().to_string(), s))
        .collect()
}

fn codes(signature: &Value) -> Vec<String> {
    signature["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_file_gets_the_verdict_gpg_and_sq_gave() {
    let (run, ledger) = audit(&["--accept-legacy"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // No git repository holds this workspace: commits are unknown, not guessed.
    assert_eq!(ledger["repository"], Value::Null);
    let found = signatures(&ledger);
    let expected = tsv("EXPECTED.tsv");
    assert_eq!(expected.len(), 91);
    assert_eq!(found.len(), 91, "{:?}", found.keys());
    for row in &expected {
        let path = &row["path"];
        let sig = &found[path];
        let codes = codes(sig);
        let has = |code: &str| codes.iter().any(|c| c == code);
        // Both certificates expired long ago: nothing counts today.
        assert_eq!(sig["counts"], false, "{path}");
        assert!(!has("bad-signature"), "{path}: {codes:?}");
        match row["gpg_verdict"].as_str() {
            "no-key" => {
                assert!(
                    has("unknown-issuer") || has("maintainer-certificate-missing"),
                    "{path}: {codes:?}"
                );
                if row["maintainer"] != "unknown" {
                    assert_eq!(sig["maintainer"], row["maintainer"].as_str(), "{path}");
                    assert_eq!(
                        sig["primary_fingerprint"],
                        row["primary_fpr"].as_str(),
                        "{path}"
                    );
                    assert!(has("maintainer-certificate-missing"), "{path}: {codes:?}");
                } else {
                    assert_eq!(sig["maintainer"], Value::Null, "{path}");
                    assert!(has("unknown-issuer"), "{path}: {codes:?}");
                }
            }
            "expired-key" => {
                // The cryptography checks out: the right key, the right person.
                assert_eq!(
                    sig["primary_fingerprint"],
                    row["primary_fpr"].as_str(),
                    "{path}"
                );
                assert_eq!(sig["maintainer"], row["maintainer"].as_str(), "{path}");
                assert_eq!(sig["signing_key"], row["issuer_key_fpr"].as_str(), "{path}");
                assert_eq!(sig["by_subkey"], row["key_role"] == "subkey", "{path}");
                match row["sq_verdict"].as_str() {
                    "good" => {
                        assert!(has("key-expired"), "{path}: {codes:?}");
                        assert!(!has("key-not-alive-at-signing"), "{path}: {codes:?}");
                    }
                    "key-not-live" => assert!(has("key-not-alive-at-signing"), "{path}: {codes:?}"),
                    other => panic!("{path}: unexpected sq verdict {other}"),
                }
            }
            "malformed" => assert!(
                has("empty-file") || has("truncated-message"),
                "{path}: {codes:?}"
            ),
            other => panic!("{path}: unexpected gpg verdict {other}"),
        }
        if row["gpg_verdict"] != "malformed" {
            assert_eq!(sig["created"], row["sig_created"].as_str(), "{path}");
            if row["payload_digest"].trim_matches('"').is_empty() {
                // Ryan signed a legacy payload whose digest is empty: not a payload at all.
                assert!(has("payload-bad-digest"), "{path}: {codes:?}");
            } else {
                assert_eq!(sig["legacy"], true, "{path}");
                assert_eq!(
                    sig["signed_digest"],
                    format!("sha256:{}", row["payload_digest"]),
                    "{path}"
                );
            }
        }
        match row["digest_matches_dir"].as_str() {
            "no" => assert!(has("directory-mismatch"), "{path}: {codes:?}"),
            "empty" => assert!(has("malformed-directory"), "{path}: {codes:?}"),
            _ => assert!(!has("directory-mismatch"), "{path}: {codes:?}"),
        }
    }
}

#[test]
fn as_of_mid_2024_each_directory_has_the_maintainers_sq_found_good() {
    let (_, ledger) = audit(&["--accept-legacy", "--as-of", "2024-07-01T00:00:00Z"]);
    let images: BTreeMap<String, &Value> = ledger["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["directory"].as_str().unwrap().to_string(), i))
        .collect();
    let rows = tsv("DIRS.tsv");
    assert_eq!(rows.len(), 31);
    for row in rows {
        let mut expected: Vec<&str> = match row["sq_good_maintainers"].as_str() {
            "-" => vec![],
            list => list.split(',').collect(),
        };
        expected.sort();
        let image = images[&row["dir"]];
        let mut signers: Vec<&str> = image["signers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        signers.sort();
        assert_eq!(signers, expected, "{}", row["dir"]);
    }
}

#[test]
fn without_accept_legacy_every_signature_is_marked_legacy_and_nothing_counts() {
    let (run, ledger) = audit(&["--as-of", "2024-07-01T00:00:00Z"]);
    assert_eq!(run.code, 1);
    for (path, sig) in signatures(&ledger) {
        assert_eq!(sig["counts"], false, "{path}");
        if sig["legacy"] == true {
            assert!(
                codes(&sig).contains(&"legacy-payload".to_string()),
                "{path}"
            );
        }
    }
}

#[test]
fn the_audit_lists_every_kind_of_finding_without_a_crash() {
    let (run, ledger) = audit(&["--accept-legacy", "--as-of", "2024-07-01T00:00:00Z"]);
    assert_eq!(run.code, 1);
    assert!(!run.stderr.contains("panicked"));
    let found: Vec<&str> = ledger["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    for code in [
        "maintainer-certificate-missing",
        "unknown-issuer",
        "key-not-alive-at-signing",
        "empty-file",
        "truncated-message",
        "malformed-directory",
        "duplicate-maintainer",
        "signed-by-subkey",
        "short-of-quorum",
    ] {
        assert!(found.contains(&code), "no {code} in {found:?}");
    }
    let (_, today) = audit(&["--accept-legacy"]);
    let found: Vec<&str> = today["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(found.contains(&"key-expired"), "{found:?}");
    let (_, strict) = audit(&[]);
    let found: Vec<&str> = strict["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(found.contains(&"legacy-payload"), "{found:?}");
}

#[test]
fn the_text_audit_names_files_and_reasons() {
    let root = corpus();
    let run = run_in(&root, &["--keyring", "keys", "audit", "--accept-legacy"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("git: none (commits unknown)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("[empty-file] signatures/stagex/bzip2@sha256="),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("[malformed-directory] signatures/stagex/core-busybox@sha256="),
        "{}",
        run.stdout
    );
}
