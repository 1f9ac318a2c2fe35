//! Where the workspace's files are read from: the working tree, or a git revision (`--at REV`),
//! so CI gates the exact commit it pins rather than whatever a checkout happens to hold.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use git2::{ObjectType, Oid, Repository};

use crate::fs::path::Kind;

/// Reads files and lists directories, by workspace path. Shared by the threads that verify.
pub trait Source: Send + Sync {
    /// What `path` is, or None when it does not exist.
    fn kind(&self, path: &Path) -> io::Result<Option<Kind>>;
    /// The directory's entries, unsorted.
    fn list(&self, dir: &Path) -> io::Result<Vec<(OsString, Kind)>>;
    /// Up to `limit` + 1 bytes of a regular file (more than `limit` tells the caller it is too
    /// large without reading it all). Never follows a link.
    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>>;
    /// Where the bytes come from, for people: `working tree` or `REV (commit)`.
    fn describe(&self) -> String;
    /// The commit read, when this is a git revision.
    fn revision(&self) -> Option<Oid> {
        None
    }
}

/// The filesystem, as it is now.
#[derive(Debug, Default)]
pub struct WorkingTree;

fn kind_of(file_type: std::fs::FileType) -> Kind {
    if file_type.is_symlink() {
        Kind::Symlink
    } else if file_type.is_dir() {
        Kind::Dir
    } else if file_type.is_file() {
        Kind::File
    } else {
        Kind::Other
    }
}

