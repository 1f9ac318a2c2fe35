//! One version of the trust root, its canonical bytes and its digest.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::format::maintainers::Maintainers;

/// The `type` every trust root carries, so its bytes are never mistaken for an image payload.
pub const ROOT_TYPE: &str = "quorate trust root";

/// A trust root file that is not one (exit 1: the chain is refused).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RootError(pub String);

crate::fault::always!(Refused: RootError);

/// Who counts and how many must: one version of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustRoot {
    /// Each maintainer's handle and the keys they hold: primary fingerprints (40 uppercase hex),
    /// cosign keys (`sha256:<hex>` of the DER SubjectPublicKeyInfo) and keyless identities
    /// (`keyless:<issuer> <subject>`).
    pub maintainers: BTreeMap<String, BTreeSet<String>>,
    /// The digest of the version before, `sha256:<hex>`; null for version 1.
    pub previous: Option<String>,
    /// The `sha256:<hex>` of keyring/sigstore/trusted_root.json, the Sigstore trusted root that
    /// judges keyless votes and log entries; absent when the workspace has none (and then the
    /// member is left out, so roots without one keep their bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigstore: Option<String>,
    /// Distinct maintainers required.
    pub threshold: u32,
    /// Always `quorate trust root`.
    #[serde(rename = "type")]
    pub kind: String,
    /// 1, 2, 3, …
    pub version: u32,
}

impl TrustRoot {
    /// The trust root MAINTAINERS and the threshold describe, as version `version` after
    /// `previous`.
    pub fn from_workspace(
        maintainers: &Maintainers,
        sigstore: Option<String>,
        threshold: u32,
        version: u32,
        previous: Option<String>,
    ) -> TrustRoot {
        TrustRoot {
            maintainers: people(maintainers),
            previous,
            sigstore,
            threshold,
            kind: ROOT_TYPE.to_string(),
            version,
        }
    }

    /// The canonical bytes: compact JSON, keys sorted (the struct's field order and BTreeMaps),
    /// no trailing newline. What approvals sign and what the digest is of.
    pub fn canonical(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a trust root always serializes")
    }

    /// `sha256:<hex>` of the canonical bytes.
    pub fn digest(&self) -> String {
        let hex: String = Sha256::digest(self.canonical())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("sha256:{hex}")
    }

    /// Parses a root file, which must be exactly its canonical form and well formed: a threshold
    /// of at least 1 and at most the number of maintainers (TUF's threshold-0 bug), every
    /// maintainer with a key, no key under two people.
    pub fn parse(bytes: &[u8]) -> Result<TrustRoot, RootError> {
        let root: TrustRoot = serde_json::from_slice(bytes)
            .map_err(|e| RootError(format!("not a trust root: {e}")))?;
        if root.canonical() != bytes {
            return Err(RootError(
                "not in canonical form (compact JSON, keys sorted, no trailing newline)".into(),
            ));
        }
        if root.kind != ROOT_TYPE {
            return Err(RootError(format!(
                "type is {:?}, not {ROOT_TYPE:?}",
                root.kind
            )));
        }
        if let Some(digest) = &root.sigstore {
            if !crate::format::maintainers::is_cosign_key_id(digest) {
                return Err(RootError(format!(
                    "sigstore is {digest:?}, not sha256:<64 lowercase hex>"
                )));
            }
        }
        if root.version == 0 {
            return Err(RootError("version 0: versions start at 1".into()));
        }
        if root.threshold == 0 || root.threshold as usize > root.maintainers.len() {
            return Err(RootError(format!(
                "threshold {} with {} maintainers can never mean a quorum",
                root.threshold,
                root.maintainers.len()
            )));
        }
        let mut seen = BTreeSet::new();
        for (handle, keys) in &root.maintainers {
            if keys.is_empty() {
                return Err(RootError(format!("maintainer {handle} holds no key")));
            }
            for key in keys {
                if !crate::format::maintainers::is_root_id(key) {
                    return Err(RootError(format!(
                        "{handle}: {key:?} is not a 40-hex fingerprint, a cosign key's sha256:<hex> or a keyless:<issuer> <subject>"
                    )));
                }
                if !seen.insert(key.clone()) {
                    return Err(RootError(format!(
                        "key {key} is listed under two maintainers"
                    )));
                }
            }
        }
        Ok(root)
    }

