//! The declared consumer: the oldest containers/image (podman, skopeo, CRI-O) the images are
//! pulled with, as quorate.toml's `[consumers]` names it. What it accepts is what counts: a
//! gate that passes must mean that consumer pulls the image.
//!
//! The differences between containers/image versions that change a verdict, each checked in
//! containers/image's history:
//! - a signature made by a subkey is accepted only from 5.37 on (PR #2905, "Accept subkey
//!   signatures"); before, its key identity is the subkey's and never matches a keyring's
//!   primary fingerprints ("Signature by key … is not accepted");
//! - the lookaside limit of 128 signatures (5.24 on, `maxLookasideSignatures`): every declared
//!   range includes the versions after it, so the limit holds for every declaration;
//! - identity matching of a signature (`matchRepoDigestOrExact`, reference normalization):
//!   unchanged from 5.0 to the last commit before containers/image moved to container-libs (after
//!   5.36), save the wording of messages; `remapIdentity` (a policy's, not a signature's) exists
//!   from 5.9 on, and every release line mapped below is later.

use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::types::RevocationStatus;

/// The first containers/image that accepts signatures made by a subkey.
pub const SUBKEYS_ACCEPTED_FROM: (u32, u32) = (5, 37);

/// The first containers/image whose `sigstoreSigned` takes several keys (`keyDatas`): before it,
/// a requirement holds one cosign key, so k of M cosign-key people cannot be asked.
pub const COSIGN_KEYS_ACCEPTED_FROM: (u32, u32) = (5, 33);

/// The first containers/image whose `sigstoreSigned` checks Fulcio certificates (`fulcio`).
pub const KEYLESS_ACCEPTED_FROM: (u32, u32) = (5, 24);

/// The newest containers/image minor version quorate knows the rules of.
const NEWEST_KNOWN: u32 = 39;

/// The consumer a workspace declares it serves, as the containers/image version it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    /// containers/image's minor version (5.N).
    pub containers_image: u32,
    /// As declared: `podman 4.3.1`, `containers-image 5.23`.
    pub declared: String,
}

/// The containers/image each release line vendors (the first release of the line, from its
/// go.mod; later releases of a line vendor the same minor version or a later one).
/// (program, line major, line minor, containers/image 5.N)
const VENDORED: &[(&str, u32, u32, u32)] = &[
    ("podman", 3, 2, 12),
    ("podman", 3, 3, 15),
    ("podman", 3, 4, 16),
    ("podman", 4, 0, 19),
    ("podman", 4, 1, 21),
    ("podman", 4, 2, 22),
    ("podman", 4, 3, 23),
    ("podman", 4, 4, 24),
    ("podman", 4, 5, 25),
    ("podman", 4, 6, 26),
    ("podman", 4, 7, 28),
    ("podman", 4, 8, 29),
    ("podman", 4, 9, 29),
    ("podman", 5, 0, 30),
    ("podman", 5, 1, 31),
    ("podman", 5, 2, 32),
    ("podman", 5, 3, 33),
    ("podman", 5, 4, 34),
    ("podman", 5, 5, 35),
    ("podman", 5, 6, 36),
    ("podman", 5, 7, 38),
    ("podman", 5, 8, 39),
    ("skopeo", 1, 3, 12),
    ("skopeo", 1, 4, 15),
    ("skopeo", 1, 5, 16),
    ("skopeo", 1, 6, 19),
    ("skopeo", 1, 7, 20),
    ("skopeo", 1, 8, 21),
    ("skopeo", 1, 9, 21),
    ("skopeo", 1, 10, 23),
    ("skopeo", 1, 11, 24),
    ("skopeo", 1, 12, 25),
    ("skopeo", 1, 13, 26),
    ("skopeo", 1, 14, 29),
    ("skopeo", 1, 15, 30),
    ("skopeo", 1, 16, 32),
    ("skopeo", 1, 17, 33),
    ("skopeo", 1, 18, 34),
    ("skopeo", 1, 19, 35),
    ("skopeo", 1, 20, 36),
    ("skopeo", 1, 21, 38),
    ("skopeo", 1, 22, 39),
    ("cri-o", 1, 21, 11),
    ("cri-o", 1, 22, 15),
    ("cri-o", 1, 23, 16),
    ("cri-o", 1, 24, 17),
    ("cri-o", 1, 25, 22),
    ("cri-o", 1, 26, 23),
    ("cri-o", 1, 27, 25),
    ("cri-o", 1, 28, 27),
    ("cri-o", 1, 29, 29),
    ("cri-o", 1, 30, 29),
    ("cri-o", 1, 31, 32),
    ("cri-o", 1, 32, 33),
    ("cri-o", 1, 33, 35),
    ("cri-o", 1, 34, 36),
    ("cri-o", 1, 35, 38),
    ("cri-o", 1, 36, 38),
];

