//! The maintainers as the page shows them, with their keys' state.

/// A maintainer as the page shows them.
#[derive(Debug, Clone)]
pub struct Maintainer {
    /// The handle in MAINTAINERS.
    pub handle: String,
    /// Their name, when given.
    pub name: Option<String>,
    /// Their certificates' state in words (as `keyring check` says it), and whether it is a
    /// concern (expired, revoked, expiring soon, missing).
    pub key_state: String,
    /// True when the key state needs attention.
    pub key_concern: bool,
    /// For a former maintainer, the trust root version that removed them: their column stays,
    /// their signatures shown as theirs and not counted.
    pub removed_in: Option<u32>,
}

/// The maintainers as the page shows them: name, and their certificates' state as
/// `keyring check` judges it, plus a key that expires within 30 days.
pub fn maintainers(
    workspace: &crate::workspace::Workspace,
    now: std::time::SystemTime,
) -> Vec<Maintainer> {
    use sequoia_openpgp::policy::StandardPolicy;
    let findings = crate::keys::findings::check(
        &workspace.keyring,
        &workspace.maintainers,
        now,
        workspace.config.consumer.as_ref(),
    );
    let policy = StandardPolicy::at(now);
    let soon = now + std::time::Duration::from_secs(30 * 86400);
    workspace
        .maintainers
        .people()
        .map(|person| {
            let mine: Vec<_> = findings
                .iter()
                .filter(|f| f.maintainer.as_deref() == Some(person.handle.as_str()))
                .collect();
            let mut states: Vec<String> = Vec::new();
            let mut concern = mine.is_empty();
            for f in &mine {
                let short = &f.fingerprint[f.fingerprint.len().saturating_sub(16)..];
                match f.severity {
                    crate::keys::findings::Severity::Ok => states.push(format!("{short}: good")),
                    _ => {
                        concern = true;
                        states.push(format!("{short}: {}", f.message));
                    }
                }
                let expiry = sequoia_openpgp::Fingerprint::from_hex(&f.fingerprint)
                    .ok()
                    .and_then(|fpr| workspace.keyring.by_primary(&fpr))
                    .and_then(|cert| cert.with_policy(&policy, now).ok())
                    .and_then(|vc| vc.primary_key().key_expiration_time());
                if let Some(at) = expiry.filter(|at| *at > now && *at <= soon) {
                    concern = true;
                    states.push(format!(
                        "{short}: expires soon, on {}",
                        crate::text::fmt_time(at)
                    ));
                }
            }
            if mine.is_empty() {
                states.push("no key listed".into());
            }
            Maintainer {
                handle: person.handle.clone(),
                name: person.name.clone(),
                key_state: states.join("; "),
                key_concern: concern,
                removed_in: None,
            }
        })
        .chain(
            workspace
                .maintainers
                .former_people()
                .into_iter()
                .filter(|(handle, _)| workspace.maintainers.get(handle).is_none())
                .map(|(handle, removed_in)| Maintainer {
                    handle: handle.to_string(),
                    name: None,
                    key_state: format!(
                        "former maintainer, removed in trust root version {removed_in}"
                    ),
                    key_concern: false,
                    removed_in: Some(removed_in),
                }),
        )
        .collect()
}
