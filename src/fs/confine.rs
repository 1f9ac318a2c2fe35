//! Every file quorate creates, replaces or deletes goes through here. A write starts from a
//! directory the caller chose (the workspace, `--keyring DIR`, the parent of an `-o` output) and
//! reaches its target one component at a time, each opened relative to the one before with
//! `O_NOFOLLOW|O_DIRECTORY`; files are then created, linked, renamed and removed relative to
//! that directory handle. So no link below the chosen directory, planted before the command or
//! swapped in while it runs, is ever written or deleted through. `clippy.toml` forbids the
//! standard library's writing functions everywhere else, so a new command cannot forget this.
//!

use std::ffi::{CString, OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::fs::path::{relative_to, Kind};

/// A write or delete that would not stay below the directory the caller chose.
#[derive(Debug, thiserror::Error)]
pub enum ConfineError {
    /// A component of the path is a symbolic link.
    #[error("{}: is a symlink; quorate never writes or deletes through a link", .0.display())]
    Symlink(PathBuf),
    /// A component that must be a directory is something else.
    #[error("{}: is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// The path does not lie below the directory it must stay in (a bug, or `..`).
    #[error("{}: is not inside {}", path.display(), root.display())]
    Outside {
        /// The path.
        path: PathBuf,
        /// Where it had to be.
        root: PathBuf,
    },
    /// The operating system refused.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

crate::fault::always!(Input: ConfineError);

impl ConfineError {
    fn io(path: &Path, source: io::Error) -> ConfineError {
        ConfineError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

fn cstring(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

fn os(result: libc::c_int) -> io::Result<libc::c_int> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

/// A directory reached without following a link below the caller's chosen root. Every
/// operation names an entry of this directory, never a path.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

impl Dir {
    /// The directory `path`, at or below `root`, when it exists. `root` itself is the caller's
    /// choice and is opened as named; below it, a link or a non-directory is an error.
    pub fn open(root: &Path, path: &Path) -> Result<Option<Dir>, ConfineError> {
        Dir::walk(root, path, false)
    }

    /// The directory `path`, at or below `root`, made (with its missing parents) when absent.
    pub fn create(root: &Path, path: &Path) -> Result<Dir, ConfineError> {
        Ok(Dir::walk(root, path, true)?.expect("created when missing"))
    }

    fn walk(root: &Path, path: &Path, create: bool) -> Result<Option<Dir>, ConfineError> {
        let relative = relative_to(root, path).ok_or_else(|| ConfineError::Outside {
            path: path.to_path_buf(),
            root: root.to_path_buf(),
        })?;
        let named = if root.as_os_str().is_empty() {
            Path::new(".")
        } else {
            root
        };
        let c_root = cstring(named.as_os_str()).map_err(|e| ConfineError::io(root, e))?;
        // SAFETY: a valid NUL-terminated path; the descriptor is owned below.
        let fd = os(unsafe {
            libc::open(
                c_root.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        })
        .map_err(|e| ConfineError::io(root, e))?;
        // SAFETY: open returned a fresh descriptor that nothing else owns.
        let mut dir = Dir {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            path: root.to_path_buf(),
        };
        for name in relative.iter() {
            match dir.child(name, create)? {
                Some(child) => dir = child,
                None => return Ok(None),
            }
        }
        Ok(Some(dir))
    }

    /// The subdirectory `name`, never through a link; made first when `create`.
    fn child(&self, name: &OsStr, create: bool) -> Result<Option<Dir>, ConfineError> {
        let path = self.path.join(name);
        let c_name = cstring(name).map_err(|e| ConfineError::io(&path, e))?;
        loop {
            // SAFETY: a valid descriptor and NUL-terminated name.
            let fd = unsafe {
                libc::openat(
                    self.fd.as_raw_fd(),
                    c_name.as_ptr(),
                    libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                )
            };
            if fd >= 0 {
                return Ok(Some(Dir {
                    // SAFETY: openat returned a fresh descriptor that nothing else owns.
                    fd: unsafe { OwnedFd::from_raw_fd(fd) },
                    path,
                }));
            }
            let error = io::Error::last_os_error();
            match error.raw_os_error() {
                Some(libc::ENOENT) if create => {
                    // SAFETY: as above.
                    let made =
                        unsafe { libc::mkdirat(self.fd.as_raw_fd(), c_name.as_ptr(), 0o777) };
                    if made < 0 {
                        let error = io::Error::last_os_error();
                        // Made by someone else meanwhile: open whatever is there, never following it.
                        if error.raw_os_error() != Some(libc::EEXIST) {
                            return Err(ConfineError::io(&path, error));
                        }
                    }
                }
                Some(libc::ENOENT) => return Ok(None),
                Some(libc::ELOOP) | Some(libc::ENOTDIR) => {
                    return Err(match self.kind(name) {
                        Ok(Some(Kind::Symlink)) => ConfineError::Symlink(path),
                        _ => ConfineError::NotADirectory(path),
                    })
                }
                _ => return Err(ConfineError::io(&path, error)),
            }
        }
    }

    /// The directory's path, as reached.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the entry `name` is, links not followed; None when absent.
    pub fn kind(&self, name: &OsStr) -> io::Result<Option<Kind>> {
        let c_name = cstring(name)?;
        // SAFETY: zeroed stat is a valid out-parameter; descriptor and name are valid.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        let result = unsafe {
            libc::fstatat(
                self.fd.as_raw_fd(),
                c_name.as_ptr(),
                &mut stat,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if result < 0 {
            let error = io::Error::last_os_error();
            return match error.raw_os_error() {
                Some(libc::ENOENT) => Ok(None),
                _ => Err(error),
            };
        }
        Ok(Some(match stat.st_mode & libc::S_IFMT {
            libc::S_IFLNK => Kind::Symlink,
            libc::S_IFDIR => Kind::Dir,
            libc::S_IFREG => Kind::File,
            _ => Kind::Other,
        }))
    }

    /// Refuses when `name` exists and is not a regular file: what a write may replace.
    pub fn check_replaceable(&self, name: &OsStr) -> Result<(), ConfineError> {
        let path = self.path.join(name);
        match self.kind(name).map_err(|e| ConfineError::io(&path, e))? {
            None | Some(Kind::File) => Ok(()),
            Some(Kind::Symlink) => Err(ConfineError::Symlink(path)),
            Some(_) => Err(ConfineError::io(
                &path,
                io::Error::other("is not a regular file"),
            )),
        }
    }

    /// The directory's entries (without `.` and `..`), unsorted, links reported as links.
    pub fn entries(&self) -> io::Result<Vec<(OsString, Kind)>> {
        // fdopendir takes the descriptor it is given: hand it a duplicate.
        let dup = self.fd.try_clone()?.into_raw_fd();
        // SAFETY: a valid descriptor, owned by the stream from here on (closedir closes it).
        let stream = unsafe { libc::fdopendir(dup) };
        if stream.is_null() {
            let error = io::Error::last_os_error();
            // SAFETY: the stream was not made, so the duplicate is still ours to close.
            unsafe { libc::close(dup) };
            return Err(error);
        }
        // The stream shares the file offset with other duplicates: start from the top.
        // SAFETY: a valid stream.
        unsafe { libc::rewinddir(stream) };
        let mut names = Vec::new();
        loop {
            // SAFETY: a valid stream; the entry is read before the next readdir call.
            let entry = unsafe { libc::readdir(stream) };
            if entry.is_null() {
                break;
            }
            // SAFETY: d_name is NUL-terminated.
            let name = unsafe { std::ffi::CStr::from_ptr((*entry).d_name.as_ptr()) };
            let name = OsStr::from_bytes(name.to_bytes());
            if name != "." && name != ".." {
                names.push(name.to_os_string());
            }
        }
        // SAFETY: the stream is closed once, with its descriptor.
        unsafe { libc::closedir(stream) };
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            // Gone since it was listed: not an entry any more.
            if let Some(kind) = self.kind(&name)? {
                out.push((name, kind));
            }
        }
        Ok(out)
    }

    /// Reads up to `limit` + 1 bytes of the regular file `name`, never through a link.
    pub fn read(&self, name: &OsStr, limit: u64) -> io::Result<Vec<u8>> {
        read_at_most(self.open_file(name, libc::O_RDONLY, 0)?, limit)
    }

    /// Creates `name`, which must not exist (a link in its place is not followed), for writing.
    pub fn create_new(&self, name: &OsStr) -> io::Result<File> {
        self.open_file(name, libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL, 0o666)
    }

    fn open_file(&self, name: &OsStr, flags: libc::c_int, mode: libc::c_uint) -> io::Result<File> {
        let c_name = cstring(name)?;
        // SAFETY: a valid descriptor and NUL-terminated name.
        let fd = os(unsafe {
            libc::openat(
                self.fd.as_raw_fd(),
                c_name.as_ptr(),
                flags | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                mode,
            )
        })?;
        // SAFETY: openat returned a fresh descriptor that nothing else owns.
        Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Links the entry `from` under the new name `to`; fails rather than replace `to`.
    pub fn link(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        let (c_from, c_to) = (cstring(from)?, cstring(to)?);
        // SAFETY: valid descriptors and names; flags 0 never follows `from`.
        os(unsafe {
            libc::linkat(
                self.fd.as_raw_fd(),
                c_from.as_ptr(),
                self.fd.as_raw_fd(),
                c_to.as_ptr(),
                0,
            )
        })
        .map(drop)
    }

    /// Renames the entry `from` to `to` within this directory (replacing `to`, never through it).
    pub fn rename(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        let (c_from, c_to) = (cstring(from)?, cstring(to)?);
        // SAFETY: valid descriptors and names.
        os(unsafe {
            libc::renameat(
                self.fd.as_raw_fd(),
                c_from.as_ptr(),
                self.fd.as_raw_fd(),
                c_to.as_ptr(),
            )
        })
        .map(drop)
    }

    /// Removes the entry `name` (a link itself, never what it points to).
    pub fn remove(&self, name: &OsStr) -> io::Result<()> {
        let c_name = cstring(name)?;
        // SAFETY: a valid descriptor and name.
        os(unsafe { libc::unlinkat(self.fd.as_raw_fd(), c_name.as_ptr(), 0) }).map(drop)
    }

    /// Removes the empty subdirectory `name` (a link is not a directory: refused).
    pub fn remove_dir(&self, name: &OsStr) -> io::Result<()> {
        let c_name = cstring(name)?;
        // SAFETY: a valid descriptor and name.
        os(unsafe { libc::unlinkat(self.fd.as_raw_fd(), c_name.as_ptr(), libc::AT_REMOVEDIR) })
            .map(drop)
    }

    /// Removes the entry `name` and, when it is a directory, everything below it, never
    /// following a link (a link below is removed itself).
    pub fn remove_tree(&self, name: &OsStr) -> Result<(), ConfineError> {
        let path = self.path.join(name);
        match self.kind(name).map_err(|e| ConfineError::io(&path, e))? {
            None => Ok(()),
            Some(Kind::Dir) => {
                let child = self
                    .child(name, false)?
                    .ok_or_else(|| ConfineError::io(&path, io::ErrorKind::NotFound.into()))?;
                let entries = child.entries().map_err(|e| ConfineError::io(&path, e))?;
                for (entry, _) in entries {
                    child.remove_tree(&entry)?;
                }
                self.remove_dir(name)
                    .map_err(|e| ConfineError::io(&path, e))
            }
            Some(_) => self.remove(name).map_err(|e| ConfineError::io(&path, e)),
        }
    }

    /// Swaps the entries `a` and `b` of this directory in one step (Linux `RENAME_EXCHANGE`):
    /// a reader sees one or the other, never neither nor a mixture.
    pub fn exchange(&self, a: &OsStr, b: &OsStr) -> io::Result<()> {
        let (c_a, c_b) = (cstring(a)?, cstring(b)?);
        // SAFETY: valid descriptors and names.
        os(unsafe {
            libc::renameat2(
                self.fd.as_raw_fd(),
                c_a.as_ptr(),
                self.fd.as_raw_fd(),
                c_b.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        })
        .map(drop)
    }

    /// A new subdirectory `name`, made now: fails when anything is already there, so nobody can
    /// have placed what it holds.
    pub fn subdir_new(&self, name: &OsStr) -> Result<Dir, ConfineError> {
        let path = self.path.join(name);
        let c_name = cstring(name).map_err(|e| ConfineError::io(&path, e))?;
        // SAFETY: a valid descriptor and NUL-terminated name.
        os(unsafe { libc::mkdirat(self.fd.as_raw_fd(), c_name.as_ptr(), 0o777) })
            .map_err(|e| ConfineError::io(&path, e))?;
        self.child(name, false)?
            .ok_or_else(|| ConfineError::io(&path, io::ErrorKind::NotFound.into()))
    }

    /// Makes new names in the directory durable. Best effort: not every filesystem syncs one.
    pub fn sync(&self) {
        // SAFETY: a valid descriptor.
        unsafe { libc::fsync(self.fd.as_raw_fd()) };
    }

    /// Writes `name` whole or not at all: a temporary file, synced, renamed over it. A link at
    /// `name` is refused, not replaced.
    pub fn write_atomic(&self, name: &OsStr, bytes: &[u8]) -> Result<(), ConfineError> {
        self.write_atomic_with(name, |file| file.write_all(bytes))
    }

    /// `write_atomic` of what `write` writes into the new file: a large output streamed,
    /// never held whole. Nothing is in place at `name` until `write` has returned Ok.
    pub fn write_atomic_with(
        &self,
        name: &OsStr,
        write: impl FnOnce(&mut File) -> io::Result<()>,
    ) -> Result<(), ConfineError> {
        self.check_replaceable(name)?;
        let path = self.path.join(name);
        let mut temp = OsString::from(".");
        temp.push(name);
        temp.push(format!(".quorate-{}-{}.tmp", std::process::id(), unique()));
        let result = (|| {
            let mut file = self.create_new(&temp)?;
            write(&mut file)?;
            file.sync_all()?;
            self.rename(&temp, name)?;
            self.sync();
            Ok(())
        })();
        if result.is_err() {
            let _ = self.remove(&temp);
        }
        result.map_err(|e| ConfineError::io(&path, e))
    }
}

/// Refuses a link (or a non-directory parent) anywhere between `root` and `path`, `path`
/// included, without changing anything: what a command checks of every place it will write or
/// delete before it writes or deletes any. A missing component ends the check: what does not
/// exist yet will be made without following anything.
pub(crate) fn check(root: &Path, path: &Path) -> Result<(), ConfineError> {
    let Some(parent) = path.parent().filter(|p| relative_to(root, p).is_some()) else {
        // `path` is the root itself: the caller's choice.
        return relative_to(root, path)
            .map(drop)
            .ok_or_else(|| ConfineError::Outside {
                path: path.to_path_buf(),
                root: root.to_path_buf(),
            });
    };
    let Some(dir) = Dir::open(root, parent)? else {
        return Ok(());
    };
    let name = path.file_name().unwrap_or_default();
    match dir.kind(name).map_err(|e| ConfineError::io(path, e))? {
        Some(Kind::Symlink) => Err(ConfineError::Symlink(path.to_path_buf())),
        _ => Ok(()),
    }
}

/// An output directory the caller named (`-o DIR`): its parent is the caller's choice, taken as
/// named; DIR itself, and anything made below it, never follows a link. Missing directories are
/// made.
pub fn output_dir(dir: &Path) -> Result<Dir, ConfineError> {
    if dir.file_name().is_none() {
        // `..` or `/`: a directory the caller names outright, nothing to make below it.
        return Dir::create(dir, dir);
    }
    // The deepest existing ancestor of the parent: what the caller's path already names.
    let mut base = dir.parent().unwrap_or(Path::new("")).to_path_buf();
    while !base.as_os_str().is_empty() && !base.is_dir() {
        base.pop();
    }
    Dir::create(&base, dir)
}

/// Writes an output file the caller named (`-o FILE`) whole or not at all, in its existing
/// parent directory (the caller's choice); a link at FILE is refused, not replaced.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), ConfineError> {
    write_output_with(path, |file| file.write_all(bytes))
}

/// `write_output` of what `write` writes (see `Dir::write_atomic_with`).
pub fn write_output_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), ConfineError> {
    let parent = path.parent().unwrap_or(Path::new(""));
    let name = path
        .file_name()
        .ok_or_else(|| ConfineError::io(path, io::Error::from(io::ErrorKind::InvalidInput)))?;
    let dir = Dir::open(parent, parent)?
        .ok_or_else(|| ConfineError::io(parent, io::Error::from(io::ErrorKind::NotFound)))?;
    dir.write_atomic_with(name, write)
}

/// A new directory of the system's temporary directory that only this user can enter, made
/// fresh (mkdtemp), so nobody else can have placed or replace what is written into it.
pub fn private_temp_dir(prefix: &str) -> Result<Dir, ConfineError> {
    let base = std::env::temp_dir();
    let template = base.join(format!("{prefix}XXXXXX"));
    let mut bytes = cstring(template.as_os_str())
        .map_err(|e| ConfineError::io(&template, e))?
        .into_bytes_with_nul();
    // SAFETY: a writable NUL-terminated template ending in XXXXXX, as mkdtemp requires.
    let made = unsafe { libc::mkdtemp(bytes.as_mut_ptr().cast()) };
    if made.is_null() {
        return Err(ConfineError::io(&template, io::Error::last_os_error()));
    }
    bytes.pop();
    let path = PathBuf::from(OsStr::from_bytes(&bytes));
    Ok(Dir::open(&path, &path)?.expect("just made"))
}

/// `write_output` for a file the program makes (`keyring export -o`, `audit --html`): its
/// missing parent directories are made first, as `output_dir` makes them.
pub fn write_output_file(path: &Path, bytes: &[u8]) -> Result<(), ConfineError> {
    write_output_file_with(path, |file| file.write_all(bytes))
}

/// `write_output_file` of what `write` writes (see `Dir::write_atomic_with`).
pub fn write_output_file_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), ConfineError> {
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() && !parent.is_dir() => {
            output_dir(parent)?.write_atomic_with(name, write)
        }
        _ => write_output_with(path, write),
    }
}

/// Distinguishes temporary files made in the same second by the same process.
pub(crate) fn unique() -> u128 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Up to `limit` + 1 bytes of an open file (one more than allowed tells a file over the limit).
/// Sized from the file's length, so a small file costs two reads instead of `read_to_end`'s
/// doubling probes from 32 bytes (seven reads for a signature of 600 bytes).
pub(crate) fn read_at_most(file: File, limit: u64) -> io::Result<Vec<u8>> {
    let cap = limit.saturating_add(1);
    let hint = file.metadata().map(|m| m.len()).unwrap_or(0).min(cap);
    // One byte of room past the length, so the read that finds the end needs no new buffer.
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0).saturating_add(1));
    file.take(cap).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn a_streamed_output_that_fails_midway_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.html");
        std::fs::write(&path, b"the page before").unwrap();
        let e = write_output_file_with(&path, |file| {
            file.write_all(b"half a page")?;
            Err(io::Error::other("the disk filled"))
        })
        .unwrap_err();
        assert!(e.to_string().contains("audit.html"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"the page before");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("audit.html")]);
        write_output_file_with(&path, |file| file.write_all(b"the new page")).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"the new page");
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn links_below_the_root_are_never_followed() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("link")).unwrap();
        let through = root.path().join("link/a");
        assert!(matches!(
            Dir::create(root.path(), &through),
            Err(ConfineError::Symlink(_))
        ));
        assert!(matches!(
            Dir::open(root.path(), &through),
            Err(ConfineError::Symlink(_))
        ));
        assert!(matches!(
            check(root.path(), &through.join("f")),
            Err(ConfineError::Symlink(_))
        ));
        assert!(matches!(
            check(root.path(), &root.path().join("link")),
            Err(ConfineError::Symlink(_))
        ));
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
        // The root itself is the caller's choice.
        let dir = Dir::create(&root.path().join("link"), &through).unwrap();
        dir.write_atomic(OsStr::new("f"), b"x").unwrap();
        assert_eq!(std::fs::read(outside.path().join("a/f")).unwrap(), b"x");
        // A link in a file's place is refused, not replaced.
        let made = Dir::create(root.path(), &root.path().join("real")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("a/f"), root.path().join("real/g")).unwrap();
        assert!(matches!(
            made.write_atomic(OsStr::new("g"), b"y"),
            Err(ConfineError::Symlink(_))
        ));
        assert_eq!(std::fs::read(outside.path().join("a/f")).unwrap(), b"x");
        let mut names: Vec<_> = made.entries().unwrap();
        names.sort();
        assert_eq!(names, vec![(OsString::from("g"), Kind::Symlink)]);
    }

    /// What publish relies on: a staging directory is made fresh (one already there, planted or
    /// not, is refused), the swap exchanges two trees in one step, and removing a tree removes a
    /// link below it, never what it points to.
    #[test]
    #[allow(clippy::disallowed_methods)]
    fn fresh_directories_swaps_and_tree_removal() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("keep"), "kept").unwrap();
        let dir = Dir::open(root.path(), root.path()).unwrap().unwrap();
        let new = dir.subdir_new(OsStr::new("new")).unwrap();
        new.write_atomic(OsStr::new("file"), b"new").unwrap();
        assert!(dir.subdir_new(OsStr::new("new")).is_err());
        std::fs::create_dir(root.path().join("old")).unwrap();
        std::fs::write(root.path().join("old/file"), "old").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("old/link")).unwrap();
        dir.exchange(OsStr::new("new"), OsStr::new("old")).unwrap();
        assert_eq!(
            std::fs::read_to_string(root.path().join("old/file")).unwrap(),
            "new"
        );
        assert_eq!(
            std::fs::read_to_string(root.path().join("new/file")).unwrap(),
            "old"
        );
        dir.remove_tree(OsStr::new("new")).unwrap();
        assert!(!root.path().join("new").exists());
        assert_eq!(
            std::fs::read_to_string(outside.path().join("keep")).unwrap(),
            "kept"
        );
    }
}
