"""Fixtures for the scheduled-audit front doors: a moto server on 127.0.0.1 spoken to over HTTP,
fake credentials and few retries."""

from __future__ import annotations

import os
import urllib.request

import pytest
from moto.server import ThreadedMotoServer

from tests.deploy.support import aws_env


@pytest.fixture(scope="session")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_endpoint, monkeypatch):
    """A fresh moto state and an environment that can only reach it."""
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request).close()
    for name in [n for n in os.environ if n.startswith(("AWS_", "EFS_AUDIT_"))]:
        monkeypatch.delenv(name)
    for name, value in aws_env(moto_endpoint).items():
        monkeypatch.setenv(name, value)
    return moto_endpoint
