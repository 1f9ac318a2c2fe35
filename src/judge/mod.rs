//! Judging a workspace: the quorum, what history and a server show, the chain of trust roots, podman policies.

pub mod history;
pub mod policy;
pub mod published;
pub mod quorum;
pub mod trust;
