//! JSON read the way Go's `encoding/json` reads it, for the payload containers/image parses:
//! podman's verdict on a payload is Go's, so quorate's must be too.
//!
//! - Syntax is Go's scanner's: RFC 8259, values nested at most 10000 deep, white space only
//!   around the value, and any byte but a control character inside strings (invalid UTF-8
//!   included).
//! - Strings decode as Go decodes them: each byte of invalid UTF-8 and each lone surrogate
//!   escape becomes U+FFFD, so keys compare (and collide) as Go compares them.
//! - Numbers are float64: out of its range is an error when Go decodes the value (a member
//!   containers/image reads, or one it ignores: both are decoded), never for raw JSON it keeps.
//!
//! Everything here walks the bytes with loops, never recursion, so depth costs no stack.

use std::collections::HashSet;

/// Go's `maxNestingDepth`: an object or array 10001 levels deep is a syntax error.
pub const MAX_DEPTH: usize = 10_000;

/// Checks that `b` is one JSON value as Go's scanner accepts it, with only white space around.
pub fn check(b: &[u8]) -> Result<(), String> {
    let mut stack: Vec<u8> = Vec::new();
    let mut i = skip_ws(b, 0);
    'value: loop {
        // A value starts at i.
        match b.get(i) {
            None => return Err("unexpected end of JSON input".into()),
            Some(&open @ (b'{' | b'[')) => {
                stack.push(open);
                if stack.len() > MAX_DEPTH {
                    return Err(format!("exceeded max depth of {MAX_DEPTH}"));
                }
                i = skip_ws(b, i + 1);
                let close = if open == b'{' { b'}' } else { b']' };
                if b.get(i) == Some(&close) {
                    stack.pop();
                    i += 1;
                } else {
                    if open == b'{' {
                        i = member_value(b, i)?;
                    }
                    continue 'value;
                }
            }
            Some(b'"') => i = string_end(b, i)?,
            Some(b'-' | b'0'..=b'9') => i = number_end(b, i)?,
            Some(_) => {
                i = ["true", "false", "null"]
                    .iter()
                    .find(|w| b[i..].starts_with(w.as_bytes()))
                    .map(|w| i + w.len())
                    .ok_or_else(|| unexpected(b, i, "looking for beginning of value"))?;
            }
        }
        // A value ended at i: what may follow depends on what holds it.
        loop {
            i = skip_ws(b, i);
            match (stack.last(), b.get(i)) {
                (None, None) => return Ok(()),
                (None, Some(_)) => return Err(unexpected(b, i, "after top-level value")),
                (Some(b'{'), Some(b',')) => {
                    i = member_value(b, skip_ws(b, i + 1))?;
                    continue 'value;
                }
                (Some(b'['), Some(b',')) => {
                    i = skip_ws(b, i + 1);
                    continue 'value;
                }
                (Some(b'{'), Some(b'}')) | (Some(b'['), Some(b']')) => {
                    stack.pop();
                    i += 1;
                }
                (Some(_), None) => return Err("unexpected end of JSON input".into()),
                (Some(_), Some(_)) => return Err(unexpected(b, i, "after a value")),
            }
        }
    }
}

/// Past a member's key and colon: where its value starts.
fn member_value(b: &[u8], i: usize) -> Result<usize, String> {
    if b.get(i) != Some(&b'"') {
        return Err(unexpected(
            b,
            i,
            "looking for beginning of object key string",
        ));
    }
    let i = skip_ws(b, string_end(b, i)?);
    if b.get(i) != Some(&b':') {
        return Err(unexpected(b, i, "after object key"));
    }
    Ok(skip_ws(b, i + 1))
}

