//! `quorate policy check --image`: one image evaluated against a policy.json as podman pulls it by
//! digest, requirement by requirement, so a refusal such as "Invalid GPG signature:
//! gpgme.Signature{Summary:128, …}" (a valid maintainer's signature, but not from this
//! requirement's keyring) is explained by who satisfies what, and who would have to sign.

use std::path::Path;
use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;

use super::check::{describe_cert, resolve, signed_by_keys, CheckError, People};
use super::groups::min_hitting_set;
use crate::format::maintainers::Maintainers;
use crate::format::reference::Reference;
use crate::keys::keyring::Keyring;
use crate::keys::reason::Reason;
use crate::keys::verify::{identity_matches, Expected, Verifier};
use crate::workspace::lookaside::Served;

/// How the image is judged.
#[derive(Debug, Clone)]
pub struct ImageOptions<'a> {
    /// The image, `NAME[:TAG]@sha256:…`; looked up and matched as `podman pull NAME@sha256:…`.
    pub reference: &'a Reference,
    /// The signatures podman would read, in order (the lookaside's `signature-1, 2, …`).
    pub served: &'a [Served],
    /// The consumer quorate.toml declares (`Workspace::consumer`): from containers/image 5.37
    /// on it accepts subkey signatures. None judges as Debian 12's podman 4.3.1, the oldest
    /// quorate serves, which refuses them.
    pub consumer: Option<&'a crate::keys::consumer::Consumer>,
    /// When: GPGME judges expiry now.
    pub now: SystemTime,
}

/// One signature as one requirement sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureVerdict {
    /// `signature-N`.
    pub file: String,
    /// The maintainer whose key made it, when known.
    pub signer: Option<String>,
    /// True when this requirement accepts it.
    pub accepted: bool,
    /// Why not, in one line; empty when accepted.
    pub why: String,
}

/// One requirement of the entry that decides the image.
#[derive(Debug, Clone, Serialize)]
pub struct RequirementVerdict {
    /// 1, 2, … as the policy lists them.
    pub number: usize,
    /// Its `type`.
    pub kind: String,
    /// True when podman would find it satisfied.
    pub satisfied: bool,
    /// The people whose keys its keyring holds (for a `signedBy`).
    pub keyring: Vec<String>,
    /// Keys in its keyring that are nobody's among the people judged against.
    pub strangers: Vec<String>,
    /// Each signature read, as this requirement judges it (for a `signedBy`).
    pub signatures: Vec<SignatureVerdict>,
    /// Why it is not satisfied when no signature is involved (`reject`, …); empty otherwise.
    pub note: String,
}

/// The image judged.
#[derive(Debug, Clone, Serialize)]
pub struct ImageCheck {
    /// The identity podman looks the policy up with: `NAME@sha256:…`.
    pub identity: String,
    /// The entry that decides it.
    pub decided_by: String,
    /// True when podman would accept the image.
    pub accepted: bool,
    /// Every requirement of that entry; all must be satisfied.
    pub requirements: Vec<RequirementVerdict>,
    /// A smallest set of people, none of whom is accepted yet, whose signatures would satisfy every
    /// requirement not satisfied; null when no maintainer's signature can (a `reject`, a
    /// keyring of strangers only), empty when the image is accepted.
    pub would_pass_with: Option<Vec<String>>,
}

