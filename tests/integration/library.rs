//! A program using the library is as safe as the CLI: the trust policy (which anchor decides,
//! what a clone remembers, an unapproved trust root) lives in the library, not in the binary.

use std::time::SystemTime;

use quorate::ledger::audit::{Options, Scope};
use quorate::{Anchor, AnchorError, Classify, Fault, Standing, Verifier, Workspace};

use crate::common::*;

fn load(ws: &Ws) -> Workspace {
    Workspace::load(&quorate::WorkspaceOptions {
        dir: ws.path().to_path_buf(),
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn the_library_remembers_the_chain_and_refuses_its_deletion() {
    let (ws, _keys) = chained();
    let workspace = load(&ws);
    let verifier = Verifier::new(
        &workspace.keyring,
        &workspace.maintainers,
        SystemTime::now(),
    );
    let anchor = Anchor::resolve(&workspace, None);
    assert!(
        anchor.remembered().is_none(),
        "a new clone remembers nothing"
    );
    let standing = anchor.judge(&workspace, &verifier).unwrap();
    assert!(matches!(standing, Standing::InForce(_)), "{standing:?}");
    // Judging remembered version 1: the next resolve anchors on it.
    let anchor = Anchor::resolve(&workspace, None);
    assert_eq!(anchor.remembered().map(|r| r.version), Some(1));

    // Whoever can push deletes the chain: the library refuses, as the CLI does.
    git(ws.path(), &["rm", "-rq", "signatures/.quorate"]);
    git(ws.path(), &["commit", "-qm", "no chain"]);
    let workspace = load(&ws);
    let anchor = Anchor::resolve(&workspace, None);
    let e = anchor.judge(&workspace, &verifier).unwrap_err();
    assert!(
        matches!(e, AnchorError::Lost { no_chain: true, .. }),
        "{e:?}"
    );
    assert_eq!(e.fault(), Fault::Refused);
    assert!(
        !e.to_string().contains("--"),
        "library messages name no flag: {e}"
    );
    // A pinned anchor and the memory combine: neither replaces the other.
    let pinned = "sha256:".to_string() + &"0".repeat(64);
    let anchor = Anchor::resolve(&workspace, Some(&pinned));
    assert_eq!(anchor.remembered().map(|r| r.version), Some(1));
    assert_eq!(anchor.digest(), Some(pinned.as_str()));
}

#[test]
fn the_library_audit_reports_an_unapproved_trust_root_as_a_draft() {
    let (ws, _keys) = chained();
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "chain"]);
    // carol removed from MAINTAINERS by hand, nobody approving it.
    let maintainers = ws.path().join("MAINTAINERS");
    let text = std::fs::read_to_string(&maintainers).unwrap();
    let kept: String = text
        .split("\n[")
        .filter(|block| !block.contains("carol"))
        .collect::<Vec<_>>()
        .join("\n[");
    std::fs::write(&maintainers, kept).unwrap();
    let mut workspace = load(&ws);
    // A program that skips the root in force is refused, never given the draft's count.
    let anchor = Anchor::resolve(&workspace, None);
    let standing = {
        let verifier = Verifier::new(
            &workspace.keyring,
            &workspace.maintainers,
            SystemTime::now(),
        );
        anchor.judge(&workspace, &verifier).unwrap()
    };
    {
        let verifier = Verifier::new(
            &workspace.keyring,
            &workspace.maintainers,
            SystemTime::now(),
        );
        let options = Options {
            scope: Scope::Tree,
            maintainer: None,
            history: false,
            threshold: 2,
            accept_legacy: false,
            published: None,
            trust: standing,
        };
        let e = quorate::audit(&workspace, &verifier, &options, &|| {}).unwrap_err();
        assert!(e.to_string().contains("Anchor::decide"), "{e}");
    }
    // The root in force decides who counts: carol is still a maintainer, the edit a draft.
    let standing = Anchor::resolve(&workspace, None)
        .decide(&mut workspace, SystemTime::now())
        .unwrap();
    assert!(standing.unapproved().is_some(), "{standing:?}");
    assert!(workspace.maintainers.get("carol").is_some());
    let verifier = Verifier::new(
        &workspace.keyring,
        &workspace.maintainers,
        SystemTime::now(),
    );
    let ledger = quorate::audit(
        &workspace,
        &verifier,
        &Options {
            scope: Scope::Tree,
            maintainer: None,
            history: false,
            threshold: 2,
            accept_legacy: false,
            published: None,
            trust: standing,
        },
        &|| {},
    )
    .unwrap();
    assert_eq!(ledger.findings[0].code.code(), "trust-root-unapproved");
    assert!(
        ledger.findings[0]
            .detail
            .contains("removed maintainer carol"),
        "{:?}",
        ledger.findings[0]
    );
    // A draft is shown, not an error: it changes nothing.
    assert!(ledger.warnings >= 1);
    assert!(ledger.trust.is_some(), "the ledger carries the chain");
}

/// A sync through the library refuses, as the CLI's does, to trust the chain as found when an
/// anchor is required: before it starts, and in its report of the chain afterwards, which then
/// remembers nothing (a chain remembered as found would be the next run's anchor).
#[test]
fn the_library_sync_requires_an_anchor_when_asked() {
    let (ws, _keys) = chained();
    let mut workspace = load(&ws);
    let required = Anchor::resolve(&workspace, None).required(true);
    let e = quorate::ops::sync::decide_before_sync(&required, &mut workspace, SystemTime::now())
        .unwrap_err();
    assert!(matches!(e, AnchorError::Required), "{e:?}");
    let verifier = Verifier::new(
        &workspace.keyring,
        &workspace.maintainers,
        SystemTime::now(),
    );
    let synced = quorate::ops::sync::Synced::default();
    let report = quorate::ops::sync::chain_report(&synced, &workspace, &verifier, None, true);
    assert!(
        matches!(report.refused, Some(AnchorError::Required)),
        "{report:?}"
    );
    assert!(Anchor::resolve(&workspace, None).remembered().is_none());
    // Not required: trusted as found, and remembered.
    let report = quorate::ops::sync::chain_report(&synced, &workspace, &verifier, None, false);
    assert!(report.refused.is_none(), "{report:?}");
    let anchor = Anchor::resolve(&workspace, None);
    assert_eq!(anchor.remembered().map(|r| r.version), Some(1));
    quorate::ops::sync::decide_before_sync(
        &anchor.required(true),
        &mut workspace,
        SystemTime::now(),
    )
    .unwrap();
}

/// What `audit_into` hands on, one image at a time, is the ledger `audit` returns: the JSON
/// written as the images come is byte for byte the whole ledger's (what `audit --json` printed
/// before it streamed), and so is the page built from them; with no image too.
#[test]
fn the_streamed_ledger_is_the_whole_ledger() {
    use quorate::ledger::html::{render, Page, PageContext};
    use quorate::ledger::json::LedgerJson;

    let keys = [
        TestKey::new("alice"),
        TestKey::with_signing_subkey("bob"),
        TestKey::new("carol"),
    ];
    let ws = Team::of(keys.each_ref()).ws();
    let hex = |n: u8| format!("{:064x}", n);
    // Quorate, short, a stranger, a gap, garbage; committed in 2020, one file added after.
    for n in 1..=40u8 {
        let signer = &keys[usize::from(n % 3)];
        ws.put(
            "pallet-rust",
            &hex(n),
            1,
            &sign(signer.primary_pair(), &payload(REF, &hex(n))),
        );
        if n % 2 == 0 {
            let other = &keys[usize::from((n + 1) % 3)];
            ws.put(
                "pallet-rust",
                &hex(n),
                2,
                &sign(other.primary_pair(), &payload(REF, &hex(n))),
            );
        }
    }
    let mallory = TestKey::new("mallory");
    ws.add_cert(&mallory);
    ws.put(
        "pallet-rust",
        &hex(41),
        1,
        &sign(mallory.primary_pair(), &payload(REF, &hex(41))),
    );
    ws.put(
        "pallet-rust",
        &hex(42),
        3,
        &sign(keys[0].primary_pair(), &payload(REF, &hex(42))),
    );
    ws.put("pallet-rust", &hex(43), 1, b"not a signature");
    commit_all_at(ws.path(), "signatures", "2020-01-01T00:00:00Z");
    ws.put(
        "pallet-rust",
        &hex(1),
        2,
        &sign(keys[2].primary_pair(), &payload(REF, &hex(1))),
    );

    let mut workspace = load(&ws);
    let now = SystemTime::now();
    let standing = Anchor::resolve(&workspace, None)
        .decide(&mut workspace, now)
        .unwrap();
    let verifier = Verifier::new(&workspace.keyring, &workspace.maintainers, now);
    let context = PageContext {
        workspace: "ws".into(),
        maintainers: quorate::ledger::html::maintainers(&workspace, now),
        trust_root: vec!["the trust root".into()],
        release: Vec::new(),
    };
    for scope in [Scope::Tree, Scope::References(Vec::new())] {
        let options = Options {
            scope,
            maintainer: None,
            history: true,
            threshold: 2,
            accept_legacy: false,
            published: None,
            trust: standing.clone(),
        };
        let whole = quorate::audit(&workspace, &verifier, &options, &|| {}).unwrap();
        let printed = quorate::text::json_shown(&serde_json::to_string_pretty(&whole).unwrap())
            .into_owned()
            + "\n";

        let mut json = LedgerJson::new(Vec::new());
        let rest =
            quorate::ledger::audit::audit_into(&workspace, &verifier, &options, &|| {}, &mut json)
                .unwrap();
        assert!(rest.images.is_empty(), "the streamed ledger keeps no image");
        let streamed = String::from_utf8(json.finish(&rest).unwrap()).unwrap();
        assert_eq!(streamed, printed);

        let mut page = Page::new(&context);
        let rest =
            quorate::ledger::audit::audit_into(&workspace, &verifier, &options, &|| {}, &mut page)
                .unwrap();
        assert_eq!(page.finish(&rest), render(&whole, &context));
    }
}

/// The audit judges each file now and as of its commit with one `CheckedMessage`: what it keeps
/// (the signature's check against each key, the payload's parse) must leave every moment's
/// verdict what a fresh judgement at that moment says, for a good signature, one over a payload
/// altered after signing and one naming another image, by a key that expired between them.
#[test]
fn a_message_checked_once_is_judged_at_each_moment_as_a_fresh_one() {
    use quorate::format::message::read_signed_message;
    use quorate::format::reference::Reference;
    use quorate::keys::verify::{CheckedMessage, Expected};

    let now = SystemTime::now();
    let mut alice = TestKey::new("alice");
    let bob = TestKey::new("bob");
    // Valid for 20 of its 30 days: expired 10 days ago.
    alice.set_expiry(Some(days(20)), now - days(29));
    let ws = Ws::new(&[("alice", &[&alice]), ("bob", &[&bob])]);
    let workspace = load(&ws);
    let hex = hex_sha256(b"checked");
    let asked = Reference::parse(&reference(&hex)).unwrap();
    let expected = Expected {
        reference: Some(&asked),
        directory: None,
    };
    let made = now - days(15);
    let good = sign_at(
        alice.primary_pair(),
        &payload(REF, &hex),
        made,
        sequoia_openpgp::types::HashAlgorithm::SHA256,
    );
    let other_image = sign_at(
        alice.primary_pair(),
        &payload(REF, &hex_sha256(b"other")),
        made,
        sequoia_openpgp::types::HashAlgorithm::SHA256,
    );
    // alice's signature over a payload altered after she signed it: made by no key.
    let alice_message = read_signed_message(&good).unwrap();
    let mut altered = alice_message.clone();
    altered.payload.push(b' ');
    let moments = [now, now - days(12), made + days(1), now - days(40)];
    let said = |v: &quorate::Verdict| {
        let mut reasons: Vec<String> = v
            .problems
            .iter()
            .map(|p| p.reason.code().to_string())
            .collect();
        reasons.sort();
        (v.counts(), reasons, v.signer.maintainer.clone())
    };
    let mut kinds_seen = Vec::new();
    for message in [
        alice_message.clone(),
        read_signed_message(&other_image).unwrap(),
        altered,
    ] {
        let mut checked = CheckedMessage::new(message.clone());
        for at in moments {
            let verifier = Verifier::new(&workspace.keyring, &workspace.maintainers, at);
            let reused = verifier.verify_checked(&mut checked, &expected);
            let fresh = verifier.verify_read(&message, &expected);
            assert_eq!(said(&reused), said(&fresh), "judged at {at:?}");
            kinds_seen.push(said(&fresh));
        }
    }
    // The moments are not all alike: the test can tell a kept verdict from a judged one.
    kinds_seen.sort();
    kinds_seen.dedup();
    assert!(kinds_seen.len() >= 4, "{kinds_seen:?}");
    assert!(
        kinds_seen.iter().any(|(counts, _, _)| *counts),
        "{kinds_seen:?}"
    );
}
