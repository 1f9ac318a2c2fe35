//! The signed payload: containers/image's "atomic container signature" JSON, written the way
//! StageX and skopeo write it and read exactly as containers/image reads it (with Go's JSON rules).

use crate::format::gojson::{self, Cursor, Kind, ObjectError};
use crate::format::reference::{Digest, Reference};

/// The only `type` podman accepts.
pub const SIGNATURE_TYPE: &str = "atomic container signature";

/// What a valid payload says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The signed identity, normalized.
    pub reference: Reference,
    /// The signed manifest digest.
    pub digest: Digest,
    /// `optional.creator`, when present.
    pub creator: Option<String>,
    /// `optional.timestamp`, when present.
    pub timestamp: Option<i64>,
    /// True for StageX's legacy form (a one-element array, `pgp container image signature`, a
    /// bare hex digest, a name without tag, `optional: null`): podman cannot read it.
    pub legacy: bool,
}

/// The `type` of cosign's simple-signing payloads.
pub const COSIGN_SIGNATURE_TYPE: &str = "cosign container image signature";

/// The `type` of StageX's legacy payloads.
pub const LEGACY_SIGNATURE_TYPE: &str = "pgp container image signature";

/// Why a payload is refused. Each maps to one reason code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Not JSON as Go reads it: a syntax error, bytes after the value, nesting past 10000.
    #[error("not a JSON document: {0}")]
    NotJson(String),
    /// A key appears twice in one object.
    #[error("duplicate key {0:?}")]
    DuplicateKey(String),
    /// A member is missing, unknown, or of the wrong JSON type.
    #[error("{0}")]
    Schema(String),
    /// `critical.type` is not the one the payload's kind needs (`atomic container signature`,
    /// `cosign container image signature`, or the legacy one).
    #[error("type is {0:?}, not the one podman reads for this kind of signature")]
    WrongType(String),
    /// The digest is not lowercase `sha256:` and 64 hex digits.
    #[error("malformed digest {0:?}")]
    BadDigest(String),
    /// The reference does not parse as a docker reference.
    #[error("malformed docker-reference {0:?}: {1}")]
    BadReference(String, String),
}

crate::fault::always!(Input: PayloadError);

impl Payload {
    /// The exact bytes quorate signs: keys sorted, compact, no trailing newline, `optional` empty
    /// as StageX writes it.
    pub fn to_bytes(reference: &Reference, digest: &Digest) -> Vec<u8> {
        let value = serde_json::json!({
            "critical": {
                "identity": {"docker-reference": reference.without_digest().to_string()},
                "image": {"docker-manifest-digest": digest.to_string()},
                "type": SIGNATURE_TYPE,
            },
            "optional": {},
        });
        // serde_json's map is sorted (no preserve_order feature), so this is the canonical form.
        serde_json::to_vec(&value).expect("a JSON value always serializes")
    }

    /// Parses a payload as containers/image does (`json.Unmarshal` of its
    /// `untrustedSignature`): the whole document must be JSON as Go reads it; the payload,
    /// `critical`, `image` and `identity` objects hold exactly their members, no key twice;
    /// `optional` may hold anything else, decoded but ignored, and its `creator` (a string or
    /// null) and `timestamp` (a number or null that converts to int64 and back unchanged) are
    /// read as Go reads them.
    pub fn parse(bytes: &[u8]) -> Result<Payload, PayloadError> {
        gojson::check(bytes).map_err(PayloadError::NotJson)?;
        let cur = Cursor::new(bytes);
        if cur.clone().kind() == Kind::Array {
            return Payload::parse_legacy(cur);
        }
        Payload::parse_object(cur, SIGNATURE_TYPE, false)
    }

    /// Parses a cosign simple-signing payload as containers/image does
    /// (`signature/internal/sigstore_payload.go`): as [`Payload::parse`] reads the atomic one,
    /// with `critical.type` `cosign container image signature` and `optional` null or an
    /// object. The reference is normalized (cosign's `index.docker.io/…` is `docker.io/…`);
    /// cosign writes a repository without tag, skopeo's sigstore signing a tagged one: both
    /// are read.
    pub fn parse_cosign(bytes: &[u8]) -> Result<Payload, PayloadError> {
        gojson::check(bytes).map_err(PayloadError::NotJson)?;
        Payload::parse_object(Cursor::new(bytes), COSIGN_SIGNATURE_TYPE, true)
    }

