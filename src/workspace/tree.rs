//! The lookaside tree podman reads: `<root>/<repository path>@sha256=<hex>/signature-<N>`, N from
//! 1, read until the first missing number. Writes are atomic and exclusive: a signature file
//! appears whole under a number no one else holds, or not at all.

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use crate::format::reference::{Digest, Reference};
use crate::fs::confine::{ConfineError, Dir};
use crate::fs::path::Kind;
use crate::fs::source::{Source, WorkingTree};

/// Current containers/image gives up on an image whose lookaside serves this many signatures
/// ("server provided 128 signatures, assuming that's unreasonable and a server error"): the
/// pull fails, whatever the signatures are. (Debian 12's podman 4.3.1 still reads on.)
pub const PODMAN_GIVES_UP_AT: u32 = 128;

/// The most signatures quorate places for one image: one fewer than makes podman give up.
pub const MAX_SIGNATURES: u32 = PODMAN_GIVES_UP_AT - 1;

/// Where the chain of trust roots lies, below signatures/ (judged in `judge::trust`).
pub const TRUST_DIR: &str = ".quorate/trust";

/// A tree operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// A path inside the tree is a symlink: never followed, never written through.
    #[error("{}: is a symlink; quorate never follows, writes or deletes through a link", .0.display())]
    Symlink(PathBuf),
    /// A path that must be a directory is something else.
    #[error("{}: is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// The image already holds the most signatures podman pulls.
    #[error("{}: already holds {MAX_SIGNATURES} signatures; a {PODMAN_GIVES_UP_AT}th makes podman refuse to pull the image", .0.display())]
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

crate::fault::always!(Input: TreeError);

impl TreeError {
    /// The same error with its path shown as quorate shows every path: from the workspace.
    pub fn shown_in(self, workspace: &crate::workspace::Workspace) -> TreeError {
        let show = |path: PathBuf| PathBuf::from(workspace.display_path(&path));
        match self {
            TreeError::Symlink(path) => TreeError::Symlink(show(path)),
            TreeError::NotADirectory(path) => TreeError::NotADirectory(show(path)),
            TreeError::Full(path) => TreeError::Full(show(path)),
            TreeError::Io { path, source } => TreeError::Io {
                path: show(path),
                source,
            },
        }
    }
}

impl From<ConfineError> for TreeError {
    fn from(e: ConfineError) -> TreeError {
        match e {
            ConfineError::Symlink(path) => TreeError::Symlink(path),
            ConfineError::NotADirectory(path) => TreeError::NotADirectory(path),
            ConfineError::Outside { path, root } => TreeError::Io {
                source: io::Error::other(format!("not inside {}", root.display())),
                path,
            },
            ConfineError::Io { path, source } => TreeError::Io { path, source },
        }
    }
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
    /// Every `sigstore-bundle-N.json` (cosign v3 bundles, which podman never reads), sorted by N.
    pub bundles: Vec<Entry>,
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
    // An image nobody signed yet is the common answer: known from the walk, not from an error.
    if !check_no_symlinks(source, root, dir)? {
        return Ok(Listing::default());
    }
    let read = match source.list(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Listing::default()),
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
            return Err(TreeError::NotADirectory(dir.to_path_buf()))
        }
        Err(e) => return Err(io_error(dir)(e)),
    };
    Ok(listing_of(dir, read))
}

/// `signature-<N>` with N ≥ 1 written without leading zeros, as podman requests it.
pub fn signature_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("signature-")?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The name of signature file `number`, `signature-<N>`: the inverse of `signature_number`.
pub fn signature_file_name(number: u32) -> String {
    format!("signature-{number}")
}

/// `sigstore-bundle-<N>.json` with N ≥ 1 without leading zeros: a Sigstore bundle kept beside
/// the signatures under a name podman never requests.
pub fn bundle_number(name: &str) -> Option<u32> {
    let digits = name
        .strip_prefix("sigstore-bundle-")?
        .strip_suffix(".json")?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The name of bundle file `number`: the inverse of `bundle_number`.
pub fn bundle_file_name(number: u32) -> String {
    format!("sigstore-bundle-{number}.json")
}

/// Which of the two kinds of vote file a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteFile {
    /// `signature-N`: what podman reads (OpenPGP, or a cosign vote in containers/image's
    /// sigstore encoding).
    Signature,
    /// `sigstore-bundle-N.json`: a cosign v3 bundle, which only quorate reads.
    Bundle,
}

impl VoteFile {
    /// The file name of number N.
    pub fn name(self, number: u32) -> String {
        match self {
            VoteFile::Signature => signature_file_name(number),
            VoteFile::Bundle => bundle_file_name(number),
        }
    }
}

/// Refuses a symlink anywhere between `root` (itself included) and `path`; true when `path`
/// exists.
pub(crate) fn check_no_symlinks(
    source: &dyn Source,
    root: &Path,
    path: &Path,
) -> Result<bool, TreeError> {
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
            Ok(None) => return Ok(false),
            Err(e) => return Err(io_error(&p)(e)),
        }
    }
    Ok(true)
}

