//! A TOML error shown as rustc shows one: `FILE:LINE:COLUMN: message`, then the offending line
//! and a caret under the column. toml's own rendering is several lines with its own gutter;
//! folded into one line its caret floated, so quorate builds the excerpt from the error's span.

use unicode_width::UnicodeWidthChar;

/// Where in a file a TOML error lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters (a tab or a multi-byte character is one).
    pub column: usize,
    /// The line and a caret under the column, each indented, with a leading newline: ready to
    /// follow the one-line message.
    pub excerpt: String,
}

/// The line, column and excerpt of byte `offset` in `text` (clamped to the text, and moved back
/// to a character boundary so a span inside a character never panics).
pub fn locate(text: &str, offset: usize) -> Located {
    let mut offset = offset.min(text.len());
    // toml_edit's spans can begin with the blank before a key: point at the key itself.
    while matches!(text.as_bytes().get(offset), Some(b' ' | b'\t')) {
        offset += 1;
    }
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = text[..start].matches('\n').count() + 1;
    let before = &text[start..offset];
    let column = before.chars().count() + 1;
    let source = text[start..end].trim_end_matches('\r');
    // Under each character before the column, as much blank as it takes on screen: a tab stays
    // a tab (the terminal expands both lines alike), a wide character takes two spaces.
    let marker: String = before
        .chars()
        .map(|c| match c {
            '\t' => "\t".to_string(),
            c => " ".repeat(c.width().unwrap_or(0)),
        })
        .collect();
    let number = line.to_string();
    let gutter = " ".repeat(number.len());
    Located {
        line,
        column,
        excerpt: format!("\n  {number} | {source}\n  {gutter} | {marker}^"),
    }
}

/// toml's message, which may run over several lines, as one: its lines joined with "; ".
pub fn message(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_columns_in_characters() {
        // Byte 20 is the blank before `x`, where toml_edit's spans may begin.
        let at = locate("a = 1\n\tname = \"Zoë\" x\n", 20);
        assert_eq!((at.line, at.column), (2, 15));
        assert_eq!(
            at.excerpt,
            "\n  2 | \tname = \"Zoë\" x\n    | \t             ^"
        );
    }

    #[test]
    fn wide_characters_take_two_columns_on_screen() {
        let text = "x = \"日本\" y";
        let at = locate(text, text.find('y').unwrap());
        assert_eq!(at.column, 10);
        assert!(at.excerpt.ends_with(&format!("| {}^", " ".repeat(11))));
    }

    #[test]
    fn an_offset_past_the_end_or_inside_a_character_is_clamped() {
        assert_eq!(locate("é", 1).column, 1);
        assert_eq!(locate("ab\n", 99).line, 2);
    }
}
