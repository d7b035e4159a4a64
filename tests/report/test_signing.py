"""Signed bundles: `--sign file:KEY.pem` (Ed25519, ECDSA P-256) and `--sign kms:KEY_ARN` (moto's KMS over
HTTP) write manifest.sig over the manifest's content digest; `verify --key` checks it and says who signed
what, when; a rewrite of a file together with its manifest entry (and a recomputed content digest) is
detected once the bundle is signed; a signature that does not match is one line and exit 1."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from auditor.report import bundle
from tests.report.evidence_support import ESTATES, aws, client, efs_audit, write_keys  # noqa: F401

SNAPSHOT = ESTATES / "production" / "snapshot.json"


def signed_bundle(capsys, monkeypatch, out, sign):
    code, stdout, err = efs_audit(
        capsys,
        monkeypatch,
        "check",
        SNAPSHOT,
        "--out",
        out,
        "--format",
        "json,csv",
        "--fail-on",
        "never",
        "--sign",
        sign,
    )
    assert code == 0, err
    assert "Evidence bundle written" in stdout and "manifest.sig" in stdout
    return out


def rewrite_file_and_entry(out, name="results.csv"):
    """The forger's full rewrite: new file, new entry, recomputed content digest, same format."""
    m = json.loads((out / "manifest.json").read_text())
    forged = (out / name).read_bytes().replace(b"FAIL", b"PASS")
    (out / name).write_bytes(forged)
    m["files"][name] = {"sha256": hashlib.sha256(forged).hexdigest(), "bytes": len(forged)}
    m[bundle.SELF_DIGEST] = bundle.content_digest(m)
    (out / "manifest.json").write_text(bundle.manifest_text(m))
    return m


@pytest.mark.parametrize("kind, algorithm", [("ed25519", "ED25519"), ("p256", "ECDSA_SHA_256")])
def test_local_key_signs_and_verify_says_who_signed_what_when(tmp_path, capsys, monkeypatch, kind, algorithm):
    private, public = write_keys(tmp_path, kind)
    out = signed_bundle(capsys, monkeypatch, tmp_path / "ev", f"file:{private}")
    sig = json.loads((out / "manifest.sig").read_text())
    m = json.loads((out / "manifest.json").read_text())
    assert (sig["method"], sig["algorithm"], sig["signed_digest"]["sha256"]) == (
        "file",
        algorithm,
        m[bundle.SELF_DIGEST],
    )
    assert sig["key_id"] == m["signing"]["key_id"] and sig["key_id"].startswith("sha256:")
    assert set(sig) == {
        "signature_version",
        "method",
        "algorithm",
        "key_id",
        "signer",
        "signed_digest",
        "signed_at",
        "signature",
    }
    code, stdout, _ = efs_audit(capsys, monkeypatch, "verify", out, "--key", public)
    assert code == 0
    intact, valid = stdout.splitlines()
    assert "bundle intact (5 files" in intact and m[bundle.SELF_DIGEST] in intact
    assert valid.startswith(
        f"{out}: signature valid: {sig['key_id']} ({algorithm}) signed manifest content "
        f"sha256 {m[bundle.SELF_DIGEST]} at {sig['signed_at']}; signer "
    )
    # without --key the signature is reported, not vouched for
    code, stdout, _ = efs_audit(capsys, monkeypatch, "verify", out)
    assert code == 0 and "signature present, not checked" in stdout


def test_file_and_entry_rewritten_together_is_detected_when_signed(tmp_path, capsys, monkeypatch):
    private, public = write_keys(tmp_path, "p256")
    out = signed_bundle(capsys, monkeypatch, tmp_path / "ev", f"file:{private}")
    rewrite_file_and_entry(out)
    assert bundle.verify_bundle(out) == []  # the hashes alone cannot tell
    code, stdout, _ = efs_audit(capsys, monkeypatch, "verify", out, "--key", public)
    assert code == 1 and len(stdout.splitlines()) == 1
    assert stdout.startswith(f"{out}: signature does not match: it signs manifest digest ")


