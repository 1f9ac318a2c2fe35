//! The audit as one self-contained HTML page: who signed what at a glance. A matrix (images ×
//! maintainers) in a real `<table>`, findings grouped by severity, each maintainer's record, a
//! timeline drawn as inline SVG, and the trust root. No network, no external asset, readable with
//! scripts off and in print; status is told by a symbol and a word as well as colour.
//!
//! Every piece of text from the tree, the keyring or MAINTAINERS goes through `esc`.

mod maintainers;
mod page;
mod text;
mod timeline;

pub use maintainers::{maintainers, Maintainer};
pub use page::{render, Page, PageContext};
pub use text::{esc, meanings};
