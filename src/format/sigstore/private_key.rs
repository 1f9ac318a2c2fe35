//! cosign's encrypted private key file (`cosign.key`, go-securesystemslib's `encrypted`
//! format): one PEM block labelled `ENCRYPTED SIGSTORE PRIVATE KEY` (cosign ≥ 2.0.1) or
//! `ENCRYPTED COSIGN PRIVATE KEY` (before), holding JSON
//! `{"kdf":{"name":"scrypt","params":{"N":…,"r":8,"p":1},"salt":b64},"cipher":{"name":"nacl/secretbox","nonce":b64},"ciphertext":b64}`.
//! Parsed and bounded here, nothing decrypted: the scrypt cost is checked before anyone runs it.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::pem::{self, PemError};

/// The label cosign writes since 2.0.1.
pub const SIGSTORE_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// The label cosign wrote before 2.0.1.
pub const COSIGN_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";
/// The scrypt costs (N) cosign's decryptors take: 2^15 (before cosign 2.2.0), 2^16, 2^17.
pub const ALLOWED_SCRYPT_N: [u64; 3] = [1 << 15, 1 << 16, 1 << 17];
/// The scrypt block size cosign uses, the only one taken.
pub const SCRYPT_R: u32 = 8;
/// The scrypt parallelism cosign uses, the only one taken.
pub const SCRYPT_P: u32 = 1;
/// nacl/secretbox's nonce length.
pub const NONCE_LEN: usize = 24;
/// nacl/secretbox's authenticator length: the ciphertext is at least this long.
pub const MAC_LEN: usize = 16;
/// A key file is a few hundred bytes; larger is refused before parsing.
pub const MAX_KEY_FILE: usize = 64 * 1024;

/// Which label the file carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLabel {
    /// `ENCRYPTED SIGSTORE PRIVATE KEY`.
    Sigstore,
    /// `ENCRYPTED COSIGN PRIVATE KEY`.
    Cosign,
}

impl KeyLabel {
    /// The PEM label.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyLabel::Sigstore => SIGSTORE_LABEL,
            KeyLabel::Cosign => COSIGN_LABEL,
        }
    }
}

/// An encrypted key file, parsed and within the bounds cosign's decryptors accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedKeyFile {
    /// The PEM label.
    pub label: KeyLabel,
    /// scrypt's N (one of `ALLOWED_SCRYPT_N`).
    pub scrypt_n: u64,
    /// scrypt's salt.
    pub salt: Vec<u8>,
    /// The secretbox nonce.
    pub nonce: [u8; NONCE_LEN],
    /// The secretbox output: 16-byte authenticator, then the encrypted PKCS#8 DER.
    pub ciphertext: Vec<u8>,
}

/// Why bytes are not a cosign key file quorate takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFileError {
    /// Larger than `MAX_KEY_FILE`.
    #[error("the key file is larger than {MAX_KEY_FILE} bytes")]
    TooLarge,
    /// Not PEM.
    #[error("the key file is not PEM: {0}")]
    Pem(#[from] PemError),
    /// More than one PEM block.
    #[error("the key file holds {0} PEM blocks, not one")]
    Blocks(usize),
    /// Another label.
    #[error("the key file's PEM label is {0:?}, not {SIGSTORE_LABEL:?} or {COSIGN_LABEL:?}")]
    Label(String),
    /// The JSON inside does not have the expected members.
    #[error("the key file's JSON is malformed: {0}")]
    Json(String),
    /// A KDF other than scrypt.
    #[error("the key file's KDF is {0:?}, not scrypt")]
    Kdf(String),
    /// scrypt parameters outside what cosign accepts.
    #[error(
        "the key file's scrypt parameters N={n} r={r} p={p} are not N in 2^15..2^17, r=8, p=1"
    )]
    ScryptParams {
        /// N.
        n: u64,
        /// r.
        r: u64,
        /// p.
        p: u64,
    },
    /// A cipher other than nacl/secretbox.
    #[error("the key file's cipher is {0:?}, not nacl/secretbox")]
    Cipher(String),
    /// A member that is not standard base64.
    #[error("the key file's {0} is not base64")]
    Base64(&'static str),
    /// The nonce is not 24 bytes.
    #[error("the key file's nonce is {0} bytes, not 24")]
    Nonce(usize),
    /// The ciphertext is shorter than the authenticator.
    #[error("the key file's ciphertext is {0} bytes, shorter than its 16-byte authenticator")]
    Ciphertext(usize),
}