/// The programs `[consumers]` may name, in the order they are documented.
pub const PROGRAMS: [&str; 4] = ["containers-image", "podman", "skopeo", "cri-o"];

impl Consumer {
    /// The consumer `program = "version"` declares: `containers-image` names the library's
    /// version itself (5.N or 5.N.P), the others a release (X.Y or X.Y.Z) mapped to the
    /// containers/image it vendors. Errors say what is accepted.
    pub fn declared(program: &str, version: &str) -> Result<Consumer, String> {
        let parts = version_parts(version).ok_or_else(|| {
            format!("{program} = {version:?} is not a version such as \"4.3.1\" or \"4.3\"")
        })?;
        let (major, minor) = (parts[0], parts[1]);
        let containers_image = if program == "containers-image" {
            if major != 5 || minor > NEWEST_KNOWN {
                return Err(format!(
                    "containers-image = {version:?} is not a version quorate knows the rules of (5.0 to 5.{NEWEST_KNOWN})"
                ));
            }
            minor
        } else {
            let lines: Vec<_> = VENDORED.iter().filter(|v| v.0 == program).collect();
            let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
                return Err(format!(
                    "{program} = {version:?}: {program} is not a consumer quorate knows; name one of {}",
                    PROGRAMS.join(", ")
                ));
            };
            let Some(line) = lines.iter().find(|v| v.1 == major && v.2 == minor) else {
                return Err(format!(
                    "{program} = {version:?} is not a release line quorate knows ({}.{} to {}.{}); declare the containers/image it runs instead: containers-image = \"5.N\"",
                    first.1, first.2, last.1, last.2
                ));
            };
            line.3
        };
        Ok(Consumer {
            containers_image,
            declared: format!("{program} {version}"),
        })
    }

    /// True when this consumer accepts a signature made by a subkey.
    pub fn accepts_subkey_signatures(&self) -> bool {
        (5, self.containers_image) >= SUBKEYS_ACCEPTED_FROM
    }

    /// Why this consumer cannot check a Sigstore vote of this kind, None when it can: cosign
    /// keys need containers/image 5.33 (`keyDatas`), keyless identities 5.24 (`fulcio`) and an
    /// email subject (containers/image matches email SANs only).
    pub fn sigstore_refusal(&self, kind: &crate::keys::verify::SignerKind) -> Option<String> {
        use crate::keys::verify::SignerKind;
        let at = (5, self.containers_image);
        match kind {
            SignerKind::OpenPgp => None,
            SignerKind::CosignKey { .. } if at < COSIGN_KEYS_ACCEPTED_FROM => Some(format!(
                "the declared consumer {} checks no cosign key of k of M (keyDatas needs containers/image 5.33)",
                self.describe()
            )),
            SignerKind::Keyless { .. } if at < KEYLESS_ACCEPTED_FROM => Some(format!(
                "the declared consumer {} checks no keyless signature (fulcio needs containers/image 5.24)",
                self.describe()
            )),
            SignerKind::Keyless { subject, .. } if !subject.contains('@') || subject.contains(':') => {
                Some(format!(
                    "the declared consumer {} matches keyless identities by email only, and {subject} is a URI",
                    self.describe()
                ))
            }
            _ => None,
        }
    }

    /// `podman 4.3.1 (containers/image 5.23)`, for messages.
    pub fn describe(&self) -> String {
        if self.declared.starts_with("containers-image") {
            format!("containers/image 5.{}", self.containers_image)
        } else {
            format!(
                "{} (containers/image 5.{})",
                self.declared, self.containers_image
            )
        }
    }

    /// The remedy for a subkey signature this consumer refuses, for messages.
    pub fn subkey_remedy(&self) -> String {
        self.raise_remedy("sign with the primary key")
    }

    /// `first`, or raise the declaration: the two ways out of a subkey this consumer refuses.
    fn raise_remedy(&self, first: &str) -> String {
        format!(
            "{first}, or raise [consumers] in quorate.toml to containers-image = \"5.{}\" once every consumer runs it or later",
            SUBKEYS_ACCEPTED_FROM.1
        )
    }

    /// What `[consumers]` means, one line, for init and docs.
    pub fn meaning(&self) -> String {
        if self.accepts_subkey_signatures() {
            format!(
                "quorate counts the signatures {} and later accept",
                self.describe()
            )
        } else {
            format!(
                "quorate counts the signatures {} and later accept: a signature made by a subkey does not count (containers/image accepts those from 5.{} on)",
                self.describe(),
                SUBKEYS_ACCEPTED_FROM.1
            )
        }
    }
}

