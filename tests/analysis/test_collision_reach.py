"""efs_access_point_identity_collision: when the colliding applications are joined by a reach path in the
identity graph, the FAIL's path is that path (§10.19: any non-AP client or any access point whose root
is a common ancestor sees both trees as the shared owner; §10.20: a shared group matters once one
application can reach the other's tree), found by walking the graph and named in the evidence by ids."""

from __future__ import annotations

from auditor.analysis.access import Analysis
from auditor.checks import CHECKS
from auditor.graph import graph_of
from auditor.model.ids import dir_id
from auditor.model.result import Status
from auditor.params import Params
from tests.analysis.estate import (
    MW,
    TLS_DENY,
    allow,
    ap,
    ap_arn,
    fs,
    policy,
    role,
    role_arn,
    snapshot,
    task,
)
from tests.test_graph_paths import _broken_hops

COLLISION = "efs_access_point_identity_collision"
CLOSED = policy(TLS_DENY)
FS = "fs-00000001"


def _fails(snap):
    a = Analysis(snap, Params())
    g = graph_of(a)
    return g, {f.resource_id: f for f in CHECKS[COLLISION].run(a) if f.status is Status.FAIL}


def _assert_walk(g, path):
    assert len(path) >= 2 and all(n in g for n in path), path
    assert _broken_hops(g, path) == [], path


def test_s10_19_common_ancestor_access_point_mounted_by_a_workload_is_the_fail_path():
    only_ops = allow(role_arn("ops"), MW, StringEquals={"elasticfilesystem:AccessPointArn": ap_arn(3)})
    snap = snapshot(
        file_systems=[fs(1, policy(TLS_DENY, only_ops))],
        roles=[role("ops")],
        access_points=[
            ap(1, "/data/a", 1000, app="a"),
            ap(2, "/data/b", 1000, gid=2000, app="b"),
            ap(3, "/data", 7, app="ops"),  # its root directory holds both applications' directories
        ],
        task_definitions=[task("ops", ap_n=3, app="ops", iam="ENABLED", task_role="ops")],
    )
    g, got = _fails(snap)
    f = got[ap_arn(1)]
    ev = f.evidence
    assert ev["reachable_now"] is True
    assert ev["reach_via"]["kind"] == "common_ancestor_access_point"
    assert ev["reach_via"]["access_point"] == ap_arn(3)
    assert f.path == ev["reach_path"]
    assert ap_arn(3) in f.path and f.path[-1] == dir_id(FS, "/data/b")
    _assert_walk(g, f.path)
    _assert_walk(g, ev["collision_path"])


def test_s10_19_common_ancestor_access_point_no_one_may_mount_is_no_reach_path():
    snap = snapshot(
        file_systems=[fs(1, CLOSED)],
        access_points=[
            ap(1, "/data/a", 1000, app="a"),
            ap(2, "/data/b", 1000, gid=2000, app="b"),
            ap(3, "/data", 7, app="ops"),
        ],
    )
    g, got = _fails(snap)
    f = got[ap_arn(1)]
    assert f.evidence["reachable_now"] is False and "not_reachable_because" in f.evidence
    assert "reach_via" not in f.evidence
    assert f.path == f.evidence["collision_path"] == [ap_arn(1), "posix://uid/1000", ap_arn(2)]
    _assert_walk(g, f.path)


def test_s10_20_secondary_gid_reaching_the_other_tree_by_a_mount_without_access_point():
    # no file system policy: any client may mount / without an access point, as any uid (§2.2)
    snap = snapshot(
        file_systems=[fs(1)],
        access_points=[
            ap(1, "/a", 1001, app="a", secondary=[3000]),
            ap(2, "/b/data", 1002, app="b", creation=(0, 3000, "2770")),
        ],
    )
    g, got = _fails(snap)
    f = got[ap_arn(1)]
    ev = f.evidence
    assert ev["reach_via"]["kind"] == "mount_without_access_point"
    assert ev["reach_via"]["principal"] == "principal://anonymous"
    assert (
        f.path
        == ev["reach_path"]
        == [
            "principal://anonymous",
            dir_id(FS, "/"),
            dir_id(FS, "/b"),
            dir_id(FS, "/b/data"),
        ]
    )
    _assert_walk(g, f.path)


def test_s10_19_principal_of_the_application_mounting_the_other_access_point_is_the_fail_path():
    pol = policy(TLS_DENY, allow(role_arn("ra"), MW, StringLike={"elasticfilesystem:AccessPointArn": "*"}))
    snap = snapshot(
        file_systems=[fs(1, pol)],
        roles=[role("ra")],
        access_points=[ap(1, "/a", 1000, app="a"), ap(2, "/b", 1000, gid=2000, app="b")],
        task_definitions=[task("a", ap_n=1, app="a", iam="ENABLED", task_role="ra")],
    )
    g, got = _fails(snap)
    f = got[ap_arn(1)]
    ev = f.evidence
    assert ev["reach_via"] == {
        "kind": "principal_mounts_other_access_point",
        "principal": role_arn("ra"),
        "access_point": ap_arn(2),
        "file_system": FS,
        "directory": "/b",
    }
    assert f.path == ev["reach_path"] and f.path[0] == role_arn("ra") and f.path[-1] == ap_arn(2)
    _assert_walk(g, f.path)
