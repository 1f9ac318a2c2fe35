//! Changes to the trust root: who may sign (MAINTAINERS' people and their primary keys) and how
//! many must (quorate.toml's threshold), between two versions of it. Whoever can push to the
//! repository can change both, so a change that arrives from elsewhere is shown, never taken in
//! silently.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use crate::format::maintainers::Maintainers;

/// One change between two trust roots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum TrustChange {
    /// A person now in MAINTAINERS, with the primary fingerprints they hold.
    MaintainerAdded {
        /// Their handle.
        handle: String,
        /// Their keys, sorted.
        keys: Vec<String>,
    },
    /// A person no longer in MAINTAINERS, with the keys they held.
    MaintainerRemoved {
        /// Their handle.
        handle: String,
        /// Their keys, sorted.
        keys: Vec<String>,
    },
    /// A key added to a person listed in both.
    KeyAdded {
        /// The person.
        handle: String,
        /// The primary fingerprint.
        fingerprint: String,
    },
    /// A key taken from a person listed in both.
    KeyRemoved {
        /// The person.
        handle: String,
        /// The primary fingerprint.
        fingerprint: String,
    },
    /// keyring/sigstore/trusted_root.json changed, appeared or went (its digests; None: none).
    SigstoreRootChanged {
        /// Before.
        from: Option<String>,
        /// After.
        to: Option<String>,
    },
    /// quorate.toml's threshold changed (None: not set).
    ThresholdChanged {
        /// Before.
        from: Option<u32>,
        /// After.
        to: Option<u32>,
    },
}

/// What changed from `old` to `new`: people first (by handle, then their keys by fingerprint),
/// the threshold last. Names, emails and key labels are not compared: signatures are matched by
/// fingerprint alone, so they change nothing about who counts.
pub fn diff(
    old: &Maintainers,
    old_threshold: Option<u32>,
    new: &Maintainers,
    new_threshold: Option<u32>,
) -> Vec<TrustChange> {
    let people = |m: &Maintainers| -> BTreeMap<String, BTreeSet<String>> {
        m.people()
            .map(|p| (p.handle.clone(), p.root_ids().collect()))
            .collect()
    };
    diff_people(&people(old), old_threshold, &people(new), new_threshold)
}

/// The change of the Sigstore trusted root between two trust roots, if any (after the people,
/// before the threshold, as `diff_people` orders them).
pub fn with_sigstore_change(
    mut changes: Vec<TrustChange>,
    old: &Option<String>,
    new: &Option<String>,
) -> Vec<TrustChange> {
    if old != new {
        let at = changes
            .iter()
            .position(|c| matches!(c, TrustChange::ThresholdChanged { .. }))
            .unwrap_or(changes.len());
        changes.insert(
            at,
            TrustChange::SigstoreRootChanged {
                from: old.clone(),
                to: new.clone(),
            },
        );
    }
    changes
}

/// The same, between two maps of handle → primary fingerprints (two trust roots).
pub fn diff_people(
    old: &BTreeMap<String, BTreeSet<String>>,
    old_threshold: Option<u32>,
    new: &BTreeMap<String, BTreeSet<String>>,
    new_threshold: Option<u32>,
) -> Vec<TrustChange> {
    let handles: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut changes = Vec::new();
    for handle in handles {
        match (old.get(handle), new.get(handle)) {
            (None, Some(after)) => changes.push(TrustChange::MaintainerAdded {
                handle: handle.to_string(),
                keys: after.iter().cloned().collect(),
            }),
            (Some(before), None) => changes.push(TrustChange::MaintainerRemoved {
                handle: handle.to_string(),
                keys: before.iter().cloned().collect(),
            }),
            (Some(before), Some(after)) => {
                for fingerprint in before.difference(after) {
                    changes.push(TrustChange::KeyRemoved {
                        handle: handle.to_string(),
                        fingerprint: fingerprint.clone(),
                    });
                }
                for fingerprint in after.difference(before) {
                    changes.push(TrustChange::KeyAdded {
                        handle: handle.to_string(),
                        fingerprint: fingerprint.clone(),
                    });
                }
            }
            (None, None) => {}
        }
    }
    if old_threshold != new_threshold {
        changes.push(TrustChange::ThresholdChanged {
            from: old_threshold,
            to: new_threshold,
        });
    }
    changes
}

