//! StageX's release digest files, `digests/<stage>.txt`: one line per package,
//! `<64 lowercase hex> <stage>-<name>`, one space, LF, sorted by name. Read and written byte for
//! byte. A `<stage>.txt` holds `<stage>-…` packages (StageX's convention) and the package named
//! `<stage>` itself; `digests compute` writes each package in the file of its name up to the
//! first `-` (`greeter` in `greeter.txt`), which the reader accepts, so whatever compute writes
//! every command reads.

use std::path::{Path, PathBuf};

use crate::format::reference::{is_lower_hex64, Digest};
use crate::fs::path::Kind;
use crate::fs::source::Source;

/// A digests file or directory that cannot be used. Always an input error (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct DigestsError {
    /// The file (or directory).
    pub path: PathBuf,
    /// The 1-based line, when one line is at fault.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

crate::fault::always!(Input: DigestsError);

/// One package of a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// `<stage>-<name>`, e.g. `pallet-rust`.
    pub name: String,
    /// Its per-platform manifest digest.
    pub digest: Digest,
    /// The file it was read from, and the line.
    pub source: (PathBuf, usize),
}

/// Parses one digests file's bytes; `path` names the file in errors, and its stem is the stage
/// every package name must start with.
pub fn parse_file(path: &Path, bytes: &[u8]) -> Result<Vec<Package>, DigestsError> {
    let fail = |line: Option<usize>, message: String| DigestsError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let lines = lines_of(path, bytes)?;
    let stage = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let mut packages: Vec<Package> = Vec::new();
    for (number, line) in lines {
        if line.ends_with('\r') {
            return Err(fail(
                Some(number),
                "CRLF line ending; StageX's files use LF".into(),
            ));
        }
        let Some((hex, name)) = line.split_once(' ') else {
            return Err(fail(
                Some(number),
                format!("expected `<64 hex> {stage}-<name>`, got {line:?}"),
            ));
        };
        if !is_lower_hex64(hex) {
            return Err(fail(
                Some(number),
                format!("{hex:?} is not 64 lowercase hex digits"),
            ));
        }
        if let Err(why) = check_package_name(name) {
            return Err(fail(Some(number), format!("{name:?} {why}")));
        }
        // StageX's `<stage>-<name>`, or a package that is its own stage.
        if name != stage && !name.starts_with(&format!("{stage}-")) {
            return Err(fail(
                Some(number),
                format!("{name:?} is not a {stage}- package, but this is {stage}.txt"),
            ));
        }
        if let Some(previous) = packages.last() {
            if previous.name.as_str() >= name {
                let what = if previous.name == name {
                    "appears twice"
                } else {
                    "is out of order (the file is sorted by name)"
                };
                return Err(fail(Some(number), format!("{name:?} {what}")));
            }
        }
        packages.push(Package {
            name: name.to_string(),
            digest: Digest::from_hex(hex).expect("checked above"),
            source: (path.to_path_buf(), number),
        });
    }
    Ok(packages)
}

/// The lines of a digests file with their 1-based numbers: UTF-8, LF line endings, and a newline
/// after the last line, as StageX writes them.
fn lines_of<'a>(path: &Path, bytes: &'a [u8]) -> Result<Vec<(usize, &'a str)>, DigestsError> {
    let fail = |line: Option<usize>, message: &str| DigestsError {
        path: path.to_path_buf(),
        line,
        message: message.to_string(),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| fail(None, "not UTF-8 text"))?;
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(fail(
            Some(text.lines().count()),
            "the last line does not end with a newline",
        ));
    }
    let mut lines = Vec::new();
    for (i, line) in text.split_terminator('\n').enumerate() {
        if line.ends_with('\r') {
            return Err(fail(Some(i + 1), "CRLF line ending; StageX's files use LF"));
        }
        lines.push((i + 1, line));
    }
    Ok(lines)
}

/// The bytes of a digests file holding these packages, sorted by name.
pub fn render(packages: &[(String, Digest)]) -> Vec<u8> {
    let mut sorted: Vec<&(String, Digest)> = packages.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
        .iter()
        .map(|(name, digest)| format!("{} {name}\n", digest.hex()))
        .collect::<String>()
        .into_bytes()
}

/// One non-first platform of a package, from `<stage>.platforms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherPlatform {
    /// `<stage>-<name>`.
    pub package: String,
    /// `os/arch[/variant]`.
    pub platform: String,
    /// That platform's manifest digest.
    pub digest: Digest,
}