fn unexpected(b: &[u8], i: usize, context: &str) -> String {
    match b.get(i) {
        Some(c) => format!("invalid character 0x{c:02x} at byte {i} {context}"),
        None => "unexpected end of JSON input".into(),
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The end of the string starting at `i` (an opening quote): escapes checked, control
/// characters refused, other bytes taken as they are.
fn string_end(b: &[u8], i: usize) -> Result<usize, String> {
    let mut j = i + 1;
    loop {
        match b.get(j) {
            None => return Err("unexpected end of JSON input".into()),
            Some(b'"') => return Ok(j + 1),
            Some(b'\\') => match b.get(j + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => j += 2,
                Some(b'u') if hex4(b, j + 2).is_some() => j += 6,
                _ => return Err(unexpected(b, j + 1, "in string escape code")),
            },
            Some(c) if *c < 0x20 => return Err(unexpected(b, j, "in string literal")),
            Some(_) => j += 1,
        }
    }
}

/// The end of the number starting at `i`: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn number_end(b: &[u8], i: usize) -> Result<usize, String> {
    let digits = |mut j: usize| {
        let start = j;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        (j > start).then_some(j)
    };
    let mut j = i;
    if b.get(j) == Some(&b'-') {
        j += 1;
    }
    j = match b.get(j) {
        Some(b'0') => j + 1,
        Some(b'1'..=b'9') => digits(j).unwrap_or(j),
        _ => return Err(unexpected(b, j, "in numeric literal")),
    };
    if b.get(j) == Some(&b'.') {
        j = digits(j + 1)
            .ok_or_else(|| unexpected(b, j + 1, "after decimal point in numeric literal"))?;
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        j += 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        j = digits(j).ok_or_else(|| unexpected(b, j, "in exponent of numeric literal"))?;
    }
    Ok(j)
}

fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let text = std::str::from_utf8(b.get(i..i + 4)?).ok()?;
    if !text.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(text, 16).ok()
}

/// What a value is, by its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

impl Kind {
    /// How Go names it in "cannot unmarshal ... into".
    pub fn name(self) -> &'static str {
        match self {
            Kind::Object => "an object",
            Kind::Array => "an array",
            Kind::String => "a string",
            Kind::Number => "a number",
            Kind::Bool => "a boolean",
            Kind::Null => "null",
        }
    }
}

