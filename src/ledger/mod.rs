//! Who signed what, when, in which commit: the audit and its JSON and HTML.

pub mod audit;
pub mod html;
pub mod json;
pub mod report;
