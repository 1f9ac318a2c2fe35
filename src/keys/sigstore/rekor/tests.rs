//! SETs and checkpoints signed by a log key made in the test; Merkle trees built here by
//! RFC 6962 §2.1's definitions (MTH and PATH), independent of the verifier's loop.

use super::*;
use crate::format::sigstore::trusted_root::Validity;
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};

fn log(start: i64, end: Option<i64>) -> (EcKey<Private>, LogKey) {
    let key = EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap();
    let der = PKey::from_ec_key(key.clone())
        .unwrap()
        .public_key_to_der()
        .unwrap();
    let log_id: [u8; 32] = Sha256::digest(&der).into();
    let log = LogKey {
        log_id,
        public_key_der: der,
        valid_for: Validity { start, end },
        base_url: "https://rekor.example.test".into(),
    };
    (key, log)
}

fn sign(key: &EcKey<Private>, message: &[u8]) -> Vec<u8> {
    EcdsaSig::sign(&Sha256::digest(message), key)
        .unwrap()
        .to_der()
        .unwrap()
}

fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

fn mth(leaves: &[Vec<u8>]) -> [u8; 32] {
    if leaves.len() == 1 {
        return leaf_hash(&leaves[0]);
    }
    let k = split(leaves.len());
    node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
}

fn path(m: usize, leaves: &[Vec<u8>]) -> Vec<[u8; 32]> {
    if leaves.len() == 1 {
        return vec![];
    }
    let k = split(leaves.len());
    if m < k {
        let mut p = path(m, &leaves[..k]);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = path(m - k, &leaves[k..]);
        p.push(mth(&leaves[..k]));
        p
    }
}

#[test]
fn set_verifies_with_the_logs_key_at_its_time() {
    let (key, rekor) = log(100, Some(2_000));
    let (_, other) = log(0, None);
    let payload = br#"{"body":"e30=","integratedTime":1000,"logID":"00","logIndex":0}"#;
    let set = sign(&key, payload);
    let tlogs = [other.clone(), rekor.clone()];
    assert_eq!(
        verify_set(&tlogs, &rekor.log_id, payload, &set, 1000),
        Ok(1)
    );
    assert!(matches!(
        verify_set(&tlogs, &rekor.log_id, b"{}", &set, 1000),
        Err(LogError::BadSignature(_))
    ));
    assert!(matches!(
        verify_set(&tlogs, &other.log_id, payload, &set, 1000),
        Err(LogError::BadSignature(_))
    ));
    assert!(matches!(
        verify_set(&tlogs, &[7; 32], payload, &set, 1000),
        Err(LogError::UnknownLog(_))
    ));
    assert!(matches!(
        verify_set(&tlogs, &rekor.log_id, payload, &set, 2_001),
        Err(LogError::LogNotValidAt { .. })
    ));
    assert!(matches!(
        verify_set(&tlogs, &rekor.log_id, payload, &set, 99),
        Err(LogError::LogNotValidAt { .. })
    ));
    let lying = LogKey {
        log_id: [9; 32],
        ..rekor.clone()
    };
    assert!(matches!(
        verify_set(&[lying], &[9; 32], payload, &set, 1000),
        Err(LogError::LogKey { .. })
    ));
}