    /// The bytes `cosign sign` signs for `repository` (its tag and digest, if any, left out:
    /// cosign names the repository only, Docker Hub as `index.docker.io`) and `digest`:
    /// compact, keys sorted, `optional` null.
    pub fn to_cosign_bytes(repository: &Reference, digest: &Digest) -> Vec<u8> {
        let domain = match repository.domain() {
            "docker.io" => "index.docker.io",
            other => other,
        };
        let value = serde_json::json!({
            "critical": {
                "identity": {"docker-reference": format!("{domain}/{}", repository.path())},
                "image": {"docker-manifest-digest": digest.to_string()},
                "type": COSIGN_SIGNATURE_TYPE,
            },
            "optional": null,
        });
        // serde_json's map is sorted (no preserve_order feature): cosign's key order.
        serde_json::to_vec(&value).expect("a JSON value always serializes")
    }

    /// The object form: `wanted_type` required, `optional` null allowed when `null_optional`.
    fn parse_object(
        mut cur: Cursor,
        wanted_type: &str,
        null_optional: bool,
    ) -> Result<Payload, PayloadError> {
        let [critical, mut optional] =
            exact_members(&mut cur, "the payload", ["critical", "optional"])?;
        let (creator, timestamp) = if null_optional && optional.kind() == Kind::Null {
            (None, None)
        } else {
            read_optional(optional)?
        };
        let Critical {
            type_,
            digest_text,
            reference_text,
        } = Critical::read(critical)?;
        if type_ != wanted_type {
            return Err(PayloadError::WrongType(type_));
        }
        let digest = Digest::parse(&digest_text)
            .map_err(|_| PayloadError::BadDigest(digest_text.clone()))?;
        let reference = Reference::parse(&reference_text)
            .map_err(|e| PayloadError::BadReference(reference_text.clone(), e.to_string()))?;
        Ok(Payload {
            reference,
            digest,
            creator,
            timestamp,
            legacy: false,
        })
    }

    /// StageX's legacy form, strictly in its own shape: exactly one object, the same members as
    /// the current form, `optional` null, a bare 64-hex digest and a reference without tag.
    fn parse_legacy(mut cur: Cursor) -> Result<Payload, PayloadError> {
        cur.enter();
        let mut items = Vec::new();
        while cur.next_item() {
            items.push(cur.clone());
            cur.skip_raw();
        }
        let [item] = <[Cursor; 1]>::try_from(items).map_err(|items| {
            PayloadError::Schema(format!(
                "a legacy payload is an array of exactly one object, not {}",
                items.len()
            ))
        })?;
        let mut item = item;
        let [critical, mut optional] =
            exact_members(&mut item, "the legacy payload", ["critical", "optional"])?;
        if optional.kind() != Kind::Null {
            return Err(PayloadError::Schema(
                "a legacy payload's optional is null".into(),
            ));
        }
        let Critical {
            type_,
            digest_text,
            reference_text,
        } = Critical::read(critical)?;
        if type_ != LEGACY_SIGNATURE_TYPE {
            return Err(PayloadError::WrongType(type_));
        }
        let digest = Digest::from_hex(&digest_text)
            .map_err(|_| PayloadError::BadDigest(digest_text.clone()))?;
        let reference = Reference::parse(&reference_text)
            .map_err(|e| PayloadError::BadReference(reference_text.clone(), e.to_string()))?;
        if !reference.is_name_only() {
            return Err(PayloadError::BadReference(
                reference_text,
                "a legacy payload names a repository without tag or digest".into(),
            ));
        }
        Ok(Payload {
            reference,
            digest,
            creator: None,
            timestamp: None,
            legacy: true,
        })
    }
}

