//! podman's policy.json, made to need k of M maintainers at pull time, and checked for how many
//! maintainers an existing one really needs.
//!
//! containers/image ANDs the requirements listed for one scope, and one `signedBy` is satisfied
//! by ONE accepted signature from its keyring: there is no count in policy.json. But "at least k
//! of the M maintainers signed" holds exactly when every group of M−k+1 maintainers holds a
//! signer. So one `signedBy` per such group, its keyring holding every certificate of the people
//! in it, makes stock podman, skopeo, buildah and CRI-O require k distinct people: C(M, k−1)
//! requirements. One person's several keys are always in the same groups, so they never count
//! twice. (docs/consumers.md)

mod check;
mod export;
mod groups;
mod image;

pub use check::{
    check, check_value, read_policy, CheckError, People, PolicyCheck, Satisfier, ScopeCheck,
    TRUST_ROOT_SCOPE,
};
pub use export::{
    export, sigstore_voters, ExportError, ExportOptions, Exported, Mirror, SigstoreVoter, Warning,
};
pub use groups::{binomial, groups, min_hitting_set, MAX_REQUIREMENTS};
pub use image::{check_image, ImageCheck, ImageOptions, RequirementVerdict, SignatureVerdict};