/// A position in a document `check` accepted. Its methods assume that (they never panic on
/// other bytes, but their answers are then meaningless).
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of a checked document.
    pub fn new(b: &'a [u8]) -> Cursor<'a> {
        Cursor { b, i: 0 }
    }

    fn peek(&mut self) -> u8 {
        self.i = skip_ws(self.b, self.i);
        self.b.get(self.i).copied().unwrap_or(0)
    }

    /// The kind of the value at the cursor.
    pub fn kind(&mut self) -> Kind {
        match self.peek() {
            b'{' => Kind::Object,
            b'[' => Kind::Array,
            b'"' => Kind::String,
            b't' | b'f' => Kind::Bool,
            b'n' => Kind::Null,
            _ => Kind::Number,
        }
    }

    /// Enters the object or array at the cursor.
    pub fn enter(&mut self) {
        self.peek();
        self.i += 1;
    }

    /// In an object: the next member's key (the cursor then at its value), or None once the
    /// object is closed.
    pub fn next_key(&mut self) -> Option<String> {
        if self.peek() == b',' {
            self.i += 1;
        }
        if self.peek() != b'"' {
            self.i += 1; // the closing brace
            return None;
        }
        let key = self.string();
        self.peek();
        self.i += 1; // the colon
        Some(key)
    }

    /// In an array: true when another element follows (the cursor then at it), false once the
    /// array is closed.
    pub fn next_item(&mut self) -> bool {
        match self.peek() {
            b']' => {
                self.i += 1;
                false
            }
            b',' => {
                self.i += 1;
                true
            }
            _ => true,
        }
    }

    /// The string at the cursor, decoded as Go decodes it.
    pub fn string(&mut self) -> String {
        self.peek();
        let b = self.b;
        let mut out = String::new();
        let mut j = self.i + 1;
        loop {
            match b.get(j) {
                None | Some(b'"') => break,
                Some(b'\\') => {
                    let c = match b.get(j + 1) {
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let first = hex4(b, j + 2).unwrap_or(0xFFFD);
                            j += 6;
                            // A high surrogate followed by a low one is one character; any
                            // other surrogate is U+FFFD and the next escape stands alone.
                            if (0xD800..0xDC00).contains(&first) && b.get(j..j + 2) == Some(b"\\u")
                            {
                                if let Some(second @ 0xDC00..=0xDFFF) = hex4(b, j + 2) {
                                    let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                                    out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                                    j += 6;
                                    continue;
                                }
                            }
                            out.push(char::from_u32(first).unwrap_or('\u{FFFD}'));
                            continue;
                        }
                        Some(&c) => c as char,
                        None => break,
                    };
                    out.push(c);
                    j += 2;
                }
                Some(_) => {
                    // A run of plain bytes: valid UTF-8 kept, each invalid byte one U+FFFD.
                    let end = (j..b.len())
                        .find(|&k| b[k] == b'"' || b[k] == b'\\')
                        .unwrap_or(b.len());
                    for chunk in b[j..end].utf8_chunks() {
                        out.push_str(chunk.valid());
                        out.extend(std::iter::repeat_n('\u{FFFD}', chunk.invalid().len()));
                    }
                    j = end;
                }
            }
        }
        self.i = j + 1;
        out
    }

    /// The number at the cursor as float64, or its text when it is out of float64's range
    /// (Go: "cannot unmarshal number ... into Go value of type float64").
    pub fn number(&mut self) -> Result<f64, String> {
        self.peek();
        let end = number_end(self.b, self.i).unwrap_or(self.b.len());
        let text = std::str::from_utf8(&self.b[self.i..end]).unwrap_or("");
        self.i = end;
        // Rust's parse rounds correctly, as Go's ParseFloat does; overflow is infinity here
        // and an error there, underflow is zero in both.
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(n),
            _ => Err(text.to_string()),
        }
    }

    /// Skips the value at the cursor as Go's decoder decodes an ignored value (into `any`):
    /// every number in it must fit float64.
    pub fn skip_decoded(&mut self) -> Result<(), String> {
        self.skip(true)
    }

    /// Skips the value at the cursor as raw JSON (Go's `json.RawMessage`): nothing decoded.
    pub fn skip_raw(&mut self) {
        let _ = self.skip(false);
    }

    fn skip(&mut self, decode_numbers: bool) -> Result<(), String> {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                b'{' | b'[' => {
                    depth += 1;
                    self.i += 1;
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    self.i += 1;
                }
                b',' | b':' => {
                    self.i += 1;
                    continue;
                }
                b'"' => self.i = string_end(self.b, self.i).unwrap_or(self.b.len()),
                b't' | b'n' => self.i += 4,
                b'f' => self.i += 5,
                0 => return Ok(()),
                _ if decode_numbers => {
                    self.number()?;
                }
                _ => self.i = number_end(self.b, self.i).unwrap_or(self.b.len()),
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }
}

/// The object at the cursor read as containers/image's `ParanoidUnmarshalJSONObject` reads it:
/// an object (else `Err(NotObject)`), no key twice once decoded (else `Err(Duplicate)`), each
/// member handed to `member` with the cursor at its value, which must consume the value and
/// answer false for a key it does not know (then `Err(Unknown)`).
pub fn paranoid_object<'a, E>(
    cur: &mut Cursor<'a>,
    mut member: impl FnMut(&str, &mut Cursor<'a>) -> Result<bool, E>,
) -> Result<(), ObjectError<E>> {
    let kind = cur.kind();
    if kind != Kind::Object {
        return Err(ObjectError::NotObject(kind));
    }
    cur.enter();
    let mut seen = HashSet::new();
    while let Some(key) = cur.next_key() {
        if !seen.insert(key.clone()) {
            return Err(ObjectError::Duplicate(key));
        }
        if !member(&key, cur).map_err(ObjectError::Member)? {
            return Err(ObjectError::Unknown(key));
        }
    }
    Ok(())
}

/// Why `paranoid_object` refused an object.
#[derive(Debug)]
pub enum ObjectError<E> {
    NotObject(Kind),
    Duplicate(String),
    Unknown(String),
    Member(E),
}

