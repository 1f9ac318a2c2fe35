//! Reading a `signature-N` file: one binary OpenPGP signed message (RFC 4880 §11.3), optionally
//! compressed, holding a One-Pass Signature, the Literal Data (the payload) and exactly one
//! Signature. Anything else is refused with the reason why, before any cryptography runs.

use std::io::Read;

use sequoia_openpgp as openpgp;

use openpgp::packet::header::BodyLength;
use openpgp::packet::{OnePassSig, Signature};
use openpgp::parse::{PacketParserBuilder, PacketParserResult, Parse};
use openpgp::types::CompressionAlgorithm;
use openpgp::Packet;

use crate::text::error_line;

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
    /// Compressed data larger than the budget, or decompressing to more.
    #[error("compressed data over the {MAX_COMPRESSED}-byte budget: {0}")]
    CompressedTooLarge(String),
    /// The One-Pass Signature packet disagrees with the Signature packet.
    #[error("the one-pass signature disagrees with the signature: {0}")]
    OnePassMismatch(String),
}

crate::fault::always!(Input: MessageError);

/// Compressed data is held to this many bytes in and this many out: twice the payload cap
/// (128 KiB). The largest message that could count (a payload at its cap, a signature packet at
/// `MAX_PACKET`, the headers) fits within it, compressed or not, since deflate and bzip2 never
/// expand data by more than a few bytes per block. Past it nothing more is read, whatever packets
/// the bytes would have been: a file of a few kilobytes cannot make quorate decompress gigabytes,
/// and a file of megabytes of tiny or empty compressed blocks is refused before any is decoded.
pub const MAX_COMPRESSED: usize = 2 * MAX_PAYLOAD;

/// A packet other than literal or compressed data (signature, one-pass signature, anything else)
/// larger than this is refused unparsed. A signature is a few hundred bytes (an RSA-16384 one
/// with notations stays under 4 KiB); this keeps sequoia from parsing tens of thousands of
/// subpackets a crafted one could hold.
pub const MAX_PACKET: u32 = 8 * 1024;

/// Packets read on one level (the file, or the compressed data) before giving up. A signed
/// message has three; the cap keeps a file of thousands of small packets from costing more
/// than a handful, while still telling two signatures apart from one.
pub const MAX_PACKETS: usize = 8;

/// One packet of a signed message, as read.
enum Part {
    /// Compressed data and its decompressed bytes (at most `MAX_COMPRESSED + 1` of them).
    Compressed(CompressionAlgorithm, Vec<u8>),
    OnePass(OnePassSig),
    Literal(Vec<u8>),
    Signature(Signature),
}

impl Part {
    fn kind(&self) -> &'static str {
        match self {
            Part::Compressed(..) => "compressed data",
            Part::OnePass(_) => "one-pass",
            Part::Literal(_) => "literal",
            Part::Signature(_) => "signature",
        }
    }
}

/// Reads a signed message from the bytes of a signature file.
///
/// Two layouts are accepted, the two gpg writes and GPGME reads: One-Pass Signature, Literal
/// Data, Signature; or one Compressed Data packet holding exactly those three. Every other packet
/// (Marker, Padding, unknown or private tags, which sequoia would skip silently) is refused on
/// sight, so the work per file is bounded by the 4 MiB file, `MAX_COMPRESSED` bytes into and out
/// of decompression, and `MAX_PACKETS` packets of at most `MAX_PACKET` bytes (or a literal read
/// to the payload cap) per level, whatever the file holds.
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

    let top = read_packets(bytes, false)?;
    let (parts, compression) = match top.as_slice() {
        [Part::Compressed(_, inner)] if inner.len() > MAX_COMPRESSED => {
            // Only the budget's worth was read: what it holds may be cut mid-packet. A packet
            // refused for its kind or size, which no cut can cause, keeps its own reason;
            // anything else is the budget's.
            return Err(match read_packets(&inner[..MAX_COMPRESSED], true) {
                Err(
                    e @ (MessageError::PayloadTooLarge
                    | MessageError::NestedCompression
                    | MessageError::NotSignedMessage(_)),
                ) => e,
                _ => MessageError::CompressedTooLarge(format!(
                    "it decompresses to more than {MAX_COMPRESSED} bytes"
                )),
            });
        }
        [Part::Compressed(algo, inner)] => (read_packets(inner, true)?, Some(*algo)),
        _ => (top, None),
    };
    judge_layout(parts, compression)
}

