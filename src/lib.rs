#![warn(missing_docs)]
//! quorate: a release gate that needs a quorum. Maintainers sign container image digests into a
//! git-backed lookaside tree in the layout podman reads, and nothing is published until N
//! distinct maintainers have validly signed the same digest.
//!
//! The library knows nothing of the terminal: it never prints and never exits. The program is
//! `src/bin/quorate/` (`cli.rs` parses flags once, `commands/` calls one operation per command and
//! prints, `outcome.rs` decides the exit status). Every error says whether it is bad input or a
//! refusal ([`Fault`]); security policy (which trust root decides, what a clone remembers) lives
//! here, so a program using the library is as safe as the CLI.
//!
//! The map, one folder per layer in import order: each imports only from the layers above it
//! in this list, and nothing imports in a circle.
//!
//! - [`fs`]: path facts (`path`), every write without following a link (`confine`), the
//!   working tree or a git revision read alike (`source`), commits and locks (`git`).
//! - [`format`](mod@format): the files, parsed, nothing judged: docker references (`reference`), the signed
//!   JSON read as containers/image reads it (`payload`, with Go's JSON rules in `gojson`), the
//!   signed-message file (`message`), releases and rebuilt OCI layouts (`digests`, `oci`),
//!   MAINTAINERS (`maintainers`), TOML errors with line and caret (`toml_error`).
//! - [`keys`]: the keyring (`keyring`), `keyring check` (`findings`), import and export
//!   (`transfer`), a key's state at a moment (`keystate`), one signature's verdict (`verify`), why
//!   a signature does not count (`reason`).
//! - [`workspace`]: the loaded workspace (MAINTAINERS, keyring/, quorate.toml, [`Threshold`]),
//!   the lookaside tree (`tree`), a published lookaside read over HTTP (`lookaside`).
//! - [`judge`]: people, not files (`quorum`), what git history shows (`history`), what a
//!   server serves (`published`), the signed chain of trust roots and its anchor (`trust`),
//!   podman policies that need k of M (`policy`).
//! - [`ops`]: what people do: `sign`, `withdraw` and `repair`, `sync`, `release` and `rebuild`,
//!   `team` (init, maintainers add/remove), `trust` (propose, approve).
//! - [`ledger`]: the audit (`audit`), its JSON (`report`) and its page (`html`).
//!
//! Leaf helpers beside them: [`fault`] (what kind of failure an error is), [`text`] (plurals,
//! errors on one line, times), `codes` (stable codes defined once), `fuzz_entry` (every input,
//! for the fuzzers).
//!
//! The entry points are re-exported here.

pub(crate) mod codes;
pub mod fault;
pub mod format;
pub mod fs;
#[doc(hidden)]
pub mod fuzz_entry;
pub mod judge;
pub mod keys;
pub mod ledger;
pub mod ops;
pub mod text;
pub mod workspace;

pub use fault::{Classify, Fault};
pub use judge::policy;
pub use judge::quorum::{check_image, check_images, ImageReport};
pub use judge::trust::{Anchor, AnchorError, Chain, Standing};
pub use keys::reason::{Problem, Reason};
pub use keys::verify::{Expected, Verdict, Verifier};
pub use ledger::audit::{audit, Ledger};
pub use ops::{release, sign, sync, withdraw};
pub use text::plural;
pub use workspace::{Threshold, Workspace, WorkspaceError, WorkspaceOptions};

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
