"""Edge cases of efs-semantics.md §10, each through the real checks on a small estate.

Every test names its edge case; fixtures are named by the verdict they must get. Edges 35 and 36
(group truncation, image groups) are in test_identity.py; 12 and 44 also at the evaluator level in
tests/iam. Edges 21 and 22 depend on the existing directory's owner, mode and existence, which no
EFS API returns, so an offline snapshot cannot express them: efs_access_point_world_writable reports
NOT_ASSESSED when CreationInfo is absent instead of guessing (test_edge_22_...).
"""

import pytest

from auditor.analysis.access import Analysis
from auditor.checks import CHECKS
from auditor.model import k8s
from auditor.model.result import Status
from auditor.params import Params
from tests.analysis.estate import (
    ACCT,
    ALL,
    MT_TRUE,
    MW,
    TLS_DENY,
    allow,
    ap,
    ap_arn,
    cluster,
    csi_pv,
    deployment,
    fs,
    fs_arn,
    function,
    identity,
    policy,
    pvc,
    reuse_access_point_estate,
    role,
    role_arn,
    run,
    snapshot,
    statuses,
    task,
)

PASS, FAIL, NA = Status.PASS, Status.FAIL, Status.NOT_ASSESSED
TASK = "arn:aws:ecs:eu-west-1:111122223333:task-definition/{}:1"
CFA = identity(ALL + ["elasticfilesystem:DescribeMountTargets"])


def two_apps(pol=None, status=None, **task_kw):
    """File system with access points for apps a (/a) and b (/b); task-a mounts through its access point."""
    return {
        "file_systems": [fs(1, pol, status)],
        "access_points": [ap(1, "/a", 1001, app="a"), ap(2, "/b", 1002, app="b")],
        "task_definitions": [task("task-a", ap_n=1, app="a", **task_kw)],
    }


def test_edge_01_no_policy_every_reachable_client_mounts_root_as_root():
    snap = snapshot(**two_apps())
    assert statuses("efs_policy_missing", snap) == {fs_arn(1): FAIL}
    assert statuses("efs_policy_anonymous_access", snap) == {fs_arn(1): FAIL}
    assert statuses("efs_root_squash_gap", snap)[fs_arn(1)] is FAIL
    status, ev = run("efs_cross_app_reach", snap)[TASK.format("task-a")]
    assert status is FAIL
    reached = {(r["other_application"], r["directory"], r["kind"]) for r in ev["reached"]}
    assert ("b", "/b", "possible") in reached
    assert all(r["reaches"] == "/ (the whole file system)" for r in ev["reached"])


def test_edge_02_allow_star_accessed_via_mount_target_is_the_default_policy():
    snap = snapshot(**two_apps(policy(allow("*", ALL, **MT_TRUE))))
    assert statuses("efs_policy_anonymous_access", snap) == {fs_arn(1): FAIL}
    assert statuses("efs_root_squash_gap", snap)[fs_arn(1)] is FAIL
    assert statuses("efs_policy_missing", snap) == {fs_arn(1): PASS}


def test_edge_03_identity_policy_grants_root_under_prevent_root_preset():
    snap = snapshot(
        file_systems=[fs(1, policy(allow("*", MW, **MT_TRUE), TLS_DENY))],
        roles=[role("r3", CFA)],
        task_definitions=[task("fail-root", user="0:0", iam="ENABLED", task_role="r3")],
    )
    got = statuses("efs_root_squash_gap", snap)
    assert got[TASK.format("fail-root")] is FAIL
    assert got[role_arn("r3")] is FAIL
    assert got[fs_arn(1)] is PASS  # the preset itself squashes anonymous clients


def test_edge_04_anonymous_root_is_squashed_but_can_impersonate():
    snap = snapshot(
        file_systems=[fs(1, policy(allow("*", MW, **MT_TRUE), TLS_DENY))],
        access_points=[ap(2, "/b", 1002, app="b")],
        task_definitions=[task("squashed-root", user="0")],
    )
    status, ev = run("efs_root_squash_gap", snap)[TASK.format("squashed-root")]
    assert status is PASS
    assert "edge 4" in ev["mounts"][0]["squashed"]
    assert statuses("efs_workload_runs_as_root", snap)[TASK.format("squashed-root")] is FAIL
    assert statuses("efs_cross_app_reach", snap)[TASK.format("squashed-root")] is FAIL