/// The message's packets in order, each checked for its kind as it is met. `inside` is true for
/// the bytes of compressed data, where compressed data is refused.
fn read_packets(bytes: &[u8], inside: bool) -> Result<Vec<Part>, MessageError> {
    let mut ppr = PacketParserBuilder::from_bytes(bytes)
        .and_then(|b| {
            // Never recurse: compressed data is read as bytes, under the budget, and parsed
            // again as a level of its own.
            b.dearmor(openpgp::parse::Dearmor::Disabled)
                .max_recursion_depth(0)
                .max_packet_size(MAX_PACKET)
                .build()
        })
        .map_err(|e| classify(&e))?;
    let mut parts = Vec::new();
    while let PacketParserResult::Some(mut pp) = ppr {
        if parts.len() == MAX_PACKETS {
            return Err(MessageError::NotSignedMessage(format!(
                "more than {MAX_PACKETS} packets"
            )));
        }
        if matches!(parts.first(), Some(Part::Compressed(..))) {
            return Err(MessageError::NotSignedMessage(format!(
                "a {} packet after the compressed data: it must hold the whole message",
                pp.packet.tag()
            )));
        }
        match &pp.packet {
            Packet::CompressedData(c) => {
                if inside {
                    return Err(MessageError::NestedCompression);
                }
                if !parts.is_empty() {
                    // GPGME finds no signature when compression holds only part of the message.
                    return Err(MessageError::NotSignedMessage(format!(
                        "compressed data after {}: it must hold the whole message",
                        kinds(&parts)
                    )));
                }
                let algo = c.algo();
                if !matches!(
                    algo,
                    CompressionAlgorithm::Uncompressed
                        | CompressionAlgorithm::Zip
                        | CompressionAlgorithm::Zlib
                        | CompressionAlgorithm::BZip2
                ) {
                    return Err(MessageError::Malformed(format!(
                        "unsupported compression algorithm {algo}"
                    )));
                }
                // What goes in: the declared length, or (for partial and indeterminate
                // lengths, as gpg writes) the rest of the file.
                let input = match pp.header().length() {
                    BodyLength::Full(n) => *n as usize,
                    _ => bytes.len(),
                };
                // Old-format, indeterminate length (as gpg writes it): the packet runs to the
                // end of the file, so nothing can follow it.
                let to_the_end = matches!(pp.header().length(), BodyLength::Indeterminate);
                if input > MAX_COMPRESSED {
                    return Err(MessageError::CompressedTooLarge(format!(
                        "{input} bytes of compressed data"
                    )));
                }
                // Reading the packet reads its decompressed stream: one byte past the budget
                // tells a stream that goes on from one that ends there, and nothing past it is
                // decompressed (moving on to the next packet would decompress the rest).
                let inner = read_decompressed(&mut pp)?;
                let over = inner.len() > MAX_COMPRESSED;
                parts.push(Part::Compressed(algo, inner));
                // Moving on would find the end of the file, after sequoia's reader stack drained
                // the decompressor already read to its end: four more zeroed buffers of 32 KiB
                // each, about 15% of a gpg-made tree's gate in instructions (scripts/profile.sh).
                if over || to_the_end {
                    return Ok(parts);
                }
            }
            Packet::OnePassSig(ops) => parts.push(Part::OnePass(ops.clone())),
            Packet::Literal(_) => {
                let mut body = Vec::new();
                (&mut pp)
                    .take(MAX_PAYLOAD as u64 + 1)
                    .read_to_end(&mut body)
                    .map_err(|e| read_error(&e))?;
                if body.len() > MAX_PAYLOAD {
                    return Err(MessageError::PayloadTooLarge);
                }
                parts.push(Part::Literal(body));
            }
            Packet::Signature(_) => {}
            Packet::Unknown(u) => {
                let e = u.error();
                return Err(if is_truncation(e) {
                    MessageError::Truncated(error_line(e))
                } else {
                    MessageError::Malformed(format!("{} packet: {}", u.tag(), error_line(e)))
                });
            }
            other => {
                return Err(MessageError::NotSignedMessage(format!(
                    "unexpected {} packet",
                    other.tag()
                )));
            }
        }
        let (packet, next) = pp.next().map_err(|e| classify(&e))?;
        if let Packet::Signature(sig) = packet {
            parts.push(Part::Signature(sig));
        }
        ppr = next;
    }
    Ok(parts)
}

/// The decompressed bytes of the compressed data packet `pp` is at, at most `MAX_COMPRESSED + 1`
/// of them. Read from sequoia's buffer rather than through `io::Read`: its decompressor allocates
/// a fresh zeroed buffer of 32 KiB and more for every read asking more than it holds, as
/// large as the ask, and `read_to_end` asks for its whole spare capacity each time (six or seven
/// such reads for a payload of a few hundred bytes: a quarter of a gpg-made tree's gate in
/// instructions, measured with scripts/profile.sh). Small asks cost two refills.
fn read_decompressed(pp: &mut openpgp::parse::PacketParser) -> Result<Vec<u8>, MessageError> {
    use openpgp::parse::buffered_reader::BufferedReader;
    // What is asked sizes the buffer each refill allocates: a small ask, refilled as needed.
    const ASK: usize = 4096;
    let mut inner = Vec::new();
    while inner.len() <= MAX_COMPRESSED {
        let ask = (MAX_COMPRESSED + 1 - inner.len()).min(ASK);
        // Consumes at most `ask` bytes, though it may show more of what is buffered.
        let chunk = pp.data_consume(ask).map_err(|e| read_error(&e))?;
        if chunk.is_empty() {
            break;
        }
        inner.extend_from_slice(&chunk[..chunk.len().min(ask)]);
    }
    Ok(inner)
}

