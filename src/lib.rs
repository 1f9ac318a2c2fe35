//! quorate: a release gate that needs a quorum. Maintainers sign container image digests into a
//! git-backed lookaside tree in the layout podman reads, and nothing is published until N
//! distinct maintainers have validly signed the same digest.
//!
//! The library knows nothing of the terminal; `src/main.rs` and `src/cli.rs` are the program.

pub mod audit;
pub mod digests;
pub mod fuzz_entry;
pub mod git;
pub(crate) mod gojson;
pub mod history;
pub mod keyring;
pub mod maintainers;
pub mod message;
pub mod oci;
pub mod payload;
pub mod quorum;
pub mod reason;
pub mod rebuild;
pub mod reference;
pub mod release;
pub mod report;
pub mod sign;
pub mod source;
pub mod sync;
pub mod tree;
pub mod verify;
pub mod withdraw;
pub mod workspace;

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