/// Parses a `<stage>.platforms` file: `<64 hex> <stage>-<name> <os/arch[/variant]>` per line,
/// sorted by package then platform. quorate's own format, kept beside StageX's files and never in
/// them: StageX's `<stage>.txt` records only the first platform of each package.
pub fn parse_platforms(path: &Path, bytes: &[u8]) -> Result<Vec<OtherPlatform>, DigestsError> {
    let fail = |line: Option<usize>, message: String| DigestsError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let lines = lines_of(path, bytes)?;
    let mut out: Vec<OtherPlatform> = Vec::new();
    for (number, line) in lines {
        let parts: Vec<&str> = line.split(' ').collect();
        let [hex, package, platform] = parts[..] else {
            return Err(fail(
                Some(number),
                format!("expected `<64 hex> <package> <os/arch>`, got {line:?}"),
            ));
        };
        if !is_lower_hex64(hex) {
            return Err(fail(
                Some(number),
                format!("{hex:?} is not 64 lowercase hex digits"),
            ));
        }
        if check_package_name(package).is_err() || !is_platform(platform) {
            return Err(fail(
                Some(number),
                format!("{package:?} {platform:?} is not a package and a platform"),
            ));
        }
        let entry = OtherPlatform {
            package: package.to_string(),
            platform: platform.to_string(),
            digest: Digest::from_hex(hex).expect("checked above"),
        };
        if let Some(previous) = out.last() {
            if (&previous.package, &previous.platform) >= (&entry.package, &entry.platform) {
                return Err(fail(
                    Some(number),
                    "out of order or repeated (sorted by package, then platform)".into(),
                ));
            }
        }
        out.push(entry);
    }
    Ok(out)
}

/// The bytes of a `<stage>.platforms` file.
pub fn render_platforms(entries: &[OtherPlatform]) -> Vec<u8> {
    let mut sorted: Vec<&OtherPlatform> = entries.iter().collect();
    sorted.sort_by(|a, b| (&a.package, &a.platform).cmp(&(&b.package, &b.platform)));
    sorted
        .iter()
        .map(|e| format!("{} {} {}\n", e.digest.hex(), e.package, e.platform))
        .collect::<String>()
        .into_bytes()
}

/// True when `text` can be written as a platform of a `<stage>.platforms` line:
/// `os/arch[/variant]`, each part letters, digits, `_ - .`.
pub fn is_platform(text: &str) -> bool {
    let parts: Vec<&str> = text.split('/').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        })
}

/// A release as a digests directory describes it: every package's first-platform digest
/// (`<stage>.txt`) and its other platforms (`<stage>.platforms`).
#[derive(Debug, Clone, Default)]
pub struct Release {
    /// From the `*.txt` files, sorted by file then line.
    pub packages: Vec<Package>,
    /// From the `*.platforms` files.
    pub others: Vec<OtherPlatform>,
}

/// Reads a digests directory: `*.txt` (StageX's) and `*.platforms` (quorate's).
pub fn read_release(source: &dyn Source, dir: &Path) -> Result<Release, DigestsError> {
    let packages = read_dir(source, dir)?;
    let mut others = Vec::new();
    for path in files_with_extension(source, dir, "platforms")? {
        let bytes = read_limited(source, &path)?;
        others.extend(parse_platforms(&path, &bytes)?);
    }
    Ok(Release { packages, others })
}

fn files_with_extension(
    source: &dyn Source,
    dir: &Path,
    extension: &str,
) -> Result<Vec<PathBuf>, DigestsError> {
    let entries = source.list(dir).map_err(|e| DigestsError {
        path: dir.to_path_buf(),
        line: None,
        message: format!("cannot read the digests directory: {e}"),
    })?;
    let mut files: Vec<PathBuf> = entries
        .into_iter()
        .filter(|(_, kind)| *kind == Kind::File)
        .map(|(name, _)| dir.join(name))
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    Ok(files)
}

/// A digests file larger than this is refused rather than read.
const MAX_DIGESTS_FILE: u64 = 64 * 1024 * 1024;

