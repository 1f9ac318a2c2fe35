//! Keys and signatures: the keyring, a key's state at a moment, one signature's verdict, and why it does not count.

pub mod consumer;
pub mod findings;
pub mod keyring;
pub mod keystate;
pub mod reason;
pub mod sigstore;
pub mod transfer;
pub mod verify;
