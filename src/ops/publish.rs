//! `quorate publish DIR`: the lookaside as podman reads it. Writes exactly the
//! `<repository path>@sha256=<hex>/signature-N` files of a revision's signatures tree into DIR,
//! nothing else (no `.quorate/`, no `.gitkeep`), built beside DIR and swapped in with one rename,
//! so a reader (a static server, an object store synced from DIR) sees the old tree or the new,
//! never a half-written one.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::fs::confine::{self, ConfineError, Dir};
use crate::fs::path::Kind;
use crate::workspace::tree::{self, TreeError};
use crate::workspace::Workspace;

/// What to publish into.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// The directory served (made when missing); it may hold only what publish writes.
    pub target: PathBuf,
}

/// Why nothing was published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// An image's numbering has a gap: podman stops at the first missing number, so what
    /// follows would be served and never read.
    #[error("{image}: signature-{missing} is missing before signature-{next}: podman stops at the gap and never reads signature-{next}; close it with `quorate repair`, commit, and publish again")]
    Gap {
        /// The image directory, relative to the workspace.
        image: String,
        /// The first number missing.
        missing: u32,
        /// The number after the gap.
        next: u32,
    },
    /// A signature in the tree is not a regular file (a link committed in its place).
    #[error("{0}: is not a regular file; podman would not read it as a signature")]
    NotRegular(String),
    /// A signature too large or unreadable.
    #[error("{path}: {message}")]
    Unreadable {
        /// The file, relative to the workspace.
        path: String,
        /// Why.
        message: String,
    },
    /// DIR holds something publish did not write: it is not a published lookaside, and publish
    /// would delete it.
    #[error("{}: holds {}, which publish does not write; publish into an empty directory or one publish wrote", target.display(), found.display())]
    Foreign {
        /// DIR.
        target: PathBuf,
        /// What it holds.
        found: PathBuf,
    },
    /// DIR is not a directory, or names none (`.`, `/`).
    #[error("{}: {message}", target.display())]
    Target {
        /// DIR.
        target: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The signatures tree cannot be read.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// Writing failed (or would go through a link).
    #[error(transparent)]
    Write(#[from] ConfineError),
}

impl crate::fault::Classify for PublishError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            PublishError::Gap { .. } | PublishError::NotRegular(_) => crate::fault::Fault::Refused,
            PublishError::Tree(e) => e.fault(),
            _ => crate::fault::Fault::Input,
        }
    }
}

/// What publishing changed.
#[derive(Debug, Clone, Default)]
pub struct Published {
    /// Images served (with at least one signature).
    pub images: usize,
    /// Signature files served.
    pub files: usize,
    /// Files new in DIR, relative to it.
    pub added: Vec<String>,
    /// Files whose bytes changed.
    pub replaced: Vec<String>,
    /// Files no longer in the tree, removed from DIR.
    pub removed: Vec<String>,
}

impl Published {
    /// True when DIR already held exactly this tree (and was left untouched).
    pub fn unchanged(&self) -> bool {
        self.added.is_empty() && self.replaced.is_empty() && self.removed.is_empty()
    }
}

/// Files by their path relative to DIR (`<repository path>@sha256=<hex>/signature-N`).
type Files = BTreeMap<String, Vec<u8>>;

/// Publishes the workspace's signatures tree (as its source reads it: a revision, or the
/// working tree) into `options.target`.
pub fn publish(workspace: &Workspace, options: &PublishOptions) -> Result<Published, PublishError> {
    let wanted = wanted(workspace)?;
    let target = &options.target;
    let name = target
        .file_name()
        .filter(|n| *n != "." && *n != "..")
        .ok_or_else(|| PublishError::Target {
            target: target.clone(),
            message: "name the directory to publish into".into(),
        })?
        .to_os_string();
    let parent_path = target.parent().unwrap_or(Path::new(""));
    let parent = confine::output_dir(parent_path)?;
    let current = match parent.kind(&name).map_err(|e| io(target, e))? {
        None => None,
        Some(Kind::Dir) => Some(served(target)?),
        Some(_) => {
            return Err(PublishError::Target {
                target: target.clone(),
                message: "is not a directory (a link is never published through)".into(),
            })
        }
    };
    let empty = Files::new();
    let had = current.as_ref().unwrap_or(&empty);
    let mut published = Published {
        images: wanted
            .keys()
            .filter_map(|k| k.rsplit_once('/').map(|(dir, _)| dir))
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        files: wanted.len(),
        ..Published::default()
    };
    for (path, bytes) in &wanted {
        match had.get(path) {
            None => published.added.push(path.clone()),
            Some(old) if old != bytes => published.replaced.push(path.clone()),
            Some(_) => {}
        }
    }
    published.removed = had
        .keys()
        .filter(|p| !wanted.contains_key(*p))
        .cloned()
        .collect();
    if published.unchanged() && current.is_some() {
        return Ok(published);
    }
    let mut staging = OsStr::new(".").to_os_string();
    staging.push(&name);
    staging.push(format!(
        ".quorate-{}-{}.new",
        std::process::id(),
        confine::unique()
    ));
    // Made fresh: a directory planted under this name would otherwise be served with its files.
    parent.subdir_new(&staging)?;
    let result = stage(&parent, &staging, &wanted).and_then(|()| {
        if current.is_some() {
            // One step: readers see the old tree or the new one, never neither.
            parent
                .exchange(&staging, &name)
                .map_err(|e| io(target, e))?;
            parent.remove_tree(&staging)?;
        } else {
            parent.rename(&staging, &name).map_err(|e| io(target, e))?;
        }
        parent.sync();
        Ok(())
    });
    if result.is_err() {
        let _ = parent.remove_tree(&staging);
    }
    result.map(|()| published)
}

