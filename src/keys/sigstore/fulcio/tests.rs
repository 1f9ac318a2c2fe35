//! Fulcio-like certificates made with OpenSSL in the test: a root, an intermediate, leaves with
//! each field set or broken.

use super::*;
use crate::format::sigstore::trusted_root::Validity;
use openssl::asn1::{Asn1Integer, Asn1Object, Asn1OctetString, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage as EkuExt, KeyUsage as KuExt, SubjectAlternativeName,
};
use openssl::x509::{X509Builder, X509Extension, X509NameBuilder};

pub(crate) const AT: i64 = 1_700_000_000;
pub(crate) const ISSUER: &str = "https://issuer.example.test";

pub(crate) struct Ca {
    pub key: PKey<Private>,
    pub cert: X509,
}

pub(crate) fn p256() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn builder(
    subject_cn: &str,
    issuer: Option<&Ca>,
    key: &PKey<Private>,
    from: i64,
    to: i64,
) -> X509Builder {
    builder_with_serial(subject_cn, issuer, key, from, to, rand_u32())
}

fn builder_with_serial(
    subject_cn: &str,
    issuer: Option<&Ca>,
    key: &PKey<Private>,
    from: i64,
    to: i64,
    serial: u32,
) -> X509Builder {
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    let serial = BigNum::from_u32(serial).unwrap();
    b.set_serial_number(&Asn1Integer::from_bn(&serial).unwrap())
        .unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    if !subject_cn.is_empty() {
        name.append_entry_by_text("CN", subject_cn).unwrap();
    }
    let name = name.build();
    b.set_subject_name(&name).unwrap();
    match issuer {
        Some(ca) => b.set_issuer_name(ca.cert.subject_name()).unwrap(),
        None => b.set_issuer_name(&name).unwrap(),
    }
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(from).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(to).unwrap()).unwrap();
    b
}

fn rand_u32() -> u32 {
    let mut buf = [0u8; 4];
    openssl::rand::rand_bytes(&mut buf).unwrap();
    u32::from_be_bytes(buf) >> 1
}

/// A CA certificate: self-signed when `issuer` is None. `eku`: an EKU extension on the CA.
pub(crate) fn ca(cn: &str, issuer: Option<&Ca>, eku: Option<EkuExt>) -> Ca {
    let key = p256();
    let mut b = builder(cn, issuer, &key, AT - 1_000_000, AT + 100_000_000);
    b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    b.append_extension(
        KuExt::new()
            .critical()
            .key_cert_sign()
            .crl_sign()
            .build()
            .unwrap(),
    )
    .unwrap();
    if let Some(eku) = eku {
        b.append_extension(eku.build().unwrap()).unwrap();
    }
    let signer = issuer.map_or(&key, |ca| &ca.key);
    b.sign(signer, MessageDigest::sha256()).unwrap();
    Ca {
        key,
        cert: b.build(),
    }
}

pub(crate) fn raw_ext(oid: &str, value: &[u8]) -> X509Extension {
    let oid = Asn1Object::from_str(oid).unwrap();
    let value = Asn1OctetString::new_from_bytes(value).unwrap();
    X509Extension::new_from_der(&oid, false, &value).unwrap()
}

pub(crate) fn utf8_string(text: &str) -> Vec<u8> {
    let mut out = vec![0x0c, text.len() as u8];
    out.extend_from_slice(text.as_bytes());
    out
}

/// What a leaf carries.
#[derive(Clone)]
pub(crate) struct Spec {
    pub issuer_v1: Option<Vec<u8>>,
    pub issuer_v2: Option<Vec<u8>>,
    pub emails: Vec<&'static str>,
    pub uris: Vec<&'static str>,
    pub code_signing: bool,
    pub digital_signature: bool,
    pub twice: bool,
    pub from: i64,
    pub to: i64,
    pub extra: Vec<(&'static str, Vec<u8>)>,
    pub serial: u32,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            issuer_v1: Some(ISSUER.as_bytes().to_vec()),
            issuer_v2: Some(utf8_string(ISSUER)),
            emails: vec!["alice@example.org"],
            uris: vec![],
            code_signing: true,
            digital_signature: true,
            twice: false,
            from: AT - 60,
            to: AT + 540,
            extra: vec![],
            serial: rand_u32(),
        }
    }
}

