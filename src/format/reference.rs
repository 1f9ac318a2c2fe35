//! Docker references, normalized the way podman and containers/image normalize them.
//!
//! `stagex/pallet-rust:1.0` means `docker.io/stagex/pallet-rust:1.0`, `busybox` means
//! `docker.io/library/busybox`. The grammar follows distribution/reference.

use std::fmt;

/// Why a reference could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The reference is empty.
    #[error("the reference is empty")]
    Empty,
    /// The name part is longer than the 255 characters docker allows.
    #[error("the repository name is longer than 255 characters")]
    NameTooLong,
    /// The registry host is not a valid domain (with an optional port).
    #[error("invalid registry host {0:?}")]
    BadDomain(String),
    /// A repository path component breaks the grammar (lowercase letters, digits and separators).
    #[error("invalid repository path component {0:?} (lowercase letters, digits, and . _ __ - between them)")]
    BadPathComponent(String),
    /// The tag breaks the grammar (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`).
    #[error("invalid tag {0:?}")]
    BadTag(String),
    /// The digest is not `sha256:` and 64 lowercase hex digits.
    #[error("invalid digest {0:?} (expected sha256: and 64 lowercase hex digits)")]
    BadDigest(String),
    /// A digest was required but the reference has none.
    #[error("the reference has no digest (expected NAME[:TAG]@sha256:<64 hex>)")]
    MissingDigest,
    /// A 64-hex-digit name is ambiguous with an image id, and docker refuses it.
    #[error("a repository name cannot be a 64-digit hexadecimal string")]
    HexName,
}

crate::fault::always!(Input: ReferenceError);

/// A `sha256:` manifest digest: 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    /// Parses `sha256:<64 lowercase hex>`.
    pub fn parse(s: &str) -> Result<Digest, ReferenceError> {
        match s.strip_prefix("sha256:") {
            Some(hex) if is_lower_hex64(hex) => Ok(Digest(hex.to_string())),
            _ => Err(ReferenceError::BadDigest(s.to_string())),
        }
    }

    /// Takes bare hex (as in a lookaside directory name or a digests file).
    pub fn from_hex(hex: &str) -> Result<Digest, ReferenceError> {
        if is_lower_hex64(hex) {
            Ok(Digest(hex.to_string()))
        } else {
            Err(ReferenceError::BadDigest(hex.to_string()))
        }
    }

    /// The 64 hex digits, without `sha256:`.
    pub fn hex(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.0)
    }
}

/// True for exactly 64 lowercase hex digits.
pub fn is_lower_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A normalized docker reference: registry host, repository path, optional tag and digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

const DEFAULT_DOMAIN: &str = "docker.io";

impl Reference {
    /// Parses and normalizes any docker reference: `NAME`, `NAME:TAG`, `NAME@DIGEST`,
    /// `NAME:TAG@DIGEST`.
    pub fn parse(input: &str) -> Result<Reference, ReferenceError> {
        if input.is_empty() {
            return Err(ReferenceError::Empty);
        }
        let (rest, digest) = match input.split_once('@') {
            Some((rest, digest)) => (rest, Some(Digest::parse(digest)?)),
            None => (input, None),
        };
        // A tag follows the last ':' that comes after the last '/' (a ':' before it is a port).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let tag = &rest[last_slash + i + 1..];
                if !is_valid_tag(tag) {
                    return Err(ReferenceError::BadTag(tag.to_string()));
                }
                (&rest[..last_slash + i], Some(tag.to_string()))
            }
            None => (rest, None),
        };
        if name.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if is_lower_hex64(name) {
            return Err(ReferenceError::HexName);
        }
        let (domain, path) = split_domain(name);
        // docker limits the full normalized name, registry host included.
        if domain.len() + 1 + path.len() > 255 {
            return Err(ReferenceError::NameTooLong);
        }
        if !is_valid_domain(&domain) {
            return Err(ReferenceError::BadDomain(domain));
        }
        for component in path.split('/') {
            if !is_valid_path_component(component) {
                return Err(ReferenceError::BadPathComponent(component.to_string()));
            }
        }
        Ok(Reference {
            domain,
            path,
            tag,
            digest,
        })
    }

    /// Parses a reference that must carry a digest, as every command argument does.
    pub fn parse_with_digest(input: &str) -> Result<Reference, ReferenceError> {
        let reference = Reference::parse(input)?;
        if reference.digest.is_none() {
            return Err(ReferenceError::MissingDigest);
        }
        Ok(reference)
    }

    /// Builds a reference from parts already known to be valid (a repository name and a digest).
    pub fn with_parts(
        name: &str,
        tag: Option<&str>,
        digest: Option<Digest>,
    ) -> Result<Reference, ReferenceError> {
        let mut reference = Reference::parse(name)?;
        if reference.tag.is_some() || reference.digest.is_some() {
            return Err(ReferenceError::BadPathComponent(name.to_string()));
        }
        if let Some(tag) = tag {
            if !is_valid_tag(tag) {
                return Err(ReferenceError::BadTag(tag.to_string()));
            }
            reference.tag = Some(tag.to_string());
        }
        reference.digest = digest;
        Ok(reference)
    }

    /// The registry host, e.g. `docker.io`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path without the registry host, e.g. `stagex/pallet-rust`: the lookaside
    /// directory is named after it.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The full repository name, e.g. `docker.io/stagex/pallet-rust`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The name and tag without the digest: what a payload signed for this reference carries.
    pub fn without_digest(&self) -> Reference {
        Reference {
            digest: None,
            ..self.clone()
        }
    }

    /// True when the reference has neither tag nor digest: podman never accepts that as a signed
    /// identity.
    pub fn is_name_only(&self) -> bool {
        self.tag.is_none() && self.digest.is_none()
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.path)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// Splits off the registry host the way docker does: the first component is a host only if it
/// contains '.' or ':' or is `localhost`; `index.docker.io` is `docker.io`; a single-component
/// docker.io name lives under `library/`.
fn split_domain(name: &str) -> (String, String) {
    let (domain, path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => (DEFAULT_DOMAIN.to_string(), name.to_string()),
    };
    let domain = if domain == "index.docker.io" {
        DEFAULT_DOMAIN.to_string()
    } else {
        domain
    };
    let path = if domain == DEFAULT_DOMAIN && !path.contains('/') {
        format!("library/{path}")
    } else {
        path
    };
    (domain, path)
}

