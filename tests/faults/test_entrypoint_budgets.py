"""The scheduled entry points finish inside their time budget with a verified bundle, whatever the
endpoints do: an answer that never comes in time (slower than the whole budget) and a body that
trickles are cut at the run's deadline; what was not read by then is NOT_ASSESSED with the reason,
the exit code is 3, and nothing is PASS that is not PASS in the fault-free run.

The budget is checked as the requirement it is (the run must end before it), not as a benchmark.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from auditor.entrypoints import aws_lambda, cronjob
from auditor.model.result import AuditRun, Status
from auditor.report.bundle import verify_bundle
from tests.deploy.support import BUCKET, FakeContext, download_prefix, seed_estate
from tests.faults.conftest import add_gap_answers

BUDGET = 4.0  # seconds of collection (the injected slowness is far longer: 60 s, a byte a second)
RESERVE = 8.0  # seconds kept for evaluation, the bundle and the upload
FAULTS = {
    "slow": ("slow", {"service": "efs", "operation": "DescribeMountTargets", "delay": 60.0}),
    "trickle": ("trickle", {"service": "efs", "operation": "DescribeAccessPoints", "delay": 1.0}),
}


@pytest.fixture(scope="module")
def world(aws_env, proxy, upstream):
    from tests.collectors.conftest import reset

    reset(upstream)
    seed_estate(upstream)
    aws_env.setenv("AWS_ENDPOINT_URL", proxy.url)
    for name, value in {
        "EFS_AUDIT_REGIONS": "eu-west-1",
        "EFS_AUDIT_BUCKET": BUCKET,
        "EFS_AUDIT_PREFIX": "audits",
        "EFS_AUDIT_FORMATS": "json",
        "EFS_AUDIT_RESERVE_SECONDS": str(RESERVE),
    }.items():
        aws_env.setenv(name, value)
    proxy.clear()
    add_gap_answers(proxy)
    clean = aws_lambda.handler({}, FakeContext(remaining_ms=600_000))
    assert clean["complete"] is True, clean
    # A bundle's prefix is stamped to the second and is never overwritten: the next invocation starts
    # in a later second than this one (a fast fault-free run can end within the second it started).
    time.sleep(1.01 - time.time() % 1.0)
    return {"clean": clean, "upstream": upstream}


def _run_of(world, summary, tmp_path) -> AuditRun:
    dest = tmp_path / "bundle"
    download_prefix(world["upstream"], BUCKET, summary["s3"]["prefix"], dest)
    assert verify_bundle(dest) == []
    return AuditRun.model_validate_json((dest / "run.json").read_text())


def _no_new_pass(run: AuditRun, clean: AuditRun) -> None:
    was = {(r.check_id, r.resource_id): r.status for r in clean.results}
    assert [
        (r.check_id, r.resource_id)
        for r in run.results
        if r.status is Status.PASS and was.get((r.check_id, r.resource_id)) is not Status.PASS
    ] == []


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_lambda_finishes_inside_its_budget_with_a_bundle(world, proxy, fault, tmp_path):
    kind, rule = FAULTS[fault]
    proxy.clear()
    proxy.add(kind, **rule)
    add_gap_answers(proxy)
    remaining = BUDGET + RESERVE
    started = time.monotonic()
    summary = aws_lambda.handler({}, FakeContext(remaining_ms=int(remaining * 1000)))
    took = time.monotonic() - started
    assert took < remaining, f"the invocation ran {took:.1f} s of its {remaining} s"
    assert proxy.injected() > 0
    assert summary["complete"] is False and summary["exit_code"] == 3
    run = _run_of(world, summary, tmp_path)
    timeouts = [i for i in run.issues if i.error_code == "Timeout"]
    assert {i.operation for i in timeouts} >= {rule["operation"]}
    clean = _run_of(world, world["clean"], tmp_path / "clean")
    _no_new_pass(run, clean)
    assert any(r.status is Status.NOT_ASSESSED for r in run.results)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_cronjob_finishes_inside_its_budget_with_a_bundle(world, proxy, fault, tmp_path, monkeypatch):
    import os

    kind, rule = FAULTS[fault]
    proxy.clear()
    proxy.add(kind, **rule)
    add_gap_answers(proxy)
    budget = BUDGET + RESERVE
    env = {
        **os.environ,
        "EFS_AUDIT_TIME_BUDGET_SECONDS": str(budget),
        "EFS_AUDIT_OUTPUT_DIR": str(tmp_path / "out"),
    }
    env.pop("EFS_AUDIT_BUCKET")
    started = time.monotonic()
    code = cronjob.run(env)
    took = time.monotonic() - started
    assert took < budget, f"the job ran {took:.1f} s of its {budget} s"
    assert code == 3
    (bundle,) = [
        p for p in Path(tmp_path / "out").iterdir() if p.is_dir() and p.name != "index"
    ]  # index/: the run history
    assert verify_bundle(bundle) == []
    run = AuditRun.model_validate_json((bundle / "run.json").read_text())
    assert {i.operation for i in run.issues if i.error_code == "Timeout"} >= {rule["operation"]}
    clean = _run_of(world, world["clean"], tmp_path / "clean")
    _no_new_pass(run, clean)
