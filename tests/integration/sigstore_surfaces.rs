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

const REPOSITORY: &str = "docker.io/stagex/hello";

/// A workspace whose maintainers are make.py's people (alice by cosign key, bob keyless by email,
/// carol keyless by workflow URI) and dave by OpenPGP key, with the world's trusted root; None
/// without the Sigstore Python. The image's digest hex.
fn sigstore_ws() -> Option<(Ws, World, String, TestKey)> {
    let dave = TestKey::new("dave");
    let ws = Ws::new(&[("dave", &[&dave])]);
    let hex = hex_sha256(b"a sigstore-signed manifest");
    let world = world(
        &ws.path().join("world"),
        &format!("sha256:{hex}"),
        REPOSITORY,
    )?;
    std::fs::create_dir_all(ws.path().join("keyring/sigstore")).unwrap();
    std::fs::copy(
        &world.trusted_root,
        ws.path().join("keyring/sigstore/trusted_root.json"),
    )
    .unwrap();
    let alice = &world.people["alice"];
    std::fs::create_dir_all(ws.path().join("keyring/cosign")).unwrap();
    std::fs::copy(
        &alice.cosign_pub,
        ws.path().join("keyring/cosign/alice.pub"),
    )
    .unwrap();
    let mut text = std::fs::read_to_string(ws.path().join("MAINTAINERS")).unwrap();
    text.push_str(&format!(
        "[people.alice]\nname = \"alice\"\n[keys.alice.cosign]\ncosign = \"cosign/alice.pub\"\nid = \"{}\"\n",
        alice.key_id
    ));
    for who in ["bob", "carol"] {
        let (subject, issuer) = world.people[who].identity.clone().unwrap();
        text.push_str(&format!(
            "[people.{who}]\nname = \"{who}\"\n[keys.{who}.oidc]\noidc-issuer = \"{issuer}\"\nsubject = \"{subject}\"\n"
        ));
    }
    std::fs::write(ws.path().join("MAINTAINERS"), text).unwrap();
    Some((ws, world, hex, dave))
}

/// `sigstore_ws` with one image voted for by everyone: alice's legacy cosign-key vote as
/// signature-1, bob's keyless bundle as sigstore-bundle-1.json, carol's legacy keyless vote as
/// signature-2, dave's OpenPGP signature as signature-3; committed.
fn voted_ws() -> Option<(Ws, World, String, TestKey)> {
    let (ws, world, hex, dave) = sigstore_ws()?;
    let dir = ws.image_dir("hello", &hex);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        &vote(&world, "alice", "legacy-key").path,
        dir.join("signature-1"),
    )
    .unwrap();
    std::fs::copy(
        &vote(&world, "bob", "bundle-dsse-keyless").path,
        dir.join("sigstore-bundle-1.json"),
    )
    .unwrap();
    std::fs::copy(
        &vote(&world, "carol", "legacy-keyless").path,
        dir.join("signature-2"),
    )
    .unwrap();
    let signed = sign(
        dave.primary_pair(),
        &payload(&format!("{REPOSITORY}:1"), &hex),
    );
    std::fs::write(dir.join("signature-3"), signed).unwrap();
    commit_all(ws.path(), "votes");
    Some((ws, world, hex, dave))
}

/// The counting vote of `person` of `kind` in the world.
fn vote<'w>(world: &'w World, person: &str, kind: &str) -> &'w SigstoreVote {
    world
        .votes
        .iter()
        .find(|v| v.person == person && v.kind == kind && v.verdict == "counts")
        .unwrap_or_else(|| panic!("no counting {kind} vote of {person}"))
}

