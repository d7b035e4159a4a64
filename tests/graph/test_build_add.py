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


def test_pairs_joined_by_one_equal_edge_share_a_key_dict_until_one_grows():
    """A pair u -> v joined by one edge shares its key dict with every other pair joined by an edge with the
    same attribute dict; a second edge on one pair gives that pair its own, the others stay as they were."""
    g = nx.MultiDiGraph()
    try:
        uses = build.shared_for(g, kind="uses", field="volume")
        other = build.shared_for(g, kind="exposes", field="path")
        for n in range(3):
            build.add(g, f"w{n}", "fs", uses)
        assert g._succ["w0"]["fs"] is g._succ["w1"]["fs"] is g._pred["fs"]["w2"]
        build.add(g, "w1", "fs", uses)  # the same edge again: nothing added
        build.add(g, "w1", "fs", other)
        assert g.number_of_edges("w1", "fs") == 2 and g._pred["fs"]["w1"] is g._succ["w1"]["fs"]
        assert [g.number_of_edges(f"w{n}", "fs") for n in (0, 2)] == [1, 1]
        assert g._succ["w0"]["fs"] == {0: uses} and g._succ["w0"]["fs"] is g._succ["w2"]["fs"]
    finally:
        build.release(g)


def test_nodes_named_only_by_edges_share_one_attribute_dict_per_kind_after_the_whole_run():
    """POSIX identities, applications, volumes and Kubernetes objects get their kind from their id and
    nothing else: one dict per kind. Reach runs after the build and adds nodes and edges; the shared dicts
    still hold their kind alone, and every node holding one is of that kind."""
    import sys
    from pathlib import Path

    from auditor.analysis.access import Analysis
    from auditor.graph import graph_of

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from synthetic import estate

    g = graph_of(Analysis(estate(2000)))
    holders: dict[int, list[str]] = {}
    for node, data in g._node.items():
        holders.setdefault(id(data), []).append(node)
    shared = {i: nodes for i, nodes in holders.items() if len(nodes) > 1}
    kinds = {g._node[nodes[0]]["kind"] for nodes in shared.values()}
    assert {"posix_uid", "posix_gid", "application", "volume", "kubernetes"} <= kinds
    for nodes in shared.values():
        data = g._node[nodes[0]]
        assert list(data) == ["kind"]
        prefix = {"posix_uid": "posix://uid/", "posix_gid": "posix://gid/", "application": "app://"}
        assert all(n.startswith(prefix.get(data["kind"], "")) for n in nodes)
    assert len(shared) == len(kinds)  # one dict per kind