#[test]
fn inclusion_for_every_index_of_trees_of_one_to_seven() {
    for n in 1..=7usize {
        let leaves: Vec<Vec<u8>> = (0..n).map(|i| format!("entry {i}").into_bytes()).collect();
        let root = mth(&leaves);
        for m in 0..n {
            let p = path(m, &leaves);
            let (index, size) = (m as u64, n as u64);
            assert_eq!(
                verify_inclusion(&leaves[m], index, size, &p, &root),
                Ok(()),
                "n={n} m={m}"
            );
            // Another body, another index, another size, a wrong sibling, a path cut or grown.
            assert!(verify_inclusion(b"other", index, size, &p, &root).is_err());
            if n > 1 {
                let other = (m + 1) % n;
                assert!(
                    verify_inclusion(&leaves[m], other as u64, size, &p, &root).is_err(),
                    "n={n} m={m}"
                );
            }
            // Another size: refused whenever it needs another path length (a size that
            // needs the same length is bound by the signed checkpoint, not by the path).
            for other_size in (m + 1)..=8 {
                let dummy: Vec<Vec<u8>> = (0..other_size).map(|i| vec![i as u8]).collect();
                if other_size != n && path(m, &dummy).len() != p.len() {
                    let size = other_size as u64;
                    assert!(
                        verify_inclusion(&leaves[m], index, size, &p, &root).is_err(),
                        "n={n} m={m} size={size}"
                    );
                }
            }
            for i in 0..p.len() {
                let mut bad = p.clone();
                bad[i][0] ^= 1;
                assert_eq!(
                    verify_inclusion(&leaves[m], index, size, &bad, &root),
                    Err(InclusionError::RootMismatch)
                );
            }
            let mut longer = p.clone();
            longer.push([0; 32]);
            assert!(verify_inclusion(&leaves[m], index, size, &longer, &root).is_err());
            if !p.is_empty() {
                assert!(
                    verify_inclusion(&leaves[m], index, size, &p[..p.len() - 1], &root).is_err()
                );
            }
        }
        assert!(matches!(
            verify_inclusion(&leaves[0], n as u64, n as u64, &[], &root),
            Err(InclusionError::IndexOutsideTree { .. })
        ));
    }
}

fn checkpoint(key: &EcKey<Private>, log: &LogKey, size: u64, root: &[u8; 32]) -> String {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let note = format!("rekor.example.test - 42\n{size}\n{}\n", b64(root));
    let sig = sign(key, note.as_bytes());
    let raw = [&log.log_id[..4], &sig[..]].concat();
    format!("{note}\n\u{2014} rekor.example.test {}\n", b64(&raw))
}

#[test]
fn checkpoint_signed_by_a_trusted_log_carries_the_root() {
    let (key, rekor) = log(0, None);
    let (other_key, other) = log(0, None);
    let root = [5u8; 32];
    let note = checkpoint(&key, &rekor, 7, &root);
    let tlogs = [other.clone(), rekor.clone()];
    assert_eq!(verify_checkpoint(&note, &tlogs, &root, 7), Ok(1));
    assert_eq!(
        verify_checkpoint(&note, &tlogs, &[6; 32], 7),
        Err(CheckpointError::RootMismatch)
    );
    assert_eq!(
        verify_checkpoint(&note, &tlogs, &root, 8),
        Err(CheckpointError::SizeMismatch {
            checkpoint: 7,
            proof: 8
        })
    );
    assert_eq!(
        verify_checkpoint(&note, std::slice::from_ref(&other), &root, 7),
        Err(CheckpointError::Unsigned)
    );
    // Signed by a key whose hint names a trusted log, but not that log's key.
    let forged = checkpoint(&other_key, &rekor, 7, &root);
    assert_eq!(
        verify_checkpoint(&forged, &tlogs, &root, 7),
        Err(CheckpointError::Unsigned)
    );
    // The text changed after signing.
    let changed = note.replacen("\n7\n", "\n8\n", 1);
    assert_eq!(
        verify_checkpoint(&changed, &tlogs, &root, 8),
        Err(CheckpointError::Unsigned)
    );
    // An unknown signature first, then the log's: the log's counts.
    let (stranger_key, stranger) = log(0, None);
    let extra = checkpoint(&stranger_key, &stranger, 7, &root);
    let extra_line = extra.rsplit_once("\n\n").unwrap().1;
    let (text, sigs) = note.split_once("\n\n").unwrap();
    let both = format!("{text}\n\n{extra_line}{sigs}");
    assert_eq!(verify_checkpoint(&both, &tlogs, &root, 7), Ok(1));
    for broken in [
        note.replace("\n\n", "\n"),
        note.replacen("\n7\n", "\n07\n", 1),
        note.replacen("\n7\n", "\nseven\n", 1),
        note.replace('\u{2014}', "-"),
        note.trim_end().to_string(),
        "rekor\n1\nAAAA\n\n\u{2014} r AAAAAAA=\n".to_string(),
    ] {
        assert!(
            verify_checkpoint(&broken, &tlogs, &root, 7).is_err(),
            "{broken:?}"
        );
    }
    assert_eq!(
        verify_checkpoint(&"x".repeat(MAX_CHECKPOINT + 1), &tlogs, &root, 7),
        Err(CheckpointError::TooLarge)
    );
}
