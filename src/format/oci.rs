//! OCI image layouts (`index.json` + `blobs/sha256/`), as a rebuild leaves them: which
//! per-platform manifest digests they hold. podman checks per-platform signatures, never the
//! index's, so those are the digests maintainers compare and sign.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::format::reference::{Digest, Reference};

/// A layout that cannot be read or does not hold together.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct LayoutError {
    /// The file at fault.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
    /// True when a blob's content does not match its name (a corrupt or tampered rebuild):
    /// a refusal (exit 1) rather than bad input.
    pub corrupt: bool,
}

impl crate::fault::Classify for LayoutError {
    /// A blob that does not hash to its name is a tampered rebuild: refused. Anything else
    /// cannot be read: bad input.
    fn fault(&self) -> crate::fault::Fault {
        if self.corrupt {
            crate::fault::Fault::Refused
        } else {
            crate::fault::Fault::Input
        }
    }
}

/// One per-platform image manifest found in a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformManifest {
    /// The manifest's digest: what is signed.
    pub digest: Digest,
    /// `os/architecture[/variant]`, from the descriptor or else the manifest's config.
    pub platform: String,
}

/// One image a layout holds: a layout directory holds one per name its index.json gives.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The layout directory.
    pub dir: PathBuf,
    /// `<stage>-<name>`, from the annotations or the directory name.
    pub package: String,
    /// The tag, when the annotations name one.
    pub tag: Option<String>,
    /// Every platform manifest, in the order the index lists them (StageX's digests file records
    /// the first).
    pub manifests: Vec<PlatformManifest>,
    /// Digests of image indexes met on the way: never signed.
    pub indexes: Vec<Digest>,
}

/// An image of a layout that could not be read: the package it was meant to be (the
/// directory's name when even that is unknown) and why.
#[derive(Debug)]
pub struct Unreadable {
    /// The package, as far as it is known.
    pub package: String,
    /// What is wrong.
    pub error: LayoutError,
}

/// Every image under an OUT_DIR: those read, and those that could not be (each refused on its
/// own by whoever uses them).
#[derive(Debug, Default)]
pub struct Found {
    /// The images read, sorted by package.
    pub layouts: Vec<Layout>,
    /// The images that could not be read.
    pub unreadable: Vec<Unreadable>,
}

const INDEX_TYPES: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
/// How deep indexes may nest before the layout is refused (a loop, or a crafted bomb).
const MAX_DEPTH: usize = 4;
/// An index or manifest is small JSON; refuse to read more than this of one.
const MAX_JSON: u64 = 4 * 1024 * 1024;

/// Every image in the layouts under `out_dir` (a layout is a directory holding `index.json` and
/// `blobs/`), sorted by package name. Blobs are checked against their names: one that does not
/// match is an error for the whole rebuild (it is tampered), while an image that cannot be read
/// is listed in `unreadable`. Two images of the same package, in one layout or two, are an error.
pub fn find_layouts(out_dir: &Path) -> Result<Found, LayoutError> {
    let mut found = Found::default();
    let walker = walkdir::WalkDir::new(out_dir)
        .follow_links(false)
        .sort_by_file_name();
    let mut it = walker.into_iter();
    let mut any = false;
    while let Some(entry) = it.next() {
        let entry = entry.map_err(|e| LayoutError {
            path: e
                .path()
                .map_or_else(|| out_dir.to_path_buf(), Path::to_path_buf),
            message: e.to_string(),
            corrupt: false,
        })?;
        if !entry.file_type().is_dir() {
            continue;
        }
        let dir = entry.path();
        if dir.join("index.json").is_file() && dir.join("blobs").is_dir() {
            any = true;
            read_layout_into(dir, &mut found)?;
            it.skip_current_dir();
        }
    }
    if !any {
        return Err(LayoutError {
            path: out_dir.to_path_buf(),
            message: "holds no OCI image layout (a directory with index.json and blobs/)".into(),
            corrupt: false,
        });
    }
    found.layouts.sort_by(|a, b| a.package.cmp(&b.package));
    // Where each package is built, readable or not: a package built twice is never settled by
    // picking one.
    let mut built: Vec<(&str, &Path)> = found
        .layouts
        .iter()
        .map(|l| (l.package.as_str(), l.dir.as_path()))
        .chain(
            found
                .unreadable
                .iter()
                .map(|u| (u.package.as_str(), u.error.path.as_path())),
        )
        .collect();
    built.sort();
    if let Some(pair) = built.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(LayoutError {
            path: pair[1].1.to_path_buf(),
            message: format!(
                "package {} is also built in {}",
                pair[1].0,
                pair[0].1.display()
            ),
            corrupt: false,
        });
    }
    Ok(found)
}

