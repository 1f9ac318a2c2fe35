//! The loaded workspace and the tree it keeps: MAINTAINERS, keyring/, quorate.toml, the
//! signatures tree and what a server publishes of it.

mod loaded;
pub mod lookaside;
mod threshold;
pub mod tree;

pub(crate) use loaded::load_config;
pub use loaded::{
    find_from_current_dir, is_namespace, namespace_in, Config, Workspace, WorkspaceError,
    WorkspaceOptions, DEFAULT_NAMESPACE,
};
pub use threshold::Threshold;
