//! Every field quorate prints with `--json` is documented: docs/json.md, or the page it points to
//! for that command (audit.md, trust.md, consumers.md). Run on the example workspace at the
//! repository root, so the fields a real release produces are the ones checked.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn json_of(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_quorate"))
        .current_dir(root())
        .args(args)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn keys(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn every_json_field_is_documented() {
    let docs: String = ["json.md", "audit.md", "trust.md", "consumers.md"]
        .iter()
        .map(|f| std::fs::read_to_string(root().join("docs").join(f)).unwrap())
        .collect();
    let policy = tempfile::tempdir().unwrap();
    let out = policy.path().to_str().unwrap();
    let export = Command::new(env!("CARGO_BIN_EXE_quorate"))
        .current_dir(root())
        .args(["policy", "export", "-o", out])
        .output()
        .unwrap();
    assert!(export.status.success(), "{export:?}");
    let policy_file = policy.path().join("policy.json");
    let exported = policy.path().join("again");
    let commands: Vec<Vec<&str>> = vec![
        vec!["gate", "--release", "--json"],
        vec!["gate", "--release", "--json", "--rebuilt", "tests/cmd/rebuild-pushing-more"],
        vec!["verify", "--json", "stagex/pallet-go:sx2026.11.0@sha256:9552325c5ef0608b633ff3c79740ca5857ed356ba8294b5d18eb848f33e95511"],
        vec!["maintainers", "list", "--json"],
        vec!["audit", "--json"],
        vec!["audit", "--json", "--release"],
        vec!["trust", "status", "--json"],
        vec!["status", "--json", "--signer", "carol", "--no-fetch"],
        vec!["policy", "check", "--json", policy_file.to_str().unwrap()],
        vec!["policy", "export", "--json", "-o", exported.to_str().unwrap()],
    ];
    let mut undocumented = Vec::new();
    for args in &commands {
        let mut found = BTreeSet::new();
        keys(&json_of(args), &mut found);
        for key in found {
            if !docs.contains(&format!("`{key}`")) && !docs.contains(&format!("\"{key}\"")) {
                undocumented.push(format!("{}: {key}", args.join(" ")));
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "not in the docs:\n{}",
        undocumented.join("\n")
    );
}
