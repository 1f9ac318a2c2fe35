//! cosign's encrypted private key (`cosign.key`): scrypt (OpenSSL) derives the secretbox key
//! from the passphrase, nacl/secretbox (XSalsa20-Poly1305, RustCrypto `crypto_secretbox`)
//! opens the PKCS#8 DER of an ECDSA P-256 key. Also writes such files, as cosign ≥ 2.2 does
//! (`ENCRYPTED SIGSTORE PRIVATE KEY`, N = 65536).

use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use sha2::{Digest, Sha256};

use super::ecdsa::{CosignPublicKey, KeyError};
use crate::format::sigstore::private_key::{
    EncryptedKeyFile, KeyFileError, KeyLabel, NONCE_LEN, SCRYPT_P, SCRYPT_R,
};

/// The scrypt cost written by `encrypt` (cosign ≥ 2.2.0).
pub const WRITE_SCRYPT_N: u64 = 1 << 16;
/// scrypt's memory ceiling: enough for N = 2^17, r = 8 (128 MiB), no more.
const SCRYPT_MAXMEM: u64 = 1 << 28;
const SALT_LEN: usize = 32;

/// Why a key file cannot be opened, or a key not be made or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrivateKeyError {
    /// The file is not a cosign key file.
    #[error("{0}")]
    File(#[from] KeyFileError),
    /// The secretbox does not open: the passphrase is wrong (or the file was changed).
    #[error("the passphrase is wrong (the key file does not decrypt)")]
    WrongPassphrase,
    /// The decrypted bytes are not a PKCS#8 private key.
    #[error("the decrypted key is not PKCS#8 DER")]
    NotPkcs8,
    /// A key of another kind.
    #[error("the private key is not ECDSA P-256: {0}")]
    NotP256(String),
    /// Its public half is unusable.
    #[error("the private key's public key: {0}")]
    Public(#[from] KeyError),
    /// OpenSSL failed (scrypt, randomness, signing).
    #[error("OpenSSL failed: {0}")]
    OpenSsl(String),
}

impl crate::fault::Classify for PrivateKeyError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            PrivateKeyError::WrongPassphrase => crate::fault::Fault::Refused,
            _ => crate::fault::Fault::Input,
        }
    }
}

fn openssl_error(e: openssl::error::ErrorStack) -> PrivateKeyError {
    PrivateKeyError::OpenSsl(crate::text::one_line(&e.to_string()))
}

fn derive(passphrase: &[u8], salt: &[u8], n: u64) -> Result<[u8; 32], PrivateKeyError> {
    let mut key = [0u8; 32];
    openssl::pkcs5::scrypt(
        passphrase,
        salt,
        n,
        u64::from(SCRYPT_R),
        u64::from(SCRYPT_P),
        SCRYPT_MAXMEM,
        &mut key,
    )
    .map_err(openssl_error)?;
    Ok(key)
}

/// An ECDSA P-256 private key, as cosign keeps it.
pub struct CosignPrivateKey {
    key: EcKey<Private>,
    public: CosignPublicKey,
}

impl std::fmt::Debug for CosignPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CosignPrivateKey")
            .field(&self.public.id())
            .finish()
    }
}

impl CosignPrivateKey {
    /// Opens a cosign key file with its passphrase. The scrypt cost is bounded before scrypt
    /// runs (`EncryptedKeyFile::parse`).
    pub fn decrypt(file_bytes: &[u8], passphrase: &[u8]) -> Result<Self, PrivateKeyError> {
        let file = EncryptedKeyFile::parse(file_bytes)?;
        let key = derive(passphrase, &file.salt, file.scrypt_n)?;
        let cipher = XSalsa20Poly1305::new(Key::from_slice(&key));
        let der = cipher
            .decrypt(Nonce::from_slice(&file.nonce), file.ciphertext.as_slice())
            .map_err(|_| PrivateKeyError::WrongPassphrase)?;
        Self::from_pkcs8_der(&der)
    }