crate::fault::always!(Input: KeyFileError);

#[derive(Serialize, Deserialize)]
struct Doc {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: Params,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct Params {
    #[serde(rename = "N")]
    n: u64,
    r: u64,
    p: u64,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

fn b64(text: &str, what: &'static str) -> Result<Vec<u8>, KeyFileError> {
    base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|_| KeyFileError::Base64(what))
}

impl EncryptedKeyFile {
    /// Parses a key file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, KeyFileError> {
        if bytes.len() > MAX_KEY_FILE {
            return Err(KeyFileError::TooLarge);
        }
        let blocks = pem::decode_all(bytes)?;
        let [block] = blocks.as_slice() else {
            return Err(KeyFileError::Blocks(blocks.len()));
        };
        let label = match block.label.as_str() {
            SIGSTORE_LABEL => KeyLabel::Sigstore,
            COSIGN_LABEL => KeyLabel::Cosign,
            other => return Err(KeyFileError::Label(crate::text::shown(other).into_owned())),
        };
        let doc: Doc = serde_json::from_slice(&block.der)
            .map_err(|e| KeyFileError::Json(crate::text::one_line(&e.to_string())))?;
        if doc.kdf.name != "scrypt" {
            return Err(KeyFileError::Kdf(
                crate::text::shown(&doc.kdf.name).into_owned(),
            ));
        }
        let Params { n, r, p } = doc.kdf.params;
        if !ALLOWED_SCRYPT_N.contains(&n) || r != u64::from(SCRYPT_R) || p != u64::from(SCRYPT_P) {
            return Err(KeyFileError::ScryptParams { n, r, p });
        }
        if doc.cipher.name != "nacl/secretbox" {
            return Err(KeyFileError::Cipher(
                crate::text::shown(&doc.cipher.name).into_owned(),
            ));
        }
        let salt = b64(&doc.kdf.salt, "salt")?;
        let nonce = b64(&doc.cipher.nonce, "nonce")?;
        let nonce: [u8; NONCE_LEN] = nonce
            .as_slice()
            .try_into()
            .map_err(|_| KeyFileError::Nonce(nonce.len()))?;
        let ciphertext = b64(&doc.ciphertext, "ciphertext")?;
        if ciphertext.len() < MAC_LEN {
            return Err(KeyFileError::Ciphertext(ciphertext.len()));
        }
        Ok(EncryptedKeyFile {
            label,
            scrypt_n: n,
            salt,
            nonce,
            ciphertext,
        })
    }

