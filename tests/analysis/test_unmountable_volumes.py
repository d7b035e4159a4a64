"""Unmountable volumes are findings for every workload kind (§0 layer 4, §4.1, §5, §6.5, edge 23): a volume
whose configuration AWS rejects or whose connection the file system policy certainly denies is a FAIL of
efs_workload_volume_unmountable, and every other workload check still reports that workload (never missing)
with the reason in its evidence."""

from auditor.checks import CHECKS
from auditor.model.result import Status
from tests.analysis.estate import (
    TLS_DENY,
    allow,
    ap,
    cluster,
    csi_pv,
    deployment,
    fs,
    function,
    policy,
    pvc,
    role,
    role_arn,
    run,
    snapshot,
    statuses,
    task,
)

PASS, FAIL, NA = Status.PASS, Status.FAIL, Status.NOT_ASSESSED
CID = "efs_workload_volume_unmountable"
TASK = "arn:aws:ecs:eu-west-1:111122223333:task-definition/{}:1"
LAMBDA = "arn:aws:lambda:eu-west-1:111122223333:function:{}"
WORKLOAD_CHECKS = ("efs_unencrypted_mount", "efs_workload_runs_as_root", "efs_root_squash_gap", CID)


def only_named_role():
    """File system policy allowing only role 'named' (plus the TLS-deny preset); an access point /a."""
    c = cluster(
        pvs=[csi_pv("pv", "fs-00000001::fsap-00000000000000001", options=["tls", "iam"])],
        pvcs=[pvc("pv")],
        workloads=[deployment("k8s-denied", "pv")],
        node_roles=[role_arn("node")],
    )
    return snapshot(
        file_systems=[fs(1, policy(allow([role_arn("named")]), TLS_DENY))],
        access_points=[ap(1, "/a", 1001, app="a")],
        roles=[role("named"), role("node"), role("lr"), role("tr")],
        task_definitions=[
            task("ecs-anonymous", ap_n=1),
            task("ecs-named", ap_n=1, iam="ENABLED", task_role="named"),
        ],
        lambda_functions=[function("lambda-denied", 1, "lr")],
        clusters=[c],
    )


def test_s0_layer4_unmountable_volume_is_a_finding_for_ecs_lambda_and_kubernetes():
    got = run(CID, only_named_role())
    assert {k: v[0] for k, v in got.items()} == {
        TASK.format("ecs-anonymous"): FAIL,  # iam DISABLED: anonymous, the policy allows only the named role
        TASK.format("ecs-named"): PASS,
        LAMBDA.format("lambda-denied"): FAIL,  # the execution role cannot mount the access point (§5)
        "k8s://c1/ns/Deployment/k8s-denied": FAIL,  # the CSI node identity is denied (§6.5)
    }
    volume = got[TASK.format("ecs-anonymous")][1]["volumes"][0]
    assert (
        volume["volume"] == "data"
        and volume["cause"] == "authorization"
        and volume["principal"] == ["anonymous"]
    )


def test_s0_layer4_every_workload_keeps_a_result_in_every_workload_check():
    """The denominators do not change: each workload has one result per workload check."""
    snap = only_named_role()
    workloads = {
        TASK.format("ecs-anonymous"),
        TASK.format("ecs-named"),
        LAMBDA.format("lambda-denied"),
        "k8s://c1/ns/Deployment/k8s-denied",
    }
    for cid in WORKLOAD_CHECKS:
        assert workloads <= set(statuses(cid, snap)), cid
    rows = run("efs_root_squash_gap", snap)[TASK.format("ecs-anonymous")][1]["mounts"]
    assert "cannot mount" in rows[0]["cannot_mount"]


def test_edge_23_ecs_access_point_without_transit_encryption_is_invalid_not_unencrypted():
    snap = snapshot(
        file_systems=[fs(1)],
        access_points=[ap(1, "/a", 1001)],
        task_definitions=[task("ap-no-tls", ap_n=1, tls=None), task("plain", tls=None)],
    )
    assert run(CID, snap)[TASK.format("ap-no-tls")][0] is FAIL
    assert run("efs_ecs_invalid_volume", snap)[TASK.format("ap-no-tls")][0] is FAIL
    status, ev = run("efs_unencrypted_mount", snap)[TASK.format("ap-no-tls")]
    assert status is NA and "cannot mount" in ev["reason"][0]  # never "mounts without TLS"
    assert run("efs_unencrypted_mount", snap)[TASK.format("plain")][0] is FAIL
    assert run(CID, snap)[TASK.format("plain")][0] is PASS  # plaintext but valid: it mounts


def test_s6_9_unknown_principal_is_not_assessed_never_pass():
    snap = snapshot(
        file_systems=[fs(1, policy(allow([role_arn("named")])))],
        access_points=[ap(1, "/a", 1001)],
        task_definitions=[task("unknown-fs", fs_n=2)],
    )
    status, ev = run(CID, snap)[TASK.format("unknown-fs")]
    assert status is NA and ev["reason"]


def test_registry_lists_the_check_for_every_workload_service():
    assert {"ecs", "lambda", "k8s", "efs", "iam"} <= set(CHECKS[CID].services)
