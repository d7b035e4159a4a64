"""Every FAIL result's ``path`` (and every path its evidence lists) is a walk in the identity graph:
consecutive nodes are joined by an edge in the path's direction, or, for the containment edges named
in BACKWARD only, against it (a directory's ``within`` edge points to its parent; an access point's
``enforces_*`` / ``owned_by_*`` and a workload's ``runs_as_*`` edges point to the POSIX identity, and
an identity collision walks from the identity back to the other application). See
auditor/graph/build.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.analysis.access import Analysis
from auditor.checks import CHECKS
from auditor.graph import graph_of, links
from auditor.model.result import Status
from auditor.model.snapshot import load

ESTATES = Path(__file__).resolve().parent.parent / "samples" / "estates"
BACKWARD = links.BACKWARD
# Checks whose FAIL joins the resource to another one (a principal, a directory, an identity, a subnet,
# a security group and the range it admits): its path has at least two nodes. Every other FAIL's path
# is its resource's node (a setting of the resource itself), still a node of the graph.
MUST_WALK = (
    "efs_cross_app_reach",
    "efs_root_squash_gap",
    "efs_access_point_nested_root",
    "efs_access_point_identity_collision",
    "efs_access_point_no_user_identity",
    "efs_access_point_root_identity",
    "efs_access_point_root_directory",
    "efs_access_point_world_writable",
    "efs_mount_target_public_subnet",
    "efs_mount_target_nfs_open",
    "efs_policy_missing",
    "efs_policy_anonymous_access",
    "efs_policy_no_secure_transport",
    "efs_policy_dangling_principal",
    "efs_unencrypted_mount",
    "efs_workload_runs_as_root",
    "efs_workload_volume_unmountable",
)
SINGLE = ("efs_policy_cross_account", "efs_root_squash_gap")  # some of their FAILs rest on a probe principal


def _broken_hops(g, path: list[str]) -> list[tuple[str, str]]:
    bad = []
    for u, v in zip(path, path[1:]):
        if g.has_edge(u, v):
            continue
        if g.has_edge(v, u) and any(d.get("kind") in BACKWARD for d in g.get_edge_data(v, u).values()):
            continue
        bad.append((u, v))
    return bad


def _paths(f) -> list[list[str]]:
    out = [f.path]
    for key in ("reached", "root_on"):
        out.extend(row["path"] for row in f.evidence.get(key, []) if isinstance(row, dict) and "path" in row)
    for key in ("reach_path", "collision_path"):
        if f.evidence.get(key):
            out.append(f.evidence[key])
    return out


@pytest.mark.parametrize("name", ["wellconfigured", "production", "hostile"])
def test_every_fail_path_is_a_walk_in_the_graph(name):
    a = Analysis(load(ESTATES / name / "snapshot.json"))
    g = graph_of(a)
    broken, walked = [], 0
    for check_id, check in sorted(CHECKS.items()):
        for f in check.run(a):
            if f.status is not Status.FAIL:
                continue
            assert f.path and f.path[0] in g, (check_id, f.resource_id, f.path)
            for path in _paths(f):
                if check_id in MUST_WALK and not (
                    check_id in SINGLE and f.resource_type == "AwsEfsFileSystem"
                ):
                    assert len(path) >= 2, (check_id, f.resource_id, path)
                assert all(n in g for n in path), (check_id, f.resource_id, [n for n in path if n not in g])
                walked += 1
                broken.extend((check_id, f.resource_id, hop) for hop in _broken_hops(g, path))
    assert broken == [], "\n".join(map(str, broken))
    if name != "wellconfigured":
        assert walked > 0


def test_every_check_has_a_fail_in_some_sample_estate():
    """So that the walk above covers every check's FAIL paths."""
    failing = set()
    for name in ("production", "hostile"):
        a = Analysis(load(ESTATES / name / "snapshot.json"))
        failing |= {cid for cid, c in CHECKS.items() if any(f.status is Status.FAIL for f in c.run(a))}
    assert sorted(set(CHECKS) - failing) == []


def test_the_walk_rejects_a_path_that_skips_a_hop():
    a = Analysis(load(ESTATES / "production" / "snapshot.json"))
    g = graph_of(a)
    fs = next(n for n, d in g.nodes(data=True) if d.get("kind") == "file_system")
    workload = next(n for n, d in g.nodes(data=True) if d.get("kind") == "workload")
    assert _broken_hops(g, [workload, fs]) == [(workload, fs)]