    /// The handle holding this primary fingerprint.
    pub fn holder(&self, fingerprint: &str) -> Option<&str> {
        self.maintainers
            .iter()
            .find(|(_, keys)| keys.contains(fingerprint))
            .map(|(h, _)| h.as_str())
    }

    /// True when both name the same people with the same keys and the same threshold (the
    /// version and predecessor aside).
    pub fn same_rule(&self, other: &TrustRoot) -> bool {
        self.maintainers == other.maintainers
            && self.threshold == other.threshold
            && self.sigstore == other.sigstore
    }
}

/// MAINTAINERS' people who hold at least one key, with their keys.
fn people(maintainers: &Maintainers) -> BTreeMap<String, BTreeSet<String>> {
    maintainers
        .people()
        .filter(|p| p.holds_a_key())
        .map(|p| (p.handle.clone(), p.root_ids().collect()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> TrustRoot {
        let mut maintainers = BTreeMap::new();
        maintainers.insert(
            "bob".to_string(),
            BTreeSet::from(["9A0ABFA895801E72C777842BAFCE400C56F67E7C".to_string()]),
        );
        maintainers.insert(
            "alice".to_string(),
            BTreeSet::from(["5CE71567A9683B8E4AD6F959C08CD5D16755644C".to_string()]),
        );
        TrustRoot {
            maintainers,
            previous: None,
            sigstore: None,
            threshold: 2,
            kind: ROOT_TYPE.into(),
            version: 1,
        }
    }

    #[test]
    fn canonical_form_round_trips_and_is_strict() {
        let r = root();
        let bytes = r.canonical();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            r#"{"maintainers":{"alice":["5CE71567A9683B8E4AD6F959C08CD5D16755644C"],"bob":["9A0ABFA895801E72C777842BAFCE400C56F67E7C"]},"previous":null,"threshold":2,"type":"quorate trust root","version":1}"#
        );
        assert_eq!(TrustRoot::parse(&bytes).unwrap(), r);
        assert!(r.digest().starts_with("sha256:") && r.digest().len() == 71);
        let mut spaced = bytes.clone();
        spaced.push(b'\n');
        assert!(TrustRoot::parse(&spaced).is_err());
        let mut zero = r.clone();
        zero.threshold = 0;
        assert!(TrustRoot::parse(&zero.canonical()).is_err(), "threshold 0");
        let mut over = r.clone();
        over.threshold = 3;
        assert!(
            TrustRoot::parse(&over.canonical()).is_err(),
            "threshold over M"
        );
        let mut twice = r.clone();
        twice
            .maintainers
            .get_mut("bob")
            .unwrap()
            .insert("5CE71567A9683B8E4AD6F959C08CD5D16755644C".into());
        assert!(
            TrustRoot::parse(&twice.canonical()).is_err(),
            "one key, two people"
        );
    }

    #[test]
    fn sigstore_keys_and_the_trusted_root_are_part_of_the_root() {
        let mut r = root();
        let cosign = format!("sha256:{}", "ab".repeat(32));
        r.maintainers.get_mut("bob").unwrap().insert(cosign.clone());
        r.maintainers
            .get_mut("alice")
            .unwrap()
            .insert("keyless:https://accounts.google.com alice@example.org".into());
        r.sigstore = Some(format!("sha256:{}", "cd".repeat(32)));
        let bytes = r.canonical();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.contains(&format!(
                r#""previous":null,"sigstore":"sha256:{}","threshold""#,
                "cd".repeat(32)
            )),
            "{text}"
        );
        assert_eq!(TrustRoot::parse(&bytes).unwrap(), r);
        assert_eq!(r.holder(&cosign), Some("bob"));
        // A changed trusted root is another rule.
        let mut other = r.clone();
        other.sigstore = None;
        assert!(!other.same_rule(&r));
        // Ids of no known kind, and a cosign id under two people, are refused.
        for bad in ["sha256:AB", "keyless:https://i", "keyless: a@x", "cosign:x"] {
            let mut wrong = r.clone();
            wrong.maintainers.get_mut("bob").unwrap().insert(bad.into());
            assert!(TrustRoot::parse(&wrong.canonical()).is_err(), "{bad}");
        }
        let mut twice = r.clone();
        twice.maintainers.get_mut("alice").unwrap().insert(cosign);
        assert!(TrustRoot::parse(&twice.canonical()).is_err());
    }
}
