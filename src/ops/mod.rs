//! What people do: sign, withdraw, sync, release, set up the team.

pub mod add;
pub mod cosign;
pub mod gated;
pub mod publish;
pub mod rebuild;
pub mod release;
pub mod sign;
pub mod status;
pub mod sync;
pub mod team;
pub mod trust;
pub mod withdraw;
