"""Checks carry the values they report (directories, claims, scopes) instead of recovering them from
node ids or message text."""

from auditor.model import k8s
from auditor.model.scope import aws_scope, is_k8s_scope, k8s_scope
from auditor.model.snapshot import CollectionUnit
from tests.analysis.estate import (
    TLS_DENY,
    ap,
    cluster,
    csi_pv,
    deployment,
    fs,
    policy,
    pvc,
    reuse_access_point_estate,
    run,
    snapshot,
)


def _shared_directory_estate(pvc_name_one: str = "one", pvc_name_two: str = "two"):
    sc = k8s.StorageClass(
        name="shared",
        provisioner=k8s.EFS_CSI_DRIVER,
        parameters={
            "provisioningMode": "efs-ap",
            "fileSystemId": "fs-00000001",
            "uid": "4000",
            "gid": "4000",
            "subPathPattern": "/${.PVC.namespace}",
            "ensureUniqueDirectory": "false",
        },
    )
    c = cluster(
        scs=[sc],
        pvs=[
            csi_pv("p1", "fs-00000001::fsap-00000000000000001", claim=pvc_name_one),
            csi_pv("p2", "fs-00000001::fsap-00000000000000002", claim=pvc_name_two),
        ],
        pvcs=[pvc(pvc_name_one, volume="p1", sc="shared"), pvc(pvc_name_two, volume="p2", sc="shared")],
        workloads=[deployment("one", pvc_name_one, app="one"), deployment("two", pvc_name_two, app="two")],
    )
    return snapshot(
        file_systems=[fs(1, policy(TLS_DENY))],
        access_points=[ap(1, "/ns", 4000), ap(2, "/ns", 4000)],
        clusters=[c],
    )


def test_edge_31_entry_names_the_shared_directory_itself():
    """Edge 31: the reached directory is the one the subPathPattern shares ("/ns"), not a fragment of
    the message; the path leads to the StorageClass that shares it."""
    status, ev = run("efs_cross_app_reach", _shared_directory_estate())["k8s://c1/ns/Deployment/one"]
    rows = [r for r in ev["reached"] if "edge 31" in r["how"]]
    assert status.value == "FAIL" and rows
    assert {r["directory"] for r in rows} == {"/ns"}
    assert rows[0]["other_application"] == "two"
    assert rows[0]["path"][-1] == "k8s://c1/_cluster/StorageClass/shared"


def test_edge_30_not_taken_for_edge_31_when_a_claim_is_named_directory():
    """Edge 30 (reuseAccessPoint) for PVCs named "directory": the reached directory is the mount's own,
    whatever the claim's name says."""
    snap = reuse_access_point_estate(claim="directory")
    status, ev = run("efs_cross_app_reach", snap)["k8s://c1/a/Deployment/a"]
    rows = [r for r in ev["reached"] if "edge 30" in r["how"]]
    assert status.value == "FAIL" and rows
    assert {r["directory"] for r in rows} == {"/dyn/data"}


def test_scopes_are_built_by_one_constructor():
    """Collection units and results use the same scope strings: aws:<account>:<region>, the account's
    global scope for IAM, k8s:<cluster>."""
    assert aws_scope("111122223333", "eu-west-1") == "aws:111122223333:eu-west-1"
    assert aws_scope("111122223333") == "aws:111122223333:global"
    assert k8s_scope("prod") == "k8s:prod"
    assert is_k8s_scope(k8s_scope("prod")) and not is_k8s_scope(aws_scope("111122223333"))
    assert CollectionUnit(scope=k8s_scope("prod"), method="k8s-api").scope == "k8s:prod"
