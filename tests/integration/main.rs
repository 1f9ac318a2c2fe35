//! The one integration-test harness: every test runs the real `quorate` binary or library
//! against real OpenPGP keys and real git repositories.

mod common;
mod gate;
mod interop;
mod rules;
mod sign;
