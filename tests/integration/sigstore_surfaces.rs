//! Sigstore votes (cosign keys, keyless identities) on every surface: what `policy export` says
//! podman cannot check, the kinds verify, gate and audit name, bundles in audit and sync. Real
//! keys (OpenSSL's P-256 for cosign keys), the real binary.

use std::path::Path;

use crate::common::*;

const GITHUB: &str = "https://token.actions.githubusercontent.com";
const ERIN: &str = "https://github.com/team/hello/.github/workflows/release.yml@refs/heads/main";

/// A fresh cosign public key (ECDSA P-256) written as PEM to keyring/cosign/<who>.pub in `dir`;
/// its pin, `sha256:<hex of the DER SubjectPublicKeyInfo>`.
fn cosign_key(dir: &Path, who: &str) -> String {
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    std::fs::create_dir_all(dir.join("keyring/cosign")).unwrap();
    std::fs::write(
        dir.join(format!("keyring/cosign/{who}.pub")),
        key.public_key_to_pem().unwrap(),
    )
    .unwrap();
    format!("sha256:{}", hex_sha256(&key.public_key_to_der().unwrap()))
}

/// alice and bob with OpenPGP keys (bob also keyless by email), dave with a cosign key only,
/// erin with a keyless workflow identity only, at `threshold`.
fn mixed_team(threshold: u32) -> Ws {
    let (alice, bob) = (TestKey::new("alice"), TestKey::new("bob"));
    let ws = Ws::new(&[("alice", &[&alice]), ("bob", &[&bob])]);
    let dave = cosign_key(ws.path(), "dave");
    let mut text = std::fs::read_to_string(ws.path().join("MAINTAINERS")).unwrap();
    text.push_str(&format!(
        "[keys.bob.google]\noidc-issuer = \"https://accounts.google.com\"\nsubject = \"bob@example.org\"\n\
         [people.dave]\nname = \"dave\"\n[keys.dave.cosign]\ncosign = \"cosign/dave.pub\"\nid = \"{dave}\"\n\
         [people.erin]\nname = \"erin\"\n[keys.erin.ci]\noidc-issuer = \"{GITHUB}\"\nsubject = \"{ERIN}\"\n"
    ));
    std::fs::write(ws.path().join("MAINTAINERS"), text).unwrap();
    set_threshold(ws.path(), threshold);
    commit_all(ws.path(), "workspace");
    ws
}

/// `policy export` writes signedBy requirements only: it names, in text and JSON, whose votes
/// podman cannot check (dave's cosign key, erin's keyless identity, bob's keyless votes beside his
/// OpenPGP key), and leaves the Sigstore-only people out of the groups.
#[test]
fn policy_export_names_whose_votes_podman_cannot_check() {
    let ws = mixed_team(2);
    let out = ws.path().join("out");
    let run = ws.run(&["policy", "export", "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("any 2 of 2 maintainers: alice, bob"),
        "{run:?}"
    );
    for line in [
        "warning: dave holds only a cosign key: podman cannot check their votes",
        "warning: erin holds only a keyless identity: podman cannot check their votes",
        "warning: bob's keyless identity votes are not checked by podman",
    ] {
        assert!(run.stderr.contains(line), "{line}: {run:?}");
    }
    assert!(!run.stderr.contains("has no certificate"), "{run:?}");
    let policy = std::fs::read_to_string(out.join("policy.json")).unwrap();
    assert!(!policy.contains("sigstoreSigned"), "{policy}");

    let run = ws.run(&["policy", "export", "-o", out.to_str().unwrap(), "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["written"], true, "{json}");
    assert_eq!(json["maintainers"], serde_json::json!(["alice", "bob"]));
    assert_eq!(
        json["podman_cannot_check"],
        serde_json::json!([
            {"who": "bob", "kinds": ["keyless identity"], "only_sigstore": false},
            {"who": "dave", "kinds": ["cosign key"], "only_sigstore": true},
            {"who": "erin", "kinds": ["keyless identity"], "only_sigstore": true},
        ])
    );
}

/// When k is not reachable with the OpenPGP people alone, the exported policy would freeze
/// releases: export refuses (exit 1), writes nothing, and names the people podman cannot check.
#[test]
fn policy_export_refuses_a_quorum_only_sigstore_votes_reach() {
    let ws = mixed_team(3);
    let out = ws.path().join("out");
    let run = ws.run(&["policy", "export", "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("a threshold of 3 is not reachable at pull time")
            && run
                .stderr
                .contains("which 2 maintainers can make (alice, bob)")
            && run
                .stderr
                .contains("cannot check the votes of dave (cosign key), erin (keyless identity)")
            && run.stderr.contains("would freeze releases"),
        "{run:?}"
    );
    assert!(!out.join("policy.json").exists());

    let run = ws.run(&["policy", "export", "-o", out.to_str().unwrap(), "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["written"], false, "{json}");
    assert!(
        json["error"]
            .as_str()
            .unwrap()
            .contains("would freeze releases"),
        "{json}"
    );
    assert_eq!(json["podman_cannot_check"][1]["who"], "dave", "{json}");
    assert!(!out.join("policy.json").exists());
}
