//! The benchmark's tree generator and its floor, run by scripts/bench.sh.
//!
//! `benchtree gen DIR N SEED`: a workspace of N signatures: N/2 digests (derived from SEED, so the
//! shape never changes) × 2 maintainers; of four maintainers two hold RSA-4096 keys and two Ed25519
//! keys (the keys are new each run), and each digest is signed by one of each kind.
//! `benchtree floor DIR THREADS`: the signature checks alone (parse each certificate once, check
//! every signature's cryptography against its issuer) on THREADS threads: the floor quorate's own
//! verification is measured against.
//! `benchtree rawfloor DIR THREADS`: the real floor: the same files' public-key checks alone,
//! through OpenSSL (hash the payload and the signature packet's trailer, verify against the
//! issuer's key), nothing else: the files are read, parsed and their keys built before the clock
//! starts. Prints the seconds on THREADS threads and the CPU microseconds a check, by algorithm.
//! `benchtree worst DIR`: the most expensive signature files under 4 MiB that could be built
//! (decompression bombs of terabytes, a stream of 100,000 tiny compressed blocks, millions of
//! empty deflate blocks, full subpacket areas, 4 MiB of padding), written as a workspace in DIR;
//! prints, for each, its size and the time one full verification takes in-process (the best of
//! five), then the worst first.

// A benchmark fixture generator, not quorate: it writes its tree with the standard library.
#![allow(clippy::disallowed_methods)]

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;
use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::parse::Parse;
use openpgp::serialize::Serialize;

// The tests' own keys: made, exported and used to sign the same way.
#[allow(dead_code)]
#[path = "../tests/integration/common/keys.rs"]
mod keys;

use keys::{hex_sha256, TestKey};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") if args.len() == 5 => {
            generate(Path::new(&args[2]), args[3].parse().unwrap(), &args[4])
        }
        Some("floor") if args.len() == 4 => floor(Path::new(&args[2]), args[3].parse().unwrap()),
        Some("rawfloor") if args.len() == 4 => {
            raw_floor(Path::new(&args[2]), args[3].parse().unwrap())
        }
        Some("worst") if args.len() == 3 => worst(Path::new(&args[2])),
        _ => {
            eprintln!(
                "usage: benchtree gen DIR N SEED | benchtree floor|rawfloor DIR THREADS | benchtree worst DIR"
            );
            std::process::exit(2);
        }
    }
}