def test_edge_05_prevent_anonymous_only_gives_root_to_any_principal_with_client_mount():
    snap = snapshot(file_systems=[fs(1, policy(allow("*", ALL[1:], **MT_TRUE)))])
    status, ev = run("efs_root_squash_gap", snap)[fs_arn(1)]
    assert status is FAIL and "principal_with_client_mount" in ev
    assert statuses("efs_policy_anonymous_access", snap) == {fs_arn(1): PASS}


def test_edge_06_csi_iam_mount_uses_the_node_identity_not_the_pod_role():
    pol = policy(allow(role_arn("app1"), MW, StringEquals={"elasticfilesystem:AccessPointArn": ap_arn(1)}))
    c = cluster(
        pvs=[csi_pv("pv1", "fs-00000001::fsap-00000000000000001", options=["tls", "iam"])],
        pvcs=[pvc("pv1")],
        workloads=[deployment("pod-with-app1-irsa", "pv1")],
        sas=[k8s.ServiceAccount(namespace="ns", name="default", irsa_role_arn=role_arn("app1"))],
        node_roles=[role_arn("node")],
    )
    snap = snapshot(
        file_systems=[fs(1, pol)],
        access_points=[ap(1, "/a", 1001, app="a")],
        roles=[role("app1", identity(MW)), role("node")],
        clusters=[c],
    )
    a = Analysis(snap, Params())
    (m,) = a.mounts
    assert m.principal_arns == (role_arn("node"),)
    assert a.connection(m).can("mount", a.params) is False


def test_edge_07_allow_star_through_one_access_point_only():
    pol = policy(allow("*", MW, StringEquals={"elasticfilesystem:AccessPointArn": ap_arn(1)}), TLS_DENY)
    snap = snapshot(
        file_systems=[fs(1, pol)],
        access_points=[ap(1, "/a", 1001, app="a"), ap(2, "/b", 1002, app="b")],
        task_definitions=[task("b", ap_n=2, app="b")],
    )
    status, ev = run("efs_policy_anonymous_access", snap)[fs_arn(1)]
    assert status is FAIL
    assert [c["connection"] for c in ev["anonymous_connections_allowed"]] == [
        "access point fsap-00000000000000001"
    ]
    status, ev = run("efs_cross_app_reach", snap)[TASK.format("b")]
    assert status is FAIL and {(r["other_application"], r["directory"]) for r in ev["reached"]} == {
        ("a", "/a")
    }


def test_edge_08_ifexists_lets_mounts_without_an_access_point_through():
    pol = policy(
        allow("*", MW, StringEqualsIfExists={"elasticfilesystem:AccessPointArn": ap_arn(1)}), TLS_DENY
    )
    snap = snapshot(**two_apps(pol))
    status, ev = run("efs_policy_anonymous_access", snap)[fs_arn(1)]
    assert status is FAIL
    assert "no access point, TLS" in [c["connection"] for c in ev["anonymous_connections_allowed"]]


def test_edge_09_16_any_access_point_includes_one_rooted_at_slash_as_root():
    pol = policy(
        allow(
            "*",
            ALL,
            StringLike={"elasticfilesystem:AccessPointArn": "arn:aws:elasticfilesystem:*:*:access-point/*"},
        ),
        TLS_DENY,
    )
    snap = snapshot(
        file_systems=[fs(1, pol)],
        access_points=[ap(1, "/", 0, app="admin"), ap(2, "/b", 1002, app="b")],
        task_definitions=[task("b", ap_n=2, app="b")],
    )
    status, ev = run("efs_root_squash_gap", snap)[fs_arn(1)]
    assert (
        status is FAIL
        and ev["anonymous_root_connections"][0]["connection"] == "access point fsap-00000000000000001"
    )
    assert statuses("efs_access_point_root_identity", snap)[ap_arn(1)] is FAIL
    assert statuses("efs_access_point_root_directory", snap)[ap_arn(1)] is FAIL
    status, ev = run("efs_cross_app_reach", snap)[TASK.format("b")]
    assert status is FAIL and ("admin", "/") in {
        (r["other_application"], r["directory"]) for r in ev["reached"]
    }


