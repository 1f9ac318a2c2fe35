//! OCI image layouts (`index.json` + `blobs/sha256/`), as a rebuild leaves them: which
//! per-platform manifest digests they hold. podman checks per-platform signatures, never the
//! index's, so those are the digests maintainers compare and sign.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::reference::{Digest, Reference};

/// A layout that cannot be read or does not hold together.
#[derive(Debug, thiserror::Error)]
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

/// One per-platform image manifest found in a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformManifest {
    /// The manifest's digest: what is signed.
    pub digest: Digest,
    /// `os/architecture[/variant]`, or `unknown` when the descriptor names none.
    pub platform: String,
}

/// What one layout holds.
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

/// Every layout under `out_dir` (a layout is a directory holding `index.json` and `blobs/`),
/// sorted by package name. Blobs are checked against their names.
pub fn find_layouts(out_dir: &Path) -> Result<Vec<Layout>, LayoutError> {
    let mut layouts = Vec::new();
    let walker = walkdir::WalkDir::new(out_dir)
        .follow_links(false)
        .sort_by_file_name();
    let mut it = walker.into_iter();
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
            layouts.push(read_layout(dir)?);
            it.skip_current_dir();
        }
    }
    if layouts.is_empty() {
        return Err(LayoutError {
            path: out_dir.to_path_buf(),
            message: "holds no OCI image layout (a directory with index.json and blobs/)".into(),
            corrupt: false,
        });
    }
    layouts.sort_by(|a, b| a.package.cmp(&b.package));
    if let Some(pair) = layouts.windows(2).find(|w| w[0].package == w[1].package) {
        return Err(LayoutError {
            path: pair[1].dir.clone(),
            message: format!(
                "package {} is also built in {}",
                pair[1].package,
                pair[0].dir.display()
            ),
            corrupt: false,
        });
    }
    Ok(layouts)
}

/// Reads one layout: follows index.json through image indexes to the platform manifests and
/// checks every blob's sha256 against its name.
pub fn read_layout(dir: &Path) -> Result<Layout, LayoutError> {
    check_blobs(dir)?;
    let index_path = dir.join("index.json");
    let index = read_json(&index_path)?;
    let descriptors = manifests_of(&index, &index_path)?;
    let first = descriptors.first().ok_or_else(|| LayoutError {
        path: index_path.clone(),
        message: "lists no manifest".into(),
        corrupt: false,
    })?;
    let (package, tag) = name_and_tag(dir, first);
    let mut layout = Layout {
        dir: dir.to_path_buf(),
        package,
        tag,
        manifests: Vec::new(),
        indexes: Vec::new(),
    };
    let mut seen = BTreeSet::new();
    for descriptor in &descriptors {
        follow(dir, descriptor, &index_path, 0, &mut seen, &mut layout)?;
    }
    Ok(layout)
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
        layout.manifests.push(PlatformManifest {
            digest,
            platform: platform_of(descriptor),
        });
    } else {
        return Err(fail(format!(
            "{digest} has media type {media_type:?}, neither an index nor an image manifest"
        )));
    }
    Ok(())
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

fn platform_of(descriptor: &Value) -> String {
    let Some(platform) = descriptor.get("platform") else {
        return "unknown".into();
    };
    let part = |key: &str| {
        platform
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match (part("os"), part("architecture")) {
        (Some(os), Some(arch)) => match part("variant") {
            Some(variant) => format!("{os}/{arch}/{variant}"),
            None => format!("{os}/{arch}"),
        },
        _ => "unknown".into(),
    }
}

/// The package from `io.containerd.image.name` or a full `org.opencontainers.image.ref.name`,
/// else the directory's name; the tag from the same annotations.
fn name_and_tag(dir: &Path, descriptor: &Value) -> (String, Option<String>) {
    let annotation = |key: &str| {
        descriptor
            .get("annotations")
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let dir_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let full = [
        annotation("io.containerd.image.name"),
        annotation("org.opencontainers.image.ref.name"),
    ]
    .into_iter()
    .flatten()
    .find(|v| v.contains('/') || v.contains(':'))
    .and_then(|v| Reference::parse(&v).ok());
    if let Some(reference) = full {
        let package = reference
            .path()
            .rsplit('/')
            .next()
            .unwrap_or(&dir_name)
            .to_string();
        let tag = reference
            .tag()
            .map(str::to_string)
            .or_else(|| annotation("org.opencontainers.image.ref.name").filter(|t| is_tag(t)));
        return (package, tag);
    }
    (
        dir_name,
        annotation("org.opencontainers.image.ref.name").filter(|t| is_tag(t)),
    )
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