/// Reads one layout directory: every image it holds, or the first error (a corrupt blob or an
/// unreadable image alike).
pub fn read_layout(dir: &Path) -> Result<Vec<Layout>, LayoutError> {
    let mut found = Found::default();
    read_layout_into(dir, &mut found)?;
    match found.unreadable.into_iter().next() {
        Some(u) => Err(u.error),
        None => Ok(found.layouts),
    }
}

/// Reads one layout directory into `found`: groups index.json's descriptors by the image they
/// name, follows each through image indexes to its platform manifests, and checks every blob's
/// sha256 against its name (a mismatch is the only error returned).
fn read_layout_into(dir: &Path, found: &mut Found) -> Result<(), LayoutError> {
    let dir_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut unreadable = |package: &str, error: LayoutError| {
        found.unreadable.push(Unreadable {
            package: package.to_string(),
            error,
        })
    };
    let mut read = Vec::new();
    match check_blobs(dir) {
        Ok(()) => {}
        Err(e) if e.corrupt => return Err(e),
        Err(e) => {
            unreadable(&dir_name, e);
            return Ok(());
        }
    }
    let index_path = dir.join("index.json");
    let descriptors = match read_json(&index_path).and_then(|i| manifests_of(&i, &index_path)) {
        Ok(descriptors) => descriptors,
        Err(e) => {
            unreadable(&dir_name, e);
            return Ok(());
        }
    };
    if descriptors.is_empty() {
        unreadable(
            &dir_name,
            LayoutError {
                path: index_path,
                message: "lists no manifest".into(),
                corrupt: false,
            },
        );
        return Ok(());
    }
    // One group per package, in index order: skopeo's oci:DIR:name1 and oci:DIR:name2 are two
    // images, while descriptors naming one package (bare tags, or none) are its platforms.
    let mut groups: Vec<(String, Option<String>, Vec<&Value>)> = Vec::new();
    for descriptor in &descriptors {
        let (package, tag) = match name_and_tag(&dir_name, descriptor) {
            Ok(named) => named,
            Err(message) => {
                unreadable(
                    &dir_name,
                    LayoutError {
                        path: index_path,
                        message,
                        corrupt: false,
                    },
                );
                return Ok(());
            }
        };
        match groups.iter_mut().find(|(p, _, _)| *p == package) {
            Some((_, first_tag, members)) => {
                if first_tag.is_none() {
                    *first_tag = tag;
                }
                // The same image under a second tag is the same image, not another platform.
                let same = members.iter().any(|m| {
                    m.get("digest") == descriptor.get("digest")
                        && m.get("annotations") != descriptor.get("annotations")
                });
                if !same {
                    members.push(descriptor);
                }
            }
            None => groups.push((package, tag, vec![descriptor])),
        }
    }
    for (package, tag, members) in groups {
        let mut layout = Layout {
            dir: dir.to_path_buf(),
            package,
            tag,
            manifests: Vec::new(),
            indexes: Vec::new(),
        };
        let mut seen = BTreeSet::new();
        let outcome = members
            .iter()
            .try_for_each(|d| follow(dir, d, &index_path, 0, &mut seen, &mut layout))
            .and_then(|()| one_per_platform(&layout, &index_path));
        match outcome {
            Ok(()) => read.push(layout),
            Err(e) => unreadable(&layout.package, e),
        }
    }
    found.layouts.extend(read);
    Ok(())
}

