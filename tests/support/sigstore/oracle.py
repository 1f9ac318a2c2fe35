#!/usr/bin/env python3
"""Runs sigstore-python over every vote in a world make.py wrote and prints what it decides.

    oracle.py WORLD_DIR      ->  stdout: {"votes/<file>": {"accepted": bool, "error": "...", "method": "..."}}

Needs sigstore 4.x (no network: the API gets the world's TrustedRoot; run it under `unshare -n` to be sure).
Methods, per vote kind:
  verify_dsse      keyless DSSE bundles: Verifier.verify_dsse + policy.Identity, then the statement (in-toto v1,
                   cosign sign/v1 predicate, exactly one subject whose sha256 is the gated digest).
  verify_artifact  keyless messageSignature bundles over the payload file, and keyless legacy votes converted into
                   a messageSignature bundle (certificate annotation, the SET's hashedrekord body, the SET, the
                   inclusion proof from <file>.proof.json); then the simple-signing payload names the gated digest
                   and the repository.
  key-parts        cosign-key votes: sigstore-python's Verifier takes no publicKey bundles, so the oracle checks
                   them with its parts: TransparencyLogEntry._verify (inclusion proof, checkpoint, SET) against
                   the trusted root's Rekor keys, the log body against the signature and key, and the ECDSA
                   signature with `cryptography` against the person's cosign.pub.
"""

import base64
import hashlib
import json
import os
import sys
import traceback

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import load_pem_x509_certificate
from sigstore._internal.trust import KeyringPurpose
from sigstore.errors import Error as SigstoreError
from sigstore.models import Bundle, TransparencyLogEntry, TrustedRoot
from sigstore.verify import Verifier, policy
from sigstore_models.rekor.v1 import TransparencyLogEntry as RawEntry

LEGACY_PREFIX = b"\x00sigstore-json\n"
INTOTO = "application/vnd.in-toto+json"
ECDSA = ec.ECDSA(hashes.SHA256())


class Refused(Exception):
    pass


def b64(data):
    return base64.b64encode(data).decode()


def check_statement(payload_type, payload, digest):
    if payload_type != INTOTO:
        raise Refused(f"payloadType {payload_type}")
    stmt = json.loads(payload)
    if stmt.get("_type") != "https://in-toto.io/Statement/v1":
        raise Refused("not an in-toto Statement v1")
    if stmt.get("predicateType") != "https://sigstore.dev/cosign/sign/v1":
        raise Refused(f"predicateType {stmt.get('predicateType')}")
    subjects = stmt.get("subject") or []
    if len(subjects) != 1 or subjects[0].get("digest", {}).get("sha256") != digest.removeprefix("sha256:"):
        raise Refused("the statement's subject is not the gated digest")


def check_payload(payload, digest, repository):
    doc = json.loads(payload)
    critical = doc["critical"]
    if critical["type"] != "cosign container image signature":
        raise Refused("payload type")
    if critical["image"]["docker-manifest-digest"] != digest:
        raise Refused("the payload names another digest")
    if critical["identity"]["docker-reference"] != repository:
        raise Refused("the payload names another repository")


def legacy_parts(path):
    raw = open(path, "rb").read()
    if not raw.startswith(LEGACY_PREFIX):
        raise Refused("no sigstore-json prefix")
    doc = json.loads(raw[len(LEGACY_PREFIX):])
    payload = base64.b64decode(doc["payload"])
    annotations = doc["annotations"]
    return payload, base64.b64decode(annotations["dev.cosignproject.cosign/signature"]), annotations


def entry_from_set(set_json, proof):
    """A bundle tlogEntries[0] from the legacy SET annotation (and the proof a Rekor lookup returns)."""
    s = json.loads(set_json)
    p = s["Payload"]
    entry = {"logIndex": str(p["logIndex"]), "logId": {"keyId": b64(bytes.fromhex(p["logID"]))},
             "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
             "integratedTime": str(p["integratedTime"]),
             "inclusionPromise": {"signedEntryTimestamp": s["SignedEntryTimestamp"]},
             "canonicalizedBody": p["body"]}
    if proof is not None:
        entry["inclusionProof"] = proof
    return entry


def verify_log_entry(trusted_root, entry_json):
    """Inclusion proof, checkpoint and SET, with sigstore-python's own code; returns the decoded body."""
    raw = RawEntry.from_dict(entry_json) if hasattr(RawEntry, "from_dict") else \
        RawEntry.model_validate_json(json.dumps(entry_json))
    entry = TransparencyLogEntry(raw)
    entry._verify(trusted_root.rekor_keyring(KeyringPurpose.VERIFY))
    return json.loads(base64.b64decode(entry_json["canonicalizedBody"]))


