"""The package's modules import one another without a cycle: the data flow stays one-way.

Every module under ``auditor/`` is parsed with ``ast``; every import of an ``auditor.*`` module counts,
also one written inside a function (a lazy import that dodges a cycle at import time is still a cycle in
the design). ``from auditor.a import b`` depends on ``auditor.a.b`` when that is a module, else on
``auditor.a``. A package's own ``__init__`` is not counted as imported by its submodules' imports (that is
Python's mechanics, not a dependency one module wrote on another), nor is an import under
``if TYPE_CHECKING:``, which never runs (it names a type for annotations only).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "auditor"


def module_names() -> dict[str, Path]:
    names = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _absolute(module: str, level: int, name: str | None, is_package: bool) -> str:
    """The absolute name of a (possibly relative) ``from`` import."""
    if not level:
        return name or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    typing_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and _is_type_checking(block.test)
        for stmt in block.body
        for n in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, node.level, node.module, is_package)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
    deps = set()
    for name in found:
        # the longest known module the import names (``import auditor.a.b`` -> auditor.a.b)
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            deps.add(name)
    return deps


def import_graph() -> nx.DiGraph:
    modules = module_names()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for module, path in modules.items():
        graph.add_edges_from((module, dep) for dep in imports_of(module, path, set(modules)))
    return graph


def test_the_graph_sees_imports_inside_functions():
    """A lazy import is an edge: the Lambda adapter's imports inside ``handler`` are in the graph."""
    graph = import_graph()
    assert "auditor.scheduled.job" in graph.successors("auditor.entrypoints.aws_lambda")
    assert graph.number_of_edges() > graph.number_of_nodes()


def test_imports_for_type_annotations_only_are_not_edges():
    """auditor.gate names the Waiver type under TYPE_CHECKING only: no runtime dependency on reports."""
    assert "auditor.report.waivers" not in import_graph().successors("auditor.gate")


def test_no_import_cycle_in_the_package():
    graph = import_graph()
    cycles = sorted(
        (sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1), key=lambda c: c[0]
    )
    described = []
    for component in cycles:
        cycle = nx.find_cycle(graph.subgraph(component))
        described.append(" -> ".join([*(a for a, _ in cycle), cycle[0][0]]))
    assert not described, "import cycles:\n  " + "\n  ".join(described)
