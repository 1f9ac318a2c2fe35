//! Reading a `signature-N` file: one binary OpenPGP signed message (RFC 4880 §11.3), optionally
//! compressed, holding a One-Pass Signature, the Literal Data (the payload) and exactly one
//! Signature. Anything else is refused with the reason why, before any cryptography runs.

use std::io::Read;

use sequoia_openpgp as openpgp;

use openpgp::packet::Signature;
use openpgp::parse::{PacketParserBuilder, PacketParserResult, Parse};
use openpgp::types::CompressionAlgorithm;
use openpgp::Packet;

/// containers/image reads at most this much of a signature file.
pub const MAX_SIGNATURE_FILE: u64 = 4 * 1024 * 1024;

/// A payload is a few hundred bytes; a literal larger than this is refused without reading on,
/// so a compressed bomb costs nothing.
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// The parts of a well-formed signed message.
#[derive(Debug, Clone)]
pub struct SignedMessage {
    /// The literal data: the JSON payload.
    pub payload: Vec<u8>,
    /// The one signature.
    pub signature: Signature,
    /// The compression wrapping the message, if any.
    pub compression: Option<CompressionAlgorithm>,
}

/// Why a file is not a signed message podman can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The file has no bytes.
    #[error("the file is empty")]
    Empty,
    /// Larger than the 4 MiB containers/image reads.
    #[error("the file has {0} bytes, more than the 4 MiB podman reads")]
    TooLarge(u64),
    /// ASCII armor: podman reads only binary messages.
    #[error("ASCII-armored; podman reads only binary OpenPGP")]
    Armored,
    /// A cleartext signature framework message.
    #[error("a cleartext signature, not a binary signed message")]
    Cleartext,
    /// The first byte is not one containers/image accepts.
    #[error("first byte 0x{0:02x} does not start an OpenPGP signed message")]
    NotOpenPgp(u8),
    /// The packet stream ends early or a packet is cut.
    #[error("truncated: {0}")]
    Truncated(String),
    /// The packets do not parse.
    #[error("malformed OpenPGP: {0}")]
    Malformed(String),
    /// A detached signature: no data inside.
    #[error("a detached signature; podman needs the payload inside the message")]
    Detached,
    /// The message has data but no signature.
    #[error("the message holds no signature")]
    NoSignature,
    /// More than one signature: GPGME refuses it.
    #[error("the message holds {0} signatures; podman accepts exactly one")]
    MultipleSignatures(usize),
    /// The packets are not One-Pass Signature, Literal Data, Signature.
    #[error("not a signed message: {0}")]
    NotSignedMessage(String),
    /// Compression inside compression.
    #[error("compressed data nested inside compressed data")]
    NestedCompression,
    /// The literal data is larger than any payload.
    #[error("the payload is larger than {MAX_PAYLOAD} bytes")]
    PayloadTooLarge,
}

