//! Sigstore votes judged: a cosign key's or a keyless (Fulcio) identity's signature of an image
//! digest, its log entry and its certificate chain checked against the workspace's trusted root,
//! through OpenSSL (the library sequoia's backend already builds).

pub mod ecdsa;
pub mod fulcio;
pub mod material;
pub mod private_key;
pub mod rekor;
pub mod sct;
pub mod vote;