    /// Reads an unencrypted PKCS#8 DER key (ECDSA P-256 only).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, PrivateKeyError> {
        let pkey = PKey::private_key_from_pkcs8(der).map_err(|_| PrivateKeyError::NotPkcs8)?;
        let key = pkey.ec_key().map_err(|_| {
            PrivateKeyError::NotP256(match pkey.id() {
                openssl::pkey::Id::RSA => "RSA".into(),
                openssl::pkey::Id::ED25519 => "Ed25519".into(),
                id => format!("key type {}", id.as_raw()),
            })
        })?;
        if key.group().curve_name() != Some(Nid::X9_62_PRIME256V1) {
            let curve = key.group().curve_name().and_then(|n| n.short_name().ok());
            return Err(PrivateKeyError::NotP256(format!(
                "ECDSA {}",
                curve.unwrap_or("(explicit curve)")
            )));
        }
        key.check_key().map_err(|_| PrivateKeyError::NotPkcs8)?;
        let public = CosignPublicKey::from_ec_key(&key)?;
        Ok(CosignPrivateKey { key, public })
    }

    /// A new random key.
    pub fn generate() -> Result<Self, PrivateKeyError> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(openssl_error)?;
        let key = EcKey::generate(&group).map_err(openssl_error)?;
        let public = CosignPublicKey::from_ec_key(&key)?;
        Ok(CosignPrivateKey { key, public })
    }

    /// The public key.
    pub fn public_key(&self) -> &CosignPublicKey {
        &self.public
    }

    /// The DER ECDSA-SHA256 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PrivateKeyError> {
        EcdsaSig::sign(&Sha256::digest(message), &self.key)
            .and_then(|s| s.to_der())
            .map_err(openssl_error)
    }

    /// The key as a cosign key file: PKCS#8 DER sealed with nacl/secretbox under
    /// scrypt(passphrase, random salt, N = 65536, r = 8, p = 1), PEM label
    /// `ENCRYPTED SIGSTORE PRIVATE KEY`.
    pub fn encrypt(&self, passphrase: &[u8]) -> Result<Vec<u8>, PrivateKeyError> {
        self.encrypt_as(passphrase, KeyLabel::Sigstore, WRITE_SCRYPT_N)
    }

    fn encrypt_as(
        &self,
        passphrase: &[u8],
        label: KeyLabel,
        scrypt_n: u64,
    ) -> Result<Vec<u8>, PrivateKeyError> {
        let pkey = PKey::from_ec_key(self.key.clone()).map_err(openssl_error)?;
        let der = pkey.private_key_to_pkcs8().map_err(openssl_error)?;
        let mut salt = vec![0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        openssl::rand::rand_bytes(&mut salt).map_err(openssl_error)?;
        openssl::rand::rand_bytes(&mut nonce).map_err(openssl_error)?;
        let key = derive(passphrase, &salt, scrypt_n)?;
        let cipher = XSalsa20Poly1305::new(Key::from_slice(&key));
        let ciphertext = cipher
            .encrypt(Nonce::from_slice(&nonce), der.as_slice())
            .map_err(|_| PrivateKeyError::OpenSsl("secretbox failed to seal".into()))?;
        let file = EncryptedKeyFile {
            label,
            scrypt_n,
            salt,
            nonce,
            ciphertext,
        };
        Ok(file.to_pem())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_sign_and_wrong_passphrase() {
        let key = CosignPrivateKey::generate().unwrap();
        let file = key.encrypt(b"correct horse").unwrap();
        assert!(std::str::from_utf8(&file)
            .unwrap()
            .starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        let parsed = EncryptedKeyFile::parse(&file).unwrap();
        assert_eq!(parsed.scrypt_n, 65536);
        let back = CosignPrivateKey::decrypt(&file, b"correct horse").unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let sig = back.sign(b"payload").unwrap();
        assert!(key.public_key().verify(b"payload", &sig));
        assert_eq!(
            CosignPrivateKey::decrypt(&file, b"wrong").unwrap_err(),
            PrivateKeyError::WrongPassphrase
        );
        let old = key.encrypt_as(b"pw", KeyLabel::Cosign, 1 << 15).unwrap();
        assert_eq!(
            CosignPrivateKey::decrypt(&old, b"pw").unwrap().public_key(),
            key.public_key()
        );
    }

    #[test]
    fn refuses_other_keys_inside() {
        let rsa = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
        let der = rsa.private_key_to_pkcs8().unwrap();
        assert_eq!(
            CosignPrivateKey::from_pkcs8_der(&der).unwrap_err(),
            PrivateKeyError::NotP256("RSA".into())
        );
        let p384 = EcKey::generate(&EcGroup::from_curve_name(Nid::SECP384R1).unwrap()).unwrap();
        let der = PKey::from_ec_key(p384)
            .unwrap()
            .private_key_to_pkcs8()
            .unwrap();
        assert_eq!(
            CosignPrivateKey::from_pkcs8_der(&der).unwrap_err(),
            PrivateKeyError::NotP256("ECDSA secp384r1".into())
        );
        assert_eq!(
            CosignPrivateKey::from_pkcs8_der(b"junk").unwrap_err(),
            PrivateKeyError::NotPkcs8
        );
    }
}