pub(crate) fn leaf_with_key(spec: &Spec, ca: &Ca, key: &PKey<Private>) -> X509 {
    let mut b = builder_with_serial("", Some(ca), key, spec.from, spec.to, spec.serial);
    if !spec.emails.is_empty() || !spec.uris.is_empty() {
        let mut san = SubjectAlternativeName::new();
        san.critical();
        for e in &spec.emails {
            san.email(e);
        }
        for u in &spec.uris {
            san.uri(u);
        }
        let ext = san.build(&b.x509v3_context(Some(&ca.cert), None)).unwrap();
        b.append_extension(ext).unwrap();
    }
    let mut ku = KuExt::new();
    ku.critical();
    if spec.digital_signature {
        ku.digital_signature();
    } else {
        ku.key_encipherment();
    }
    b.append_extension(ku.build().unwrap()).unwrap();
    let mut eku = EkuExt::new();
    if spec.code_signing {
        eku.code_signing();
    } else {
        eku.email_protection();
    }
    b.append_extension(eku.build().unwrap()).unwrap();
    if let Some(v1) = &spec.issuer_v1 {
        b.append_extension(raw_ext("1.3.6.1.4.1.57264.1.1", v1))
            .unwrap();
        if spec.twice {
            b.append_extension(raw_ext("1.3.6.1.4.1.57264.1.1", v1))
                .unwrap();
        }
    }
    if let Some(v2) = &spec.issuer_v2 {
        b.append_extension(raw_ext("1.3.6.1.4.1.57264.1.8", v2))
            .unwrap();
    }
    for (oid, value) in &spec.extra {
        b.append_extension(raw_ext(oid, value)).unwrap();
    }
    b.sign(&ca.key, MessageDigest::sha256()).unwrap();
    b.build()
}

pub(crate) fn leaf(spec: &Spec, ca: &Ca) -> Vec<u8> {
    leaf_with_key(spec, ca, &p256()).to_der().unwrap()
}

pub(crate) fn authority(chain: &[&Ca], valid_for: Validity) -> CertificateAuthority {
    CertificateAuthority {
        chain_der: chain.iter().map(|c| c.cert.to_der().unwrap()).collect(),
        valid_for,
        uri: "https://fulcio.example.test".into(),
    }
}

pub(crate) const OPEN: Validity = Validity {
    start: 0,
    end: None,
};

#[test]
fn parses_a_fulcio_leaf() {
    let root = ca("root", None, None);
    let key = p256();
    let cert = leaf_with_key(&Spec::default(), &root, &key);
    let der = cert.to_der().unwrap();
    let leaf = Leaf::parse(&der).unwrap();
    assert_eq!(leaf.issuer, ISSUER);
    assert_eq!(leaf.identity, Identity::Email("alice@example.org".into()));
    assert_eq!((leaf.not_before, leaf.not_after), (AT - 60, AT + 540));
    assert!(leaf.code_signing && leaf.digital_signature);
    assert_eq!(
        leaf.public_key.spki_der(),
        key.public_key_to_der().unwrap().as_slice()
    );
    let pem = cert.to_pem().unwrap();
    assert_eq!(Leaf::from_pem(&pem).unwrap(), leaf);
    assert!(matches!(
        Leaf::from_pem(&[pem.clone(), pem].concat()),
        Err(LeafError::Blocks(2))
    ));
}

