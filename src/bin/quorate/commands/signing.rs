//! Signing and the tree's upkeep: sign, payload, add, withdraw, repair, sync.

use super::*;

pub(crate) fn run_sign(options: &WorkspaceOptions, args: SignArgs) -> Result<Outcome, Failure> {
    let reference = args.reference.as_deref().map(parse_tagged).transpose()?;
    let workspace = load(options)?;
    let reference = match (reference, args.reference.as_deref()) {
        (Some(r), Some(text)) => Some(in_namespace(&workspace, text, r)?),
        _ => None,
    };
    let now = SystemTime::now();
    // Rebuild, then sign: the rebuild given, else quorate.toml's, else --no-rebuild said so.
    let rebuilt = match (&args.rebuilt, &workspace.config.rebuilt) {
        (Some(path), _) => Some((path.clone(), "--rebuilt")),
        (None, _) if args.no_rebuild => None,
        (None, Some(dir)) => Some((workspace.root.join(dir), "quorate.toml's rebuilt")),
        (None, None) => return Err(Failure::input(
            "sign needs your own rebuild to check the image against: give --rebuilt OUT_DIR (or set rebuilt = \"out\" in quorate.toml once), or --no-rebuild to sign what you did not rebuild (the commit says so)",
        )),
    };
    let rebuild = rebuilt
        .as_ref()
        .map(|(path, from)| {
            // A layout that cannot be read refuses its own package, not the whole signing.
            Rebuild::load_per_package(path)
                .map_err(|e| Failure::from(e).prefixed(&format!("{from}: ")))
        })
        .transpose()?;
    if let Some((path, _)) = &rebuilt {
        let release_dir = args.digests.as_deref().unwrap_or(&workspace.digests_dir);
        refuse_the_release_as_rebuild(&workspace, path, release_dir)?;
    }
    let mut signer = match &args.signer.cosign_key {
        Some(path) => make_cosign_signer(path, &args.signer, &workspace)?,
        None => make_signer(&args.signer, &workspace, now)?,
    };
    // Before any PIN is asked or anything is written: a key whose signatures the declared
    // consumer refuses is refused here.
    if let Some(consumer) = workspace.consumer() {
        signer
            .serve(&consumer, &workspace.keyring, now)
            .map_err(sign_failure)?;
    }
    let commit = if args.no_commit {
        Commit::No
    } else {
        Commit::Yes
    };
    let Some(reference) = reference else {
        let Some(rebuild) = rebuild else {
            return Err(Failure::input(
                "sign --release signs what your rebuild reproduces: give --rebuilt OUT_DIR, or set rebuilt in quorate.toml",
            ));
        };
        return run_sign_release(&workspace, &args, &rebuild, signer.as_ref(), commit, now);
    };
    let digest = reference.digest().expect("parsed with a digest");
    match &rebuild {
        Some(rebuild) => {
            if let Some(why) = release::not_reproduced(
                rebuild,
                release::package_of(&reference),
                release::Wanted::Any,
                digest,
            ) {
                return Err(Failure::refused(format!("not signed: {why}")));
            }
        }
        None if !args.not_in_release => {
            refuse_outside_release(&workspace, release::package_of(&reference), digest)?
        }
        None => {}
    }
    let checked = match &rebuild {
        Some(rebuild) => sign::Checked::Rebuild(&rebuild.label),
        None => sign::Checked::NoRebuild,
    };
    let (placement, committed) = sign::sign(
        &workspace,
        &reference,
        signer.as_ref(),
        commit,
        checked,
        now,
    )
    .map_err(sign_failure)?;
    report_placement(&workspace, &reference, &placement, &committed)
}

