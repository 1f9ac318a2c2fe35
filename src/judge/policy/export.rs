//! `quorate policy export`: policy.json (and registries.d) that make podman need k maintainers.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use base64::Engine as _;
use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::Serialize as _;
use openpgp::Fingerprint;
use serde_json::{json, Map, Value};

use super::check::{
    check_value, judge_entry, more_specific, recorded_version, People, TRUST_ROOT_SCOPE,
};
use super::groups::{binomial, groups, MAX_REQUIREMENTS};
use crate::keys::keystate::KeyJudge;
use crate::workspace::Workspace;

/// A scope whose images are signed under another name: `--mirror SCOPE=SIGNED_PREFIX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// Where the images are pulled from, e.g. `quay.io/stagex`.
    pub scope: String,
    /// The name the signatures carry, e.g. `docker.io/stagex`.
    pub signed_prefix: String,
}

/// What to write.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// The directory to write policy.json (and registries.d/) into; created if needed.
    pub output: PathBuf,
    /// The scopes signed under their own name; empty means the release namespace.
    pub scopes: Vec<String>,
    /// Scopes signed under another name.
    pub mirrors: Vec<Mirror>,
    /// Where podman finds the signatures (`registries.d` lookaside), if it should be written.
    pub lookaside: Option<String>,
    /// An existing policy.json to start from.
    pub merge: Option<PathBuf>,
    /// The caller's threshold; the trust root's may raise it.
    pub threshold: crate::workspace::Threshold,
    /// Replace every merged entry inside a scope written that needs fewer than k maintainers
    /// with the quorum, rather than refuse (`--replace-weaker`).
    pub replace_weaker: bool,
    /// The trust-root version in force the maintainers come from, recorded in the policy (as the
    /// scope `TRUST_ROOT_SCOPE` + N) so `policy check` can tell it is stale; None without a chain.
    pub trust_root_version: Option<u32>,
}

/// Why nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Bad input: a scope, a mirror, the file to merge (exit 2).
    #[error("{0}")]
    Input(String),
    /// The policy cannot express what is asked (exit 1): a threshold no set of maintainers can
    /// meet, more requirements than `MAX_REQUIREMENTS`, or a merged entry inside a scope written
    /// that needs fewer than k maintainers (podman would use it instead).
    #[error("{0}")]
    Refused(String),
    /// A file could not be written (exit 2).
    #[error("{}: cannot write: {message}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

impl crate::fault::Classify for ExportError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            ExportError::Refused(_) => crate::fault::Fault::Refused,
            _ => crate::fault::Fault::Input,
        }
    }
}

/// A maintainer podman may not accept, named so the release engineer knows before a pull fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// Signs only with a subkey, which the consumer named refuses (containers/image before
    /// 5.37; undeclared, Debian 12's podman 4.3.1 is assumed).
    SubkeyOnly {
        /// Who.
        who: String,
        /// The consumer that refuses their signatures, for the message.
        consumer: String,
    },
    /// No key of theirs can sign now (expired or revoked): GPGME judges expiry now, so their
    /// signatures fail at pull time.
    CannotSignNow(String),
    /// No certificate in the keyring: left out of the policy.
    NoCertificate(String),
    /// Holds Sigstore keys (cosign keys, keyless identities) podman is never asked to check:
    /// quorate exports no `sigstoreSigned` requirement (docs/consumers.md).
    SigstoreUnchecked(SigstoreVoter),
    /// Without the maintainers above, fewer than k people can satisfy the policy.
    Unreachable {
        /// Who is left.
        usable: Vec<String>,
        /// The threshold.
        threshold: u32,
        /// The consumer on which it is unreachable because subkey signers are lost too; None when
        /// it is unreachable on every podman.
        consumer: Option<String>,
    },
}

/// The consumer assumed when quorate.toml declares none: the oldest podman quorate serves.
const UNDECLARED_CONSUMER: &str = "podman before containers/image 5.37 (Debian 12's podman 4.3.1)";

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::SubkeyOnly { who, consumer } => write!(
                f,
                "{who} signs with a subkey: {consumer} rejects those signatures"
            ),
            Warning::CannotSignNow(who) => write!(
                f,
                "{who} has no key that can sign now (expired or revoked): podman judges expiry at pull time and rejects their signatures"
            ),
            Warning::NoCertificate(who) => write!(
                f,
                "{who} has no certificate in the keyring and is left out of the policy"
            ),
            Warning::SigstoreUnchecked(voter) => write!(f, "{voter}"),
            Warning::Unreachable {
                usable,
                threshold,
                consumer,
            } => write!(
                f,
                "the quorum is not reachable{}: only {} podman accepts ({}), {threshold} needed",
                match consumer {
                    Some(consumer) => format!(" on {consumer}"),
                    None => String::new(),
                },
                crate::plural(usable.len(), "maintainer"),
                if usable.is_empty() { "none".to_string() } else { usable.join(", ") }
            ),
        }
    }
}