/// Go's `int64(f)` on amd64 (a value outside int64 becomes its minimum), as containers/image
/// converts `optional.timestamp`; it refuses the value unless converting back gives it again.
pub fn go_int64(f: f64) -> Option<i64> {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let i = if (-TWO_63..TWO_63).contains(&f) {
        f as i64
    } else {
        i64::MIN
    };
    (i as f64 == f).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_is_gos() {
        for ok in [
            &b"{}"[..],
            b" [1, -0, 0.5e+3, 1E-2, \"a\\u00e9\\/\", true, false, null] ",
            b"{\"\xff\":\"\xfe\\ud800\"}",
            b"\"x\"",
        ] {
            assert_eq!(check(ok), Ok(()), "{}", String::from_utf8_lossy(ok));
        }
        for bad in [
            &b""[..],
            b" ",
            b"{",
            b"{}x",
            b"{} {}",
            b"[1,]",
            b"{\"a\":1,}",
            b"{\"a\" 1}",
            b"{1:1}",
            b"01",
            b"1.",
            b".5",
            b"+1",
            b"1e",
            b"-",
            b"tru",
            b"nul",
            b"\"\x01\"",
            b"\"\\x\"",
            b"\"\\u12g4\"",
            b"\"abc",
            b"\xef\xbb\xbf{}",
            b"{}\x00",
            b"[1]\xff",
        ] {
            assert!(check(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let deep = |n: usize| [vec![b'['; n], vec![b']'; n]].concat();
        assert_eq!(check(&deep(MAX_DEPTH)), Ok(()));
        assert!(check(&deep(MAX_DEPTH + 1)).is_err());
        // Far deeper than any stack would allow recursion: refused, not crashed.
        assert!(check(&deep(1 << 20)).is_err());
    }

    #[test]
    fn strings_decode_as_go_decodes_them() {
        let decoded = |json: &[u8]| Cursor::new(json).string();
        assert_eq!(decoded(br#""a\u0062\n\/""#), "ab\n/");
        assert_eq!(decoded(br#""\ud83d\ude00""#), "\u{1F600}");
        assert_eq!(decoded(br#""\ud800x""#), "\u{FFFD}x");
        assert_eq!(decoded(br#""\udc00\ud800""#), "\u{FFFD}\u{FFFD}");
        assert_eq!(decoded(br#""\ud800\u0041""#), "\u{FFFD}A");
        assert_eq!(
            decoded(b"\"a\xe2\x82Ab\xff\""),
            "a\u{FFFD}\u{FFFD}Ab\u{FFFD}"
        );
        assert_eq!(decoded("\"é\"".as_bytes()), "é");
    }

    #[test]
    fn numbers_and_int64_follow_go() {
        let number = |text: &str| Cursor::new(text.as_bytes()).number();
        assert_eq!(number("17e8"), Ok(1.7e9));
        assert_eq!(number("1e-400"), Ok(0.0));
        assert!(number("1e400").is_err());
        assert!(number("-1e400").is_err());
        assert_eq!(go_int64(1.0), Some(1));
        assert_eq!(go_int64(-0.0), Some(0));
        assert_eq!(go_int64(1.5), None);
        assert_eq!(go_int64(9_223_372_036_854_775_807.0), None); // 2^63 once rounded
        assert_eq!(go_int64(-9_223_372_036_854_775_808.0), Some(i64::MIN));
        assert_eq!(go_int64(-1e19), None);
        assert_eq!(
            go_int64(9_007_199_254_740_993.0),
            Some(9_007_199_254_740_992)
        );
    }

    #[test]
    fn paranoid_objects_refuse_decoded_duplicates_only_at_their_level() {
        let read = |json: &[u8]| {
            check(json).unwrap();
            let mut cur = Cursor::new(json);
            paranoid_object(&mut cur, |_, c| c.skip_decoded().map(|_| true))
        };
        assert!(read(br#"{"a":{"x":1,"x":2}}"#).is_ok());
        assert!(matches!(
            read(br#"{"a":1,"\u0061":2}"#),
            Err(ObjectError::Duplicate(k)) if k == "a"
        ));
        assert!(matches!(
            read(b"{\"\xff\":1,\"\xfe\":2}"),
            Err(ObjectError::Duplicate(_))
        ));
        assert!(matches!(
            read(b"[]"),
            Err(ObjectError::NotObject(Kind::Array))
        ));
        assert!(matches!(
            read(br#"{"a":[1,{"b":1e999}]}"#),
            Err(ObjectError::Member(n)) if n == "1e999"
        ));
    }
}
