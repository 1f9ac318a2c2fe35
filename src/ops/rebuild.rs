//! One maintainer's rebuild, read from an OUT_DIR of OCI layouts, a digests directory or a single
//! digests file, and the comparison of several: a quorum means something only if every signer
//! got the same digest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::format::digests::{self, DigestsError};
use crate::format::oci::{self, LayoutError};
use crate::format::reference::Digest;

/// A rebuild that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// A layout is unreadable or corrupt.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// A digests file or directory is malformed.
    #[error(transparent)]
    Digests(#[from] DigestsError),
    /// The path does not exist.
    #[error("{}: {message}", path.display())]
    Path {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl crate::fault::Classify for RebuildError {
    /// Refused when a blob does not match its name (the rebuild itself is bad); bad input when
    /// the rebuild cannot be read.
    fn fault(&self) -> crate::fault::Fault {
        match self {
            RebuildError::Layout(e) => e.fault(),
            _ => crate::fault::Fault::Input,
        }
    }
}

/// What a rebuild produced for one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The first platform's manifest digest: the one StageX's digests file records.
    pub first: Digest,
    /// The first platform, when known (layouts know it; digests files do not).
    pub first_platform: Option<String>,
    /// Every other platform's manifest digest, by platform.
    pub others: BTreeMap<String, Digest>,
    /// The tag the layout names, if any.
    pub tag: Option<String>,
    /// Image index digests the layout holds: never signed.
    pub indexes: Vec<Digest>,
    /// The OCI layout it was read from (None for a digests file or directory): where a push
    /// takes it from.
    pub layout: Option<PathBuf>,
}

impl Built {
    /// Every manifest digest of the package, first platform first.
    pub fn manifests(&self) -> impl Iterator<Item = &Digest> {
        std::iter::once(&self.first).chain(self.others.values())
    }

    /// Every manifest digest with its platform where known, first platform first.
    pub fn platforms(&self) -> impl Iterator<Item = (Option<&str>, &Digest)> {
        std::iter::once((self.first_platform.as_deref(), &self.first))
            .chain(self.others.iter().map(|(p, d)| (Some(p.as_str()), d)))
    }

    /// What the rebuild got for `platform`, if it built it.
    pub fn platform(&self, platform: &str) -> Option<&Digest> {
        self.platforms()
            .find(|(p, _)| *p == Some(platform))
            .map(|(_, d)| d)
    }

    /// True when `digest` is one of this package's platform manifests.
    pub fn has_manifest(&self, digest: &Digest) -> bool {
        self.manifests().any(|d| d == digest)
    }
}

/// One rebuild: its label (the path given) and its packages.
#[derive(Debug, Clone)]
pub struct Rebuild {
    /// How to name it in output.
    pub label: String,
    /// By package name.
    pub packages: BTreeMap<String, Built>,
    /// Packages whose layout could not be read, with why: they vouch for nothing.
    pub unreadable: BTreeMap<String, LayoutError>,
}

impl Rebuild {
    /// Reads an OUT_DIR of layouts, a digests directory (it holds `*.txt`), or a digests file.
    /// Any layout that cannot be read is an error: what the rebuild is must be known whole.
    pub fn load(path: &Path) -> Result<Rebuild, RebuildError> {
        let mut rebuild = Rebuild::load_per_package(path)?;
        match std::mem::take(&mut rebuild.unreadable).into_values().next() {
            Some(error) => Err(RebuildError::Layout(error)),
            None => Ok(rebuild),
        }
    }

    /// As [`Rebuild::load`], but a layout that cannot be read leaves its package in
    /// `unreadable` rather than failing the whole rebuild, so signing refuses that package
    /// alone. A blob that does not hash to its name still fails the whole rebuild: it is
    /// tampered, and nothing of it is vouched for.
    pub fn load_per_package(path: &Path) -> Result<Rebuild, RebuildError> {
        let label = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| RebuildError::Path {
            path: path.to_path_buf(),
            message: format!("cannot read: {e}"),
        })?;
        let mut packages = BTreeMap::new();
        let mut unreadable = BTreeMap::new();
        if meta.is_file() {
            let bytes = std::fs::read(path).map_err(|e| RebuildError::Path {
                path: path.to_path_buf(),
                message: format!("cannot read: {e}"),
            })?;
            for p in digests::parse_file(path, &bytes)? {
                packages.insert(p.name.clone(), from_digest(p.digest));
            }
        } else if is_digests_dir(path) {
            let release = digests::read_release(&crate::fs::source::WorkingTree, path)?;
            for p in release.packages {
                packages.insert(p.name.clone(), from_digest(p.digest));
            }
            for other in release.others {
                let built = packages
                    .get_mut(&other.package)
                    .ok_or_else(|| RebuildError::Path {
                        path: path.to_path_buf(),
                        message: format!(
                            "{} has platforms but no line in its stage's .txt",
                            other.package
                        ),
                    })?;
                built.others.insert(other.platform, other.digest);
            }
        } else {
            let found = oci::find_layouts(path)?;
            for image in found.unreadable {
                unreadable.insert(image.package, image.error);
            }
            for layout in found.layouts {
                let mut manifests = layout.manifests.into_iter();
                let Some(first) = manifests.next() else {
                    // find_layouts lists an image with no manifest as unreadable.
                    continue;
                };
                packages.insert(
                    layout.package,
                    Built {
                        first: first.digest,
                        first_platform: Some(first.platform),
                        others: manifests.map(|m| (m.platform, m.digest)).collect(),
                        tag: layout.tag,
                        indexes: layout.indexes,
                        layout: Some(layout.dir),
                    },
                );
            }
        }
        Ok(Rebuild {
            label,
            packages,
            unreadable,
        })
    }

    /// The rebuild as digests files, refusing a package or platform the files cannot hold (the
    /// readers, and so `gate` and `sign`, would refuse them): named with the layout it came from.
    pub fn checked_digests_files(&self) -> Result<BTreeMap<String, Vec<u8>>, RebuildError> {
        for (name, built) in &self.packages {
            let from = built
                .layout
                .clone()
                .unwrap_or_else(|| PathBuf::from(&self.label));
            let refuse = |message: String| RebuildError::Path {
                path: from.clone(),
                message,
            };
            if let Err(why) = digests::check_package_name(name) {
                return Err(refuse(format!(
                    "names the package {name:?}, which {why}: rename the image (its io.containerd.image.name or org.opencontainers.image.ref.name annotation, or the layout directory)"
                )));
            }
            if let Some(platform) = built.others.keys().find(|p| !digests::is_platform(p)) {
                return Err(refuse(format!(
                    "{name}'s platform {platform:?} cannot be written in {}.platforms (os/arch[/variant] of letters, digits, _ - .)",
                    digests::stage_of(name)
                )));
            }
        }
        Ok(self.digests_files())
    }

    /// The rebuild as digests files: `<stage>.txt` (StageX's, first platform) and, where there
    /// are other platforms, `<stage>.platforms`; keyed by file name. Each package goes in the
    /// file of its stage (`digests::stage_of`), which the readers accept it in.
    pub fn digests_files(&self) -> BTreeMap<String, Vec<u8>> {
        let mut stages: BTreeMap<String, StageFiles> = BTreeMap::new();
        for (name, built) in &self.packages {
            let stage = digests::stage_of(name).to_string();
            let entry = stages.entry(stage).or_default();
            entry.firsts.push((name.clone(), built.first.clone()));
            for (platform, digest) in &built.others {
                entry.others.push(digests::OtherPlatform {
                    package: name.clone(),
                    platform: platform.clone(),
                    digest: digest.clone(),
                });
            }
        }
        let mut files = BTreeMap::new();
        for (stage, StageFiles { firsts, others }) in stages {
            files.insert(format!("{stage}.txt"), digests::render(&firsts));
            if !others.is_empty() {
                files.insert(
                    format!("{stage}.platforms"),
                    digests::render_platforms(&others),
                );
            }
        }
        files
    }
}

