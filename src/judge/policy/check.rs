//! `quorate policy check`: how many distinct maintainers an existing policy.json really needs for
//! each docker scope, and what else satisfies it.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use sequoia_openpgp as openpgp;
use serde::Serialize;
use serde_json::Value;

use super::groups::min_hitting_set;
use crate::format::maintainers::Maintainers;
use crate::keys::keyring::parse_certs;

/// The docker scope `policy export` records the trust-root version in:
/// `quorate.invalid/trust-root/version-N`, rejecting everything. containers/image refuses a
/// policy.json with any key it does not know (top level, requirement or identity), but accepts
/// every docker scope name, and `.invalid` is a domain no registry can have (RFC 2606), so the
/// entry is parsed by every podman and never decides a pull.
pub const TRUST_ROOT_SCOPE: &str = "quorate.invalid/trust-root/version-";

/// The version `scope` records, when it is the trust-root marker.
pub(super) fn recorded_version(scope: &str) -> Option<u32> {
    scope.strip_prefix(TRUST_ROOT_SCOPE)?.parse().ok()
}

/// Who counts, as the policy is judged: each person's handle and primary fingerprints
/// (uppercase hex), from the root in force or, without a chain, MAINTAINERS.
#[derive(Debug, Clone, Default)]
pub struct People(Vec<(String, Vec<String>)>);

impl People {
    /// MAINTAINERS' people.
    pub fn from_maintainers(maintainers: &Maintainers) -> People {
        People(
            maintainers
                .people()
                .map(|m| {
                    let keys = m
                        .keys
                        .iter()
                        .map(|k| k.fingerprint.to_uppercase())
                        .collect();
                    (m.handle.clone(), keys)
                })
                .collect(),
        )
    }

    /// The index of the person holding this primary fingerprint.
    fn index_of(&self, fingerprint: &str) -> Option<usize> {
        self.0
            .iter()
            .position(|(_, keys)| keys.iter().any(|k| k.eq_ignore_ascii_case(fingerprint)))
    }

    /// The handle of the person at `index`.
    pub(crate) fn handle(&self, index: usize) -> &str {
        &self.0[index].0
    }

    /// More people than a set of them fits (a `u64` of bits, one a person): not judged, the
    /// one refusal every evaluation of a policy makes first.
    pub(crate) fn refused_as_too_many(&self) -> Option<String> {
        (self.0.len() > 64).then(|| "more than 64 maintainers: not checked".to_string())
    }

    /// How many people.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The handle of whoever holds this primary fingerprint.
    pub fn holder(&self, fingerprint: &str) -> Option<&str> {
        self.index_of(fingerprint).map(|i| self.handle(i))
    }
}

/// A policy that cannot be judged (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct CheckError {
    /// The policy file, or a key file it names.
    pub path: PathBuf,
    /// What is wrong, in one line.
    pub message: String,
}

crate::fault::always!(Input: CheckError);

/// Something other than a maintainer's signature that satisfies a requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Satisfier(pub String);

/// The verdict on one scope.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeCheck {
    /// Always `docker`: the transport quorate's images are pulled through.
    pub transport: String,
    /// The scope as the policy names it (`""` for the transport's default); for `--scope`, the
    /// scope asked for.
    pub scope: String,
    /// The entry of the policy that decides it: the scope itself, a broader scope, the
    /// transport default or the policy's default.
    pub decided_by: String,
    /// The fewest distinct maintainers whose signatures satisfy every requirement (0 when it
    /// accepts without any maintainer); null when nothing satisfies it (the scope rejects all).
    pub min_maintainers: Option<usize>,
    /// A smallest set of maintainers that satisfies it.
    pub example: Vec<String>,
    /// What else satisfies one of its requirements on its own.
    pub also_satisfied_by: Vec<String>,
    /// Keys of nobody among the people judged against that satisfy a requirement (a former
    /// maintainer's, a stranger's), each `FINGERPRINT (user id)`: the policy is stale.
    pub strangers: Vec<String>,
    /// People no requirement's keyring holds a key of (when the scope has a `signedBy`): their
    /// signatures never count there, so the policy is stale.
    pub unseen: Vec<String>,
    /// With `--scope`, when entries more specific than the scope exist (a repository below a
    /// namespace, `repo:tag`, `repo@digest`): the entry podman uses for the scope itself, then
    /// each of them. podman picks the most specific, so the scope's answer (the fields above) is
    /// the weakest of all of these.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<ScopeCheck>,
}

