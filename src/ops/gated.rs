//! What `gate -- CMD` hands CMD: exactly the images it verified, each by digest, and with
//! `--rebuilt` the layout and manifest blob each was read from, so a push script pushes what was
//! gated and never re-reads out/ to pick tags (docs/json.md, "gated").

use std::path::PathBuf;

use serde::Serialize;

use crate::format::digests::Release;
use crate::format::reference::{Reference, ReferenceError};
use crate::ops::rebuild::Rebuild;
use crate::ops::release;

/// One image that passed the gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatedImage {
    /// The release package (`<stage>-<name>`), or the repository path for an image named on the
    /// command line.
    pub package: String,
    /// `os/arch[/variant]`, when known (the release's `.platforms`, or the rebuilt layout).
    pub platform: Option<String>,
    /// `<repository>[:<tag>]@sha256:<hex>`, normalized: what to push to, by digest.
    pub reference: String,
    /// The repository, `<registry>/<path>`.
    pub repository: String,
    /// The tag, when the reference or the rebuilt layout names one.
    pub tag: Option<String>,
    /// `sha256:<hex>`: the platform manifest that was gated.
    pub digest: String,
    /// With `--rebuilt`: the OCI layout directory the image was read from.
    pub layout: Option<PathBuf>,
    /// With `--rebuilt`: that manifest's blob in the layout (`blobs/sha256/<hex>`).
    pub manifest: Option<PathBuf>,
}

/// The document `QUORATE_GATED` names.
#[derive(Debug, Clone, Serialize)]
pub struct Gated {
    /// The threshold the images passed.
    pub threshold: u32,
    /// Every image gated, in the gate's order.
    pub images: Vec<GatedImage>,
}

impl Gated {
    /// The plain list, `REF@sha256:…` one per line: what `QUORATE_GATED_REFS` holds.
    pub fn references(&self) -> String {
        self.images
            .iter()
            .map(|i| i.reference.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn image(package: String, platform: Option<String>, reference: &Reference) -> GatedImage {
    GatedImage {
        package,
        platform,
        reference: reference.to_string(),
        repository: reference.name(),
        tag: reference.tag().map(str::to_string),
        digest: reference
            .digest()
            .map(ToString::to_string)
            .unwrap_or_default(),
        layout: None,
        manifest: None,
    }
}

/// Images named on the command line, as given (normalized).
pub fn of_references(references: &[Reference]) -> Vec<GatedImage> {
    references
        .iter()
        .map(|r| image(r.path().to_string(), None, r))
        .collect()
}

/// Every platform manifest of the release, under `namespace`; with the rebuild about to be
/// pushed, each carries its layout, its manifest blob and the layout's tag.
pub fn of_release(
    namespace: &str,
    release_digests: &Release,
    rebuild: Option<&Rebuild>,
) -> Result<Vec<GatedImage>, ReferenceError> {
    release::items(release_digests)
        .into_iter()
        .map(|item| {
            let name = format!("{namespace}/{}", item.package);
            let built = rebuild.and_then(|r| r.packages.get(&item.package));
            let tag = built.and_then(|b| b.tag.as_deref());
            let reference = Reference::with_parts(&name, tag, Some(item.digest.clone()))
                .or_else(|_| Reference::with_parts(&name, None, Some(item.digest.clone())))?;
            let platform = item
                .platform
                .clone()
                .or_else(|| built.and_then(|b| b.first_platform.clone()));
            let mut gated = image(item.package.clone(), platform, &reference);
            if let Some(layout) = built.and_then(|b| b.layout.as_ref()) {
                // Absolute, so a script that changes directory still reads the same layout.
                let layout = std::path::absolute(layout).unwrap_or_else(|_| layout.clone());
                gated.manifest = Some(layout.join("blobs/sha256").join(item.digest.hex()));
                gated.layout = Some(layout);
            }
            Ok(gated)
        })
        .collect()
}
