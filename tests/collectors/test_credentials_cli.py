"""Credentials, profile, endpoint and region problems through the `efs-audit` command: one line on
stderr naming the problem and the fix, exit 2, no traceback (and nothing written). In process with
the environment given (tests/clirun.py); no credentials at all is also run as the installed console
script in a fresh process (the credential chain read from a real process environment).

The environment points at nothing real: AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE are empty
temporary files, instance metadata is off, and AWS_ENDPOINT_URL is a closed local port, the fault
proxy (answering what a real endpoint answers for expired credentials or a disabled region) or moto.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clirun import efs_audit
from tests.collectors.conftest import seed_small_estate
from tests.faults.proxy import FaultProxy

EFS_AUDIT = str(Path(sys.executable).parent / "efs-audit")


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def bare_env(tmp_path):
    """No credentials anywhere, no instance metadata, and an endpoint nothing listens on."""
    empty = tmp_path / "empty"
    empty.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(empty),
        AWS_SHARED_CREDENTIALS_FILE=str(empty),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_ENDPOINT_URL=closed_port(),
    )
    return env


def _run(env: dict, *args: str, command: str = "scan") -> subprocess.CompletedProcess:
    return efs_audit(command, "--no-progress", *args, env=env)


def _process(env: dict, *args: str, command: str = "scan") -> subprocess.CompletedProcess:
    return subprocess.run(
        [EFS_AUDIT, command, "--no-progress", *args], capture_output=True, text=True, env=env, timeout=120
    )


def _one_line_exit_2(out: subprocess.CompletedProcess, *words: str) -> str:
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2, out.stderr[-2000:]
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert out.stdout == ""
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_profile_that_does_not_exist(bare_env):
    out = _run(bare_env, "--profile", "nope", "--region", "eu-west-1")
    line = _one_line_exit_2(out, "profile 'nope' not found", "aws configure --profile nope")
    assert line.startswith("efs-audit: ")


def test_profile_that_does_not_exist_on_collect(bare_env, tmp_path):
    out = _run(bare_env, "--profile", "nope", "--out", str(tmp_path / "snap.json"), command="collect")
    _one_line_exit_2(out, "profile 'nope' not found")
    assert not (tmp_path / "snap.json").exists()


def test_no_credentials_at_all(bare_env):
    out = _process(bare_env, "--region", "eu-west-1")
    _one_line_exit_2(out, "no usable AWS credentials", "NoCredentialsError", "aws configure")


def test_expired_credentials(bare_env):
    with FaultProxy(closed_port()) as proxy:
        proxy.add("error", service="sts", operation="GetCallerIdentity", code="ExpiredToken", status=403)
        env = {
            **bare_env,
            "AWS_ENDPOINT_URL": proxy.url,
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_SESSION_TOKEN": "old",
        }
        out = _run(env, "--region", "eu-west-1")
    _one_line_exit_2(out, "expired", "ExpiredToken", "aws sso login")


def test_rejected_credentials(bare_env):
    with FaultProxy(closed_port()) as proxy:
        proxy.add("error", service="sts", code="InvalidClientTokenId", status=403)
        env = {
            **bare_env,
            "AWS_ENDPOINT_URL": proxy.url,
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "secret",
        }
        out = _run(env, "--region", "eu-west-1")
    _one_line_exit_2(out, "rejected the credentials", "InvalidClientTokenId", "aws sts get-caller-identity")


def test_unreachable_endpoint(bare_env):
    env = {**bare_env, "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
    out = _run(env, "--region", "eu-west-1")
    _one_line_exit_2(out, "cannot reach the AWS endpoint", "EndpointConnectionError", "AWS_ENDPOINT_URL")


def test_region_not_enabled(aws):
    """A disabled region answers every call with an authentication failure (AuthFailure on EC2,
    UnrecognizedClientException elsewhere) although the home region accepts the same credentials."""
    seed_small_estate()
    with FaultProxy(aws) as proxy:
        proxy.add("error", service="ec2", region="ap-east-1", code="AuthFailure", status=401)
        for service in ("efs", "ecs", "lambda", "eks", "backup"):
            proxy.add(
                "error", service=service, region="ap-east-1", code="UnrecognizedClientException", status=403
            )
        env = {**os.environ, "AWS_ENDPOINT_URL": proxy.url}
        out = _run(env, "--region", "ap-east-1")
    _one_line_exit_2(out, "region ap-east-1 is not enabled for account 123456789012", "--region")