def test_the_forger_re_signs_with_another_key(tmp_path, capsys, monkeypatch):
    private, public = write_keys(tmp_path, "ed25519")
    out = signed_bundle(capsys, monkeypatch, tmp_path / "ev", f"file:{private}")
    m = rewrite_file_and_entry(out)
    (tmp_path / "other").mkdir()
    other, _ = write_keys(tmp_path / "other", "ed25519")
    from auditor.report.signing import FileSigner, signature_document

    forged = signature_document(
        FileSigner(other), m[bundle.SELF_DIGEST], m["signing"]
    )  # claims the old key id
    (out / "manifest.sig").write_text(json.dumps(forged))
    code, stdout, _ = efs_audit(capsys, monkeypatch, "verify", out, "--key", public)
    assert code == 1 and stdout.splitlines() == [
        f"{out}: signature does not match: not made by the key in {public} (signature names {m['signing']['key_id']})"
    ]


def test_signature_edits_deletion_and_wrong_keys(tmp_path, capsys, monkeypatch):
    private, public = write_keys(tmp_path, "p256")
    out = signed_bundle(capsys, monkeypatch, tmp_path / "ev", f"file:{private}")
    original = (out / "manifest.sig").read_text()
    sig = json.loads(original)
    raw = bytearray(base64.b64decode(sig["signature"]))
    raw[-1] ^= 1
    cases = {
        "flipped bit": {**sig, "signature": base64.b64encode(bytes(raw)).decode()},
        "other digest": {**sig, "signed_digest": {"sha256": "0" * 64}},
        "other key id": {**sig, "key_id": "sha256:" + "0" * 64},
        "not base64": {**sig, "signature": "***"},
    }
    for name, doc in cases.items():
        (out / "manifest.sig").write_text(json.dumps(doc))
        code, stdout, _ = efs_audit(capsys, monkeypatch, "verify", out, "--key", public)
        assert code == 1 and len(stdout.splitlines()) == 1 and "signature does not match" in stdout, name
    (out / "manifest.sig").write_text(original)
    _, ed_public = write_keys(tmp_path, "ed25519")
    code, stdout, _ = efs_audit(capsys, monkeypatch, "verify", out, "--key", ed_public)
    assert code == 1 and "is a ED25519 key; the signature is ECDSA_SHA_256" in stdout
    # deleting the signature is detected by the manifest, which names the signing key
    (out / "manifest.sig").unlink()
    code, stdout, _ = efs_audit(capsys, monkeypatch, "verify", out)
    assert code == 1 and stdout.startswith(
        f"{out}: manifest.sig: missing; the manifest says the bundle was signed"
    )
    # ... and removing that name too (resealed) is caught only by asking for a signature
    m = json.loads((out / "manifest.json").read_text())
    m["signing"] = None
    m[bundle.SELF_DIGEST] = bundle.content_digest(m)
    (out / "manifest.json").write_text(bundle.manifest_text(m))
    assert efs_audit(capsys, monkeypatch, "verify", out)[0] == 0
    code, stdout, _ = efs_audit(capsys, monkeypatch, "verify", out, "--key", public)
    assert code == 1 and stdout == f"{out}: not signed (no manifest.sig), but --key was given\n"


@pytest.mark.parametrize(
    "sign, message",
    [
        ("file:{tmp}/missing.pem", "--sign file:{tmp}/missing.pem: cannot read"),
        (
            "file:{tmp}/rsa.pem",
            "--sign file:{tmp}/rsa.pem: unsupported key type (use Ed25519 or ECDSA P-256)",
        ),
        ("file:{tmp}/p384.pem", "--sign file:{tmp}/p384.pem: unsupported key type"),
        ("file:{tmp}/rsa.pub.pem", "--sign file:{tmp}/rsa.pub.pem: not an unencrypted PEM private key"),
        ("gpg:me", "--sign: 'gpg:me': expected kms:arn:aws:kms:REGION:ACCOUNT:key/ID or file:KEY.pem"),
        ("kms:alias/audit", "--sign: 'kms:alias/audit': expected kms:arn"),
    ],
)
def test_bad_signing_keys_are_one_line_and_leave_nothing(tmp_path, capsys, monkeypatch, sign, message):
    write_keys(tmp_path, "rsa")
    write_keys(tmp_path, "p384")
    code, _stdout, err = efs_audit(
        capsys, monkeypatch, "check", SNAPSHOT, "--out", tmp_path / "ev", "--sign", sign.format(tmp=tmp_path)
    )
    assert (
        code == 2
        and err.startswith("efs-audit: " + message.format(tmp=tmp_path))
        and len(err.splitlines()) == 1
    )
    assert not (tmp_path / "ev").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".ev")]