def test_edge_10_deny_unless_listed_access_point_pins_the_workload():
    pol = policy(
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Condition": {"StringNotEquals": {"elasticfilesystem:AccessPointArn": [ap_arn(1)]}},
        },
        allow(role_arn("ra"), MW),
        TLS_DENY,
    )
    snap = snapshot(
        file_systems=[fs(1, pol)],
        access_points=[ap(1, "/a", 1001, app="a"), ap(2, "/b", 1002, app="b")],
        roles=[role("ra")],
        task_definitions=[task("a", ap_n=1, iam="ENABLED", task_role="ra", app="a")],
    )
    assert statuses("efs_cross_app_reach", snap) == {TASK.format("a"): PASS}
    assert statuses("efs_policy_anonymous_access", snap) == {fs_arn(1): PASS}


def test_edge_11_a_broad_allow_makes_the_access_point_restriction_moot():
    pol = policy(
        allow(role_arn("ra"), MW, StringEquals={"elasticfilesystem:AccessPointArn": ap_arn(1)}),
        allow("*", ALL),
        TLS_DENY,
    )
    snap = snapshot(**two_apps(pol))
    assert statuses("efs_policy_anonymous_access", snap) == {fs_arn(1): FAIL}


def test_edge_13_dangling_principal():
    snap = snapshot(file_systems=[fs(1, policy(allow("AROA0C33C0DE0DELETED1", MW)))])
    status, ev = run("efs_policy_dangling_principal", snap)[fs_arn(1)]
    assert status is FAIL and ev["dangling_principals"] == ["AROA0C33C0DE0DELETED1"]


def test_edge_14_identity_grant_on_an_access_point_resource_grants_no_mount():
    pol = policy(TLS_DENY)  # a policy that names nobody: IAM must come from the identity side
    snap = snapshot(
        file_systems=[fs(1, pol)],
        access_points=[ap(1, "/a", 1001, app="a")],
        roles=[role("r14", identity(ALL, resource=ap_arn(1)))],
        task_definitions=[task("t14", ap_n=1, iam="ENABLED", task_role="r14")],
    )
    a = Analysis(snap, Params())
    assert a.connection(a.mounts[0]).can("mount", a.params) is False


def test_edge_15_unenforced_condition_key_is_reported_and_assumed_to_apply_to_allows():
    pol = policy(allow("*", MW, StringEquals={"aws:SourceVpc": "vpc-1"}), TLS_DENY)
    snap = snapshot(file_systems=[fs(1, pol)])
    assert statuses("efs_policy_unenforced_condition", snap) == {fs_arn(1): FAIL}
    assert statuses("efs_policy_anonymous_access", snap) == {fs_arn(1): FAIL}
    assert statuses("efs_policy_anonymous_access", snap, indeterminate_allows_reach=False) == {
        fs_arn(1): PASS
    }


def test_edge_17_access_point_without_posix_user():
    snap = snapshot(file_systems=[fs(1)], access_points=[ap(1, "/app")])
    assert statuses("efs_access_point_no_user_identity", snap) == {ap_arn(1): FAIL}


def test_edge_18_nested_access_point_roots():
    snap = snapshot(
        file_systems=[fs(1, policy(TLS_DENY, allow(role_arn("r"), MW)))],
        access_points=[ap(1, "/app", 1001, app="outer"), ap(2, "/app/tenant1", 1002, app="inner")],
        roles=[role("r")],
        task_definitions=[
            task("outer", ap_n=1, app="outer", iam="ENABLED", task_role="r"),
            task("inner", ap_n=2, app="inner", iam="ENABLED", task_role="r"),
        ],
    )
    got = run("efs_cross_app_reach", snap)
    outer = {
        (r["other_application"], r["directory"], r["kind"]) for r in got[TASK.format("outer")][1]["reached"]
    }
    assert ("inner", "/app/tenant1", "configured") in outer


