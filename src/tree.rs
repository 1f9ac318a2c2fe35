//! The lookaside tree podman reads: `<root>/<repository path>@sha256=<hex>/signature-<N>`, N from
//! 1, read until the first missing number. Writes are atomic and exclusive: a signature file
//! appears whole under a number no one else holds, or not at all.

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use crate::reference::{Digest, Reference};
use crate::source::{Kind, Source, WorkingTree};

/// podman reads at most this many signatures of one image.
pub const MAX_SIGNATURES: u32 = 128;

/// A tree operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// A path inside the tree is a symlink: never followed, never written through.
    #[error("{}: is a symlink; quorate never follows links inside the signatures tree", .0.display())]
    Symlink(PathBuf),
    /// A path that must be a directory is something else.
    #[error("{}: is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// The image already holds all the signatures podman reads.
    #[error("{}: already holds {MAX_SIGNATURES} signatures, all podman reads", .0.display())]
    Full(PathBuf),
    /// An I/O error on a named path.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> TreeError + '_ {
    move |source| TreeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The directory of an image's signatures: `<root>/<path>@sha256=<hex>`.
pub fn image_dir(root: &Path, reference: &Reference) -> PathBuf {
    let digest = reference.digest().expect("an image reference has a digest");
    root.join(format!("{}@sha256={}", reference.path(), digest.hex()))
}

/// Splits a directory name relative to the root into repository path and digest, as podman
/// would have named it; None when it is not `<path>@sha256=<64 hex>`.
pub fn parse_image_dir(relative: &str) -> Option<(String, Digest)> {
    let (path, hex) = relative.rsplit_once("@sha256=")?;
    let digest = Digest::from_hex(hex).ok()?;
    let reference = Reference::parse(&format!("docker.io/{path}")).ok()?;
    (reference.path() == path && reference.tag().is_none()).then_some((path.to_string(), digest))
}

/// One `signature-N` file found in an image directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// N.
    pub number: u32,
    /// The file's path.
    pub path: PathBuf,
    /// False for a symlink or anything else that is not a regular file.
    pub regular: bool,
}

/// What an image directory holds.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Every `signature-N`, sorted by N.
    pub entries: Vec<Entry>,
    /// How many podman sees: the length of the run 1, 2, 3, … with no gap.
    pub contiguous: u32,
}

impl Listing {
    /// The lowest number not taken.
    pub fn first_free(&self) -> u32 {
        self.contiguous + 1
    }
}

/// Lists an image directory; a missing directory holds nothing. Names other than
/// `signature-<N>` (N without leading zeros) are not signatures to podman and are left out.
pub fn list(source: &dyn Source, dir: &Path, root: &Path) -> Result<Listing, TreeError> {
    check_no_symlinks(source, root, dir)?;
    let read = match source.list(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Listing::default()),
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
            return Err(TreeError::NotADirectory(dir.to_path_buf()))
        }
        Err(e) => return Err(io_error(dir)(e)),
    };
    let mut entries = Vec::new();
    for (name, kind) in read {
        let Some(number) = name.to_str().and_then(signature_number) else {
            continue;
        };
        entries.push(Entry {
            number,
            path: dir.join(&name),
            regular: kind == Kind::File,
        });
    }
    entries.sort_by_key(|e| e.number);
    let mut contiguous = 0;
    for entry in &entries {
        if entry.number == contiguous + 1 {
            contiguous += 1;
        } else {
            break;
        }
    }
    Ok(Listing {
        entries,
        contiguous,
    })
}

/// `signature-<N>` with N ≥ 1 written without leading zeros, as podman requests it.
pub fn signature_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("signature-")?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Refuses a symlink anywhere between `root` (itself included) and `path`.
pub fn check_no_symlinks(source: &dyn Source, root: &Path, path: &Path) -> Result<(), TreeError> {
    let mut current = root.to_path_buf();
    let relative = path.strip_prefix(root).unwrap_or(Path::new(""));
    let mut to_check = vec![current.clone()];
    for component in relative.components() {
        if let Component::Normal(part) = component {
            current.push(part);
            to_check.push(current.clone());
        }
    }
    for p in to_check {
        match source.kind(&p) {
            Ok(Some(Kind::Symlink)) => return Err(TreeError::Symlink(p)),
            Ok(Some(_)) => {}
            Ok(None) => return Ok(()),
            Err(e) => return Err(io_error(&p)(e)),
        }
    }
    Ok(())
}