/// Without --rebuilt, only the release's own digests are signed unless --not-in-release says a
/// digest outside it is meant: a pasted digest from the wrong build is caught here. A workspace
/// with no digests/ directory has no release to hold the digest against.
fn refuse_outside_release(
    workspace: &Workspace,
    package: &str,
    digest: &quorate::format::reference::Digest,
) -> Result<(), Failure> {
    let dir = &workspace.digests_dir;
    // No digests/, or one holding no digests file (as `quorate init` leaves it, a .gitkeep):
    // no release yet.
    if !workspace.holds_release(dir)? {
        return Ok(());
    }
    let release = workspace.read_release(dir)?;
    let packages: Vec<&str> = release
        .packages
        .iter()
        .filter(|p| &p.digest == digest)
        .map(|p| p.name.as_str())
        .chain(
            release
                .others
                .iter()
                .filter(|o| &o.digest == digest)
                .map(|o| o.package.as_str()),
        )
        .collect();
    if packages.contains(&package) {
        return Ok(());
    }
    if let Some(other) = packages.first() {
        return Err(Failure::refused(format!(
            "not signed: {digest} is {other}'s in the release, not {package}'s; give --not-in-release if you mean to sign it as {package}"
        )));
    }
    Err(Failure::refused(format!(
        "not signed: {digest} is not in the release ({}/); check the digest, or give --not-in-release if you mean to sign it",
        workspace.display_path(dir)
    )))
}

/// `--rebuilt` must be the signer's own rebuild: the release's digests/ (or a file in it) only
/// ever agrees with itself.
fn refuse_the_release_as_rebuild(
    workspace: &Workspace,
    path: &std::path::Path,
    release_dir: &std::path::Path,
) -> Result<(), Failure> {
    let (Ok(rebuilt), Ok(release)) = (path.canonicalize(), release_dir.canonicalize()) else {
        return Ok(());
    };
    if rebuilt == release || rebuilt.parent() == Some(release.as_path()) {
        return Err(Failure::refused(format!(
            "not signed: --rebuilt {}: that is the release, not your rebuild; give the OUT_DIR or digests your own build produced",
            workspace.display_path(path)
        )));
    }
    Ok(())
}

/// Prints what placing a signature did; a failed commit is exit 1 with how to commit by hand.
fn report_placement(
    workspace: &Workspace,
    reference: &Reference,
    placement: &Placement,
    committed: &Committed,
) -> Result<Outcome, Failure> {
    match placement {
        Placement::AlreadySigned { maintainer, path } => {
            let shown = workspace.display_path(path);
            println!("{maintainer} already signed {reference} in {shown}; nothing written");
            if committed.commit.is_some() || committed.error.is_some() {
                println!("{shown} was written by an earlier run but not committed: committing it");
                return report_commit(committed, &[shown], &format!("Sign {reference}"));
            }
            Ok(Outcome::Passed)
        }
        Placement::Written {
            number,
            path,
            maintainer,
            ..
        } => {
            let shown = workspace.display_path(path);
            let name = quorate::workspace::tree::signature_file_name(*number);
            println!("signed {reference} as {maintainer}: wrote {shown} ({name})");
            report_commit(committed, &[shown], &format!("Sign {reference}"))
        }
    }
}

pub(crate) fn make_signer(
    args: &SignerArgs,
    workspace: &Workspace,
    now: SystemTime,
) -> Result<Box<dyn PayloadSigner>, Failure> {
    if args.gpg {
        let program: Vec<String> = match &args.gpg_program {
            Some(cmd) => cmd.split_whitespace().map(str::to_string).collect(),
            None => vec!["gpg".to_string()],
        };
        if program.is_empty() {
            return Err(Failure::input("--gpg-program is empty"));
        }
        let key = match &args.signer {
            Some(key) => key.clone(),
            None => git_signing_key(workspace).ok_or_else(|| {
                Failure::input("no --signer given and git config user.signingkey is not set")
            })?,
        };
        return Ok(Box::new(GpgSigner::new(program, key, &workspace.keyring)));
    }
    if args.cosign_key.is_some() {
        return Err(Failure::input(
            "--cosign-key signs image votes only (quorate sign): give --key or --gpg",
        ));
    }
    let path = args.key.as_deref().expect("clap requires --key or --gpg");
    let passphrase = read_passphrase_file(args, workspace)?.map(Into::into);
    let signer = match KeyFileSigner::load(path, passphrase.as_ref(), now) {
        Err(SignError::NeedsPassphrase(path)) if std::io::stdin().is_terminal() => {
            let prompt = format!("Passphrase for {}: ", workspace.display_path(&path));
            let typed = rpassword::prompt_password(prompt)
                .map_err(|e| Failure::input(format!("cannot read a passphrase: {e}")))?;
            KeyFileSigner::load(&path, Some(&typed.into()), now)
        }
        other => other,
    }
    .map_err(sign_failure_in(workspace))?;
    // With a consumer declared, sign judges the subkey against it instead.
    if signer.by_subkey() && workspace.consumer().is_none() {
        eprintln!(
            "quorate: warning: signing with subkey {}: the primary key's secret is absent or cannot sign; \
             containers/image before 5.37 (Debian 12's podman 4.3.1 among them) rejects signatures made by a subkey",
            signer.signing_key().to_hex()
        );
    }
    Ok(Box::new(signer))
}

