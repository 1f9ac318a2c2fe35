//! Whether a key could sign at a moment: bound to its certificate under the policy, alive,
//! marked for signing, and not revoked, by its owner or by a designated revoker the owner named.
//! Verify, audit and `keyring check` all judge keys here, so the rules are in one place.

use std::time::SystemTime;

use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::packet::Signature;
use openpgp::policy::{HashAlgoSecurity, Policy};
use openpgp::types::{RevocationStatus, RevocationType, SignatureType};
use openpgp::Fingerprint;

use crate::keys::keyring::Keyring;

/// The state of a key at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// Bound, alive, signing-capable, not revoked.
    Good,
    /// The certificate has no valid self-signature at that moment.
    CertificateInvalid(String),
    /// The key is not validly bound to the certificate at that moment.
    NotBound,
    /// The key or its certificate had expired.
    Expired,
    /// The key is bound but not marked for signing.
    NotSigningCapable,
    /// The key or its certificate is revoked, by its owner or a designated revoker.
    Revoked(RevocationType),
}

/// Judges keys of one keyring's certificates under one policy.
pub struct KeyJudge<'a> {
    /// The keyring, for the certificates of designated revokers.
    pub keyring: &'a Keyring,
    /// The policy signatures and bindings are judged under.
    pub policy: &'a dyn Policy,
}

impl KeyJudge<'_> {
    /// The key's state at `at`, with self-signatures as of `at`.
    pub fn state(&self, cert: &Cert, key: &Fingerprint, at: SystemTime) -> KeyState {
        let vc = match cert.with_policy(self.policy, at) {
            Ok(vc) => vc,
            Err(e) => return KeyState::CertificateInvalid(crate::text::error_line(&e)),
        };
        let Some(ka) = vc.keys().key_handle(key.clone()).next() else {
            if let Some(kind) = self.cert_revocation(&vc, at) {
                return KeyState::Revoked(kind);
            }
            return KeyState::NotBound;
        };
        if let Some(kind) = self.revocation(&vc, &ka, at) {
            return KeyState::Revoked(kind);
        }
        if ka.alive().is_err() {
            return KeyState::Expired;
        }
        if !ka.for_signing() {
            return KeyState::NotSigningCapable;
        }
        KeyState::Good
    }

    /// The key's state when it made a signature at `made`.
    ///
    /// A certificate refreshed and exported minimally (`gpg --quick-set-expire`, then
    /// `--export-options export-minimal`) keeps only its newest self-signatures, all younger than
    /// the signatures the key made before. As gpg does, such a key is judged by its oldest
    /// binding that holds: the key existed (it predates the signature: checked by the caller), and
    /// that binding says whether it was meant for signing and whether it had expired by `made`.
    /// A revocation is judged as of `made` (a hard one always voids).
    pub fn state_at_signing(&self, cert: &Cert, key: &Fingerprint, made: SystemTime) -> KeyState {
        let direct = self.state(cert, key, made);
        if !matches!(direct, KeyState::CertificateInvalid(_) | KeyState::NotBound) {
            return direct;
        }
        // Only when no self-signature as old as the signature binds the key: the binding times
        // after `made`, oldest first, and the first at which the key is bound.
        let mut times: Vec<SystemTime> = self_signatures(cert, key)
            .filter_map(|s| s.signature_creation_time())
            .filter(|t| *t > made)
            .collect();
        times.sort();
        times.dedup();
        for t in times {
            let Ok(vc) = cert.with_policy(self.policy, t) else {
                continue;
            };
            let Some(ka) = vc.keys().key_handle(key.clone()).next() else {
                continue;
            };
            if let Some(kind) = self.revocation(&vc, &ka, made) {
                return KeyState::Revoked(kind);
            }
            let expired = |expiry: Option<SystemTime>| expiry.is_some_and(|e| e <= made);
            if expired(ka.key_expiration_time()) || expired(vc.primary_key().key_expiration_time())
            {
                return KeyState::Expired;
            }
            if !ka.for_signing() {
                return KeyState::NotSigningCapable;
            }
            return KeyState::Good;
        }
        direct
    }

    /// The revocation in force at `at` of a bound key or its certificate. Hard wins over soft.
    fn revocation(
        &self,
        vc: &ValidCert,
        ka: &ValidErasedKeyAmalgamation<openpgp::packet::key::PublicParts>,
        at: SystemTime,
    ) -> Option<RevocationType> {
        let of_cert = self.cert_revocation(vc, at);
        // No self-revocation, no revocation: asked anyway, sequoia builds and drops an error on
        // the way (costly when RUST_BACKTRACE captures one), for every signature judged.
        let of_key = if ka.primary() || ka.self_revocations().next().is_none() {
            None
        } else {
            self_revocation(ka.revocation_status(), at)
        };
        match (of_cert, of_key) {
            (Some(RevocationType::Hard), _) | (_, Some(RevocationType::Hard)) => {
                Some(RevocationType::Hard)
            }
            (a, b) => a.or(b),
        }
    }

    /// The certificate's revocation at `at`: by its own key, or by a designated revoker (a key
    /// the certificate names in a Revocation Key subpacket) whose certificate is in the keyring,
    /// as gpg and GPGME honour it.
    pub fn cert_revocation(&self, vc: &ValidCert, at: SystemTime) -> Option<RevocationType> {
        // Asking sequoia for the status of a certificate without a direct-key signature (every
        // gpg-made one) builds and drops an error on the way, costly when RUST_BACKTRACE
        // captures one; without a self-revocation the answer is known: none.
        let own = if vc.primary_key().self_revocations().next().is_none() {
            None
        } else {
            self_revocation(vc.revocation_status(), at)
        };
        if own == Some(RevocationType::Hard) {
            return own;
        }
        let designated = self.designated_revocation(vc.cert(), at);
        match (own, designated) {
            (_, Some(RevocationType::Hard)) => Some(RevocationType::Hard),
            (a, b) => a.or(b),
        }
    }

    /// A revocation of the certificate made by one of its designated revokers and in force at
    /// `at` (a hard one always; a soft one when made at or before `at`).
    pub fn designated_revocation(&self, cert: &Cert, at: SystemTime) -> Option<RevocationType> {
        let revokers: Vec<Fingerprint> = cert
            .revocation_keys(self.policy)
            .map(|rk| rk.revoker().1.clone())
            .collect();
        if revokers.is_empty() {
            return None;
        }
        let mut found = None;
        for rev in cert.primary_key().other_revocations() {
            if rev.typ() != SignatureType::KeyRevocation
                || self
                    .policy
                    .signature(rev, HashAlgoSecurity::CollisionResistance)
                    .is_err()
            {
                continue;
            }
            let kind = revocation_type(rev);
            let made = rev.signature_creation_time();
            if kind == RevocationType::Soft && made.is_none_or(|m| m > at) {
                continue;
            }
            if !self.made_by_designated_revoker(rev, cert, &revokers) {
                continue;
            }
            if kind == RevocationType::Hard {
                return Some(kind);
            }
            found = Some(kind);
        }
        found
    }

    fn made_by_designated_revoker(
        &self,
        rev: &Signature,
        cert: &Cert,
        revokers: &[Fingerprint],
    ) -> bool {
        rev.get_issuers().iter().any(|issuer| {
            self.keyring.certs_for(issuer).into_iter().any(|revoker| {
                revoker.keys().any(|k| {
                    k.key().key_handle().aliases(issuer)
                        && revokers.contains(&k.key().fingerprint())
                        && rev
                            .verify_primary_key_revocation(k.key(), cert.primary_key().key())
                            .is_ok()
                })
            })
        })
    }
}