/// Judges the packets of one level (the file's, or the compressed data's): exactly One-Pass
/// Signature, Literal Data, Signature, the one-pass agreeing with the signature.
fn judge_layout(
    parts: Vec<Part>,
    compression: Option<CompressionAlgorithm>,
) -> Result<SignedMessage, MessageError> {
    let literals = parts
        .iter()
        .filter(|p| matches!(p, Part::Literal(_)))
        .count();
    let signatures = parts
        .iter()
        .filter(|p| matches!(p, Part::Signature(_)))
        .count();
    let one_pass = parts.iter().any(|p| matches!(p, Part::OnePass(_)));
    match (literals, signatures) {
        (0, 0) => {
            return Err(MessageError::NotSignedMessage(
                "no data and no signature".into(),
            ))
        }
        (0, _) => return Err(MessageError::Detached),
        (_, 0) if one_pass => {
            return Err(MessageError::Truncated(
                "a one-pass signature and data, but the signature packet is missing".into(),
            ))
        }
        (_, 0) => return Err(MessageError::NoSignature),
        (_, n) if n > 1 => return Err(MessageError::MultipleSignatures(n)),
        _ => {}
    }
    let text = kinds(&parts);
    let [Part::OnePass(ops), Part::Literal(payload), Part::Signature(signature)] =
        <[Part; 3]>::try_from(parts)
            .map_err(|_| MessageError::NotSignedMessage(format!("packets are {text}")))?
    else {
        return Err(MessageError::NotSignedMessage(format!(
            "packets are {text}"
        )));
    };
    one_pass_agrees(&ops, &signature)?;
    Ok(SignedMessage {
        payload,
        signature,
        compression,
    })
}

/// The One-Pass Signature announces what the signature will be, and gpg hashes the data as it
/// announces: a different hash is a "digest conflict" GPGME refuses. The other fields gpg
/// ignores today are held to the same rule, so the header never says one thing and the
/// signature another.
fn one_pass_agrees(ops: &OnePassSig, sig: &Signature) -> Result<(), MessageError> {
    let mismatch = |what: String| Err(MessageError::OnePassMismatch(what));
    if ops.hash_algo() != sig.hash_algo() {
        return mismatch(format!(
            "the one-pass announces {}, the signature uses {}",
            ops.hash_algo(),
            sig.hash_algo()
        ));
    }
    if ops.typ() != sig.typ() {
        return mismatch(format!(
            "the one-pass announces a {} signature, the signature is {}",
            ops.typ(),
            sig.typ()
        ));
    }
    if ops.pk_algo() != sig.pk_algo() {
        return mismatch(format!(
            "the one-pass announces {}, the signature is {}",
            ops.pk_algo(),
            sig.pk_algo()
        ));
    }
    let issuers = sig.get_issuers();
    let announced = ops.issuer();
    if !issuers.is_empty() && !issuers.iter().any(|i| i.aliases(&announced)) {
        return mismatch(format!(
            "the one-pass announces key {}, the signature names {}",
            announced.to_hex(),
            issuers
                .iter()
                .map(|i| i.to_hex())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !ops.last() {
        return mismatch(
            "the one-pass is not marked last, so another signature should follow".into(),
        );
    }
    Ok(())
}

fn kinds(parts: &[Part]) -> String {
    parts.iter().map(Part::kind).collect::<Vec<_>>().join(", ")
}

fn read_error(e: &std::io::Error) -> MessageError {
    let text = crate::text::one_line(&e.to_string());
    if e.kind() == std::io::ErrorKind::UnexpectedEof || text.to_lowercase().contains("eof") {
        MessageError::Truncated(text)
    } else {
        MessageError::Malformed(text)
    }
}

fn is_truncation(e: &anyhow::Error) -> bool {
    let text = crate::text::error_chain(e).to_lowercase();
    text.contains("eof") || text.contains("truncated") || text.contains("unexpected end")
}

fn classify(e: &anyhow::Error) -> MessageError {
    if is_truncation(e) {
        MessageError::Truncated(error_line(e))
    } else {
        MessageError::Malformed(error_line(e))
    }
}