/// The first line of --passphrase-file, when given.
fn read_passphrase_file(
    args: &SignerArgs,
    workspace: &Workspace,
) -> Result<Option<String>, Failure> {
    let Some(file) = &args.passphrase_file else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(file).map_err(|e| {
        Failure::input(format!(
            "{}: cannot read: {e}",
            workspace.display_path(file)
        ))
    })?;
    Ok(Some(text.lines().next().unwrap_or("").to_string()))
}

/// A cosign key file, decrypted with --passphrase-file's passphrase, else one typed at a
/// terminal, else the empty one (cosign's `COSIGN_PASSWORD=""` keys); refused before anything
/// is signed when MAINTAINERS does not list it.
fn make_cosign_signer(
    path: &std::path::Path,
    args: &SignerArgs,
    workspace: &Workspace,
) -> Result<Box<dyn PayloadSigner>, Failure> {
    use quorate::ops::cosign::CosignKeySigner;
    let given = read_passphrase_file(args, workspace)?;
    let guessed_empty = given.is_none() && !std::io::stdin().is_terminal();
    let passphrase = match given {
        Some(given) => given,
        None if !guessed_empty => {
            let prompt = format!("Passphrase for {}: ", workspace.display_path(path));
            rpassword::prompt_password(prompt)
                .map_err(|e| Failure::input(format!("cannot read a passphrase: {e}")))?
        }
        None => String::new(),
    };
    let signer = match CosignKeySigner::load(path, passphrase.as_bytes()) {
        Err(SignError::WrongPassphrase(path)) if guessed_empty => {
            Err(SignError::NeedsPassphrase(path))
        }
        other => other,
    }
    .map_err(sign_failure_in(workspace))?;
    signer.check_listed(workspace).map_err(sign_failure)?;
    Ok(Box::new(signer))
}

/// `git config user.signingkey`, as StageX's scripts read it: the workspace's repository's
/// configuration (which includes the global one), else the global one.
pub(crate) fn git_signing_key(workspace: &Workspace) -> Option<String> {
    let config = quorate::fs::git::discover(&workspace.root, &workspace.root)
        .and_then(|repo| repo.config().ok())
        .or_else(|| git2::Config::open_default().ok())?;
    config.get_string("user.signingkey").ok()
}

