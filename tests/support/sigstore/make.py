#!/usr/bin/env python3
"""Writes a self-contained offline Sigstore world and votes made by it, independent of quorate.

    make.py OUT_DIR sha256:<hex> REPOSITORY

Needs Python 3 with `cryptography` and `pynacl` only. OUT_DIR gets:
  trusted_root.json          Fulcio-like CA (root + intermediate), CT log key, Rekor key, each with validFor
  foreign_trusted_root.json  another world's root (its CA, CT log and Rekor key)
  trusted_root_without_intermediate.json  this world with the root CA only (the chain annotation completes it)
  client_trust_config.json   trusted root + signing config for sigstore-python's CLI (`--trust-config`)
  people/<name>/             cosign.pub, encrypted cosign private keys (both PEM labels, N 32768 and 65536),
                             passphrase
  votes/                     one file per vote (legacy lookaside form, bundles v0.3, blob bundles, mutations)
  manifest.json              digest, repository, other_digest, the roots above, rekor_log_id, signed_at,
                             integrated_time, people {name: cosign_pub, key_id, passphrase_file,
                             private_keys {file: {label, N}}, identity?, issuer?}, votes [{file, kind, person,
                             verdict, oracle, digest, repository, key_id | identity+issuer, payload?, proof?}]
Vote kinds: legacy-key, legacy-keyless (`\x00sigstore-json\n` + JSON, as containers/image stores a sigstore
signature), bundle-dsse-key, bundle-dsse-keyless (cosign v3 bundles v0.3), bundle-message-key,
bundle-message-keyless (cosign sign-blob --bundle over votes/payload.json). `verdict` is `counts` or the reason
the vote must not count; `oracle` is what sigstore-python is expected to say (`accepts` where it is blind: it
reads only the issuer OID .1.1). `proof` is the inclusion proof a Rekor lookup returns for a legacy vote's SET
(the legacy form carries none). The Rekor log is one Merkle tree over every vote's body (RFC 6962 proofs).
Each run makes fresh keys; the times are fixed (SIGNED_AT), far from the run's clock.
"""

import base64
import datetime
import hashlib
import json
import os
import struct
import sys

import nacl.secret
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

UTC = datetime.timezone.utc
# Votes are signed at this fixed time; the CAs cover 2025..2035, the leaves 10 minutes from it.
SIGNED_AT = datetime.datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
WORLD_START = datetime.datetime(2025, 1, 1, tzinfo=UTC)
WORLD_END = datetime.datetime(2035, 1, 1, tzinfo=UTC)
ISSUER = "https://issuer.example.test"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
BOB = "bob@example.org"
CAROL = "https://github.com/team/repo/.github/workflows/release.yml@refs/heads/main"
PASSPHRASE = b"correct horse battery staple"
OID_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OID_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
OID_SCT_LIST = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
LEGACY_PREFIX = b"\x00sigstore-json\n"
SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
INTOTO = "application/vnd.in-toto+json"
BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
ECDSA = ec.ECDSA(hashes.SHA256())
DER = serialization.Encoding.DER
PEM = serialization.Encoding.PEM
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo


def b64(data):
    return base64.b64encode(data).decode()


def sha(data):
    return hashlib.sha256(data).digest()


def cjson(value):
    # Canonical JSON (RFC 8785 for these ASCII strings and integers).
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def spki(key):
    public = key.public_key() if hasattr(key, "public_key") else key
    return public.public_bytes(DER, SPKI)


def pub_pem(key):
    return key.public_key().public_bytes(PEM, SPKI)


def der_length(n):
    if n < 128:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def der_octets(data):
    return b"\x04" + der_length(len(data)) + data


def u16(n):
    return struct.pack("!H", n)


def u24(n):
    return struct.pack("!I", n)[1:]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def unix(t):
    return int(t.timestamp())


# ---------------------------------------------------------------- the world: CA, CT log, Rekor