impl fmt::Display for TrustChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = |keys: &[String]| {
            if keys.is_empty() {
                "no keys".to_string()
            } else {
                keys.join(", ")
            }
        };
        let threshold = |t: &Option<u32>| match t {
            Some(n) => n.to_string(),
            None => format!("not set (default {})", crate::workspace::Threshold::DEFAULT),
        };
        match self {
            TrustChange::MaintainerAdded { handle, keys: k } => {
                write!(f, "added maintainer {handle} ({})", keys(k))
            }
            TrustChange::MaintainerRemoved { handle, keys: k } => {
                write!(f, "removed maintainer {handle} ({})", keys(k))
            }
            TrustChange::KeyAdded {
                handle,
                fingerprint,
            } => write!(f, "added key {fingerprint} to {handle}"),
            TrustChange::KeyRemoved {
                handle,
                fingerprint,
            } => write!(f, "removed key {fingerprint} from {handle}"),
            TrustChange::ThresholdChanged { from, to } => {
                write!(f, "threshold {} -> {}", threshold(from), threshold(to))
            }
            TrustChange::SigstoreRootChanged { from, to } => {
                let root = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".into());
                write!(f, "Sigstore trusted root {} -> {}", root(from), root(to))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const A1: &str = "6B61ECD76088748C70590D55E90A401336C8AAA9";
    const A2: &str = "C92FE5A3FBD58DD3EC5AA26BB10116B8193F2DBD";
    const B: &str = "1111111111111111111111111111111111111111";
    const C: &str = "2222222222222222222222222222222222222222";
    const M: &str = "3333333333333333333333333333333333333333";

    fn parse(text: &str) -> Maintainers {
        Maintainers::parse(Path::new("MAINTAINERS"), text.as_bytes()).unwrap()
    }

    #[test]
    fn people_keys_and_threshold_changes_are_listed() {
        let old = parse(&format!(
            "[people.alice]\nname = \"Alice\"\n[keys.alice.card]\nid = \"{A1}\"\n[keys.alice.desk]\nid = \"{A2}\"\n\
             [people.bob]\n[keys.bob.k]\nid = \"{B}\"\n[people.carol]\n[keys.carol.k]\nid = \"{C}\"\n"
        ));
        // alice loses a key, bob is gone, carol gains one (given in lowercase), mallory arrives;
        // alice's name and carol's key label change, which changes nothing about who counts.
        let new = parse(&format!(
            "[people.alice]\nname = \"Someone Else\"\n[keys.alice.card]\nid = \"{A1}\"\n\
             [people.carol]\n[keys.carol.renamed]\nid = \"{C}\"\n[keys.carol.new]\nid = \"{}\"\n\
             [people.mallory]\n[keys.mallory.k]\nid = \"{M}\"\n",
            A2.to_lowercase()
        ));
        let changes = diff(&old, Some(2), &new, Some(1));
        assert_eq!(
            changes,
            vec![
                TrustChange::KeyRemoved {
                    handle: "alice".into(),
                    fingerprint: A2.into()
                },
                TrustChange::MaintainerRemoved {
                    handle: "bob".into(),
                    keys: vec![B.into()]
                },
                TrustChange::KeyAdded {
                    handle: "carol".into(),
                    fingerprint: A2.into()
                },
                TrustChange::MaintainerAdded {
                    handle: "mallory".into(),
                    keys: vec![M.into()]
                },
                TrustChange::ThresholdChanged {
                    from: Some(2),
                    to: Some(1)
                },
            ]
        );
        let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                format!("removed key {A2} from alice"),
                "removed maintainer bob (1111111111111111111111111111111111111111)".into(),
                format!("added key {A2} to carol"),
                format!("added maintainer mallory ({M})"),
                "threshold 2 -> 1".into(),
            ]
        );
        // The other way round undoes each change.
        let back = diff(&new, Some(1), &old, Some(2));
        assert_eq!(back.len(), 5);
        assert!(back.contains(&TrustChange::MaintainerRemoved {
            handle: "mallory".into(),
            keys: vec![M.into()]
        }));
    }

    #[test]
    fn the_same_trust_root_has_no_changes() {
        let text = format!("[people.alice]\n[keys.alice.k]\nid = \"{A1}\"\n[people.nokeys]\n");
        assert_eq!(diff(&parse(&text), None, &parse(&text), None), vec![]);
        // A threshold set where none was is a change, even to the default's value.
        let set = diff(&parse(&text), None, &parse(&text), Some(2));
        assert_eq!(set.len(), 1);
        assert_eq!(set[0].to_string(), "threshold not set (default 2) -> 2");
        let added = diff(&parse(""), None, &parse("[people.nokeys]\n"), None);
        assert_eq!(added[0].to_string(), "added maintainer nokeys (no keys)");
    }
}