pub(crate) fn run_sign_release(
    workspace: &Workspace,
    args: &SignArgs,
    rebuild: &Rebuild,
    signer: &dyn PayloadSigner,
    commit: Commit,
    now: SystemTime,
) -> Result<Outcome, Failure> {
    let dir = args
        .digests
        .clone()
        .unwrap_or_else(|| workspace.digests_dir.clone());
    let release_digests = workspace.read_release(&dir)?;
    let bar = (std::io::stderr().is_terminal() && crate::notes::shown()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                .expect("a valid template"),
        );
        bar
    });
    let mut progress = |step: release::Step| match (step, &bar) {
        (release::Step::Start(n), Some(bar)) => bar.set_length(n as u64),
        (release::Step::Done(item, what), Some(bar)) => {
            bar.set_message(crate::output::line(&format!("{} {what}", item.label())).into_owned());
            bar.inc(1);
        }
        (release::Step::Start(n), None) => {
            crate::notes::note!("signing {n} platform manifests")
        }
        // Each image is reported once, on stdout, when all are signed.
        (release::Step::Done(..), None) => {}
    };
    let outcome = release::sign_release(
        workspace,
        &release::ReleasePlan {
            release: &release_digests,
            rebuild,
            tag: args.tag.as_deref(),
        },
        signer,
        commit,
        now,
        &mut progress,
    )
    .map_err(sign_failure)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    for (item, reference, placement) in &outcome.signed {
        if let Placement::Written { path, .. } = placement {
            println!(
                "signed   {}: {reference} in {}",
                item.label(),
                workspace.display_path(path)
            );
        }
    }
    for (item, path) in &outcome.skipped {
        println!(
            "skipped  {}: already signed in {}",
            item.label(),
            workspace.display_path(path)
        );
    }
    for (item, why) in &outcome.refused {
        println!("refused  {}: {why}", item.label());
    }
    println!(
        "{} signed, {} already signed, {} refused",
        outcome.signed.len(),
        outcome.skipped.len(),
        outcome.refused.len()
    );
    let files: Vec<String> = outcome
        .signed
        .iter()
        .filter_map(|(_, _, p)| match p {
            Placement::Written { path, .. } => Some(workspace.display_path(path)),
            Placement::AlreadySigned { .. } => None,
        })
        .collect();
    let committed = report_commit(&outcome.committed, &files, "Sign the release")?;
    Ok(if outcome.refused.is_empty() {
        committed
    } else {
        Outcome::Refused
    })
}

pub(crate) fn run_payload(
    options: &WorkspaceOptions,
    args: PayloadArgs,
) -> Result<Outcome, Failure> {
    let reference = parse_tagged(&args.reference)?;
    // On an air-gapped machine there may be no workspace: only quorate.toml's namespace matters,
    // so a short reference means here what `add` will take it to mean.
    let name = args.reference.split('@').next().unwrap_or_default();
    let reference = if name.contains('/') {
        reference
    } else {
        let namespace = quorate::workspace::namespace_in(&options.dir)?;
        parse_reference(&format!("{namespace}/{}", args.reference))?
    };
    let digest = reference.digest().expect("parsed with a digest");
    let bytes = if args.cosign {
        quorate::format::payload::Payload::to_cosign_bytes(&reference, digest)
    } else {
        quorate::format::payload::Payload::to_bytes(&reference, digest)
    };
    use std::io::Write;
    std::io::stdout()
        .write_all(&bytes)
        .map_err(|e| Failure::input(format!("cannot write: {e}")))?;
    Ok(Outcome::Passed)
}

pub(crate) fn run_add(options: &WorkspaceOptions, args: AddArgs) -> Result<Outcome, Failure> {
    let sigstore_file = match &args.file {
        // A legacy-form file, or `cosign download signature`'s JSON lines (no OpenPGP
        // signature, armored or binary, starts with `{`).
        Some(path) => std::fs::read(path).ok().filter(|bytes| {
            quorate::format::sigstore::envelope::is_sigstore(bytes)
                || bytes.trim_ascii_start().starts_with(b"{")
        }),
        None => None,
    };
    if let Some(dir) = args.file.as_ref().filter(|p| p.is_dir()) {
        let dir = dir.clone();
        return run_add_sigstore(options, &args, None, Some(dir));
    }
    if args.bundle.is_some() || sigstore_file.is_some() {
        return run_add_sigstore(options, &args, sigstore_file, None);
    }
    let (Some(path), Some(text)) = (&args.file, &args.reference) else {
        return Err(Failure::input(
            "add FILE REF@sha256:HEX: an OpenPGP signature needs the image it signs",
        ));
    };
    let reference = parse_tagged(text)?;
    let workspace = load(options)?;
    let reference = in_namespace(&workspace, text, reference)?;
    let file = workspace.display_path(path);
    let bytes =
        std::fs::read(path).map_err(|e| Failure::input(format!("{file}: cannot read: {e}")))?;
    let now = SystemTime::now();
    let verifier = Verifier::new(&workspace.keyring, &workspace.maintainers, now)
        .for_consumer(workspace.consumer());
    let placement = sign::place_bytes(&workspace, &verifier, &reference, &bytes)
        .map_err(|e| Failure::from(e).prefixed(&format!("{file}: ")))?;
    let commit = if args.no_commit {
        Commit::No
    } else {
        Commit::Yes
    };
    let committed = sign::commit_placement(
        &workspace,
        &reference,
        &placement,
        commit,
        sign::Checked::Elsewhere,
    );
    report_placement(&workspace, &reference, &placement, &committed)
}

