"""The fault matrix's world: the suite's moto server (tests/conftest.py, 127.0.0.1), the fault-injecting
proxy in front of it, and boto3 pointed at the proxy with fake credentials."""

from __future__ import annotations

import pytest

from tests.faults.proxy import FaultProxy

# moto 5.2.5 lacks these two reads: the proxy answers them as AWS does for an estate without any.
MOTO_GAPS = (
    ("backup", "ListProtectedResources", b'{"Results": []}'),
    ("eks", "ListPodIdentityAssociations", b'{"associations": []}'),
)


def add_gap_answers(proxy: FaultProxy) -> None:
    for service, operation, body in MOTO_GAPS:
        proxy.add("answer", service=service, operation=operation, body=body)


@pytest.fixture(scope="session")
def upstream(moto_endpoint):
    return moto_endpoint


@pytest.fixture(scope="module")
def proxy(upstream):
    with FaultProxy(upstream) as running:
        yield running


@pytest.fixture(scope="module")
def aws_env(upstream, tmp_path_factory):
    """Fake credentials and a region for the module; AWS_ENDPOINT_URL is the moto server (for seeding)
    until a test points it at the proxy."""
    empty = tmp_path_factory.mktemp("aws") / "empty"
    empty.write_text("")
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_CONFIG_FILE", str(empty))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_SESSION_TOKEN", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "eu-west-1")
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        mp.setenv("AWS_ENDPOINT_URL", upstream)
        yield mp