/// Writes `bytes` as the next free `signature-N` of `dir`, atomically and exclusively: the bytes
/// go to a temporary file that is synced, then hard-linked under the lowest free number (a link
/// fails rather than replace a file another signer placed first, and then the next number is
/// tried). `dir` is reached from `root` (the workspace) without following any link, and every
/// file is made relative to that handle. Returns N and the path.
pub(crate) fn write_next(
    root: &Path,
    dir: &Path,
    bytes: &[u8],
) -> Result<(u32, PathBuf), TreeError> {
    write_next_file(root, dir, bytes, VoteFile::Signature)
}

/// `write_next` for either kind of vote file: bundles are numbered apart from signatures, and
/// capped alike.
pub(crate) fn write_next_file(
    root: &Path,
    dir: &Path,
    bytes: &[u8],
    form: VoteFile,
) -> Result<(u32, PathBuf), TreeError> {
    let handle = Dir::create(root, dir)?;
    remove_stale_in(&handle);
    let temp = OsString::from(format!(
        ".quorate-{}-{}.tmp",
        std::process::id(),
        crate::fs::confine::unique()
    ));
    let result = link_into_place(&handle, &temp, bytes, form);
    let _ = handle.remove(&temp);
    result
}

/// Removes temporary files left by a signer that was killed before it linked its file into place
/// (named `.quorate-<pid>-…tmp`; only those whose process is gone). `dir` is reached from
/// `root` without following a link: behind one, nothing is removed and the link is the error.
pub(crate) fn remove_stale_temps(root: &Path, dir: &Path) -> Result<(), TreeError> {
    if let Some(handle) = Dir::open(root, dir)? {
        remove_stale_in(&handle);
    }
    Ok(())
}

fn remove_stale_in(dir: &Dir) {
    let Ok(entries) = dir.entries() else {
        return;
    };
    for (name, kind) in entries {
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(".quorate-")) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<i32>().ok());
        // Signal 0 checks that the process exists.
        if kind == Kind::File
            && rest.ends_with(".tmp")
            && pid.is_some_and(|pid| unsafe { libc::kill(pid, 0) } != 0)
        {
            let _ = dir.remove(&name);
        }
    }
}

/// The signature files among a directory's entries, and how many podman sees.
fn listing_of(dir: &Path, read: Vec<(OsString, Kind)>) -> Listing {
    let mut entries = Vec::new();
    let mut bundles = Vec::new();
    for (name, kind) in read {
        let Some(text) = name.to_str() else {
            continue;
        };
        let (list, number) = match (signature_number(text), bundle_number(text)) {
            (Some(n), _) => (&mut entries, n),
            (None, Some(n)) => (&mut bundles, n),
            (None, None) => continue,
        };
        list.push(Entry {
            number,
            path: dir.join(&name),
            regular: kind == Kind::File,
        });
    }
    entries.sort_by_key(|e| e.number);
    bundles.sort_by_key(|e| e.number);
    let mut contiguous = 0;
    for entry in &entries {
        if entry.number == contiguous + 1 {
            contiguous += 1;
        } else {
            break;
        }
    }
    Listing {
        entries,
        bundles,
        contiguous,
    }
}

fn listing_in(dir: &Dir) -> Result<Listing, TreeError> {
    let read = dir.entries().map_err(io_error(dir.path()))?;
    Ok(listing_of(dir.path(), read))
}

