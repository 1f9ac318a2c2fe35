//! A whole release: every package of `digests/`, each platform manifest, signed only where the
//! signer's own rebuild reproduces it, and gated only where the images about to be pushed are the
//! release's.

use std::path::PathBuf;
use std::time::SystemTime;

use crate::format::digests::Release;
use crate::format::reference::{Digest, Reference};
use crate::keys::verify::Verifier;
use crate::ops::rebuild::Rebuild;
use crate::ops::sign::{self, Committed, PayloadSigner, Placement, SignError};
use crate::workspace::Workspace;

/// One platform manifest of one release package.
#[derive(Debug, Clone)]
pub struct Item {
    /// `<stage>-<name>`.
    pub package: String,
    /// None for the platform StageX's `<stage>.txt` records, else `os/arch[/variant]` from
    /// `<stage>.platforms`.
    pub platform: Option<String>,
    /// The release's digest for it.
    pub digest: Digest,
}

impl Item {
    /// The package, and the platform when it is not the first: how output names the item.
    pub fn label(&self) -> String {
        match &self.platform {
            None => self.package.clone(),
            Some(platform) => format!("{} ({platform})", self.package),
        }
    }
}

/// Every platform manifest of a release, in file order.
pub fn items(release: &Release) -> Vec<Item> {
    let mut items: Vec<Item> = release
        .packages
        .iter()
        .map(|p| Item {
            package: p.name.clone(),
            platform: None,
            digest: p.digest.clone(),
        })
        .collect();
    for other in &release.others {
        let at = items
            .iter()
            .rposition(|i| i.package == other.package)
            .map_or(items.len(), |i| i + 1);
        items.insert(
            at,
            Item {
                package: other.package.clone(),
                platform: Some(other.platform.clone()),
                digest: other.digest.clone(),
            },
        );
    }
    items
}

/// Which of a package's platform manifests a digest is meant to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted<'a> {
    /// The one StageX's `<stage>.txt` records.
    First,
    /// This platform's, from `<stage>.platforms`.
    Platform(&'a str),
    /// Any of them: a single reference given on the command line says no platform.
    Any,
}

impl Item {
    /// Which platform manifest of its package the item is.
    pub fn wanted(&self) -> Wanted<'_> {
        match &self.platform {
            None => Wanted::First,
            Some(platform) => Wanted::Platform(platform),
        }
    }
}

/// `sha256:… (os/arch)`, or the digest alone where the rebuild does not know its platform (a
/// digests file records none for the first).
fn with_platform(digest: &Digest, platform: Option<&str>) -> String {
    match platform {
        Some(platform) => format!("{digest} ({platform})"),
        None => digest.to_string(),
    }
}

/// Why the rebuild does not vouch for a digest of `package`, or None when it does. What it says
/// the rebuild got is what it got for the platform wanted, never another platform's digest.
pub fn not_reproduced(
    rebuild: &Rebuild,
    package: &str,
    wanted: Wanted,
    digest: &Digest,
) -> Option<String> {
    for (name, built) in &rebuild.packages {
        if built.indexes.contains(digest) {
            let platforms: Vec<String> = built
                .platforms()
                .map(|(p, d)| with_platform(d, p))
                .collect();
            return Some(format!(
                "{digest} is the image index of {name}; podman checks platform manifests, so sign those instead: {}",
                platforms.join(", ")
            ));
        }
    }
    if let Some(error) = rebuild.unreadable.get(package) {
        return Some(format!(
            "the rebuild in {} cannot be read for {package}: {error}",
            rebuild.label
        ));
    }
    let Some(built) = rebuild.packages.get(package) else {
        return Some(format!(
            "the rebuild in {} has no package {package}",
            rebuild.label
        ));
    };
    if built.has_manifest(digest) {
        return None;
    }
    let label = rebuild.label.as_str();
    Some(match wanted {
        Wanted::First => format!(
            "the rebuild in {label} got {} for {package}, not {digest}",
            built.first
        ),
        Wanted::Platform(platform) => match built.platform(platform) {
            Some(got) => {
                format!("the rebuild in {label} got {got} for {package} ({platform}), not {digest}")
            }
            None => {
                let has: Vec<&str> = built
                    .platforms()
                    .map(|(p, _)| p.unwrap_or("an unnamed first platform"))
                    .collect();
                format!(
                    "the rebuild in {label} has no {platform} image of {package} (it has {})",
                    has.join(", ")
                )
            }
        },
        Wanted::Any => {
            let got: Vec<String> = built
                .platforms()
                .map(|(p, d)| with_platform(d, p))
                .collect();
            format!(
                "the rebuild in {label} got {} for {package}, not {digest}",
                got.join(", ")
            )
        }
    })
}

