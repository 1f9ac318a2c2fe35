//! Maintainers' keys made at run time with Sequoia, the payloads they sign and the signatures
//! they make. Shared with benches/ and examples/ (`#[path]`-included there), so it uses nothing
//! but sequoia-openpgp, sha2 and std.

use std::io::Write;
use std::time::{Duration, SystemTime};

use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::crypto::KeyPair;
use openpgp::packet::key::{PublicParts, SubordinateRole};
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::{Key, Packet};
use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{LiteralWriter, Message, Signer};
use openpgp::serialize::Serialize;
use openpgp::types::{HashAlgorithm, KeyFlags, ReasonForRevocation, SignatureType};

pub const HEX_A: &str = "2fbe7b164dd92edb9c1096152f6d27592d8a69b1b8eb2fc907b5fadea7d11668";
pub const HEX_B: &str = "f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268";

/// The image most tests sign, as payloads name it.
pub const REF: &str = "docker.io/stagex/pallet-rust:1.0";

/// What most tests ask about: `stagex/pallet-rust:1.0@sha256:<HEX_A>`.
pub fn asked() -> String {
    reference(HEX_A)
}

/// `stagex/pallet-rust:1.0@sha256:<hex>`.
pub fn reference(hex: &str) -> String {
    format!("stagex/pallet-rust:1.0@sha256:{hex}")
}

pub fn days(n: u64) -> Duration {
    Duration::from_secs(n * 86400)
}

/// A maintainer's key, secret parts included.
#[derive(Clone)]
pub struct TestKey {
    pub name: String,
    pub cert: Cert,
}

impl TestKey {
    /// Ed25519, the primary key certifies and signs, never expires.
    pub fn new(name: &str) -> TestKey {
        TestKey::build(name, |b| b)
    }

    /// The primary key only certifies; a subkey signs (as on a smartcard).
    pub fn with_signing_subkey(name: &str) -> TestKey {
        TestKey::build(name, |b| {
            b.set_primary_key_flags(KeyFlags::empty().set_certification())
                .add_signing_subkey()
        })
    }

