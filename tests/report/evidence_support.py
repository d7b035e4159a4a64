"""Helpers for the signing and history tests: the real front door in-process, local keys, and the suite's
moto server (tests/conftest.py, 127.0.0.1) spoken to over HTTP (boto3 finds it through AWS_ENDPOINT_URL)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.conftest import reset_moto

ROOT = Path(__file__).resolve().parents[2]
ESTATES = ROOT / "samples" / "estates"
REGION = "eu-west-1"


def efs_audit(capsys, monkeypatch, *args: str) -> tuple[int, str, str]:
    """Run `efs-audit ARGS` through cli.main (one-line errors, exit codes) and capture its output."""
    from auditor.entrypoints.cli import main

    monkeypatch.setattr(sys, "argv", ["efs-audit", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        main()
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def write_keys(directory: Path, kind: str) -> tuple[Path, Path]:
    """A private key (PEM, unencrypted) and its public key, of kind ed25519, p256 or rsa."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    key = {
        "ed25519": lambda: ed25519.Ed25519PrivateKey.generate(),
        "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
        "p384": lambda: ec.generate_private_key(ec.SECP384R1()),
        "rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }[kind]()
    private, public = directory / f"{kind}.pem", directory / f"{kind}.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


@pytest.fixture
def aws(moto_endpoint, monkeypatch):
    """A fresh moto state and an environment that can only reach it."""
    reset_moto(moto_endpoint)
    for name in [n for n in os.environ if n.startswith(("AWS_", "EFS_AUDIT_"))]:
        monkeypatch.delenv(name)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_ENDPOINT_URL": moto_endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    return moto_endpoint


def client(service: str):
    import boto3

    return boto3.Session().client(service)