    /// The file's bytes: the JSON in one PEM block, as cosign writes it.
    pub fn to_pem(&self) -> Vec<u8> {
        let enc = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let doc = Doc {
            kdf: Kdf {
                name: "scrypt".into(),
                params: Params {
                    n: self.scrypt_n,
                    r: u64::from(SCRYPT_R),
                    p: u64::from(SCRYPT_P),
                },
                salt: enc(&self.salt),
            },
            cipher: Cipher {
                name: "nacl/secretbox".into(),
                nonce: enc(&self.nonce),
            },
            ciphertext: enc(&self.ciphertext),
        };
        // Serialising plain strings and integers cannot fail.
        let json = serde_json::to_vec(&doc).unwrap_or_default();
        pem::encode(self.label.as_str(), &json).into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EncryptedKeyFile {
        EncryptedKeyFile {
            label: KeyLabel::Sigstore,
            scrypt_n: 1 << 16,
            salt: vec![7; 32],
            nonce: [9; NONCE_LEN],
            ciphertext: vec![1; 40],
        }
    }

    fn with_json(label: &str, json: &str) -> Vec<u8> {
        pem::encode(label, json.as_bytes()).into_bytes()
    }

    #[test]
    fn round_trip_both_labels() {
        let file = sample();
        assert_eq!(EncryptedKeyFile::parse(&file.to_pem()).unwrap(), file);
        let old = EncryptedKeyFile {
            label: KeyLabel::Cosign,
            scrypt_n: 1 << 15,
            ..sample()
        };
        assert_eq!(EncryptedKeyFile::parse(&old.to_pem()).unwrap(), old);
    }

    #[test]
    fn refuses_each_bound() {
        let json = |n: u64, r: u64, p: u64, kdf: &str, cipher: &str, nonce: &str, ct: &str| {
            format!(
                r#"{{"kdf":{{"name":"{kdf}","params":{{"N":{n},"r":{r},"p":{p}}},"salt":"AAAA"}},"cipher":{{"name":"{cipher}","nonce":"{nonce}"}},"ciphertext":"{ct}"}}"#
            )
        };
        let short_nonce = base64::engine::general_purpose::STANDARD.encode([9u8; 12]);
        let nonce24 = base64::engine::general_purpose::STANDARD.encode([9u8; 24]);
        let ct = base64::engine::general_purpose::STANDARD.encode([1u8; 16]);
        let ok = json(1 << 17, 8, 1, "scrypt", "nacl/secretbox", &nonce24, &ct);
        assert!(EncryptedKeyFile::parse(&with_json(SIGSTORE_LABEL, &ok)).is_ok());
        let cases = [
            (
                json(1 << 18, 8, 1, "scrypt", "nacl/secretbox", &nonce24, &ct),
                "ScryptParams",
            ),
            (
                json(1 << 14, 8, 1, "scrypt", "nacl/secretbox", &nonce24, &ct),
                "ScryptParams",
            ),
            (
                json(1 << 16, 16, 1, "scrypt", "nacl/secretbox", &nonce24, &ct),
                "ScryptParams",
            ),
            (
                json(1 << 16, 8, 2, "scrypt", "nacl/secretbox", &nonce24, &ct),
                "ScryptParams",
            ),
            (
                json(1 << 16, 8, 1, "pbkdf2", "nacl/secretbox", &nonce24, &ct),
                "Kdf",
            ),
            (
                json(1 << 16, 8, 1, "scrypt", "aes-gcm", &nonce24, &ct),
                "Cipher",
            ),
            (
                json(1 << 16, 8, 1, "scrypt", "nacl/secretbox", &short_nonce, &ct),
                "Nonce",
            ),
            (
                json(1 << 16, 8, 1, "scrypt", "nacl/secretbox", &nonce24, "AAAA"),
                "Ciphertext",
            ),
            (
                json(1 << 16, 8, 1, "scrypt", "nacl/secretbox", &nonce24, "!!"),
                "Base64",
            ),
            ("{}".to_string(), "Json"),
        ];
        for (json, variant) in cases {
            let err = EncryptedKeyFile::parse(&with_json(SIGSTORE_LABEL, &json)).unwrap_err();
            assert!(format!("{err:?}").starts_with(variant), "{json}: {err:?}");
        }
        assert!(matches!(
            EncryptedKeyFile::parse(&with_json("EC PRIVATE KEY", &ok)),
            Err(KeyFileError::Label(_))
        ));
        let two = [
            with_json(SIGSTORE_LABEL, &ok),
            with_json(SIGSTORE_LABEL, &ok),
        ]
        .concat();
        assert_eq!(EncryptedKeyFile::parse(&two), Err(KeyFileError::Blocks(2)));
        assert_eq!(
            EncryptedKeyFile::parse(&vec![b' '; MAX_KEY_FILE + 1]),
            Err(KeyFileError::TooLarge)
        );
    }
}
