//! Test support: keys generated at run time with Sequoia, workspaces in temporary directories
//! with real git repositories, and the real `quorate` binary. Every helper more than one test
//! file uses lives here, by concern; the test files import `crate::common::*` and export nothing.

pub mod consumer;
pub mod failpoints;
pub mod gnupg;
pub mod keys;
pub mod net;
pub mod podman;
pub mod release;
pub mod remote;
pub mod run;
pub mod sigstore;
pub mod team;
pub mod workspace;

pub use consumer::*;
pub use failpoints::*;
pub use gnupg::*;
pub use keys::*;
pub use net::*;
pub use podman::*;
pub use release::*;
pub use remote::*;
pub use run::*;
pub use sigstore::*;
pub use team::*;
pub use workspace::*;
