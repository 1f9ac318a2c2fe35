//! Judging an image's signatures as podman would see them, and counting people, not files:
//! one maintainer counts once, however many files, keys or subkeys they signed with.

use std::path::{Path, PathBuf};

use crate::format::reference::Reference;
use crate::fs::source::Source;
use crate::keys::reason::{Problem, Reason};
use crate::keys::verify::{Expected, Verdict, Verifier};
use crate::workspace::tree::{self, signature_file_name, PODMAN_GIVES_UP_AT};
use crate::workspace::Workspace;

/// One `signature-N` file and its verdict.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// N.
    pub number: u32,
    /// The file.
    pub path: PathBuf,
    /// What it is and whether it counts.
    pub verdict: Verdict,
    /// True for a `sigstore-bundle-N.json` (N is then the bundle's number), which podman never
    /// reads; false for a `signature-N`.
    pub bundle: bool,
}

/// Everything known about one image's signatures.
#[derive(Debug, Clone)]
pub struct ImageReport {
    /// The reference asked for, normalized, with its digest.
    pub reference: Reference,
    /// The image's lookaside directory.
    pub directory: PathBuf,
    /// A problem with the directory itself (a symlink, not a directory), if any.
    pub directory_error: Option<String>,
    /// Every `signature-N`, in order.
    pub files: Vec<FileReport>,
    /// The maintainers whose signatures count, each once, in order of first signature.
    pub signers: Vec<String>,
    /// Maintainers who hold a key and have not signed.
    pub missing: Vec<String>,
}

impl ImageReport {
    /// True when at least `threshold` distinct maintainers signed.
    pub fn is_quorate(&self, threshold: u32) -> bool {
        self.signers.len() as u32 >= threshold
    }

    /// The maintainers counted with at least one counting signature made by their primary key:
    /// the people a consumer before containers/image 5.37 (Debian 12's podman 4.3.1) accepts.
    pub fn signers_by_primary_key(&self) -> Vec<String> {
        self.signers
            .iter()
            .filter(|handle| {
                self.files.iter().any(|f| {
                    f.verdict.counts()
                        && !f.verdict.signer.by_subkey
                        && f.verdict.signer.maintainer.as_ref() == Some(handle)
                })
            })
            .cloned()
            .collect()
    }

    /// `verify`'s rule: at least one file, and every file counts (or is a former maintainer's,
    /// which an honest history holds).
    pub fn all_valid(&self) -> bool {
        self.directory_error.is_none()
            && !self.files.is_empty()
            && self.files.iter().all(|f| f.verdict.is_honest())
    }
}

/// Judges many images on every core, in order, handing each report to `summarize` as soon as it
/// is made (so a caller keeps only what it needs); `done` is called as each finishes.
pub fn check_images<T: Send>(
    workspace: &Workspace,
    verifier: &Verifier,
    references: &[Reference],
    summarize: &(dyn Fn(ImageReport) -> T + Sync),
    done: &(dyn Fn() + Sync),
) -> Vec<T> {
    use rayon::prelude::*;
    let all = || {
        references
            .par_iter()
            .map(|reference| {
                let summary = summarize(check_image(workspace, verifier, reference));
                done();
                summary
            })
            .collect()
    };
    match &workspace.lookaside {
        Some(lookaside) => lookaside.reading(all),
        None => all(),
    }
}

/// Reads and judges every signature of one image.
pub fn check_image(
    workspace: &Workspace,
    verifier: &Verifier,
    reference: &Reference,
) -> ImageReport {
    check_image_with(workspace, reference, &mut |path, bytes, expected| {
        if is_bundle_file(path) {
            verifier.verify_bundle_bytes(bytes, expected)
        } else {
            verifier.verify_bytes(bytes, expected)
        }
    })
}

/// True for a `sigstore-bundle-N.json`, which is judged as a bundle, not as a `signature-N`.
pub fn is_bundle_file(path: &std::path::Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(tree::bundle_number)
        .is_some()
}

/// How `check_image_with` judges one file: given the file, its bytes and what it must name.
pub type JudgeFile<'j> = dyn FnMut(&std::path::Path, &[u8], &Expected) -> Verdict + 'j;

