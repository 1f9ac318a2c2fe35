//! What a lookaside serves compared with what git holds: the files a consumer gets are the
//! files the maintainers committed, or the audit says which are not.

use std::path::PathBuf;

use crate::format::reference::Reference;
use crate::workspace::lookaside::{FetchError, Lookaside};
use crate::workspace::tree;
use crate::workspace::Workspace;

/// One way the published copy of an image's signatures differs from git's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// In git (within what podman reads) but not served: podman never sees it.
    Missing {
        /// N.
        number: u32,
        /// The file in the tree.
        path: PathBuf,
    },
    /// Served but not in git: nobody committed it.
    Extra {
        /// N.
        number: u32,
        /// Where it is served.
        url: String,
    },
    /// Served with other bytes than git holds.
    Differs {
        /// N.
        number: u32,
        /// The file in the tree.
        path: PathBuf,
        /// Where it is served.
        url: String,
    },
    /// The image's signatures cannot be read from the server as podman reads them.
    Unreadable(FetchError),
}

/// Compares the image's `signature-N` files in the workspace's tree (the working tree or
/// `--at REV`) with those the lookaside serves, number by number.
pub fn compare(
    workspace: &Workspace,
    lookaside: &Lookaside,
    reference: &Reference,
) -> Vec<Difference> {
    let served = match lookaside.fetch(reference) {
        Ok(served) => served,
        Err(e) => return vec![Difference::Unreadable(e)],
    };
    let dir = tree::image_dir(&workspace.signatures_dir, reference);
    let source = workspace.source.as_ref();
    // What podman would read from the tree: the contiguous regular files from signature-1.
    let mut local: Vec<(u32, PathBuf, Option<Vec<u8>>)> = Vec::new();
    if let Ok(listing) = tree::list(source, &dir, &workspace.signatures_dir) {
        for entry in listing.entries {
            if entry.number > listing.contiguous {
                break;
            }
            let bytes = entry
                .regular
                .then(|| crate::judge::quorum::read_limited(source, &entry.path).ok())
                .flatten();
            local.push((entry.number, entry.path, bytes));
        }
    }
    let mut differences = Vec::new();
    for (number, path, bytes) in &local {
        match served.iter().find(|s| s.number == *number) {
            None => differences.push(Difference::Missing {
                number: *number,
                path: path.clone(),
            }),
            Some(s) if bytes.as_deref() != Some(s.bytes.as_slice()) => {
                differences.push(Difference::Differs {
                    number: *number,
                    path: path.clone(),
                    url: s.url.clone(),
                })
            }
            Some(_) => {}
        }
    }
    for s in &served {
        if !local.iter().any(|(n, _, _)| *n == s.number) {
            differences.push(Difference::Extra {
                number: s.number,
                url: s.url.clone(),
            });
        }
    }
    differences
}