/// An image has one manifest per platform: two for one platform are two builds under one name.
fn one_per_platform(layout: &Layout, index_path: &Path) -> Result<(), LayoutError> {
    if layout.manifests.is_empty() {
        return Err(LayoutError {
            path: index_path.to_path_buf(),
            message: format!("holds no image manifest of {}", layout.package),
            corrupt: false,
        });
    }
    for (i, a) in layout.manifests.iter().enumerate() {
        if let Some(b) = layout.manifests[i + 1..]
            .iter()
            .find(|b| b.platform == a.platform && b.digest != a.digest)
        {
            return Err(LayoutError {
                path: index_path.to_path_buf(),
                message: format!(
                    "holds two images of {} for {}: {} and {}",
                    layout.package, a.platform, a.digest, b.digest
                ),
                corrupt: false,
            });
        }
    }
    Ok(())
}

fn follow(
    dir: &Path,
    descriptor: &Value,
    from: &Path,
    depth: usize,
    seen: &mut BTreeSet<String>,
    layout: &mut Layout,
) -> Result<(), LayoutError> {
    let fail = |message: String| LayoutError {
        path: from.to_path_buf(),
        message,
        corrupt: false,
    };
    let digest_text = descriptor
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| fail("a descriptor has no digest".into()))?;
    let digest = Digest::parse(digest_text).map_err(|e| fail(format!("descriptor digest: {e}")))?;
    if depth >= MAX_DEPTH || !seen.insert(digest.hex().to_string()) {
        return Err(fail(format!(
            "{digest} is reached again or nests too deep: the layout loops"
        )));
    }
    // BuildKit lists an attestation beside each image (platform unknown/unknown): no one pulls
    // it and podman never asks for its signature, so it is no platform of the package.
    if descriptor
        .get("annotations")
        .and_then(|a| a.get("vnd.docker.reference.type"))
        .and_then(Value::as_str)
        == Some("attestation-manifest")
    {
        return Ok(());
    }
    let blob_path = blob_path(dir, &digest);
    let blob = read_json(&blob_path)?;
    let media_type = descriptor
        .get("mediaType")
        .or_else(|| blob.get("mediaType"))
        .and_then(Value::as_str)
        .unwrap_or(if blob.get("manifests").is_some() {
            INDEX_TYPES[0]
        } else {
            MANIFEST_TYPES[0]
        });
    if INDEX_TYPES.contains(&media_type) {
        layout.indexes.push(digest);
        for child in manifests_of(&blob, &blob_path)? {
            follow(dir, &child, &blob_path, depth + 1, seen, layout)?;
        }
    } else if MANIFEST_TYPES.contains(&media_type) {
        let platform = match platform_of(descriptor) {
            Some(platform) => platform,
            None => platform_of_config(dir, &blob, &blob_path, &digest)?,
        };
        layout.manifests.push(PlatformManifest { digest, platform });
    } else {
        return Err(fail(format!(
            "{digest} has media type {media_type:?}, neither an index nor an image manifest"
        )));
    }
    Ok(())
}

/// The platform an image's config names: skopeo and podman write index.json descriptors with
/// no `platform`, and the config is where the image says what it runs on.
fn platform_of_config(
    dir: &Path,
    manifest: &Value,
    manifest_path: &Path,
    digest: &Digest,
) -> Result<String, LayoutError> {
    let config = manifest
        .get("config")
        .and_then(|c| c.get("digest"))
        .and_then(Value::as_str)
        .ok_or_else(|| LayoutError {
            path: manifest_path.to_path_buf(),
            message: format!("{digest} has no config and its descriptor names no platform"),
            corrupt: false,
        })?;
    let config = Digest::parse(config).map_err(|e| LayoutError {
        path: manifest_path.to_path_buf(),
        message: format!("config digest: {e}"),
        corrupt: false,
    })?;
    let config_path = blob_path(dir, &config);
    let value = read_json(&config_path)?;
    platform_of(&value).ok_or_else(|| LayoutError {
        path: config_path,
        message: format!(
            "names no platform (no os and architecture), nor does the descriptor of {digest}"
        ),
        corrupt: false,
    })
}

