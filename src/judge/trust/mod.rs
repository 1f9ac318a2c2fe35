//! Who decides who counts. A **trust root** is the maintainers (handles and their primary
//! fingerprints, from MAINTAINERS) and the threshold (quorate.toml). Trust roots form a chain of
//! versions kept in the signatures tree, each naming its predecessor's digest and approved, as
//! image signatures are, by people: version N+1 is in force only with the approval of
//! threshold(N) maintainers of N, threshold(N+1) of N+1, and every key it adds. A caller pins a
//! version it trusts (`--trust-anchor`), the way a TUF client ships its first root.
//! Once a version is in force, it decides who counts: the working files are a draft.
//! (docs/trust.md)

mod anchor;
mod chain;
mod deciding;
mod diff;
mod history;
mod memory;
mod root;
mod standing;

pub use anchor::{Anchor, AnchorError};
// Loading the chain, judging the standing and the clone's memory go through `Anchor`, which
// decides the anchor and remembers what it saw: not to be bypassed from outside.
pub use crate::workspace::tree::TRUST_DIR;
pub(crate) use chain::load_chain;
pub use chain::{
    approvals_needed, Approval, Chain, ChainError, Version, SIGSTORE_TRUSTED_ROOT_COPY,
};
pub use deciding::{decide, former_maintainers};
pub use diff::{diff, diff_people, with_sigstore_change, TrustChange};
pub use history::{Fate, Lost};
pub use memory::Remembered;
pub use root::{RootError, TrustRoot};
pub use standing::{working_root, Standing};