/// `verify` names each vote's kind and who made it (the cosign key id; the keyless issuer and
/// subject) where an OpenPGP line names the key, bundles as bundles; `--json` carries `kind`,
/// `bundle`, `cosign_key_id`, `issuer` and `subject` per file.
#[test]
fn verify_names_each_votes_kind_and_signer() {
    let Some((ws, world, hex, _dave)) = voted_ws() else {
        return;
    };
    let reference = format!("stagex/hello@sha256:{hex}");

    let json = ws.verify_json(&reference);
    let files = json["files"].as_array().unwrap();
    let by_path = |name: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no {name} in {json}"))
    };
    let alice = by_path("/signature-1");
    assert_eq!(alice["counts"], true, "{alice}");
    assert_eq!(alice["kind"], "cosign-key");
    assert_eq!(alice["bundle"], false);
    assert_eq!(
        alice["cosign_key_id"],
        world.people["alice"].key_id.as_str()
    );
    assert_eq!(alice["issuer"], serde_json::Value::Null);
    let (bob_subject, bob_issuer) = world.people["bob"].identity.clone().unwrap();
    let bob = by_path("/sigstore-bundle-1.json");
    assert_eq!(bob["counts"], true, "{bob}");
    assert_eq!(bob["kind"], "keyless");
    assert_eq!(bob["bundle"], true);
    assert_eq!(bob["issuer"], bob_issuer.as_str());
    assert_eq!(bob["subject"], bob_subject.as_str());
    assert_eq!(bob["cosign_key_id"], serde_json::Value::Null);
    let carol = by_path("/signature-2");
    assert_eq!(carol["kind"], "keyless", "{carol}");
    let dave_file = by_path("/signature-3");
    assert_eq!(dave_file["kind"], "openpgp", "{dave_file}");
    assert_eq!(dave_file["counts"], true, "{dave_file}");
    assert_eq!(dave_file["cosign_key_id"], serde_json::Value::Null);

    let run = ws.run(&["verify", &reference]);
    let line = |start: &str| {
        run.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no {start} line: {run:?}"))
            .to_string()
    };
    let alice = line("signature-1 ");
    assert!(
        alice.contains("alice")
            && alice.contains(&format!("cosign key {}", world.people["alice"].key_id)),
        "{alice}"
    );
    let bob = line("sigstore-bundle-1.json (bundle)");
    assert!(
        bob.contains("valid")
            && bob.contains(&format!("keyless {bob_subject}"))
            && bob.contains(&format!("issuer {bob_issuer}")),
        "{bob}"
    );
    let dave_line = line("signature-3 ");
    assert!(dave_line.contains("by primary key"), "{dave_line}");
    assert!(run.stdout.contains("4 of 4 files valid"), "{run:?}");

    // gate --json carries the same per-file fields.
    let run = ws.run(&["gate", "--json", "--threshold", "4", &reference]);
    assert_eq!(run.code, 0, "{run:?}");
    let gate: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let kinds: Vec<(&str, bool)> = gate["images"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap(), f["bundle"].as_bool().unwrap()))
        .collect();
    assert_eq!(kinds.len(), 4, "{gate}");
    for kind in [
        ("cosign-key", false),
        ("keyless", true),
        ("keyless", false),
        ("openpgp", false),
    ] {
        assert!(kinds.contains(&kind), "{kind:?}: {gate}");
    }
}

