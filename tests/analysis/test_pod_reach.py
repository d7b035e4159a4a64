"""§0, §6.5, §6.7: a pod's reach is what the volumes bound to its spec give it. The shared EFS CSI node
identity's possible reach (it may mount without an access point) is a finding on the CSI driver, not
on every pod of the cluster."""

from __future__ import annotations

from auditor.model.result import Status
from tests.analysis.estate import (
    MW,
    TLS_DENY,
    allow,
    ap,
    cluster,
    csi_pv,
    deployment,
    fs,
    policy,
    pvc,
    role,
    role_arn,
    run,
    snapshot,
)

FAIL, PASS = Status.FAIL, Status.PASS
NODE = "k8s://c1/kube-system/DaemonSet/efs-csi-node"


def _estate():
    # The node role may mount anything (no access point condition): the CSI driver can reach every
    # application's directory. Each pod mounts only its own application's access point.
    pol = policy(TLS_DENY, allow(role_arn("node"), MW))
    c = cluster(
        pvs=[
            csi_pv(
                "pv-a", "fs-00000001::fsap-00000000000000001", options=["tls", "iam"], ns="a", claim="data"
            ),
            csi_pv(
                "pv-b", "fs-00000001::fsap-00000000000000002", options=["tls", "iam"], ns="b", claim="data"
            ),
        ],
        pvcs=[pvc("data", "a", "pv-a"), pvc("data", "b", "pv-b")],
        workloads=[
            deployment("a", "data", "a", app="a", run_as_user=1001, run_as_group=1001),
            deployment("b", "data", "b", app="b", run_as_user=1002, run_as_group=1002),
        ],
        node_roles=[role_arn("node")],
    )
    return snapshot(
        file_systems=[fs(1, pol)],
        roles=[role("node")],
        clusters=[c],
        access_points=[ap(1, "/a", 1001, app="a"), ap(2, "/b", 1002, app="b")],
    )


def test_s6_5_s6_7_pod_mounting_only_its_own_access_point_does_not_reach_other_apps_through_the_node_role():
    got = run("efs_cross_app_reach", _estate())
    for pod in ("k8s://c1/a/Deployment/a", "k8s://c1/b/Deployment/b"):
        status, ev = got[pod]
        assert status is PASS, ev["reached"]


def test_s6_5_the_node_identity_possible_reach_is_reported_on_the_csi_driver():
    status, ev = run("efs_cross_app_reach", _estate())[NODE]
    assert status is FAIL
    assert ev["principals"] == [role_arn("node")]
    assert {"a", "b"} <= set(ev["reached"][0]["other_applications"])
    assert sorted(ev["workloads"]) == ["k8s://c1/a/Deployment/a", "k8s://c1/b/Deployment/b"]


def test_s6_5_pod_with_a_volume_without_access_point_still_reaches_the_whole_file_system():
    snap = _estate()
    c = snap.clusters[0]
    c.persistent_volumes.append(
        csi_pv("pv-root", "fs-00000001", options=["tls", "iam"], ns="a", claim="root")
    )
    c.persistent_volume_claims.append(pvc("root", "a", "pv-root"))
    c.workloads.append(deployment("whole", "root", "a", app="a"))
    status, ev = run("efs_cross_app_reach", snap)["k8s://c1/a/Deployment/whole"]
    assert status is FAIL and ev["reached"][0]["kind"] == "configured"