def test_edge_19_same_uid_on_two_access_points_is_an_identity_collision():
    pol = policy(
        TLS_DENY,
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Condition": {"StringNotEquals": {"elasticfilesystem:AccessPointArn": [ap_arn(1), ap_arn(2)]}},
        },
        allow(role_arn("ra"), MW, StringEquals={"elasticfilesystem:AccessPointArn": ap_arn(1)}),
    )
    snap = snapshot(
        file_systems=[fs(1, pol)],
        access_points=[ap(1, "/a", 1000, app="a"), ap(2, "/b", 1000, app="b")],
        roles=[role("ra")],
        task_definitions=[task("a", ap_n=1, app="a", iam="ENABLED", task_role="ra")],
    )
    status, ev = run("efs_cross_app_reach", snap)[TASK.format("a")]
    assert status is FAIL and ev["reached"][0]["kind"] == "identity" and "uid 1000" in ev["reached"][0]["how"]


def test_edge_20_secondary_gid_matching_another_apps_directory_group():
    pol = policy(
        TLS_DENY,
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Condition": {"StringNotEquals": {"elasticfilesystem:AccessPointArn": [ap_arn(1), ap_arn(2)]}},
        },
        allow(role_arn("ra"), MW, StringEquals={"elasticfilesystem:AccessPointArn": ap_arn(1)}),
    )
    snap = snapshot(
        file_systems=[fs(1, pol)],
        access_points=[
            ap(1, "/a", 1001, app="a", secondary=[3000]),
            ap(2, "/b", 1002, app="b", creation=(0, 3000, "2770")),
        ],
        roles=[role("ra")],
        task_definitions=[task("a", ap_n=1, app="a", iam="ENABLED", task_role="ra")],
    )
    status, ev = run("efs_cross_app_reach", snap)[TASK.format("a")]
    assert status is FAIL and "gid 3000" in ev["reached"][0]["how"]


def test_edges_23_24_invalid_ecs_volumes():
    snap = snapshot(
        file_systems=[fs(1)],
        access_points=[ap(1, "/a", 1001)],
        task_definitions=[
            task("fail-ap-without-tls", ap_n=1, tls=None, root_dir="/data"),
            task("fail-iam-without-role", iam="ENABLED"),
            task("pass-valid", ap_n=1),
        ],
    )
    got = run("efs_ecs_invalid_volume", snap)
    assert {k: v[0] for k, v in got.items()} == {
        TASK.format("fail-ap-without-tls"): FAIL,
        TASK.format("fail-iam-without-role"): FAIL,
        TASK.format("pass-valid"): PASS,
    }
    problems = got[TASK.format("fail-ap-without-tls")][1]["volumes"][0]["problems"]
    assert any("edge 23" in p for p in problems) and len(problems) == 2


def test_edge_25_numeric_user_without_group_runs_with_gid_0():
    snap = snapshot(
        file_systems=[fs(1)],
        task_definitions=[task("fail-uid-no-gid", user="1000"), task("pass-uid-gid", user="1000:1000")],
    )
    assert statuses("efs_workload_runs_as_root", snap) == {
        TASK.format("fail-uid-no-gid"): FAIL,
        TASK.format("pass-uid-gid"): PASS,
    }


def test_edge_26_run_as_non_root_without_run_as_group():
    c = cluster(
        pvs=[csi_pv("pv", "fs-00000001")],
        pvcs=[pvc("pv")],
        workloads=[
            deployment("fail-gid0", "pv", non_root=True, run_as_group=None),
            deployment("pass-explicit-group", "pv", non_root=True),
        ],
    )
    got = statuses("efs_workload_runs_as_root", snapshot(file_systems=[fs(1)], clusters=[c]))
    assert got == {
        "k8s://c1/ns/Deployment/fail-gid0": FAIL,
        "k8s://c1/ns/Deployment/pass-explicit-group": PASS,
    }


