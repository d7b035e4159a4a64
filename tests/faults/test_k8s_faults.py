"""Kubernetes API faults: the live collector (official client) against the local test API server
(tests/k8s/fake_api.py) serving the production estate's objects, joined to that estate's AWS half.

For each fault (403 per list, 410 on a continue token twice, a list slower than the read timeout, a
body that trickles past its limit, malformed list answers, the run's deadline), the faulty run is
compared result by result with the fault-free one: the lost lists are named in the issues, the run is
incomplete (exit 3), and nothing is PASS that is not PASS without the fault.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from auditor.collectors.k8s import live
from auditor.collectors.k8s.live import LISTS, collect_cluster
from auditor.entrypoints.cli import exit_code
from auditor.model import snapshot as snap_mod
from auditor.model.k8s import K8sCluster
from auditor.model.result import Status
from auditor.pipeline import evaluate
from tests.k8s.fake_api import FakeApi, kubeconfig
from tests.k8s.test_live import sample_objects

ROOT = Path(__file__).resolve().parents[2]
BOUND = 60.0
RESOURCES = [r for _, _, r, *_ in LISTS]


def aws_half():
    """The production estate's AWS units with each cluster reduced to what EKS says about it."""
    full = snap_mod.load(ROOT / "samples" / "estates" / "production" / "snapshot.json")
    clusters = [
        K8sCluster(
            name=c.name,
            account_id=c.account_id,
            region=c.region,
            eks_arn=c.eks_arn,
            node_role_arns=c.node_role_arns,
            pod_identity_associations=c.pod_identity_associations,
        )
        for c in full.clusters
    ]
    return full.model_copy(
        update={
            "units": [u for u in full.units if not u.scope.startswith("k8s:")],
            "issues": [i for i in full.issues if not i.scope.startswith("k8s:")],
            "clusters": clusters,
        }
    )


class Api(FakeApi):
    """The test API server, stopping within 50 ms (its serve loop's poll interval) instead of half a
    second: the cases start and stop one each."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )


class TrickleApi(Api):
    """Answers one resource's list with the body dripping a byte every ``delay`` seconds, or with a
    fixed malformed body."""

    def __init__(
        self, objects, trickle: dict[str, float] | None = None, bodies: dict[str, bytes] | None = None
    ):
        super().__init__(objects)
        self.trickle = trickle or {}
        self.bodies = bodies or {}
        handler = self.server.RequestHandlerClass
        api = self
        original = handler._send

        def _send(self, code, body):
            resource = self.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            if resource in api.bodies:
                data = api.bodies[resource]
            elif resource in api.trickle:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    for i in range(len(data)):
                        time.sleep(api.trickle[resource])
                        self.wfile.write(data[i : i + 1])
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return
            else:
                return original(self, code, body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        handler._send = _send


def _run(tmp_path, api, **kw):
    box = {}

    def work():
        box["snap"] = collect_cluster(kubeconfig=kubeconfig(tmp_path, api.url), **{"page_size": 3, **kw})

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(BOUND)
    assert not thread.is_alive(), f"collection still running after {BOUND} s"
    k8s = box["snap"]
    return k8s, evaluate(snap_mod.merge(aws_half(), k8s))


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    with Api(sample_objects()) as api:
        k8s, run = _run(tmp_path_factory.mktemp("clean"), api)
    assert k8s.issues == [] and run.complete
    return run


def _flips(run, clean_run) -> list[str]:
    was = {(r.check_id, r.resource_id): r.status for r in clean_run.results}
    return sorted(
        f"{r.check_id} {r.resource_id}"
        for r in run.results
        if r.status is Status.PASS and was.get((r.check_id, r.resource_id)) is not Status.PASS
    )


def _asked(api, resource: str) -> int:
    """How many requests the API server saw for one resource's list."""
    return sum(1 for path, _ in api.requests if path.rsplit("/", 1)[-1] == resource)


def _check(k8s, run, clean_run, lost_lists: set[str], code: str) -> None:
    assert {i.operation for i in k8s.issues} >= {f"list {r}" for r in lost_lists}
    assert code in {i.error_code for i in k8s.issues}
    assert exit_code(run, "never", False) == 3
    assert _flips(run, clean_run) == []


@pytest.fixture(autouse=True)
def bounded(monkeypatch):
    """Bounds no answer here comes near (a hang still ends): a loaded machine must not turn a slow
    fake server into a Timeout where another fault is expected."""
    monkeypatch.setattr(live, "REQUEST_TIMEOUT", (2, 10.0))
    monkeypatch.setattr(live, "LIST_TIMEOUT", 20.0)