/// `5.23`, `5.23.1`, `v4.3.1`: the numbers, at least major and minor.
fn version_parts(text: &str) -> Option<Vec<u32>> {
    let text = text.strip_prefix('v').unwrap_or(text);
    let parts: Vec<u32> = text
        .split('.')
        .map(|p| {
            (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect::<Option<_>>()?;
    (2..=3).contains(&parts.len()).then_some(parts)
}

/// The signing subkey a certificate must sign with, as of `now`, when its primary key cannot
/// sign (not signing-capable, expired or revoked) but a subkey can: such a key makes only
/// signatures a consumer before containers/image 5.37 refuses. None when the primary key can sign
/// or nothing can.
pub fn only_subkey_signs(cert: &Cert, now: std::time::SystemTime) -> Option<openpgp::Fingerprint> {
    let policy = openpgp::policy::StandardPolicy::at(now);
    let vc = cert.with_policy(&policy, now).ok()?;
    let usable = |ka: &ValidErasedKeyAmalgamation<'_, openpgp::packet::key::PublicParts>| {
        ka.for_signing()
            && ka.alive().is_ok()
            && !matches!(ka.revocation_status(), RevocationStatus::Revoked(_))
    };
    if vc.keys().any(|ka| ka.primary() && usable(&ka)) {
        return None;
    }
    vc.keys()
        .find(|ka| !ka.primary() && usable(ka))
        .map(|ka| ka.key().fingerprint())
}

/// What to tell someone about to rely on `cert` under `consumer`: None when the consumer
/// accepts what the certificate can sign.
pub fn subkey_only_notice(
    cert: &Cert,
    consumer: &Consumer,
    now: std::time::SystemTime,
) -> Option<String> {
    if consumer.accepts_subkey_signatures() {
        return None;
    }
    let subkey = only_subkey_signs(cert, now)?;
    Some(format!(
        "only subkey {} can sign, and the declared consumer {} refuses signatures made by a subkey: nothing this key signs would count; {}",
        subkey.to_hex(),
        consumer.describe(),
        consumer.raise_remedy("give the primary key the signing capability")
    ))
}

/// `subkey_only_notice` for each certificate in `files` (certificate files about to be added or
/// imported), with its primary fingerprint: said before they are written. A file that cannot be
/// read or parsed says nothing here; the command reading it reports it.
pub fn notices_for_files(
    files: &[std::path::PathBuf],
    consumer: &Consumer,
    now: std::time::SystemTime,
) -> Vec<(String, String)> {
    files
        .iter()
        .filter_map(|file| std::fs::read(file).ok())
        .filter_map(|bytes| crate::keys::keyring::parse_certs(&bytes).ok())
        .flatten()
        .filter_map(|cert| {
            subkey_only_notice(&cert, consumer, now).map(|n| (cert.fingerprint().to_hex(), n))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_map_to_the_containers_image_they_vendor() {
        let podman = Consumer::declared("podman", "4.3.1").unwrap();
        assert_eq!(podman.containers_image, 23);
        assert!(!podman.accepts_subkey_signatures());
        assert_eq!(
            Consumer::declared("podman", "5.7")
                .unwrap()
                .containers_image,
            38
        );
        assert!(Consumer::declared("podman", "5.7.0")
            .unwrap()
            .accepts_subkey_signatures());
        assert_eq!(
            Consumer::declared("skopeo", "1.9.3")
                .unwrap()
                .containers_image,
            21
        );
        assert_eq!(
            Consumer::declared("cri-o", "1.34.1")
                .unwrap()
                .containers_image,
            36
        );
        assert!(Consumer::declared("containers-image", "5.37")
            .unwrap()
            .accepts_subkey_signatures());
        assert!(!Consumer::declared("containers-image", "5.36.1")
            .unwrap()
            .accepts_subkey_signatures());
    }

    #[test]
    fn unknown_versions_are_refused_naming_what_is_known() {
        for (program, version) in [
            ("podman", "9.1"),
            ("podman", "4"),
            ("podman", "4.3.1.2"),
            ("podman", "latest"),
            ("podman", "4.x"),
            ("containers-image", "6.1"),
            ("containers-image", "5.99"),
            ("cri-o", "1.2"),
            ("docker", "24.0"),
        ] {
            let e = Consumer::declared(program, version).unwrap_err();
            assert!(e.contains(version), "{e}");
        }
    }
}
