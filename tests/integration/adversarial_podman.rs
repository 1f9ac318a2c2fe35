//! Agreement with podman (containers/image with GPGME, as skopeo 1.9.3 runs it): quorate never
//! counts a file podman refuses, accepts inside `optional` exactly what containers/image accepts,
//! and no crafted file under 4 MiB makes it decompress more than a small bounded amount, whatever
//! packets the stream holds.
//!
//! One table of files (payloads and OpenPGP layouts) with the verdict skopeo gave for each is
//! checked twice: against quorate alone (always), and file by file against skopeo itself (interop,
//! skipped loudly when skopeo or gpg is missing unless QUORATE_REQUIRE_INTEROP is set).

use std::io::Write;

use sequoia_openpgp as openpgp;

use openpgp::packet::{OnePassSig, Packet};
use openpgp::parse::Parse;
use openpgp::serialize::Serialize;
use openpgp::types::{HashAlgorithm, PublicKeyAlgorithm, SignatureType};
use openpgp::KeyID;

use crate::common::*;

/// The manifest interop.rs signs; its sha256 is HEX_B.
const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;

/// The payload with `optional` replaced by the given bytes (which need not be UTF-8).
fn payload_with(optional: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(payload(REF, HEX_B)).unwrap();
    let (head, _) = text.rsplit_once(r#""optional":{}"#).unwrap();
    let mut out = format!(r#"{head}"optional":"#).into_bytes();
    out.extend_from_slice(optional);
    out.push(b'}');
    out
}

/// A packet with a new-format header and a definite length.
fn frame(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0xC0 | tag];
    match body.len() {
        n if n < 192 => out.push(n as u8),
        n if n < 8384 => {
            let n = n - 192;
            out.extend_from_slice(&[(n >> 8) as u8 + 192, n as u8]);
        }
        n => {
            out.push(0xFF);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
    }
    out.extend_from_slice(body);
    out
}

/// A Compressed Data packet whose decompressed stream is whatever `write` writes: algorithm 0
/// (stored), 1 (ZIP, raw deflate), 2 (ZLIB) or 3 (BZip2), as RFC 4880 numbers them.
fn compressed_with(algo: u8, write: impl FnOnce(&mut dyn Write)) -> Vec<u8> {
    let mut body = vec![algo];
    match algo {
        0 => write(&mut body),
        1 => {
            let mut e = flate2::write::DeflateEncoder::new(&mut body, flate2::Compression::best());
            write(&mut e);
            e.finish().unwrap();
        }
        2 => {
            let mut e = flate2::write::ZlibEncoder::new(&mut body, flate2::Compression::best());
            write(&mut e);
            e.finish().unwrap();
        }
        3 => {
            let mut e = bzip2::write::BzEncoder::new(&mut body, bzip2::Compression::best());
            write(&mut e);
            e.finish().unwrap();
        }
        _ => unreachable!(),
    }
    frame(8, &body)
}

fn compressed(algo: u8, inner: &[u8]) -> Vec<u8> {
    compressed_with(algo, |w| w.write_all(inner).unwrap())
}

/// 2^1024 - 2^970: halfway between the largest float64 and the next power of two, so it rounds
/// (to even) past the largest float64.
const HALFWAY_PAST_MAX: &str = "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";

/// The body of a packet `frame` made.
fn split_header(packet: &[u8]) -> Vec<u8> {
    match packet[1] {
        0..=191 => packet[2..].to_vec(),
        192..=223 => packet[3..].to_vec(),
        _ => packet[6..].to_vec(),
    }
}

/// The packets of an uncompressed message, each serialized alone.
fn split(message: &[u8]) -> Vec<Vec<u8>> {
    openpgp::PacketPile::from_bytes(message)
        .unwrap()
        .into_children()
        .map(|p| serialize(&p))
        .collect()
}

fn serialize(packet: &Packet) -> Vec<u8> {
    let mut out = Vec::new();
    packet.serialize(&mut out).unwrap();
    out
}

/// The message with its One-Pass Signature packet changed by `f`.
fn one_pass(
    message: &[u8],
    f: impl FnOnce(&mut openpgp::packet::one_pass_sig::OnePassSig3),
) -> Vec<u8> {
    let mut packets: Vec<Packet> = openpgp::PacketPile::from_bytes(message)
        .unwrap()
        .into_children()
        .collect();
    let Packet::OnePassSig(OnePassSig::V3(ops)) = &mut packets[0] else {
        panic!("the first packet is a v3 one-pass signature");
    };
    f(ops);
    packets.iter().flat_map(serialize).collect()
}

/// `count` Padding packets (tag 21) of 1 MiB of zeros each, streamed: the largest body sequoia
/// reads for a padding packet, and one after another they add up to any size.
fn write_padding(w: &mut dyn Write, count: usize) {
    let body = vec![0u8; 1 << 20];
    for _ in 0..count {
        w.write_all(&[0xC0 | 21, 0xFF]).unwrap();
        w.write_all(&(body.len() as u32).to_be_bytes()).unwrap();
        w.write_all(&body).unwrap();
    }
}

/// quorate's verdict on `bytes` as the only signature of the image: whether it counts, and the
/// codes of its problems. A panic or an exit other than 0 and 1 fails the test.
fn quorate_verdict(ws: &Ws, bytes: &[u8]) -> (bool, Vec<String>) {
    let dir = ws.image_dir("pallet-rust", HEX_B);
    let _ = std::fs::remove_dir_all(&dir);
    ws.put("pallet-rust", HEX_B, 1, bytes);
    let run = ws.run(&["verify", "--json", &reference(HEX_B)]);
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    assert!(!run.stderr.contains("panicked"), "{run:?}");
    let report: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    (report["files"][0]["counts"] == true, codes(&report, 1))
}

/// What skopeo says, and what quorate must say.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// skopeo accepts it; quorate counts it.
    Counts,
    /// skopeo refuses it; quorate refuses it with this code.
    Refused(&'static str),
    /// skopeo (gpg) accepts it, but quorate refuses it with this code, by design: a layout no
    /// signer writes, refused so that every file costs a bounded parse (see message.rs).
    Stricter(&'static str),
}

struct Row {
    name: String,
    bytes: Vec<u8>,
    expect: Expect,
}

/// The table: each file and the verdict `skopeo standalone-verify` gave for it.
fn table(key: &TestKey) -> Vec<Row> {
    use Expect::*;
    let mut rows = Vec::new();
    let signed = |payload: &[u8]| sign(key.primary_pair(), payload);

    // --- payloads: what containers/image reads in `optional` (and around it) ---
    let optional: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("optional {}", b"{}".to_vec(), Counts),
        (
            "skopeo's own optional",
            br#"{"creator":"atomic 5.23.1","timestamp":1795310654}"#.to_vec(),
            Counts,
        ),
        ("timestamp 1.0", br#"{"timestamp":1.0}"#.to_vec(), Counts),
        ("timestamp 17e8", br#"{"timestamp":17e8}"#.to_vec(), Counts),
        ("timestamp 1E+3", br#"{"timestamp":1E+3}"#.to_vec(), Counts),
        (
            "timestamp 0.1e1",
            br#"{"timestamp":0.1e1}"#.to_vec(),
            Counts,
        ),
        ("timestamp -0", br#"{"timestamp":-0}"#.to_vec(), Counts),
        (
            "timestamp -0.0e5",
            br#"{"timestamp":-0.0e5}"#.to_vec(),
            Counts,
        ),
        ("timestamp -1", br#"{"timestamp":-1}"#.to_vec(), Counts),
        ("timestamp null", br#"{"timestamp":null}"#.to_vec(), Counts),
        (
            "timestamp 1e-400 (underflows to 0)",
            br#"{"timestamp":1e-400}"#.to_vec(),
            Counts,
        ),
        (
            "timestamp 2^53+1",
            br#"{"timestamp":9007199254740993}"#.to_vec(),
            Counts,
        ),
        (
            "timestamp 9223372036854775295 (rounds below 2^63)",
            br#"{"timestamp":9223372036854775295}"#.to_vec(),
            Counts,
        ),
        (
            "timestamp -2^63",
            br#"{"timestamp":-9223372036854775808}"#.to_vec(),
            Counts,
        ),
        (
            "timestamp -2^63-1 (rounds to -2^63)",
            br#"{"timestamp":-9223372036854775809}"#.to_vec(),
            Counts,
        ),
        (
            "timestamp 2^63-1 (rounds to 2^63)",
            br#"{"timestamp":9223372036854775807}"#.to_vec(),
            Refused("payload-schema"),
        ),
        (
            "timestamp 9223372036854775296",
            br#"{"timestamp":9223372036854775296}"#.to_vec(),
            Refused("payload-schema"),
        ),
        (
            "timestamp -9223372036854776833",
            br#"{"timestamp":-9223372036854776833}"#.to_vec(),
            Refused("payload-schema"),
        ),
        (
            "timestamp -1e19",
            br#"{"timestamp":-1e19}"#.to_vec(),
            Refused("payload-schema"),
        ),
        (
            "timestamp 1e400",
            br#"{"timestamp":1e400}"#.to_vec(),
            Refused("payload-schema"),
        ),
        (
            "timestamp 1.5",
            br#"{"timestamp":1.5}"#.to_vec(),
            Refused("payload-schema"),
        ),
        (
            "timestamp 5e-324",
            br#"{"timestamp":5e-324}"#.to_vec(),
            Refused("payload-schema"),
        ),
        (
            "timestamp \"1\"",
            br#"{"timestamp":"1"}"#.to_vec(),
            Refused("payload-schema"),
        ),
        (
            "timestamp true",
            br#"{"timestamp":true}"#.to_vec(),
            Refused("payload-schema"),
        ),
        (
            "timestamp {}",
            br#"{"timestamp":{}}"#.to_vec(),
            Refused("payload-schema"),
        ),
        (
            "timestamp 01",
            br#"{"timestamp":01}"#.to_vec(),
            Refused("payload-not-json"),
        ),
        ("creator null", br#"{"creator":null}"#.to_vec(), Counts),
        (
            "creator 1",
            br#"{"creator":1}"#.to_vec(),
            Refused("payload-schema"),
        ),
        (
            "creator \\u00ff",
            br#"{"creator":"\u00ff"}"#.to_vec(),
            Counts,
        ),
        (
            "creator with invalid UTF-8",
            b"{\"creator\":\"a\xffb\"}".to_vec(),
            Counts,
        ),
        (
            "ignored string with invalid UTF-8",
            b"{\"x\":\"\xff\xfe\"}".to_vec(),
            Counts,
        ),
        (
            "ignored key with invalid UTF-8",
            b"{\"\xff\":1}".to_vec(),
            Counts,
        ),
        (
            "keys \\xff and \\xfe (both U+FFFD once decoded)",
            b"{\"\xff\":1,\"\xfe\":2}".to_vec(),
            Refused("payload-duplicate-key"),
        ),
        (
            "ignored lone surrogate",
            br#"{"x":"\ud800"}"#.to_vec(),
            Counts,
        ),
        (
            "ignored lone surrogate key",
            br#"{"\ud800":1}"#.to_vec(),
            Counts,
        ),
        (
            "duplicate keys inside an ignored member",
            br#"{"x":{"a":1,"a":2}}"#.to_vec(),
            Counts,
        ),
        (
            "duplicate ignored members",
            br#"{"x":1,"x":2}"#.to_vec(),
            Refused("payload-duplicate-key"),
        ),
        (
            "creator twice, once escaped",
            br#"{"creator":"a","\u0063reator":"b"}"#.to_vec(),
            Refused("payload-duplicate-key"),
        ),
        (
            "timestamp under an escaped key",
            br#"{"\u0074imestamp":1.5}"#.to_vec(),
            Refused("payload-schema"),
        ),
        (
            "ignored integer beyond int64",
            br#"{"x":123456789012345678901234567890}"#.to_vec(),
            Counts,
        ),
        (
            "ignored 1e400",
            br#"{"x":1e400}"#.to_vec(),
            Refused("payload-schema"),
        ),
        (
            "ignored [1e400]",
            br#"{"x":[1e400]}"#.to_vec(),
            Refused("payload-schema"),
        ),
        (
            "ignored string with a control character",
            b"{\"x\":\"a\x01b\"}".to_vec(),
            Refused("payload-not-json"),
        ),
        // Go's decoder nests at most 10000 deep; the payload object and optional are two levels.
        (
            "nesting 10000 deep",
            [&b"{\"x\":"[..], &[b'['; 9998], &[b']'; 9998], b"}"].concat(),
            Counts,
        ),
        (
            "nesting 10001 deep",
            [&b"{\"x\":"[..], &[b'['; 9999], &[b']'; 9999], b"}"].concat(),
            Refused("payload-not-json"),
        ),
        ("optional null", b"null".to_vec(), Refused("payload-schema")),
        // The largest float64, and the first decimal that rounds past it (Go: out of range).
        (
            "ignored 1.7976931348623157e308",
            br#"{"x":1.7976931348623157e308}"#.to_vec(),
            Counts,
        ),
        (
            "ignored 2^1024 - 2^970 (halfway past the largest float64)",
            format!(r#"{{"x":{}}}"#, HALFWAY_PAST_MAX).into_bytes(),
            Refused("payload-schema"),
        ),
        (
            "ignored 2^1024 - 2^970 - 1",
            format!(
                r#"{{"x":{}1}}"#,
                &HALFWAY_PAST_MAX[..HALFWAY_PAST_MAX.len() - 1]
            )
            .into_bytes(),
            Counts,
        ),
    ];
    for (name, optional, expect) in optional {
        rows.push(Row {
            name: name.to_string(),
            bytes: signed(&payload_with(&optional)),
            expect,
        });
    }
    let good = payload(REF, HEX_B);
    let text = String::from_utf8(good.clone()).unwrap();
    let around: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("leading white space", [&b" \n"[..], &good].concat(), Counts),
        (
            "trailing white space",
            [&good[..], b" \n\t\r"].concat(),
            Counts,
        ),
        (
            "byte order mark",
            [&b"\xef\xbb\xbf"[..], &good].concat(),
            Refused("payload-not-json"),
        ),
        (
            "trailing NUL",
            [&good[..], b"\x00"].concat(),
            Refused("payload-not-json"),
        ),
        (
            "invalid UTF-8 after the object",
            payload_with(b"{\"x\":1}\xff"),
            Refused("payload-not-json"),
        ),
        (
            "invalid UTF-8 in critical.type",
            {
                let (head, tail) = text.split_once("atomic container").unwrap();
                [head.as_bytes(), b"atomic\xffcontainer", tail.as_bytes()].concat()
            },
            Refused("payload-wrong-type"),
        ),
        (
            "escaped key in critical",
            text.replace(r#""type":"#, r#""\u0074ype":"#).into_bytes(),
            Counts,
        ),
        (
            "critical.type null (Go reads it as empty)",
            text.replace(r#""atomic container signature""#, "null")
                .into_bytes(),
            Refused("payload-wrong-type"),
        ),
        (
            "critical null",
            text.replace(r#""critical":{"#, r#""critical":null,"x":{"#)
                .into_bytes(),
            Refused("payload-schema"),
        ),
        (
            "escaped slashes in the reference",
            text.replace("stagex/pallet-rust", r"stagex\/pallet-rust")
                .into_bytes(),
            Counts,
        ),
        (
            "duplicate key in critical",
            text.replace(r#""type":"#, r#""type":"x","type":"#)
                .into_bytes(),
            Refused("payload-duplicate-key"),
        ),
    ];
    for (name, payload, expect) in around {
        rows.push(Row {
            name: name.to_string(),
            bytes: signed(&payload),
            expect,
        });
    }

    // --- OpenPGP layouts ---
    let message = signed(&good);
    let p = split(&message);
    let (ops, lit, sig) = (&p[0], &p[1], &p[2]);
    let cat = |parts: &[&[u8]]| parts.concat();
    let marker = frame(10, b"PGP");
    let padding = frame(21, &[0; 16]);
    let private = frame(60, b"hello");
    let reserved = frame(40, b"xx");
    let literal_format = |format: u8| {
        let Packet::Literal(mut l) = Packet::from_bytes(lit).unwrap() else {
            unreachable!()
        };
        l.set_format(format.into());
        serialize(&Packet::Literal(l))
    };
    let layouts: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("one-pass, literal, signature", message.clone(), Counts),
        (
            "ZIP(one-pass, literal, signature)",
            compressed(1, &message),
            Counts,
        ),
        (
            "ZLIB(one-pass, literal, signature)",
            compressed(2, &message),
            Counts,
        ),
        (
            "BZip2(one-pass, literal, signature)",
            compressed(3, &message),
            Counts,
        ),
        (
            "stored(one-pass, literal, signature)",
            compressed(0, &message),
            Counts,
        ),
        (
            "literal format t",
            cat(&[ops, &literal_format(b't'), sig]),
            Counts,
        ),
        (
            "literal format u",
            cat(&[ops, &literal_format(b'u'), sig]),
            Counts,
        ),
        (
            "ZIP with bytes after the end of the deflate stream",
            {
                let packet = compressed(1, &message);
                let body = [&split_header(&packet)[..], b"junk after the stream"].concat();
                frame(8, &body)
            },
            Counts,
        ),
        (
            "one-pass hash SHA-512, signature SHA-256",
            one_pass(&message, |o| {
                o.set_hash_algo(HashAlgorithm::SHA512);
            }),
            Refused("one-pass-mismatch"),
        ),
        (
            "one-pass hash SHA-384, signature SHA-256",
            one_pass(&message, |o| {
                o.set_hash_algo(HashAlgorithm::SHA384);
            }),
            Refused("one-pass-mismatch"),
        ),
        (
            "one-pass hash SHA-1, signature SHA-256",
            one_pass(&message, |o| {
                o.set_hash_algo(HashAlgorithm::SHA1);
            }),
            Refused("one-pass-mismatch"),
        ),
        (
            "one-pass names RSA, signature EdDSA",
            one_pass(&message, |o| {
                o.set_pk_algo(PublicKeyAlgorithm::RSAEncryptSign);
            }),
            Stricter("one-pass-mismatch"),
        ),
        (
            "one-pass names another key",
            one_pass(&message, |o| {
                o.set_issuer(KeyID::from_bytes(&[1; 8]));
            }),
            Stricter("one-pass-mismatch"),
        ),
        (
            "one-pass says text, signature binary",
            one_pass(&message, |o| {
                o.set_type(SignatureType::Text);
            }),
            Stricter("one-pass-mismatch"),
        ),
        (
            "one-pass not marked last",
            one_pass(&message, |o| {
                o.set_last(false);
            }),
            Stricter("one-pass-mismatch"),
        ),
        (
            "one-pass, ZIP(literal), signature",
            cat(&[ops, &compressed(1, lit), sig]),
            Refused("not-a-signed-message"),
        ),
        (
            "one-pass, ZIP(literal, signature)",
            cat(&[ops, &compressed(1, &cat(&[lit, sig]))]),
            Refused("not-a-signed-message"),
        ),
        (
            "ZIP(one-pass, literal), signature",
            cat(&[&compressed(1, &cat(&[ops, lit])), sig]),
            Refused("not-a-signed-message"),
        ),
        (
            "ZIP() then the message",
            cat(&[&compressed(1, b""), &message]),
            Refused("not-a-signed-message"),
        ),
        (
            "the message then ZIP()",
            cat(&[&message, &compressed(1, b"")]),
            Refused("not-a-signed-message"),
        ),
        (
            "a NUL byte after the message",
            cat(&[&message, b"\x00"]),
            Refused("malformed-message"),
        ),
        (
            "two literals",
            cat(&[ops, lit, lit, sig]),
            Refused("not-a-signed-message"),
        ),
        (
            "two one-pass signatures",
            cat(&[ops, ops, lit, sig]),
            Refused("not-a-signed-message"),
        ),
        (
            "two signatures",
            cat(&[ops, lit, sig, sig]),
            Refused("multiple-signatures"),
        ),
        (
            "ZIP(ZIP(one-pass, literal, signature))",
            compressed(1, &compressed(1, &message)),
            Stricter("nested-compression"),
        ),
        (
            "signature, literal (no one-pass)",
            cat(&[sig, lit]),
            Stricter("not-a-signed-message"),
        ),
        (
            "marker after the one-pass",
            cat(&[ops, &marker, lit, sig]),
            Stricter("not-a-signed-message"),
        ),
        (
            "marker after the signature",
            cat(&[&message, &marker]),
            Stricter("not-a-signed-message"),
        ),
        (
            "padding before the signature",
            cat(&[ops, lit, &padding, sig]),
            Stricter("not-a-signed-message"),
        ),
        (
            "padding after the signature",
            cat(&[&message, &padding]),
            Stricter("not-a-signed-message"),
        ),
        (
            "private tag 60 after the signature",
            cat(&[&message, &private]),
            Stricter("malformed-message"),
        ),
        (
            "reserved tag 40 after the signature",
            cat(&[&message, &reserved]),
            Stricter("malformed-message"),
        ),
        (
            "ZIP(marker, one-pass, literal, signature)",
            compressed(1, &cat(&[&marker, &message])),
            Stricter("not-a-signed-message"),
        ),
        (
            "ZIP(padding, one-pass, literal, signature)",
            compressed(1, &cat(&[&padding, &message])),
            Stricter("not-a-signed-message"),
        ),
        (
            "ZIP(one-pass, literal, signature, padding)",
            compressed(1, &cat(&[&message, &padding])),
            Stricter("not-a-signed-message"),
        ),
        (
            "ZIP(one-pass, literal, signature, private tag 60)",
            compressed(1, &cat(&[&message, &private])),
            Stricter("malformed-message"),
        ),
        (
            "ZIP(one-pass, literal, signature), marker",
            cat(&[&compressed(1, &message), &marker]),
            Stricter("not-a-signed-message"),
        ),
    ];
    for (name, bytes, expect) in layouts {
        rows.push(Row {
            name: name.to_string(),
            bytes,
            expect,
        });
    }
    rows
}

fn setup() -> (Ws, TestKey) {
    assert_eq!(hex_sha256(MANIFEST.as_bytes()), HEX_B);
    let alice = TestKey::new("alice");
    let ws = Ws::new(&[("alice", &[&alice])]);
    (ws, alice)
}

/// Every row of the table, judged by quorate alone: what skopeo refuses never counts, what it
/// accepts counts (but for the layouts quorate refuses by design), each refusal with its code.
#[test]
fn quorate_agrees_with_skopeos_recorded_verdicts() {
    let (ws, alice) = setup();
    let mut wrong = Vec::new();
    for row in table(&alice) {
        let (counts, codes) = quorate_verdict(&ws, &row.bytes);
        let right = match row.expect {
            Expect::Counts => counts,
            Expect::Refused(code) | Expect::Stricter(code) => {
                !counts && codes.first().map(String::as_str) == Some(code)
            }
        };
        if !right {
            wrong.push(format!(
                "{}: expected {:?}, got {codes:?}",
                row.name, row.expect
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// The same table, file by file through `skopeo standalone-verify` and quorate: the same
/// accept or refuse for every file, but for the layouts quorate refuses by design.
#[test]
fn skopeo_and_quorate_agree_file_by_file() {
    if !have("gpg") || !have("skopeo") {
        return;
    }
    let (ws, alice) = setup();
    let gnupg = Gnupg::new();
    let public = ws.path().join("alice.pub");
    std::fs::write(&public, alice.public()).unwrap();
    gnupg.gpg(&["--import", public.to_str().unwrap()]);
    let manifest = ws.path().join("manifest.json");
    std::fs::write(&manifest, MANIFEST).unwrap();
    let file = ws.path().join("candidate.sig");
    let mut wrong = Vec::new();
    for row in table(&alice) {
        std::fs::write(&file, &row.bytes).unwrap();
        let out = gnupg
            .cmd("skopeo")
            .args([
                "standalone-verify",
                manifest.to_str().unwrap(),
                REF,
                &alice.fingerprint(),
                file.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let skopeo = out.status.success();
        let (quorate, _) = quorate_verdict(&ws, &row.bytes);
        let expected = match row.expect {
            Expect::Counts => (true, true),
            Expect::Refused(_) => (false, false),
            Expect::Stricter(_) => (true, false),
        };
        if (skopeo, quorate) != expected {
            wrong.push(format!(
                "{}: skopeo {}, quorate {}; expected {:?} ({})",
                row.name,
                if skopeo { "accepts" } else { "refuses" },
                if quorate { "counts it" } else { "refuses" },
                row.expect,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// A file under the 4 MiB cap of compressed data holding a valid signed message and then
/// gigabytes of padding or junk: decompression stops at the budget (128 KiB out), whatever
/// packets the bytes past it would be, and the file never counts. Compressed data larger than
/// the budget is refused before any of it is decoded, so megabytes of empty deflate blocks cost
/// nothing either.
#[test]
fn decompression_is_bounded_whatever_the_packets() {
    let (ws, alice) = setup();
    let message = sign(alice.primary_pair(), &payload(REF, HEX_B));
    for algo in [1, 2, 3] {
        // The valid message, then 64 MiB of padding: skipped packet by packet, it used to count.
        let bomb = compressed_with(algo, |w| {
            w.write_all(&message).unwrap();
            write_padding(w, 64);
        });
        assert!(bomb.len() < 128 << 10, "{}", bomb.len());
        let (counts, codes) = quorate_verdict(&ws, &bomb);
        assert!(!counts, "algorithm {algo}: the padded bomb counts");
        assert_eq!(codes, ["compressed-too-large"], "algorithm {algo}");

        // The padding first, the message after it.
        let bomb = compressed_with(algo, |w| {
            write_padding(w, 64);
            w.write_all(&message).unwrap();
        });
        let (counts, codes) = quorate_verdict(&ws, &bomb);
        assert!(!counts, "algorithm {algo}: padding first");
        assert_eq!(codes, ["compressed-too-large"], "algorithm {algo}");

        // The valid message, then 64 MiB of zero bytes that are no packet at all.
        let bomb = compressed_with(algo, |w| {
            w.write_all(&message).unwrap();
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..64 {
                w.write_all(&zeros).unwrap();
            }
        });
        let (counts, codes) = quorate_verdict(&ws, &bomb);
        assert!(!counts, "algorithm {algo}: junk after the message");
        assert_eq!(codes, ["compressed-too-large"], "algorithm {algo}");
    }

    // Small padding packets after the message: refused for what they are, inside the budget.
    let bomb = compressed_with(2, |w| {
        w.write_all(&message).unwrap();
        for _ in 0..(1 << 14) {
            w.write_all(&frame(21, &[0; 4000])).unwrap();
        }
    });
    let (counts, codes) = quorate_verdict(&ws, &bomb);
    assert!(!counts);
    assert_eq!(codes, ["not-a-signed-message"]);

    // Just past the budget, in a second literal packet a payload could not be: the literal is
    // refused for its size as soon as it is seen, inside the budget.
    let long = frame(11, &[&b"b\0\0\0\0\0"[..], &vec![b' '; 300 << 10]].concat());
    let (counts, codes) = quorate_verdict(&ws, &compressed(2, &[&message, &long[..]].concat()));
    assert!(!counts);
    assert_eq!(codes, ["payload-too-large"]);

    // Compressed data larger than the budget is refused before it is decoded: stored junk,
    // and four megabytes of empty deflate blocks in front of the valid message (it used to
    // count, after seconds of decoding).
    let junk = vec![0u8; 200 << 10];
    let (counts, codes) = quorate_verdict(&ws, &compressed(0, &[&message, &junk[..]].concat()));
    assert!(!counts);
    assert_eq!(codes, ["compressed-too-large"]);
    let empty_blocks = frame(
        8,
        &[&[1u8][..], &deflate_empty_then(3 << 20, &message)].concat(),
    );
    assert!(empty_blocks.len() < 4 << 20);
    let (counts, codes) = quorate_verdict(&ws, &empty_blocks);
    assert!(!counts);
    assert_eq!(codes, ["compressed-too-large"]);
    // The same within the budget decodes, and counts (gpg makes no such file, but reads it).
    let (counts, codes) = quorate_verdict(
        &ws,
        &frame(
            8,
            &[&[1u8][..], &deflate_empty_then(100_000, &message)].concat(),
        ),
    );
    assert!(counts, "{codes:?}");

    // Within the budget, the same message counts whatever compression carries it.
    for algo in [0, 1, 2, 3] {
        let (counts, codes) = quorate_verdict(&ws, &compressed(algo, &message));
        assert!(counts, "algorithm {algo}: {codes:?}");
    }
}

/// A raw deflate stream: `count` empty fixed-Huffman blocks (ten bits each, no output), then
/// `data` in a final stored block.
fn deflate_empty_then(count: usize, data: &[u8]) -> Vec<u8> {
    let mut bits: Vec<u8> = Vec::with_capacity(count * 10 + 16);
    for _ in 0..count {
        // BFINAL 0, BTYPE 01 (fixed Huffman, least significant bit first), end-of-block (0000000).
        bits.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
    // BFINAL 1, BTYPE 00 (stored), then to the byte boundary.
    bits.extend_from_slice(&[1, 0, 0]);
    bits.resize(bits.len().div_ceil(8) * 8, 0);
    let mut out: Vec<u8> = bits
        .chunks(8)
        .map(|c| c.iter().rev().fold(0, |v, b| v << 1 | b))
        .collect();
    let len = data.len() as u16;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// Packets sequoia would skip silently (Marker, Padding) and unknown or private tags never
/// count, at top level or inside compression, and a file of thousands of small packets is
/// refused after a few: no walk over a crafted file is longer than a signed message.
#[test]
fn packets_podman_skips_are_refused_wherever_they_are() {
    let (ws, alice) = setup();
    let message = sign(alice.primary_pair(), &payload(REF, HEX_B));
    let p = split(&message);
    let marker = frame(10, b"PGP");
    let padding = frame(21, &[0; 16]);
    for (name, extra, code) in [
        ("marker", &marker, "not-a-signed-message"),
        ("padding", &padding, "not-a-signed-message"),
        ("private tag 61", &frame(61, b"x"), "malformed-message"),
    ] {
        for at in 0..=3 {
            let mut parts = p.clone();
            parts.insert(at, extra.clone());
            let flat = parts.concat();
            if at > 0 {
                // At the top level (a file cannot start with these: podman's first-byte check).
                let (counts, codes) = quorate_verdict(&ws, &flat);
                assert!(!counts, "{name} at {at}");
                assert_eq!(codes, [code], "{name} at {at}");
            }
            let (counts, codes) = quorate_verdict(&ws, &compressed(2, &flat));
            assert!(!counts, "compressed {name} at {at}");
            assert_eq!(codes, [code], "compressed {name} at {at}");
        }
    }
    // Four megabytes of padding packets after the message, and as many signatures: refused
    // after a handful of packets.
    let many_padding: Vec<u8> = [
        message.clone(),
        padding.repeat((4 << 20) / padding.len() - 64),
    ]
    .concat();
    assert!(many_padding.len() < 4 << 20);
    let (counts, codes) = quorate_verdict(&ws, &many_padding);
    assert!(!counts);
    assert_eq!(codes, ["not-a-signed-message"]);
    let many_signatures: Vec<u8> =
        [message.clone(), p[2].repeat((4 << 20) / p[2].len() - 64)].concat();
    let (counts, codes) = quorate_verdict(&ws, &many_signatures);
    assert!(!counts);
    assert_eq!(codes, ["not-a-signed-message"]);
}