fn io(path: &Path, source: std::io::Error) -> PublishError {
    PublishError::Write(ConfineError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Every signature podman would read, by path below DIR; an image whose numbering it would stop
/// short in is refused.
fn wanted(workspace: &Workspace) -> Result<Files, PublishError> {
    let source = workspace.source.as_ref();
    let root = &workspace.signatures_dir;
    let mut files = Files::new();
    for dir in tree::image_dirs_in(source, root)? {
        let listing = tree::list(source, &dir, root)?;
        let relative = dir
            .strip_prefix(root)
            .unwrap_or(&dir)
            .to_string_lossy()
            .into_owned();
        for (i, entry) in listing.entries.iter().enumerate() {
            let expected = i as u32 + 1;
            if entry.number != expected {
                return Err(PublishError::Gap {
                    image: workspace.display_path(&dir),
                    missing: expected,
                    next: entry.number,
                });
            }
            if !entry.regular {
                return Err(PublishError::NotRegular(
                    workspace.display_path(&entry.path),
                ));
            }
            let bytes = crate::judge::quorum::read_limited(source, &entry.path).map_err(|p| {
                PublishError::Unreadable {
                    path: workspace.display_path(&entry.path),
                    message: p.to_string(),
                }
            })?;
            files.insert(
                format!("{relative}/{}", tree::signature_file_name(entry.number)),
                bytes,
            );
        }
    }
    Ok(files)
}

/// What DIR serves now. Anything but directories leading to `<path>@sha256=<hex>/signature-N`
/// regular files is refused: DIR is replaced whole, and publish never deletes what it did not
/// write.
fn served(target: &Path) -> Result<Files, PublishError> {
    let mut files = Files::new();
    let foreign = |found: &Path| PublishError::Foreign {
        target: target.to_path_buf(),
        found: found.to_path_buf(),
    };
    let Some(top) = Dir::open(target, target)? else {
        return Ok(files);
    };
    let mut pending: Vec<(Dir, PathBuf)> = vec![(top, PathBuf::new())];
    while let Some((dir, relative)) = pending.pop() {
        for (name, kind) in dir.entries().map_err(|e| io(dir.path(), e))? {
            let path = relative.join(&name);
            let in_image = tree::parse_image_dir(&relative.to_string_lossy()).is_some();
            match kind {
                Kind::Dir if !in_image => {
                    let child = Dir::open(target, &target.join(&path))?
                        .ok_or_else(|| foreign(&target.join(&path)))?;
                    pending.push((child, path));
                }
                Kind::File
                    if in_image && tree::signature_number(&name.to_string_lossy()).is_some() =>
                {
                    let bytes = dir
                        .read(&name, crate::format::message::MAX_SIGNATURE_FILE)
                        .map_err(|e| io(&target.join(&path), e))?;
                    files.insert(path.to_string_lossy().into_owned(), bytes);
                }
                _ => return Err(foreign(&target.join(&path))),
            }
        }
    }
    Ok(files)
}

/// Writes every file into `staging`, a directory of `parent` just made.
fn stage(parent: &Dir, staging: &OsStr, files: &Files) -> Result<(), PublishError> {
    let root = parent.path().join(staging);
    for (path, bytes) in files {
        let path = Path::new(path);
        let dir_path = root.join(path.parent().unwrap_or(Path::new("")));
        let dir = Dir::create(&root, &dir_path)?;
        dir.write_atomic(path.file_name().unwrap_or_default(), bytes)?;
    }
    Ok(())
}
