//! The small encodings every Sigstore file uses: base64 (standard alphabet, padded, nothing
//! else accepted), lowercase hex, and JSON strings written the way Go's `encoding/json` writes
//! them (so quorate's bytes are the bytes containers/image would write).

use base64::Engine as _;

use crate::format::gojson::{self, Cursor, Kind, ObjectError};

/// Standard padded base64, refusing anything else (no line breaks, no URL alphabet, no
/// unpadded form, no stray bits): Go's decoder accepts some of those, so a value it could read
/// otherwise is never taken.
pub(crate) fn b64_decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Standard padded base64.
pub(crate) fn b64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Exactly 64 lowercase hex digits, as 32 bytes.
pub(crate) fn hex32(text: &str) -> Option<[u8; 32]> {
    if !crate::format::reference::is_lower_hex64(text) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// `text` as a JSON string the way Go's `json.Marshal` writes it: `"` and `\` escaped, `\n`
/// `\r` `\t` short, other control characters and `<` `>` `&` U+2028 U+2029 as `\u00XX`.
pub(crate) fn go_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The object at the cursor read with Go's rules and stricter: each of `names` at most once,
/// nothing else (a key differing only in case is unknown here, where Go's struct decoding
/// would take it), no key twice. The members' values in the order of `names`.
pub(crate) fn members<'a, const N: usize>(
    cur: &mut Cursor<'a>,
    what: &str,
    names: [&str; N],
) -> Result<[Option<Cursor<'a>>; N], String> {
    let mut found: [Option<Cursor<'a>>; N] = std::array::from_fn(|_| None);
    gojson::paranoid_object(cur, |key, value| {
        let Some(at) = names.iter().position(|n| *n == key) else {
            return Ok::<bool, String>(false);
        };
        found[at] = Some(value.clone());
        value.skip_raw();
        Ok(true)
    })
    .map_err(|e| match e {
        ObjectError::NotObject(kind) => format!("{what} is {}, not an object", kind.name()),
        ObjectError::Duplicate(key) => format!("{what} has the key {key:?} twice"),
        ObjectError::Unknown(key) => format!("{what} has an unknown member {key:?}"),
        ObjectError::Member(e) => e,
    })?;
    Ok(found)
}

/// Like [`members`], every one required.
pub(crate) fn exact_members<'a, const N: usize>(
    cur: &mut Cursor<'a>,
    what: &str,
    names: [&str; N],
) -> Result<[Cursor<'a>; N], String> {
    let found = members(cur, what, names)?;
    let mut out = Vec::with_capacity(N);
    for (slot, name) in found.into_iter().zip(names) {
        out.push(slot.ok_or_else(|| format!("{what} has no member {name:?}"))?);
    }
    out.try_into()
        .map_err(|_| format!("{what}: members out of step"))
}

/// A JSON string (null refused: Go would read it as empty).
pub(crate) fn string(cur: &mut Cursor, what: &str) -> Result<String, String> {
    match cur.kind() {
        Kind::String => Ok(cur.string()),
        other => Err(format!("{what} is {}, not a string", other.name())),
    }
}

/// A JSON string holding standard padded base64.
pub(crate) fn bytes(cur: &mut Cursor, what: &str) -> Result<Vec<u8>, String> {
    b64_decode(&string(cur, what)?).ok_or_else(|| format!("{what} is not standard base64"))
}

/// Whole numbers below this, and only those, every reader (float64 included) holds exactly.
pub(crate) const EXACT_INT_LIMIT: i64 = 1 << 53;

/// A JSON number that is a whole number from 0 to below 2^53: read alike by Go's int64 and
/// float64 decoding and by RFC 8785's number form (a literal past 2^53 could round onto it).
pub(crate) fn count(cur: &mut Cursor, what: &str) -> Result<i64, String> {
    if cur.kind() != Kind::Number {
        return Err(format!("{what} is {}, not a number", cur.kind().name()));
    }
    let n = cur
        .number()
        .map_err(|text| format!("{what} {text} is out of range"))?;
    match gojson::go_int64(n) {
        Some(i) if (0..EXACT_INT_LIMIT).contains(&i) => Ok(i),
        _ => Err(format!(
            "{what} {n} is not a whole number from 0 to below 2^53"
        )),
    }
}

/// Checks `bytes` is one JSON document as Go reads it and gives a cursor at its start.
pub(crate) fn document(bytes: &[u8]) -> Result<Cursor<'_>, String> {
    gojson::check(bytes)?;
    Ok(Cursor::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_strict() {
        assert_eq!(b64_decode("YWI="), Some(b"ab".to_vec()));
        for bad in ["YWI", "YW\nI=", "YWJ=", "-_8=", " YWI="] {
            assert_eq!(b64_decode(bad), None, "{bad:?}");
        }
        assert_eq!(b64_encode(b"ab"), "YWI=");
    }

    #[test]
    fn hex_is_lowercase_and_exact() {
        let text = "00ff".repeat(16);
        let bytes = hex32(&text).unwrap();
        assert_eq!(hex(&bytes), text);
        assert_eq!(hex32(&text.to_uppercase()), None);
        assert_eq!(hex32(&text[..62]), None);
    }

    #[test]
    fn json_strings_are_written_as_go_writes_them() {
        let mut out = String::new();
        go_json_string(&mut out, "a\"\\\n\u{1}<>&\u{2028}é");
        assert_eq!(out, r#""a\"\\\n\u0001\u003c\u003e\u0026\u2028é""#);
    }
}
