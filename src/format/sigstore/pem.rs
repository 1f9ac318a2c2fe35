//! PEM (RFC 7468) as cosign writes it: `-----BEGIN LABEL-----`, base64 in lines, `-----END
//! LABEL-----`. Read strictly: only whitespace may stand around and between the blocks, no
//! headers (Go's `pem.Decode` skips text before a block; a file quorate reads is one cosign
//! wrote, which has none).

use base64::Engine as _;

use crate::text::shown;

/// One PEM block: its label and the bytes its base64 holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemBlock {
    /// The label of the BEGIN and END lines, e.g. `PUBLIC KEY`.
    pub label: String,
    /// The decoded body.
    pub der: Vec<u8>,
}

/// Why text is not PEM.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    /// The text is not UTF-8.
    #[error("the PEM text is not UTF-8")]
    NotText,
    /// No BEGIN line.
    #[error("no PEM block (no -----BEGIN line)")]
    NoBlock,
    /// Something other than whitespace outside the blocks.
    #[error("text outside the PEM blocks: {0}")]
    Outside(String),
    /// A BEGIN line without its END line.
    #[error("PEM block {0} has no matching -----END line")]
    Unterminated(String),
    /// A body line that is not base64 (or a header line).
    #[error("PEM block {label} is not base64: {detail}")]
    Base64 {
        /// The block's label.
        label: String,
        /// What the decoder said.
        detail: String,
    },
}

crate::fault::always!(Input: PemError);

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";
const DASHES: &str = "-----";

/// Every block in `bytes`, in order.
pub fn decode_all(bytes: &[u8]) -> Result<Vec<PemBlock>, PemError> {
    let text = std::str::from_utf8(bytes).map_err(|_| PemError::NotText)?;
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(label) = line
            .strip_prefix(BEGIN)
            .and_then(|rest| rest.strip_suffix(DASHES))
        else {
            let first: String = line.chars().take(60).collect();
            return Err(PemError::Outside(shown(&first).into_owned()));
        };
        let end = format!("{END}{label}{DASHES}");
        let mut body = String::new();
        let mut closed = false;
        for line in lines.by_ref() {
            let line = line.trim();
            if line == end {
                closed = true;
                break;
            }
            body.push_str(line);
        }
        if !closed {
            return Err(PemError::Unterminated(label.to_string()));
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|e| PemError::Base64 {
                label: label.to_string(),
                detail: e.to_string(),
            })?;
        blocks.push(PemBlock {
            label: label.to_string(),
            der,
        });
    }
    if blocks.is_empty() {
        return Err(PemError::NoBlock);
    }
    Ok(blocks)
}

/// `der` as one PEM block, 64 base64 characters a line, as Go's `pem.Encode` writes it.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("{BEGIN}{label}{DASHES}\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII: every chunk is valid UTF-8.
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("{END}{label}{DASHES}\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_several_blocks() {
        let der: Vec<u8> = (0..=200u8).collect();
        let one = encode("PUBLIC KEY", &der);
        assert!(one.lines().all(|l| l.len() <= 64));
        let two = format!("{one}\n{}", encode("CERTIFICATE", b"x"));
        let blocks = decode_all(two.as_bytes()).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "PUBLIC KEY");
        assert_eq!(blocks[0].der, der);
        assert_eq!(blocks[1].der, b"x");
    }

    #[test]
    fn refuses_junk_unterminated_and_bad_base64() {
        let one = encode("PUBLIC KEY", b"abc");
        assert_eq!(
            decode_all(format!("hello\n{one}").as_bytes()),
            Err(PemError::Outside("hello".into()))
        );
        assert_eq!(decode_all(b"\n \n"), Err(PemError::NoBlock));
        assert_eq!(
            decode_all(b"-----BEGIN X-----\nYWJj\n"),
            Err(PemError::Unterminated("X".into()))
        );
        assert!(matches!(
            decode_all(b"-----BEGIN X-----\nY*Jj\n-----END X-----\n"),
            Err(PemError::Base64 { .. })
        ));
        assert!(matches!(
            decode_all(b"-----BEGIN X-----\nYWJj\n-----END Y-----\n"),
            Err(PemError::Unterminated(_))
        ));
    }
}