fn is_valid_domain(domain: &str) -> bool {
    let (host, port) = match domain.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (domain, None),
    };
    if let Some(port) = port {
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
/// A repository path component as the distribution spec allows it.
pub(crate) fn is_valid_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &component[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
fn is_valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes[1..]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "2fbe7b164dd92edb9c1096152f6d27592d8a69b1b8eb2fc907b5fadea7d11668";

    #[test]
    fn short_names_normalize_like_podman() {
        let r = Reference::parse("stagex/pallet-rust:1.0").unwrap();
        assert_eq!(r.to_string(), "docker.io/stagex/pallet-rust:1.0");
        assert_eq!(r.path(), "stagex/pallet-rust");
        let r = Reference::parse("busybox").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/busybox");
        assert!(r.is_name_only());
        let r = Reference::parse("index.docker.io/library/busybox:1").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/busybox:1");
    }

    #[test]
    fn registry_hosts_and_ports_are_kept() {
        let r = Reference::parse(&format!("localhost:5000/a/b:v1@sha256:{HEX}")).unwrap();
        assert_eq!(r.domain(), "localhost:5000");
        assert_eq!(r.path(), "a/b");
        assert_eq!(r.tag(), Some("v1"));
        assert_eq!(r.digest().unwrap().hex(), HEX);
        let r = Reference::parse("quay.io/stagex/x").unwrap();
        assert_eq!(r.domain(), "quay.io");
        assert_eq!(r.path(), "stagex/x");
    }

    #[test]
    fn bad_references_are_refused() {
        assert!(matches!(
            Reference::parse("Stagex/x"),
            Err(ReferenceError::BadPathComponent(_))
        ));
        assert!(matches!(
            Reference::parse("stagex/x:"),
            Err(ReferenceError::BadTag(_))
        ));
        assert!(matches!(
            Reference::parse("stagex/x:-a"),
            Err(ReferenceError::BadTag(_))
        ));
        assert!(matches!(
            Reference::parse("stagex//x"),
            Err(ReferenceError::BadPathComponent(_))
        ));
        assert!(matches!(
            Reference::parse("stagex/../x"),
            Err(ReferenceError::BadPathComponent(_))
        ));
        assert!(matches!(
            Reference::parse("stagex/x@sha256:ABC"),
            Err(ReferenceError::BadDigest(_))
        ));
        assert!(matches!(
            Reference::parse(&format!("stagex/x@sha256:{}", HEX.to_uppercase())),
            Err(ReferenceError::BadDigest(_))
        ));
        assert!(matches!(
            Reference::parse_with_digest("stagex/x:1"),
            Err(ReferenceError::MissingDigest)
        ));
        assert!(matches!(
            Reference::parse(HEX),
            Err(ReferenceError::HexName)
        ));
        assert!(matches!(Reference::parse(""), Err(ReferenceError::Empty)));
    }

    #[test]
    fn the_length_limit_applies_to_the_normalized_name() {
        // 250 characters become 268 once docker.io/library/ is prefixed: refused, so that every
        // reference that parses normalizes to one that parses again (found by fuzzing).
        let short = "a".repeat(250);
        assert!(matches!(
            Reference::parse(&short),
            Err(ReferenceError::NameTooLong)
        ));
        let fits = format!("x/{}", "a".repeat(240));
        let r = Reference::parse(&fits).unwrap();
        assert_eq!(Reference::parse(&r.to_string()).unwrap(), r);
    }

    #[test]
    fn separators_follow_the_grammar() {
        assert!(is_valid_path_component("a__b"));
        assert!(is_valid_path_component("a---b"));
        assert!(is_valid_path_component("a.b_c"));
        assert!(!is_valid_path_component("a..b"));
        assert!(!is_valid_path_component("a___b"));
        assert!(!is_valid_path_component("a."));
        assert!(!is_valid_path_component(".a"));
    }
}