/// Reads a signed message from the bytes of a signature file.
pub fn read_signed_message(bytes: &[u8]) -> Result<SignedMessage, MessageError> {
    let Some(&first) = bytes.first() else {
        return Err(MessageError::Empty);
    };
    if bytes.len() as u64 > MAX_SIGNATURE_FILE {
        return Err(MessageError::TooLarge(bytes.len() as u64));
    }
    if bytes.starts_with(b"-----BEGIN PGP SIGNED MESSAGE-----") {
        return Err(MessageError::Cleartext);
    }
    if bytes.starts_with(b"-----BEGIN PGP") {
        return Err(MessageError::Armored);
    }
    // The bytes containers/image sniffs before it hands a file to GPG.
    if !matches!(first, 0xA0..=0xA3 | 0xC8 | 0x90..=0x92 | 0xC4 | 0x88..=0x8B | 0xC2) {
        return Err(MessageError::NotOpenPgp(first));
    }

    let mut ppr = PacketParserBuilder::from_bytes(bytes)
        .and_then(|b| {
            b.dearmor(openpgp::parse::Dearmor::Disabled)
                .max_recursion_depth(1)
                .build()
        })
        .map_err(|e| classify(&e))?;

    // The packets in order, flattened, with the depth each was found at.
    let mut shape: Vec<(&'static str, isize)> = Vec::new();
    let mut payload = None;
    let mut signatures = Vec::new();
    let mut compression = None;
    while let PacketParserResult::Some(mut pp) = ppr {
        let depth = pp.recursion_depth();
        match &pp.packet {
            Packet::CompressedData(c) => {
                if depth > 0 {
                    return Err(MessageError::NestedCompression);
                }
                compression = Some(c.algo());
                shape.push(("compressed", depth));
            }
            Packet::OnePassSig(_) => shape.push(("one-pass", depth)),
            Packet::Literal(_) => {
                shape.push(("literal", depth));
                let mut body = Vec::new();
                (&mut pp)
                    .take(MAX_PAYLOAD as u64 + 1)
                    .read_to_end(&mut body)
                    .map_err(|e| MessageError::Truncated(e.to_string()))?;
                if body.len() > MAX_PAYLOAD {
                    return Err(MessageError::PayloadTooLarge);
                }
                payload = Some(body);
            }
            Packet::Signature(_) => shape.push(("signature", depth)),
            Packet::Unknown(u) => {
                let e = u.error();
                return Err(if is_truncation(e) {
                    MessageError::Truncated(error_line(e))
                } else {
                    MessageError::Malformed(format!("{} packet: {}", u.tag(), error_line(e)))
                });
            }
            Packet::Marker(_) | Packet::Padding(_) => {}
            other => {
                return Err(MessageError::NotSignedMessage(format!(
                    "unexpected {} packet",
                    other.tag()
                )));
            }
        }
        let (packet, next) = pp.recurse().map_err(|e| classify(&e))?;
        if let Packet::Signature(sig) = packet {
            signatures.push(sig);
        }
        ppr = next;
    }
    if let PacketParserResult::EOF(eof) = &ppr {
        if let Err(e) = eof.is_message() {
            // A grammar error after the packets we accepted: a cut-off or spliced stream.
            if payload.is_some() && signatures.is_empty() {
                return Err(MessageError::Truncated(format!(
                    "no signature after the data ({})",
                    error_line(&e)
                )));
            }
        }
    }

    let kinds: Vec<&str> = shape
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| *k != "compressed")
        .collect();
    match (payload, signatures.len()) {
        (None, 0) => Err(MessageError::NotSignedMessage(
            "no data and no signature".into(),
        )),
        (None, _) => Err(MessageError::Detached),
        (Some(_), 0) if kinds.contains(&"one-pass") => Err(MessageError::Truncated(
            "a one-pass signature and data, but the signature packet is missing".into(),
        )),
        (Some(_), 0) => Err(MessageError::NoSignature),
        (Some(_), n) if n > 1 => Err(MessageError::MultipleSignatures(n)),
        (Some(payload), _) => {
            if kinds != ["one-pass", "literal", "signature"] {
                return Err(MessageError::NotSignedMessage(format!(
                    "packets are {}",
                    kinds.join(", ")
                )));
            }
            if shape.first().map(|s| s.0) == Some("compressed")
                && shape.iter().skip(1).any(|s| s.1 == 0)
            {
                return Err(MessageError::NotSignedMessage(
                    "packets outside the compressed data".into(),
                ));
            }
            Ok(SignedMessage {
                payload,
                signature: signatures.pop().expect("exactly one"),
                compression,
            })
        }
    }
}

fn is_truncation(e: &anyhow::Error) -> bool {
    let text = crate::keyring::error_chain(e).to_lowercase();
    text.contains("eof") || text.contains("truncated") || text.contains("unexpected end")
}

fn classify(e: &anyhow::Error) -> MessageError {
    if is_truncation(e) {
        MessageError::Truncated(error_line(e))
    } else {
        MessageError::Malformed(error_line(e))
    }
}

fn error_line(e: &anyhow::Error) -> String {
    crate::maintainers::one_line(&crate::keyring::error_chain(e))
}