/// Writes `bytes` as the next free `signature-N` of `dir`, atomically and exclusively: the bytes
/// go to a temporary file that is synced, then hard-linked under the lowest free number (a link
/// fails rather than replace a file another signer placed first, and then the next number is
/// tried). Returns N and the path.
pub fn write_next(root: &Path, dir: &Path, bytes: &[u8]) -> Result<(u32, PathBuf), TreeError> {
    check_no_symlinks(&WorkingTree, root, dir)?;
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    // Created above: check again so a link planted meanwhile is not written through.
    check_no_symlinks(&WorkingTree, root, dir)?;
    remove_stale_temps(dir);
    let temp = dir.join(format!(".quorate-{}-{}.tmp", std::process::id(), unique()));
    let result = link_into_place(root, dir, &temp, bytes);
    let _ = fs::remove_file(&temp);
    result
}

/// Removes temporary files left by a signer that was killed before it linked its file into place
/// (named `.quorate-<pid>-…tmp`; only those whose process is gone).
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(".quorate-")) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<i32>().ok());
        // Signal 0 checks that the process exists.
        if pid.is_some_and(|pid| unsafe { libc::kill(pid, 0) } != 0) && rest.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn link_into_place(
    root: &Path,
    dir: &Path,
    temp: &Path,
    bytes: &[u8],
) -> Result<(u32, PathBuf), TreeError> {
    {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(temp)
            .map_err(io_error(temp))?;
        file.write_all(bytes).map_err(io_error(temp))?;
        crate::failpoint("tree-temp-written");
        file.sync_all().map_err(io_error(temp))?;
    }
    crate::failpoint("tree-temp-synced");
    loop {
        let listing = list(&WorkingTree, dir, root)?;
        let number = listing.first_free();
        if number > MAX_SIGNATURES {
            return Err(TreeError::Full(dir.to_path_buf()));
        }
        let target = dir.join(format!("signature-{number}"));
        match fs::hard_link(temp, &target) {
            Ok(()) => {
                crate::failpoint("tree-linked");
                sync_dir(dir);
                return Ok((number, target));
            }
            // Another signer took this number between the listing and the link: look again.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error(&target)(e)),
        }
    }
}