/// `check_image`, each file's bytes judged by `judge`: for a caller that does more with the
/// bytes than judge them now (the audit also judges them as of the commit that added them), so
/// that it reads and parses each file once. The rules of the directory (numbering, gaps, the
/// limit, links) are the same.
pub fn check_image_with(
    workspace: &Workspace,
    reference: &Reference,
    judge: &mut JudgeFile,
) -> ImageReport {
    let directory = tree::image_dir(&workspace.signatures_dir, reference);
    let mut report = ImageReport {
        reference: reference.clone(),
        directory: directory.clone(),
        directory_error: None,
        files: Vec::new(),
        signers: Vec::new(),
        missing: Vec::new(),
    };
    let digest = reference.digest().expect("an image reference has a digest");
    let expected = Expected {
        reference: Some(reference),
        directory: Some((reference.path(), digest)),
    };
    // A published lookaside is read as podman reads it: served files are contiguous by
    // construction, and a failure to read is the whole image's, as it fails podman's pull.
    if let Some(lookaside) = &workspace.lookaside {
        report.directory = PathBuf::from(lookaside.image_url(reference));
        match lookaside.fetch(reference) {
            Ok(served) => {
                for file in served {
                    let verdict = judge(Path::new(&file.url), &file.bytes, &expected);
                    report.files.push(FileReport {
                        number: file.number,
                        path: PathBuf::from(file.url),
                        verdict,
                        bundle: false,
                    });
                }
            }
            Err(e) => report.directory_error = Some(e.to_string()),
        }
        count_people(workspace, &mut report);
        return report;
    }
    let source = workspace.source.as_ref();
    let listing = match tree::list(source, &directory, &workspace.signatures_dir) {
        Ok(listing) => listing,
        Err(e) => {
            report.directory_error = Some(e.shown_in(workspace).to_string());
            report.missing = holders(workspace);
            return report;
        }
    };
    // Current podman gives up on the whole image at 128 signatures: none of them counts.
    let too_many = listing.contiguous >= PODMAN_GIVES_UP_AT;
    for entry in &listing.entries {
        let mut position = Vec::new();
        if too_many {
            position.push(Problem::new(
                Reason::TooManySignatures,
                format!(
                    "the image holds {} signatures; podman refuses to pull an image with {PODMAN_GIVES_UP_AT} or more",
                    listing.contiguous
                ),
            ));
        }
        if entry.number > listing.contiguous {
            position.push(Problem::new(
                Reason::AfterGap,
                format!(
                    "{} is missing, so podman never reads {}",
                    signature_file_name(listing.contiguous + 1),
                    signature_file_name(entry.number)
                ),
            ));
        }
        if entry.number > PODMAN_GIVES_UP_AT {
            position.push(Problem::new(
                Reason::BeyondLimit,
                format!("podman reads at most {PODMAN_GIVES_UP_AT} signatures of an image"),
            ));
        }
        let mut verdict = if !entry.regular {
            Verdict::failed(Problem::new(
                Reason::NotARegularFile,
                "a symlink or other non-regular file; never followed",
            ))
        } else if entry.number > PODMAN_GIVES_UP_AT {
            Verdict::failed(position.pop().expect("pushed above"))
        } else {
            match read_limited(source, &entry.path) {
                Ok(bytes) => judge(&entry.path, &bytes, &expected),
                Err(problem) => Verdict::failed(problem),
            }
        };
        position.append(&mut verdict.problems);
        verdict.problems = position;
        report.files.push(FileReport {
            number: entry.number,
            path: entry.path.clone(),
            verdict,
            bundle: false,
        });
    }
    for entry in &listing.bundles {
        report.files.push(FileReport {
            number: entry.number,
            path: entry.path.clone(),
            verdict: judge_bundle_file(source, judge, entry, &expected),
            bundle: true,
        });
    }
    count_people(workspace, &mut report);
    report
}

/// A `sigstore-bundle-N.json` judged: past the cap it is never read, as a signature past it.
fn judge_bundle_file(
    source: &dyn Source,
    judge: &mut JudgeFile,
    entry: &tree::Entry,
    expected: &Expected,
) -> Verdict {
    if !entry.regular {
        return Verdict::failed(Problem::new(
            Reason::NotARegularFile,
            "a symlink or other non-regular file; never followed",
        ));
    }
    if entry.number > tree::MAX_SIGNATURES {
        return Verdict::failed(Problem::new(
            Reason::BeyondLimit,
            format!(
                "quorate reads at most {} bundles of an image, as it places at most that many signatures",
                tree::MAX_SIGNATURES
            ),
        ));
    }
    match read_limited(source, &entry.path) {
        Ok(bytes) => judge(&entry.path, &bytes, expected),
        Err(problem) => Verdict::failed(problem),
    }
}

/// Counts each maintainer once, marking their further valid files, and names who has not signed.
fn count_people(workspace: &Workspace, report: &mut ImageReport) {
    for file in &mut report.files {
        if !file.verdict.counts() {
            continue;
        }
        let handle = file
            .verdict
            .signer
            .maintainer
            .clone()
            .expect("a counting signature has a maintainer");
        if report.signers.contains(&handle) {
            file.verdict.problems.push(Problem::new(
                Reason::DuplicateMaintainer,
                format!("{handle} already signed this image; counted once"),
            ));
        } else {
            report.signers.push(handle);
        }
    }
    report.missing = holders(workspace)
        .into_iter()
        .filter(|h| !report.signers.contains(h))
        .collect();
}

/// Maintainers who hold at least one key: the people who could sign.
fn holders(workspace: &Workspace) -> Vec<String> {
    workspace
        .maintainers
        .people()
        .filter(|m| m.holds_a_key())
        .map(|m| m.handle.clone())
        .collect()
}

/// Reads a signature file without following a symlink and without reading past the 4 MiB
/// podman reads.
pub(crate) fn read_limited(
    source: &dyn Source,
    path: &std::path::Path,
) -> Result<Vec<u8>, Problem> {
    let bytes = source
        .read(path, crate::format::message::MAX_SIGNATURE_FILE)
        .map_err(|e| Problem::new(Reason::Unreadable, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > crate::format::message::MAX_SIGNATURE_FILE {
        return Err(Problem::new(
            Reason::TooLarge,
            "the file is larger than the 4 MiB podman reads",
        ));
    }
    Ok(bytes)
}
