//! The one integration-test harness: every test runs the real `quorate` binary or library
//! against real OpenPGP keys and real git repositories.

mod common;
mod gate;
mod interop;
mod rules;
mod sign;

/// The CLI pinned case by case on the example workspace at the repository root: args, expected
/// output and exit status (tests/cmd/*.toml).
#[test]
fn cli_cases() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
mod adversarial;
mod audit;
mod crash;
mod realworld;
mod release;