    pub fn build(
        name: &str,
        f: impl FnOnce(CertBuilder<'static>) -> CertBuilder<'static>,
    ) -> TestKey {
        let builder = CertBuilder::new()
            .add_userid(format!("{name} <{name}@example.org>"))
            .set_cipher_suite(CipherSuite::Cv25519)
            .set_primary_key_flags(KeyFlags::empty().set_certification().set_signing())
            .set_creation_time(SystemTime::now() - days(30));
        let (cert, _) = f(builder).generate().unwrap();
        TestKey {
            name: name.to_string(),
            cert,
        }
    }

    pub fn fingerprint(&self) -> String {
        self.cert.fingerprint().to_hex()
    }

    pub fn public(&self) -> Vec<u8> {
        armored(&self.cert)
    }

    pub fn secret(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.cert.as_tsk().armored().serialize(&mut out).unwrap();
        out
    }

    /// The primary key as a signer, whatever its flags.
    pub fn primary_pair(&self) -> KeyPair {
        self.cert
            .primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap()
            .into_keypair()
            .unwrap()
    }

    /// The first subkey as a signer, whatever its flags.
    pub fn subkey_pair(&self) -> KeyPair {
        self.cert
            .keys()
            .subkeys()
            .next()
            .unwrap()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap()
            .role_into_unspecified()
            .into_keypair()
            .unwrap()
    }

    /// Adds a revocation of the whole certificate, made now.
    pub fn revoke(&mut self, reason: ReasonForRevocation) {
        let revoked = cert_revoked_by(&self.cert, self, reason, b"test");
        self.cert = revoked;
    }

    /// Sets the certificate to expire `validity` after its creation, by a new self-signature
    /// made at `at`.
    pub fn set_expiry(&mut self, validity: Option<Duration>, at: SystemTime) {
        let policy = StandardPolicy::new();
        let mut pair = self.primary_pair();
        let expiration = validity.map(|v| self.cert.primary_key().key().creation_time() + v);
        let sigs = self
            .cert
            .primary_key()
            .with_policy(&policy, at)
            .unwrap()
            .set_expiration_time(&mut pair, expiration)
            .unwrap();
        // Re-date them: set_expiration_time stamps "now".
        let mut redated = Vec::new();
        for sig in sigs {
            let builder = SignatureBuilder::from(sig.clone())
                .set_signature_creation_time(at)
                .unwrap();
            let new = match sig.typ() {
                SignatureType::DirectKey => builder.sign_direct_key(&mut pair, None).unwrap(),
                _ => {
                    let uid = self.cert.userids().next().unwrap().userid().clone();
                    builder.sign_userid_binding(&mut pair, None, &uid).unwrap()
                }
            };
            redated.push(Packet::from(new));
        }
        self.cert = self.cert.clone().insert_packets(redated).unwrap().0;
    }
}

/// The certificate, ASCII-armored: a keyring file.
pub fn armored(cert: &Cert) -> Vec<u8> {
    let mut out = Vec::new();
    cert.armored().serialize(&mut out).unwrap();
    out
}

/// `cert` with a revocation of the whole certificate made now by `by`'s primary key: its own,
/// or a designated revoker's.
pub fn cert_revoked_by(
    cert: &Cert,
    by: &TestKey,
    reason: ReasonForRevocation,
    message: &[u8],
) -> Cert {
    let mut pair = by.primary_pair();
    let rev = CertRevocationBuilder::new()
        .set_reason_for_revocation(reason, message)
        .unwrap()
        .build(&mut pair, cert, None)
        .unwrap();
    cert.clone().insert_packets(Packet::from(rev)).unwrap().0
}

/// A key's primary key, as a subkey packet another certificate can carry.
fn as_subkey(key: &TestKey) -> Key<PublicParts, SubordinateRole> {
    key.cert.primary_key().key().clone().role_into_subordinate()
}

/// `holder`'s certificate carrying `other`'s primary key as a subkey: unbound, or bound by the
/// holder's own valid binding with `flags` (no back-signature: the holder has no secret of it).
pub fn carrying(holder: &TestKey, other: &TestKey, flags: Option<KeyFlags>) -> TestKey {
    let subkey = as_subkey(other);
    let mut packets: Vec<Packet> = vec![subkey.clone().into()];
    if let Some(flags) = flags {
        let mut pair = holder.primary_pair();
        let binding = SignatureBuilder::new(SignatureType::SubkeyBinding)
            .set_key_flags(flags)
            .unwrap()
            .set_signature_creation_time(SystemTime::now() - days(1))
            .unwrap()
            .sign_subkey_binding(&mut pair, holder.cert.primary_key().key(), &subkey)
            .unwrap();
        packets.push(binding.into());
    }
    TestKey {
        name: holder.name.clone(),
        cert: holder.cert.clone().insert_packets(packets).unwrap().0,
    }
}

/// The payload quorate and StageX write.
pub fn payload(reference: &str, hex: &str) -> Vec<u8> {
    format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{reference}"}},"image":{{"docker-manifest-digest":"sha256:{hex}"}},"type":"atomic container signature"}},"optional":{{}}}}"#
    )
    .into_bytes()
}

/// A signed message made with Sequoia at a chosen time and hash.
pub fn sign_at(pair: KeyPair, payload: &[u8], at: SystemTime, hash: HashAlgorithm) -> Vec<u8> {
    let mut sink = Vec::new();
    {
        let message = Message::new(&mut sink);
        let signer = Signer::new(message, pair)
            .unwrap()
            .hash_algo(hash)
            .unwrap()
            .creation_time(at)
            .build()
            .unwrap();
        let mut literal = LiteralWriter::new(signer).build().unwrap();
        literal.write_all(payload).unwrap();
        literal.finalize().unwrap();
    }
    sink
}

/// A signed message made now with SHA-256.
pub fn sign(pair: KeyPair, payload: &[u8]) -> Vec<u8> {
    sign_at(
        pair,
        payload,
        SystemTime::now() - Duration::from_secs(60),
        HashAlgorithm::SHA256,
    )
}

/// The lowercase hex sha256 of some bytes.
pub fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
