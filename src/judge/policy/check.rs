//! `quorate policy check`: how many distinct maintainers an existing policy.json really needs for
//! each docker scope, and what else satisfies it.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use super::groups::min_hitting_set;
use crate::format::maintainers::Maintainers;
use crate::keys::keyring::parse_certs;

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
}

impl ScopeCheck {
    /// True when at least `threshold` maintainers are needed (or nothing is accepted).
    pub fn holds(&self, threshold: u32) -> bool {
        self.min_maintainers.is_none_or(|n| n >= threshold as usize)
    }
}

/// One requirement: which maintainers satisfy it (a bit each), and what else does.
struct Requirement {
    people: u64,
    others: Vec<String>,
}

/// Checks `policy_path` against the maintainers: every docker scope it lists, or the one asked
/// for (resolved as containers/image does: the most specific scope, then the transport default,
/// then the default).
pub fn check(
    policy_path: &Path,
    maintainers: &Maintainers,
    scope: Option<&str>,
) -> Result<Vec<ScopeCheck>, CheckError> {
    let fail = |message: String| CheckError {
        path: policy_path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(policy_path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let policy: Value =
        serde_json::from_slice(&bytes).map_err(|e| fail(format!("not valid JSON: {e}")))?;
    let people: Vec<&str> = maintainers.people().map(|m| m.handle.as_str()).collect();
    if people.len() > 64 {
        return Err(fail("more than 64 maintainers: not checked".into()));
    }
    let docker = policy
        .get("transports")
        .and_then(|t| t.get("docker"))
        .and_then(Value::as_object);

    let entries: Vec<(String, String, &Value)> = match scope {
        Some(asked) => {
            let (decided_by, requirements) = resolve(&policy, asked)
                .ok_or_else(|| fail(format!("no entry decides scope {asked:?} (no default)")))?;
            vec![(asked.to_string(), decided_by, requirements)]
        }
        None => docker
            .map(|d| {
                d.iter()
                    .map(|(s, v)| (s.clone(), describe_scope(s), v))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut out = Vec::new();
    for (scope, decided_by, requirements) in entries {
        let list = requirements
            .as_array()
            .ok_or_else(|| fail(format!("{decided_by}: the requirements are not a list")))?;
        if list.is_empty() {
            return Err(fail(format!(
                "{decided_by}: an empty list of requirements (containers/image refuses it)"
            )));
        }
        let mut reqs = Vec::new();
        for (i, req) in list.iter().enumerate() {
            let at = format!("{decided_by}, requirement {}", i + 1);
            reqs.push(requirement(req, &at, maintainers, &people, policy_path)?);
        }
        // A requirement something else satisfies needs no maintainer.
        let sets: Vec<u64> = reqs
            .iter()
            .filter(|r| r.others.is_empty())
            .map(|r| r.people)
            .collect();
        let best = min_hitting_set(people.len(), &sets);
        let mut also: Vec<String> = reqs.into_iter().flat_map(|r| r.others).collect();
        also.dedup();
        out.push(ScopeCheck {
            transport: "docker".into(),
            scope,
            decided_by,
            min_maintainers: best.as_ref().map(Vec::len),
            example: best
                .unwrap_or_default()
                .into_iter()
                .map(|i| people[i].to_string())
                .collect(),
            also_satisfied_by: also,
        });
    }
    Ok(out)
}

fn describe_scope(scope: &str) -> String {
    if scope.is_empty() {
        "transports.docker[\"\"] (the docker default)".into()
    } else {
        format!("transports.docker[{scope:?}]")
    }
}

/// The requirements that decide `scope`, as containers/image picks them: the scope itself, then
/// each shorter namespace, then the host, then `*.domain` wildcards, then the transport's `""`,
/// then the policy's `default`.
fn resolve<'a>(policy: &'a Value, scope: &str) -> Option<(String, &'a Value)> {
    let docker = policy
        .get("transports")
        .and_then(|t| t.get("docker"))
        .and_then(Value::as_object);
    if let Some(docker) = docker {
        let mut candidate = scope;
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

fn requirement(
    req: &Value,
    at: &str,
    maintainers: &Maintainers,
    people: &[&str],
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
        }),
        "signedBy" => {
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
            let mut out = Requirement {
                people: 0,
                others: Vec::new(),
            };
            for (source, bytes) in blobs {
                let certs = parse_certs(&bytes).map_err(|message| CheckError {
                    path: PathBuf::from(&source),
                    message,
                })?;
                for cert in certs {
                    let fingerprint = cert.fingerprint().to_hex();
                    match maintainers
                        .by_fingerprint(&fingerprint)
                        .and_then(|m| people.iter().position(|p| *p == m.handle))
                    {
                        Some(i) => out.people |= 1 << i,
                        None => out.others.push(format!(
                            "{at}: key {fingerprint} ({}) belongs to no maintainer",
                            cert.userids()
                                .next()
                                .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
                                .unwrap_or_default()
                        )),
                    }
                }
            }
            Ok(out)
        }
        other => Err(fail(format!("unknown requirement type {other:?}"))),
    }
}
