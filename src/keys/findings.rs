//! `keyring check`: the keyring judged against MAINTAINERS at a moment, one finding a key.

use std::path::{Path, PathBuf};

use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::Fingerprint;

use crate::keys::keyring::{shared_keys, Keyring};
use crate::text::error_chain;

/// How serious a keyring finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The keyring and MAINTAINERS agree on this key.
    Ok,
    /// Worth knowing: an expired or revoked key, a key that cannot sign.
    Warning,
    /// The trust root is inconsistent: a maintainer key with no certificate, a certificate of no
    /// maintainer, an invalid certificate.
    Error,
}

/// One line of `keyring check`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyringFinding {
    /// How serious.
    pub severity: Severity,
    /// The maintainer's handle, when the finding is about one.
    pub maintainer: Option<String>,
    /// The primary fingerprint.
    pub fingerprint: String,
    /// The keyring file holding the certificate, when there is one.
    pub source: Option<PathBuf>,
    /// What was found.
    pub message: String,
}

/// Checks the keyring against MAINTAINERS, as of `now`, and for what `consumer` (quorate.toml's
/// `[consumers]`) accepts.
pub fn check(
    keyring: &Keyring,
    maintainers: &crate::format::maintainers::Maintainers,
    now: std::time::SystemTime,
    consumer: Option<&crate::keys::consumer::Consumer>,
) -> Vec<KeyringFinding> {
    use openpgp::policy::StandardPolicy;
    use openpgp::types::RevocationStatus;
    let policy = StandardPolicy::at(now);
    let mut findings = Vec::new();
    for (fingerprint, handle) in maintainers.fingerprints() {
        let source = Fingerprint::from_hex(fingerprint)
            .ok()
            .and_then(|f| keyring.source_of(&f))
            .map(Path::to_path_buf);
        let finding = |severity, message: String| KeyringFinding {
            severity,
            maintainer: Some(handle.to_string()),
            fingerprint: fingerprint.to_string(),
            source: source.clone(),
            message,
        };
        let Some(cert) = Fingerprint::from_hex(fingerprint)
            .ok()
            .and_then(|f| keyring.by_primary(&f))
        else {
            findings.push(finding(
                Severity::Error,
                "no certificate in the keyring".into(),
            ));
            continue;
        };
        let vc = match cert.with_policy(&policy, now) {
            Ok(vc) => vc,
            Err(e) => {
                findings.push(finding(
                    Severity::Error,
                    format!("certificate is not valid: {}", error_chain(&e)),
                ));
                continue;
            }
        };
        let mut problems = Vec::new();
        let judge = crate::keys::keystate::KeyJudge {
            keyring,
            policy: &policy,
        };
        if let RevocationStatus::Revoked(_) = vc.revocation_status() {
            problems.push("the certificate is revoked".to_string());
        } else if judge.designated_revocation(cert, now).is_some() {
            problems.push("the certificate is revoked by its designated revoker".to_string());
        }
        if let Err(e) = vc.alive() {
            problems.push(format!("the certificate has expired ({})", error_chain(&e)));
        }
        for ka in vc.keys() {
            let role = if ka.primary() {
                "primary key"
            } else {
                "subkey"
            };
            let fpr = ka.key().fingerprint().to_hex();
            if let RevocationStatus::Revoked(_) = ka.revocation_status() {
                if !ka.primary() {
                    problems.push(format!("{role} {fpr} is revoked"));
                }
            } else if ka.alive().is_err() && vc.alive().is_ok() {
                problems.push(format!("{role} {fpr} has expired"));
            }
        }
        let can_sign = vc
            .keys()
            .for_signing()
            .alive()
            .revoked(false)
            .next()
            .is_some();
        if !can_sign {
            problems.push("no key of the certificate can sign now".to_string());
        }
        if let Some(notice) =
            consumer.and_then(|c| crate::keys::consumer::subkey_only_notice(cert, c, now))
        {
            problems.push(notice);
        }
        let uid = vc
            .primary_userid()
            .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
            .unwrap_or_default();
        if problems.is_empty() {
            findings.push(finding(Severity::Ok, uid));
        } else {
            findings.push(finding(
                Severity::Warning,
                format!("{uid}: {}", problems.join("; ")),
            ));
        }
    }
    findings.extend(shared_keys(keyring).into_iter().map(|shared| {
        let fingerprint = shared.holders[0].to_hex();
        KeyringFinding {
            severity: Severity::Error,
            maintainer: maintainers
                .by_fingerprint(&fingerprint)
                .map(|m| m.handle.clone()),
            source: keyring.source_of(&shared.holders[0]).map(Path::to_path_buf),
            fingerprint,
            message: shared.describe(keyring),
        }
    }));
    for cert in keyring.certs() {
        let fingerprint = cert.fingerprint().to_hex();
        if maintainers.by_fingerprint(&fingerprint).is_none() {
            let source = keyring
                .source_of(&cert.fingerprint())
                .map(Path::to_path_buf);
            if let Some(former) = maintainers.former(&fingerprint) {
                // Kept on removal: their approvals and past signatures must stay verifiable.
                findings.push(KeyringFinding {
                    severity: Severity::Ok,
                    maintainer: Some(former.handle.clone()),
                    fingerprint,
                    source,
                    message: format!(
                        "a former maintainer's key (removed in trust root version {}), kept to verify their past signatures and approvals",
                        former.removed_in
                    ),
                });
                continue;
            }
            let uid = cert
                .userids()
                .next()
                .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
                .unwrap_or_default();
            findings.push(KeyringFinding {
                severity: Severity::Error,
                maintainer: None,
                fingerprint,
                source,
                message: format!(
                    "certificate {uid} is not a maintainer's key: MAINTAINERS does not list it"
                ),
            });
        }
    }
    findings
}