/// `add` of a Sigstore vote: a legacy-form file, or a bundle for --image; committed alone.
fn run_add_sigstore(
    options: &WorkspaceOptions,
    args: &AddArgs,
    legacy: Option<Vec<u8>>,
    layout: Option<std::path::PathBuf>,
) -> Result<Outcome, Failure> {
    let workspace = load(options)?;
    let asked = match args.image.as_deref().or(args.reference.as_deref()) {
        Some(text) => {
            let reference = parse_reference(text)?;
            Some(in_namespace(&workspace, text, reference)?)
        }
        None => None,
    };
    let verifier = Verifier::new(
        &workspace.keyring,
        &workspace.maintainers,
        SystemTime::now(),
    )
    .for_consumer(workspace.consumer());
    let (path, added) = match (&args.bundle, legacy) {
        _ if layout.is_some() => {
            let path = layout.as_ref().expect("a layout");
            let added = quorate::ops::add::add_layout(&workspace, &verifier, path, asked.as_ref());
            (path, added)
        }
        (Some(path), _) => {
            let bytes = std::fs::read(path).map_err(|e| {
                Failure::input(format!(
                    "{}: cannot read: {e}",
                    workspace.display_path(path)
                ))
            })?;
            let Some(image) = asked.as_ref() else {
                return Err(Failure::input("add --bundle needs --image REF@sha256:HEX"));
            };
            let added = quorate::ops::add::add_bundle(&workspace, &verifier, &bytes, image);
            (path, added.map(|a| vec![a]))
        }
        (None, Some(bytes)) => {
            let Some(path) = args.file.as_ref() else {
                return Err(Failure::input("add needs a FILE or --bundle"));
            };
            let added = if quorate::format::sigstore::envelope::is_sigstore(&bytes) {
                quorate::ops::add::add_legacy(&workspace, &verifier, &bytes, asked.as_ref())
                    .map(|a| vec![a])
            } else {
                quorate::ops::add::add_download(&workspace, &verifier, &bytes, asked.as_ref())
            };
            (path, added)
        }
        (None, None) => return Err(Failure::input("add needs a FILE or --bundle")),
    };
    let shown = workspace.display_path(path);
    let added = added.map_err(|e| Failure::from(e).prefixed(&format!("{shown}: ")))?;
    let mut written = Vec::new();
    let mut message = String::new();
    let mut by = String::new();
    for vote in &added {
        let reference = &vote.reference;
        match &vote.placement {
            Placement::AlreadySigned { maintainer, path } => println!(
                "{maintainer} already has this vote for {reference} in {}; nothing written",
                workspace.display_path(path)
            ),
            Placement::Written {
                path, maintainer, ..
            } => {
                let file = workspace.display_path(path);
                println!("added {maintainer}'s vote for {reference}: wrote {file}");
                message.push_str(&format!(
                    "Image: {}\nDigest: {}\nMaintainer: {maintainer}\nFile: {file}\n",
                    reference.without_digest(),
                    reference
                        .digest()
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                ));
                by = maintainer.clone();
                written.push(path.clone());
            }
        }
    }
    if written.is_empty() || args.no_commit {
        return Ok(Outcome::Passed);
    }
    let subject = match (written.len(), added.first()) {
        (1, Some(vote)) => format!("Sign {}", vote.reference),
        (n, _) => format!("Sign {n} votes"),
    };
    let message = format!("{subject}\n\n{message}Added from: {shown}\n");
    let committed = sign::commit_placed(&workspace, &written, &message, &by);
    let files: Vec<String> = written.iter().map(|p| workspace.display_path(p)).collect();
    report_commit(&committed, &files, &subject)
}

