"""Reach rows and edges added after a build: ``reach.row`` makes the same row as ``Reached(...)``, and
what a graph's edges share after its build is kept on that graph, never at module level."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import networkx as nx

from auditor.analysis.access import Analysis
from auditor.graph import build, drop, graph_of
from auditor.graph.reach import Reached, row


def test_row_equals_the_dataclass_field_for_field_in_order():
    values = {
        "subject": "arn:aws:iam::111122223333:role/app",
        "file_system": "fs-0123456789abcdef0",
        "directory": "/app",
        "access_point": "fsap-0123456789abcdef0",
        "uid": 1000,
        "gid": 1000,
        "groups": (5,),
        "squashed": None,
        "writable": True,
        "kind": "possible",
        "path": ("a", "b"),
    }
    for extra in ({}, {"principal": "arn:aws:iam::111122223333:role/app"}):
        fast, slow = row(**values, **extra), Reached(**values, **extra)
        assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
        assert list(vars(fast).items()) == list(vars(slow).items())
        assert dataclasses.asdict(fast) == dataclasses.asdict(slow)


def test_edges_added_after_the_build_leave_nothing_at_module_level():
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from synthetic import estate

    a = Analysis(estate(2000))
    g = graph_of(a)  # reach adds may_mount / includes edges once the build is over
    assert (
        not build._SHARED
        and not build._AS_GIVEN
        and not build._HELD
        and not build._CLEAN
        and not build._ALONE
    )
    may_mount = [d for _, _, d in g.edges(data=True) if d["kind"] == "may_mount"]
    assert may_mount
    by_values = {}
    for d in may_mount:  # equal attributes, one dict (the graph's memory stays shared)
        assert by_values.setdefault(tuple(sorted(d.items())), d) is d
    drop(a)
    assert build._AFTER not in g.__dict__


def test_an_edge_added_twice_after_the_build_is_added_once():
    g = nx.MultiDiGraph()
    build.edge(g, "class", "ap", kind="includes", field="f")
    build.edge(g, "class", "ap", kind="includes", field="f")
    assert g.number_of_edges("class", "ap") == 1