def test_edges_27_28_csi_access_point_forces_tls_and_mount_option_access_point_counts():
    c = cluster(
        pvs=[
            csi_pv(
                "pass-ap-forces-tls",
                "fs-00000001::fsap-00000000000000001",
                attrs={"encryptInTransit": "false"},
            ),
            csi_pv(
                "pass-ap-in-mount-options",
                "fs-00000001",
                options=["tls", "accesspoint=fsap-00000000000000001"],
            ),
            csi_pv("fail-plaintext", "fs-00000001", attrs={"encryptInTransit": "false"}),
        ],
        pvcs=[pvc("pass-ap-forces-tls"), pvc("pass-ap-in-mount-options"), pvc("fail-plaintext")],
        workloads=[
            deployment(n, n) for n in ("pass-ap-forces-tls", "pass-ap-in-mount-options", "fail-plaintext")
        ],
    )
    snap = snapshot(file_systems=[fs(1)], access_points=[ap(1, "/a", 1001)], clusters=[c])
    assert statuses("efs_unencrypted_mount", snap) == {
        "k8s://c1/ns/Deployment/pass-ap-forces-tls": PASS,
        "k8s://c1/ns/Deployment/pass-ap-in-mount-options": PASS,
        "k8s://c1/ns/Deployment/fail-plaintext": FAIL,
    }
    a = Analysis(snap, Params())
    assert {m.workload.name: m.ap_id for m in a.mounts}[
        "ns/pass-ap-in-mount-options"
    ] == "fsap-00000000000000001"


def test_edge_22_access_point_without_creation_info_is_not_assessed_never_a_guess():
    """Whether the path exists (else the access point is dead) and its mode are not in the API."""
    no_root = ap(3, "/").model_copy(update={"root_directory": None})  # an answer without RootDirectory
    snap = snapshot(
        file_systems=[fs(1)],
        access_points=[
            ap(1, "/missing", 1001),
            no_root,
            ap(4, "/open", 1004, creation=(1004, 1004, "0777")),
            ap(5, "/closed", 1005, creation=(1005, 1005, "750")),
        ],
    )
    got = run("efs_access_point_world_writable", snap)
    assert {k: v[0] for k, v in got.items()} == {
        ap_arn(1): NA,
        ap_arn(3): NA,
        ap_arn(4): FAIL,
        ap_arn(5): PASS,
    }
    check = CHECKS["efs_access_point_world_writable"].run
    messages = {f.resource_id: f.message for f in check(Analysis(snap, Params()))}
    assert (
        messages[ap_arn(1)]
        == messages[ap_arn(3)]
        == ("no CreationInfo: the directory's mode is not visible through the EFS API")
    )


def test_edge_27_csi_access_point_handle_is_encrypted_even_with_encrypt_in_transit_false():
    off, shouting = {"encryptInTransit": "false"}, {"encryptInTransit": "FALSE"}
    c = cluster(
        pvs=[
            csi_pv("pass-ap", "fs-00000001::fsap-00000000000000001", attrs=off),
            csi_pv("pass-ap-unlisted", "fs-00000001::fsap-00000000000000009", attrs=shouting),
            csi_pv("fail-no-ap", "fs-00000001", attrs=off),
        ],
        pvcs=[pvc("pass-ap"), pvc("pass-ap-unlisted"), pvc("fail-no-ap")],
        workloads=[deployment(n, n) for n in ("pass-ap", "pass-ap-unlisted", "fail-no-ap")],
    )
    snap = snapshot(file_systems=[fs(1)], access_points=[ap(1, "/a", 1001)], clusters=[c])
    got = run("efs_unencrypted_mount", snap)
    assert {k: v[0] for k, v in got.items()} == {
        "k8s://c1/ns/Deployment/pass-ap": PASS,
        "k8s://c1/ns/Deployment/pass-ap-unlisted": PASS,
        "k8s://c1/ns/Deployment/fail-no-ap": FAIL,
    }
    for name in ("pass-ap", "pass-ap-unlisted"):  # the CSI driver adds tls to every access point mount
        (vol,) = got[f"k8s://c1/ns/Deployment/{name}"][1]["volumes"]
        assert (vol["tls"], vol["why"]) == (True, "access point volumes always mount with tls (§6.2)")
    (vol,) = got["k8s://c1/ns/Deployment/fail-no-ap"][1]["volumes"]
    assert (vol["tls"], vol["why"]) == (False, 'encryptInTransit: "false" and no access point')