def check_key_vote(world, vote, trusted_root, digest, repository):
    pub_pem = open(os.path.join(world, world_manifest(world)["people"][vote["person"]]["cosign_pub"]), "rb").read()
    key = serialization.load_pem_public_key(pub_pem)
    path = os.path.join(world, vote["file"])
    kind = vote["kind"]
    if kind == "legacy-key":
        payload, sig, annotations = legacy_parts(path)
        signed_payload, entry = payload, None
        if "dev.sigstore.cosign/bundle" in annotations:
            # The SET with the inclusion proof a Rekor lookup returns (<file>.proof.json).
            proof = json.load(open(os.path.join(world, vote["proof"]))) if "proof" in vote else None
            entry = entry_from_set(annotations["dev.sigstore.cosign/bundle"], proof)
        check_payload(payload, digest, repository)
    else:
        bundle = json.load(open(path))
        entry = bundle["verificationMaterial"]["tlogEntries"][0]
        if kind == "bundle-dsse-key":
            env = bundle["dsseEnvelope"]
            payload = base64.b64decode(env["payload"])
            t = env["payloadType"].encode()
            signed_payload = b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)
            sig = base64.b64decode(env["signatures"][0]["sig"])
            check_statement(env["payloadType"], payload, digest)
        else:
            payload = open(os.path.join(world, vote["payload"]), "rb").read()
            signed_payload = payload
            ms = bundle["messageSignature"]
            sig = base64.b64decode(ms["signature"])
            if base64.b64decode(ms["messageDigest"]["digest"]) != hashlib.sha256(payload).digest():
                raise Refused("Bundle message digest mismatch")
            check_payload(payload, digest, repository)
    try:
        key.verify(sig, signed_payload, ECDSA)
    except InvalidSignature:
        raise Refused("signature invalid for the person's cosign key")
    if entry is None:
        return
    if "inclusionProof" in entry:
        body = verify_log_entry(trusted_root, entry)
    else:
        # A SET without an inclusion proof: the SET alone (what containers/image checks).
        raw = RawEntry.model_validate_json(json.dumps({**entry, "inclusionProof": {
            "logIndex": entry["logIndex"], "rootHash": "", "treeSize": str(int(entry["logIndex"]) + 1), "hashes": [],
            "checkpoint": {"envelope": "unused"}}}))
        te = TransparencyLogEntry(raw)
        te._verify_set(trusted_root.rekor_keyring(KeyringPurpose.VERIFY))
        body = json.loads(base64.b64decode(entry["canonicalizedBody"]))
    spec = body["spec"]
    if body["kind"] == "hashedrekord":
        want = {"data": {"hash": {"algorithm": "sha256", "value": hashlib.sha256(signed_payload).hexdigest()}},
                "signature": {"content": b64(sig), "publicKey": {"content": b64(pub_pem)}}}
        if kind == "bundle-dsse-key" or spec != want:
            raise Refused("log entry is inconsistent with the signature")
    elif body["kind"] == "dsse" and kind == "bundle-dsse-key":
        if spec["payloadHash"]["value"] != hashlib.sha256(payload).hexdigest() or \
                spec["signatures"] != [{"signature": b64(sig), "verifier": b64(pub_pem)}]:
            raise Refused("log entry signatures do not match bundle")
    else:
        raise Refused(f"unexpected log entry kind {body['kind']}")


_MANIFESTS = {}


def world_manifest(world):
    if world not in _MANIFESTS:
        _MANIFESTS[world] = json.load(open(os.path.join(world, "manifest.json")))
    return _MANIFESTS[world]


def check(world, vote):
    m = world_manifest(world)
    trusted_root = TrustedRoot.from_file(os.path.join(world, m["trusted_root"]))
    verifier = Verifier(trusted_root=trusted_root)
    digest, repository = m["digest"], m["repository"]
    kind = vote["kind"]
    path = os.path.join(world, vote["file"])
    if kind.endswith("-key"):
        check_key_vote(world, vote, trusted_root, digest, repository)
        return "key-parts"
    identity = policy.Identity(identity=vote["identity"], issuer=vote["issuer"])
    if kind == "bundle-dsse-keyless":
        ptype, payload = verifier.verify_dsse(Bundle.from_json(open(path, "rb").read()), identity)
        check_statement(ptype, payload, digest)
        return "verify_dsse"
    if kind == "bundle-message-keyless":
        payload = open(os.path.join(world, vote["payload"]), "rb").read()
        verifier.verify_artifact(payload, Bundle.from_json(open(path, "rb").read()), identity)
        check_payload(payload, digest, repository)
        return "verify_artifact"
    if kind == "legacy-keyless":
        payload, sig, annotations = legacy_parts(path)
        cert = load_pem_x509_certificate(annotations["dev.sigstore.cosign/certificate"].encode())
        proof = json.load(open(os.path.join(world, vote["proof"])))
        bundle = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                  "verificationMaterial": {
                      "certificate": {"rawBytes": b64(cert.public_bytes(serialization.Encoding.DER))},
                      "tlogEntries": [entry_from_set(annotations["dev.sigstore.cosign/bundle"], proof)]},
                  "messageSignature": {"messageDigest": {"algorithm": "SHA2_256",
                                                         "digest": b64(hashlib.sha256(payload).digest())},
                                       "signature": b64(sig)}}
        verifier.verify_artifact(payload, Bundle.from_json(json.dumps(bundle)), identity)
        check_payload(payload, digest, repository)
        return "verify_artifact (legacy converted)"
    raise Refused(f"unknown kind {kind}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: oracle.py WORLD_DIR")
    world = sys.argv[1]
    results = {}
    for vote in world_manifest(world)["votes"]:
        try:
            method = check(world, vote)
            results[vote["file"]] = {"accepted": True, "error": "", "method": method}
        except (Refused, SigstoreError, ValueError, KeyError, InvalidSignature) as exc:
            results[vote["file"]] = {"accepted": False, "error": f"{type(exc).__name__}: {exc}".strip()}
        except Exception as exc:  # an oracle crash is a refusal, but says so
            results[vote["file"]] = {"accepted": False, "error": "oracle crashed: " + "".join(
                traceback.format_exception_only(type(exc), exc)).strip()}
    json.dump(results, sys.stdout, indent=2, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
