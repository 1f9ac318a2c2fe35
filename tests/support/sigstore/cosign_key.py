#!/usr/bin/env python3
"""cosign's encrypted private key file, written and read the way cosign does it
(go-securesystemslib `encrypted`: scrypt, then nacl/secretbox over PKCS#8 DER), with Python
`cryptography` and PyNaCl: quorate's interop oracle (tests/sigstore_keys.rs).

  cosign_key.py write OUT LABEL N PASSPHRASE   write a new P-256 key; print its public PEM
  cosign_key.py read FILE PASSPHRASE           decrypt; print the public PEM (exit 3: wrong passphrase)
  cosign_key.py verify PUBPEM MESSAGE SIGFILE  exit 0 when SIGFILE (DER) is the key's ECDSA-SHA256 signature
"""
import base64
import hashlib
import json
import os
import sys

import nacl.exceptions
import nacl.secret
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

LABELS = {"SIGSTORE": "ENCRYPTED SIGSTORE PRIVATE KEY", "COSIGN": "ENCRYPTED COSIGN PRIVATE KEY"}


def b64(data):
    return base64.b64encode(data).decode()


def pem_wrap(data, label):
    body = b64(data)
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)).encode()


def pem_unwrap(text):
    lines = text.decode().strip().splitlines()
    assert lines[0].startswith("-----BEGIN ") and lines[-1].startswith("-----END "), "not PEM"
    return base64.b64decode("".join(lines[1:-1]))


def scrypt(passphrase, salt, n, r, p):
    return hashlib.scrypt(passphrase, salt=salt, n=n, r=r, p=p, dklen=32, maxmem=1 << 28)


def public_pem(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def write(out, label, n, passphrase):
    key = ec.generate_private_key(ec.SECP256R1())
    salt, nonce = os.urandom(32), os.urandom(24)
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    ct = nacl.secret.SecretBox(scrypt(passphrase, salt, n, 8, 1)).encrypt(der, nonce).ciphertext
    doc = {
        "kdf": {"name": "scrypt", "params": {"N": n, "r": 8, "p": 1}, "salt": b64(salt)},
        "cipher": {"name": "nacl/secretbox", "nonce": b64(nonce)},
        "ciphertext": b64(ct),
    }
    with open(out, "wb") as f:
        f.write(pem_wrap(json.dumps(doc).encode(), LABELS[label]))
    sys.stdout.buffer.write(public_pem(key))


def read(path, passphrase):
    with open(path, "rb") as f:
        doc = json.loads(pem_unwrap(f.read()))
    assert doc["kdf"]["name"] == "scrypt" and doc["cipher"]["name"] == "nacl/secretbox"
    params = doc["kdf"]["params"]
    key = scrypt(passphrase, base64.b64decode(doc["kdf"]["salt"]), params["N"], params["r"], params["p"])
    try:
        der = nacl.secret.SecretBox(key).decrypt(
            base64.b64decode(doc["ciphertext"]), base64.b64decode(doc["cipher"]["nonce"])
        )
    except nacl.exceptions.CryptoError:
        sys.exit(3)
    sys.stdout.buffer.write(public_pem(serialization.load_der_private_key(der, None)))


def verify(pub_path, message, sig_path):
    with open(pub_path, "rb") as f:
        public = serialization.load_pem_public_key(f.read())
    with open(sig_path, "rb") as f:
        signature = f.read()
    public.verify(signature, message.encode(), ec.ECDSA(hashes.SHA256()))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "write":
        write(args[0], args[1], int(args[2]), args[3].encode())
    elif cmd == "read":
        read(args[0], args[1].encode())
    elif cmd == "verify":
        verify(args[0], args[1], args[2])
    else:
        sys.exit("unknown command " + cmd)
