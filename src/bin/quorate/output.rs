//! The one place every command's printing goes through. `println!`, `eprintln!` and `writeln!`
//! are shadowed here for the whole program (this module comes first in main.rs), so every line
//! the program prints is escaped by `quorate::text::shown` after it is formatted: a name from
//! git, the tree, a certificate, MAINTAINERS or a server cannot carry a control character or
//! a bidirectional override to the terminal, whichever command prints it and however its line
//! is built. A printed line is one line: its format string holds no newline (checked when the
//! program is compiled), and a newline inside a value shows as `\n`. `print!` and `eprint!`
//! print blocks of lines (a digests file, a diff, git's own messages), and a failure's message
//! is one (a TOML error quotes the line under it): everything but their newlines and tabs is
//! escaped. JSON goes through `json`, never through these.

/// Whether a format string is one line (a `const fn`, so the check happens at compile time).
pub(crate) const fn one_line(format: &str) -> bool {
    let bytes = format.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            return false;
        }
        i += 1;
    }
    true
}

/// A formatted line as it is printed: everything a terminal would act on escaped.
pub(crate) fn line(text: &str) -> std::borrow::Cow<'_, str> {
    quorate::text::shown(text)
}

/// A formatted block as it is printed: its newlines and tabs kept (a quoted line of a file
/// keeps its caret beneath the column it points at), everything else `line` escapes escaped.
pub(crate) fn block(text: &str) -> String {
    text.split('\n')
        .map(|l| l.split('\t').map(line).collect::<Vec<_>>().join("\t"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A value as pretty JSON: serde_json escapes C0 itself; `json_shown` escapes the rest.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> String {
    let text = serde_json::to_string_pretty(value).expect("serializable");
    quorate::text::json_shown(&text).into_owned()
}

macro_rules! println {
    () => {
        std::println!()
    };
    ($format:literal $($arg:tt)*) => {{
        const { assert!($crate::output::one_line($format), "a printed line holds no newline: print each line") };
        std::println!("{}", $crate::output::line(&format!($format $($arg)*)))
    }};
}

macro_rules! eprintln {
    () => {
        std::eprintln!()
    };
    ($format:literal $($arg:tt)*) => {{
        const { assert!($crate::output::one_line($format), "a printed line holds no newline: print each line") };
        std::eprintln!("{}", $crate::output::line(&format!($format $($arg)*)))
    }};
}

macro_rules! writeln {
    ($out:expr, $format:literal $($arg:tt)*) => {{
        const { assert!($crate::output::one_line($format), "a printed line holds no newline: write each line") };
        std::writeln!($out, "{}", $crate::output::line(&format!($format $($arg)*)))
    }};
}

macro_rules! print {
    ($($arg:tt)*) => {
        std::print!("{}", $crate::output::block(&format!($($arg)*)))
    };
}

#[allow(unused_macros)]
macro_rules! eprint {
    ($($arg:tt)*) => {
        std::eprint!("{}", $crate::output::block(&format!($($arg)*)))
    };
}
