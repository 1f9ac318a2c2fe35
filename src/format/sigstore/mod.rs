//! Sigstore's files, parsed, nothing judged: containers/image's lookaside encoding of a cosign
//! signature (`envelope`), the Rekor log entry and its signed timestamp (`rekor`), cosign v3's
//! bundle (`bundle`), the trusted root (`trusted_root`), cosign's encrypted key file
//! (`private_key`). docs/sigstore.md has the layout quorate keeps them in.

pub mod bundle;
pub mod download;
pub(crate) mod encoding;
pub mod envelope;
pub mod pem;
pub mod private_key;
pub mod rekor;
pub mod trusted_root;
