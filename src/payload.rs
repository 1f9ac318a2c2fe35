//! The signed payload: containers/image's "atomic container signature" JSON, written the way
//! StageX and skopeo write it and read as strictly as containers/image reads it.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::reference::{Digest, Reference};

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

/// The `type` of StageX's legacy payloads.
pub const LEGACY_SIGNATURE_TYPE: &str = "pgp container image signature";

/// Why a payload is refused. Each maps to one reason code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Not UTF-8 JSON, or bytes follow the object.
    #[error("not a JSON document: {0}")]
    NotJson(String),
    /// A key appears twice in one object.
    #[error("duplicate key {0:?}")]
    DuplicateKey(String),
    /// A member is missing, unknown, or of the wrong JSON type.
    #[error("{0}")]
    Schema(String),
    /// `critical.type` is not `atomic container signature`.
    #[error("type is {0:?}, not \"atomic container signature\"")]
    WrongType(String),
    /// The digest is not lowercase `sha256:` and 64 hex digits.
    #[error("malformed digest {0:?}")]
    BadDigest(String),
    /// The reference does not parse as a docker reference.
    #[error("malformed docker-reference {0:?}: {1}")]
    BadReference(String, String),
}

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

    /// Parses a payload as containers/image does: every object holds exactly its members, no
    /// duplicate key at any level, nothing after the object.
    pub fn parse(bytes: &[u8]) -> Result<Payload, PayloadError> {
        let value = parse_strict_json(bytes)?;
        if let StrictValue::Array(items) = &value {
            return Payload::parse_legacy(items);
        }
        let top = expect_object(&value, "the payload")?;
        expect_members(top, "the payload", &["critical", "optional"])?;
        let Critical {
            type_,
            digest_text,
            reference_text,
        } = Critical::read(&top["critical"])?;
        let optional = expect_object(&top["optional"], "optional")?;
        let creator = match optional.get("creator") {
            Some(v) => Some(expect_string(v, "optional.creator")?.to_string()),
            None => None,
        };
        let timestamp = match optional.get("timestamp") {
            Some(StrictValue::Integer(n)) => Some(*n),
            Some(_) => {
                return Err(PayloadError::Schema(
                    "optional.timestamp is not an integer".into(),
                ))
            }
            None => None,
        };
        if type_ != SIGNATURE_TYPE {
            return Err(PayloadError::WrongType(type_.to_string()));
        }
        let digest = Digest::parse(digest_text)
            .map_err(|_| PayloadError::BadDigest(digest_text.to_string()))?;
        let reference = Reference::parse(reference_text)
            .map_err(|e| PayloadError::BadReference(reference_text.to_string(), e.to_string()))?;
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
    fn parse_legacy(items: &[StrictValue]) -> Result<Payload, PayloadError> {
        let [item] = items else {
            return Err(PayloadError::Schema(format!(
                "a legacy payload is an array of exactly one object, not {}",
                items.len()
            )));
        };
        let top = expect_object(item, "the legacy payload")?;
        expect_members(top, "the legacy payload", &["critical", "optional"])?;
        if top["optional"] != StrictValue::Null {
            return Err(PayloadError::Schema(
                "a legacy payload's optional is null".into(),
            ));
        }
        let Critical {
            type_,
            digest_text,
            reference_text,
        } = Critical::read(&top["critical"])?;
        if type_ != LEGACY_SIGNATURE_TYPE {
            return Err(PayloadError::WrongType(type_.to_string()));
        }
        let digest = Digest::from_hex(digest_text)
            .map_err(|_| PayloadError::BadDigest(digest_text.to_string()))?;
        let reference = Reference::parse(reference_text)
            .map_err(|e| PayloadError::BadReference(reference_text.to_string(), e.to_string()))?;
        if !reference.is_name_only() {
            return Err(PayloadError::BadReference(
                reference_text.to_string(),
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

/// The `critical` object, the same in both forms: exactly `type`, `image` (exactly
/// `docker-manifest-digest`) and `identity` (exactly `docker-reference`), all strings.
struct Critical<'a> {
    type_: &'a str,
    digest_text: &'a str,
    reference_text: &'a str,
}

impl<'a> Critical<'a> {
    fn read(value: &'a StrictValue) -> Result<Critical<'a>, PayloadError> {
        let critical = expect_object(value, "critical")?;
        expect_members(critical, "critical", &["identity", "image", "type"])?;
        let image = expect_object(&critical["image"], "critical.image")?;
        expect_members(image, "critical.image", &["docker-manifest-digest"])?;
        let identity = expect_object(&critical["identity"], "critical.identity")?;
        expect_members(identity, "critical.identity", &["docker-reference"])?;
        Ok(Critical {
            type_: expect_string(&critical["type"], "critical.type")?,
            digest_text: expect_string(
                &image["docker-manifest-digest"],
                "critical.image.docker-manifest-digest",
            )?,
            reference_text: expect_string(
                &identity["docker-reference"],
                "critical.identity.docker-reference",
            )?,
        })
    }
}

/// A JSON value whose objects were checked for duplicate keys while parsing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StrictValue {
    Null,
    Bool(bool),
    Integer(i64),
    Number(f64),
    String(String),
    Array(Vec<StrictValue>),
    Object(BTreeMap<String, StrictValue>),
}

impl StrictValue {
    fn kind(&self) -> &'static str {
        match self {
            StrictValue::Null => "null",
            StrictValue::Bool(_) => "a boolean",
            StrictValue::Integer(_) | StrictValue::Number(_) => "a number",
            StrictValue::String(_) => "a string",
            StrictValue::Array(_) => "an array",
            StrictValue::Object(_) => "an object",
        }
    }
}

/// Parses JSON, refusing duplicate keys at any depth and anything after the value.
pub(crate) fn parse_strict_json(bytes: &[u8]) -> Result<StrictValue, PayloadError> {
    serde_json::from_slice::<StrictValue>(bytes).map_err(|e| {
        let text = e.to_string();
        match text.strip_prefix(DUPLICATE_PREFIX) {
            Some(rest) => PayloadError::DuplicateKey(
                rest.split(" at line").next().unwrap_or(rest).to_string(),
            ),
            None => PayloadError::NotJson(text),
        }
    })
}

const DUPLICATE_PREFIX: &str = "duplicate key ";

pub(crate) fn expect_object<'a>(
    value: &'a StrictValue,
    what: &str,
) -> Result<&'a BTreeMap<String, StrictValue>, PayloadError> {
    match value {
        StrictValue::Object(map) => Ok(map),
        other => Err(PayloadError::Schema(format!(
            "{what} is {}, not an object",
            other.kind()
        ))),
    }
}

pub(crate) fn expect_string<'a>(
    value: &'a StrictValue,
    what: &str,
) -> Result<&'a str, PayloadError> {
    match value {
        StrictValue::String(s) => Ok(s),
        other => Err(PayloadError::Schema(format!(
            "{what} is {}, not a string",
            other.kind()
        ))),
    }
}

