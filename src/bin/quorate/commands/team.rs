//! Setting up and changing the team: init, maintainers list/add/remove.

use std::path::{Path, PathBuf};

use super::*;

use quorate::ops::team::{self, TeamError};

/// A team change refused or given bad input, with the flags that remedy it.
fn team_failure(e: TeamError) -> Failure {
    match &e {
        TeamError::BadNamespace(_) => Failure::from(e).prefixed("--namespace "),
        TeamError::NewPersonUnnamed { .. } => {
            Failure::from(e).hinted(": adding a person needs --name and --email")
        }
        TeamError::OtherName { .. } => Failure::from(e)
            .hinted(": leave out --name to add a key to them, or edit MAINTAINERS to rename them"),
        TeamError::OtherEmail { .. } => {
            Failure::from(e).hinted(": leave out --email to add a key to them, or edit MAINTAINERS")
        }
        _ => Failure::from(e),
    }
}

pub(crate) fn run_init(dir: &Path, namespace: Option<&str>) -> Result<Outcome, Failure> {
    let done = team::init(dir, namespace).map_err(team_failure)?;
    let shown = dir.display();
    println!("created a quorate workspace in {shown}: MAINTAINERS, quorate.toml (threshold = 2), keyring/, digests/, signatures/");
    if let Some(consumer) = &done.consumer {
        println!(
            "quorate.toml declares the oldest consumer, [consumers] {}: {}",
            consumer.declared,
            consumer.meaning()
        );
    }
    if done.new_repository {
        println!("made a git repository in {shown}");
    }
    match &done.committed {
        Ok(oid) => println!("committed {oid}"),
        Err(why) => println!("not committed: {why}; commit the new files with git"),
    }
    match namespace {
        Some(ns) => println!("images are published as {ns}/<package>"),
        None => println!(
            "images are published as {}/<package>, StageX's: give init --namespace, or set namespace in quorate.toml, for yours",
            quorate::workspace::DEFAULT_NAMESPACE
        ),
    }
    println!("next: quorate maintainers add HANDLE --name NAME --email EMAIL CERT_FILE (for each maintainer)");
    Ok(Outcome::Passed)
}

fn load_for_editing(options: &WorkspaceOptions) -> Result<Workspace, Failure> {
    let workspace = Workspace::load_for_editing(options)?;
    print_warnings(&workspace);
    Ok(workspace)
}

#[derive(serde::Serialize)]
struct MaintainerJson {
    handle: String,
    name: Option<String>,
    emails: Vec<String>,
    keys: Vec<KeyJson>,
}

#[derive(serde::Serialize)]
struct KeyJson {
    label: String,
    fingerprint: String,
    certificate: Option<String>,
}

pub(crate) fn run_maintainers_list(
    options: &WorkspaceOptions,
    json: bool,
) -> Result<Outcome, Failure> {
    let workspace = load_for_editing(options)?;
    let people: Vec<MaintainerJson> = workspace
        .maintainers
        .people()
        .map(|person| MaintainerJson {
            handle: person.handle.clone(),
            name: person.name.clone(),
            emails: person.emails.clone(),
            keys: person
                .keys
                .iter()
                .map(|key| KeyJson {
                    label: key.label.clone(),
                    fingerprint: key.fingerprint.clone(),
                    certificate: key
                        .fingerprint
                        .parse()
                        .ok()
                        .and_then(|f| workspace.keyring.source_of(&f))
                        .map(|p| workspace.display_path(p)),
                })
                .collect(),
        })
        .collect();
    if json {
        print_json(&people);
        return Ok(Outcome::Passed);
    }
    let mut rows: Vec<[String; 5]> = Vec::new();
    for person in &people {
        let who = [
            person.handle.clone(),
            person.name.clone().unwrap_or_default(),
            person.emails.join(", "),
        ];
        if person.keys.is_empty() {
            rows.push([
                who[0].clone(),
                who[1].clone(),
                who[2].clone(),
                "(no key)".into(),
                String::new(),
            ]);
        }
        for key in &person.keys {
            rows.push([
                who[0].clone(),
                who[1].clone(),
                who[2].clone(),
                key.fingerprint.clone(),
                key.certificate
                    .clone()
                    .unwrap_or_else(|| "(no certificate)".into()),
            ]);
        }
    }
    for line in columns::render(&rows) {
        println!("{line}");
    }
    let keys: usize = people.iter().map(|p| p.keys.len()).sum();
    println!(
        "{}, {}",
        plural(people.len(), "maintainer"),
        plural(keys, "key")
    );
    Ok(Outcome::Passed)
}

pub(crate) fn run_maintainers_add_sigstore(
    options: &WorkspaceOptions,
    handle: &str,
    name: Option<&str>,
    emails: &[String],
    what: team::SigstoreToAdd,
) -> Result<Outcome, Failure> {
    let workspace = load_for_editing(options)?;
    let added =
        team::add_sigstore(&workspace, handle, name, emails, &what).map_err(team_failure)?;
    let Some(label) = &added.label else {
        println!("nothing changed: {handle} already holds {}", added.id);
        return Ok(Outcome::Passed);
    };
    println!("added {handle}: {} as keys.{handle}.{label}", added.id);
    let maintainers = workspace.display_path(&workspace.maintainers_path);
    let files = match &added.keyring_file {
        Some(file) => format!("{maintainers} {}", workspace.display_path(file)),
        None => maintainers,
    };
    println!("wrote {files}; review and commit them: git add {files} && git commit");
    Ok(Outcome::Passed)
}

