//! The files quorate reads and writes, parsed; nothing here is judged.

pub mod digests;
pub(crate) mod gojson;
pub mod maintainers;
pub mod message;
pub mod oci;
pub mod payload;
pub mod reference;
pub mod sigstore;
pub(crate) mod toml_error;