@pytest.fixture
def short_timeouts(monkeypatch):
    """Short bounds where the fault is time, so that no case waits for seconds: the injected delays
    stay far past them (an answer 4x later than the read timeout, a body dripping a byte every fifth
    of it and running far past the list's bound)."""
    monkeypatch.setattr(live, "REQUEST_TIMEOUT", (2, 0.5))
    monkeypatch.setattr(live, "LIST_TIMEOUT", 1.0)


# PASS results a fault would leave in place (none: every result names the facts it rests on).
KNOWN_FLIPS: dict[str, str] = {}


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param(r, marks=pytest.mark.xfail(strict=True, reason=KNOWN_FLIPS[r]))
        if r in KNOWN_FLIPS
        else r
        for r in RESOURCES
    ],
)
def test_forbidden_list(resource, clean, tmp_path):
    with Api(sample_objects(), errors={resource: (403, "Forbidden")}) as api:
        k8s, run = _run(tmp_path, api)
    _check(k8s, run, clean, {resource}, "Forbidden")


def _known(resources):
    return [
        pytest.param(r, marks=pytest.mark.xfail(strict=True, reason=KNOWN_FLIPS[r]))
        if r in KNOWN_FLIPS
        else r
        for r in resources
    ]


@pytest.mark.parametrize("resource", _known(["persistentvolumes", "pods", "deployments", "serviceaccounts"]))
def test_continue_token_gone_twice(resource, clean, tmp_path):
    """410 Gone on a continue token restarts the list once; a second 410 loses the list."""
    with Api(sample_objects(), expire={resource}) as api:
        original = api.expire

        class Always(set):
            def discard(self, _item):  # stays expired: every continued request answers 410
                pass

        api.expire = Always(original)
        k8s, run = _run(tmp_path, api, page_size=1)
    _check(k8s, run, clean, {resource}, "Expired")


@pytest.mark.parametrize("resource", ["pods", "storageclasses", "persistentvolumeclaims"])
def test_slow_list_past_the_read_timeout(resource, clean, tmp_path, short_timeouts):
    """The list is cut at its read timeout and asked once: a timed-out read is not retried, so the
    list's bound (LIST_TIMEOUT, the run's deadline) holds."""
    with Api(sample_objects(), slow={resource: 2.0}) as api:
        k8s, run = _run(tmp_path, api)
    assert _asked(api, resource) == 1
    _check(k8s, run, clean, {resource}, "Timeout")


@pytest.mark.parametrize("resource", ["persistentvolumes", "daemonsets"])
def test_trickling_list_is_cut(resource, clean, tmp_path, short_timeouts):
    with TrickleApi(sample_objects(), trickle={resource: 0.1}) as api:
        k8s, run = _run(tmp_path, api)
    _check(k8s, run, clean, {resource}, "Timeout")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>502 Bad Gateway</body></html>",
        b'{"metadata": {}}',
        b'{"items": {"a": 1}}',
        b'{"items": ["x"]}',
        b'{"items": [], "metadata": 3}',
        b'{"items": [{"metadata": {"name": "a"',
    ],
    ids=["empty", "html", "no-items", "items-object", "item-string", "metadata-number", "truncated"],
)
def test_malformed_list_answer(body, clean, tmp_path):
    """A list answer without its items list, of the wrong type, or not JSON at all is a
    MalformedResponse issue, never an empty list."""
    with TrickleApi(sample_objects(), bodies={"storageclasses": body}) as api:
        k8s, run = _run(tmp_path, api)
    _check(k8s, run, clean, {"storageclasses"}, "MalformedResponse")


def test_deadline_cuts_a_list_in_flight(clean, tmp_path, monkeypatch):
    """The run's deadline ends a list already waiting for its answer, and every list after it."""
    monkeypatch.setattr(live, "REQUEST_TIMEOUT", (2, 30.0))
    monkeypatch.setattr(live, "LIST_TIMEOUT", 30.0)
    with Api(sample_objects(), slow={"pods": 5.0}) as api:
        k8s, run = _run(tmp_path, api, deadline=time.monotonic() + 1.0)
    lost = set(RESOURCES[RESOURCES.index("pods") :])
    # no retry of the list in flight, and no list after it started
    assert _asked(api, "pods") <= 1 and [r for r in lost if r != "pods" and _asked(api, r)] == []
    _check(k8s, run, clean, lost, "Timeout")