/// The package a reference names: its repository's last path component.
pub fn package_of(reference: &Reference) -> &str {
    reference
        .path()
        .rsplit('/')
        .next()
        .unwrap_or(reference.path())
}

/// What signing a release did.
#[derive(Debug, Default)]
pub struct SignedRelease {
    /// Newly signed, with their references and placements.
    pub signed: Vec<(Item, Reference, Placement)>,
    /// Already signed by this maintainer: skipped.
    pub skipped: Vec<(Item, PathBuf)>,
    /// Not reproduced by the signer's rebuild: refused, with why.
    pub refused: Vec<(Item, String)>,
    /// The one commit for the batch.
    pub committed: Committed,
}

/// A step of a release signing, for progress display.
#[derive(Debug)]
pub enum Step<'a> {
    /// About to work through this many items.
    Start(usize),
    /// One item is done: its package and what happened, in a word.
    Done(&'a Item, &'static str),
}

/// What to sign: the release, the signer's own rebuild, and the tag for packages whose layout
/// names none.
#[derive(Debug, Clone, Copy)]
pub struct ReleasePlan<'a> {
    /// The release's digests.
    pub release: &'a Release,
    /// The signer's rebuild.
    pub rebuild: &'a Rebuild,
    /// `--tag`.
    pub tag: Option<&'a str>,
}

/// Signs every release item the rebuild reproduces, with tags from the rebuild's layouts or
/// `tag`, then commits the batch once.
pub fn sign_release(
    workspace: &Workspace,
    plan: &ReleasePlan,
    signer: &dyn PayloadSigner,
    commit: sign::Commit,
    now: SystemTime,
    progress: &mut dyn FnMut(Step),
) -> Result<SignedRelease, SignError> {
    sign_release_unshown(workspace, plan, signer, commit, now, progress)
        .map_err(|e| e.shown_in(workspace))
}

