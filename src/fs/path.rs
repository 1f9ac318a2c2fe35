//! Path facts, from the names alone: what a path is, where it lies below a directory, and how
//! quorate shows it. Paths are never canonicalized through links the workspace holds.

use std::path::{Component, Path, PathBuf};

/// What a path is, without following links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link: never followed.
    Symlink,
    /// Anything else (a device, a socket, a submodule).
    Other,
}

/// `path` relative to `root`, when it lies below it; computed from the names alone (never by
/// resolving links), so `root.join("a/b")` is `a/b` whatever `a` is on disk. None for a path
/// outside `root` or one that climbs with `..` below it.
pub fn relative_to(root: &Path, path: &Path) -> Option<PathBuf> {
    let rest = match path.strip_prefix(root) {
        Ok(rest) => rest.to_path_buf(),
        Err(_) => {
            // `digests` against `.`: compare both made absolute against the current directory.
            let cwd = std::env::current_dir().ok()?;
            let absolute = |p: &Path| -> PathBuf {
                cwd.join(p)
                    .components()
                    .filter(|c| *c != Component::CurDir)
                    .collect()
            };
            absolute(path)
                .strip_prefix(absolute(root))
                .ok()?
                .to_path_buf()
        }
    };
    let mut out = PathBuf::new();
    for component in rest.components() {
        match component {
            Component::Normal(name) => out.push(name),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

/// The one way quorate shows a path: relative to the workspace `root` without a leading `./`
/// when it lies inside it (`MAINTAINERS`, `keyring/alice.asc`, `.` for the root itself), and as
/// the user gave it when it lies outside. Computed from the names alone, never through links.
pub fn shown_path(root: &Path, path: &Path) -> String {
    if is_url(path) {
        return path.to_string_lossy().into_owned();
    }
    match relative_to(root, path) {
        Some(inside) if inside.as_os_str().is_empty() => ".".to_string(),
        Some(inside) => inside.to_string_lossy().into_owned(),
        None => path.to_string_lossy().into_owned(),
    }
}

/// A published lookaside's files are named by URL where the tree's are named by path: never
/// taken apart as a path (its `//` would be folded).
pub(crate) fn is_url(path: &Path) -> bool {
    path.to_str().is_some_and(|p| p.contains("://"))
}

/// The path made absolute against the current directory, with `.` and `..` resolved textually
/// (the path may not exist on disk).
pub(crate) fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    // The work tree was canonicalized; canonicalize the longest existing prefix too.
    let mut existing = out.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match existing.file_name() {
            Some(name) => rest.push(name.to_os_string()),
            None => break,
        }
        existing.pop();
    }
    let mut base = existing.canonicalize().unwrap_or(existing);
    for name in rest.into_iter().rev() {
        base.push(name);
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_computed_from_names() {
        let rel = |root: &str, path: &str| relative_to(Path::new(root), Path::new(path));
        assert_eq!(
            rel(".", "./signatures/x"),
            Some(PathBuf::from("signatures/x"))
        );
        assert_eq!(rel(".", "signatures"), Some(PathBuf::from("signatures")));
        assert_eq!(rel("/w", "/w"), Some(PathBuf::new()));
        assert_eq!(rel("/w", "/w/a/../b"), None);
        assert_eq!(rel("/w", "/v/a"), None);
        assert_eq!(rel("../w", "../w/a"), Some(PathBuf::from("a")));
    }
}