/// Renumbers an image directory's signatures to 1..k, in their order, so podman sees them all.
/// Each move is a hard link under the new number (which fails rather than replace a file) and
/// then the removal of the old name, so no signature is ever lost. Returns the moves made.
pub fn close_gaps(root: &Path, dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>, TreeError> {
    let listing = list(&WorkingTree, dir, root)?;
    if let Some(entry) = listing.entries.iter().find(|e| !e.regular) {
        return Err(TreeError::Symlink(entry.path.clone()));
    }
    let mut moves = Vec::new();
    for (index, entry) in listing.entries.iter().enumerate() {
        let number = index as u32 + 1;
        if entry.number == number {
            continue;
        }
        let target = dir.join(format!("signature-{number}"));
        fs::hard_link(&entry.path, &target).map_err(io_error(&target))?;
        fs::remove_file(&entry.path).map_err(io_error(&entry.path))?;
        moves.push((entry.path.clone(), target));
    }
    if !moves.is_empty() {
        sync_dir(dir);
    }
    Ok(moves)
}

/// Every well-named image directory under `root` (links never followed, `.quorate` skipped).
pub fn image_dirs(root: &Path) -> Result<Vec<PathBuf>, TreeError> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match WorkingTree.list(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound && dir == root => return Ok(found),
            Err(e) => return Err(io_error(&dir)(e)),
        };
        for (name, kind) in entries {
            let path = dir.join(&name);
            if kind != Kind::Dir || (dir == root && name == ".quorate") {
                continue;
            }
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            if parse_image_dir(&relative).is_some() {
                found.push(path);
            } else if !relative.contains('@') {
                pending.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Writes a whole file atomically (temp file, sync, rename): for outputs such as an exported
/// keyring, where replacing an older copy is intended.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(
        ".{name}.quorate-{}-{}.tmp",
        std::process::id(),
        unique()
    ));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        sync_dir(&dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

fn sync_dir(dir: &Path) {
    // Best effort: makes the new name durable; not every filesystem lets a directory be synced.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

fn unique() -> u128 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_podman() {
        assert_eq!(signature_number("signature-1"), Some(1));
        assert_eq!(signature_number("signature-128"), Some(128));
        assert_eq!(signature_number("signature-01"), None);
        assert_eq!(signature_number("signature-0"), None);
        assert_eq!(signature_number("signature-"), None);
        assert_eq!(signature_number("signature-1a"), None);
        let hex = "2fbe7b164dd92edb9c1096152f6d27592d8a69b1b8eb2fc907b5fadea7d11668";
        assert_eq!(
            parse_image_dir(&format!("stagex/pallet-rust@sha256={hex}"))
                .unwrap()
                .0,
            "stagex/pallet-rust"
        );
        assert!(parse_image_dir("core-busybox@sha256=").is_none());
        assert!(parse_image_dir(&format!("../x@sha256={hex}")).is_none());
        assert!(parse_image_dir(&format!("/x@sha256={hex}")).is_none());
        assert!(parse_image_dir(&format!("x:1@sha256={hex}")).is_none());
    }

    #[test]
    fn numbering_and_gaps() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a@sha256=x");
        assert_eq!(
            list(&WorkingTree, &dir, root.path()).unwrap().first_free(),
            1
        );
        let (n, _) = write_next(root.path(), &dir, b"one").unwrap();
        assert_eq!(n, 1);
        fs::write(dir.join("signature-3"), b"three").unwrap();
        let listing = list(&WorkingTree, &dir, root.path()).unwrap();
        assert_eq!(listing.contiguous, 1);
        assert_eq!(listing.entries.len(), 2);
        // The gap is filled first, so podman sees every file.
        let (n, path) = write_next(root.path(), &dir, b"two").unwrap();
        assert_eq!(n, 2);
        assert_eq!(fs::read(path).unwrap(), b"two");
        assert_eq!(list(&WorkingTree, &dir, root.path()).unwrap().contiguous, 3);
        assert_eq!(write_next(root.path(), &dir, b"four").unwrap().0, 4);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 4);
    }

    #[test]
    fn symlinks_are_never_followed() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("stagex")).unwrap();
        let dir = root.path().join("stagex/a@sha256=x");
        assert!(matches!(
            write_next(root.path(), &dir, b"x"),
            Err(TreeError::Symlink(_))
        ));
        assert!(matches!(
            list(&WorkingTree, &dir, root.path()),
            Err(TreeError::Symlink(_))
        ));
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
    }

    #[test]
    fn gaps_close_without_losing_a_file() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a@sha256=x");
        fs::create_dir_all(&dir).unwrap();
        for n in [2, 5, 6] {
            fs::write(dir.join(format!("signature-{n}")), format!("{n}")).unwrap();
        }
        let moves = close_gaps(root.path(), &dir).unwrap();
        assert_eq!(moves.len(), 3);
        for (n, content) in [(1, "2"), (2, "5"), (3, "6")] {
            assert_eq!(
                fs::read_to_string(dir.join(format!("signature-{n}"))).unwrap(),
                content
            );
        }
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 3);
        assert!(close_gaps(root.path(), &dir).unwrap().is_empty());
    }

    #[test]
    fn a_full_image_refuses_more() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a@sha256=x");
        fs::create_dir_all(&dir).unwrap();
        for n in 1..=MAX_SIGNATURES {
            fs::write(dir.join(format!("signature-{n}")), b"x").unwrap();
        }
        assert!(matches!(
            write_next(root.path(), &dir, b"x"),
            Err(TreeError::Full(_))
        ));
    }
}