/// Evaluates the image against the policy as podman would pull it by digest.
pub fn check_image(
    policy: &Value,
    policy_path: &Path,
    people: &People,
    options: &ImageOptions,
) -> Result<ImageCheck, CheckError> {
    let fail = |message: String| CheckError {
        path: policy_path.to_path_buf(),
        message,
    };
    if let Some(why) = people.refused_as_too_many() {
        return Err(fail(why));
    }
    let asked = options.reference;
    let digest = asked
        .digest()
        .ok_or_else(|| fail("--image needs a reference with a digest".into()))?;
    let identity = format!("{}@{digest}", asked.name());
    let by_digest = Reference::with_parts(&asked.name(), None, Some(digest.clone()))
        .map_err(|e| fail(format!("{identity}: {e}")))?;
    let (decided_by, requirements) = resolve(policy, &identity)
        .ok_or_else(|| fail(format!("no entry decides {identity:?} (no default)")))?;
    let list = requirements
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| {
            fail(format!(
                "{decided_by}: not a non-empty list of requirements"
            ))
        })?;
    // Who made each signature, verified against every key the entry names, so a signature a
    // requirement's keyring does not hold is still named.
    let mut every_key = Keyring::default();
    for (i, req) in list.iter().enumerate() {
        if req.get("type").and_then(Value::as_str) == Some("signedBy") {
            let at = format!("{decided_by}, requirement {}", i + 1);
            for cert in signed_by_keys(req, &at, policy_path)? {
                every_key.insert(cert, policy_path);
            }
        }
    }
    let signers: Vec<Option<String>> = options
        .served
        .iter()
        .map(|served| signer_of(&served.bytes, &every_key, people, options.now))
        .collect();
    let mut verdicts = Vec::new();
    // Per requirement not satisfied: who among the people could satisfy it (a bit each).
    let mut wanted: Vec<u64> = Vec::new();
    for (i, req) in list.iter().enumerate() {
        let at = format!("{decided_by}, requirement {}", i + 1);
        let judged = Judged {
            image: &by_digest,
            people,
            options,
            signers: &signers,
        };
        let verdict = requirement(req, &at, i + 1, &judged, policy_path)?;
        if !verdict.satisfied {
            let mut could = 0u64;
            for who in &verdict.keyring {
                if let Some(index) = (0..people.len()).find(|&p| people.handle(p) == who) {
                    could |= 1 << index;
                }
            }
            wanted.push(could);
        }
        verdicts.push(verdict);
    }
    // Whoever has not signed yet is the one to ask; failing that, someone must sign again.
    let signed: u64 = signers
        .iter()
        .flatten()
        .filter_map(|who| (0..people.len()).find(|&p| people.handle(p) == who))
        .fold(0, |all, i| all | 1 << i);
    let fresh: Vec<u64> = wanted.iter().map(|could| could & !signed).collect();
    let would_pass_with = min_hitting_set(people.len(), &fresh)
        .or_else(|| min_hitting_set(people.len(), &wanted))
        .map(|set| {
            set.into_iter()
                .map(|i| people.handle(i).to_string())
                .collect()
        });
    Ok(ImageCheck {
        identity,
        decided_by,
        accepted: wanted.is_empty(),
        requirements: verdicts,
        would_pass_with,
    })
}

/// What every requirement is judged with.
struct Judged<'a> {
    /// The image, by digest.
    image: &'a Reference,
    people: &'a People,
    options: &'a ImageOptions<'a>,
    /// Who made each signature served, when known.
    signers: &'a [Option<String>],
}

/// The person whose key made a signature, as far as `keyring` verifies it.
fn signer_of(bytes: &[u8], keyring: &Keyring, people: &People, now: SystemTime) -> Option<String> {
    let nobody = Maintainers::default();
    let verdict = Verifier::new(keyring, &nobody, now).verify_bytes(
        bytes,
        &Expected {
            reference: None,
            directory: None,
        },
    );
    let primary = verdict.signer.primary?;
    people.holder(&primary.to_hex()).map(str::to_string)
}

fn requirement(
    req: &Value,
    at: &str,
    number: usize,
    judged: &Judged,
    policy_path: &Path,
) -> Result<RequirementVerdict, CheckError> {
    let (image, people, options) = (judged.image, judged.people, judged.options);
    let kind = req
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| CheckError {
            path: policy_path.to_path_buf(),
            message: format!("{at}: no \"type\""),
        })?
        .to_string();
    let mut verdict = RequirementVerdict {
        number,
        kind: kind.clone(),
        satisfied: false,
        keyring: Vec::new(),
        strangers: Vec::new(),
        signatures: Vec::new(),
        note: String::new(),
    };
    match kind.as_str() {
        "insecureAcceptAnything" => verdict.satisfied = true,
        "reject" => verdict.note = "rejects every image".into(),
        "signedBaseLayer" => {
            verdict.note =
                "containers/image does not implement signedBaseLayer: never satisfied".into()
        }
        "sigstoreSigned" => {
            verdict.note =
                "a sigstore signature, which quorate does not read: counted as not satisfied".into()
        }
        "signedBy" => {
            let expected = expected_identity(req, image).map_err(|message| CheckError {
                path: policy_path.to_path_buf(),
                message: format!("{at}: {message}"),
            })?;
            let mut keyring = Keyring::default();
            for cert in signed_by_keys(req, at, policy_path)? {
                match people.holder(&cert.fingerprint().to_hex()) {
                    Some(who) if !verdict.keyring.iter().any(|k| k == who) => {
                        verdict.keyring.push(who.to_string())
                    }
                    Some(_) => {}
                    None => verdict.strangers.push(describe_cert(&cert)),
                }
                keyring.insert(cert, policy_path);
            }
            for (served, signer) in options.served.iter().zip(judged.signers) {
                let mut one = signature(served, &keyring, &expected, image, options);
                one.signer = signer.clone();
                verdict.satisfied |= one.accepted;
                verdict.signatures.push(one);
            }
        }
        other => {
            return Err(CheckError {
                path: policy_path.to_path_buf(),
                message: format!("{at}: unknown requirement type {other:?}"),
            })
        }
    }
    Ok(verdict)
}

