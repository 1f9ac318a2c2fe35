//! Cosign-key and keyless votes made by independent tools (tests/support/sigstore/make.py, an
//! offline Fulcio, CT log and Rekor) judged by quorate: every vote the fixtures say counts
//! counts, every mutation is refused with its reason, sigstore-python (the oracle) agrees on
//! each, and people are counted once across every kind of key they hold.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::*;

const REPOSITORY: &str = "docker.io/stagex/pallet-rust";

/// What quorate says of each fixture verdict: one of these codes must be among the file's.
fn expected_codes(verdict: &str) -> &'static [&'static str] {
    match verdict {
        // A key vote whose signature no listed key verifies has no maker to blame.
        "signature-invalid" => &["bad-signature", "unknown-cosign-key"],
        "another-digest" => &["digest-mismatch"],
        "set-invalid" | "inclusion-proof-invalid" | "checkpoint-invalid" => {
            &["log-entry-unverified"]
        }
        "wrong-identity" | "wrong-issuer" => &["unknown-identity"],
        "log-body-mismatch" => &["log-entry-mismatch"],
        "untrusted-chain" => &["certificate-untrusted"],
        "certificate-expired" => &["certificate-outside-window"],
        "issuer-oids-disagree" | "issuer-missing" | "not-code-signing" => {
            &["signing-certificate-malformed"]
        }
        "sct-invalid" | "sct-missing" => &["certificate-not-logged"],
        "statement-invalid" => &["bundle-wrong-content"],
        other => panic!("no quorate code known for the fixture verdict {other}"),
    }
}

/// The fixture's votes sigstore-python judges otherwise than the manifest (it reads the issuer
/// from OID .1.1 only): see sigstore_oracle.rs.
const ORACLE_DIFFERS_ON: &[&str] = &[
    "votes/mutation-bundle-bob-issuer-oids-disagree.sigstore.json",
    "votes/bundle-bob-keyless-issuer-v2-only.sigstore.json",
];

/// Makes keyring/cosign/ and puts the world's trusted root in keyring/sigstore/; returns keyring/.
fn sigstore_keyring(ws: &Ws, world: &World) -> std::path::PathBuf {
    let keyring = ws.path().join("keyring");
    std::fs::create_dir_all(keyring.join("cosign")).unwrap();
    std::fs::create_dir_all(keyring.join("sigstore")).unwrap();
    std::fs::copy(
        &world.trusted_root,
        keyring.join("sigstore/trusted_root.json"),
    )
    .unwrap();
    keyring
}

/// A workspace whose MAINTAINERS lists the world's people by their Sigstore keys and
/// identities (and `extra` OpenPGP people), with the world's trusted root in keyring/.
fn team(world: &World, extra: &[(&str, &[&TestKey])], also: &str) -> Ws {
    let ws = Ws::new(extra);
    let keyring = sigstore_keyring(&ws, world);
    let mut text = std::fs::read_to_string(ws.path().join("MAINTAINERS")).unwrap();
    for (name, person) in &world.people {
        if !text.contains(&format!("[people.{name}]")) {
            text.push_str(&format!("[people.{name}]\n"));
        }
        match &person.identity {
            Some((subject, issuer)) => text.push_str(&format!(
                "[keys.{name}.keyless]\noidc-issuer = \"{issuer}\"\nsubject = \"{subject}\"\n"
            )),
            None => {
                std::fs::copy(
                    &person.cosign_pub,
                    keyring.join(format!("cosign/{name}.pub")),
                )
                .unwrap();
                text.push_str(&format!(
                    "[keys.{name}.cosign]\ncosign = \"cosign/{name}.pub\"\nid = \"{}\"\n",
                    person.key_id
                ));
            }
        }
    }
    text.push_str(also);
    std::fs::write(ws.path().join("MAINTAINERS"), text).unwrap();
    ws
}

/// Places a vote file in the image's directory: a legacy one as the next `signature-N`, a
/// bundle as the next `sigstore-bundle-N.json`. Returns the name it got.
fn place(ws: &Ws, hex: &str, vote: &Path) -> String {
    let dir = ws.image_dir("pallet-rust", hex);
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(vote).unwrap();
    let bundle = !bytes.starts_with(b"\x00sigstore-json\n");
    let name = (1..)
        .map(|n| {
            if bundle {
                format!("sigstore-bundle-{n}.json")
            } else {
                format!("signature-{n}")
            }
        })
        .find(|name| !dir.join(name).exists())
        .unwrap();
    std::fs::write(dir.join(&name), bytes).unwrap();
    name
}

