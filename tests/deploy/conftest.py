"""Fixtures for the scheduled-audit front doors: the suite's moto server (tests/conftest.py, 127.0.0.1)
spoken to over HTTP, fake credentials and few retries."""

from __future__ import annotations

import os

import pytest

from tests.conftest import reset_moto
from tests.deploy.support import aws_env


@pytest.fixture
def aws(moto_endpoint, monkeypatch):
    """A fresh moto state and an environment that can only reach it."""
    reset_moto(moto_endpoint)
    for name in [n for n in os.environ if n.startswith(("AWS_", "EFS_AUDIT_"))]:
        monkeypatch.delenv(name)
    for name, value in aws_env(moto_endpoint).items():
        monkeypatch.setenv(name, value)
    return moto_endpoint