/// The reference a signature's identity is matched against: the image itself, or, for
/// `remapIdentity`, the image renamed from `prefix` to `signedPrefix`; with how to match.
enum Identity {
    /// matchRepoDigestOrExact (the default), or a remapped image matched that way.
    RepoDigestOrExact(Reference),
    /// matchRepository, or exactRepository with this repository.
    Repository(String),
    /// matchExact (never, for an image pulled by digest), or exactReference.
    Exact(Option<Reference>),
}

fn expected_identity(req: &Value, image: &Reference) -> Result<Identity, String> {
    let Some(identity) = req.get("signedIdentity") else {
        return Ok(Identity::RepoDigestOrExact(image.clone()));
    };
    let field = |name: &str| {
        identity
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("signedIdentity has no {name:?}"))
    };
    match identity.get("type").and_then(Value::as_str) {
        Some("matchRepoDigestOrExact") => Ok(Identity::RepoDigestOrExact(image.clone())),
        Some("matchRepository") => Ok(Identity::Repository(image.name())),
        Some("matchExact") => Ok(Identity::Exact(None)),
        Some("exactReference") => Reference::parse(field("dockerReference")?)
            .map(|r| Identity::Exact(Some(r)))
            .map_err(|e| format!("exactReference: {e}")),
        Some("exactRepository") => Reference::parse(field("dockerRepository")?)
            .map(|r| Identity::Repository(r.name()))
            .map_err(|e| format!("exactRepository: {e}")),
        Some("remapIdentity") => {
            let (prefix, signed) = (field("prefix")?, field("signedPrefix")?);
            let name = image.name();
            let remapped = match name.strip_prefix(prefix) {
                Some(rest) if rest.is_empty() || rest.starts_with('/') || prefix.ends_with('/') => {
                    format!("{signed}{rest}")
                }
                _ => name,
            };
            Reference::with_parts(&remapped, None, image.digest().cloned())
                .map(Identity::RepoDigestOrExact)
                .map_err(|e| format!("remapIdentity gives {remapped}: {e}"))
        }
        other => Err(format!("unknown signedIdentity type {other:?}")),
    }
}

/// One signature as a `signedBy` with this keyring judges it: it must verify against one of its
/// keys, valid now, and name the image's digest and an identity the requirement accepts.
fn signature(
    served: &Served,
    keyring: &Keyring,
    expected: &Identity,
    image: &Reference,
    options: &ImageOptions,
) -> SignatureVerdict {
    let nobody = Maintainers::default();
    let verifier = Verifier::new(keyring, &nobody, options.now);
    let verdict = verifier.verify_bytes(
        &served.bytes,
        &Expected {
            reference: None,
            directory: None,
        },
    );
    let mut why: Vec<String> = verdict
        .problems
        .iter()
        .filter(|p| p.reason.is_fault() && p.reason != Reason::NotAMaintainer)
        .map(|p| match p.reason {
            Reason::UnknownIssuer => {
                "made by a key this requirement's keyring does not hold (GPGME: \"No public key\")"
                    .to_string()
            }
            _ => p.to_string(),
        })
        .collect();
    if why.is_empty() && verdict.signer.by_subkey {
        match options.consumer {
            None => why.push(
                "made with a subkey, which containers/image before 5.37 rejects (sign with the primary key)"
                    .into(),
            ),
            Some(consumer) if !consumer.accepts_subkey_signatures() => why.push(format!(
                "made with a subkey, which the declared consumer {} rejects ({})",
                consumer.describe(),
                consumer.subkey_remedy()
            )),
            Some(_) => {}
        }
    }
    if let Some(payload) = &verdict.payload {
        if Some(&payload.digest) != image.digest() {
            why.push(format!("signs {}, not this image", payload.digest));
        } else if !identity_accepted(&payload.reference, expected) {
            why.push(format!(
                "signs {}, an identity this requirement does not accept",
                payload.reference
            ));
        }
    }
    SignatureVerdict {
        file: crate::workspace::tree::signature_file_name(served.number),
        signer: None,
        accepted: why.is_empty(),
        why: why.join("; "),
    }
}

fn identity_accepted(signed: &Reference, expected: &Identity) -> bool {
    if signed.is_name_only() {
        return false;
    }
    match expected {
        Identity::RepoDigestOrExact(image) => identity_matches(signed, image),
        Identity::Repository(name) => signed.name() == *name,
        Identity::Exact(Some(exact)) => signed == exact,
        Identity::Exact(None) => false,
    }
}