/// The audit judges a bundle as a vote of its image (no `stray-file`, no finding against it),
/// its JSON carries each vote's kind, the page labels each Sigstore vote's cell with its kind
/// (escaped like every text on it), and `--history` attributes each vote to the commit that
/// added it.
#[test]
fn audit_counts_bundles_and_the_page_shows_each_votes_kind() {
    let Some((ws, world, _hex, _dave)) = voted_ws() else {
        return;
    };
    let page = ws.path().join("audit.html");
    let run = ws.run(&[
        "audit",
        "--json",
        "--history",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let ledger: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = ledger["findings"].as_array().unwrap();
    assert!(
        findings.iter().all(|f| f["code"] != "stray-file"),
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .all(|f| !f.to_string().contains("sigstore-bundle")),
        "{findings:?}"
    );
    let image = &ledger["images"][0];
    assert_eq!(image["quorate"], true, "{image}");
    let mut signers: Vec<&str> = image["signers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    signers.sort_unstable();
    assert_eq!(signers, ["alice", "bob", "carol", "dave"], "{image}");
    let signatures = image["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 4, "{image}");
    let bundle = signatures
        .iter()
        .find(|s| s["bundle"] == true)
        .expect("the bundle is a vote of its image");
    assert_eq!(bundle["kind"], "keyless", "{bundle}");
    assert_eq!(bundle["maintainer"], "bob", "{bundle}");
    for s in signatures {
        // --history: every vote, bundle or not, is attributed to the commit that added it.
        assert!(s["commit"]["id"].is_string(), "{s}");
        assert_eq!(s["at_commit"]["counts"], true, "{s}");
    }

    let html = std::fs::read_to_string(&page).unwrap();
    let cell = |handle: &str| {
        let start = html
            .find(&format!(
                "<td class=\"cell valid\" data-maintainer=\"{handle}\""
            ))
            .unwrap_or_else(|| panic!("no valid cell for {handle}"));
        html[start..start + html[start..].find("</td>").unwrap()].to_string()
    };
    let alice = cell("alice");
    assert!(
        alice.contains(&format!(
            "<small class=\"kind\" title=\"{}\">cosign key</small>",
            world.people["alice"].key_id
        )),
        "{alice}"
    );
    let (subject, issuer) = world.people["bob"].identity.clone().unwrap();
    let bob = cell("bob");
    assert!(
        bob.contains(&format!(
            "<small class=\"kind\" title=\"{subject} ({issuer})\">keyless, bundle</small>"
        )),
        "{bob}"
    );
    assert!(
        cell("carol").contains(">keyless</small>"),
        "{}",
        cell("carol")
    );
    assert!(!cell("dave").contains("class=\"kind\""), "{}", cell("dave"));
}

/// sync carries a new bundle like a new signature: one made beside another maintainer's bundle
/// of the same number, pushed meanwhile, lands at the next free bundle number (theirs stands,
/// never overwritten), said in the commit, and counts on the remote.
#[test]
fn sync_renumbers_a_bundle_and_never_overwrites_the_remotes() {
    let Some((seed, world, hex, _dave)) = sigstore_ws() else {
        return;
    };
    commit_all(seed.path(), "workspace");
    let remote = tempfile::tempdir().unwrap();
    let url = remote.path().to_str().unwrap();
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    git(seed.path(), &["push", "-q", url, "main"]);
    let clones = tempfile::tempdir().unwrap();
    let clone = |name: &str| {
        git(clones.path(), &["clone", "-q", url, name]);
        let path = clones.path().join(name);
        git(&path, &["config", "user.name", name]);
        git(
            &path,
            &["config", "user.email", &format!("{name}@example.org")],
        );
        path
    };
    let (alice, bob) = (clone("alice"), clone("bob"));
    let bundle_1 = format!("signatures/stagex/hello@sha256={hex}/sigstore-bundle-1.json");
    let bundle_2 = format!("signatures/stagex/hello@sha256={hex}/sigstore-bundle-2.json");
    for (clone, person, kind) in [
        (&alice, "alice", "bundle-dsse-key"),
        (&bob, "bob", "bundle-dsse-keyless"),
    ] {
        let target = clone.join(&bundle_1);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&vote(&world, person, kind).path, &target).unwrap();
        commit_all(clone, &format!("{person} votes"));
    }
    let run = run_in(&alice, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    let alices = std::fs::read(alice.join(&bundle_1)).unwrap();

    let run = run_in(&bob, &["sync"]);
    assert_eq!(run.code, 0, "{run:?}");
    let fresh = clone("fresh");
    assert_eq!(std::fs::read(fresh.join(&bundle_1)).unwrap(), alices);
    assert_eq!(
        std::fs::read(fresh.join(&bundle_2)).unwrap(),
        std::fs::read(&vote(&world, "bob", "bundle-dsse-keyless").path).unwrap()
    );
    let log = git(&fresh, &["log", "-1", "--format=%B"]);
    assert!(
        log.contains(&format!(
            "Renumbered by quorate sync: {bundle_1} -> {bundle_2}"
        )),
        "{log}"
    );
    let run = run_in(
        &fresh,
        &["verify", "--json", &format!("stagex/hello@sha256:{hex}")],
    );
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let counting: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["counts"] == true && f["bundle"] == true)
        .map(|f| f["maintainer"].as_str().unwrap())
        .collect();
    assert_eq!(counting, ["alice", "bob"], "{json}");
}

/// Bundles share podman's cap: sigstore-bundle-128.json, written straight into the tree (no
/// quorate command writes one), is `beyond-limit` and never counts, where bundle 127 does.
#[test]
fn a_bundle_beyond_127_never_counts() {
    let Some((ws, world, hex, _dave)) = sigstore_ws() else {
        return;
    };
    let dir = ws.image_dir("hello", &hex);
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(&vote(&world, "alice", "bundle-dsse-key").path).unwrap();
    std::fs::write(dir.join("sigstore-bundle-127.json"), &bytes).unwrap();
    let bob = std::fs::read(&vote(&world, "bob", "bundle-dsse-keyless").path).unwrap();
    std::fs::write(dir.join("sigstore-bundle-128.json"), &bob).unwrap();
    commit_all(ws.path(), "bundles at the cap");
    let run = ws.run(&[
        "gate",
        "--json",
        "--threshold",
        "1",
        &format!("stagex/hello@sha256:{hex}"),
    ]);
    let gate: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let files = gate["images"][0]["files"].as_array().unwrap();
    let at = |n: u64| {
        files
            .iter()
            .find(|f| f["bundle"] == true && f["number"] == n)
            .unwrap_or_else(|| panic!("no bundle {n}: {gate}"))
    };
    assert_eq!(at(127)["counts"], true, "{gate}");
    let beyond = at(128);
    assert_eq!(beyond["counts"], false, "{beyond}");
    assert!(
        beyond["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "beyond-limit"),
        "{beyond}"
    );
    assert_eq!(
        gate["images"][0]["signers"],
        serde_json::json!(["alice"]),
        "{gate}"
    );
}

/// Withdrawal statements are OpenPGP-signed: alice, who also holds an OpenPGP key, withdraws her
/// own cosign-key vote with it (the file leaves, her signed statement stays, the other votes
/// count on). A person holding only Sigstore keys has no key to sign a statement with yet.
#[test]
fn an_openpgp_key_withdraws_its_holders_sigstore_vote() {
    let Some((ws, world, hex, _dave)) = voted_ws() else {
        return;
    };
    let key = TestKey::new("alice-pgp");
    ws.add_cert(&key);
    let mut text = std::fs::read_to_string(ws.path().join("MAINTAINERS")).unwrap();
    text.push_str(&format!(
        "[keys.alice.pgp]\nid = \"{}\"\n",
        key.fingerprint()
    ));
    std::fs::write(ws.path().join("MAINTAINERS"), text).unwrap();
    commit_all(ws.path(), "alice holds an OpenPGP key too");
    let secret = ws.key_file(&key);
    let reference = format!("stagex/hello@sha256:{hex}");
    let list = ws.run(&["maintainers", "list"]);
    let run = ws.run(&["withdraw", &reference, "--key", secret.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?} {list:?}");
    assert_eq!(run.code, 0, "{run:?}");
    let json = ws.verify_json(&reference);
    let alices: Vec<&serde_json::Value> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["maintainer"] == "alice")
        .collect();
    assert!(alices.is_empty(), "{json}");
    // Her signed statement names the withdrawn vote's bytes.
    let bytes = std::fs::read(&vote(&world, "alice", "legacy-key").path).unwrap();
    let statement = ws.path().join(format!(
        "signatures/.quorate/withdrawals/{}.pgp",
        quorate::ops::withdraw::content_hash(&bytes)
    ));
    assert!(statement.is_file(), "{run:?}");
    assert!(json["signers"].as_array().unwrap().len() == 3, "{json}");
}

/// A cosign private key cannot sign a withdrawal statement: withdraw says so plainly (exit 2),
/// and nothing changes.
#[test]
fn withdraw_with_a_cosign_key_is_refused_plainly() {
    let Some((ws, world, hex, _dave)) = voted_ws() else {
        return;
    };
    let (private, _, _) = &world.people["alice"].private_keys[0];
    let run = ws.run(&[
        "withdraw",
        &format!("stagex/hello@sha256:{hex}"),
        "--key",
        private.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("a cosign private key; withdrawal statements are OpenPGP-signed")
            && run.stderr.contains("cannot withdraw yet"),
        "{run:?}"
    );
    assert!(ws.image_dir("hello", &hex).join("signature-1").is_file());
}