/// `optional`, as containers/image reads it: an object (null is refused), no key twice;
/// `creator` a string or null (then empty), `timestamp` a number or null (then 0) that Go's
/// int64 conversion keeps unchanged; every other member decoded as Go decodes an ignored value
/// (so a number beyond float64 is refused) and otherwise ignored.
fn read_optional(mut cur: Cursor) -> Result<(Option<String>, Option<i64>), PayloadError> {
    let mut creator = None;
    let mut timestamp = None;
    gojson::paranoid_object(&mut cur, |key, value| {
        match key {
            "creator" => creator = Some(go_string(value, "optional.creator")?),
            "timestamp" => {
                let number = match value.kind() {
                    Kind::Null => {
                        value.skip_raw();
                        0.0
                    }
                    Kind::Number => value.number().map_err(|text| {
                        PayloadError::Schema(format!(
                            "optional.timestamp {text} is beyond the range of a float64"
                        ))
                    })?,
                    other => {
                        return Err(PayloadError::Schema(format!(
                            "optional.timestamp is {}, not a number",
                            other.name()
                        )))
                    }
                };
                let Some(seconds) = gojson::go_int64(number) else {
                    return Err(PayloadError::Schema(format!(
                        "optional.timestamp {number} is not an integer containers/image can read"
                    )));
                };
                timestamp = Some(seconds);
            }
            other => value.skip_decoded().map_err(|text| {
                PayloadError::Schema(format!(
                    "optional.{other} holds {text}, beyond the range of a float64"
                ))
            })?,
        }
        Ok(true)
    })
    .map_err(|e| object_error(e, "optional"))?;
    Ok((creator, timestamp))
}

/// A string member as Go decodes it into a string: a string, or null (which leaves it empty).
fn go_string(cur: &mut Cursor, what: &str) -> Result<String, PayloadError> {
    match cur.kind() {
        Kind::String => Ok(cur.string()),
        Kind::Null => {
            cur.skip_raw();
            Ok(String::new())
        }
        other => Err(PayloadError::Schema(format!(
            "{what} is {}, not a string",
            other.name()
        ))),
    }
}

