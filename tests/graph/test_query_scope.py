"""who-can on one file system builds only the mounts of workloads that may touch it or carry a principal
that may reach it (auditor.graph.scope); the answer is the same as with every mount of the estate built,
for every file system and directory of every sample estate and of a synthetic estate (edge cases: CSI node
role, anonymous mounts, roles that name other file systems only)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from auditor.analysis.access import Analysis
from auditor.graph.query import who_can
from auditor.graph.scope import mounts_for, relevant_principal
from auditor.model import snapshot as snap

ROOT = Path(__file__).resolve().parents[2]
ESTATES = ROOT / "samples" / "estates"


def _synthetic():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from synthetic import estate

    return estate(2000)


def _load(name: str) -> snap.Snapshot:
    return _synthetic() if name == "synthetic-2000" else snap.load(ESTATES / name / "snapshot.json")


# The estates are built when a test runs, not when the suite is collected (every worker collects all).
ESTATE_NAMES = ("wellconfigured", "production", "hostile", "synthetic-2000")


@pytest.mark.parametrize(
    "name, load", [(n, _load) for n in ESTATE_NAMES], ids=lambda x: x if isinstance(x, str) else ""
)
def test_scoped_who_can_equals_who_can_over_every_mount(name, load):
    snapshot = load(name)
    full = Analysis(snapshot)
    _ = full.mounts  # every mount built: who_can then uses them all
    targets = []
    for fs in snapshot.file_systems:
        paths = sorted({ap.path for ap in snapshot.access_points if ap.file_system_id == fs.file_system_id})
        targets += [f"{fs.file_system_id}:/"] + [f"{fs.file_system_id}:{p}" for p in paths[:4]]
    assert targets
    for target in targets:
        scoped = Analysis(snapshot)
        assert [r.as_dict() for r in who_can(scoped, target)] == [
            r.as_dict() for r in who_can(full, target)
        ], target
        assert "mounts" not in scoped.__dict__  # the scoped query did not build every mount


def test_scope_leaves_out_workloads_of_other_file_systems():
    snapshot = _synthetic()
    a = Analysis(snapshot)
    fs = snapshot.file_systems[1]
    scoped = mounts_for(a, fs, relevant_principal(a, fs))
    assert 0 < len(scoped) < len(a.mounts)
    assert {m.workload.id for m in a.mounts if m.fs is fs} <= {m.workload.id for m in scoped}
