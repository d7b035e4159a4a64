"""auditor.gate: the one exit-code decision of check, scan, review, the Lambda and the CronJob.

0 clean, 1 an unwaived FAIL at or above --fail-on, 3 incomplete unless allow-partial (README "Exit
codes", docs/scheduled-audits.md). A run's incompleteness outranks its findings; a review's introduced
finding outranks its NOT_ASSESSED."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from auditor import gate
from auditor.model.result import SEVERITY_ORDER, AuditRun, Result, Severity, Status
from auditor.model.snapshot import CollectionIssue, CollectionUnit
from auditor.report.waivers import Waiver

ROOT = Path(__file__).resolve().parents[1]


def result(severity: str, status: Status = Status.FAIL, resource: str = "arn:aws:efs:r:1:fs/a") -> Result:
    return Result(
        check_id="EFS-TEST-1",
        status=status,
        severity=Severity(severity),
        resource_id=resource,
        resource_type="AwsEfsFileSystem",
        scope="aws:111122223333:eu-west-1",
        message="m",
    )


def run_of(*results: Result, complete: bool = True) -> AuditRun:
    scope = "aws:111122223333:eu-west-1"
    issues = (
        []
        if complete
        else [CollectionIssue(scope=scope, service="efs", operation="X", error_code="E", message="m")]
    )
    return AuditRun(
        tool_version="t",
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        snapshot_digest="s",
        catalogue_digest="c",
        parameters={},
        units=[CollectionUnit(scope=scope, method="api", services=["efs"], complete=complete)],
        issues=issues,
        results=list(results),
    )


def waiver(resource: str = "arn:aws:efs:r:1:fs/a", expired: bool = False) -> Waiver:
    return Waiver(("EFS-TEST-1",), (resource,), "accepted", "team", date(2030, 1, 1), expired=expired)


def test_a_complete_run_without_failures_is_0():
    assert gate.run_exit_code(run_of(result("critical", Status.PASS)), "info", False) == gate.CLEAN == 0


def test_a_fail_at_the_threshold_is_1():
    assert gate.run_exit_code(run_of(result("high")), "high", False) == gate.FAILING == 1


def test_a_fail_above_the_threshold_is_1():
    assert gate.run_exit_code(run_of(result("critical")), "high", False) == 1


def test_a_fail_one_step_below_the_threshold_is_0():
    assert gate.run_exit_code(run_of(result("medium")), "high", False) == 0


@pytest.mark.parametrize("fail_on", [s.value for s in Severity])
def test_each_threshold_boundary_counts_its_own_severity_and_not_the_one_below(fail_on):
    below = SEVERITY_ORDER[SEVERITY_ORDER.index(fail_on) + 1 :]
    assert gate.run_exit_code(run_of(result(fail_on)), fail_on, False) == 1
    assert all(gate.run_exit_code(run_of(result(s)), fail_on, False) == 0 for s in below)


def test_fail_on_never_is_0_even_for_a_critical_fail():
    assert gate.run_exit_code(run_of(result("critical")), "never", False) == 0


def test_not_assessed_results_are_not_findings():
    assert gate.run_exit_code(run_of(result("critical", Status.NOT_ASSESSED)), "info", False) == 0


def test_an_incomplete_run_is_3():
    assert gate.run_exit_code(run_of(complete=False), "high", False) == gate.PARTIAL == 3


def test_an_incomplete_run_with_findings_is_3_not_1():
    assert gate.run_exit_code(run_of(result("critical"), complete=False), "high", False) == 3


def test_an_incomplete_run_with_fail_on_never_is_still_3():
    assert gate.run_exit_code(run_of(complete=False), "never", False) == 3


def test_a_run_that_read_nothing_is_3():
    empty = run_of().model_copy(update={"units": []})
    assert gate.run_exit_code(empty, "high", False) == 3


def test_allow_partial_turns_an_incomplete_clean_run_into_0():
    assert gate.run_exit_code(run_of(complete=False), "high", True) == 0


def test_allow_partial_still_fails_on_findings():
    assert gate.run_exit_code(run_of(result("high"), complete=False), "high", True) == 1


def test_a_waived_fail_does_not_fail_the_run():
    assert gate.run_exit_code(run_of(result("critical")), "high", False, [waiver()]) == 0


def test_a_waiver_for_another_resource_leaves_the_fail():
    assert gate.run_exit_code(run_of(result("critical")), "high", False, [waiver("arn:other")]) == 1


def test_an_expired_waiver_does_not_waive():
    assert gate.run_exit_code(run_of(result("critical")), "high", False, [waiver(expired=True)]) == 1


def test_waivers_do_not_hide_an_incomplete_run():
    assert gate.run_exit_code(run_of(result("critical"), complete=False), "high", False, [waiver()]) == 3


def test_failing_lists_only_unwaived_fails_at_or_above_the_threshold():
    kept, waived = result("high", resource="arn:kept"), result("critical")
    run = run_of(kept, waived, result("low", resource="arn:low"), result("high", Status.PASS))
    assert gate.failing(run, "high", [waiver()]) == [kept]
    assert gate.failing(run, "never") == []


def test_review_an_introduced_finding_at_the_threshold_is_1():
    assert gate.review_exit_code([result("high")], [], "high", False) == 1


def test_review_an_introduced_finding_below_the_threshold_is_0():
    assert gate.review_exit_code([result("medium")], [], "high", False) == 0


def test_review_a_declared_not_assessed_is_3():
    assert gate.review_exit_code([], [result("low", Status.NOT_ASSESSED)], "high", False) == 3


def test_review_an_introduced_finding_outranks_not_assessed():
    assert gate.review_exit_code([result("high")], [result("low", Status.NOT_ASSESSED)], "high", False) == 1


def test_review_allow_partial_turns_not_assessed_into_0():
    assert gate.review_exit_code([], [result("low", Status.NOT_ASSESSED)], "high", True) == 0


def test_review_fail_on_never_ignores_introduced_findings():
    assert gate.review_exit_code([result("critical")], [], "never", False) == 0


def test_severity_rank_follows_the_one_declared_order():
    assert [Severity(s).rank for s in SEVERITY_ORDER] == [4, 3, 2, 1, 0]
    assert (*SEVERITY_ORDER, "never") == gate.FAIL_ON
    assert [m.value for m in gate.FailOn] == list(gate.FAIL_ON)


def test_the_cli_imports_the_gate_without_the_scheduled_package_or_boto3():
    code = (
        "import sys, auditor.gate, auditor.entrypoints.cli; "
        "print(sorted(m for m in ('boto3', 'botocore', 'auditor.scheduled') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
