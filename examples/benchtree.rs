//! The benchmark's tree generator and its floor, run by scripts/bench.sh.
//!
//! `benchtree gen DIR N SEED`: a workspace of N signatures: N/2 digests (derived from SEED, so the
//! shape never changes) × 2 maintainers; of four maintainers two hold RSA-4096 keys and two Ed25519
//! keys (the keys are new each run), and each digest is signed by one of each kind.
//! `benchtree floor DIR THREADS`: the signature checks alone (parse each certificate once, check
//! every signature's cryptography against its issuer) on THREADS threads: the floor quorate's own
//! verification is measured against.

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
use openpgp::types::KeyFlags;
use sha2::Digest as _;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") if args.len() == 5 => {
            generate(Path::new(&args[2]), args[3].parse().unwrap(), &args[4])
        }
        Some("floor") if args.len() == 4 => floor(Path::new(&args[2]), args[3].parse().unwrap()),
        _ => {
            eprintln!("usage: benchtree gen DIR N SEED | benchtree floor DIR THREADS");
            std::process::exit(2);
        }
    }
}

fn key(name: &str, suite: CipherSuite) -> Cert {
    CertBuilder::new()
        .add_userid(format!("{name} <{name}@bench.invalid>"))
        .set_cipher_suite(suite)
        .set_primary_key_flags(KeyFlags::empty().set_certification().set_signing())
        .set_creation_time(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
        .generate()
        .unwrap()
        .0
}

fn generate(dir: &Path, signatures: usize, seed: &str) {
    let started = Instant::now();
    std::fs::create_dir_all(dir.join("keyring")).unwrap();
    std::fs::create_dir_all(dir.join("digests")).unwrap();
    let names = ["rsa1", "rsa2", "ed1", "ed2"];
    let certs: Vec<Cert> = names
        .par_iter()
        .map(|n| {
            key(
                n,
                if n.starts_with("rsa") {
                    CipherSuite::RSA4k
                } else {
                    CipherSuite::Cv25519
                },
            )
        })
        .collect();
    let mut maintainers = String::new();
    for (name, cert) in names.iter().zip(&certs) {
        maintainers.push_str(&format!(
            "[people.{name}]\nname = \"{name}\"\n[keys.{name}.bench]\nid = \"{}\"\n",
            cert.fingerprint().to_hex()
        ));
        let mut out = Vec::new();
        cert.armored().serialize(&mut out).unwrap();
        std::fs::write(dir.join(format!("keyring/{name}.asc")), out).unwrap();
    }
    std::fs::write(dir.join("MAINTAINERS"), maintainers).unwrap();
    let digests = signatures / 2;
    let hexes: Vec<String> = (0..digests)
        .map(|i| {
            sha2::Sha256::digest(format!("{seed}/{i}").as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect();
    let mut lines = String::new();
    for (i, hex) in hexes.iter().enumerate() {
        lines.push_str(&format!("{hex} user-pkg{i:06}\n"));
    }
    std::fs::write(dir.join("digests/user.txt"), lines).unwrap();
    let pairs: Vec<openpgp::crypto::KeyPair> = certs
        .iter()
        .map(|c| {
            c.primary_key()
                .key()
                .clone()
                .parts_into_secret()
                .unwrap()
                .into_keypair()
                .unwrap()
        })
        .collect();
    hexes.par_iter().enumerate().for_each(|(i, hex)| {
        let reference = quorate::reference::Reference::parse(&format!(
            "stagex/user-pkg{i:06}:bench@sha256:{hex}"
        ))
        .unwrap();
        let payload = quorate::payload::Payload::to_bytes(&reference, reference.digest().unwrap());
        let image = dir.join(format!("signatures/stagex/user-pkg{i:06}@sha256={hex}"));
        std::fs::create_dir_all(&image).unwrap();
        // Every digest: one RSA-4096 and one Ed25519 maintainer.
        for (n, signer) in [&pairs[i % 2], &pairs[2 + i % 2]].into_iter().enumerate() {
            let bytes = quorate::sign::signed_message(signer.clone(), &payload).unwrap();
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
                let message = quorate::message::read_signed_message(&bytes).unwrap();
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