/// Each file of a verify report by its name, with its problem codes.
fn files_by_name(report: &serde_json::Value) -> BTreeMap<String, Vec<String>> {
    report["files"]
        .as_array()
        .unwrap_or_else(|| panic!("no files in {report}"))
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            let name = Path::new(path).file_name().unwrap().to_str().unwrap();
            let codes = f["problems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["code"].as_str().unwrap().to_string())
                .collect();
            (name.to_string(), codes)
        })
        .collect()
}

/// Votes only quorate add turns into signature files (message signature bundles): not placed.
fn placed_as_is(vote: &SigstoreVote) -> bool {
    vote.kind.starts_with("legacy") || vote.kind.starts_with("bundle-dsse")
}

#[test]
fn quorate_judges_every_independent_vote_as_the_fixtures_and_sigstore_python_do() {
    let Some(python) = sigstore_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let digest = format!("sha256:{HEX_A}");
    let world = world_with(&python, dir.path(), &digest, REPOSITORY);
    let ws = team(&world, &[], "");
    let oracle = oracle_verdicts(&python, &world);
    let mut names = BTreeMap::new();
    for vote in world.votes.iter().filter(|v| placed_as_is(v)) {
        names.insert(place(&ws, HEX_A, &vote.path), vote);
    }
    let report = ws.verify_json(&asked());
    let judged = files_by_name(&report);
    let mut wrong = Vec::new();
    for (name, vote) in &names {
        let codes = judged
            .get(name)
            .unwrap_or_else(|| panic!("{name} ({}) not judged: {report}", vote.file));
        let faults: Vec<&String> = codes
            .iter()
            .filter(|c| *c != "duplicate-maintainer")
            .collect();
        let counts = faults.is_empty();
        if vote.verdict == "counts" {
            if !counts {
                wrong.push(format!("{}: must count, quorate says {codes:?}", vote.file));
            }
        } else if !expected_codes(&vote.verdict)
            .iter()
            .any(|c| codes.iter().any(|got| got == c))
        {
            wrong.push(format!(
                "{}: {} must give {:?}, quorate says {codes:?}",
                vote.file,
                vote.verdict,
                expected_codes(&vote.verdict)
            ));
        }
        // The second verifier: sigstore-python accepts what quorate counts and refuses what it
        // refuses, except where it reads only one of the issuer's two OIDs.
        if let Some(theirs) = oracle.get(&vote.file) {
            if theirs.accepted != counts && !ORACLE_DIFFERS_ON.contains(&vote.file.as_str()) {
                wrong.push(format!(
                    "{}: quorate counts it: {counts}, sigstore-python accepts it: {} ({})",
                    vote.file, theirs.accepted, theirs.error
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Three people signed validly in several forms each: three people count, once each.
    let signers: Vec<&str> = report["signers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(signers, ["alice", "bob", "carol"], "{report}");
}

#[test]
fn a_mixed_team_needs_two_people_and_one_person_with_every_kind_counts_once() {
    let Some(python) = sigstore_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let world = world_with(&python, dir.path(), &format!("sha256:{HEX_A}"), REPOSITORY);
    let dave = TestKey::new("dave");
    let ws = team(&world, &[("dave", &[&dave])], "");
    set_threshold(ws.path(), 2);
    let vote = |file: &str| {
        world
            .votes
            .iter()
            .find(|v| v.file == file)
            .unwrap_or_else(|| panic!("no {file}"))
            .path
            .clone()
    };
    let gate = |ws: &Ws| ws.run(&["gate", &asked()]);

    // One cosign-key vote: one person, short of two.
    place(&ws, HEX_A, &vote("votes/legacy-alice-key.sig"));
    let run = gate(&ws);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    // Alice again, as a bundle: still one person.
    place(&ws, HEX_A, &vote("votes/bundle-alice-key.sigstore.json"));
    let run = gate(&ws);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    // An OpenPGP maintainer: two people of two kinds make the quorum.
    ws.put(
        "pallet-rust",
        HEX_A,
        10,
        &sign(dave.primary_pair(), &payload(REF, HEX_A)),
    );
    // signature-10 would follow a gap: renumber it into the run podman reads.
    let dir = ws.image_dir("pallet-rust", HEX_A);
    std::fs::rename(dir.join("signature-10"), dir.join("signature-2")).unwrap();
    let run = gate(&ws);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    // One person holding all three kinds (bob: his keyless identity, alice's cosign key moved to
    // him, and dave's OpenPGP key) counts once however many kinds he signs with.
    let dir2 = tempfile::tempdir().unwrap();
    let world2 = world_with(&python, dir2.path(), &format!("sha256:{HEX_A}"), REPOSITORY);
    let alice = &world2.people["alice"];
    let one = Ws::new(&[("bob", &[&dave])]);
    let keyring = sigstore_keyring(&one, &world2);
    std::fs::copy(&alice.cosign_pub, keyring.join("cosign/bob.pub")).unwrap();
    let bob = &world2.people["bob"];
    let (subject, issuer) = bob.identity.clone().unwrap();
    let mut text = std::fs::read_to_string(one.path().join("MAINTAINERS")).unwrap();
    text.push_str(&format!(
        "[keys.bob.cosign]\ncosign = \"cosign/bob.pub\"\nid = \"{}\"\n[keys.bob.keyless]\noidc-issuer = \"{issuer}\"\nsubject = \"{subject}\"\n[people.erin]\n[keys.erin.key]\nid = \"{}\"\n",
        alice.key_id,
        TestKey::new("erin").fingerprint()
    ));
    std::fs::write(one.path().join("MAINTAINERS"), text).unwrap();
    set_threshold(one.path(), 2);
    let vote2 = |file: &str| {
        world2
            .votes
            .iter()
            .find(|v| v.file == file)
            .unwrap()
            .path
            .clone()
    };
    place(&one, HEX_A, &vote2("votes/legacy-alice-key.sig"));
    place(&one, HEX_A, &vote2("votes/legacy-bob-keyless.sig"));
    place(
        &one,
        HEX_A,
        &vote2("votes/bundle-bob-keyless.sigstore.json"),
    );
    one.put(
        "pallet-rust",
        HEX_A,
        3,
        &sign(dave.primary_pair(), &payload(REF, HEX_A)),
    );
    let report = one.verify_json(&asked());
    let signers: Vec<&str> = report["signers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(signers, ["bob"], "{report}");
    let run = one.run(&["gate", &asked()]);
    assert_eq!(
        run.code, 1,
        "one person is no quorum of two: {}",
        run.stdout
    );
}

#[test]
fn a_declared_consumer_that_cannot_check_a_kind_never_counts_it() {
    let Some(python) = sigstore_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let world = world_with(&python, dir.path(), &format!("sha256:{HEX_A}"), REPOSITORY);
    let vote = |file: &str| {
        world
            .votes
            .iter()
            .find(|v| v.file == file)
            .unwrap()
            .path
            .clone()
    };
    let judged = |consumer: &str| {
        let ws = team(&world, &[], "");
        declare_consumer(ws.path(), consumer);
        let names = [
            place(&ws, HEX_A, &vote("votes/legacy-alice-key.sig")),
            place(&ws, HEX_A, &vote("votes/legacy-bob-keyless.sig")),
            place(&ws, HEX_A, &vote("votes/legacy-carol-keyless.sig")),
            place(&ws, HEX_A, &vote("votes/bundle-bob-keyless.sigstore.json")),
        ];
        let files = files_by_name(&ws.verify_json(&asked()));
        names.map(|n| files[&n].contains(&"sigstore-not-accepted".to_string()))
    };
    // Debian 12's podman checks no Sigstore vote at all.
    assert_eq!(judged("podman = \"4.3.1\""), [true, true, true, true]);
    // containers/image 5.24..5.32: keyless by email only, cosign keys not k of M, no bundles.
    assert_eq!(
        judged("containers-image = \"5.28\""),
        [true, false, true, true]
    );
    // 5.33 and later: cosign keys too; a URI subject and bundles never.
    assert_eq!(
        judged("containers-image = \"5.39\""),
        [false, false, true, true]
    );
}

#[test]
fn a_swapped_cosign_key_file_is_an_input_error() {
    let Some(python) = sigstore_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let world = world_with(&python, dir.path(), &format!("sha256:{HEX_A}"), REPOSITORY);
    let ws = team(&world, &[], "");
    // Someone replaces alice's public key file with another key: MAINTAINERS pins the old one.
    std::fs::copy(
        &world.people["bob"].cosign_pub,
        ws.path().join("keyring/cosign/alice.pub"),
    )
    .unwrap();
    let run = ws.run(&["verify", &asked()]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("keyring/cosign/alice.pub") && run.stderr.contains("swapped"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
}
