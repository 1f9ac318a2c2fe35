//! Test support: keys generated at run time with Sequoia, workspaces in temporary directories
//! with real git repositories, and the real `quorate` binary.

#![allow(dead_code)]

pub mod gnupg;
pub mod keys;
pub mod net;
pub mod run;
pub mod workspace;

pub use gnupg::*;
pub use keys::*;
pub use net::*;
pub use run::*;
pub use workspace::*;
