"""The fault matrix: the real collection of a small estate (seeded in moto), through the project's
fault-injecting proxy (tests/faults/proxy.py), once without faults and once per fault case.

For every case: the run finishes within its bound; whatever differs from the fault-free snapshot is
named by a collection issue of that scope and service (about that resource, or about the whole
service); the exit code is 3 whenever something was lost and unchanged when retries recovered
everything; and no (check, resource) is PASS unless it is PASS in the fault-free run.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from auditor.collectors.aws import AwsSettings, collect_aws
from auditor.collectors.aws.operations import OPERATIONS
from auditor.entrypoints.cli import exit_code
from auditor.model.result import Status
from auditor.pipeline import evaluate
from tests.faults.conftest import add_gap_answers

REGION = "eu-west-1"
BOUND = 60.0  # seconds: a case that has not finished by then has hung
# Per-attempt bounds where the fault is time, short so that no case waits for seconds. The injected
# delays stay far past them (an answer 10x later than the read timeout, a body dripping a byte every
# fifth of the read timeout and far longer than the call bound), so what is tested -- a delay past the
# bound is cut and named Timeout -- holds as it would at any scale.
FAST = {"read_timeout": 0.5, "call_timeout": 1.0, "connect_timeout": 2.0}
# Where retries must recover everything, every other call of the run must still answer inside the
# bounds on a loaded machine (the emulator's answers take over a second at the 99th percentile there).
CALM = {"read_timeout": 2.0, "call_timeout": 2.5, "connect_timeout": 2.0}
# Operations this estate never calls: the regions are named (no DescribeRegions), no role attaches an
# AWS managed policy (no GetPolicy / GetPolicyVersion), no pod identity association exists. Their
# failures are covered by tests/collectors/test_aws_failures.py and the Stubber tests.
NOT_CALLED = {
    ("ec2", "DescribeRegions"),
    ("iam", "GetPolicy"),
    ("iam", "GetPolicyVersion"),
    ("eks", "DescribePodIdentityAssociation"),
}
DENIED = {
    "efs": "AccessDeniedException",
    "ecs": "AccessDeniedException",
    "lambda": "AccessDeniedException",
    "eks": "AccessDeniedException",
    "backup": "AccessDeniedException",
    "ec2": "UnauthorizedOperation",
    "iam": "AccessDenied",
    "sts": "AccessDenied",
}
# Which snapshot lists each service feeds (roles are selected by the workloads that reference them).
FEEDS = {
    "file_systems": {"efs", "backup"},
    "access_points": {"efs"},
    "security_groups": {"ec2"},
    "subnets": {"ec2"},
    "roles": {"iam", "ecs", "lambda", "eks"},
    "managed_policies": {"iam", "ecs", "lambda", "eks"},
    "task_definitions": {"ecs"},
    "ecs_services": {"ecs"},
    "lambda_functions": {"lambda"},
    "clusters": {"eks"},
}
MALFORMED_TARGETS = (
    ("efs", "DescribeAccessPoints"),
    ("efs", "DescribeFileSystemPolicy"),
    ("efs", "DescribeMountTargets"),
    ("ec2", "DescribeSecurityGroups"),
    ("iam", "GetAccountAuthorizationDetails"),
    ("lambda", "ListFunctions"),
    ("ecs", "DescribeTaskDefinition"),
    ("eks", "DescribeNodegroup"),
)


def _cases() -> list:
    """(id, [(fault, rule)], lost): ``lost`` False when retries must recover everything."""
    cases = [
        ("throttle-storm", [("error", {"per_request": 2, "code": "ThrottlingException"})], False),
        (
            "throttle-ec2-503",
            [("error", {"service": "ec2", "per_request": 3, "code": "RequestLimitExceeded", "status": 503})],
            False,
        ),
        ("throttle-iam", [("error", {"service": "iam", "per_request": 2, "code": "Throttling"})], False),
        (
            "throttle-past-retries",
            [("error", {"operation": "DescribeFileSystemPolicy", "code": "ThrottlingException"})],
            True,
        ),
        ("5xx-burst", [("error", {"per_request": 2, "code": "InternalError", "status": 500})], False),
        (
            "5xx-persistent-efs",
            [("error", {"service": "efs", "code": "ServiceUnavailable", "status": 503})],
            True,
        ),
        ("reset-burst", [("reset", {"per_request": 1})], False),
        ("reset-persistent-ecs", [("reset", {"service": "ecs"})], True),
        ("slow-mount-targets", [("slow", {"operation": "DescribeMountTargets", "delay": 5.0})], True),
        ("slow-task-definition", [("slow", {"operation": "DescribeTaskDefinition", "delay": 5.0})], True),
        ("trickle-access-points", [("trickle", {"operation": "DescribeAccessPoints", "delay": 0.1})], True),
        ("trickle-burst", [("trickle", {"operation": "ListFunctions", "delay": 0.5, "times": 1})], False),
        ("short-body-subnets", [("short", {"operation": "DescribeSubnets"})], True),
        ("sts-denied", [("error", {"service": "sts", "code": "AccessDenied", "status": 403})], True),
        ("sts-garbled", [("garble", {"service": "sts"})], True),
        (
            "wrong-type-FileSystems",
            [("replace", {"operation": "DescribeFileSystems", "body": b'{"FileSystems": "fs-1"}'})],
            True,
        ),
        (
            "item-without-id-AccessPoints",
            [
                (
                    "replace",
                    {"operation": "DescribeAccessPoints", "body": b'{"AccessPoints": [{"Name": "x"}]}'},
                )
            ],
            True,
        ),
        (
            "no-list-ListFunctions",
            [("replace", {"operation": "ListFunctions", "body": b'{"NextMarker": null}'})],
            True,
        ),
        (
            "wrong-type-Policy",
            [("replace", {"operation": "DescribeFileSystemPolicy", "body": b'{"Policy": 7}'})],
            True,
        ),
        ("wrong-type-Tags", [("replace", {"operation": "ListTags", "body": b'{"Tags": ["a"]}'})], True),
    ]
    for kind in ("truncate", "garble", "empty", "html"):
        for service, operation in MALFORMED_TARGETS:
            cases.append(
                (f"{kind}-{operation}", [(kind, {"service": service, "operation": operation})], True)
            )
    for service, code in DENIED.items():
        if service != "sts":
            cases.append(
                (f"denied-{service}", [("error", {"service": service, "code": code, "status": 403})], True)
            )
    for service, operation in sorted(OPERATIONS):
        if service != "sts" and (service, operation) not in NOT_CALLED:
            cases.append(
                (
                    f"denied-{service}-{operation}",
                    [
                        (
                            "error",
                            {
                                "service": service,
                                "operation": operation,
                                "code": DENIED[service],
                                "status": 403,
                            },
                        )
                    ],
                    True,
                )
            )
    return cases


# PASS results that remain after a fault because those checks do not yet name the facts they rest on
# (results carrying their dependencies is another change): each is (case, check, resource suffix).
KNOWN_FLIPS: dict[str, str] = {}


@pytest.fixture(scope="module")
def world(aws_env, proxy, upstream):
    from tests.collectors.conftest import reset, seed_small_estate

    reset(upstream)
    ids = seed_small_estate(REGION)
    aws_env.setenv("AWS_ENDPOINT_URL", proxy.url)
    proxy.clear()
    add_gap_answers(proxy)
    snap = _collect()
    run = evaluate(snap)
    assert snap.issues == [] and run.complete, [i.model_dump() for i in snap.issues]
    return {"ids": ids, "snap": snap, "run": run}


def _collect(bounds: dict | None = None):
    box: dict = {}

    def work():
        box["snap"] = collect_aws(
            AwsSettings(regions=(REGION,), deadline=time.monotonic() + BOUND - 10, **(bounds or {}))
        )

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(BOUND)
    assert not thread.is_alive(), f"collection still running after {BOUND} s"
    return box["snap"]


def _resources(snap) -> dict[tuple[str, str], dict]:
    out = {}
    for kind in FEEDS:
        for item in getattr(snap, kind):
            data = item.model_dump(mode="json")
            key = data.get("arn") or data.get("group_id") or data.get("subnet_id") or data.get("name")
            out[(kind, key)] = data
    return out


def _unnamed_losses(faulty, clean) -> list[str]:
    """Resources of the fault-free snapshot missing or different in the faulty one that no issue names."""
    if any(i.service == "sts" for i in faulty.issues):  # the account could not be opened: all is named
        return []
    got, want = _resources(faulty), _resources(clean)
    unnamed = []
    for (kind, key), data in want.items():
        if got.get((kind, key)) == data:
            continue
        text = json.dumps(data)
        # A role the run keeps because a workload references it is named by the issue about that
        # workload's reference (a node group, a task definition, a function).
        referrers = {"ecs", "lambda", "eks"} if kind in ("roles", "managed_policies") else set()
        named = [
            i
            for i in faulty.issues
            if i.service in referrers
            or (
                i.service in FEEDS[kind]
                and (i.resource_id is None or i.resource_id in text or key in (i.resource_id or ""))
            )
        ]
        if not named:
            unnamed.append(f"{kind} {key}")
    return unnamed


def _flips(run, clean_run) -> list[str]:
    was = {(r.check_id, r.resource_id): r.status for r in clean_run.results}
    return sorted(
        f"{r.check_id} {r.resource_id} (fault-free: {was.get((r.check_id, r.resource_id), 'absent')})"
        for r in run.results
        if r.status is Status.PASS and was.get((r.check_id, r.resource_id)) is not Status.PASS
    )


CASES = _cases()


@pytest.mark.parametrize("rules,lost", [pytest.param(r, lost, id=name) for name, r, lost in CASES])
def test_fault_case(world, proxy, rules, lost, request, no_backoff):
    case = request.node.callspec.id
    proxy.clear()
    for fault, rule in rules:
        proxy.add(fault, **rule)
    add_gap_answers(proxy)
    # Short per-attempt bounds only where the fault is time: elsewhere a loaded machine must not turn
    # a slow emulator into a fault of its own.
    snap = _collect((FAST if lost else CALM) if rules[0][0] in ("slow", "trickle") else None)
    injected = proxy.injected()
    run = evaluate(snap)
    assert injected > 0, "the fault never fired: the case tests nothing"
    assert _unnamed_losses(snap, world["snap"]) == []
    # A collector that raised (the recorded form of a traceback) is a bug, not a fault handled.
    assert [i.message for i in snap.issues if i.error_code == "CollectorError"] == []
    if lost:
        assert snap.issues, "something was lost, yet no collection issue says so"
        assert exit_code(run, "never", False) == 3
        codes = {i.error_code for i in snap.issues}
        if rules[0][0] in ("truncate", "garble", "empty", "html", "short", "replace"):
            assert "MalformedResponse" in codes
        if rules[0][0] in ("slow", "trickle"):
            assert "Timeout" in codes
    else:
        assert [i.model_dump() for i in snap.issues] == []
        assert _resources(snap) == _resources(world["snap"])
        assert exit_code(run, "high", False) == exit_code(world["run"], "high", False)
    flips = _flips(run, world["run"])
    if case in KNOWN_FLIPS and flips:
        pytest.xfail(KNOWN_FLIPS[case])
    assert flips == []
