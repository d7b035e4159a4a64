"""build.add: an edge u -> v with the same attributes is added once, however many edges u -> v there are
(the graph's edges are unique by their attributes; many parallel edges are looked up, not scanned)."""

from __future__ import annotations

import networkx as nx

from auditor.graph import build


def test_parallel_edges_with_equal_attributes_are_added_once():
    g = nx.MultiDiGraph()
    build._HELD.clear()
    try:
        datas = [build.shared(kind="can_connect", access_point=f"fsap-{n}") for n in range(20)]
        for _ in range(3):
            for data in datas:
                build.add(g, "role", "fs", data)
        assert g.number_of_edges("role", "fs") == 20
        assert [d["access_point"] for d in g._succ["role"]["fs"].values()] == [f"fsap-{n}" for n in range(20)]
        g.add_edge("role", "fs", kind="other")  # grown outside ``add``: read again, not lost
        extra = g._succ["role"]["fs"][20]
        build.add(g, "role", "fs", extra)
        build.add(g, "role", "fs", datas[5])
        assert g.number_of_edges("role", "fs") == 21
        assert g._pred["fs"]["role"] is g._succ["role"]["fs"]
    finally:
        build._HELD.clear()
        build._SHARED.clear()
        build._AS_GIVEN.clear()