/// A maintainer whose Sigstore votes podman cannot check, since the policy holds only `signedBy`
/// requirements: their votes count in `quorate gate`, not at pull time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SigstoreVoter {
    /// Who.
    pub who: String,
    /// The kinds of Sigstore key they hold, in words (`cosign key`, `keyless identity`).
    pub kinds: Vec<&'static str>,
    /// True when they hold no OpenPGP key: nothing they sign counts at pull time, and they are
    /// left out of the policy.
    pub only_sigstore: bool,
}

impl std::fmt::Display for SigstoreVoter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds = self.kinds.join(" and ");
        if self.only_sigstore {
            write!(
                f,
                "{} holds only a {kinds}: podman cannot check their votes (quorate exports no sigstoreSigned requirement), so they count in `quorate gate` but not at pull time; left out of the policy",
                self.who
            )
        } else {
            write!(
                f,
                "{}'s {kinds} votes are not checked by podman (quorate exports no sigstoreSigned requirement): only their OpenPGP signatures count at pull time",
                self.who
            )
        }
    }
}

/// The maintainers holding Sigstore keys, each with whether they hold an OpenPGP key too (a
/// certificate in the keyring): whose votes an exported policy leaves unchecked.
pub fn sigstore_voters(workspace: &Workspace) -> Vec<SigstoreVoter> {
    workspace
        .maintainers
        .people()
        .filter(|m| !m.sigstore.is_empty())
        .map(|m| {
            let mut kinds: Vec<&'static str> =
                m.sigstore.iter().map(|k| k.identity.kind()).collect();
            kinds.sort_unstable();
            kinds.dedup();
            SigstoreVoter {
                who: m.handle.clone(),
                kinds,
                only_sigstore: certificates(workspace, m).is_empty(),
            }
        })
        .collect()
}

/// The certificates in the keyring of the OpenPGP keys `maintainer` holds.
fn certificates<'w>(
    workspace: &'w Workspace,
    maintainer: &crate::format::maintainers::Maintainer,
) -> Vec<&'w Cert> {
    maintainer
        .keys
        .iter()
        .filter_map(|k| Fingerprint::from_hex(&k.fingerprint).ok())
        .filter_map(|f| workspace.keyring.by_primary(&f))
        .collect()
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The threshold the policy enforces.
    pub threshold: u32,
    /// The maintainers in it, by handle.
    pub maintainers: Vec<String>,
    /// The requirements written per scope.
    pub requirements: usize,
    /// The scopes written (mirrors included).
    pub scopes: Vec<String>,
    /// The files written.
    pub files: Vec<PathBuf>,
    /// Merged entries inside a scope written that needed fewer than k maintainers, replaced by
    /// the quorum (`--replace-weaker`).
    pub replaced: Vec<String>,
    /// Maintainers podman may not accept, and whether the quorum survives them.
    pub warnings: Vec<Warning>,
}

