#!/usr/bin/env python3
"""A local Fulcio CA, a CT log and a Fulcio-style leaf with an embedded SCT, made with Python
`cryptography` as the brief's sketch does (its precertificate bytes come from cryptography's
own `tbs_precertificate_bytes`, independent of quorate's DER walk).

  fulcio_fixture.py OUTDIR
writes ca.der, leaf.der, ct.spki.der and at (the SCT time, Unix seconds) into OUTDIR.
"""
import datetime
import hashlib
import os
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

ISSUER = "https://issuer.example.test"
DER = serialization.Encoding.DER
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo


def spki(key):
    return key.public_key().public_bytes(DER, SPKI)


def der_octets(body):
    n = len(body)
    if n < 128:
        length = bytes([n])
    elif n < 256:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82, n >> 8, n & 0xFF])
    return b"\x04" + length + body


def main(out):
    ca = ec.generate_private_key(ec.SECP256R1())
    ct = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime(2025, 6, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "fulcio.example.test")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ca.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=365))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca, hashes.SHA256())
    )
    serial = x509.random_serial_number()

    def leaf_builder():
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(name)
            .public_key(leaf_key.public_key())
            .serial_number(serial)
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(minutes=10))
            .add_extension(
                x509.SubjectAlternativeName([x509.RFC822Name("alice@example.org")]), critical=True
            )
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()), critical=False
            )
            .add_extension(
                x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.57264.1.1"), ISSUER.encode()),
                critical=False,
            )
            .add_extension(
                x509.UnrecognizedExtension(
                    ObjectIdentifier("1.3.6.1.4.1.57264.1.8"),
                    b"\x0c" + bytes([len(ISSUER)]) + ISSUER.encode(),
                ),
                critical=False,
            )
        )

    tbs = leaf_builder().sign(ca, hashes.SHA256()).tbs_certificate_bytes
    ms = int(now.timestamp() * 1000) + 5000
    u16 = lambda n: struct.pack("!H", n)
    signed = (
        struct.pack("!BBQH", 0, 0, ms, 1)
        + hashlib.sha256(spki(ca)).digest()
        + struct.pack("!I", len(tbs))[1:]
        + tbs
        + u16(0)
    )
    sig = ct.sign(signed, ec.ECDSA(hashes.SHA256()))
    sct = b"\0" + hashlib.sha256(spki(ct)).digest() + struct.pack("!Q", ms) + u16(0) + b"\x04\x03"
    sct += u16(len(sig)) + sig
    sct_list = u16(len(sct) + 2) + u16(len(sct)) + sct
    leaf = (
        leaf_builder()
        .add_extension(
            x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2"), der_octets(sct_list)),
            critical=False,
        )
        .sign(ca, hashes.SHA256())
    )
    assert leaf.tbs_precertificate_bytes == tbs
    for file, data in [
        ("ca.der", ca_cert.public_bytes(DER)),
        ("leaf.der", leaf.public_bytes(DER)),
        ("ct.spki.der", spki(ct)),
        ("at", str(ms // 1000).encode()),
    ]:
        with open(os.path.join(out, file), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
