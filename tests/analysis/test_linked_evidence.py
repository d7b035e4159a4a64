"""Linked evidence (issue: findings linked across layers): a principal's FAIL names the workloads that
carry it and their mounts, an access point's FAIL the workloads mounting it, a workload's FAIL its
principals and access points. Ids, not prose."""

from __future__ import annotations

from auditor.model.result import Status
from auditor.pipeline import evaluate
from tests.analysis.estate import ALL, ap, ap_arn, fs, function, identity, role, role_arn, snapshot, task

TD = "arn:aws:ecs:eu-west-1:111122223333:task-definition/{}:1"
FN = "arn:aws:lambda:eu-west-1:111122223333:function:{}"


def _results(snap):
    return {(r.check_id, r.resource_id): r for r in evaluate(snap).results}


def _estate():
    # No file system policy (§2.2): every client mounts with root; the role also holds ClientRootAccess.
    return snapshot(
        file_systems=[fs(1)],
        roles=[role("r", identity(ALL))],
        access_points=[ap(1, "/a"), ap(2, "/b", 1002, app="b")],
        task_definitions=[task("t", ap_n=1, app="a", iam="ENABLED", task_role="r", user="0:0")],
        lambda_functions=[function("f", 1, "r", app="a")],
    )


def test_s2_5_role_fail_names_the_workloads_that_carry_it_and_their_mounts():
    r = _results(_estate())[("efs_root_squash_gap", role_arn("r"))]
    assert r.status is Status.FAIL
    assert r.evidence["workloads"] == sorted([TD.format("t"), FN.format("f")])
    assert {(m["workload"], m["access_point"]) for m in r.evidence["mounts"]} == {
        (TD.format("t"), ap_arn(1)),
        (FN.format("f"), ap_arn(1)),
    }


def test_s1_4_access_point_fail_names_the_workloads_mounting_it():
    r = _results(_estate())[("efs_access_point_no_user_identity", ap_arn(1))]
    assert r.status is Status.FAIL
    assert r.evidence["mounted_by"] == sorted([TD.format("t"), FN.format("f")])


def test_s0_workload_fail_names_its_principal_and_access_point():
    r = _results(_estate())[("efs_root_squash_gap", TD.format("t"))]
    assert r.status is Status.FAIL
    assert r.evidence["principals"] == [role_arn("r")] and r.evidence["access_points"] == [ap_arn(1)]
