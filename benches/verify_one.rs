//! One signature's full verification (message parsing, cryptography, key validity at signing
//! time and now, payload, maintainer), for an Ed25519 and an RSA-4096 key:
//! `cargo bench --bench verify_one`.

use std::time::{Duration, Instant, SystemTime};

use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::types::KeyFlags;

use quorate::format::maintainers::Maintainers;
use quorate::format::payload::Payload;
use quorate::format::reference::Reference;
use quorate::keys::keyring::Keyring;
use quorate::keys::verify::{Expected, Verifier};

fn main() {
    let reference = Reference::parse(
        "stagex/pallet-rust:1.0@sha256:2fbe7b164dd92edb9c1096152f6d27592d8a69b1b8eb2fc907b5fadea7d11668",
    )
    .unwrap();
    let digest = reference.digest().unwrap().clone();
    let payload = Payload::to_bytes(&reference, &digest);
    for (label, suite) in [
        ("Ed25519", CipherSuite::Cv25519),
        ("RSA-4096", CipherSuite::RSA4k),
    ] {
        let (cert, _) = CertBuilder::new()
            .add_userid("bench <bench@bench.invalid>")
            .set_cipher_suite(suite)
            .set_primary_key_flags(KeyFlags::empty().set_certification().set_signing())
            .set_creation_time(SystemTime::now() - Duration::from_secs(3600))
            .generate()
            .unwrap();
        let maintainers = Maintainers::parse(
            std::path::Path::new("MAINTAINERS"),
            format!(
                "[people.m]\n[keys.m.k]\nid = \"{}\"\n",
                cert.fingerprint().to_hex()
            )
            .as_bytes(),
        )
        .unwrap();
        let mut keyring = Keyring::default();
        keyring.insert(cert.clone(), std::path::Path::new("bench.asc"));
        let pair = cert
            .primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap()
            .into_keypair()
            .unwrap();
        // Distinct signatures, each verified once: nothing is served from a cache.
        let iterations = 500;
        let signatures: Vec<Vec<u8>> = (0..iterations)
            .map(|_| quorate::ops::sign::signed_message(pair.clone(), &payload).unwrap())
            .collect();
        let verifier = Verifier::new(&keyring, &maintainers, SystemTime::now());
        let expected = Expected {
            reference: Some(&reference),
            directory: Some((reference.path(), &digest)),
        };
        let started = Instant::now();
        for bytes in &signatures {
            assert!(std::hint::black_box(
                verifier.verify_bytes(std::hint::black_box(bytes), &expected)
            )
            .counts());
        }
        let each = started.elapsed() / iterations;
        println!(
            "verify one {label} signature: {:.1} µs",
            each.as_secs_f64() * 1e6
        );
    }
}
