"""Detached signatures of evidence bundles over the manifest's content digest (``content_sha256``).

    --sign file:KEY.pem   a local Ed25519 or ECDSA P-256 private key (PEM, unencrypted), via `cryptography`
    --sign kms:KEY_ARN    an AWS KMS asymmetric SIGN_VERIFY key: kms:Sign with MessageType DIGEST,
                          ECDSA_SHA_256 (ECC_NIST_P256) or RSASSA_PSS_SHA_256 (RSA keys)

What is signed is the 32-byte digest itself: ECDSA and RSA-PSS sign it as a SHA-256 pre-hash (what
KMS does with MessageType DIGEST), Ed25519 signs the 32 bytes as its message. The signature goes to
``manifest.sig`` (JSON: method, algorithm, key id, signer, signed digest, time, signature); the
manifest's ``signing`` field names the key too, and the manifest's digest covers that field and
``written_at``, so who signed and when is itself signed.

    verify --key PUBLIC.pem   checks with a public key (a KMS key's exported public key works too)
    verify --key kms          checks with kms:Verify on the key id recorded in the signature
    verify --key kms:KEY_ARN  the same, but only that key is accepted
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import json
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from auditor.model.snapshot import InputError

SIGNATURE_VERSION = "1"
SIGNATURE = "manifest.sig"  # the signature's file, next to manifest.json
SELF_DIGEST = "content_sha256"  # the manifest's digest of its own fields: what is signed
ED25519, ECDSA, RSA_PSS = "ED25519", "ECDSA_SHA_256", "RSASSA_PSS_SHA_256"
KMS_ALGORITHMS = (ECDSA, RSA_PSS)  # tried in this order: Sign needs no kms:DescribeKey / GetPublicKey


def _fingerprint(public_key) -> str:
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def _algorithm_for(key, where: str) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return ED25519
    if (
        isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey))
        and key.curve.name == "secp256r1"
    ):
        return ECDSA
    if isinstance(key, rsa.RSAPublicKey):
        return RSA_PSS
    raise InputError(f"{where}: unsupported key type (use Ed25519 or ECDSA P-256)")


@dataclass
class FileSigner:
    path: Path

    def __post_init__(self):
        from cryptography.hazmat.primitives import serialization

        try:
            self.key = serialization.load_pem_private_key(Path(self.path).read_bytes(), password=None)
        except OSError as exc:
            raise InputError(f"--sign file:{self.path}: cannot read: {exc.strerror or exc}") from None
        except (ValueError, TypeError) as exc:
            raise InputError(
                f"--sign file:{self.path}: not an unencrypted PEM private key ({str(exc).splitlines()[0]})"
            ) from None
        self.algorithm = _algorithm_for(self.key, f"--sign file:{self.path}")
        if self.algorithm == RSA_PSS:
            raise InputError(f"--sign file:{self.path}: unsupported key type (use Ed25519 or ECDSA P-256)")
        self.key_id = _fingerprint(self.key.public_key())

    def describe(self) -> dict:
        try:
            signer = f"{getpass.getuser()}@{socket.gethostname()}"
        except (OSError, KeyError):
            signer = None
        return {"method": "file", "key_id": self.key_id, "signer": signer}

    def sign(self, digest: bytes) -> tuple[str, bytes]:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, utils

        if self.algorithm == ED25519:
            return ED25519, self.key.sign(digest)
        return ECDSA, self.key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))


@dataclass
class KmsSigner:
    key_id: str
    session_factory: object = None

    def _session(self):
        import boto3

        return (self.session_factory or boto3.Session)()

    def describe(self) -> dict:
        from botocore.exceptions import BotoCoreError, ClientError

        try:  # who asked KMS to sign: stated, informative; the key is what the signature proves
            signer = self._session().client("sts").get_caller_identity()["Arn"]
        except (BotoCoreError, ClientError):
            signer = None
        return {"method": "kms", "key_id": self.key_id, "signer": signer}

    def sign(self, digest: bytes) -> tuple[str, bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        kms = self._session().client("kms")
        for algorithm in KMS_ALGORITHMS:
            try:
                answer = kms.sign(
                    KeyId=self.key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm=algorithm
                )
                return answer["SigningAlgorithm"], answer["Signature"]
            except ClientError as exc:
                error = exc.response.get("Error", {})
                wrong_algorithm = error.get("Code") in (
                    "ValidationException",
                    "InvalidKeyUsageException",
                ) and "lgorithm" in error.get("Message", "")
                if not wrong_algorithm or algorithm == KMS_ALGORITHMS[-1]:
                    raise InputError(
                        f"--sign kms:{self.key_id}: kms:Sign failed: {error.get('Code')}: "
                        f"{error.get('Message')}"
                    ) from None
            except BotoCoreError as exc:
                raise InputError(f"--sign kms:{self.key_id}: kms:Sign failed: {exc}") from None
        raise AssertionError("unreachable")


def signer_from(spec: str | None, session_factory=None):
    """``kms:ARN`` or ``file:PATH`` -> a signer; None -> None; anything else is bad input."""
    if not spec:
        return None
    method, _, value = spec.partition(":")
    if method == "file" and value:
        return FileSigner(Path(value))
    if method == "kms" and value.startswith("arn:") and ":kms:" in value and ":key/" in value:
        return KmsSigner(value, session_factory)
    raise InputError(f"--sign: {spec!r}: expected kms:arn:aws:kms:REGION:ACCOUNT:key/ID or file:KEY.pem")


def signature_document(signer, digest_hex: str, info: dict) -> dict:
    """``info``: what signer.describe() said when the manifest was written (its ``signing`` field)."""
    algorithm, signature = signer.sign(bytes.fromhex(digest_hex))
    return {
        "signature_version": SIGNATURE_VERSION,
        "method": info["method"],
        "algorithm": algorithm,
        "key_id": info["key_id"],
        "signer": info["signer"],
        "signed_digest": {"sha256": digest_hex, "of": "manifest.json content_sha256"},
        "signed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "signature": base64.b64encode(signature).decode("ascii"),
    }


# --- verification -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    ok: bool
    line: str


def check(directory: str | Path, manifest: dict, key: str | None, session_factory=None) -> Outcome | None:
    """Check manifest.sig against the manifest and, when ``key`` is given, cryptographically.
    None: the bundle is unsigned and no key was asked for."""
    path = Path(directory) / SIGNATURE
    if not path.is_file():
        return None if key is None else Outcome(False, "not signed (no manifest.sig), but --key was given")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        digest, algorithm, key_id = doc["signed_digest"]["sha256"], doc["algorithm"], doc["key_id"]
        signature = base64.b64decode(doc["signature"], validate=True)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return Outcome(False, f"signature does not match: {SIGNATURE} is not a valid signature document")
    signing = manifest.get("signing") or {}
    if (signing.get("method"), signing.get("key_id")) != (doc.get("method"), key_id):
        return Outcome(
            False,
            f"signature does not match: {SIGNATURE} names key {key_id}, the manifest {signing.get('key_id')}",
        )
    if digest != manifest.get(SELF_DIGEST):
        return Outcome(
            False,
            f"signature does not match: it signs manifest digest {str(digest)[:16]}…, the "
            f"manifest's is {str(manifest.get(SELF_DIGEST))[:16]}…",
        )
    who = (
        f"{key_id} ({algorithm}) signed manifest content sha256 {digest} at {doc.get('signed_at')}; "
        f"signer {doc.get('signer') or 'not recorded'}; bundle written {manifest.get('written_at')}"
    )
    if key is None:
        return Outcome(True, f"signature present, not checked (pass --key PUBLIC.pem, or --key kms): {who}")
    if key == "kms" or key.startswith("kms:"):
        if doc.get("method") != "kms":
            return Outcome(False, f"signature does not match: signed with a {doc.get('method')} key, not KMS")
        wanted = key[4:] or key_id
        if wanted != key_id:
            return Outcome(False, f"signature does not match: signed by {key_id}, not {wanted}")
        valid = _kms_verify(wanted, bytes.fromhex(digest), signature, algorithm, session_factory)
    else:
        valid = _local_verify(key, bytes.fromhex(digest), signature, algorithm, key_id)
    if valid is not True:
        return Outcome(False, f"signature does not match: {valid}")
    return Outcome(True, f"signature valid: {who}")


def _kms_verify(key_id: str, digest: bytes, signature: bytes, algorithm: str, session_factory) -> bool | str:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    kms = (session_factory or boto3.Session)().client("kms")
    try:
        answer = kms.verify(
            KeyId=key_id,
            Message=digest,
            MessageType="DIGEST",
            Signature=signature,
            SigningAlgorithm=algorithm,
        )
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "KMSInvalidSignatureException":
            return f"kms:Verify with {key_id} rejects it"
        raise InputError(
            f"--key kms: kms:Verify failed: {error.get('Code')}: {error.get('Message')}"
        ) from None
    except BotoCoreError as exc:
        raise InputError(f"--key kms: kms:Verify failed: {exc}") from None
    return True if answer.get("SignatureValid") else f"kms:Verify with {key_id} rejects it"


def _local_verify(key_path: str, digest: bytes, signature: bytes, algorithm: str, key_id: str) -> bool | str:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

    try:
        public = serialization.load_pem_public_key(Path(key_path).read_bytes())
    except OSError as exc:
        raise InputError(f"--key {key_path}: cannot read: {exc.strerror or exc}") from None
    except (ValueError, TypeError, UnicodeDecodeError):
        raise InputError(f"--key {key_path}: not a PEM public key") from None
    kind = _algorithm_for(public, f"--key {key_path}")
    if kind != algorithm:
        return f"{key_path} is a {kind} key; the signature is {algorithm} by {key_id}"
    prehashed = utils.Prehashed(hashes.SHA256())
    try:
        if algorithm == ED25519:
            public.verify(signature, digest)
        elif algorithm == ECDSA:
            public.verify(signature, digest, ec.ECDSA(prehashed))
        else:
            public.verify(
                signature, digest, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.AUTO), prehashed
            )
    except InvalidSignature:
        return f"not made by the key in {key_path} (signature names {key_id})"
    return True