#[test]
fn issuer_rules() {
    let root = ca("root", None, None);
    let only_v1 = Spec {
        issuer_v2: None,
        ..Spec::default()
    };
    assert_eq!(Leaf::parse(&leaf(&only_v1, &root)).unwrap().issuer, ISSUER);
    let only_v2 = Spec {
        issuer_v1: None,
        ..Spec::default()
    };
    assert_eq!(Leaf::parse(&leaf(&only_v2, &root)).unwrap().issuer, ISSUER);
    let neither = Spec {
        issuer_v1: None,
        issuer_v2: None,
        ..Spec::default()
    };
    assert_eq!(
        Leaf::parse(&leaf(&neither, &root)),
        Err(LeafError::NoIssuer)
    );
    let differ = Spec {
        issuer_v1: Some(b"https://other.test".to_vec()),
        ..Spec::default()
    };
    assert!(matches!(
        Leaf::parse(&leaf(&differ, &root)),
        Err(LeafError::IssuerDisagrees { .. })
    ));
    let raw_v2 = Spec {
        issuer_v2: Some(ISSUER.as_bytes().to_vec()),
        ..Spec::default()
    };
    assert_eq!(
        Leaf::parse(&leaf(&raw_v2, &root)),
        Err(LeafError::IssuerV2Malformed)
    );
    let mut trailing = utf8_string(ISSUER);
    trailing.push(0);
    let trailing = Spec {
        issuer_v2: Some(trailing),
        ..Spec::default()
    };
    assert_eq!(
        Leaf::parse(&leaf(&trailing, &root)),
        Err(LeafError::IssuerV2Malformed)
    );
    let binary = Spec {
        issuer_v1: Some(vec![0xff, 0xfe]),
        issuer_v2: None,
        ..Spec::default()
    };
    assert_eq!(
        Leaf::parse(&leaf(&binary, &root)),
        Err(LeafError::IssuerV1NotText)
    );
}

#[test]
fn identity_rules_and_duplicates() {
    let root = ca("root", None, None);
    let uri = Spec {
        emails: vec![],
        uris: vec!["https://github.com/o/r/.github/workflows/w.yml@refs/heads/main"],
        ..Spec::default()
    };
    assert_eq!(
        Leaf::parse(&leaf(&uri, &root)).unwrap().identity,
        Identity::Uri("https://github.com/o/r/.github/workflows/w.yml@refs/heads/main".into())
    );
    let two = Spec {
        emails: vec!["a@example.org", "b@example.org"],
        ..Spec::default()
    };
    assert_eq!(
        Leaf::parse(&leaf(&two, &root)),
        Err(LeafError::SeveralIdentities(2))
    );
    let mixed = Spec {
        uris: vec!["https://x.test"],
        ..Spec::default()
    };
    assert_eq!(
        Leaf::parse(&leaf(&mixed, &root)),
        Err(LeafError::SeveralIdentities(2))
    );
    let none = Spec {
        emails: vec![],
        ..Spec::default()
    };
    assert_eq!(Leaf::parse(&leaf(&none, &root)), Err(LeafError::NoIdentity));
    let twice = Spec {
        twice: true,
        ..Spec::default()
    };
    assert_eq!(
        Leaf::parse(&leaf(&twice, &root)),
        Err(LeafError::DuplicateExtension(
            "1.3.6.1.4.1.57264.1.1".into()
        ))
    );
    let flags = Spec {
        code_signing: false,
        digital_signature: false,
        ..Spec::default()
    };
    let parsed = Leaf::parse(&leaf(&flags, &root)).unwrap();
    assert!(!parsed.code_signing && !parsed.digital_signature);
    assert!(matches!(
        Leaf::parse(b"\x30\x03\x02\x01\x00"),
        Err(LeafError::Der(_))
    ));
    let mut trailing = leaf(&Spec::default(), &root);
    trailing.push(0);
    assert!(matches!(Leaf::parse(&trailing), Err(LeafError::Der(_))));
}