fn read_limited(source: &dyn Source, path: &Path) -> Result<Vec<u8>, DigestsError> {
    let fail = |message: String| DigestsError {
        path: path.to_path_buf(),
        line: None,
        message,
    };
    let bytes = source
        .read(path, MAX_DIGESTS_FILE)
        .map_err(|e| fail(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_DIGESTS_FILE {
        return Err(fail(
            "larger than any digests file quorate reads (64 MiB)".into(),
        ));
    }
    Ok(bytes)
}

/// Whether `dir` holds at least one `*.txt` digests file: false when there is no `dir` or it
/// holds none (as `quorate init` leaves it); one that cannot be read (a link, no permission) is
/// an error, never "no release".
pub fn holds_digests(source: &dyn Source, dir: &Path) -> Result<bool, DigestsError> {
    if matches!(source.kind(dir), Ok(None)) {
        return Ok(false);
    }
    Ok(!files_with_extension(source, dir, "txt")?.is_empty())
}

/// Reads every `*.txt` of a digests directory, sorted by file name.
pub fn read_dir(source: &dyn Source, dir: &Path) -> Result<Vec<Package>, DigestsError> {
    let mut packages = Vec::new();
    for path in files_with_extension(source, dir, "txt")? {
        let bytes = read_limited(source, &path)?;
        packages.extend(parse_file(&path, &bytes)?);
    }
    if packages.is_empty() {
        return Err(DigestsError {
            path: dir.to_path_buf(),
            line: None,
            message: "holds no digests (expected <stage>.txt files)".into(),
        });
    }
    Ok(packages)
}

/// The stage a package belongs to, and so the file it is written in (`<stage>.txt`): its name
/// up to the first `-`, or the whole name when it has none.
pub fn stage_of(name: &str) -> &str {
    name.split('-').next().unwrap_or(name)
}

/// Why `name` cannot be a package of a digests file, if it cannot: it must be a repository name
/// component, as the gated reference `<namespace>/<name>` needs (lowercase letters and digits,
/// separated by `.`, `_`, `__` or dashes).
pub fn check_package_name(name: &str) -> Result<(), &'static str> {
    if crate::format::reference::is_valid_path_component(name) {
        Ok(())
    } else {
        Err("is not a package name (lowercase letters and digits, separated by one . or _, two _, or dashes, as an image repository's name)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "2fbe7b164dd92edb9c1096152f6d27592d8a69b1b8eb2fc907b5fadea7d11668";
    const B: &str = "f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268";

    fn parse(text: &str) -> Result<Vec<Package>, DigestsError> {
        parse_file(Path::new("digests/pallet.txt"), text.as_bytes())
    }

    #[test]
    fn round_trips_byte_for_byte() {
        let text = format!("{A} pallet-go\n{B} pallet-rust\n");
        let packages = parse(&text).unwrap();
        assert_eq!(packages[1].name, "pallet-rust");
        assert_eq!(packages[1].source.1, 2);
        let pairs: Vec<(String, Digest)> = packages
            .iter()
            .rev()
            .map(|p| (p.name.clone(), p.digest.clone()))
            .collect();
        assert_eq!(render(&pairs), text.as_bytes());
        assert!(parse("").unwrap().is_empty());
        // A package without a stage prefix is its own stage.
        assert_eq!(stage_of("greeter"), "greeter");
        assert_eq!(stage_of("pallet-rust-1"), "pallet");
        let own = parse_file(
            Path::new("digests/greeter.txt"),
            format!("{A} greeter\n{B} greeter-cli\n").as_bytes(),
        );
        assert_eq!(own.unwrap().len(), 2);
    }

    #[test]
    fn malformed_lines_are_named_with_file_and_line() {
        let cases = [
            (
                format!("{A} pallet-go\n{}  pallet-rust\n", B),
                "digests/pallet.txt:2:",
            ),
            (
                format!("{A} pallet-go"),
                "digests/pallet.txt:1: the last line",
            ),
            (format!("{A} pallet-go\r\n"), "CRLF"),
            (
                format!("{} pallet-go\n", A.to_uppercase()),
                "64 lowercase hex",
            ),
            (format!("{A} core-go\n"), "not a pallet- package"),
            (format!("{A} pallet.\n"), "not a package name"),
            (format!("{B} pallet-rust\n{A} pallet-go\n"), "out of order"),
            (format!("{A} pallet-go\n{B} pallet-go\n"), "appears twice"),
            (format!("{A}\n"), "expected"),
            (format!("{A} pallet-Go\n"), "not a package name"),
        ];
        for (text, expected) in cases {
            let err = parse(&text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }
}
