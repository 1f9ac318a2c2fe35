//! The filesystem and git, below everything: confined writes, the sources read from, commits.

pub mod confine;
pub mod git;
pub mod path;
pub mod source;
