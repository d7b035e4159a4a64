"""Suite-wide fixtures: one moto server per test process on 127.0.0.1 (port chosen by the OS; under
pytest-xdist every worker has its own), reset by the fixtures that need a clean state, and one
botocore data loader shared by every boto3 session the tests open (the JSON service models are
parsed once per process instead of once per session; what is read is the same)."""

from __future__ import annotations

import functools
import logging
import os
import urllib.request

import pytest
from hypothesis import settings

# Property tests name their example count for the `dev` profile (the default); the `ci` profile,
# chosen when CI=true (HYPOTHESIS_PROFILE=dev|ci overrides), runs a quarter of it and at least 10.
# A @given without a count runs 100 (dev) or 25 (ci) examples. No deadline in either: a loaded
# machine must not fail a property.
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or (
    "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev"
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=25, deadline=None)
settings.load_profile(PROFILE)


def examples(dev: int) -> int:
    """The example count of a property test that runs ``dev`` examples in the dev profile."""
    return dev if PROFILE == "dev" else max(10, dev // 4)


# Modules with the longest tests (a wheel build and venv, seeded production estates, property tests
# over hundreds of examples) run first: pytest-xdist hands tests out in collection order, and a long test
# handed out last keeps one worker busy while the others idle. Whole modules move, in their own order,
# so module-scoped fixtures are still built once per worker; every other test keeps its place.
FIRST = (
    "tests/test_install.py",
    "tests/collectors/test_demo_seed.py",
    "tests/faults/test_fault_matrix_production.py",
    "tests/k8s/test_fuzz.py",
    "tests/iam/test_fuzz.py",
    "tests/graph/test_query_scope.py",
    "tests/faults/test_entrypoint_budgets.py",
    "tests/review/test_fuzz.py",
)


def pytest_collection_modifyitems(items) -> None:
    rank = {path: n for n, path in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(FIRST)))


# The auditor never reads machine images: moto need not build its ~1,300 default AMIs for every
# region it serves after every reset (about a second each time). Read when moto creates a backend.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture(scope="session", autouse=True)
def _shared_botocore_loader():
    import botocore.loaders
    import botocore.session

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(botocore.session, "create_loader", functools.cache(botocore.loaders.create_loader))
        yield


@pytest.fixture(scope="session")
def moto_endpoint():
    """The URL of this process's moto server. Its state is whatever the last test left: fixtures
    that need a clean estate call :func:`reset_moto` first."""
    import moto.backends
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # moto's server lists its own package directory (about 200 stat calls) to route every request;
    # the listing cannot change while the tests run, so it is read once.
    modules = tuple(moto.backends.list_of_moto_modules())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(moto.backends, "list_of_moto_modules", lambda: modules)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
        server.stop()


def reset_moto(endpoint: str) -> None:
    """Drop every resource moto holds (``POST /moto-api/reset``)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


@pytest.fixture
def no_backoff(monkeypatch):
    """Skip botocore's retry back-off sleeps (endpoint level) so retried faults stay quick; the
    retry decisions and counts themselves are unchanged."""
    import time
    import types

    import botocore.endpoint

    monkeypatch.setattr(
        botocore.endpoint, "time", types.SimpleNamespace(sleep=lambda _s: None, time=time.time)
    )


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium for a module's renders (each render gets a tab of its own); skips, or fails
    in CI, where Chromium is absent (tests/report/test_html.py)."""
    from tests.report.chromium import Browser
    from tests.report.test_html import CHROMIUM_FLAGS, _chromium_or_skip

    running = Browser(_chromium_or_skip(), CHROMIUM_FLAGS, tmp_path_factory.mktemp("chromium") / "profile")
    yield running
    running.close()