/// A policy judged: every scope, and the trust-root version it records.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyCheck {
    /// The trust-root version `policy export` recorded in it, when it records one.
    pub made_from: Option<u32>,
    /// The scopes judged.
    pub scopes: Vec<ScopeCheck>,
}

impl ScopeCheck {
    /// True when at least `threshold` maintainers are needed (or nothing is accepted).
    pub fn holds(&self, threshold: u32) -> bool {
        self.min_maintainers.is_none_or(|n| n >= threshold as usize)
    }

    /// True when it names a key of nobody judged against, or misses someone.
    pub fn stale(&self) -> bool {
        !self.strangers.is_empty() || !self.unseen.is_empty()
    }

    /// How weak it is: the fewer maintainers needed, the weaker; accepting nothing is strongest.
    fn strength(&self) -> usize {
        self.min_maintainers.unwrap_or(usize::MAX)
    }
}

/// One requirement: which maintainers satisfy it (a bit each), and what else does.
struct Requirement {
    people: u64,
    others: Vec<String>,
    /// True for a `signedBy`.
    signed_by: bool,
    /// Keys of nobody judged against, `FINGERPRINT (user id)`.
    strangers: Vec<String>,
}

/// Checks `policy_path` against the people: every docker scope it lists, or the one asked for
/// (resolved as containers/image does: the most specific scope, then the transport default, then
/// the default) together with every entry more specific than it.
pub fn check(
    policy_path: &Path,
    people: &People,
    scope: Option<&str>,
) -> Result<PolicyCheck, CheckError> {
    let policy = read_policy(policy_path)?;
    check_value(&policy, policy_path, people, scope)
}