impl Source for WorkingTree {
    fn kind(&self, path: &Path) -> io::Result<Option<Kind>> {
        match std::fs::symlink_metadata(path) {
            Ok(meta) => Ok(Some(kind_of(meta.file_type()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<(OsString, Kind)>> {
        std::fs::read_dir(dir)?
            .map(|entry| {
                let entry = entry?;
                Ok((entry.file_name(), kind_of(entry.file_type()?)))
            })
            .collect()
    }

    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)?;
        crate::fs::confine::read_at_most(file, limit)
    }

    fn describe(&self) -> String {
        "the working tree".into()
    }
}

/// A git revision: paths inside the repository's work tree are read from the commit's tree;
/// paths outside it (a trust root pinned elsewhere) from the filesystem. Which is which is
/// decided from the names below the workspace directory, never by resolving links the checkout
/// holds, and a link stored in the revision is reported as a link, never followed.
pub(crate) struct Revision {
    // libgit2 handles are not shareable between threads; reads take turns.
    repo: std::sync::Mutex<Repository>,
    /// The workspace directory, as named.
    root: PathBuf,
    /// The workspace directory, canonical.
    real_root: PathBuf,
    /// The repository's work tree, canonical.
    workdir: PathBuf,
    commit: Oid,
    tree: Oid,
    label: String,
    /// Every tree object read so far, by id, parsed: libgit2 keeps no tree larger than 4 KiB in
    /// its cache, so without this the directory of thousands of image directories would be
    /// inflated and hashed again for every lookup below it.
    trees: std::sync::Mutex<HashMap<Oid, Arc<Entries>>>,
    /// Tree objects read from git's object database so far.
    trees_read: std::sync::atomic::AtomicUsize,
}

/// A tree's entries by name: (object id, file mode).
type Entries = HashMap<Box<[u8]>, (Oid, i32)>;

impl Revision {
    /// Opens `rev` (anything `git rev-parse` takes) in the repository that holds the workspace
    /// `root` (or a directory below it).
    pub fn open(repo: Repository, rev: &str, root: &Path) -> Result<Revision, git2::Error> {
        let as_git = |e: io::Error| git2::Error::from_str(&e.to_string());
        let (commit_id, tree) = {
            let commit = repo.revparse_single(rev)?.peel_to_commit()?;
            (commit.id(), commit.tree_id())
        };
        let workdir = repo
            .workdir()
            .ok_or_else(|| git2::Error::from_str("the repository is bare"))?
            .canonicalize()
            .map_err(as_git)?;
        let real_root = root.canonicalize().map_err(as_git)?;
        let label = format!("{rev} ({})", crate::text::short_id(commit_id));
        Ok(Revision {
            repo: std::sync::Mutex::new(repo),
            root: root.to_path_buf(),
            real_root,
            workdir,
            commit: commit_id,
            tree,
            label,
            trees: Default::default(),
            trees_read: Default::default(),
        })
    }

    /// How many tree objects have been read from git's object database: each at most once,
    /// however many lookups pass through it (a tree of thousands of image directories costs an
    /// inflate and a hash each time libgit2 reads it).
    #[cfg(test)]
    pub(crate) fn trees_read(&self) -> usize {
        self.trees_read.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The path inside the repository, when `path` is in its work tree.
    fn inside(&self, path: &Path) -> Option<PathBuf> {
        repo_path(&self.root, &self.real_root, &self.workdir, path)
    }

    /// The entry at `inside`, walked one name at a time: a link or a file on the way is an
    /// error, never looked through.
    fn entry(&self, inside: &Path) -> io::Result<Option<(Oid, i32)>> {
        use std::os::unix::ffi::OsStrExt;
        let mut found = (self.tree, 0o040000);
        let mut walked = PathBuf::new();
        for name in inside.iter() {
            if kind_of_mode(found.1) != Kind::Dir {
                let what = match kind_of_mode(found.1) {
                    Kind::Symlink => "is a symlink in this revision; never followed",
                    _ => "is not a directory in this revision",
                };
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    format!("{} {what}", walked.display()),
                ));
            }
            // A missing name is an answer (None), not an error.
            match self.tree_entries(found.0)?.get(name.as_bytes()) {
                Some(entry) => found = *entry,
                None => return Ok(None),
            }
            walked.push(name);
        }
        Ok(Some(found))
    }

    /// The entries of the tree `id`, read from git the first time only.
    fn tree_entries(&self, id: Oid) -> io::Result<Arc<Entries>> {
        let mut trees = self.trees.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entries) = trees.get(&id) {
            return Ok(Arc::clone(entries));
        }
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        let tree = repo.find_tree(id).map_err(git_io)?;
        self.trees_read
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let entries: Arc<Entries> = Arc::new(
            tree.iter()
                .map(|e| (Box::from(e.name_bytes()), (e.id(), e.filemode())))
                .collect(),
        );
        trees.insert(id, Arc::clone(&entries));
        Ok(entries)
    }
}

/// Where `path` (below the workspace `root`, whose canonical form is `real_root`) lies in the
/// work tree `workdir` (canonical): the workspace directory is resolved once, as the caller named
/// it; the names below it are taken as they are, so a link in the checkout never moves a path.
pub(crate) fn repo_path(
    root: &Path,
    real_root: &Path,
    workdir: &Path,
    path: &Path,
) -> Option<PathBuf> {
    let relative = crate::fs::path::relative_to(root, path)?;
    real_root
        .join(relative)
        .strip_prefix(workdir)
        .ok()
        .map(Path::to_path_buf)
}

fn kind_of_mode(mode: i32) -> Kind {
    match mode & 0o170000 {
        0o040000 => Kind::Dir,
        0o120000 => Kind::Symlink,
        0o100000 => Kind::File,
        _ => Kind::Other,
    }
}

fn git_io(e: git2::Error) -> io::Error {
    io::Error::other(e.message().to_string())
}

impl Source for Revision {
    fn kind(&self, path: &Path) -> io::Result<Option<Kind>> {
        match self.inside(path) {
            None => WorkingTree.kind(path),
            Some(inside) => Ok(self.entry(&inside)?.map(|(_, mode)| kind_of_mode(mode))),
        }
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<(OsString, Kind)>> {
        let Some(inside) = self.inside(dir) else {
            return WorkingTree.list(dir);
        };
        let (oid, mode) = self
            .entry(&inside)?
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "not in this revision"))?;
        match kind_of_mode(mode) {
            Kind::Dir => {}
            Kind::Symlink => {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    "a symlink in this revision; never followed",
                ))
            }
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    "not a directory in this revision",
                ))
            }
        }
        Ok(self
            .tree_entries(oid)?
            .iter()
            .map(|(name, (_, mode))| {
                use std::os::unix::ffi::OsStrExt;
                (
                    std::ffi::OsStr::from_bytes(name).to_os_string(),
                    kind_of_mode(*mode),
                )
            })
            .collect())
    }

    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        let Some(inside) = self.inside(path) else {
            return WorkingTree.read(path, limit);
        };
        let (oid, mode) = self
            .entry(&inside)?
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "not in this revision"))?;
        match kind_of_mode(mode) {
            Kind::File => {}
            Kind::Symlink => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a symlink in this revision; never followed",
                ))
            }
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "not a regular file in this revision",
                ))
            }
        }
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        let blob = repo
            .find_object(oid, Some(ObjectType::Blob))
            .map_err(git_io)?;
        let blob = blob.peel_to_blob().map_err(git_io)?;
        let content = blob.content();
        let end = content.len().min(limit.saturating_add(1) as usize);
        Ok(content[..end].to_vec())
    }

    fn describe(&self) -> String {
        self.label.clone()
    }

    fn revision(&self) -> Option<Oid> {
        Some(self.commit)
    }
}