/// Writes `policy.json` (and `registries.d/quorate.yaml` with a lookaside) into the output
/// directory: for every scope, one `signedBy` per group of M−k+1 maintainers.
pub fn export(workspace: &Workspace, options: &ExportOptions) -> Result<Exported, ExportError> {
    let threshold = workspace.threshold(options.threshold);
    let mut scopes: Vec<(String, Option<String>)> = if options.scopes.is_empty() {
        vec![(workspace.namespace().to_string(), None)]
    } else {
        options.scopes.iter().map(|s| (s.clone(), None)).collect()
    };
    scopes.extend(
        options
            .mirrors
            .iter()
            .map(|m| (m.scope.clone(), Some(m.signed_prefix.clone()))),
    );
    for (scope, signed) in &scopes {
        check_scope(scope)?;
        if let Some(signed) = signed {
            check_scope(signed)?;
        }
    }

    // The people, each with every certificate they hold.
    let mut warnings = Vec::new();
    let mut people: Vec<(String, Vec<&Cert>)> = Vec::new();
    let voters = sigstore_voters(workspace);
    for maintainer in workspace.maintainers.people() {
        let certs = certificates(workspace, maintainer);
        if !certs.is_empty() {
            people.push((maintainer.handle.clone(), certs));
        } else if !voters.iter().any(|v| v.who == maintainer.handle) {
            warnings.push(Warning::NoCertificate(maintainer.handle.clone()));
        }
    }
    warnings.extend(voters.iter().cloned().map(Warning::SigstoreUnchecked));
    let m = people.len();
    if threshold as usize > m {
        let unchecked: Vec<String> = voters
            .iter()
            .filter(|v| v.only_sigstore)
            .map(|v| format!("{} ({})", v.who, v.kinds.join(" and ")))
            .collect();
        if !unchecked.is_empty() {
            let openpgp: Vec<&str> = people.iter().map(|(h, _)| h.as_str()).collect();
            return Err(ExportError::Refused(format!(
                "a threshold of {threshold} is not reachable at pull time: podman checks only OpenPGP signatures, which {} can make ({}), and cannot check the votes of {}: the exported policy would freeze releases (docs/consumers.md)",
                crate::plural(m, "maintainer"),
                if openpgp.is_empty() { "none".to_string() } else { openpgp.join(", ") },
                unchecked.join(", ")
            )));
        }
        return Err(ExportError::Refused(format!(
            "a threshold of {threshold} can never pass: the keyring holds certificates of {}",
            crate::plural(m, "maintainer")
        )));
    }
    let count = binomial(m as u64, threshold as u64 - 1);
    if count > MAX_REQUIREMENTS {
        return Err(ExportError::Refused(format!(
            "{m} maintainers at a threshold of {threshold} need {count} signedBy requirements per scope, more than the {MAX_REQUIREMENTS} quorate writes: every pull would check each against every signature (docs/consumers.md)"
        )));
    }

    warnings.extend(acceptance_warnings(
        &workspace.keyring,
        &people,
        threshold,
        workspace.consumer().as_ref(),
    ));

    let mut policy = match &options.merge {
        Some(path) => read_policy(path)?,
        None => json!({"default": [{"type": "reject"}], "transports": {}}),
    };
    let keyrings: Vec<String> = groups(m, threshold as usize)
        .iter()
        .map(|group| {
            let mut bytes = Vec::new();
            for &i in group {
                for cert in &people[i].1 {
                    // Serializing a certificate into memory cannot fail.
                    cert.serialize(&mut bytes).expect("serialize to memory");
                }
            }
            base64::engine::general_purpose::STANDARD.encode(bytes)
        })
        .collect();
    let docker = docker_transport(&mut policy, options.merge.as_deref())?;
    // The version markers of an earlier export are the old trust root's.
    docker.retain(|scope, _| recorded_version(scope).is_none());
    let written = scope_requirements(&scopes, &keyrings);
    let people_judged = People::from_maintainers(&workspace.maintainers);
    let replaced = weaker_inside(docker, &written, &people_judged, threshold, options)?;
    for (scope, requirements) in written {
        docker.insert(scope, Value::Array(requirements));
    }
    if let Some(version) = options.trust_root_version {
        docker.insert(
            format!("{TRUST_ROOT_SCOPE}{version}"),
            json!([{"type": "reject"}]),
        );
    }
    // The policy is judged as `policy check --scope` judges it before anything is written.
    judge_own_output(&policy, &scopes, &people_judged, threshold, options)?;

    // The output directory is the caller's; nothing below it is written through a link.
    let write = |dir: PathBuf, name: &str, bytes: &[u8]| -> Result<PathBuf, ExportError> {
        let path = dir.join(name);
        let fail = |e: crate::fs::confine::ConfineError| ExportError::Write {
            path: path.clone(),
            message: e.to_string(),
        };
        crate::fs::confine::output_dir(&dir)
            .map_err(fail)?
            .write_atomic(std::ffi::OsStr::new(name), bytes)
            .map_err(fail)?;
        Ok(path)
    };
    let mut text = serde_json::to_string_pretty(&policy).expect("a JSON value serializes");
    text.push('\n');
    let mut files = vec![write(
        options.output.clone(),
        "policy.json",
        text.as_bytes(),
    )?];
    if let Some(url) = &options.lookaside {
        let mut yaml = String::from(
            "# Written by `quorate policy export`: where podman, skopeo, buildah and CRI-O find the\n# signatures of these scopes (containers-registries.d(5)).\ndocker:\n",
        );
        for (scope, _) in &scopes {
            yaml.push_str(&format!(
                "  {}:\n    lookaside: {}\n",
                yaml_string(scope),
                yaml_string(url)
            ));
        }
        files.push(write(
            options.output.join("registries.d"),
            "quorate.yaml",
            yaml.as_bytes(),
        )?);
    }
    Ok(Exported {
        threshold,
        maintainers: people.into_iter().map(|(h, _)| h).collect(),
        requirements: keyrings.len(),
        scopes: scopes.into_iter().map(|(s, _)| s).collect(),
        files,
        warnings,
        replaced,
    })
}