pub(crate) fn run_withdraw(
    options: &WorkspaceOptions,
    args: WithdrawArgs,
) -> Result<Outcome, Failure> {
    let reference = parse_reference(&args.reference)?;
    let workspace = load(options)?;
    let reference = in_namespace(&workspace, &args.reference, reference)?;
    let now = SystemTime::now();
    if let Some(key) = &args.signer.key {
        // Withdrawal statements are OpenPGP-signed: a cosign key cannot make one (yet).
        let head = std::fs::read(key).unwrap_or_default();
        let head = String::from_utf8_lossy(&head[..head.len().min(64)]);
        if head.contains("SIGSTORE PRIVATE KEY") || head.contains("COSIGN PRIVATE KEY") {
            return Err(Failure::input(format!(
                "{}: a cosign private key; withdrawal statements are OpenPGP-signed, so a Sigstore vote is withdrawn with an OpenPGP key its maintainer holds in MAINTAINERS (one who holds only cosign keys or keyless identities cannot withdraw yet)",
                key.display()
            )));
        }
    }
    let signer = make_signer(&args.signer, &workspace, now)?;
    let verifier = Verifier::new(&workspace.keyring, &workspace.maintainers, now)
        .for_consumer(workspace.consumer());
    let commit = if args.no_commit {
        Commit::No
    } else {
        Commit::Yes
    };
    let done = quorate::ops::withdraw::withdraw(
        &workspace,
        &verifier,
        &reference,
        signer.as_ref(),
        commit,
        args.reason.as_deref(),
    )
    .map_err(sign_failure)?;
    for path in &done.removed {
        println!("withdrew {}", workspace.display_path(path));
    }
    for path in &done.statements {
        println!("kept the signed statement {}", workspace.display_path(path));
    }
    for (from, to) in &done.moves {
        println!(
            "renumbered {} -> {}",
            workspace.display_path(from),
            workspace.display_path(to)
        );
    }
    let files: Vec<String> = done
        .statements
        .iter()
        .map(|p| workspace.display_path(p))
        .collect();
    report_commit(
        &done.committed,
        &files,
        &format!("Withdraw a signature of {reference}"),
    )
}