@pytest.mark.parametrize(
    "image, status, why",
    [
        (
            "amazon/aws-efs-csi-driver:v0.3.0",
            FAIL,
            "driver v0.3.0 is older than v1.0.0: TLS only with the tls mount option (§6.2)",
        ),
        ("amazon/aws-efs-csi-driver:v1.0.0", PASS, "encryptInTransit defaults to true"),
        (
            "amazon/aws-efs-csi-driver:latest",
            PASS,
            "encryptInTransit defaults to true",
        ),  # no version: today's rule
    ],
)
def test_s6_2_csi_transport_follows_the_driver_release(image, status, why):
    """§6.2 / §9: encryptInTransit (default true) exists since driver v1.0.0; before it a PV without the
    tls mount option mounted in plaintext. The node DaemonSet's image tag tells the release."""
    node = k8s.CsiComponent(kind="DaemonSet", namespace="kube-system", name="efs-csi-node", image=image)
    c = cluster(
        pvs=[csi_pv("data", "fs-00000001")],
        pvcs=[pvc("data")],
        workloads=[deployment("app", "data")],
        csi_node=node,
    )
    got = run("efs_unencrypted_mount", snapshot(file_systems=[fs(1)], clusters=[c]))
    ((got_status, ev),) = got.values()
    (vol,) = ev["volumes"]
    assert (got_status, vol["why"]) == (status, why)


def test_edge_29_subpath_is_not_a_boundary():
    c = cluster(
        pvs=[csi_pv("team-b", "fs-00000001:/team-b", ns="team-a")],
        pvcs=[pvc("team-b", ns="team-a")],
        workloads=[deployment("team-a", "team-b", ns="team-a", app="team-a")],
    )
    snap = snapshot(file_systems=[fs(1)], access_points=[ap(2, "/team-b", 2000, app="team-b")], clusters=[c])
    status, ev = run("efs_cross_app_reach", snap)["k8s://c1/team-a/Deployment/team-a"]
    assert status is FAIL
    assert {("team-b", "/team-b", "configured")} <= {
        (r["other_application"], r["directory"], r["kind"]) for r in ev["reached"]
    }


def test_edge_30_reuse_access_point_across_namespaces():
    snap = reuse_access_point_estate()
    status, ev = run("efs_cross_app_reach", snap)["k8s://c1/a/Deployment/a"]
    assert status is FAIL and any("edge 30" in r["how"] for r in ev["reached"])


def test_edge_31_shared_directory_by_subpath_pattern():
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
            csi_pv("p1", "fs-00000001::fsap-00000000000000001", claim="one"),
            csi_pv("p2", "fs-00000001::fsap-00000000000000002", claim="two"),
        ],
        pvcs=[pvc("one", volume="p1", sc="shared"), pvc("two", volume="p2", sc="shared")],
        workloads=[deployment("one", "one", app="one"), deployment("two", "two", app="two")],
    )
    snap = snapshot(
        file_systems=[fs(1, policy(TLS_DENY))],
        access_points=[ap(1, "/ns", 4000), ap(2, "/ns", 4000)],
        clusters=[c],
    )
    status, ev = run("efs_cross_app_reach", snap)["k8s://c1/ns/Deployment/one"]
    assert status is FAIL and any("edge 31" in r["how"] for r in ev["reached"])


def test_edge_33_controller_deleting_access_point_directories_is_a_root_principal():
    ctrl = k8s.CsiComponent(
        kind="Deployment",
        namespace="kube-system",
        name="efs-csi-controller",
        service_account="efs-csi-controller-sa",
        args=["--delete-access-point-root-dir=true"],
    )
    c = cluster(
        pvs=[csi_pv("pv", "fs-00000001::fsap-00000000000000001")],
        sas=[
            k8s.ServiceAccount(
                namespace="kube-system", name="efs-csi-controller-sa", irsa_role_arn=role_arn("ctrl")
            )
        ],
        csi_controller=ctrl,
    )
    snap = snapshot(
        file_systems=[fs(1, policy(TLS_DENY))],
        access_points=[ap(1, "/a", 1)],
        roles=[role("ctrl", CFA)],
        clusters=[c],
    )
    got = statuses("efs_root_squash_gap", snap)
    assert got["k8s://c1/kube-system/Deployment/efs-csi-controller"] is FAIL
    assert got["k8s://c1/kube-system/DaemonSet/efs-csi-node"] is NA  # no node identity collected