/// The merged entries inside a scope written (more specific, so podman uses them instead) that
/// need fewer than `threshold` maintainers: replaced by that scope's requirements with
/// `replace_weaker`, else refused, each named. Returns the replaced entries.
fn weaker_inside(
    docker: &mut Map<String, Value>,
    written: &[(String, Vec<Value>)],
    people: &People,
    threshold: u32,
    options: &ExportOptions,
) -> Result<Vec<String>, ExportError> {
    let merged = options.merge.as_deref().unwrap_or(Path::new("policy.json"));
    let mut weaker: Vec<(String, String, usize)> = Vec::new();
    for (entry, requirements) in docker.iter() {
        if written.iter().any(|(scope, _)| scope == entry) {
            continue;
        }
        let Some(index) = written
            .iter()
            .position(|(scope, _)| more_specific(entry, scope))
        else {
            continue;
        };
        let described = format!("transports.docker[{entry:?}]");
        let verdict = judge_entry(entry, described, requirements, people, merged)
            .map_err(|e| ExportError::Input(e.to_string()))?;
        if !verdict.holds(threshold) {
            let needs = match verdict.min_maintainers {
                Some(n) if n > 0 => format!("needs {}", crate::plural(n, "maintainer")),
                _ => "accepts images without any maintainer's signature".to_string(),
            };
            weaker.push((entry.clone(), needs, index));
        }
    }
    if weaker.is_empty() {
        return Ok(Vec::new());
    }
    if !options.replace_weaker {
        return Err(ExportError::Refused(format!(
            "{}: {}; podman uses the most specific entry, so the quorum would not hold there; remove {} or pass --replace-weaker to replace {} with the quorum",
            merged.display(),
            weaker
                .iter()
                .map(|(entry, needs, i)| format!(
                    "{entry:?} {needs}, inside {} which is written to need {threshold}",
                    written[*i].0
                ))
                .collect::<Vec<_>>()
                .join("; "),
            if weaker.len() == 1 { "it" } else { "them" },
            if weaker.len() == 1 { "it" } else { "them" },
        )));
    }
    for (entry, _, index) in &weaker {
        docker.insert(entry.clone(), Value::Array(written[*index].1.clone()));
    }
    Ok(weaker.into_iter().map(|(entry, _, _)| entry).collect())
}

/// Each scope written with its requirements: one `signedBy` per keyring, matching the image's
/// own name, or a mirror's signed name.
fn scope_requirements(
    scopes: &[(String, Option<String>)],
    keyrings: &[String],
) -> Vec<(String, Vec<Value>)> {
    scopes
        .iter()
        .map(|(scope, signed)| {
            let identity = match signed {
                None => json!({"type": "matchRepoDigestOrExact"}),
                Some(signed) => {
                    json!({"type": "remapIdentity", "prefix": scope, "signedPrefix": signed})
                }
            };
            let requirements = keyrings
                .iter()
                .map(|data| {
                    json!({
                        "type": "signedBy",
                        "keyType": "GPGKeys",
                        "keyData": data,
                        "signedIdentity": identity,
                    })
                })
                .collect();
            (scope.clone(), requirements)
        })
        .collect()
}

/// Refuses a policy about to be written that lets any scope written through with fewer than
/// `threshold` maintainers, as `policy check --scope` judges it.
fn judge_own_output(
    policy: &Value,
    scopes: &[(String, Option<String>)],
    people_judged: &People,
    threshold: u32,
    options: &ExportOptions,
) -> Result<(), ExportError> {
    let output = options.output.join("policy.json");
    for (scope, _) in scopes {
        let judged = check_value(policy, &output, people_judged, Some(scope))
            .map_err(|e| ExportError::Refused(e.to_string()))?;
        for verdict in judged.scopes {
            if !verdict.holds(threshold) {
                return Err(ExportError::Refused(format!(
                    "the policy written would let {scope} through with {} ({}), not {threshold}: nothing written",
                    match verdict.min_maintainers {
                        Some(0) => "no maintainer's signature".to_string(),
                        Some(n) => crate::plural(n, "maintainer"),
                        None => "no image".to_string(),
                    },
                    verdict.decided_by
                )));
            }
        }
    }
    Ok(())
}