class World:
    """A Fulcio-like CA (root, intermediate), a CT log key and a Rekor log with its entries."""

    def __init__(self, name):
        self.name = name
        self.root_key, self.inter_key = new_key(), new_key()
        self.ct_key, self.rekor_key = new_key(), new_key()
        root_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                               x509.NameAttribute(NameOID.COMMON_NAME, f"{name} root")])
        inter_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                                x509.NameAttribute(NameOID.COMMON_NAME, f"{name} intermediate")])
        self.root = self._ca(root_name, root_name, self.root_key, self.root_key, None)
        self.inter = self._ca(inter_name, root_name, self.inter_key, self.root_key, 0)
        self.log_id = sha(spki(self.rekor_key))
        self.ct_log_id = sha(spki(self.ct_key))
        self.origin = f"rekor.{name}.test - 1193050959916656506"
        self.bodies = []

    @staticmethod
    def _ca(subject, issuer, key, signer, path_length):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(WORLD_START).not_valid_after(WORLD_END)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False,
                                                key_agreement=False, key_cert_sign=True, crl_sign=True,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
        if signer is not key:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
        return builder.sign(signer, hashes.SHA256())

    def leaf(self, san, issuer_v1, issuer_v2, not_before, key, sct_key="own", eku=ExtendedKeyUsageOID.CODE_SIGNING):
        """A Fulcio-like leaf for `key` with an embedded SCT from this world's CT log (or from `sct_key`;
        None: no SCT)."""
        serial = x509.random_serial_number()

        def builder():
            general = x509.RFC822Name(san) if "@" in san and "://" not in san \
                else x509.UniformResourceIdentifier(san)
            b = (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(self.inter.subject)
                 .public_key(key.public_key()).serial_number(serial)
                 .not_valid_before(not_before).not_valid_after(not_before + datetime.timedelta(minutes=10))
                 .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                              key_encipherment=False, data_encipherment=False,
                                              key_agreement=False, key_cert_sign=False, crl_sign=False,
                                              encipher_only=False, decipher_only=False), critical=True)
                 .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
                 .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                 .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.inter_key.public_key()),
                                critical=False)
                 .add_extension(x509.SubjectAlternativeName([general]), critical=True))
            if issuer_v1 is not None:
                b = b.add_extension(x509.UnrecognizedExtension(OID_ISSUER_V1, issuer_v1.encode()), critical=False)
            if issuer_v2 is not None:
                raw = issuer_v2.encode()
                b = b.add_extension(x509.UnrecognizedExtension(OID_ISSUER_V2, b"\x0c" + der_length(len(raw)) + raw),
                                    critical=False)
            return b

        if sct_key is None:
            return builder().sign(self.inter_key, hashes.SHA256())
        sct_key = self.ct_key if sct_key == "own" else sct_key
        tbs = builder().sign(self.inter_key, hashes.SHA256()).tbs_certificate_bytes
        ms = unix(not_before) * 1000 + 250
        signed = struct.pack("!BBQH", 0, 0, ms, 1) + sha(spki(self.inter_key)) + u24(len(tbs)) + tbs + u16(0)
        sig = sct_key.sign(signed, ECDSA)
        sct = b"\x00" + sha(spki(sct_key)) + struct.pack("!Q", ms) + u16(0) + b"\x04\x03" + u16(len(sig)) + sig
        sct_list = u16(len(sct) + 2) + u16(len(sct)) + sct
        cert = builder().add_extension(x509.UnrecognizedExtension(OID_SCT_LIST, der_octets(sct_list)),
                                       critical=False).sign(self.inter_key, hashes.SHA256())
        assert cert.tbs_precertificate_bytes == tbs
        return cert

    def log(self, body):
        """Appends a body to this world's Rekor log; returns its index."""
        self.bodies.append(body)
        return len(self.bodies) - 1

    def entry(self, index, integrated_time, kind, set_key=None, checkpoint_key=None, tamper_proof=False):
        """The bundle's tlogEntries[0] for entry `index` (call after every entry is logged)."""
        body = self.bodies[index]
        root, path = merkle_root(self.bodies), merkle_path(index, self.bodies)
        if tamper_proof:
            path[0] = sha(b"not the sibling" + path[0])
        size = len(self.bodies)
        note = f"{self.origin}\n{size}\n{b64(root)}\n"
        checkpoint = note + "\n\u2014 " + self.origin.split(" ")[0] + " " + \
            b64(self.log_id[:4] + (checkpoint_key or self.rekor_key).sign(note.encode(), ECDSA)) + "\n"
        set_payload = {"body": b64(body), "integratedTime": integrated_time,
                       "logID": self.log_id.hex(), "logIndex": index}
        set_sig = (set_key or self.rekor_key).sign(cjson(set_payload), ECDSA)
        return {
            "logIndex": str(index),
            "logId": {"keyId": b64(self.log_id)},
            "kindVersion": {"kind": kind, "version": "0.0.1"},
            "integratedTime": str(integrated_time),
            "inclusionPromise": {"signedEntryTimestamp": b64(set_sig)},
            "inclusionProof": {"logIndex": str(index), "rootHash": b64(root), "treeSize": str(size),
                               "hashes": [b64(h) for h in path], "checkpoint": {"envelope": checkpoint}},
            "canonicalizedBody": b64(body),
        }

    def trusted_root(self, with_intermediate=True):
        def log_key(key, log_id, url):
            return {"baseUrl": url, "hashAlgorithm": "SHA2_256",
                    "publicKey": {"rawBytes": b64(spki(key)), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                                  "validFor": {"start": iso(WORLD_START)}},
                    "logId": {"keyId": b64(log_id)}}
        return {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log_key(self.rekor_key, self.log_id, f"https://rekor.{self.name}.test")],
            "certificateAuthorities": [{
                "subject": {"organization": self.name, "commonName": f"{self.name} intermediate"},
                "uri": f"https://fulcio.{self.name}.test",
                "certChain": {"certificates": [{"rawBytes": b64(c.public_bytes(DER))}
                                               for c in ((self.inter, self.root) if with_intermediate
                                                         else (self.root,))]},
                "validFor": {"start": iso(WORLD_START)},
            }],
            "ctlogs": [log_key(self.ct_key, self.ct_log_id, f"https://ctfe.{self.name}.test")],
            "timestampAuthorities": [],
        }

    def client_trust_config(self):
        """A ClientTrustConfig for sigstore-python's CLI (`--trust-config`), URLs never contacted."""
        def service(url):
            return {"url": url, "majorApiVersion": 1, "validFor": {"start": iso(WORLD_START)},
                    "operator": f"{self.name}.test"}
        return {
            "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
            "trustedRoot": self.trusted_root(),
            "signingConfig": {
                "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
                "caUrls": [service(f"https://fulcio.{self.name}.test")],
                "oidcUrls": [service(f"https://oauth2.{self.name}.test")],
                "rekorTlogUrls": [service(f"https://rekor.{self.name}.test")],
                "rekorTlogConfig": {"selector": "ANY"},
                "tsaUrls": [],
                "tsaConfig": {"selector": "ANY"},
            },
        }


