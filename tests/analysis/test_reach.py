"""auditor/graph/reach.py: per workload and per principal, the subtrees reached, as whom, squashed or
not, writable or not, configured or possible, with a graph path (§0 layers 4-6, §1.3, §2.4, §6.5)."""

from __future__ import annotations

from auditor.analysis.access import Analysis
from auditor.graph import graph_of
from auditor.graph.reach import reach
from auditor.params import Params
from tests.analysis.estate import (
    MW,
    TLS_DENY,
    allow,
    ap,
    ap_arn,
    cluster,
    csi_pv,
    deployment,
    fs,
    policy,
    pvc,
    role,
    role_arn,
    snapshot,
    task,
)

TD = "arn:aws:ecs:eu-west-1:111122223333:task-definition/{}:1"


def _walk(g, path):
    return all(g.has_edge(u, v) or g.has_edge(v, u) for u, v in zip(path, path[1:]))


def test_s0_configured_reach_through_an_access_point_is_its_root_as_its_enforced_identity():
    pol = policy(
        TLS_DENY, allow(role_arn("r"), MW, StringEquals={"elasticfilesystem:AccessPointArn": ap_arn(1)})
    )
    a = Analysis(
        snapshot(
            file_systems=[fs(1, pol)],
            roles=[role("r")],
            access_points=[ap(1, "/a", 1001, app="a")],
            task_definitions=[task("a", ap_n=1, app="a", iam="ENABLED", task_role="r", user="0:0")],
        )
    )
    (row,) = reach(a).of(TD.format("a"))
    assert (row.directory, row.access_point, row.uid, row.gid) == ("/a", "fsap-00000000000000001", 1001, 1001)
    assert (row.kind, row.writable, row.squashed, row.principal) == ("configured", True, False, role_arn("r"))
    assert reach(graph_of(a)) is reach(a) and _walk(graph_of(a), row.path)


def test_s1_3_root_client_without_root_access_is_squashed():
    pol = policy(TLS_DENY, allow(role_arn("r"), MW))
    a = Analysis(
        snapshot(
            file_systems=[fs(1, pol)],
            roles=[role("r")],
            task_definitions=[task("a", app="a", iam="ENABLED", task_role="r", user="0:0")],
        )
    )
    (row,) = reach(a).of(TD.format("a"))
    assert (row.directory, row.access_point, row.uid, row.squashed) == ("/", None, 0, True)


def test_s2_4_possible_reach_of_a_principal_without_and_through_access_points():
    pinned = policy(
        TLS_DENY, allow(role_arn("r"), MW, StringEquals={"elasticfilesystem:AccessPointArn": ap_arn(1)})
    )
    a = Analysis(
        snapshot(
            file_systems=[fs(1, pinned)],
            roles=[role("r")],
            access_points=[ap(1, "/a", 1001, app="a"), ap(2, "/b", 1002, app="b")],
            task_definitions=[task("a", ap_n=1, app="a", iam="ENABLED", task_role="r")],
        )
    )
    rows = [x for x in reach(a).of(role_arn("r")) if x.kind == "possible"]
    assert [(x.directory, x.access_point, x.uid) for x in rows] == [("/a", "fsap-00000000000000001", 1001)]
    assert _walk(graph_of(a), rows[0].path)
    opened = Analysis(
        snapshot(
            file_systems=[fs(1, policy(TLS_DENY, allow(role_arn("r"), MW)))],
            roles=[role("r")],
            task_definitions=[task("a", app="a", iam="ENABLED", task_role="r")],
        ),
        Params(),
    )
    assert ("/", None, None) in {
        (x.directory, x.access_point, x.uid) for x in reach(opened).of(role_arn("r"))
    }


def test_s6_5_pods_have_configured_reach_only_and_the_csi_node_role_the_possible_reach():
    c = cluster(
        pvs=[csi_pv("pv", "fs-00000001::fsap-00000000000000001", options=["tls", "iam"])],
        pvcs=[pvc("pv")],
        workloads=[deployment("a", "pv", app="a")],
        node_roles=[role_arn("node")],
    )
    a = Analysis(
        snapshot(
            file_systems=[fs(1, policy(TLS_DENY, allow(role_arn("node"), MW)))],
            roles=[role("node")],
            access_points=[ap(1, "/a", 1001, app="a")],
            clusters=[c],
        )
    )
    r = reach(a)
    assert {x.kind for x in r.of("k8s://c1/ns/Deployment/a")} == {"configured"}
    assert "/" in {x.directory for x in r.of(role_arn("node")) if x.kind == "possible"}
    g = graph_of(a)
    assert g.has_edge("k8s://c1/kube-system/DaemonSet/efs-csi-node", role_arn("node"))


def test_graph_has_a_node_for_every_layer():
    c = cluster(
        pvs=[csi_pv("pv", "fs-00000001::fsap-00000000000000001", options=["tls", "iam"])],
        pvcs=[pvc("pv")],
        workloads=[deployment("a", "pv", app="a")],
        node_roles=[role_arn("node")],
    )
    a = Analysis(
        snapshot(
            file_systems=[fs(1)],
            roles=[role("node")],
            access_points=[ap(1, "/a/b", 1001, app="a")],
            clusters=[c],
        )
    )
    g = graph_of(a)
    kinds = {d.get("kind") for _, d in g.nodes(data=True)}
    assert {
        "role",
        "anonymous",
        "csi_node",
        "workload",
        "access_point",
        "directory",
        "posix_uid",
        "posix_gid",
        "application",
        "file_system",
    } <= kinds
    assert g.has_edge(
        "efsdir://fs-00000001/a/b", "efsdir://fs-00000001/a"
    )  # only paths that occur, and parents
    assert all("kind" in d and ("field" in d or "rule" in d) for _, _, d in g.edges(data=True))