/// `sign_release`, with paths in its errors as they were found.
fn sign_release_unshown(
    workspace: &Workspace,
    plan: &ReleasePlan,
    signer: &dyn PayloadSigner,
    commit: sign::Commit,
    now: SystemTime,
    progress: &mut dyn FnMut(Step),
) -> Result<SignedRelease, SignError> {
    let ReleasePlan {
        release,
        rebuild,
        tag,
    } = *plan;
    let all = items(release);
    // What the rebuild does not reproduce is refused item by item: a package it lacks (so has
    // no tag from its layout either) is refused, and the rest still signed.
    let mut outcome = SignedRelease::default();
    let mut reproduced = Vec::new();
    for item in all {
        match not_reproduced(rebuild, &item.package, item.wanted(), &item.digest) {
            Some(why) => outcome.refused.push((item, why)),
            None => reproduced.push(item),
        }
    }
    // Every reference is settled before anything is signed: a missing tag is bad input, not a
    // half-signed release.
    let mut planned = Vec::new();
    for item in reproduced {
        let chosen = rebuild
            .packages
            .get(&item.package)
            .and_then(|b| b.tag.clone())
            .or_else(|| tag.map(str::to_string))
            .ok_or_else(|| SignError::NoTag(item.package.clone()))?;
        let name = format!("{}/{}", workspace.namespace(), item.package);
        let reference = Reference::with_parts(&name, Some(&chosen), Some(item.digest.clone()))
            .map_err(|e| SignError::BadReference(format!("{name}:{chosen}: {e}")))?;
        planned.push((item, reference));
    }
    let verifier = Verifier::new(&workspace.keyring, &workspace.maintainers, now)
        .for_consumer(workspace.consumer());
    let mut signer_handle: Option<String> = None;
    progress(Step::Start(planned.len() + outcome.refused.len()));
    for (item, _) in &outcome.refused {
        progress(Step::Done(item, "refused"));
    }
    for (item, reference) in planned {
        match sign::place(workspace, &verifier, &reference, signer)? {
            Placement::AlreadySigned { path, maintainer } => {
                signer_handle.get_or_insert(maintainer);
                progress(Step::Done(&item, "already signed"));
                outcome.skipped.push((item, path));
            }
            placement => {
                if let Placement::Written { maintainer, .. } = &placement {
                    signer_handle.get_or_insert_with(|| maintainer.clone());
                }
                progress(Step::Done(&item, "signed"));
                outcome.signed.push((item, reference, placement));
            }
        }
    }
    if commit == sign::Commit::Yes {
        let mut written: Vec<PathBuf> = outcome
            .signed
            .iter()
            .filter_map(|(_, _, p)| match p {
                Placement::Written { path, .. } => Some(path.clone()),
                Placement::AlreadySigned { .. } => None,
            })
            .collect();
        // Files an interrupted earlier run placed but never committed: this run's commit takes them.
        let skipped: Vec<PathBuf> = outcome.skipped.iter().map(|(_, p)| p.clone()).collect();
        let leftovers = crate::fs::git::discover(&workspace.signatures_dir, &workspace.root)
            .map(|repo| crate::fs::git::uncommitted(&repo, &skipped))
            .unwrap_or_default();
        written.extend(leftovers.iter().cloned());
        if let (false, Some(maintainer)) = (written.is_empty(), signer_handle.as_ref()) {
            let mut message = format!(
                "Sign {} of the release as {maintainer}\n",
                crate::text::plural(written.len(), "image")
            );
            for (_, reference, placement) in &outcome.signed {
                message.push('\n');
                message.push_str(&sign::commit_message(
                    workspace,
                    reference,
                    placement,
                    sign::Checked::Rebuild(&plan.rebuild.label),
                ));
            }
            for path in &leftovers {
                message.push_str(&format!(
                    "\nPlaced by an earlier, interrupted run: {}\n",
                    workspace.display_path(path)
                ));
            }
            outcome.committed = sign::commit_placed(workspace, &written, &message, maintainer);
        }
    }
    Ok(outcome)
}

/// A release item the rebuild about to be pushed does not match.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Mismatch {
    /// The package.
    pub package: String,
    /// The platform (`os/arch[/variant]`); None for a release item of the first platform, which
    /// `<stage>.txt` records without one.
    pub platform: Option<String>,
    /// The digest at stake: the release's, for a release image not about to be pushed; the
    /// rebuild's, for an image about to be pushed that the release does not list.
    pub digest: String,
    /// What differs.
    pub message: String,
    /// Which way it differs.
    #[serde(skip)]
    pub kind: MismatchKind,
}

impl Mismatch {
    /// The package, and the platform when known: how output names it.
    pub fn label(&self) -> String {
        match &self.platform {
            Some(platform) => format!("{} ({platform})", self.package),
            None => self.package.clone(),
        }
    }
}

/// Which way the images about to be pushed differ from the release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MismatchKind {
    /// A release image that is not among them.
    NotPushed,
    /// An image among them that the release does not list.
    NotInRelease,
}

/// The images about to be pushed must be exactly the release's: every release digest is in the
/// rebuild, and every rebuilt package is in the release with the same digests.
pub fn push_mismatches(release: &Release, rebuild: &Rebuild) -> Vec<Mismatch> {
    let all = items(release);
    let mut out = Vec::new();
    for item in &all {
        if let Some(why) = not_reproduced(rebuild, &item.package, item.wanted(), &item.digest) {
            out.push(Mismatch {
                package: item.package.clone(),
                platform: item.platform.clone(),
                digest: item.digest.to_string(),
                message: why,
                kind: MismatchKind::NotPushed,
            });
        }
    }
    for (name, built) in &rebuild.packages {
        for (platform, digest) in built.platforms() {
            if !all
                .iter()
                .any(|i| &i.package == name && &i.digest == digest)
            {
                let label = match platform {
                    Some(platform) => format!("{name} ({platform})"),
                    None => name.clone(),
                };
                out.push(Mismatch {
                    package: name.clone(),
                    platform: platform.map(str::to_string),
                    digest: digest.to_string(),
                    message: format!(
                        "{} would push {digest} for {label}, which the release does not list",
                        rebuild.label
                    ),
                    kind: MismatchKind::NotInRelease,
                });
            }
        }
    }
    out
}
