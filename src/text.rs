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

/// RFC 3339 in UTC, to the second.
pub fn fmt_time(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