/// Every self-signature that could bind `key` into `cert`: the primary's direct-key and user ID
/// self-signatures, and the subkey's binding signatures when `key` is a subkey.
fn self_signatures<'a>(
    cert: &'a Cert,
    key: &'a Fingerprint,
) -> impl Iterator<Item = &'a Signature> {
    cert.primary_key()
        .self_signatures()
        .chain(cert.userids().flat_map(|u| u.self_signatures()))
        .chain(
            cert.keys()
                .subkeys()
                .filter(move |k| &k.key().fingerprint() == key)
                .flat_map(|k| k.self_signatures()),
        )
}

/// A hard revocation (compromised, or no reason given) voids every signature; a soft one
/// (retired, superseded) those judged after it.
fn revocation_type(sig: &Signature) -> RevocationType {
    sig.reason_for_revocation()
        .map_or(RevocationType::Hard, |(reason, _)| reason.revocation_type())
}

/// The owner's own revocation, hard winning over soft; a soft one only when made by `at`. A
/// third-party revocation ("could be") is judged by `designated_revocation`, not here.
fn self_revocation(status: RevocationStatus, at: SystemTime) -> Option<RevocationType> {
    let RevocationStatus::Revoked(sigs) = status else {
        return None;
    };
    let mut found = None;
    for sig in sigs {
        match revocation_type(sig) {
            RevocationType::Hard => return Some(RevocationType::Hard),
            RevocationType::Soft => {
                if sig.signature_creation_time().is_some_and(|m| m <= at) {
                    found = Some(RevocationType::Soft);
                }
            }
        }
    }
    found
}