/// One stage's lines: `<stage>.txt`'s and `<stage>.platforms`'.
#[derive(Default)]
struct StageFiles {
    firsts: Vec<(String, Digest)>,
    others: Vec<digests::OtherPlatform>,
}

fn from_digest(first: Digest) -> Built {
    Built {
        first,
        first_platform: None,
        others: BTreeMap::new(),
        tag: None,
        indexes: Vec::new(),
        layout: None,
    }
}

fn is_digests_dir(path: &Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "txt") && e.path().is_file())
    })
}

/// How the rebuilds agree on one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Agreement {
    /// Every rebuild has it, with the same digests.
    Agree,
    /// Every rebuild has it, but not the same digests: each group of rebuilds that agree with
    /// each other, largest first. A split is shown whole, never settled by a majority.
    Differ(Vec<Group>),
    /// Some rebuilds lack it.
    Missing {
        /// The rebuilds that have it, grouped by what they got.
        present: Vec<Group>,
        /// The rebuilds that do not.
        absent: Vec<String>,
    },
}

/// Rebuilds that got the same digests for a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Their first-platform digest.
    pub first: Digest,
    /// True when the group differs from another only in other platforms.
    pub others_differ: bool,
    /// Every platform's digest, platform where known, first first: what to show when only other
    /// platforms differ, so the row quotes the digests that differ.
    pub platforms: Vec<(Option<String>, Digest)>,
    /// The rebuilds' labels.
    pub members: Vec<String>,
}

/// One package's row of a comparison.
#[derive(Debug, Clone)]
pub struct Row {
    /// The package.
    pub package: String,
    /// How the rebuilds agree.
    pub agreement: Agreement,
}

/// Compares rebuilds package by package, over the union of their packages.
pub fn compare(rebuilds: &[Rebuild]) -> Vec<Row> {
    let mut names: Vec<&String> = rebuilds.iter().flat_map(|r| r.packages.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let mut groups: Vec<(Built, Vec<String>)> = Vec::new();
            let mut absent = Vec::new();
            for rebuild in rebuilds {
                match rebuild.packages.get(name) {
                    None => absent.push(rebuild.label.clone()),
                    Some(built) => match groups.iter_mut().find(|(b, _)| same_digests(b, built)) {
                        Some((_, members)) => members.push(rebuild.label.clone()),
                        None => groups.push((built.clone(), vec![rebuild.label.clone()])),
                    },
                }
            }
            let firsts: Vec<Digest> = groups.iter().map(|(b, _)| b.first.clone()).collect();
            let mut present: Vec<Group> = groups
                .into_iter()
                .map(|(built, members)| Group {
                    others_differ: firsts.iter().filter(|f| **f == built.first).count() > 1,
                    platforms: built
                        .platforms()
                        .map(|(p, d)| (p.map(str::to_string), d.clone()))
                        .collect(),
                    first: built.first,
                    members,
                })
                .collect();
            present.sort_by_key(|g| std::cmp::Reverse(g.members.len()));
            let agreement = if !absent.is_empty() {
                Agreement::Missing { present, absent }
            } else if present.len() == 1 {
                Agreement::Agree
            } else {
                Agreement::Differ(present)
            };
            Row {
                package: name.clone(),
                agreement,
            }
        })
        .collect()
}

fn same_digests(a: &Built, b: &Built) -> bool {
    a.first == b.first && a.others == b.others
}
