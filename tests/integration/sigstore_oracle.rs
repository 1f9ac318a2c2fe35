//! The independent Sigstore fixtures (tests/support/sigstore/make.py) against sigstore-python
//! (oracle.py): the oracle accepts exactly the votes the manifest says count, refuses every
//! mutation, and is blind only where the manifest says so. Quorate's verifier is compared with the
//! same triples (`oracle_triples`) once it lands.

use std::collections::BTreeSet;

use crate::common::*;

const REPOSITORY: &str = "docker.io/team/hello";

/// Mutations sigstore-python accepts although the vote must not count: it reads only the issuer
/// OID .1.1, so a .1.8 that disagrees goes unseen (containers/image rejects the disagreement).
const ORACLE_BLIND_TO: &[&str] = &["issuer-oids-disagree"];

/// Counting votes sigstore-python refuses: it reads only the issuer OID .1.1, so a leaf carrying
/// the issuer in .1.8 alone (which containers/image takes) is refused.
const ORACLE_STRICTER_ON: &[&str] = &["votes/bundle-bob-keyless-issuer-v2-only.sigstore.json"];

#[test]
fn sigstore_python_agrees_with_the_fixtures_manifest() {
    let Some(python) = sigstore_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let digest = format!("sha256:{}", hex_sha256(b"an image manifest"));
    let world = world_with(&python, dir.path(), &digest, REPOSITORY);
    assert_eq!(world.digest, digest);
    assert_eq!(world.repository, REPOSITORY);

    let mut wrong = Vec::new();
    let mut blind = BTreeSet::new();
    let mut stricter = BTreeSet::new();
    for (vote, verdict, oracle) in oracle_triples(&python, &world) {
        let expected = vote.oracle == "accepts";
        if oracle.accepted != expected {
            wrong.push(format!(
                "{}: manifest {verdict}, oracle said {oracle:?}",
                vote.file
            ));
        }
        if verdict == "counts" {
            assert_eq!(vote.digest, digest, "{}", vote.file);
            if !oracle.accepted {
                stricter.insert(vote.file.clone());
            }
        } else if oracle.accepted {
            blind.insert(verdict);
        }
    }
    assert!(
        wrong.is_empty(),
        "sigstore-python disagrees with the manifest:\n{}",
        wrong.join("\n")
    );
    let known: BTreeSet<String> = ORACLE_BLIND_TO.iter().map(|s| s.to_string()).collect();
    assert_eq!(blind, known, "mutations sigstore-python accepts");
    let known: BTreeSet<String> = ORACLE_STRICTER_ON.iter().map(|s| s.to_string()).collect();
    assert_eq!(stricter, known, "counting votes sigstore-python refuses");
}

/// The manifest carries every kind of vote for every person and every mutation the brief lists,
/// so a fixture dropped from make.py fails here rather than going unnoticed.
#[test]
fn the_sigstore_fixtures_cover_every_kind_and_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let digest = format!("sha256:{}", hex_sha256(b"another image manifest"));
    let Some(world) = world(dir.path(), &digest, REPOSITORY) else {
        return;
    };
    let counting: BTreeSet<(String, String)> = world
        .votes
        .iter()
        .filter(|v| v.verdict == "counts")
        .map(|v| (v.person.clone(), v.kind.clone()))
        .collect();
    for (person, kind) in [
        ("alice", "legacy-key"),
        ("alice", "bundle-dsse-key"),
        ("alice", "bundle-message-key"),
        ("bob", "legacy-keyless"),
        ("bob", "bundle-dsse-keyless"),
        ("bob", "bundle-message-keyless"),
        ("carol", "legacy-keyless"),
        ("carol", "bundle-dsse-keyless"),
        ("carol", "bundle-message-keyless"),
    ] {
        assert!(
            counting.contains(&(person.to_string(), kind.to_string())),
            "no counting {kind} vote for {person}"
        );
    }
    let reasons: BTreeSet<&str> = world.votes.iter().map(|v| v.verdict.as_str()).collect();
    for reason in [
        "wrong-identity",
        "wrong-issuer",
        "untrusted-chain",
        "log-body-mismatch",
        "another-digest",
        "certificate-expired",
        "signature-invalid",
        "issuer-oids-disagree",
        "set-invalid",
        "issuer-missing",
        "sct-invalid",
        "sct-missing",
        "not-code-signing",
        "inclusion-proof-invalid",
        "checkpoint-invalid",
        "statement-invalid",
    ] {
        assert!(reasons.contains(reason), "no mutation {reason}");
    }
    for vote in &world.votes {
        assert!(vote.path.is_file(), "{}", vote.file);
        if vote.kind.starts_with("bundle-message") {
            assert!(
                vote.payload.as_ref().is_some_and(|p| p.is_file()),
                "{}",
                vote.file
            );
        }
        if vote.kind == "legacy-keyless" {
            assert!(
                vote.proof.as_ref().is_some_and(|p| p.is_file()),
                "{}",
                vote.file
            );
        }
        let bytes = std::fs::read(&vote.path).unwrap();
        assert_eq!(
            bytes.starts_with(b"\x00sigstore-json\n"),
            vote.kind.starts_with("legacy"),
            "{}",
            vote.file
        );
    }
    for root in [
        &world.trusted_root,
        &world.foreign_trusted_root,
        &world.client_trust_config,
        &world.trusted_root_without_intermediate,
    ] {
        assert!(root.is_file(), "{}", root.display());
    }
}

/// Every person's cosign.pub is a P-256 key whose `sha256:` id is the manifest's, and the key
/// files come in both PEM labels and both scrypt N cosign has written.
#[test]
fn the_sigstore_fixtures_cosign_keys_are_what_cosign_writes() {
    let dir = tempfile::tempdir().unwrap();
    let digest = format!("sha256:{}", hex_sha256(b"a third image manifest"));
    let Some(world) = world(dir.path(), &digest, REPOSITORY) else {
        return;
    };
    assert_eq!(
        world.people.keys().map(String::as_str).collect::<Vec<_>>(),
        ["alice", "bob", "carol"]
    );
    for (name, person) in &world.people {
        let pem = std::fs::read(&person.cosign_pub).unwrap();
        let key = openssl::pkey::PKey::public_key_from_pem(&pem).unwrap();
        let ec = key.ec_key().unwrap();
        assert_eq!(
            ec.group().curve_name(),
            Some(openssl::nid::Nid::X9_62_PRIME256V1),
            "{name}"
        );
        let der = key.public_key_to_der().unwrap();
        assert_eq!(
            person.key_id,
            format!("sha256:{}", hex_sha256(&der)),
            "{name}"
        );
        assert!(person.passphrase_file.is_file(), "{name}");
        for (path, label, _) in &person.private_keys {
            let text = std::fs::read_to_string(path).unwrap();
            assert!(
                text.starts_with(&format!("-----BEGIN {label}-----\n")),
                "{}",
                path.display()
            );
        }
    }
    let alice: BTreeSet<(String, u64)> = world.people["alice"]
        .private_keys
        .iter()
        .map(|(_, label, n)| (label.clone(), *n))
        .collect();
    for label in [
        "ENCRYPTED SIGSTORE PRIVATE KEY",
        "ENCRYPTED COSIGN PRIVATE KEY",
    ] {
        for n in [32768, 65536] {
            assert!(alice.contains(&(label.to_string(), n)), "{label} N={n}");
        }
    }
    assert_eq!(
        world.people["bob"].identity,
        Some((
            "bob@example.org".to_string(),
            "https://issuer.example.test".to_string()
        ))
    );
}