/// The object must hold exactly these members.
pub(crate) fn expect_members(
    map: &BTreeMap<String, StrictValue>,
    what: &str,
    members: &[&str],
) -> Result<(), PayloadError> {
    if let Some(unknown) = map.keys().find(|k| !members.contains(&k.as_str())) {
        return Err(PayloadError::Schema(format!(
            "{what} has an unknown member {unknown:?}"
        )));
    }
    if let Some(missing) = members.iter().find(|m| !map.contains_key(**m)) {
        return Err(PayloadError::Schema(format!(
            "{what} has no member {missing:?}"
        )));
    }
    Ok(())
}

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = StrictValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<StrictValue, E> {
        Ok(StrictValue::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<StrictValue, E> {
        Ok(StrictValue::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<StrictValue, E> {
        Ok(StrictValue::Integer(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<StrictValue, E> {
        Ok(i64::try_from(v).map_or(StrictValue::Number(v as f64), StrictValue::Integer))
    }
    fn visit_f64<E>(self, v: f64) -> Result<StrictValue, E> {
        Ok(StrictValue::Number(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<StrictValue, E> {
        Ok(StrictValue::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<StrictValue, E> {
        Ok(StrictValue::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrictValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(StrictValue::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StrictValue, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("{DUPLICATE_PREFIX}{key:?}")));
            }
            let value = map.next_value()?;
            out.insert(key, value);
        }
        Ok(StrictValue::Object(out))
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
        let mut invalid_utf8 = g.into_bytes();
        invalid_utf8[60] = 0xff;
        assert!(matches!(
            Payload::parse(&invalid_utf8),
            Err(PayloadError::NotJson(_))
        ));
    }
}
