"""The identity graph for other tools: GraphML (Gephi, Neo4j import), Graphviz dot, networkx node-link
JSON and a Mermaid ``flowchart LR`` for Markdown pages. Output is deterministic: nodes and edges sorted,
attributes sorted, values made serialisable (None -> "", lists -> JSON text for GraphML)."""

from __future__ import annotations

import io
import json

import networkx as nx

from auditor.analysis.access import Analysis
from auditor.graph.build import _dirs, build
from auditor.graph.query import carriers, possible, possible_edges
from auditor.model.arn import Arn
from auditor.model.snapshot import InputError

FORMATS = ("graphml", "dot", "json", "mermaid")


def estate_graph(a: Analysis) -> nx.MultiDiGraph:
    """build(a) plus the ``may_connect`` edges of possible reach for the principals workloads carry and for
    anonymous clients (every role of the estate on every file system would be all-pairs: `reach` and
    `who-can` evaluate those on demand)."""
    g = build(a)
    carried = carriers(a)
    rows = []
    for fs in a.snapshot.file_systems:
        for principal in dict.fromkeys([None, *sorted(p for p in carried if p)]):
            rows.extend(possible(a, principal, fs, carried.get(principal, [])))
    for fs in a.snapshot.file_systems:  # the root a client without an access point may mount
        _dirs(g, fs.arn, fs.file_system_id, "/")
    for u, v, attrs in possible_edges(a, rows):
        g.add_edge(u, v, **attrs)
    for node, data in g.nodes(data=True):
        data.setdefault("kind", _kind(node))
    return g


def _kind(node: str) -> str:
    for prefix, kind in (
        ("posix://uid/", "uid"),
        ("posix://gid/", "gid"),
        ("app://", "application"),
        ("principal://", "principal"),
        ("sg:", "security_group"),
        ("efsdir://", "directory"),
    ):
        if node.startswith(prefix):
            return kind
    if node.startswith("k8s://"):
        return node.split("/")[4].lower() if len(node.split("/")) > 4 else "kubernetes"
    if ":iam::" in node:
        return "role" if ":role/" in node else "policy" if ":policy/" in node else "principal"
    if "#volume/" in node:
        return "volume"
    return "resource"


def focus(g: nx.MultiDiGraph, a: Analysis, node: str | None, depth: int) -> nx.MultiDiGraph:
    """The neighbourhood (edges in either direction) of ``node`` up to ``depth`` hops; a file system id
    names its ARN node."""
    if node is None:
        return g
    if depth < 0:
        raise InputError(f"--depth: expected 0 or more, found {depth}")
    fs = a.idx.file_system(node)
    start = fs.arn if fs is not None and node not in g else node
    if start not in g:
        raise InputError(f"--focus: {node}: no such node or file system in the graph")
    near = nx.single_source_shortest_path_length(g.to_undirected(as_view=True), start, cutoff=depth)
    return g.subgraph(near).copy()


def _value(v, graphml: bool):
    if v is None:
        return ""
    if isinstance(v, (list, tuple, dict, set)):
        v = sorted(v) if isinstance(v, set) else v
        return json.dumps(v, sort_keys=True) if graphml else v
    if isinstance(v, (bool, int, float, str)):
        return v
    return str(getattr(v, "value", v))


def canonical(g: nx.MultiDiGraph, graphml: bool = False) -> nx.MultiDiGraph:
    """A copy with nodes and edges inserted in sorted order and serialisable attribute values."""
    out = nx.MultiDiGraph()
    for n in sorted(g.nodes):
        out.add_node(n, **{k: _value(v, graphml) for k, v in sorted(g.nodes[n].items())})
    edges = sorted(
        ((u, v, {k: _value(x, graphml) for k, x in sorted(d.items())}) for u, v, d in g.edges(data=True)),
        key=lambda e: (e[0], e[1], json.dumps(e[2], sort_keys=True, default=str)),
    )
    for u, v, d in edges:
        out.add_edge(u, v, **d)
    return out


def render(g: nx.MultiDiGraph, fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError(f"--format: expected one of {', '.join(FORMATS)}, found {fmt!r}")
    c = canonical(g, graphml=fmt == "graphml")
    if fmt == "json":
        data = nx.node_link_data(c, edges="links") if _has_edges_kw() else nx.node_link_data(c)
        return json.dumps(data, indent=1, sort_keys=True) + "\n"
    if fmt == "graphml":
        buf = io.BytesIO()
        nx.write_graphml(c, buf, encoding="utf-8", prettyprint=True, named_key_ids=True)
        return buf.getvalue().decode("utf-8")
    if fmt == "dot":
        return dot(c)
    return mermaid(c)


def _has_edges_kw() -> bool:
    import inspect

    return "edges" in inspect.signature(nx.node_link_data).parameters


def _dot_str(text) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot(g: nx.MultiDiGraph) -> str:
    lines = ["digraph efs_identity {", "  rankdir=LR;", '  node [shape=box, fontname="monospace"];']
    for n, d in g.nodes(data=True):
        attrs = ", ".join(f"{k}={_dot_str(v)}" for k, v in d.items() if k != "label")
        lines.append(f"  {_dot_str(n)} [label={_dot_str(_short(n))}{', ' + attrs if attrs else ''}];")
    for u, v, d in g.edges(data=True):
        attrs = ", ".join(f"{k}={_dot_str(x)}" for k, x in d.items() if k != "label")
        lines.append(
            f"  {_dot_str(u)} -> {_dot_str(v)} [label={_dot_str(d.get('kind', ''))}"
            f"{', ' + attrs if attrs else ''}];"
        )
    return "\n".join(lines + ["}"]) + "\n"


def _short(node: str) -> str:
    arn = Arn.maybe(node)
    return f"{arn.service}:{arn.resource}" if arn else node


def _mermaid_label(text: str) -> str:
    """Mermaid labels in double quotes: quotes and characters that break the parser become entities."""
    out = []
    for ch in text:
        out.append(f"#{ord(ch)};" if ch in '"#<>[](){}|`;' else ch)
    return "".join(out)


def mermaid(g: nx.MultiDiGraph) -> str:
    ids = {n: f"n{i}" for i, n in enumerate(g.nodes)}
    lines = ["flowchart LR"]
    for n, d in g.nodes(data=True):
        lines.append(f'  {ids[n]}["{_mermaid_label(d.get("kind", "") + ": " + _short(n))}"]')
    for u, v, d in g.edges(data=True):
        lines.append(f'  {ids[u]} -->|"{_mermaid_label(str(d.get("kind", "")))}"| {ids[v]}')
    return "\n".join(lines) + "\n"