fn manifests_of(index: &Value, path: &Path) -> Result<Vec<Value>, LayoutError> {
    index
        .get("manifests")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| LayoutError {
            path: path.to_path_buf(),
            message: "has no `manifests` array".into(),
            corrupt: false,
        })
}

/// `os/architecture[/variant]` from a descriptor's `platform`, or from an image config (whose
/// `os` and `architecture` sit at the top).
fn platform_of(value: &Value) -> Option<String> {
    let platform = value.get("platform").unwrap_or(value);
    let part = |key: &str| {
        platform
            .get(key)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let (os, arch) = (part("os")?, part("architecture")?);
    Some(match part("variant") {
        Some(variant) => format!("{os}/{arch}/{variant}"),
        None => format!("{os}/{arch}"),
    })
}

/// The package from `io.containerd.image.name` or a full `org.opencontainers.image.ref.name`
/// (one holding `/` or `:`, as `oci:DIR:stagex/core-x:tag` writes), else the directory's name;
/// the tag from the same annotations, or a bare `ref.name` (as `oci:DIR:tag` writes), which
/// tags the directory's package.
fn name_and_tag(dir_name: &str, descriptor: &Value) -> Result<(String, Option<String>), String> {
    let annotation = |key: &str| {
        descriptor
            .get("annotations")
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
    };
    let ref_name = annotation("org.opencontainers.image.ref.name");
    let bare_tag = ref_name.filter(|t| is_tag(t)).map(str::to_string);
    let full = [annotation("io.containerd.image.name"), ref_name]
        .into_iter()
        .flatten()
        .find(|v| v.contains('/') || v.contains(':'));
    let Some(full) = full else {
        return Ok((dir_name.to_string(), bare_tag));
    };
    let reference = Reference::parse(full)
        .map_err(|e| format!("names {full:?}, which is not an image reference: {e}"))?;
    let package = reference
        .path()
        .rsplit('/')
        .next()
        .unwrap_or(reference.path())
        .to_string();
    let tag = reference.tag().map(str::to_string).or(bare_tag);
    Ok((package, tag))
}

fn is_tag(text: &str) -> bool {
    Reference::with_parts("x", Some(text), None).is_ok()
}

fn blob_path(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs/sha256").join(digest.hex())
}

fn read_json(path: &Path) -> Result<Value, LayoutError> {
    let fail = |message: String| LayoutError {
        path: path.to_path_buf(),
        message,
        corrupt: false,
    };
    let meta = std::fs::symlink_metadata(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(fail(
            "is not a regular file (links are not followed)".into(),
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_JSON + 1).read_to_end(&mut bytes))
        .map_err(|e| fail(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_JSON {
        return Err(fail("is larger than any index or manifest".into()));
    }
    serde_json::from_slice(&bytes).map_err(|e| fail(format!("not JSON: {e}")))
}

/// Every file under blobs/sha256/ must be a regular file whose sha256 is its name.
fn check_blobs(dir: &Path) -> Result<(), LayoutError> {
    let blobs = dir.join("blobs/sha256");
    let entries = match std::fs::read_dir(&blobs) {
        Ok(entries) => entries,
        Err(e) => {
            return Err(LayoutError {
                path: blobs,
                message: format!("cannot read: {e}"),
                corrupt: false,
            })
        }
    };
    for entry in entries {
        let entry = entry.map_err(|e| LayoutError {
            path: blobs.clone(),
            message: e.to_string(),
            corrupt: false,
        })?;
        let path = entry.path();
        let corrupt = |message: String| LayoutError {
            path: path.clone(),
            message,
            corrupt: true,
        };
        if !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            return Err(corrupt(
                "is not a regular file (links are not followed)".into(),
            ));
        }
        let mut file =
            std::fs::File::open(&path).map_err(|e| corrupt(format!("cannot read: {e}")))?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut file, &mut hasher).map_err(|e| corrupt(format!("cannot read: {e}")))?;
        let actual: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let name = entry.file_name().to_string_lossy().into_owned();
        if actual != name {
            return Err(corrupt(format!(
                "blob content hashes to sha256:{actual}, not its name"
            )));
        }
    }
    Ok(())
}
