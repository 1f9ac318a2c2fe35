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
    fn a_short_id_is_the_first_twelve_digits() {
        let id = "8a4bb60c1f0e2d3b4a5968778695a4b3c2d1e0f9";
        assert_eq!(short_id(id), "8a4bb60c1f0e");
        assert_eq!(short_id(git2::Oid::from_str(id).unwrap()), "8a4bb60c1f0e");
        assert_eq!(short_id("8a4bb60"), "8a4bb60");
    }
}