def test_sign_needs_out_and_a_bad_public_key_is_bad_input(tmp_path, capsys, monkeypatch):
    private, _ = write_keys(tmp_path, "ed25519")
    code, _, err = efs_audit(capsys, monkeypatch, "check", SNAPSHOT, "--sign", f"file:{private}")
    assert code == 2 and err == "efs-audit: --sign: signs an evidence bundle: give --out DIR too\n"
    out = signed_bundle(capsys, monkeypatch, tmp_path / "ev", f"file:{private}")
    code, _, err = efs_audit(capsys, monkeypatch, "verify", out, "--key", private.with_name("nope.pem"))
    assert code == 2 and "cannot read" in err


# --- AWS KMS (moto over HTTP) -------------------------------------------------------------------


def kms_key(spec: str) -> str:
    return client("kms").create_key(KeyUsage="SIGN_VERIFY", KeySpec=spec)["KeyMetadata"]["Arn"]


@pytest.mark.parametrize(
    "spec, algorithm", [("ECC_NIST_P256", "ECDSA_SHA_256"), ("RSA_2048", "RSASSA_PSS_SHA_256")]
)
def test_kms_key_signs_and_kms_verifies(aws, tmp_path, capsys, monkeypatch, spec, algorithm):
    arn = kms_key(spec)
    out = signed_bundle(capsys, monkeypatch, tmp_path / "ev", f"kms:{arn}")
    sig = json.loads((out / "manifest.sig").read_text())
    m = json.loads((out / "manifest.json").read_text())
    assert (sig["method"], sig["algorithm"], sig["key_id"], m["signing"]["key_id"]) == (
        "kms",
        algorithm,
        arn,
        arn,
    )
    assert (
        sig["signer"].startswith("arn:aws:") and sig["signer"] == m["signing"]["signer"]
    )  # sts:GetCallerIdentity
    for key in ("kms", f"kms:{arn}"):
        code, stdout, _ = efs_audit(capsys, monkeypatch, "verify", out, "--key", key)
        assert code == 0, stdout
        assert stdout.splitlines()[1].startswith(
            f"{out}: signature valid: {arn} ({algorithm}) signed manifest"
        )
    other = kms_key(spec)
    code, stdout, _ = efs_audit(capsys, monkeypatch, "verify", out, "--key", f"kms:{other}")
    assert code == 1 and stdout == f"{out}: signature does not match: signed by {arn}, not {other}\n"
    rewrite_file_and_entry(out)
    code, stdout, _ = efs_audit(capsys, monkeypatch, "verify", out, "--key", "kms")
    assert code == 1 and "signature does not match: it signs manifest digest" in stdout


def test_kms_rejects_a_signature_made_by_another_key(aws, tmp_path, capsys, monkeypatch):
    arn, other = kms_key("ECC_NIST_P256"), kms_key("ECC_NIST_P256")
    out = signed_bundle(capsys, monkeypatch, tmp_path / "ev", f"kms:{arn}")
    sig = json.loads((out / "manifest.sig").read_text())
    forged = client("kms").sign(
        KeyId=other,
        Message=bytes.fromhex(sig["signed_digest"]["sha256"]),
        MessageType="DIGEST",
        SigningAlgorithm="ECDSA_SHA_256",
    )["Signature"]
    (out / "manifest.sig").write_text(json.dumps({**sig, "signature": base64.b64encode(forged).decode()}))
    code, stdout, _ = efs_audit(capsys, monkeypatch, "verify", out, "--key", "kms")
    assert code == 1 and stdout == f"{out}: signature does not match: kms:Verify with {arn} rejects it\n"
    code, stdout, _ = efs_audit(capsys, monkeypatch, "verify", out, "--key", write_keys(tmp_path, "p256")[1])
    assert code == 1 and "signature does not match: not made by the key in" in stdout


def test_kms_failure_writes_no_bundle(aws, tmp_path, capsys, monkeypatch):
    missing = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    code, _, err = efs_audit(
        capsys, monkeypatch, "check", SNAPSHOT, "--out", tmp_path / "ev", "--sign", f"kms:{missing}"
    )
    assert code == 2 and err.startswith(
        f"efs-audit: --sign kms:{missing}: kms:Sign failed: NotFoundException"
    )
    assert list(tmp_path.iterdir()) == []
    encrypt_only = client("kms").create_key(KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
    code, _, err = efs_audit(
        capsys, monkeypatch, "check", SNAPSHOT, "--out", tmp_path / "ev", "--sign", f"kms:{encrypt_only}"
    )
    assert code == 2 and "kms:Sign failed" in err and list(tmp_path.iterdir()) == []
