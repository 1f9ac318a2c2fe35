//! A cosign public key: ECDSA P-256 in a DER SubjectPublicKeyInfo (PEM `PUBLIC KEY`), its id
//! and its signatures (ECDSA-SHA256, ASN.1 DER), through OpenSSL.
//!
//! Signatures are taken as Go's `ecdsa.VerifyASN1` (what containers/image and cosign call)
//! takes them: strict DER (minimal lengths and integers, no trailing bytes), r and s in
//! [1, n-1], high S accepted (Go does not normalise S; refusing it would refuse cosign's own).

use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcKey, PointConversionForm};
use openssl::ecdsa::EcdsaSig;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Public};
use sha2::{Digest, Sha256};

use crate::format::sigstore::pem::{self, PemError};

/// The DER of a P-256 SubjectPublicKeyInfo before its 65-byte uncompressed point: SEQUENCE,
/// AlgorithmIdentifier {id-ecPublicKey, prime256v1}, BIT STRING of 66 bytes, 0 unused bits.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
/// A P-256 SubjectPublicKeyInfo with an uncompressed point is exactly this long.
const P256_SPKI_LEN: usize = 91;

/// Why bytes are not a cosign public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not PEM.
    #[error("the public key is not PEM: {0}")]
    Pem(#[from] PemError),
    /// Several PEM blocks.
    #[error("the public key file holds {0} PEM blocks, not one")]
    Blocks(usize),
    /// A PEM block with another label.
    #[error("the PEM label is {0:?}, not \"PUBLIC KEY\"")]
    Label(String),
    /// Not a DER SubjectPublicKeyInfo at all.
    #[error("the public key is not a DER SubjectPublicKeyInfo")]
    NotSpki,
    /// A key of another kind (RSA, Ed25519, another curve).
    #[error("the public key is {0}, not ECDSA P-256")]
    NotP256(String),
    /// P-256, but not in the one encoding cosign writes (named curve, uncompressed point).
    #[error(
        "the P-256 public key is not encoded as cosign writes it (named curve, uncompressed point)"
    )]
    Encoding,
    /// The point is not on the curve.
    #[error("the P-256 public key's point is not on the curve")]
    BadPoint,
}

crate::fault::always!(Input: KeyError);

/// An ECDSA P-256 public key, as cosign uses it.
#[derive(Clone)]
pub struct CosignPublicKey {
    spki_der: Vec<u8>,
    key: EcKey<Public>,
}

impl std::fmt::Debug for CosignPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CosignPublicKey").field(&self.id()).finish()
    }
}

impl PartialEq for CosignPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_der == other.spki_der
    }
}

impl Eq for CosignPublicKey {}

/// What kind of key an SPKI holds, for the error.
fn key_kind(der: &[u8]) -> String {
    match PKey::public_key_from_der(der) {
        Ok(pkey) => match pkey.ec_key() {
            Ok(ec) => match ec.group().curve_name() {
                Some(nid) => format!("ECDSA {}", nid.short_name().unwrap_or("(unnamed curve)")),
                None => "ECDSA on explicit curve parameters".into(),
            },
            Err(_) => match pkey.id() {
                openssl::pkey::Id::RSA => "RSA".into(),
                openssl::pkey::Id::ED25519 => "Ed25519".into(),
                id => format!("key type {}", id.as_raw()),
            },
        },
        Err(_) => "unreadable".into(),
    }
}

impl CosignPublicKey {
    /// Reads a PEM `PUBLIC KEY` block (one block, nothing else in the text).
    pub fn from_pem(bytes: &[u8]) -> Result<Self, KeyError> {
        let blocks = pem::decode_all(bytes)?;
        let [block] = blocks.as_slice() else {
            return Err(KeyError::Blocks(blocks.len()));
        };
        if block.label != "PUBLIC KEY" {
            return Err(KeyError::Label(
                crate::text::shown(&block.label).into_owned(),
            ));
        }
        Self::from_spki_der(&block.der)
    }

