"""``walk``: result paths are found in the identity graph, never assembled from strings
(auditor/graph/links.py)."""

from __future__ import annotations

import networkx as nx

from auditor.graph.build import edge
from auditor.graph.links import walk


def _graph() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    edge(g, "principal", "efsdir://fs/", kind="may_mount")
    edge(g, "efsdir://fs/", "fs", kind="root_of")
    edge(g, "efsdir://fs/a", "efsdir://fs/", kind="within")
    edge(g, "efsdir://fs/a/b", "efsdir://fs/a", kind="within")
    edge(g, "ap", "efsdir://fs/a", kind="exposes")
    edge(g, "ap", "fs", kind="access_point_of")
    for n in range(200):  # a wide file system: the walk must not need to scan it
        edge(g, f"ap{n}", "fs", kind="access_point_of")
    return g


def test_a_walk_follows_edges_in_their_direction():
    assert walk(_graph(), "principal", "fs") == ["principal", "efsdir://fs/", "fs"]


def test_a_walk_goes_down_a_directory_tree_against_the_within_edges():
    g = _graph()
    assert walk(g, "principal", "efsdir://fs/", "efsdir://fs/a/b") == [
        "principal",
        "efsdir://fs/",
        "efsdir://fs/a",
        "efsdir://fs/a/b",
    ]


def test_a_walk_never_goes_against_an_edge_that_is_not_containment():
    g = _graph()
    assert walk(g, "fs", "ap") is None  # access_point_of is not walked backwards
    assert walk(g, "efsdir://fs/a", "ap") is None  # nor is exposes


def test_the_kinds_limit_the_edges_a_walk_follows():
    g = _graph()
    assert walk(g, "ap", "fs", kinds={"exposes", "within", "root_of"}) == [
        "ap",
        "efsdir://fs/a",
        "efsdir://fs/",
        "fs",
    ]
    assert walk(g, "ap", "fs") == ["ap", "fs"]


def test_a_missing_node_or_no_walk_gives_none_and_one_stop_is_the_node():
    g = _graph()
    assert walk(g, "principal", "nowhere") is None
    assert walk(g, "fs", "principal") is None
    assert walk(g, "fs") == ["fs"]
    assert walk(g, "nowhere") is None