def test_edge_37_nfs_volume_is_plaintext_and_denied_by_the_tls_preset():
    c = cluster(
        workloads=[
            deployment(
                "fail-nfs", nfs=k8s.NfsSource(server="fs-00000001.efs.eu-west-1.amazonaws.com", path="/")
            )
        ]
    )
    open_snap = snapshot(file_systems=[fs(1)], access_points=[ap(1, "/a", 1, app="a")], clusters=[c])
    assert statuses("efs_unencrypted_mount", open_snap) == {"k8s://c1/ns/Deployment/fail-nfs": FAIL}
    assert statuses("efs_cross_app_reach", open_snap) == {"k8s://c1/ns/Deployment/fail-nfs": FAIL}
    tls_snap = snapshot(
        file_systems=[fs(1, policy(TLS_DENY))], access_points=[ap(1, "/a", 1, app="a")], clusters=[c]
    )
    assert statuses("efs_cross_app_reach", tls_snap) == {"k8s://c1/ns/Deployment/fail-nfs": PASS}


def test_edge_38_tls_enforced_by_allow_is_undone_by_a_second_allow():
    pol = policy(
        allow("*", MW, Bool={"aws:SecureTransport": "true"}), allow("*", ["elasticfilesystem:ClientMount"])
    )
    assert statuses("efs_policy_no_secure_transport", snapshot(file_systems=[fs(1, pol)])) == {
        fs_arn(1): FAIL
    }
    good = policy(allow("*", MW), TLS_DENY)
    assert statuses("efs_policy_no_secure_transport", snapshot(file_systems=[fs(1, good)])) == {
        fs_arn(1): PASS
    }


def test_edge_40_no_policy_means_every_account_can_mount():
    assert statuses("efs_policy_cross_account", snapshot(file_systems=[fs(1)])) == {fs_arn(1): FAIL}
    named = policy(allow("arn:aws:iam::999988887777:root", MW), TLS_DENY)
    status, ev = run("efs_policy_cross_account", snapshot(file_systems=[fs(1, named)]))[fs_arn(1)]
    assert status is FAIL and ev["untrusted_principals_named"] == ["arn:aws:iam::999988887777:root"]
    assert statuses(
        "efs_policy_cross_account", snapshot(file_systems=[fs(1, named)]), trusted_accounts=["999988887777"]
    ) == {fs_arn(1): PASS}


def test_edge_41_access_point_arn_of_another_account_never_matches():
    wrong = ap_arn(1).replace(ACCT, "999988887777")
    pol = policy(allow("*", MW, StringEquals={"elasticfilesystem:AccessPointArn": wrong}), TLS_DENY)
    snap = snapshot(file_systems=[fs(1, pol)], access_points=[ap(1, "/a", 1, app="a")])
    assert statuses("efs_policy_anonymous_access", snap) == {fs_arn(1): PASS}


def test_edge_42_lambda_without_posix_user_runs_as_the_sandbox_user():
    snap = snapshot(
        file_systems=[fs(1)],
        access_points=[ap(1, "/l")],
        roles=[role("lr", identity(MW))],
        lambda_functions=[function("pass-sandbox", 1, "lr")],
    )
    arn = "arn:aws:lambda:eu-west-1:111122223333:function:pass-sandbox"
    assert statuses("efs_workload_runs_as_root", snap) == {arn: PASS}
    assert statuses("efs_unencrypted_mount", snap) == {arn: PASS}


def test_s2_2_policy_that_cannot_be_read_is_not_assessed_never_pass():
    snap = snapshot(**two_apps(status="unknown"))
    for check in (
        "efs_policy_missing",
        "efs_policy_anonymous_access",
        "efs_policy_no_secure_transport",
        "efs_policy_cross_account",
        "efs_policy_unenforced_condition",
        "efs_policy_dangling_principal",
    ):
        assert statuses(check, snap) == {fs_arn(1): NA}, check
    assert statuses("efs_cross_app_reach", snap) == {TASK.format("task-a"): NA}
    assert statuses("efs_root_squash_gap", snap)[fs_arn(1)] is NA


def test_edge_12_deny_not_principal_blocks_anonymous_clients():
    pol = policy(
        {"Effect": "Deny", "NotPrincipal": {"AWS": role_arn("admin")}, "Action": "*"},
        allow(role_arn("admin"), ALL),
    )
    snap = snapshot(file_systems=[fs(1, pol)])
    assert statuses("efs_policy_anonymous_access", snap) == {fs_arn(1): PASS}


