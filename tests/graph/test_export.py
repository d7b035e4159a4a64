"""`efs-audit graph`: byte-identical across runs, GraphML parses back with networkx, JSON is node-link,
dot and mermaid are well formed, --focus/--depth take the neighbourhood, bad focus is exit 2."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from auditor.entrypoints.cli import app

ESTATES = Path(__file__).resolve().parents[2] / "samples" / "estates"
runner = CliRunner()


def export(estate: str, fmt: str, *extra: str) -> str:
    result = runner.invoke(app, ["graph", str(ESTATES / estate / "snapshot.json"), "--format", fmt, *extra])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("estate", ["wellconfigured", "production", "hostile"])
@pytest.mark.parametrize("fmt", ["graphml", "dot", "json", "mermaid"])
def test_deterministic(estate, fmt):
    assert export(estate, fmt) == export(estate, fmt)


@pytest.mark.parametrize("estate", ["wellconfigured", "production", "hostile"])
def test_graphml_parses_back_and_json_is_node_link(estate):
    g = nx.read_graphml(io.BytesIO(export(estate, "graphml").encode()), force_multigraph=True)
    data = json.loads(export(estate, "json"))
    assert data["directed"] is True and data["multigraph"] is True
    links = data.get("links", data.get("edges"))
    back = nx.node_link_graph(data, edges="links") if "links" in data else nx.node_link_graph(data)
    assert sorted(g.nodes) == sorted(back.nodes) == sorted(n["id"] for n in data["nodes"])
    assert g.number_of_edges() == back.number_of_edges() == len(links)
    kinds = {d["kind"] for _, _, d in g.edges(data=True)}
    assert {"access_point_of", "exposes", "authenticates_as", "can_connect", "may_connect"} <= kinds
    assert all("kind" in d for _, d in g.nodes(data=True))
    assert [n["id"] for n in data["nodes"]] == sorted(n["id"] for n in data["nodes"])


def test_dot_and_mermaid_are_well_formed():
    dot = export("production", "dot")
    assert dot.startswith("digraph efs_identity {\n") and dot.endswith("}\n")
    body = dot.splitlines()[3:-1]
    assert body and all(
        re.fullmatch(r'  "(?:[^"\\]|\\.)*"( -> "(?:[^"\\]|\\.)*")? \[.*\];', line) for line in body
    )
    mermaid = export("production", "mermaid")
    lines = mermaid.splitlines()
    assert lines[0] == "flowchart LR"
    node = re.compile(r'  n\d+\["[^"]*"\]')
    edge = re.compile(r'  n\d+ -->\|"[^"]*"\| n\d+')
    assert all(node.fullmatch(x) or edge.fullmatch(x) for x in lines[1:])
    assert not any(c in x.split('"')[1] for x in lines[1:] for c in "[]()<>{}|")


def test_focus_on_a_file_system_with_depth():
    fs = "fs-0a11c0de000000002"
    one = json.loads(export("production", "json", "--focus", fs, "--depth", "1"))
    ids = {n["id"] for n in one["nodes"]}
    assert any(i.endswith(f"file-system/{fs}") for i in ids) and f"efsdir://{fs}/" in ids
    assert not any("fs-0a11c0de000000001" in i for i in ids)
    two = json.loads(export("production", "json", "--focus", fs, "--depth", "2"))
    assert ids < {n["id"] for n in two["nodes"]}


def test_unknown_focus_and_format_are_one_line_exit_2(capsys):
    import sys

    from auditor.entrypoints.cli import main

    for args, message in (
        (
            ["--format", "dot", "--focus", "nope"],
            "efs-audit: --focus: nope: no such node or file system in the graph\n",
        ),
        (
            ["--format", "png"],
            "efs-audit: --format: expected one of graphml, dot, json, mermaid, found 'png'\n",
        ),
    ):
        sys.argv = ["efs-audit", "graph", str(ESTATES / "production" / "snapshot.json"), *args]
        with pytest.raises(SystemExit) as exc:
            main()
        assert exc.value.code == 2
        assert capsys.readouterr().err == message


def test_out_writes_the_file(tmp_path):
    out = tmp_path / "g.dot"
    assert export("wellconfigured", "dot", "--out", str(out)) == ""
    assert out.read_text() == export("wellconfigured", "dot")