pub(crate) fn run_maintainers_add(
    options: &WorkspaceOptions,
    handle: &str,
    name: Option<&str>,
    emails: &[String],
    certs: &[PathBuf],
) -> Result<Outcome, Failure> {
    let workspace = load_for_editing(options)?;
    warn_subkey_only(&workspace, handle, certs);
    let added = team::add(&workspace, handle, name, emails, certs).map_err(team_failure)?;
    for fingerprint in &added.already {
        println!("{handle} already holds key {fingerprint}");
    }
    let Some(keyring_file) = &added.keyring_file else {
        println!(
            "nothing changed: {} already lists every key given under {handle}",
            workspace.display_path(&workspace.maintainers_path)
        );
        return Ok(Outcome::Passed);
    };
    for fingerprint in &added.fingerprints {
        println!("added {handle}: key {fingerprint}");
    }
    // The workspace as edited, loaded once for what is said of it below. First what keyring
    // check would say of the new keys: a revoked, expired or sign-incapable key is listed as
    // asked, but nothing it signs will count.
    let after = Workspace::load_for_editing(options).ok();
    if let Some(after) = &after {
        let findings =
            // The declared consumer's word on these keys was said before anything was written.
            quorate::keys::findings::check(
                &after.keyring,
                &after.maintainers,
                SystemTime::now(),
                None,
            );
        for finding in findings.iter().filter(|f| {
            f.maintainer.as_deref() == Some(handle)
                && f.severity != Severity::Ok
                && added.fingerprints.contains(&f.fingerprint)
        }) {
            eprintln!(
                "quorate: warning: {handle} {}: {}",
                finding.fingerprint, finding.message
            );
        }
    }
    let maintainers = workspace.display_path(&workspace.maintainers_path);
    let keyring = workspace.display_path(keyring_file);
    println!("wrote {maintainers} and {keyring}; review and commit them: git add {maintainers} {keyring} && git commit");
    if let Some(after) = &after {
        say_if_unapproved(standing_of(after, options).as_ref());
    }
    Ok(Outcome::Passed)
}

/// Warns, before anything is written, of each certificate in `certs` that can sign only with a
/// subkey when the declared consumer refuses subkey signatures.
pub(crate) fn warn_subkey_only(workspace: &Workspace, handle: &str, certs: &[PathBuf]) {
    let Some(consumer) = workspace.consumer() else {
        return;
    };
    for (fingerprint, notice) in
        quorate::keys::consumer::notices_for_files(certs, &consumer, SystemTime::now())
    {
        eprintln!("quorate: warning: {handle} {fingerprint}: {notice}");
    }
}

/// MAINTAINERS is part of the trust root (docs/trust.md): with a chain in force, an edit is a
/// draft and counts only once the quorum approves it. Said right after the edit, so nobody is
/// surprised that it changes nothing yet.
fn say_if_unapproved(standing: Option<&quorate::judge::trust::Standing>) {
    if let Some(quorate::judge::trust::Standing::Unapproved(chain, changes, _)) = standing {
        let changes: Vec<String> = changes.iter().map(ToString::to_string).collect();
        println!(
            "the working trust root now differs from version {} in force ({}): a draft, which changes nothing until the quorum approves it (the root in force decides who counts): quorate trust propose, then quorate trust sign by the maintainers (docs/trust.md)",
            chain.in_force().map_or(0, |v| v.version),
            changes.join("; ")
        );
    }
}

pub(crate) fn run_maintainers_remove(
    options: &WorkspaceOptions,
    handle: &str,
) -> Result<Outcome, Failure> {
    let workspace = load_for_editing(options)?;
    let was_in_force = standing_of(&workspace, options).as_ref().and_then(in_force);
    let removed = team::remove(&workspace, handle).map_err(team_failure)?;
    let maintainers = workspace.display_path(&workspace.maintainers_path);
    println!("removed {handle} from {maintainers}");
    for path in &removed.deleted {
        println!("deleted {}", workspace.display_path(path));
    }
    for path in &removed.kept {
        println!(
            "kept {}: the chain of trust roots names {handle}, whose approvals and past signatures are verified with it (shown as a former maintainer's once a version without {handle} is in force)",
            workspace.display_path(path)
        );
    }
    for path in &removed.shared {
        eprintln!(
            "quorate: warning: {} also holds other certificates: left as it is, {handle}'s certificate still in it",
            workspace.display_path(path)
        );
    }
    // The team as it is now, loaded once: a threshold it can no longer reach is said at once.
    let after = Workspace::load_for_editing(options).ok();
    if let Some(Err(e)) = after.as_ref().map(Workspace::check_threshold) {
        eprintln!("quorate: warning: {e}");
    }
    let standing = after.as_ref().and_then(|after| standing_of(after, options));
    // The chain's approvals are verified with keyring/: deleting the certificate of someone who
    // approved a version can leave no version in force, and the maintainer set unprotected.
    if let (Some(before), None) = (was_in_force, standing.as_ref().and_then(in_force)) {
        eprintln!(
            "quorate: warning: trust root version {before} is no longer in force: {handle}'s approvals of it were verified with the certificates just deleted, and the maintainer set is now unprotected; restore them (git checkout -- {}) until a version approved without {handle} is in force",
            workspace.display_path(&workspace.keyring_dir)
        );
    }
    say_if_unapproved(standing.as_ref());
    Ok(Outcome::Passed)
}

/// How the workspace's trust root stands against the chain, judged now; None when the chain
/// cannot be read (the judging commands say why).
fn standing_of(
    workspace: &Workspace,
    options: &WorkspaceOptions,
) -> Option<quorate::judge::trust::Standing> {
    anchor_of(options, workspace)
        .standing(workspace, &now_verifier(workspace))
        .ok()
}

/// The version of the chain of trust roots in force, when there is one.
fn in_force(standing: &quorate::judge::trust::Standing) -> Option<u32> {
    standing.chain()?.in_force().map(|v| v.version)
}