def test_edge_32_dynamic_provisioning_gid_collides_with_an_ecs_task_identity():
    snap = snapshot(
        file_systems=[fs(1)],
        access_points=[ap(1, "/dynamic/pvc-1", 50001, app="k8s-app")],
        task_definitions=[task("ecs-app", user="50001:50001", tls="ENABLED")],
    )
    status, ev = run("efs_cross_app_reach", snap)[TASK.format("ecs-app")]
    assert status is FAIL
    assert any(r["kind"] == "identity" and "uid 50001" in r["how"] for r in ev["reached"])


def test_edge_34_fs_group_is_a_supplementary_group_on_every_request():
    pol = policy(TLS_DENY)  # nothing else is allowed: the only channel is the shared group
    c = cluster(
        pvs=[csi_pv("pv", "fs-00000001")],
        pvcs=[pvc("pv")],
        workloads=[deployment("fsgroup", "pv", fs_group=2000)],
    )
    snap = snapshot(
        file_systems=[fs(1, pol)],
        access_points=[ap(2, "/b", 1002, app="b", creation=(1002, 2000, "2770"))],
        clusters=[c],
    )
    status, ev = run("efs_cross_app_reach", snap)["k8s://c1/ns/Deployment/fsgroup"]
    assert status is FAIL and any("gid 2000" in r["how"] for r in ev["reached"])


def test_edge_39_open_security_group_and_public_subnet_are_reported_with_what_they_mean():
    from auditor.model import aws

    mt = aws.MountTarget(
        mount_target_id="fsmt-1",
        file_system_id="fs-00000001",
        subnet_id="subnet-1",
        security_group_ids=["sg-1"],
    )
    snap = snapshot(
        file_systems=[fs(1, mount_targets=[mt])],
        security_groups=[
            aws.SecurityGroup(
                group_id="sg-1",
                account_id=ACCT,
                region="eu-west-1",
                ingress=[aws.IngressRule(protocol="tcp", from_port=2049, to_port=2049, cidrs=["0.0.0.0/0"])],
            )
        ],
        subnets=[
            aws.Subnet(
                subnet_id="subnet-1",
                account_id=ACCT,
                region="eu-west-1",
                map_public_ip_on_launch=True,
                routes_to_internet_gateway=True,
            )
        ],
    )
    mt_id = "arn:aws:elasticfilesystem:eu-west-1:111122223333:mount-target/fsmt-1"
    status, ev = run("efs_mount_target_nfs_open", snap)[mt_id]
    assert status is FAIL and "peered" in ev["note"]
    status, ev = run("efs_mount_target_public_subnet", snap)[mt_id]
    assert status is FAIL and "not internet exposure" in ev["note"]


def test_edge_43_read_only_mounts_do_not_reduce_reach():
    snap = snapshot(
        file_systems=[fs(1)],
        access_points=[ap(1, "/a", 1001, app="a"), ap(2, "/b", 1002, app="b")],
        task_definitions=[task("a", ap_n=1, app="a")],
    )
    td = snap.task_definitions[0]
    ro = td.model_copy(
        update={
            "containers": [
                td.containers[0].model_copy(
                    update={
                        "mount_points": [
                            td.containers[0].mount_points[0].model_copy(update={"read_only": True})
                        ]
                    }
                )
            ]
        }
    )
    snap = snap.model_copy(update={"task_definitions": [ro]})
    a = Analysis(snap, Params())
    assert a.mounts[0].read_only is True
    assert a.connection(a.mounts[0]).can("write", a.params) is True
    assert statuses("efs_cross_app_reach", snap) == {TASK.format("a"): FAIL}


def test_edge_44_policy_naming_a_recreated_access_point_fails_closed():
    old = ap_arn(9)
    pol = policy(allow("*", MW, StringEquals={"elasticfilesystem:AccessPointArn": old}), TLS_DENY)
    snap = snapshot(
        file_systems=[fs(1, pol)],
        access_points=[ap(1, "/a", 1001, app="a")],
        task_definitions=[task("a", ap_n=1, app="a")],
    )
    a = Analysis(snap, Params())
    assert a.connection(a.mounts[0]).can("mount", a.params) is False
