//! The one integration-test harness: every test runs the real `quorate` binary or library
//! against real OpenPGP keys and real git repositories.

// Fixtures are built with the standard library; quorate itself writes only through confine.
#![allow(clippy::disallowed_methods)]

mod common;
mod gate;
mod html;
mod interop;
mod json_docs;
mod library;
mod rules;
mod sign;
mod trust;
mod trust_sigstore;
mod trust_team;
mod trust_time;

/// The CLI pinned case by case on the example workspace at the repository root: args, expected
/// output and exit status (tests/cmd/*.toml).
#[test]
fn cli_cases() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
mod adversarial;
mod adversarial_keys;
mod adversarial_paths;
mod adversarial_podman;
mod audit;
mod consumers;
mod crash;
mod declared_consumer;
mod realworld;
mod rebuild_output;
mod release;
mod sigstore_ops;
mod sigstore_oracle;
mod sigstore_surfaces;

/// Every test the threat model cites exists, so a guarantee never points at nothing.
#[test]
fn the_threat_model_cites_existing_tests() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/threat-model.md")).unwrap();
    let mut sources = String::new();
    // The test files and the test support folder beside them (tests/integration/common/).
    for entry in walkdir::WalkDir::new(root.join("tests/integration")).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            sources.push_str(&std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    let cited: Vec<&str> = doc
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| {
            t.matches('_').count() >= 3
                && t.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
        })
        .collect();
    assert!(cited.len() > 20, "{cited:?}");
    for name in cited {
        assert!(
            sources.contains(&format!("fn {name}(")),
            "docs/threat-model.md cites {name}, which no test defines"
        );
    }
}
mod adversarial_sync;
mod digests_naming;
mod fuzz_seeds;
mod lookaside_deadline;
mod output;
mod perf;
mod pipeline;
mod policy_judged;
mod sign_rebuilt;
mod sigstore_votes;
mod sync_all;
mod sync_workflow;
mod team;