/// A policy.json, parsed.
pub fn read_policy(policy_path: &Path) -> Result<Value, CheckError> {
    let fail = |message: String| CheckError {
        path: policy_path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(policy_path).map_err(|e| fail(format!("cannot read: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| fail(format!("not valid JSON: {e}")))
}

/// `check` of a policy already parsed; `policy_path` names it in errors.
pub fn check_value(
    policy: &Value,
    policy_path: &Path,
    people: &People,
    scope: Option<&str>,
) -> Result<PolicyCheck, CheckError> {
    let fail = |message: String| CheckError {
        path: policy_path.to_path_buf(),
        message,
    };
    if let Some(why) = people.refused_as_too_many() {
        return Err(fail(why));
    }
    let judge = |scope: &str, decided_by: String, requirements: &Value| {
        judge_entry(scope, decided_by, requirements, people, policy_path)
    };
    let docker = policy
        .get("transports")
        .and_then(|t| t.get("docker"))
        .and_then(Value::as_object);
    let listed: Vec<(&String, &Value)> = docker
        .map(|d| {
            d.iter()
                .filter(|(s, _)| recorded_version(s).is_none())
                .collect()
        })
        .unwrap_or_default();
    let made_from = docker.and_then(|d| d.keys().filter_map(|s| recorded_version(s)).max());
    let scopes = match scope {
        Some(asked) => {
            let (decided_by, requirements) = resolve(policy, asked)
                .ok_or_else(|| fail(format!("no entry decides scope {asked:?} (no default)")))?;
            let own = judge(asked, decided_by, requirements)?;
            let mut entries = vec![own];
            for (entry, requirements) in &listed {
                if more_specific(entry, asked) {
                    entries.push(judge(entry, describe_scope(entry), requirements)?);
                }
            }
            vec![weakest(asked, entries)]
        }
        None => listed
            .iter()
            .map(|(s, v)| judge(s, describe_scope(s), v))
            .collect::<Result<_, _>>()?,
    };
    Ok(PolicyCheck { made_from, scopes })
}

/// The answer for `asked`: the weakest of the entry podman uses for it (first) and the more
/// specific ones, each kept in `entries` when there are several.
fn weakest(asked: &str, mut entries: Vec<ScopeCheck>) -> ScopeCheck {
    if entries.len() == 1 {
        return entries.pop().expect("one entry");
    }
    let weakest = entries
        .iter()
        .min_by_key(|e| e.strength())
        .expect("entries are not empty");
    let mut answer = ScopeCheck {
        scope: asked.to_string(),
        entries: Vec::new(),
        ..weakest.clone()
    };
    if weakest.scope != asked {
        answer.decided_by = format!("{}, more specific than {asked}", weakest.decided_by);
    }
    for entry in &entries {
        for stranger in &entry.strangers {
            if !answer.strangers.contains(stranger) {
                answer.strangers.push(stranger.clone());
            }
        }
        for who in &entry.unseen {
            if !answer.unseen.contains(who) {
                answer.unseen.push(who.clone());
            }
        }
    }
    answer.entries = entries;
    answer
}

/// True when podman would pick `entry` over `scope` for some image `scope` covers: a repository
/// or namespace below it, a `repo:tag` or `repo@digest` of it, a host under a `*.domain`.
pub(super) fn more_specific(entry: &str, scope: &str) -> bool {
    if entry == scope || entry.is_empty() {
        return false;
    }
    if let Some(domain) = scope.strip_prefix("*.") {
        let host = entry.split('/').next().unwrap_or(entry);
        let host = host.strip_prefix("*.").unwrap_or(host);
        return host.ends_with(&format!(".{domain}"));
    }
    if !scope.contains('/') {
        // A host (with its port): everything on it.
        return entry.starts_with(&format!("{scope}/"));
    }
    let last = scope.rsplit('/').next().unwrap_or(scope);
    if last.contains([':', '@']) {
        // A tag or digest is as specific as a scope gets.
        return false;
    }
    entry
        .strip_prefix(scope)
        .is_some_and(|rest| rest.starts_with(['/', ':', '@']))
}

/// One entry judged: the fewest people who satisfy all its requirements.
pub(super) fn judge_entry(
    scope: &str,
    decided_by: String,
    requirements: &Value,
    people: &People,
    policy_path: &Path,
) -> Result<ScopeCheck, CheckError> {
    let list = requirements.as_array().ok_or_else(|| CheckError {
        path: policy_path.to_path_buf(),
        message: format!("{decided_by}: the requirements are not a list"),
    })?;
    if list.is_empty() {
        return Err(CheckError {
            path: policy_path.to_path_buf(),
            message: format!(
                "{decided_by}: an empty list of requirements (containers/image refuses it)"
            ),
        });
    }
    let mut reqs = Vec::new();
    for (i, req) in list.iter().enumerate() {
        let at = format!("{decided_by}, requirement {}", i + 1);
        reqs.push(requirement(req, &at, people, policy_path)?);
    }
    // A requirement something else satisfies needs no maintainer.
    let sets: Vec<u64> = reqs
        .iter()
        .filter(|r| r.others.is_empty())
        .map(|r| r.people)
        .collect();
    let best = min_hitting_set(people.len(), &sets);
    let seen: u64 = reqs.iter().fold(0, |all, r| all | r.people);
    let unseen = if reqs.iter().any(|r| r.signed_by) {
        (0..people.len())
            .filter(|&i| seen & (1 << i) == 0)
            .map(|i| people.handle(i).to_string())
            .collect()
    } else {
        Vec::new()
    };
    let mut strangers: Vec<String> = Vec::new();
    for stranger in reqs.iter().flat_map(|r| &r.strangers) {
        if !strangers.contains(stranger) {
            strangers.push(stranger.clone());
        }
    }
    let mut also: Vec<String> = reqs.into_iter().flat_map(|r| r.others).collect();
    also.dedup();
    Ok(ScopeCheck {
        transport: "docker".into(),
        scope: scope.to_string(),
        decided_by,
        min_maintainers: best.as_ref().map(Vec::len),
        example: best
            .unwrap_or_default()
            .into_iter()
            .map(|i| people.handle(i).to_string())
            .collect(),
        also_satisfied_by: also,
        strangers,
        unseen,
        entries: Vec::new(),
    })
}

fn describe_scope(scope: &str) -> String {
    if scope.is_empty() {
        "transports.docker[\"\"] (the docker default)".into()
    } else {
        format!("transports.docker[{scope:?}]")
    }
}

/// The requirements that decide `scope`, as containers/image picks them: the scope itself (a
/// `repo:tag` or `repo@digest` first, then its repository), then each shorter namespace, then
/// the host, then `*.domain` wildcards, then the transport's `""`, then the policy's `default`.
pub(crate) fn resolve<'a>(policy: &'a Value, scope: &str) -> Option<(String, &'a Value)> {
    let docker = policy
        .get("transports")
        .and_then(|t| t.get("docker"))
        .and_then(Value::as_object);
    if let Some(docker) = docker {
        if let Some(v) = docker.get(scope) {
            return Some((describe_scope(scope), v));
        }
        let mut candidate = repository_of(scope);
        loop {
            if let Some(v) = docker.get(candidate) {
                return Some((describe_scope(candidate), v));
            }
            match candidate.rfind('/') {
                Some(i) => candidate = &candidate[..i],
                None => break,
            }
        }
        let host = scope.split('/').next().unwrap_or(scope);
        let mut domain = host;
        while let Some(i) = domain.find('.') {
            domain = &domain[i + 1..];
            let wildcard = format!("*.{domain}");
            if let Some(v) = docker.get(&wildcard) {
                return Some((describe_scope(&wildcard), v));
            }
        }
        if let Some(v) = docker.get("") {
            return Some((describe_scope(""), v));
        }
    }
    policy.get("default").map(|v| ("default".to_string(), v))
}

/// `scope` without its tag or digest (a host's port is kept).
fn repository_of(scope: &str) -> &str {
    let Some(slash) = scope.rfind('/') else {
        return scope;
    };
    match scope[slash..].find(['@', ':']) {
        Some(i) => &scope[..slash + i],
        None => scope,
    }
}

/// The certificates a `signedBy` names (`keyPath`, `keyPaths`, `keyData`).
pub(crate) fn signed_by_keys(
    req: &Value,
    at: &str,
    policy_path: &Path,
) -> Result<Vec<openpgp::Cert>, CheckError> {
    let fail = |message: String| CheckError {
        path: policy_path.to_path_buf(),
        message: format!("{at}: {message}"),
    };
    if req.get("keyType").and_then(Value::as_str) != Some("GPGKeys") {
        return Err(fail("signedBy with a keyType other than GPGKeys".into()));
    }
    let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
    let read = |path: &str| -> Result<(String, Vec<u8>), CheckError> {
        std::fs::read(path)
            .map(|b| (path.to_string(), b))
            .map_err(|e| CheckError {
                path: PathBuf::from(path),
                message: format!("cannot read the keyring {at} names: {e}"),
            })
    };
    if let Some(path) = req.get("keyPath").and_then(Value::as_str) {
        blobs.push(read(path)?);
    }
    if let Some(paths) = req.get("keyPaths").and_then(Value::as_array) {
        for path in paths {
            let path = path
                .as_str()
                .ok_or_else(|| fail("keyPaths holds a non-string".into()))?;
            blobs.push(read(path)?);
        }
    }
    if let Some(data) = req.get("keyData").and_then(Value::as_str) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| fail(format!("keyData is not base64: {e}")))?;
        blobs.push((format!("{at} keyData"), bytes));
    }
    if blobs.is_empty() {
        return Err(fail(
            "signedBy names no keyPath, keyPaths or keyData".into(),
        ));
    }
    let mut out = Vec::new();
    for (source, bytes) in blobs {
        out.extend(parse_certs(&bytes).map_err(|message| CheckError {
            path: PathBuf::from(&source),
            message,
        })?);
    }
    Ok(out)
}

/// A certificate as messages name it: `FINGERPRINT (first user id)`.
pub(crate) fn describe_cert(cert: &openpgp::Cert) -> String {
    format!(
        "{} ({})",
        cert.fingerprint().to_hex(),
        cert.userids()
            .next()
            .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
            .unwrap_or_default()
    )
}

fn requirement(
    req: &Value,
    at: &str,
    people: &People,
    policy_path: &Path,
) -> Result<Requirement, CheckError> {
    let fail = |message: String| CheckError {
        path: policy_path.to_path_buf(),
        message: format!("{at}: {message}"),
    };
    let typ = req
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| fail("no \"type\"".into()))?;
    let anyone = |what: &str| Requirement {
        people: 0,
        others: vec![format!("{at}: {what}")],
        signed_by: false,
        strangers: Vec::new(),
    };
    match typ {
        "insecureAcceptAnything" => Ok(anyone("insecureAcceptAnything accepts any image")),
        "signedBaseLayer" => Ok(anyone("signedBaseLayer checks no signature")),
        "sigstoreSigned" => Ok(anyone(
            "sigstoreSigned is satisfied by a sigstore key, not a maintainer's OpenPGP key",
        )),
        "reject" => Ok(Requirement {
            people: 0,
            others: Vec::new(),
            signed_by: false,
            strangers: Vec::new(),
        }),
        "signedBy" => {
            let mut out = Requirement {
                people: 0,
                others: Vec::new(),
                signed_by: true,
                strangers: Vec::new(),
            };
            for cert in signed_by_keys(req, at, policy_path)? {
                match people.index_of(&cert.fingerprint().to_hex()) {
                    Some(i) => out.people |= 1 << i,
                    None => {
                        let shown = describe_cert(&cert);
                        out.others
                            .push(format!("{at}: key {shown} belongs to no maintainer"));
                        out.strangers.push(shown);
                    }
                }
            }
            Ok(out)
        }
        other => Err(fail(format!("unknown requirement type {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Evaluating one image holds to the same bound as checking a scope: past 64 people it
    /// refuses, never overflows the set of people that sign.
    #[test]
    fn an_image_check_refuses_more_than_64_people() {
        let people = People(
            (0..65)
                .map(|i| (format!("p{i}"), vec![format!("{i:040X}")]))
                .collect(),
        );
        let reference = crate::format::reference::Reference::parse(&format!(
            "r.io/ns/img@sha256:{}",
            "a".repeat(64)
        ))
        .unwrap();
        let options = crate::judge::policy::ImageOptions {
            reference: &reference,
            served: &[],
            consumer: None,
            now: std::time::SystemTime::now(),
        };
        let policy = serde_json::json!({"default": [{"type": "insecureAcceptAnything"}]});
        let e = crate::judge::policy::check_image(&policy, Path::new("p.json"), &people, &options)
            .unwrap_err();
        assert!(e.to_string().contains("more than 64"), "{e}");
    }

    /// What podman would pick over a scope: entries below it, its tags and digests, hosts under a
    /// wildcard; never a sibling whose name merely starts the same, nor a broader entry.
    #[test]
    fn entries_more_specific_than_a_scope() {
        let below = [
            ("r.io/ns/app", "r.io/ns"),
            ("r.io/ns/app:1", "r.io/ns"),
            ("r.io/ns/app@sha256:ab", "r.io/ns/app"),
            ("r.io/ns/app:1", "r.io/ns/app"),
            ("r.io:5000/ns", "r.io:5000"),
            ("a.r.io/ns", "*.r.io"),
            ("*.a.r.io", "*.r.io"),
        ];
        for (entry, scope) in below {
            assert!(more_specific(entry, scope), "{entry} below {scope}");
        }
        let not_below = [
            ("r.io/ns", "r.io/ns"),
            ("r.io/nsx/app", "r.io/ns"),
            ("r.io/ns", "r.io/ns/app"),
            ("r.io:50001/ns", "r.io:5000"),
            ("r.io/ns/app:2", "r.io/ns/app:1"),
            ("r.io/x", "*.r.io"),
            ("", "r.io/ns"),
        ];
        for (entry, scope) in not_below {
            assert!(!more_specific(entry, scope), "{entry} not below {scope}");
        }
    }

    /// An image by tag or digest is looked up as itself, then as its repository, then upwards.
    #[test]
    fn a_tagged_scope_falls_back_to_its_repository() {
        let policy = serde_json::json!({"default": [{"type": "reject"}], "transports": {"docker": {
            "r.io:5000/ns/app": [{"type": "insecureAcceptAnything"}],
            "r.io:5000/ns/app:1": [{"type": "reject"}],
        }}});
        let found = |scope: &str| resolve(&policy, scope).unwrap().0;
        assert_eq!(
            found("r.io:5000/ns/app:1"),
            r#"transports.docker["r.io:5000/ns/app:1"]"#
        );
        assert_eq!(
            found("r.io:5000/ns/app:2"),
            r#"transports.docker["r.io:5000/ns/app"]"#
        );
        assert_eq!(
            found("r.io:5000/ns/app@sha256:ab"),
            r#"transports.docker["r.io:5000/ns/app"]"#
        );
        assert_eq!(found("r.io:5000/ns/other"), "default");
        assert_eq!(repository_of("r.io:5000"), "r.io:5000");
    }
}