#[test]
fn chains_to_a_trusted_authority_at_the_time() {
    let root = ca("root", None, None);
    let inter = ca(
        "intermediate",
        Some(&root),
        Some({
            let mut e = EkuExt::new();
            e.code_signing();
            e
        }),
    );
    let der = leaf(&Spec::default(), &inter);
    let trusted = authority(&[&inter, &root], OPEN);
    let other_root = ca("other", None, None);
    let other = authority(&[&other_root], OPEN);
    assert_eq!(
        verify_chain(&der, &[], &[other.clone(), trusted.clone()], AT),
        Ok(1)
    );
    // Outside the leaf's window.
    assert!(matches!(
        verify_chain(&der, &[], std::slice::from_ref(&trusted), AT + 541),
        Err(ChainError::LeafNotValidAt { .. })
    ));
    assert!(matches!(
        verify_chain(&der, &[], std::slice::from_ref(&trusted), AT - 61),
        Err(ChainError::LeafNotValidAt { .. })
    ));
    // The authority's window.
    let closed = authority(
        &[&inter, &root],
        Validity {
            start: 0,
            end: Some(AT - 1),
        },
    );
    assert_eq!(
        verify_chain(&der, &[], &[closed], AT),
        Err(ChainError::NoAuthorityAt(AT))
    );
    // Another root alone does not do.
    assert!(matches!(
        verify_chain(&der, &[], &[other], AT),
        Err(ChainError::Untrusted(_))
    ));
    // Only the root trusted: the carried intermediate completes the path; the carried root is dropped.
    let root_only = authority(&[&root], OPEN);
    let carried = vec![inter.cert.to_der().unwrap(), root.cert.to_der().unwrap()];
    assert_eq!(
        verify_chain(&der, &carried, std::slice::from_ref(&root_only), AT),
        Ok(0)
    );
    assert!(matches!(
        verify_chain(&der, &[], std::slice::from_ref(&root_only), AT),
        Err(ChainError::Untrusted(_))
    ));
    // A chain of one (the intermediate alone) is a carried root: dropped, so no path.
    let alone = vec![inter.cert.to_der().unwrap()];
    assert!(matches!(
        verify_chain(&der, &alone, std::slice::from_ref(&root_only), AT),
        Err(ChainError::Untrusted(_))
    ));
    // The carried root is never trusted: a self-signed root the signer brings, with its own leaf.
    let rogue = ca("rogue", None, None);
    let rogue_leaf = leaf(&Spec::default(), &rogue);
    let rogue_chain = vec![rogue.cert.to_der().unwrap(), rogue.cert.to_der().unwrap()];
    assert!(matches!(
        verify_chain(&rogue_leaf, &rogue_chain, &[root_only], AT),
        Err(ChainError::Untrusted(_))
    ));
    // EKU and KU on the leaf.
    let no_cs = leaf(
        &Spec {
            code_signing: false,
            ..Spec::default()
        },
        &inter,
    );
    assert_eq!(
        verify_chain(&no_cs, &[], std::slice::from_ref(&trusted), AT),
        Err(ChainError::NotCodeSigning)
    );
    let no_ds = leaf(
        &Spec {
            digital_signature: false,
            ..Spec::default()
        },
        &inter,
    );
    assert_eq!(
        verify_chain(&no_ds, &[], std::slice::from_ref(&trusted), AT),
        Err(ChainError::NotDigitalSignature)
    );
    assert!(matches!(
        verify_chain(&der, &[b"junk".to_vec(), vec![]], &[trusted], AT),
        Err(ChainError::CarriedCertificate(0))
    ));
}

#[test]
fn the_path_must_run_through_the_authoritys_chain_and_permit_code_signing() {
    let root = ca("root", None, None);
    let inter_a = ca("intermediate a", Some(&root), None);
    let inter_b = ca("intermediate b", Some(&root), None);
    // The authority names intermediate A; a leaf of B, B carried, reaches the same root.
    let leaf_b = leaf(&Spec::default(), &inter_b);
    let carried = vec![inter_b.cert.to_der().unwrap(), root.cert.to_der().unwrap()];
    let only_a = authority(&[&inter_a, &root], OPEN);
    assert!(matches!(
        verify_chain(&leaf_b, &carried, &[only_a], AT),
        Err(ChainError::Untrusted(_))
    ));
    // An intermediate whose EKU leaves out codeSigning.
    let email_only = ca(
        "email only",
        Some(&root),
        Some({
            let mut e = EkuExt::new();
            e.email_protection();
            e
        }),
    );
    let der = leaf(&Spec::default(), &email_only);
    let trusted = authority(&[&email_only, &root], OPEN);
    assert_eq!(
        verify_chain(&der, &[], &[trusted], AT),
        Err(ChainError::CaNotCodeSigning)
    );
}
