//! How every message says things: counts with their noun, errors on one line, times in UTC.
//! A leaf: it imports nothing of quorate's.

use std::time::SystemTime;

/// A count and its noun, as every message says it: "1 image", "2 images".
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `text` with every run of whitespace (newlines included) made one space.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An anyhow error and its causes on one line: `cause: its cause: …`.
pub(crate) fn error_chain(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

/// `error_chain`, with the whitespace inside each cause collapsed too.
pub(crate) fn error_line(e: &anyhow::Error) -> String {
    one_line(&error_chain(e))
}

/// Whether a terminal would act on `c` instead of showing it: a control character (C0, DEL,
/// C1: escape sequences, carriage returns, backspaces) or a character that reorders or
/// separates text (bidirectional overrides and isolates, line and paragraph separators).
pub fn is_unshowable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// `text` as it may reach a terminal: every character `is_unshowable` says a terminal acts on
/// written as `\u{…}` (`\n`, `\r` and `\t` by name), everything else as it is. What comes
/// from git, the tree, a certificate, MAINTAINERS or a server can then neither move the cursor,
/// erase or hide a line, nor reorder what is printed after it. A backslash is left as it is,
/// so escaping twice changes nothing.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unshowable) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unshowable(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// JSON text with every unshowable character that serde_json leaves raw (DEL, C1, the
/// bidirectional and separator characters; it already escapes C0) written as `\uXXXX`. Such a
/// character can only stand inside a JSON string, where `\uXXXX` is the same character, so
/// the document means exactly what it meant.
pub fn json_shown(json: &str) -> std::borrow::Cow<'_, str> {
    if !json.chars().any(is_unshowable_in_json) {
        return std::borrow::Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unshowable_in_json(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The unshowable characters that can stand raw in JSON text: all but C0 and the whitespace
/// between tokens.
fn is_unshowable_in_json(c: char) -> bool {
    is_unshowable(c) && c as u32 >= 0x20
}

/// A commit id as every message shows it: its first 12 hex digits.
pub fn short_id(id: impl std::fmt::Display) -> String {
    let id = id.to_string();
    id.get(..12).unwrap_or(&id).to_string()
}

/// RFC 3339 in UTC, to the second.
pub fn fmt_time(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unshowable_characters_are_escaped_and_escaping_twice_changes_nothing() {
        let hostile = "x\r\u{1b}[2K  signature-2  valid  bob\u{1b}[8m \u{202e}evil\u{9b}\n";
        let once = shown(hostile);
        assert_eq!(
            once,
            "x\\r\\u{1b}[2K  signature-2  valid  bob\\u{1b}[8m \\u{202e}evil\\u{9b}\\n"
        );
        assert!(!once.chars().any(is_unshowable));
        assert_eq!(shown(&once), once);
        assert_eq!(shown("山田 Zoe\u{308} ok"), "山田 Zoe\u{308} ok");
    }

    #[test]
    fn json_keeps_its_meaning_with_bidi_and_c1_escaped() {
        let value = serde_json::json!({"name": "a\u{202e}b\u{85}c\u{7f}\u{1b}"});
        let text = serde_json::to_string_pretty(&value).unwrap();
        let escaped = json_shown(&text);
        assert!(!escaped.chars().any(|c| is_unshowable(c) && c != '\n'));
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn a_short_id_is_the_first_twelve_digits() {
        let id = "8a4bb60c1f0e2d3b4a5968778695a4b3c2d1e0f9";
        assert_eq!(short_id(id), "8a4bb60c1f0e");
        assert_eq!(short_id(git2::Oid::from_str(id).unwrap()), "8a4bb60c1f0e");
        assert_eq!(short_id("8a4bb60"), "8a4bb60");
    }
}
