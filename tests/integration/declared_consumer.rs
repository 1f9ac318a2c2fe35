//! Small truths of the key commands: `keyring import` of what the keyring already holds leaves
//! it untouched.

use crate::common::*;

/// `keyring import` of a certificate the keyring already holds says "unchanged" and leaves its
/// file as it was, byte for byte (here gpg's binary export, which quorate would write as armor).
#[test]
fn keyring_import_of_an_unchanged_certificate_leaves_the_file_untouched() {
    let (ws, [alice, ..]) = team();
    let file = ws.path().join("keyring/alice.asc");
    let binary = {
        use sequoia_openpgp::serialize::Serialize;
        let mut out = Vec::new();
        alice.cert.serialize(&mut out).unwrap();
        out
    };
    std::fs::write(&file, &binary).unwrap();
    commit_all(ws.path(), "workspace");
    let update = ws.path().join("alice-update.asc");
    std::fs::write(&update, alice.public()).unwrap();
    let run = ws.run(&["keyring", "import", update.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("keyring/alice.asc: unchanged"),
        "{run:?}"
    );
    assert!(
        std::fs::read(&file).unwrap() == binary,
        "keyring/alice.asc was rewritten"
    );
    assert_eq!(
        git(ws.path(), &["status", "--porcelain", "keyring"]),
        "",
        "{run:?}"
    );
    // A real update is still written.
    let mut renewed = alice.clone();
    renewed.set_expiry(Some(days(400)), std::time::SystemTime::now());
    std::fs::write(&update, renewed.public()).unwrap();
    let run = ws.run(&["keyring", "import", update.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("unchanged"), "{run:?}");
    assert_ne!(std::fs::read(&file).unwrap(), binary);
}
