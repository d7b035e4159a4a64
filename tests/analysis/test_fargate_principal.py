"""§6.9: which IAM identity an `iam` mount of an EKS Fargate pod presents is not documented (the EKS user
guide says only that Fargate supports static provisioning). With fargate_iam_principal_unknown (default) the
principal is unknown: the connection is NOT_ASSESSED with that reason, never evaluated as someone else.
With it off, the EFS CSI node identity is used as on EC2 nodes."""

from auditor.analysis.access import Analysis
from auditor.model import k8s
from auditor.model.result import Status
from auditor.params import Params
from tests.analysis.estate import allow, cluster, csi_pv, fs, policy, pvc, role, role_arn, run, snapshot

WL = "k8s://c1/ns/Deployment/on-fargate"


def fargate_estate():
    wl = k8s.Workload(
        kind="Deployment",
        namespace="ns",
        name="on-fargate",
        template=k8s.PodTemplate(
            labels={"app": "f"},
            node_selector={"eks.amazonaws.com/compute-type": "fargate"},
            volumes=[k8s.PodVolume(name="data", claim_name="pv")],
            containers=[
                k8s.Container(name="app", volume_mounts=[k8s.VolumeMount(name="data", mount_path="/d")])
            ],
        ),
    )
    c = cluster(
        pvs=[csi_pv("pv", "fs-00000001", options=["tls", "iam"])],
        pvcs=[pvc("pv")],
        workloads=[wl],
        node_roles=[role_arn("node")],
    )
    return snapshot(
        file_systems=[fs(1, policy(allow([role_arn("node")])))], roles=[role("node")], clusters=[c]
    )


def test_s6_9_fargate_iam_principal_unknown_is_not_assessed_with_the_reason():
    snap = fargate_estate()
    (m,) = Analysis(snap, Params()).mounts
    assert m.principal_arns == () and "UNVERIFIED" in m.principal_note and "anonymous" not in m.principal_note
    status, ev = run("efs_workload_volume_unmountable", snap)[WL]
    assert status is Status.NOT_ASSESSED and "fargate_iam_principal_unknown" in ev["reason"][0]


def test_s6_9_setting_off_uses_the_csi_node_identity():
    snap = fargate_estate()
    (m,) = Analysis(snap, Params(fargate_iam_principal_unknown=False)).mounts
    assert m.principal_arns == (role_arn("node"),)
    assert (
        run("efs_workload_volume_unmountable", snap, fargate_iam_principal_unknown=False)[WL][0]
        is Status.PASS
    )
