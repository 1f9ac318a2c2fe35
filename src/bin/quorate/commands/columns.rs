//! Text columns that line up on a terminal (the program's concern, not the library's). A column's width is counted in terminal cells
//! (unicode-width), not in bytes or characters: a handle such as `山田` takes four cells, and
//! `Zoë` (an `e` with a combining diaeresis) three, so padding by `len()` or `chars()` misaligns
//! every row after one.

use unicode_width::UnicodeWidthStr;

/// How many terminal cells `text` takes.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` followed by blanks up to `cells` terminal cells (nothing added when it is wider).
pub fn pad(text: &str, cells: usize) -> String {
    let mut out = String::with_capacity(text.len() + cells);
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', cells.saturating_sub(width(text))));
    out
}

/// Rows laid out in columns two blanks apart, each as wide as its widest cell; trailing blanks
/// trimmed, so a short last column leaves no padding behind. Each cell is measured as it will
/// be printed (escaped by the output layer), so a control character cannot shift a column.
pub fn render<const N: usize>(rows: &[[String; N]]) -> Vec<String> {
    let rows: Vec<[String; N]> = rows
        .iter()
        .map(|row| {
            row.clone()
                .map(|cell| crate::output::line(&cell).into_owned())
        })
        .collect();
    let widths: Vec<usize> = (0..N)
        .map(|i| rows.iter().map(|r| width(&r[i])).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| pad(c, *w)).collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_and_combining_characters_line_up() {
        let rows = [
            ["山田".to_string(), "x".to_string()],
            ["Zoe\u{308}".to_string(), "y".to_string()],
            ["al".to_string(), "z".to_string()],
        ];
        let lines = render(&rows);
        assert_eq!(lines, ["山田  x", "Zoe\u{308}   y", "al    z"]);
    }
}
