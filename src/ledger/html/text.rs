//! Text on the page: escaped, and the meaning of each code from the shipped docs.

/// Escapes text for HTML element content and attribute values; a control character or a
/// bidirectional override (which would reorder what the page shows) is written out as
/// `\u{…}`, as the terminal shows it.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if crate::text::is_unshowable(c) => {
                out.push_str(&crate::text::shown(c.encode_utf8(&mut [0; 4])))
            }
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
    fn bidi_overrides_and_controls_are_shown_not_obeyed() {
        assert_eq!(
            esc("a\u{202e}b\u{1b}[2K\u{2066}"),
            "a\\u{202e}b\\u{1b}[2K\\u{2066}"
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
