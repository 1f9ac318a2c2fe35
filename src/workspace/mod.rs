//! The loaded workspace and the tree it keeps: MAINTAINERS, keyring/, quorate.toml, the
//! signatures tree and what a server publishes of it.

mod loaded;
pub mod lookaside;
mod threshold;
pub mod tree;

pub use loaded::*;
pub use threshold::Threshold;