fn link_into_place(
    dir: &Dir,
    temp: &OsStr,
    bytes: &[u8],
    form: VoteFile,
) -> Result<(u32, PathBuf), TreeError> {
    let temp_path = dir.path().join(temp);
    {
        let mut file = dir.create_new(temp).map_err(io_error(&temp_path))?;
        file.write_all(bytes).map_err(io_error(&temp_path))?;
        crate::failpoint("tree-temp-written");
        file.sync_all().map_err(io_error(&temp_path))?;
    }
    crate::failpoint("tree-temp-synced");
    loop {
        let listing = listing_in(dir)?;
        let number = match form {
            VoteFile::Signature => listing.first_free(),
            VoteFile::Bundle => listing.bundles.last().map_or(1, |b| b.number + 1),
        };
        if number > MAX_SIGNATURES {
            return Err(TreeError::Full(dir.path().to_path_buf()));
        }
        let name = OsString::from(form.name(number));
        let target = dir.path().join(&name);
        match dir.link(temp, &name) {
            Ok(()) => {
                crate::failpoint("tree-linked");
                dir.sync();
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
/// then the removal of the old name, so no signature is ever lost. `dir` is reached from `root`
/// without following a link. Returns the moves made.
#[cfg(test)]
fn close_gaps(root: &Path, dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>, TreeError> {
    match Dir::open(root, dir)? {
        Some(handle) => close_gaps_in(&handle),
        None => Ok(Vec::new()),
    }
}

/// Opens every directory to renumber and refuses a link among them or in them before anything
/// moves, so a refusal leaves every directory as it was.
pub(crate) fn open_for_renumbering(root: &Path, dirs: &[PathBuf]) -> Result<Vec<Dir>, TreeError> {
    let mut handles = Vec::new();
    for dir in dirs {
        let Some(handle) = Dir::open(root, dir)? else {
            continue;
        };
        if let Some(entry) = listing_in(&handle)?.entries.iter().find(|e| !e.regular) {
            return Err(TreeError::Symlink(entry.path.clone()));
        }
        handles.push(handle);
    }
    Ok(handles)
}

/// `close_gaps` of a directory already opened.
pub(crate) fn close_gaps_in(dir: &Dir) -> Result<Vec<(PathBuf, PathBuf)>, TreeError> {
    let listing = listing_in(dir)?;
    if let Some(entry) = listing.entries.iter().find(|e| !e.regular) {
        return Err(TreeError::Symlink(entry.path.clone()));
    }
    let mut moves = Vec::new();
    for (index, entry) in listing.entries.iter().enumerate() {
        let number = index as u32 + 1;
        if entry.number == number {
            continue;
        }
        let from = OsString::from(signature_file_name(entry.number));
        let to = OsString::from(signature_file_name(number));
        let target = dir.path().join(&to);
        dir.link(&from, &to).map_err(io_error(&target))?;
        dir.remove(&from).map_err(io_error(&entry.path))?;
        moves.push((entry.path.clone(), target));
    }
    if !moves.is_empty() {
        dir.sync();
    }
    Ok(moves)
}

/// Every well-named image directory under `root` (links never followed, `.quorate` skipped).
pub fn image_dirs(root: &Path) -> Result<Vec<PathBuf>, TreeError> {
    image_dirs_in(&WorkingTree, root)
}

/// `image_dirs`, read from `source` (the working tree or a revision).
pub fn image_dirs_in(source: &dyn Source, root: &Path) -> Result<Vec<PathBuf>, TreeError> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match source.list(&dir) {
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

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use std::fs;

    /// What makes `--at` cost what the working tree costs: as gate reads a revision (each
    /// image's directory checked for links from the workspace down, listed, every file read;
    /// then a missing image and a missing signature-3), each tree object is read from git once,
    /// however many lookups pass through it, and the answers are the working tree's.
    #[test]
    fn at_reads_each_tree_of_the_revision_once() {
        use crate::fs::source::Revision;
        let ws = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(ws.path()).unwrap();
        let signatures = ws.path().join("signatures");
        let hex = |i: usize| format!("{i:064x}");
        let image = |i: usize| signatures.join(format!("stagex/pkg{i}@sha256={}", hex(i)));
        for i in 0..5 {
            fs::create_dir_all(image(i)).unwrap();
            for n in 1..=2 {
                fs::write(image(i).join(signature_file_name(n)), format!("{i}/{n}")).unwrap();
            }
        }
        let mut index = repo.index().unwrap();
        index
            .add_all(["."], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let who = git2::Signature::now("test", "test@example.org").unwrap();
        repo.commit(Some("HEAD"), &who, &who, "five images", &tree, &[])
            .unwrap();
        let revision = Revision::open(
            git2::Repository::open(ws.path()).unwrap(),
            "HEAD",
            ws.path(),
        )
        .unwrap();
        for i in 0..5 {
            let listing = list(&revision, &image(i), &signatures).unwrap();
            assert_eq!(listing.contiguous, 2);
            for entry in &listing.entries {
                let bytes = revision.read(&entry.path, 4 << 20).unwrap();
                assert_eq!(bytes, fs::read(&entry.path).unwrap());
            }
            assert_eq!(revision.kind(&image(i).join("signature-3")).unwrap(), None);
        }
        assert!(list(&revision, &image(9), &signatures)
            .unwrap()
            .entries
            .is_empty());
        // The root, signatures/, signatures/stagex/ and five image directories: eight trees.
        assert_eq!(revision.trees_read(), 8);
    }

    #[test]
    fn names_follow_podman() {
        assert_eq!(signature_number("signature-1"), Some(1));
        assert_eq!(signature_number("signature-128"), Some(128));
        assert_eq!(signature_number("signature-01"), None);
        assert_eq!(signature_number("signature-0"), None);
        assert_eq!(signature_number("signature-"), None);
        assert_eq!(signature_number("signature-1a"), None);
        assert_eq!(signature_file_name(7), "signature-7");
        for n in [1, 9, 10, 128, MAX_SIGNATURES] {
            assert_eq!(signature_number(&signature_file_name(n)), Some(n));
        }
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
            fs::write(dir.join(signature_file_name(n)), format!("{n}")).unwrap();
        }
        let moves = close_gaps(root.path(), &dir).unwrap();
        assert_eq!(moves.len(), 3);
        for (n, content) in [(1, "2"), (2, "5"), (3, "6")] {
            assert_eq!(
                fs::read_to_string(dir.join(signature_file_name(n))).unwrap(),
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
            fs::write(dir.join(signature_file_name(n)), b"x").unwrap();
        }
        assert!(matches!(
            write_next(root.path(), &dir, b"x"),
            Err(TreeError::Full(_))
        ));
    }
}
