//! Notes: what stderr says that is neither the result nor a warning (where the chain was
//! verified from, progress). `--quiet` silences them, and only them, in one place.

use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);

/// Set once, from `--quiet`, before any command runs.
pub(crate) fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// True when notes are to be printed.
pub(crate) fn shown() -> bool {
    !QUIET.load(Ordering::Relaxed)
}

/// Prints a note on stderr, unless `--quiet`.
macro_rules! note {
    ($($arg:tt)*) => {
        if $crate::notes::shown() {
            eprintln!($($arg)*);
        }
    };
}
pub(crate) use note;
