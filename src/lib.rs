//! quorate: a release gate that needs a quorum. Maintainers sign container image digests into a
//! git-backed lookaside tree in the layout podman reads, and nothing is published until N
//! distinct maintainers have validly signed the same digest.
//!
//! The library knows nothing of the terminal; `src/main.rs` and `src/cli.rs` are the program.
//!
//! The modules, by layer (each rule lives in one obvious place):
//!
//! - **formats**: `reference` (docker references), `payload` and `gojson` (the signed JSON, read as
//!   containers/image reads it), `message` (the signed-message file), `digests` and `oci`
//!   (releases and rebuilt layouts), `maintainers` (MAINTAINERS), `toml_error` (a TOML error's
//!   line, column and caret), `report` (JSON output), `html` (the audit page).
//! - **trust**: `keyring` (certificates), `keystate` (is a key good at a moment: bindings,
//!   expiry, revocations, designated revokers), `verify` (one signature's verdict), `reason`
//!   (why a signature does not count), `quorum` (people, not files), `trust` (the signed chain of
//!   trust roots: who may sign), `policy` (podman policy.json that needs k of M).
//! - **store**: `confine` (every write, never through a link), `source` (the working tree or a git
//!   revision), `tree` (the lookaside layout), `lookaside` and `published` (what a server serves),
//!   `git` (commits and locks), `workspace` and `team` (loading and setting up a workspace).
//! - **release**: `sign`, `rebuild`, `release`, `withdraw`, `sync` (the team's daily work).
//! - **ledger**: `audit` and `history` (who signed what, when, in which commit; what history
//!   shows), `fuzz_entry` (every input, for the fuzzers).

pub(crate) mod codes;
pub mod fault;
pub mod format;
pub mod fs;
pub mod fuzz_entry;
pub mod judge;
pub mod keys;
pub mod ledger;
pub mod ops;
pub mod text;
pub mod workspace;

pub use text::plural;

/// Stops the process at a named point of a write, for the crash-safety tests. Compiled to
/// nothing unless the `failpoints` feature is on; then `QUORATE_FAILPOINT=<name>` aborts there.
#[inline]
pub(crate) fn failpoint(name: &str) {
    #[cfg(feature = "failpoints")]
    if std::env::var("QUORATE_FAILPOINT").is_ok_and(|v| v == name) {
        std::process::abort();
    }
    let _ = name;
}

/// Holds the process at a named point so a test can run another command meanwhile. Compiled to
/// nothing unless the `failpoints` feature is on; then `QUORATE_PAUSE=<name>` with
/// `QUORATE_PAUSE_FILE=<path>` creates that file there and waits (at most two minutes) until
/// the test removes it.
#[inline]
pub(crate) fn pause(name: &str) {
    #[cfg(feature = "failpoints")]
    if std::env::var("QUORATE_PAUSE").is_ok_and(|v| v == name) {
        if let Some(file) = std::env::var_os("QUORATE_PAUSE_FILE") {
            let file = std::path::PathBuf::from(file);
            // A test-only handshake file the test names; never a workspace file.
            #[allow(clippy::disallowed_methods)]
            let written = std::fs::write(&file, std::process::id().to_string()).is_ok();
            if written {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
                while file.exists() && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
            }
        }
    }
    let _ = name;
}