    /// Reads a DER SubjectPublicKeyInfo: ECDSA, named curve P-256, uncompressed point (the only
    /// encoding Go's `x509.ParsePKIXPublicKey` takes for P-256), nothing after it.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        if der.len() != P256_SPKI_LEN || der[..P256_SPKI_PREFIX.len()] != P256_SPKI_PREFIX {
            if PKey::public_key_from_der(der).is_err() {
                return Err(KeyError::NotSpki);
            }
            let kind = key_kind(der);
            return Err(if kind == "ECDSA prime256v1" {
                KeyError::Encoding
            } else {
                KeyError::NotP256(kind)
            });
        }
        if der[P256_SPKI_PREFIX.len()] != 0x04 {
            return Err(KeyError::Encoding);
        }
        let group =
            EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(|_| KeyError::BadPoint)?;
        let mut ctx = BigNumContext::new().map_err(|_| KeyError::BadPoint)?;
        let point =
            openssl::ec::EcPoint::from_bytes(&group, &der[P256_SPKI_PREFIX.len()..], &mut ctx)
                .map_err(|_| KeyError::BadPoint)?;
        let key = EcKey::from_public_key(&group, &point).map_err(|_| KeyError::BadPoint)?;
        key.check_key().map_err(|_| KeyError::BadPoint)?;
        Ok(CosignPublicKey {
            spki_der: der.to_vec(),
            key,
        })
    }

    /// The key from an OpenSSL EC key (P-256 only).
    pub(crate) fn from_ec_key<T: openssl::pkey::HasPublic>(
        key: &EcKey<T>,
    ) -> Result<Self, KeyError> {
        let mut ctx = BigNumContext::new().map_err(|_| KeyError::BadPoint)?;
        let point = key
            .public_key()
            .to_bytes(key.group(), PointConversionForm::UNCOMPRESSED, &mut ctx)
            .map_err(|_| KeyError::BadPoint)?;
        let mut der = P256_SPKI_PREFIX.to_vec();
        der.extend_from_slice(&point);
        Self::from_spki_der(&der)
    }

    /// `sha256:<hex of SHA-256(DER SPKI)>`: the key's id in quorate's keyring.
    pub fn id(&self) -> String {
        let digest = Sha256::digest(&self.spki_der);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The PEM `PUBLIC KEY` block, as cosign writes `cosign.pub`.
    pub fn to_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.spki_der)
    }

    /// True when `der_signature` is this key's ECDSA-SHA256 signature of `message`: strict
    /// DER (as Go's parser: minimal, nothing trailing), high S accepted (as Go).
    pub fn verify(&self, message: &[u8], der_signature: &[u8]) -> bool {
        let Ok(sig) = EcdsaSig::from_der(der_signature) else {
            return false;
        };
        // OpenSSL's d2i reads BER leniently; only the one DER form of (r, s) is Go's.
        if sig.to_der().ok().as_deref() != Some(der_signature) {
            return false;
        }
        let digest = Sha256::digest(message);
        sig.verify(&digest, &self.key).unwrap_or(false)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use openssl::bn::BigNum;
    use openssl::pkey::Private;

    pub(crate) fn p256() -> EcKey<Private> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        EcKey::generate(&group).unwrap()
    }

    pub(crate) fn sign(key: &EcKey<Private>, message: &[u8]) -> Vec<u8> {
        EcdsaSig::sign(&Sha256::digest(message), key)
            .unwrap()
            .to_der()
            .unwrap()
    }

    fn public(key: &EcKey<Private>) -> CosignPublicKey {
        let pkey = PKey::from_ec_key(key.clone()).unwrap();
        CosignPublicKey::from_spki_der(&pkey.public_key_to_der().unwrap()).unwrap()
    }

    #[test]
    fn pem_round_trip_and_id() {
        let key = p256();
        let pkey = PKey::from_ec_key(key.clone()).unwrap();
        let pem = pkey.public_key_to_pem().unwrap();
        let ours = CosignPublicKey::from_pem(&pem).unwrap();
        assert_eq!(ours.to_pem().as_bytes(), pem.as_slice());
        let der = pkey.public_key_to_der().unwrap();
        assert_eq!(ours.spki_der(), der.as_slice());
        let id = ours.id();
        assert_eq!(id.len(), 7 + 64);
        assert!(id.starts_with("sha256:"));
        let expected: String = Sha256::digest(&der)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(id, format!("sha256:{expected}"));
        assert_eq!(CosignPublicKey::from_ec_key(&key).unwrap(), ours);
    }

    #[test]
    fn refuses_other_keys_and_encodings() {
        let rsa = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
        assert_eq!(
            CosignPublicKey::from_spki_der(&rsa.public_key_to_der().unwrap()),
            Err(KeyError::NotP256("RSA".into()))
        );
        let ed = PKey::generate_ed25519().unwrap();
        assert_eq!(
            CosignPublicKey::from_spki_der(&ed.public_key_to_der().unwrap()),
            Err(KeyError::NotP256("Ed25519".into()))
        );
        let p384 = EcKey::generate(&EcGroup::from_curve_name(Nid::SECP384R1).unwrap()).unwrap();
        let p384 = PKey::from_ec_key(p384)
            .unwrap()
            .public_key_to_der()
            .unwrap();
        assert_eq!(
            CosignPublicKey::from_spki_der(&p384),
            Err(KeyError::NotP256("ECDSA secp384r1".into()))
        );
        let key = p256();
        let mut ctx = BigNumContext::new().unwrap();
        let point = key
            .public_key()
            .to_bytes(key.group(), PointConversionForm::COMPRESSED, &mut ctx)
            .unwrap();
        // The same key as a compressed point: SEQUENCE and BIT STRING lengths adjusted.
        let mut der = [&P256_SPKI_PREFIX[..], &point[..]].concat();
        der[1] = (der.len() - 2) as u8;
        der[24] = (point.len() + 1) as u8;
        assert!(PKey::public_key_from_der(&der).is_ok());
        assert_eq!(
            CosignPublicKey::from_spki_der(&der),
            Err(KeyError::Encoding)
        );
        let mut trailing = public(&p256()).spki_der().to_vec();
        trailing.push(0);
        assert_eq!(
            CosignPublicKey::from_spki_der(&trailing),
            Err(KeyError::Encoding)
        );
        let mut off_curve = public(&p256()).spki_der().to_vec();
        off_curve[90] ^= 1;
        assert_eq!(
            CosignPublicKey::from_spki_der(&off_curve),
            Err(KeyError::BadPoint)
        );
        assert_eq!(
            CosignPublicKey::from_spki_der(b"junk"),
            Err(KeyError::NotSpki)
        );
        let cert_label = pem::encode("CERTIFICATE", public(&p256()).spki_der());
        assert_eq!(
            CosignPublicKey::from_pem(cert_label.as_bytes()),
            Err(KeyError::Label("CERTIFICATE".into()))
        );
        let two = public(&p256()).to_pem().repeat(2);
        assert_eq!(
            CosignPublicKey::from_pem(two.as_bytes()),
            Err(KeyError::Blocks(2))
        );
    }

    #[test]
    fn verifies_der_signatures_and_high_s() {
        let key = p256();
        let public = public(&key);
        let sig = sign(&key, b"payload");
        assert!(public.verify(b"payload", &sig));
        assert!(!public.verify(b"payloaD", &sig));
        assert!(!public.verify(b"payload", &sign(&p256(), b"payload")));
        // Trailing bytes and a non-minimal length: BER that OpenSSL's reader alone would take.
        let mut trailing = sig.clone();
        trailing.push(0);
        assert!(!public.verify(b"payload", &trailing));
        let mut long_form = vec![0x30, 0x81, sig[1]];
        long_form.extend_from_slice(&sig[2..]);
        assert!(!public.verify(b"payload", &long_form));
        // High S: n - s verifies too, as in Go.
        let parsed = EcdsaSig::from_der(&sig).unwrap();
        let mut order = BigNum::new().unwrap();
        let mut ctx = BigNumContext::new().unwrap();
        key.group().order(&mut order, &mut ctx).unwrap();
        let mut flipped = BigNum::new().unwrap();
        flipped.checked_sub(&order, parsed.s()).unwrap();
        let high = EcdsaSig::from_private_components(parsed.r().to_owned().unwrap(), flipped)
            .unwrap()
            .to_der()
            .unwrap();
        assert_ne!(high, sig);
        assert!(public.verify(b"payload", &high));
        assert!(!public.verify(b"payload", b""));
    }
}
