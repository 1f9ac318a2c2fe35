//! One signature's full verification (message parsing, cryptography, key validity at signing
//! time and now, payload, maintainer), for an Ed25519 and an RSA-4096 key:
//! `cargo bench --bench verify_one`.

use std::time::{Instant, SystemTime};

use sequoia_openpgp::cert::prelude::*;

use quorate::format::maintainers::Maintainers;
use quorate::format::payload::Payload;
use quorate::format::reference::Reference;
use quorate::keys::keyring::Keyring;
use quorate::keys::verify::{Expected, Verifier};

// The tests' own keys: made, exported and used to sign the same way.
#[allow(dead_code)]
#[path = "../tests/integration/common/keys.rs"]
mod keys;

use keys::TestKey;

fn main() {
    let reference = Reference::parse(&keys::asked()).unwrap();
    let digest = reference.digest().unwrap().clone();
    let payload = Payload::to_bytes(&reference, &digest);
    for (label, suite) in [
        ("Ed25519", CipherSuite::Cv25519),
        ("RSA-4096", CipherSuite::RSA4k),
    ] {
        let key = TestKey::build("bench", |b| b.set_cipher_suite(suite));
        let maintainers = Maintainers::parse(
            std::path::Path::new("MAINTAINERS"),
            format!("[people.m]\n[keys.m.k]\nid = \"{}\"\n", key.fingerprint()).as_bytes(),
        )
        .unwrap();
        let mut keyring = Keyring::default();
        keyring.insert(key.cert.clone(), std::path::Path::new("bench.asc"));
        let pair = key.primary_pair();
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
