//! The audit as one self-contained HTML page: who signed what at a glance. A matrix (images ×
//! maintainers) in a real `<table>`, findings grouped by severity, each maintainer's record, a
//! timeline drawn as inline SVG, and the trust root. No network, no external asset, readable with
//! scripts off and in print; status is told by a symbol and a word as well as colour.
//!
//! Every piece of text from the tree, the keyring or MAINTAINERS goes through `esc`.

mod page;
mod timeline;

pub use page::{render, Maintainer, PageContext};

/// Escapes text for HTML element content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The meaning of each code, from the documentation tables the program ships with
/// (docs/reasons.md and docs/audit.md; tests keep them complete).
pub fn meanings() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for doc in [
        include_str!("../../../docs/reasons.md"),
        include_str!("../../../docs/audit.md"),
    ] {
        for line in doc.lines() {
            let Some(rest) = line.strip_prefix("| `") else {
                continue;
            };
            let Some((code, tail)) = rest.split_once("` |") else {
                continue;
            };
            // docs/audit.md has a severity column before the meaning.
            let cells: Vec<&str> = tail.trim_end_matches('|').split(" | ").collect();
            let meaning = cells.last().map(|m| m.trim()).unwrap_or_default();
            if !out.iter().any(|(c, _): &(String, String)| c == code) {
                out.push((code.to_string(), meaning.to_string()));
            }
        }
    }
    out
}

/// The maintainers as the page shows them: name, and their certificates' state as
/// `keyring check` judges it, plus a key that expires within 30 days.
pub fn maintainers(
    workspace: &crate::workspace::Workspace,
    now: std::time::SystemTime,
) -> Vec<Maintainer> {
    use sequoia_openpgp::policy::StandardPolicy;
    let findings = crate::keys::keyring::check(&workspace.keyring, &workspace.maintainers, now);
    let policy = StandardPolicy::at(now);
    let soon = now + std::time::Duration::from_secs(30 * 86400);
    workspace
        .maintainers
        .people()
        .map(|person| {
            let mine: Vec<_> = findings
                .iter()
                .filter(|f| f.maintainer.as_deref() == Some(person.handle.as_str()))
                .collect();
            let mut states: Vec<String> = Vec::new();
            let mut concern = mine.is_empty();
            for f in &mine {
                let short = &f.fingerprint[f.fingerprint.len().saturating_sub(16)..];
                match f.severity {
                    crate::keys::keyring::Severity::Ok => states.push(format!("{short}: good")),
                    _ => {
                        concern = true;
                        states.push(format!("{short}: {}", f.message));
                    }
                }
                let expiry = sequoia_openpgp::Fingerprint::from_hex(&f.fingerprint)
                    .ok()
                    .and_then(|fpr| workspace.keyring.by_primary(&fpr))
                    .and_then(|cert| cert.with_policy(&policy, now).ok())
                    .and_then(|vc| vc.primary_key().key_expiration_time());
                if let Some(at) = expiry.filter(|at| *at > now && *at <= soon) {
                    concern = true;
                    states.push(format!(
                        "{short}: expires soon, on {}",
                        crate::keys::verify::fmt_time(at)
                    ));
                }
            }
            if mine.is_empty() {
                states.push("no key listed".into());
            }
            Maintainer {
                handle: person.handle.clone(),
                name: person.name.clone(),
                key_state: states.join("; "),
                key_concern: concern,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            esc(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn every_reason_has_a_meaning() {
        let meanings = meanings();
        for reason in crate::keys::reason::Reason::ALL {
            assert!(
                meanings
                    .iter()
                    .any(|(c, m)| c == reason.code() && !m.is_empty()),
                "{}",
                reason.code()
            );
        }
        for code in crate::ledger::audit::AuditCode::ALL {
            assert!(
                meanings.iter().any(|(c, _)| *c == code.code()),
                "{}",
                code.code()
            );
        }
    }
}