def leaf_hash(body):
    return sha(b"\x00" + body)


def node_hash(left, right):
    return sha(b"\x01" + left + right)


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def merkle_root(leaves):
    # RFC 6962 MTH.
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = split(len(leaves))
    return node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def merkle_path(m, leaves):
    # RFC 6962 PATH(m, D[n]), leaf-most sibling first.
    if len(leaves) == 1:
        return []
    k = split(len(leaves))
    if m < k:
        return merkle_path(m, leaves[:k]) + [merkle_root(leaves[k:])]
    return merkle_path(m - k, leaves[k:]) + [merkle_root(leaves[:k])]


# ---------------------------------------------------------------- cosign key files


def pem_wrap(data, label):
    text = b64(data)
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    return (f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n").encode()


def cosign_private_key(key, passphrase, n, label):
    """The encrypted private key file cosign writes (scrypt + nacl/secretbox over PKCS#8 DER)."""
    salt, nonce = os.urandom(32), os.urandom(24)
    der = key.private_bytes(DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    box_key = hashlib.scrypt(passphrase, salt=salt, n=n, r=8, p=1, dklen=32, maxmem=1 << 28)
    ciphertext = nacl.secret.SecretBox(box_key).encrypt(der, nonce).ciphertext
    doc = {"kdf": {"name": "scrypt", "params": {"N": n, "r": 8, "p": 1}, "salt": b64(salt)},
           "cipher": {"name": "nacl/secretbox", "nonce": b64(nonce)}, "ciphertext": b64(ciphertext)}
    return pem_wrap(json.dumps(doc).encode(), label)


def key_id(key):
    return "sha256:" + hashlib.sha256(spki(key)).hexdigest()


# ---------------------------------------------------------------- payloads and bodies


def simple_signing(repository, digest):
    return json.dumps({"critical": {"identity": {"docker-reference": repository},
                                    "image": {"docker-manifest-digest": digest},
                                    "type": "cosign container image signature"},
                       "optional": None}, separators=(",", ":")).encode()


def statement(digest, name=None, predicate_type="https://sigstore.dev/cosign/sign/v1"):
    subject = {"digest": {"sha256": digest.removeprefix("sha256:")}}
    if name is not None:
        subject = {"name": name, **subject}
    return json.dumps({"_type": "https://in-toto.io/Statement/v1", "subject": [subject],
                       "predicateType": predicate_type, "predicate": {}},
                      separators=(",", ":")).encode()


def pae(payload_type, payload):
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def hashedrekord(payload, signature, verifier_pem):
    return cjson({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
        "data": {"hash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()}},
        "signature": {"content": b64(signature), "publicKey": {"content": b64(verifier_pem)}}}})


def dsse_body(envelope_json, payload, signature, verifier_pem):
    return cjson({"apiVersion": "0.0.1", "kind": "dsse", "spec": {
        "envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(envelope_json).hexdigest()},
        "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
        "signatures": [{"signature": b64(signature), "verifier": b64(verifier_pem)}]}})


# ---------------------------------------------------------------- main


def main():
    if len(sys.argv) != 4 or not sys.argv[2].startswith("sha256:") or len(sys.argv[2]) != 71:
        sys.exit("usage: make.py OUT_DIR sha256:<64 hex> REPOSITORY")
    out, digest, repository = sys.argv[1], sys.argv[2], sys.argv[3]
    other_digest = "sha256:" + hashlib.sha256(b"another image " + digest.encode()).hexdigest()
    os.makedirs(os.path.join(out, "votes"), exist_ok=True)

    def write(rel, data):
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return rel

    world, foreign = World("sigstore-test"), World("foreign")
    write("trusted_root.json", json.dumps(world.trusted_root(), indent=2))
    write("foreign_trusted_root.json", json.dumps(foreign.trusted_root(), indent=2))
    # The same world naming only the root CA: legacy votes complete the path with their chain annotation
    # (containers/image allows it); bundles v0.3 carry the leaf alone and cannot.
    write("trusted_root_without_intermediate.json", json.dumps(world.trusted_root(False), indent=2))
    write("client_trust_config.json", json.dumps(world.client_trust_config(), indent=2))

    # People: everyone gets a cosign key pair; bob and carol vote keyless.
    people, keys = {}, {}
    for name in ("alice", "bob", "carol"):
        key = keys[name] = new_key()
        write(f"people/{name}/cosign.pub", pub_pem(key))
        write(f"people/{name}/passphrase", PASSPHRASE)
        files = {}
        # Both labels, both N; alice gets every combination, the others the cosign >= 2.2 default.
        combos = [("ENCRYPTED SIGSTORE PRIVATE KEY", 65536), ("ENCRYPTED COSIGN PRIVATE KEY", 32768)]
        if name == "alice":
            combos += [("ENCRYPTED SIGSTORE PRIVATE KEY", 32768), ("ENCRYPTED COSIGN PRIVATE KEY", 65536)]
        for label, n in combos:
            rel = f"people/{name}/cosign-{label.split()[1].lower()}-{n}.key"
            files[rel] = {"label": label, "N": n}
            write(rel, cosign_private_key(key, PASSPHRASE, n, label))
        people[name] = {"cosign_pub": f"people/{name}/cosign.pub", "key_id": key_id(key),
                        "passphrase_file": f"people/{name}/passphrase", "private_keys": files}
    people["bob"].update(identity=BOB, issuer=ISSUER)
    people["carol"].update(identity=CAROL, issuer=GITHUB_ISSUER)
    stranger = new_key()

    votes = []      # manifest entries
    finish = []     # writers run once every log entry exists (proofs need the final tree)
    integrated = unix(SIGNED_AT) + 60

    def vote(file, kind, person, verdict, oracle, vote_digest=digest, **extra):
        votes.append({"file": f"votes/{file}", "kind": kind, "person": person, "verdict": verdict,
                      "oracle": oracle, "digest": vote_digest, "repository": repository, **extra})

    def legacy_file(payload, signature, annotations):
        doc = {"mimeType": SIMPLE_SIGNING, "payload": b64(payload),
               "annotations": {"dev.cosignproject.cosign/signature": b64(signature), **annotations}}
        return LEGACY_PREFIX + json.dumps(doc, separators=(",", ":")).encode()

    def set_annotation(w, index, t, set_key=None):
        e = w.entry(index, t, "hashedrekord", set_key)
        return json.dumps({"SignedEntryTimestamp": e["inclusionPromise"]["signedEntryTimestamp"],
                           "Payload": {"body": e["canonicalizedBody"], "integratedTime": t,
                                       "logIndex": index, "logID": w.log_id.hex()}},
                          separators=(",", ":"))

    def proof_file(name, w, index, t):
        # What a Rekor lookup adds to a legacy vote: the inclusion proof the SET does not carry.
        e = w.entry(index, t, "hashedrekord")
        return write(f"votes/{name}.proof.json", json.dumps(e["inclusionProof"], indent=2))

    # ---- legacy cosign-key votes (alice)
    def legacy_key(name, person, key, verdict, oracle, with_set, payload=None, signed=None, vote_digest=digest,
                   foreign_set=False):
        signed = signed or simple_signing(repository, vote_digest)
        payload = payload or signed
        sig = key.sign(signed, ECDSA)
        if with_set:
            index = world.log(hashedrekord(signed, sig, pub_pem(key)))

            def done():
                ann = {"dev.sigstore.cosign/bundle": set_annotation(
                    world, index, integrated, foreign.rekor_key if foreign_set else None)}
                write(f"votes/{name}", legacy_file(payload, sig, ann))
            finish.append(done)
            finish.append(lambda: proof_file(name, world, index, integrated))
            extra = {"proof": f"votes/{name}.proof.json"}
        else:
            extra = {}
            write(f"votes/{name}", legacy_file(payload, sig, {}))
        vote(name, "legacy-key", person, verdict, oracle, vote_digest, key_id=people[person]["key_id"], **extra)

    legacy_key("legacy-alice-key.sig", "alice", keys["alice"], "counts", "accepts", False)
    legacy_key("legacy-alice-key-set.sig", "alice", keys["alice"], "counts", "accepts", True)
    legacy_key("mutation-legacy-alice-other-key.sig", "alice", stranger, "signature-invalid", "refuses", True)
    legacy_key("mutation-legacy-alice-payload-changed.sig", "alice", keys["alice"], "signature-invalid",
               "refuses", True, payload=simple_signing(repository, digest).replace(b'"optional":null',
                                                                                    b'"optional":{}'))
    legacy_key("mutation-legacy-alice-another-digest.sig", "alice", keys["alice"], "another-digest", "refuses",
               True, vote_digest=other_digest)
    legacy_key("mutation-legacy-alice-set-foreign-rekor.sig", "alice", keys["alice"], "set-invalid", "refuses",
               True, foreign_set=True)

    # ---- legacy keyless votes
    def legacy_keyless(name, person, verdict, oracle, w=world, san=None, issuer=None, vote_digest=digest,
                       payload=None, foreign_set=False, other_body=False):
        p = people[person]
        key = new_key()
        cert = w.leaf(san or p["identity"], issuer or p["issuer"], issuer or p["issuer"], SIGNED_AT, key)
        cert_pem = cert.public_bytes(PEM)
        signed = simple_signing(repository, vote_digest)
        sig = key.sign(signed, ECDSA)
        logged_sig = key.sign(signed, ECDSA) if other_body else sig
        index = world.log(hashedrekord(signed, logged_sig, cert_pem))
        chain = (w.inter.public_bytes(PEM) + w.root.public_bytes(PEM)).decode()

        def done():
            ann = {"dev.sigstore.cosign/certificate": cert_pem.decode(), "dev.sigstore.cosign/chain": chain,
                   "dev.sigstore.cosign/bundle": set_annotation(world, index, integrated,
                                                                foreign.rekor_key if foreign_set else None)}
            write(f"votes/{name}", legacy_file(payload or signed, sig, ann))
        finish.append(done)
        finish.append(lambda: proof_file(name, world, index, integrated))
        vote(name, "legacy-keyless", person, verdict, oracle, vote_digest, identity=p["identity"],
             issuer=p["issuer"], proof=f"votes/{name}.proof.json")

    legacy_keyless("legacy-bob-keyless.sig", "bob", "counts", "accepts")
    legacy_keyless("legacy-carol-keyless.sig", "carol", "counts", "accepts")
    legacy_keyless("mutation-legacy-bob-wrong-identity.sig", "bob", "wrong-identity", "refuses",
                   san="mallory@example.org")
    legacy_keyless("mutation-legacy-bob-another-digest.sig", "bob", "another-digest", "refuses",
                   vote_digest=other_digest)
    legacy_keyless("mutation-legacy-bob-log-body-other-signature.sig", "bob", "log-body-mismatch", "refuses",
                   other_body=True)
    legacy_keyless("mutation-legacy-bob-set-foreign-rekor.sig", "bob", "set-invalid", "refuses", foreign_set=True)
    legacy_keyless("mutation-legacy-bob-payload-changed.sig", "bob", "signature-invalid", "refuses",
                   payload=simple_signing(repository, digest).replace(b'"optional":null', b'"optional":{}'))

    # ---- bundles v0.3, DSSE over the cosign statement (as sigstore-go's protojson writes them: no empty keyid)
    def envelope_json(payload, sig):
        return json.dumps({"payload": b64(payload), "payloadType": INTOTO, "signatures": [{"sig": b64(sig)}]},
                          separators=(",", ":")).encode()

    def dsse_bundle(name, person, verdict, oracle, key=None, w=world, san=None, issuer_v1="default",
                    issuer_v2="default", not_before=SIGNED_AT, t=integrated, vote_digest=digest,
                    changed_payload=False, other_body=False, foreign_set=False, subject_name=None,
                    sct_key="own", eku=ExtendedKeyUsageOID.CODE_SIGNING, checkpoint_key=None, tamper_proof=False,
                    predicate_type="https://sigstore.dev/cosign/sign/v1"):
        p = people[person]
        stmt = statement(vote_digest, subject_name, predicate_type)
        if key is None:
            signer = new_key()
            i1 = p["issuer"] if issuer_v1 == "default" else issuer_v1
            i2 = p["issuer"] if issuer_v2 == "default" else issuer_v2
            cert = w.leaf(san or p["identity"], i1, i2, not_before, signer, sct_key, eku)
            verifier_pem = cert.public_bytes(PEM)
            material = {"certificate": {"rawBytes": b64(cert.public_bytes(DER))}}
        else:
            signer = key
            verifier_pem = pub_pem(key)
            material = {"publicKey": {"hint": b64(sha(spki(key)))}}
        sig = signer.sign(pae(INTOTO, stmt), ECDSA)
        logged_sig = signer.sign(pae(INTOTO, stmt), ECDSA) if other_body else sig
        shown = stmt.replace(b'"predicate":{}', b'"predicate":{"x":1}') if changed_payload else stmt
        index = world.log(dsse_body(envelope_json(stmt, logged_sig), stmt, logged_sig, verifier_pem))

        def done():
            material["tlogEntries"] = [world.entry(index, t, "dsse", foreign.rekor_key if foreign_set else None,
                                                   checkpoint_key, tamper_proof)]
            bundle = {"mediaType": BUNDLE_V03, "verificationMaterial": material,
                      "dsseEnvelope": {"payload": b64(shown), "payloadType": INTOTO,
                                       "signatures": [{"sig": b64(sig)}]}}
            write(f"votes/{name}", json.dumps(bundle, indent=2))
        finish.append(done)
        extra = {"key_id": p["key_id"]} if key is not None else {"identity": p["identity"], "issuer": p["issuer"]}
        vote(name, "bundle-dsse-key" if key is not None else "bundle-dsse-keyless", person, verdict, oracle,
             vote_digest, **extra)

    dsse_bundle("bundle-alice-key.sigstore.json", "alice", "counts", "accepts", key=keys["alice"])
    dsse_bundle("bundle-bob-keyless.sigstore.json", "bob", "counts", "accepts")
    dsse_bundle("bundle-carol-keyless.sigstore.json", "carol", "counts", "accepts")
    # What sigstore-python's CLI wants (subject `name`); cosign v3 writes none. Counts as well.
    dsse_bundle("bundle-bob-keyless-named.sigstore.json", "bob", "counts", "accepts",
                subject_name=repository)
    dsse_bundle("mutation-bundle-alice-other-key.sigstore.json", "alice", "signature-invalid", "refuses",
                key=stranger)
    dsse_bundle("mutation-bundle-bob-wrong-identity.sigstore.json", "bob", "wrong-identity", "refuses",
                san="mallory@example.org")
    dsse_bundle("mutation-bundle-carol-wrong-identity.sigstore.json", "carol", "wrong-identity", "refuses",
                san="https://github.com/team/repo/.github/workflows/evil.yml@refs/heads/main")
    dsse_bundle("mutation-bundle-bob-wrong-issuer.sigstore.json", "bob", "wrong-issuer", "refuses",
                issuer_v1="https://evil.example.test", issuer_v2="https://evil.example.test")
    dsse_bundle("mutation-bundle-bob-foreign-root.sigstore.json", "bob", "untrusted-chain", "refuses", w=foreign)
    dsse_bundle("mutation-bundle-bob-log-body-other-signature.sigstore.json", "bob", "log-body-mismatch",
                "refuses", other_body=True)
    dsse_bundle("mutation-bundle-bob-another-digest.sigstore.json", "bob", "another-digest", "refuses",
                vote_digest=other_digest)
    dsse_bundle("mutation-bundle-bob-integrated-after-cert-window.sigstore.json", "bob", "certificate-expired",
                "refuses", t=unix(SIGNED_AT) + 20 * 60)
    dsse_bundle("mutation-bundle-bob-payload-changed.sigstore.json", "bob", "signature-invalid", "refuses",
                changed_payload=True)
    # sigstore-python reads only .1.1, so it accepts what containers/image (and quorate) must refuse.
    dsse_bundle("mutation-bundle-bob-issuer-oids-disagree.sigstore.json", "bob", "issuer-oids-disagree",
                "accepts", issuer_v2="https://other.example.test")
    dsse_bundle("mutation-bundle-bob-set-foreign-rekor.sigstore.json", "bob", "set-invalid", "refuses",
                foreign_set=True)
    # Only .1.8 (DER UTF8String): containers/image takes it; sigstore-python reads only .1.1 and refuses.
    dsse_bundle("bundle-bob-keyless-issuer-v2-only.sigstore.json", "bob", "counts", "refuses", issuer_v1=None)
    dsse_bundle("mutation-bundle-bob-issuer-oids-absent.sigstore.json", "bob", "issuer-missing", "refuses",
                issuer_v1=None, issuer_v2=None)
    # SCTs: cosign and sigstore-python check the embedded SCT, containers/image does not.
    dsse_bundle("mutation-bundle-bob-sct-foreign-ct-log.sigstore.json", "bob", "sct-invalid", "refuses",
                sct_key=foreign.ct_key)
    dsse_bundle("mutation-bundle-bob-no-sct.sigstore.json", "bob", "sct-missing", "refuses", sct_key=None)
    dsse_bundle("mutation-bundle-bob-eku-not-code-signing.sigstore.json", "bob", "not-code-signing", "refuses",
                eku=ExtendedKeyUsageOID.SERVER_AUTH)
    dsse_bundle("mutation-bundle-bob-inclusion-proof-wrong.sigstore.json", "bob", "inclusion-proof-invalid",
                "refuses", tamper_proof=True)
    dsse_bundle("mutation-bundle-bob-checkpoint-foreign-rekor.sigstore.json", "bob", "checkpoint-invalid",
                "refuses", checkpoint_key=foreign.rekor_key)
    dsse_bundle("mutation-bundle-bob-other-predicate-type.sigstore.json", "bob", "statement-invalid", "refuses",
                predicate_type="https://slsa.dev/provenance/v1")
    dsse_bundle("mutation-bundle-alice-set-foreign-rekor.sigstore.json", "alice", "set-invalid", "refuses",
                key=keys["alice"], foreign_set=True)

    # ---- messageSignature bundles (cosign sign-blob --bundle over the payload bytes)
    payload_rel = write("votes/payload.json", simple_signing(repository, digest))
    changed_rel = write("votes/payload-changed.json",
                        simple_signing(repository, digest).replace(b'"optional":null', b'"optional":{}'))

    def blob_bundle(name, person, verdict, oracle, payload_file=payload_rel, key=None, other_body=False):
        p = people[person]
        blob = simple_signing(repository, digest)
        if key is None:
            signer = new_key()
            cert = world.leaf(p["identity"], p["issuer"], p["issuer"], SIGNED_AT, signer)
            verifier_pem = cert.public_bytes(PEM)
            material = {"certificate": {"rawBytes": b64(cert.public_bytes(DER))}}
        else:
            signer, verifier_pem = key, pub_pem(key)
            material = {"publicKey": {"hint": b64(sha(spki(key)))}}
        sig = signer.sign(blob, ECDSA)
        logged_sig = signer.sign(blob, ECDSA) if other_body else sig
        index = world.log(hashedrekord(blob, logged_sig, verifier_pem))

        def done():
            material["tlogEntries"] = [world.entry(index, integrated, "hashedrekord")]
            bundle = {"mediaType": BUNDLE_V03, "verificationMaterial": material,
                      "messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": b64(sha(blob))},
                                           "signature": b64(sig)}}
            write(f"votes/{name}", json.dumps(bundle, indent=2))
        finish.append(done)
        extra = {"key_id": p["key_id"]} if key is not None else {"identity": p["identity"], "issuer": p["issuer"]}
        vote(name, "bundle-message-key" if key is not None else "bundle-message-keyless", person, verdict, oracle,
             payload=payload_file, **extra)

    blob_bundle("blob-bob-keyless.sigstore.json", "bob", "counts", "accepts")
    blob_bundle("blob-carol-keyless.sigstore.json", "carol", "counts", "accepts")
    blob_bundle("blob-alice-key.sigstore.json", "alice", "counts", "accepts", key=keys["alice"])
    blob_bundle("mutation-blob-bob-payload-changed.sigstore.json", "bob", "signature-invalid", "refuses",
                payload_file=changed_rel)
    blob_bundle("mutation-blob-bob-log-body-other-signature.sigstore.json", "bob", "log-body-mismatch", "refuses",
                other_body=True)

    for done in finish:
        done()
    manifest = {"digest": digest, "repository": repository, "other_digest": other_digest,
                "trusted_root": "trusted_root.json", "foreign_trusted_root": "foreign_trusted_root.json",
                "client_trust_config": "client_trust_config.json",
                "trusted_root_without_intermediate": "trusted_root_without_intermediate.json",
                "rekor_log_id": world.log_id.hex(), "signed_at": unix(SIGNED_AT), "integrated_time": integrated,
                "people": people, "votes": votes}
    write("manifest.json", json.dumps(manifest, indent=2))


if __name__ == "__main__":
    main()