/// Who podman may not accept, and whether k people remain without them. A declared consumer
/// decides whether subkey signers count; undeclared, they are warned about as Debian 12's podman
/// 4.3.1 would refuse them.
fn acceptance_warnings(
    keyring: &crate::keys::keyring::Keyring,
    people: &[(String, Vec<&Cert>)],
    threshold: u32,
    consumer: Option<&crate::keys::consumer::Consumer>,
) -> Vec<Warning> {
    let refuser = match consumer {
        None => Some(UNDECLARED_CONSUMER.to_string()),
        Some(c) if !c.accepts_subkey_signatures() => {
            Some(format!("the declared consumer {}", c.describe()))
        }
        Some(_) => None,
    };
    let now = SystemTime::now();
    let policy = StandardPolicy::at(now);
    let judge = KeyJudge {
        keyring,
        policy: &policy,
    };
    let mut warnings = Vec::new();
    let mut usable = Vec::new();
    let mut usable_old = Vec::new();
    for (handle, certs) in people {
        let mut primary_signs = false;
        let mut subkey_signs = false;
        for cert in certs {
            let Ok(vc) = cert.with_policy(&policy, now) else {
                continue;
            };
            if judge.cert_revocation(&vc, now).is_some() {
                continue;
            }
            for ka in vc.keys().for_signing().alive().revoked(false) {
                if ka.primary() {
                    primary_signs = true;
                } else {
                    subkey_signs = true;
                }
            }
        }
        match (primary_signs, subkey_signs) {
            (false, false) => warnings.push(Warning::CannotSignNow(handle.clone())),
            (false, true) => {
                if let Some(consumer) = &refuser {
                    warnings.push(Warning::SubkeyOnly {
                        who: handle.clone(),
                        consumer: consumer.clone(),
                    });
                }
                usable.push(handle.clone());
            }
            _ => {
                usable.push(handle.clone());
                usable_old.push(handle.clone());
            }
        }
    }
    if usable.len() < threshold as usize {
        warnings.push(Warning::Unreachable {
            usable,
            threshold,
            consumer: None,
        });
    } else if let Some(consumer) = refuser.filter(|_| usable_old.len() < threshold as usize) {
        warnings.push(Warning::Unreachable {
            usable: usable_old,
            threshold,
            consumer: Some(consumer),
        });
    }
    warnings
}

/// A docker scope as policy.json names it: a host, a namespace or a repository, no tag or
/// digest, no wildcard other than a leading `*.` host.
fn check_scope(scope: &str) -> Result<(), ExportError> {
    let bad = |why: &str| Err(ExportError::Input(format!("scope {scope:?}: {why}")));
    if scope.is_empty() {
        return bad("empty");
    }
    if scope.contains('@') || scope.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("a scope names a registry, namespace or repository, without digest or spaces");
    }
    let last = scope.rsplit('/').next().unwrap_or(scope);
    if scope.contains('/') && last.contains(':') {
        return bad("a scope carries no tag");
    }
    if scope.ends_with('/') || scope.contains("//") {
        return bad("an empty path component");
    }
    Ok(())
}

/// The user's policy.json, which must be a JSON object.
fn read_policy(path: &Path) -> Result<Value, ExportError> {
    let bytes = std::fs::read(path)
        .map_err(|e| ExportError::Input(format!("{}: cannot read: {e}", path.display())))?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ExportError::Input(format!("{}: not valid JSON: {e}", path.display())))?;
    if !value.is_object() {
        return Err(ExportError::Input(format!(
            "{}: not a policy.json (the top level is not an object)",
            path.display()
        )));
    }
    Ok(value)
}

/// `transports.docker`, created when missing.
fn docker_transport<'a>(
    policy: &'a mut Value,
    merged: Option<&Path>,
) -> Result<&'a mut Map<String, Value>, ExportError> {
    let shown = || merged.map_or_else(String::new, |p| format!("{}: ", p.display()));
    let top = policy.as_object_mut().expect("checked to be an object");
    let transports = top
        .entry("transports")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| ExportError::Input(format!("{}`transports` is not an object", shown())))?;
    transports
        .entry("docker")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| {
            ExportError::Input(format!("{}`transports.docker` is not an object", shown()))
        })
}

/// A YAML double-quoted scalar (JSON's string syntax is valid YAML).
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}