fn generate(dir: &Path, signatures: usize, seed: &str) {
    let started = Instant::now();
    std::fs::create_dir_all(dir.join("keyring")).unwrap();
    std::fs::create_dir_all(dir.join("digests")).unwrap();
    let names = ["rsa1", "rsa2", "ed1", "ed2"];
    let keys: Vec<TestKey> = names
        .par_iter()
        .map(|n| {
            let suite = if n.starts_with("rsa") {
                CipherSuite::RSA4k
            } else {
                CipherSuite::Cv25519
            };
            TestKey::build(n, |b| b.set_cipher_suite(suite))
        })
        .collect();
    let mut maintainers = String::new();
    for (name, key) in names.iter().zip(&keys) {
        maintainers.push_str(&format!(
            "[people.{name}]\nname = \"{name}\"\n[keys.{name}.bench]\nid = \"{}\"\n",
            key.fingerprint()
        ));
        std::fs::write(dir.join(format!("keyring/{name}.asc")), key.public()).unwrap();
    }
    std::fs::write(dir.join("MAINTAINERS"), maintainers).unwrap();
    let digests = signatures / 2;
    let hexes: Vec<String> = (0..digests)
        .map(|i| hex_sha256(format!("{seed}/{i}").as_bytes()))
        .collect();
    let mut lines = String::new();
    for (i, hex) in hexes.iter().enumerate() {
        lines.push_str(&format!("{hex} user-pkg{i:06}\n"));
    }
    std::fs::write(dir.join("digests/user.txt"), lines).unwrap();
    let pairs: Vec<openpgp::crypto::KeyPair> = keys.iter().map(TestKey::primary_pair).collect();
    hexes.par_iter().enumerate().for_each(|(i, hex)| {
        let reference = quorate::format::reference::Reference::parse(&format!(
            "stagex/user-pkg{i:06}:bench@sha256:{hex}"
        ))
        .unwrap();
        let payload =
            quorate::format::payload::Payload::to_bytes(&reference, reference.digest().unwrap());
        let image = dir.join(format!("signatures/stagex/user-pkg{i:06}@sha256={hex}"));
        std::fs::create_dir_all(&image).unwrap();
        // Every digest: one RSA-4096 and one Ed25519 maintainer.
        for (n, signer) in [&pairs[i % 2], &pairs[2 + i % 2]].into_iter().enumerate() {
            let bytes = quorate::ops::sign::signed_message(signer.clone(), &payload).unwrap();
            std::fs::File::create(image.join(format!("signature-{}", n + 1)))
                .unwrap()
                .write_all(&bytes)
                .unwrap();
        }
    });
    eprintln!(
        "generated {signatures} signatures in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn floor(dir: &Path, threads: usize) {
    let started = Instant::now();
    let mut certs = Vec::new();
    for entry in std::fs::read_dir(dir.join("keyring")).unwrap() {
        certs.push(Cert::from_bytes(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap());
    }
    let mut files = Vec::new();
    for namespace in std::fs::read_dir(dir.join("signatures")).unwrap() {
        for image in std::fs::read_dir(namespace.unwrap().path()).unwrap() {
            for file in std::fs::read_dir(image.unwrap().path()).unwrap() {
                files.push(file.unwrap().path());
            }
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let verified: usize = pool.install(|| {
        files
            .par_iter()
            .map(|path| {
                let bytes = std::fs::read(path).unwrap();
                let message = quorate::format::message::read_signed_message(&bytes).unwrap();
                let issuer = message.signature.get_issuers()[0].clone();
                let cert = certs
                    .iter()
                    .find(|c| c.keys().any(|k| k.key().key_handle().aliases(&issuer)))
                    .unwrap();
                usize::from(
                    message
                        .signature
                        .verify_message(cert.primary_key().key(), &message.payload)
                        .is_ok(),
                )
            })
            .sum()
    });
    assert_eq!(verified, files.len());
    println!("{:.3}", started.elapsed().as_secs_f64());
}

/// One signature's public-key check, as OpenSSL takes it: what is hashed, with which digest,
/// against which key and signature bytes.
struct RawCheck {
    /// The payload, then the v4 signature's hashed trailer (RFC 4880 §5.2.4).
    signed: Vec<u8>,
    digest: openssl::hash::MessageDigest,
    key: openssl::pkey::PKey<openssl::pkey::Public>,
    signature: Vec<u8>,
    /// Ed25519 (legacy EdDSA) signs the digest; RSA signs with the digest (PKCS #1 v1.5).
    eddsa: bool,
}

impl RawCheck {
    fn verify(&self) -> bool {
        if self.eddsa {
            let digest = openssl::hash::hash(self.digest, &self.signed).unwrap();
            openssl::sign::Verifier::new_without_digest(&self.key)
                .unwrap()
                .verify_oneshot(&self.signature, &digest)
                .unwrap()
        } else {
            let mut verifier = openssl::sign::Verifier::new(self.digest, &self.key).unwrap();
            verifier.update(&self.signed).unwrap();
            verifier.verify(&self.signature).unwrap()
        }
    }
}

fn raw_check(certs: &[Cert], bytes: &[u8]) -> RawCheck {
    use openpgp::crypto::mpi;
    use openpgp::serialize::MarshalInto;
    use openpgp::types::{HashAlgorithm, SignatureType};
    use openssl::bn::BigNum;
    use openssl::hash::MessageDigest;
    use openssl::pkey::{Id, PKey};

    let message = quorate::format::message::read_signed_message(bytes).unwrap();
    let sig = &message.signature;
    assert_eq!(sig.version(), 4);
    assert_eq!(sig.typ(), SignatureType::Binary);
    let issuer = sig.get_issuers()[0].clone();
    let key = certs
        .iter()
        .flat_map(|c| c.keys())
        .find(|k| k.key().key_handle().aliases(&issuer))
        .unwrap()
        .key()
        .clone();
    let hashed = sig.hashed_area().to_vec().unwrap();
    let mut signed = message.payload.clone();
    signed.extend_from_slice(&[
        4,
        u8::from(sig.typ()),
        u8::from(sig.pk_algo()),
        u8::from(sig.hash_algo()),
    ]);
    signed.extend_from_slice(&(hashed.len() as u16).to_be_bytes());
    signed.extend_from_slice(&hashed);
    signed.extend_from_slice(&[4, 0xff]);
    signed.extend_from_slice(&(6 + hashed.len() as u32).to_be_bytes());
    let digest = match sig.hash_algo() {
        HashAlgorithm::SHA256 => MessageDigest::sha256(),
        HashAlgorithm::SHA384 => MessageDigest::sha384(),
        HashAlgorithm::SHA512 => MessageDigest::sha512(),
        other => panic!("no raw check for {other}"),
    };
    match (key.mpis(), sig.mpis()) {
        (mpi::PublicKey::RSA { e, n }, mpi::Signature::RSA { s }) => {
            let rsa = openssl::rsa::Rsa::from_public_components(
                BigNum::from_slice(n.value()).unwrap(),
                BigNum::from_slice(e.value()).unwrap(),
            )
            .unwrap();
            // OpenSSL wants the signature as long as the modulus.
            let mut signature = vec![0; n.value().len() - s.value().len()];
            signature.extend_from_slice(s.value());
            RawCheck {
                signed,
                digest,
                key: PKey::from_rsa(rsa).unwrap(),
                signature,
                eddsa: false,
            }
        }
        (mpi::PublicKey::EdDSA { q, .. }, mpi::Signature::EdDSA { r, s }) => {
            // q is 0x40 then the 32-byte point; r and s lose their leading zeros as MPIs.
            let point = &q.value()[1..];
            let mut signature = vec![0; 64];
            signature[32 - r.value().len()..32].copy_from_slice(r.value());
            signature[64 - s.value().len()..].copy_from_slice(s.value());
            RawCheck {
                signed,
                digest,
                key: PKey::public_key_from_raw_bytes(point, Id::ED25519).unwrap(),
                signature,
                eddsa: true,
            }
        }
        _ => panic!("no raw check for {}", sig.pk_algo()),
    }
}

fn raw_floor(dir: &Path, threads: usize) {
    let mut certs = Vec::new();
    for entry in std::fs::read_dir(dir.join("keyring")).unwrap() {
        certs.push(Cert::from_bytes(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap());
    }
    let mut checks = Vec::new();
    for namespace in std::fs::read_dir(dir.join("signatures")).unwrap() {
        for image in std::fs::read_dir(namespace.unwrap().path()).unwrap() {
            for file in std::fs::read_dir(image.unwrap().path()).unwrap() {
                checks.push(raw_check(
                    &certs,
                    &std::fs::read(file.unwrap().path()).unwrap(),
                ));
            }
        }
    }
    // CPU per check by algorithm, on one thread, before the parallel run.
    let mut per_algorithm = Vec::new();
    for eddsa in [false, true] {
        let some: Vec<&RawCheck> = checks.iter().filter(|c| c.eddsa == eddsa).collect();
        if some.is_empty() {
            continue;
        }
        let started = Instant::now();
        assert!(some.iter().all(|c| c.verify()));
        let each = started.elapsed().as_secs_f64() * 1e6 / some.len() as f64;
        let what = if eddsa { "ed25519" } else { "rsa" };
        per_algorithm.push(format!("{what} {each:.0} us x {}", some.len()));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let started = Instant::now();
    let verified = pool.install(|| checks.par_iter().filter(|c| c.verify()).count());
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(verified, checks.len());
    println!("{seconds:.3}\t{}", per_algorithm.join(", "));
}

/// A file must stay under podman's 4 MiB to be read at all.
const FILE_CAP: usize = 4 << 20;

fn worst(dir: &Path) {
    std::fs::create_dir_all(dir.join("keyring")).unwrap();
    let key = TestKey::new("ed1");
    std::fs::write(dir.join("keyring/ed1.asc"), key.public()).unwrap();
    let maintainers = format!(
        "[people.ed1]\nname = \"ed1\"\n[keys.ed1.bench]\nid = \"{}\"\n",
        key.fingerprint()
    );
    std::fs::write(dir.join("MAINTAINERS"), &maintainers).unwrap();
    let pair = key.primary_pair();
    let mut keyring = quorate::keys::keyring::Keyring::default();
    keyring.insert(key.cert.clone(), &dir.join("keyring/ed1.asc"));
    let maintainers = quorate::format::maintainers::Maintainers::parse(
        &dir.join("MAINTAINERS"),
        maintainers.as_bytes(),
    )
    .unwrap();

    let hex = hex_sha256(b"worst");
    let message = |name: &str| {
        let reference = quorate::format::reference::Reference::parse(&format!(
            "stagex/{name}:bench@sha256:{hex}"
        ))
        .unwrap();
        let payload =
            quorate::format::payload::Payload::to_bytes(&reference, reference.digest().unwrap());
        (
            reference,
            quorate::ops::sign::signed_message(pair.clone(), &payload).unwrap(),
        )
    };

    let mut cases: Vec<(String, String, Vec<u8>)> = Vec::new();
    let mut add = |name: String, what: String, build: &dyn Fn(&[u8]) -> Vec<u8>| {
        let (_, signed) = message(&name);
        let bytes = build(&signed);
        assert!(bytes.len() < FILE_CAP, "{name}: {}", bytes.len());
        cases.push((name, what, bytes));
    };
    add("valid".into(), "an ordinary valid signature".into(), &|m| {
        m.to_vec()
    });
    // The message, then padding packets of 1 MiB (the most sequoia reads of one), 32 to a
    // bzip2 block, the block repeated to fill the file: terabytes once decompressed.
    let padding: Vec<u8> = {
        let mut one = vec![0xC0 | 21, 0xFF];
        one.extend_from_slice(&(1u32 << 20).to_be_bytes());
        one.resize(6 + (1 << 20), 0);
        one.repeat(32)
    };
    let padding_block = bz2_block(&padding);
    let tiny = bz2_block(&[0]);
    // Each compressed family twice: filling the file, and within the 128 KiB quorate reads of
    // compressed data (the worst it decodes).
    for (limit, label, suffix) in [
        (FILE_CAP, "4 MiB", "4mib"),
        (
            quorate::format::message::MAX_COMPRESSED,
            "128 KiB",
            "128kib",
        ),
    ] {
        let room = (limit - 1024) * 8;
        let blocks = room / padding_block.0.len();
        add(
            format!("bzip2-padding-bomb-{suffix}"),
            format!(
                "{label} of BZip2: the message, then {} GB of padding ({blocks} identical blocks)",
                blocks as u64 * padding.len() as u64 / 1_000_000_000
            ),
            &|m| {
                let mut all = vec![bz2_block(m)];
                all.extend(std::iter::repeat_n(padding_block.clone(), blocks));
                frame(8, &[&[3u8][..], &bz2_stream(&all)].concat())
            },
        );
        // Blocks of one byte each: all the per-block work of bzip2 for the least output.
        let tiny_blocks = room / tiny.0.len();
        add(
            format!("bzip2-tiny-blocks-{suffix}"),
            format!("{label} of BZip2: {tiny_blocks} blocks of one byte"),
            &|_| {
                frame(
                    8,
                    &[&[3u8][..], &bz2_stream(&vec![tiny.clone(); tiny_blocks])].concat(),
                )
            },
        );
        // Empty fixed-Huffman deflate blocks (10 bits each, no output), then the message.
        let empty_blocks = room / 10;
        add(
            format!("deflate-empty-blocks-{suffix}"),
            format!("{label} of deflate: {empty_blocks} empty blocks, then the message"),
            &|m| {
                frame(
                    8,
                    &[&[1u8][..], &deflate_empty_then(empty_blocks, m)].concat(),
                )
            },
        );
    }
    // At the top level: a literal of nearly 4 MiB between the one-pass and the signature.
    add(
        "top-level-literal".into(),
        "one-pass, a literal of 4 MiB, signature".into(),
        &|m| {
            let parts = openpgp::PacketPile::from_bytes(m).unwrap();
            let mut packets = parts.children();
            let mut out = Vec::new();
            packets.next().unwrap().serialize(&mut out).unwrap();
            let mut body = b"b\0\0\0\0\0".to_vec();
            body.resize(FILE_CAP - 2048, b' ');
            out.extend_from_slice(&frame(11, &body));
            packets.nth(1).unwrap().serialize(&mut out).unwrap();
            out
        },
    );
    // At the top level: the message, then padding up to the cap.
    add(
        "top-level-padding".into(),
        "the message, then 4 MiB of padding packets".into(),
        &|m| {
            let mut out = m.to_vec();
            while out.len() + 6 + (1 << 20) < FILE_CAP {
                out.extend_from_slice(&[0xC0 | 21, 0xFF, 0, 0x10, 0, 0]);
                out.resize(out.len() + (1 << 20), 0);
            }
            out
        },
    );
    // Signature packets at the size quorate parses (8 KiB), their two subpacket areas holding
    // 2,000 empty subpackets each.
    add(
        "full-subpacket-areas".into(),
        "one-pass, literal, then 8 KiB signatures of 4,000 subpackets each".into(),
        &|m| {
            let parts = openpgp::PacketPile::from_bytes(m).unwrap();
            let mut out = Vec::new();
            for p in parts.children().take(2) {
                p.serialize(&mut out).unwrap();
            }
            let area: Vec<u8> = [1u8, 101].repeat(2_000);
            let mut body = vec![4, 0x00, 22, 8];
            for _ in 0..2 {
                body.extend_from_slice(&(area.len() as u16).to_be_bytes());
                body.extend_from_slice(&area);
            }
            body.extend_from_slice(&[0, 0]);
            for _ in 0..2 {
                body.extend_from_slice(&[1, 0]);
                body.extend_from_slice(&[0x80; 32]);
            }
            while out.len() + body.len() + 6 < FILE_CAP {
                out.extend_from_slice(&frame(2, &body));
            }
            out
        },
    );

    let verifier =
        quorate::keys::verify::Verifier::new(&keyring, &maintainers, std::time::SystemTime::now());
    let mut results = Vec::new();
    for (name, what, bytes) in &cases {
        let (reference, _) = message(name);
        let image = dir.join(format!("signatures/stagex/{name}@sha256={hex}"));
        std::fs::create_dir_all(&image).unwrap();
        std::fs::write(image.join("signature-1"), bytes).unwrap();
        let expected = quorate::keys::verify::Expected {
            reference: Some(&reference),
            directory: None,
        };
        let mut best = f64::MAX;
        let mut codes = String::new();
        for _ in 0..5 {
            let started = Instant::now();
            let verdict = verifier.verify_bytes(bytes, &expected);
            best = best.min(started.elapsed().as_secs_f64());
            codes = verdict
                .problems
                .iter()
                .map(|p| p.reason.code())
                .collect::<Vec<_>>()
                .join(",");
        }
        results.push((best, name.clone(), what.clone(), bytes.len(), codes));
    }
    results.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (seconds, name, what, size, codes) in results {
        println!(
            "{name}\t{size}\t{:.2}\t{}\t{what}",
            seconds * 1000.0,
            if codes.is_empty() { "counts" } else { &codes }
        );
    }
}

/// A packet with a new-format header and a definite length.
fn frame(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0xC0 | tag, 0xFF];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// The bits of the one block bzip2 makes of `content`, and the block's CRC.
fn bz2_block(content: &[u8]) -> (Vec<bool>, u32) {
    let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    encoder.write_all(content).unwrap();
    let stream = encoder.finish().unwrap();
    let bits: Vec<bool> = stream
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1 == 1))
        .collect();
    let read = |at: usize, n: usize| {
        bits[at..at + n]
            .iter()
            .fold(0u64, |v, &b| v << 1 | b as u64)
    };
    // The stream: "BZh9", the blocks, the 48-bit end-of-stream magic, the 32-bit stream CRC,
    // padding to a byte.
    let end = (0..8)
        .map(|pad| bits.len() - pad - 80)
        .find(|&at| read(at, 48) == 0x1772_4538_5090)
        .unwrap();
    let stream_crc = read(end + 48, 32) as u32;
    let block_crc = read(32 + 48, 32) as u32;
    // One block: the stream's CRC is the block's.
    assert_eq!(stream_crc, block_crc, "more than one block");
    (bits[32..end].to_vec(), block_crc)
}

/// A bzip2 stream of these blocks, in order.
fn bz2_stream(blocks: &[(Vec<bool>, u32)]) -> Vec<u8> {
    let mut bits: Vec<bool> = Vec::new();
    let push = |bits: &mut Vec<bool>, v: u64, n: usize| {
        bits.extend((0..n).rev().map(|i| (v >> i) & 1 == 1));
    };
    push(&mut bits, u64::from(u32::from_be_bytes(*b"BZh9")), 32);
    let mut crc = 0u32;
    for (block, block_crc) in blocks {
        bits.extend_from_slice(block);
        crc = crc.rotate_left(1) ^ block_crc;
    }
    push(&mut bits, 0x1772_4538_5090, 48);
    push(&mut bits, u64::from(crc), 32);
    bits.chunks(8)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u8, |v, (i, &b)| v | (u8::from(b) << (7 - i)))
        })
        .collect()
}

/// A raw deflate stream: `count` empty fixed-Huffman blocks, then `data` in a final stored block.
fn deflate_empty_then(count: usize, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut byte, mut used) = (0u8, 0);
    let mut put = |out: &mut Vec<u8>, bit: u8| {
        byte |= bit << used;
        used += 1;
        if used == 8 {
            out.push(byte);
            (byte, used) = (0, 0);
        }
    };
    for _ in 0..count {
        // BFINAL 0, BTYPE 01 (fixed), then end-of-block (seven zero bits).
        for bit in [0, 1, 0, 0, 0, 0, 0, 0, 0, 0] {
            put(&mut out, bit);
        }
    }
    // BFINAL 1, BTYPE 00 (stored), then to the byte boundary.
    for bit in [1, 0, 0] {
        put(&mut out, bit);
    }
    for _ in 0..(8 - (count * 10 + 3) % 8) % 8 {
        put(&mut out, 0);
    }
    let len = data.len() as u16;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(data);
    out
}
