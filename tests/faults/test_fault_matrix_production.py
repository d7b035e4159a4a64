"""The fault matrix on the production estate (samples/estates/production, seeded in moto through the
AWS API by auditor/demo/seed.py): workloads mounting through access points, AWS managed policies,
ECS services, Lambda and EKS. Same rules as test_fault_matrix.py: bounded, every loss named, exit 3,
no PASS that is not PASS without the fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.entrypoints.cli import exit_code
from auditor.pipeline import evaluate
from tests.faults.conftest import add_gap_answers
from tests.faults.test_fault_matrix import DENIED, _collect, _flips, _unnamed_losses

PRODUCTION = Path(__file__).resolve().parents[2] / "samples" / "estates" / "production"
OPERATIONS = [
    ("efs", "DescribeFileSystems"),
    ("efs", "DescribeAccessPoints"),
    ("efs", "DescribeMountTargets"),
    ("efs", "DescribeFileSystemPolicy"),
    ("efs", "DescribeBackupPolicy"),
    ("efs", "DescribeMountTargetSecurityGroups"),
    ("ec2", "DescribeSecurityGroups"),
    ("ec2", "DescribeSubnets"),
    ("ec2", "DescribeRouteTables"),
    ("iam", "GetAccountAuthorizationDetails"),
    ("iam", "GetPolicy"),
    ("iam", "GetPolicyVersion"),
    ("ecs", "ListServices"),
    ("ecs", "DescribeServices"),
    ("ecs", "DescribeTaskDefinition"),
    ("lambda", "ListFunctions"),
    ("lambda", "ListTags"),
    ("eks", "DescribeCluster"),
    ("eks", "DescribeNodegroup"),
]


def _cases():
    cases = []
    for service, code in DENIED.items():
        if service != "sts":
            cases.append(
                (f"denied-{service}", [("error", {"service": service, "code": code, "status": 403})])
            )
    for service, operation in OPERATIONS:
        cases.append(
            (
                f"denied-{operation}",
                [
                    (
                        "error",
                        {"service": service, "operation": operation, "code": DENIED[service], "status": 403},
                    )
                ],
            )
        )
    for kind in ("garble", "html"):
        for operation in ("DescribeAccessPoints", "DescribeTaskDefinition", "GetAccountAuthorizationDetails"):
            cases.append((f"{kind}-{operation}", [(kind, {"operation": operation})]))
    return [pytest.param(rules, id=name) for name, rules in cases]


@pytest.fixture(scope="module")
def world(aws_env, proxy, upstream):
    from auditor.demo import load_sample
    from auditor.demo.seed import seed
    from tests.collectors.conftest import reset

    aws_env.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # the estate attaches AWS managed policies
    aws_env.setenv("AWS_ENDPOINT_URL", upstream)
    reset(upstream)
    seed(load_sample(PRODUCTION), upstream)
    aws_env.setenv("AWS_ENDPOINT_URL", proxy.url)
    proxy.clear()
    add_gap_answers(proxy)
    snap = _collect()
    run = evaluate(snap)
    assert snap.issues == [] and run.complete, [i.model_dump() for i in snap.issues]
    return {"snap": snap, "run": run}


@pytest.mark.parametrize("rules", _cases())
def test_production_fault_case(world, proxy, rules, no_backoff):
    proxy.clear()
    for fault, rule in rules:
        proxy.add(fault, **rule)
    add_gap_answers(proxy)
    snap = _collect()
    run = evaluate(snap)
    assert proxy.injected() > 0, "the fault never fired: the case tests nothing"
    assert _unnamed_losses(snap, world["snap"]) == []
    # A collector that raised (the recorded form of a traceback) is a bug, not a fault handled.
    assert [i.message for i in snap.issues if i.error_code == "CollectorError"] == []
    assert snap.issues and exit_code(run, "never", False) == 3
    assert _flips(run, world["run"]) == []