pub(crate) fn run_sync(options: &WorkspaceOptions, args: SyncArgs) -> Result<Outcome, Failure> {
    let mut workspace = load(options)?;
    // Who counts while replaying signatures is the root in force's; a chain this clone refuses
    // is said below, once sync has brought in what it brings (the library decides).
    quorate::ops::sync::decide_before_sync(
        &anchor_of(options, &workspace),
        &mut workspace,
        SystemTime::now(),
    )
    .map_err(anchor_failure)?;
    let verifier = now_verifier(&workspace);
    let synced = quorate::ops::sync::sync(
        &workspace,
        &verifier,
        &args.remote,
        args.branch.as_deref(),
        args.push_to.as_deref(),
    )?;
    // The paths sync reports are the repository's; shown as every path is, from the workspace.
    let shown =
        |p: &std::path::Path| workspace.display_path(&workspace.from_repo(&synced.workdir, p));
    // What was not pushed is said to be in the branch only, never as if published.
    let unpushed = if synced.push_error.is_some() {
        " in your branch (not pushed)"
    } else {
        ""
    };
    for (from, to) in &synced.placed {
        if from == to {
            println!("replayed {}{unpushed}", shown(to));
        } else {
            println!("replayed {} as {}{unpushed}", shown(from), shown(to));
        }
    }
    for path in &synced.already_there {
        println!("already on the remote: {}", shown(path));
    }
    for (path, maintainer, theirs) in &synced.duplicates {
        println!(
            "dropped {}: {maintainer} already has a valid signature of it on the remote ({})",
            shown(path),
            shown(theirs)
        );
    }
    for (withdrawn, statement) in &synced.withdrawn {
        println!(
            "replayed the withdrawal of {} (statement {}){unpushed}",
            shown(withdrawn),
            shown(statement)
        );
    }
    for statement in &synced.withdrawn_absent {
        println!(
            "replayed a withdrawal whose signature the remote no longer holds: {}",
            shown(statement)
        );
    }
    for (from, to) in &synced.moved {
        println!("renumbered {} as {}{unpushed}", shown(from), shown(to));
    }
    for (original, replay) in &synced.unsigned_replays {
        println!(
            "sync: commit {} was signed but its replay {} is not: set git's commit.gpgsign for quorate to sign the commits it replays",
            quorate::text::short_id(original),
            quorate::text::short_id(replay)
        );
    }
    if synced.retries > 0 {
        println!(
            "the remote moved while pushing: fetched and replayed again ({})",
            plural(synced.retries as usize, "time")
        );
    }
    // Whoever can push can change who counts: such a change is named, never taken in silently.
    for change in &synced.trust_changes {
        println!("sync: the remote changed the trust root: {change}");
    }
    if let Some(why) = &synced.trust_unreadable {
        println!("sync: the trust root could not be compared: {why}");
    }
    // New versions of the chain of trust roots, in force or not, as the work tree now holds them.
    if let Ok(after) = load(options) {
        let report = quorate::ops::sync::chain_report(
            &synced,
            &after,
            &now_verifier(&after),
            options.trust_anchor.as_deref(),
            options.require_anchor,
        );
        if let Some(e) = report.refused {
            println!(
                "sync: the chain of trust roots as it now stands is refused: {}",
                anchor_failure(e).message
            );
        }
        for v in &report.arrived {
            if v.in_force {
                println!(
                    "sync: brought in trust root version {} ({}), in force",
                    v.version, v.digest
                );
            } else {
                println!(
                    "sync: brought in trust root version {} ({}), not in force: it needs {}",
                    v.version,
                    v.digest,
                    v.missing.join("; ")
                );
            }
        }
    }
    if let Some(why) = &synced.push_error {
        // git's own lines follow quorate's, as git printed them.
        return Err(Failure::refused(format!(
            "{}; nothing was published, your branch holds the synced commits: push them again with quorate sync or git push\n{}",
            why.summary, why.git_output
        )));
    }
    if synced.brought_in > 0 {
        println!(
            "brought in {} from the remote",
            plural(synced.brought_in, "commit")
        );
    }
    match &synced.pushed_to {
        Some(to) if synced.fast_forwarded > 0 => println!(
            "{} pushed as made, 0 commits replayed; pushed to {to}",
            plural(synced.fast_forwarded as usize, "commit")
        ),
        Some(to) => println!(
            "{} replayed; pushed to {to}",
            plural(synced.replayed as usize, "commit")
        ),
        None => println!("up to date with the remote"),
    }
    Ok(Outcome::Passed)
}

pub(crate) fn run_repair(options: &WorkspaceOptions, args: RepairArgs) -> Result<Outcome, Failure> {
    let references = args
        .references
        .iter()
        .map(|text| parse_reference(text))
        .collect::<Result<Vec<_>, _>>()?;
    let workspace = load(options)?;
    let references = args
        .references
        .iter()
        .zip(references)
        .map(|(text, r)| in_namespace(&workspace, text, r))
        .collect::<Result<Vec<_>, _>>()?;
    let dirs = if references.is_empty() {
        quorate::workspace::tree::image_dirs(&workspace.signatures_dir)?
    } else {
        references
            .iter()
            .map(|r| quorate::workspace::tree::image_dir(&workspace.signatures_dir, r))
            .collect()
    };
    let commit = if args.no_commit {
        Commit::No
    } else {
        Commit::Yes
    };
    let (moves, committed) =
        quorate::ops::withdraw::repair(&workspace, &dirs, commit).map_err(sign_failure)?;
    for (from, to) in &moves {
        println!(
            "renumbered {} -> {}",
            workspace.display_path(from),
            workspace.display_path(to)
        );
    }
    println!(
        "{} renumbered in {}",
        plural(moves.len(), "signature"),
        match dirs.len() {
            1 => "1 image directory".to_string(),
            n => format!("{n} image directories"),
        }
    );
    let files: Vec<String> = moves
        .iter()
        .map(|(_, to)| workspace.display_path(to))
        .collect();
    report_commit(&committed, &files, "Repair the numbering")
}
