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
from auditor.graph import graph_of
from auditor.model.result import Status
from auditor.model.snapshot import load

ESTATES = Path(__file__).resolve().parent.parent / "samples" / "estates"
BACKWARD = {
    "within",
    "enforces_uid",
    "enforces_gid",
    "enforces_group",
    "owned_by_gid",
    "runs_as_uid",
    "runs_as_gid",
    "runs_with_group",
    "same_id",
}
MUST_WALK = (
    "efs_cross_app_reach",
    "efs_root_squash_gap",
    "efs_access_point_nested_root",
    "efs_access_point_identity_collision",
)


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
    if f.evidence.get("reach_path"):
        out.append(f.evidence["reach_path"])
    return out


@pytest.mark.parametrize("name", ["wellconfigured", "production", "hostile"])
def test_every_fail_path_is_a_walk_in_the_graph(name):
    a = Analysis(load(ESTATES / name / "snapshot.json"))
    g = graph_of(a)
    broken, walked = [], 0
    for check_id, check in sorted(CHECKS.items()):
        for f in check.run(a) if check_id in MUST_WALK else ():
            if f.status is not Status.FAIL:
                continue
            for path in _paths(f):
                if check_id in MUST_WALK and f.resource_type != "AwsEfsFileSystem":  # a policy-wide finding
                    assert len(path) >= 2, (check_id, f.resource_id, path)
                if len(path) < 2:
                    continue
                assert all(n in g for n in path), (check_id, f.resource_id, [n for n in path if n not in g])
                walked += 1
                broken.extend((check_id, f.resource_id, hop) for hop in _broken_hops(g, path))
    assert broken == [], "\n".join(map(str, broken))
    if name != "wellconfigured":
        assert walked > 0


def test_the_walk_rejects_a_path_that_skips_a_hop():
    a = Analysis(load(ESTATES / "production" / "snapshot.json"))
    g = graph_of(a)
    fs = next(n for n, d in g.nodes(data=True) if d.get("kind") == "file_system")
    workload = next(n for n, d in g.nodes(data=True) if d.get("kind") == "workload")
    assert _broken_hops(g, [workload, fs]) == [(workload, fs)]