/// The object holds exactly these members, each once: their values' positions, in this order.
fn exact_members<'a, const N: usize>(
    cur: &mut Cursor<'a>,
    what: &str,
    names: [&str; N],
) -> Result<[Cursor<'a>; N], PayloadError> {
    let mut found: [Option<Cursor<'a>>; N] = std::array::from_fn(|_| None);
    gojson::paranoid_object(cur, |key, value| {
        let Some(at) = names.iter().position(|n| *n == key) else {
            return Ok::<bool, PayloadError>(false);
        };
        found[at] = Some(value.clone());
        value.skip_raw();
        Ok(true)
    })
    .map_err(|e| object_error(e, what))?;
    let mut out = Vec::with_capacity(N);
    for (slot, name) in found.into_iter().zip(names) {
        out.push(
            slot.ok_or_else(|| PayloadError::Schema(format!("{what} has no member {name:?}")))?,
        );
    }
    Ok(out
        .try_into()
        .unwrap_or_else(|_| unreachable!("one per name")))
}

fn object_error(e: ObjectError<PayloadError>, what: &str) -> PayloadError {
    match e {
        ObjectError::NotObject(kind) => {
            PayloadError::Schema(format!("{what} is {}, not an object", kind.name()))
        }
        ObjectError::Duplicate(key) => PayloadError::DuplicateKey(format!("{key:?}")),
        ObjectError::Unknown(key) => {
            PayloadError::Schema(format!("{what} has an unknown member {key:?}"))
        }
        ObjectError::Member(e) => e,
    }
}

/// The `critical` object, the same in both forms: exactly `type`, `image` (exactly
/// `docker-manifest-digest`) and `identity` (exactly `docker-reference`), strings as Go decodes
/// them (null reads as empty, and is refused as such later).
struct Critical {
    type_: String,
    digest_text: String,
    reference_text: String,
}

impl Critical {
    fn read(mut cur: Cursor) -> Result<Critical, PayloadError> {
        let [mut type_, mut image, mut identity] =
            exact_members(&mut cur, "critical", ["type", "image", "identity"])?;
        let type_ = go_string(&mut type_, "critical.type")?;
        let [mut digest] = exact_members(&mut image, "critical.image", ["docker-manifest-digest"])?;
        let digest_text = go_string(&mut digest, "critical.image.docker-manifest-digest")?;
        let [mut reference] =
            exact_members(&mut identity, "critical.identity", ["docker-reference"])?;
        let reference_text = go_string(&mut reference, "critical.identity.docker-reference")?;
        Ok(Critical {
            type_,
            digest_text,
            reference_text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "2fbe7b164dd92edb9c1096152f6d27592d8a69b1b8eb2fc907b5fadea7d11668";

    fn good() -> String {
        format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"stagex/pallet-rust:1.0"}},"image":{{"docker-manifest-digest":"sha256:{HEX}"}},"type":"atomic container signature"}},"optional":{{}}}}"#
        )
    }

    #[test]
    fn writes_the_exact_stagex_bytes() {
        let r = Reference::parse("stagex/pallet-rust:1.0").unwrap();
        let d = Digest::from_hex(HEX).unwrap();
        let bytes = Payload::to_bytes(&r, &d);
        let expected = good().replace("stagex/pallet-rust", "docker.io/stagex/pallet-rust");
        assert_eq!(String::from_utf8(bytes).unwrap(), expected);
    }

    #[test]
    fn reads_stagex_and_skopeo_payloads() {
        let p = Payload::parse(good().as_bytes()).unwrap();
        assert_eq!(p.reference.to_string(), "docker.io/stagex/pallet-rust:1.0");
        assert_eq!(p.digest.hex(), HEX);
        let skopeo = good().replace(
            r#""optional":{}"#,
            r#""optional":{"creator":"atomic 5.23.1","timestamp":1795310654,"extra":[1]}"#,
        );
        let p = Payload::parse(skopeo.as_bytes()).unwrap();
        assert_eq!(p.creator.as_deref(), Some("atomic 5.23.1"));
        assert_eq!(p.timestamp, Some(1795310654));
    }

    fn refused(text: &str) -> PayloadError {
        Payload::parse(text.as_bytes()).unwrap_err()
    }

    #[test]
    fn reads_stagexs_legacy_form_strictly() {
        let legacy = format!(
            r#"[{{"critical":{{"identity":{{"docker-reference":"stagex/bash"}},"image":{{"docker-manifest-digest":"{HEX}"}},"type":"pgp container image signature"}},"optional":null}}]"#
        );
        let p = Payload::parse(legacy.as_bytes()).unwrap();
        assert!(p.legacy);
        assert_eq!(p.reference.to_string(), "docker.io/stagex/bash");
        assert_eq!(p.digest.hex(), HEX);
        let refused = |text: String| Payload::parse(text.as_bytes()).unwrap_err();
        assert!(matches!(
            refused(format!(
                "[{},{}]",
                &legacy[1..legacy.len() - 1],
                &legacy[1..legacy.len() - 1]
            )),
            PayloadError::Schema(_)
        ));
        assert!(matches!(
            refused(legacy.replace("null", "{}")),
            PayloadError::Schema(_)
        ));
        assert!(matches!(
            refused(legacy.replace(HEX, &format!("sha256:{HEX}"))),
            PayloadError::BadDigest(_)
        ));
        assert!(matches!(
            refused(legacy.replace(HEX, "")),
            PayloadError::BadDigest(_)
        ));
        assert!(matches!(
            refused(legacy.replace("stagex/bash", "stagex/bash:1")),
            PayloadError::BadReference(..)
        ));
        assert!(matches!(
            refused(legacy.replace("pgp container image", "atomic container")),
            PayloadError::WrongType(_)
        ));
        assert!(matches!(refused("[]".into()), PayloadError::Schema(_)));
    }

    #[test]
    fn strictness_matches_containers_image() {
        let g = good();
        // Trailing white space is allowed, as Go's decoder allows it; anything else is not.
        assert!(Payload::parse(format!("{g}\n").as_bytes()).is_ok());
        assert!(matches!(
            refused(&format!("{g}x")),
            PayloadError::NotJson(_)
        ));
        assert!(matches!(
            refused(&format!("{g}{g}")),
            PayloadError::NotJson(_)
        ));
        assert!(matches!(
            refused(&g.replace(r#""optional":{}"#, r#""optional":{},"optional":{}"#)),
            PayloadError::DuplicateKey(k) if k == "\"optional\""
        ));
        assert!(matches!(
            refused(&g.replace(r#""type":"#, r#""type":"x","type":"#)),
            PayloadError::DuplicateKey(_)
        ));
        assert!(matches!(
            refused(&g.replace(r#","optional":{}"#, "")),
            PayloadError::Schema(_)
        ));
        assert!(matches!(
            refused(&g.replace(r#""optional":{}"#, r#""optional":null"#)),
            PayloadError::Schema(_)
        ));
        assert!(matches!(
            refused(&g.replace(r#""optional":{}"#, r#""optional":{},"extra":1"#)),
            PayloadError::Schema(_)
        ));
        assert!(matches!(
            refused(&g.replace(r#""image":{"#, r#""image":{"extra":1,"#)),
            PayloadError::Schema(_)
        ));
        assert!(matches!(
            refused(&g.replace(
                "atomic container signature",
                "pgp container image signature"
            )),
            PayloadError::WrongType(_)
        ));
        assert!(matches!(
            refused(&g.replace(HEX, &HEX.to_uppercase())),
            PayloadError::BadDigest(_)
        ));
        assert!(matches!(
            refused(&g.replace(HEX, &HEX[..63])),
            PayloadError::BadDigest(_)
        ));
        assert!(matches!(
            refused(&g.replace("sha256:", "")),
            PayloadError::BadDigest(_)
        ));
        assert!(matches!(
            refused(&g.replace(r#""optional":{}"#, r#""optional":{"timestamp":"1"}"#)),
            PayloadError::Schema(_)
        ));
        assert!(matches!(
            refused(&g.replace(r#""optional":{}"#, r#""optional":{"timestamp":1.5}"#)),
            PayloadError::Schema(_)
        ));
        assert!(matches!(
            refused(&g.replace(r#""optional":{}"#, r#""optional":{"creator":1}"#)),
            PayloadError::Schema(_)
        ));
        assert!(matches!(
            refused(&g.replace("stagex/pallet-rust:1.0", "Stagex")),
            PayloadError::BadReference(..)
        ));
        // Invalid UTF-8 inside a string decodes to U+FFFD, as in Go (here the reference then
        // fails); outside a string it is not JSON.
        let mut invalid_utf8 = g.clone().into_bytes();
        assert_eq!(invalid_utf8[60], b'u');
        invalid_utf8[60] = 0xff;
        assert!(matches!(
            Payload::parse(&invalid_utf8),
            Err(PayloadError::BadReference(r, _)) if r.contains('\u{FFFD}')
        ));
        let mut invalid_utf8 = g.into_bytes();
        invalid_utf8[1] = 0xff;
        assert!(matches!(
            Payload::parse(&invalid_utf8),
            Err(PayloadError::NotJson(_))
        ));
    }

    /// The values containers/image reads from `optional`, as it reads them.
    #[test]
    fn optional_values_are_read_as_go_reads_them() {
        let read = |optional: &str| {
            Payload::parse(
                good()
                    .replace(r#""optional":{}"#, &format!(r#""optional":{optional}"#))
                    .as_bytes(),
            )
        };
        let p = read(r#"{"timestamp":17e8,"creator":null}"#).unwrap();
        assert_eq!(
            (p.timestamp, p.creator.as_deref()),
            (Some(1_700_000_000), Some(""))
        );
        assert_eq!(read(r#"{"timestamp":null}"#).unwrap().timestamp, Some(0));
        assert_eq!(read(r#"{"timestamp":1.0}"#).unwrap().timestamp, Some(1));
        assert_eq!(
            read(r#"{"timestamp":-9223372036854775809}"#)
                .unwrap()
                .timestamp,
            Some(i64::MIN)
        );
        assert_eq!(
            read(r#"{"timestamp":9007199254740993}"#).unwrap().timestamp,
            Some(9_007_199_254_740_992)
        );
        assert_eq!(
            read("{\"creator\":\"a\\ud800b\"}")
                .unwrap()
                .creator
                .as_deref(),
            Some("a\u{FFFD}b")
        );
        assert!(read(r#"{"timestamp":9223372036854775807}"#).is_err());
        assert!(read(r#"{"x":{"a":1,"a":2}}"#).is_ok());
        assert!(matches!(
            read(r#"{"x":1,"x":2}"#),
            Err(PayloadError::DuplicateKey(_))
        ));
    }

    const COSIGN: &str = r#"{"critical":{"identity":{"docker-reference":"index.docker.io/team/hello"},"image":{"docker-manifest-digest":"sha256:2fbe7b164dd92edb9c1096152f6d27592d8a69b1b8eb2fc907b5fadea7d11668"},"type":"cosign container image signature"},"optional":null}"#;

    #[test]
    fn reads_and_writes_cosign_payloads() {
        let p = Payload::parse_cosign(COSIGN.as_bytes()).unwrap();
        assert_eq!(p.reference.to_string(), "docker.io/team/hello");
        assert_eq!(p.digest.hex(), HEX);
        assert_eq!((p.creator, p.timestamp, p.legacy), (None, None, false));
        let digest = Digest::from_hex(HEX).unwrap();
        let tagged = Reference::parse("team/hello:1.0").unwrap();
        let bytes = Payload::to_cosign_bytes(&tagged, &digest);
        assert_eq!(String::from_utf8(bytes.clone()).unwrap(), COSIGN);
        assert_eq!(
            Payload::parse_cosign(&bytes).unwrap().reference,
            Reference::parse("team/hello").unwrap()
        );
        let other = Reference::parse("ghcr.io/team/hello:2").unwrap();
        let p = Payload::parse_cosign(&Payload::to_cosign_bytes(&other, &digest)).unwrap();
        assert_eq!(p.reference.to_string(), "ghcr.io/team/hello");
        // skopeo's sigstore payloads: a tag, creator and timestamp.
        let skopeo = COSIGN
            .replace("index.docker.io/team/hello", "docker.io/team/hello:1.0")
            .replace(
                r#""optional":null"#,
                r#""optional":{"creator":"containers/image 5.36.1","timestamp":1795310654}"#,
            );
        let p = Payload::parse_cosign(skopeo.as_bytes()).unwrap();
        assert_eq!(p.reference.tag(), Some("1.0"));
        assert_eq!(p.timestamp, Some(1795310654));
        // The real payload of containers/image's fixture.
        let sig = crate::format::sigstore::envelope::LegacySignature::parse(include_bytes!(
            "../../tests/fixtures/sigstore/dir-img-cosign-valid.signature-1"
        ))
        .unwrap();
        let p = Payload::parse_cosign(&sig.payload).unwrap();
        assert_eq!(
            p.reference.to_string(),
            "192.168.64.2:5000/cosign-signed-single-sample"
        );
    }

    #[test]
    fn cosign_payloads_are_as_strict_as_atomic_ones() {
        let refused = |text: String| Payload::parse_cosign(text.as_bytes()).unwrap_err();
        assert!(matches!(
            refused(COSIGN.replace("cosign container image", "atomic container")),
            PayloadError::WrongType(_)
        ));
        // Each kind is read only as itself.
        assert!(matches!(
            Payload::parse(COSIGN.replace("null", "{}").as_bytes()),
            Err(PayloadError::WrongType(_))
        ));
        assert!(matches!(refused(good()), PayloadError::WrongType(_)));
        assert!(matches!(
            refused(COSIGN.replace(r#""optional":null"#, r#""optional":null,"optional":null"#)),
            PayloadError::DuplicateKey(_)
        ));
        assert!(matches!(
            refused(COSIGN.replace(r#""optional":null"#, r#""optional":1"#)),
            PayloadError::Schema(_)
        ));
        assert!(matches!(
            refused(COSIGN.replace(r#","optional":null"#, "")),
            PayloadError::Schema(_)
        ));
        assert!(matches!(
            refused(COSIGN.replace(r#""type":"#, r#""Type":"#)),
            PayloadError::Schema(_)
        ));
        assert!(matches!(
            refused(COSIGN.replace("sha256:", "sha512:")),
            PayloadError::BadDigest(_)
        ));
        assert!(matches!(
            refused(COSIGN.replace("team/hello", "Team/hello")),
            PayloadError::BadReference(..)
        ));
        assert!(matches!(
            refused(format!("[{COSIGN}]")),
            PayloadError::Schema(_)
        ));
    }
}
