"""`efs-audit who-can`, `efs-audit reach` and `efs-audit graph`: questions to the identity graph of a saved
snapshot, offline.

    who-can SNAPSHOT FS_ID[:PATH] [--write] [--root] [--format table|json]
    reach SNAPSHOT ROLE_ARN|WORKLOAD|APP [--format table|json]
    graph SNAPSHOT --format graphml|dot|json|mermaid [--focus NODE_OR_FS] [--depth N] [--out FILE]

Exit codes: 0 answered; 2 bad input (unknown file system, node or target, bad path: one line on stderr).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from auditor.entrypoints.report_cmds import PlainUsage
from auditor.inputs import InputError

SNAPSHOT = typer.Argument(
    ..., metavar="SNAPSHOT", help="Snapshot JSON written by `efs-audit collect` (or a sample)."
)
FMT = typer.Option("table", "--format", "-f", help="table or json.")
APP_LABEL = typer.Option(None, "--app-label", help="Tag or label key naming applications (repeatable).")


def _analysis(snapshot: Path, app_label: list[str] | None):
    from auditor.analysis.access import Analysis
    from auditor.model import snapshot as snap
    from auditor.model.gc_pause import gc_paused
    from auditor.params import Params

    loaded = snap.load(snapshot)
    with (
        gc_paused()
    ):  # the indexes hold no reference cycles (100k access points: 6 s with the collector, 0.4 without)
        return Analysis(loaded, Params(app_label_keys=app_label) if app_label else None)


def _yn(v: bool | None) -> str:
    return "unknown" if v is None else "yes" if v else "no"


def _short(node: str | None) -> str:
    from auditor.model.arn import Arn

    if not node:
        return "-"
    if arn := Arn.maybe(node):
        return arn.resource.split("/", 1)[-1]
    return node.removeprefix("k8s://")


def table(rows, where: bool) -> str:
    from tabulate import tabulate

    body = []
    for r in rows:
        who = (
            _short(r.workload)
            if r.workload
            else (f"({r.carried_by_total} workloads)" if r.carried_by_total else "-")
        )
        line = [r.principal if r.principal == "anonymous" else _short(r.principal), who, r.application or "-"]
        if where:
            line.append(r.file_system)
        line += [
            r.subtree + ("" if r.reaches == "all" else " (part)"),
            r.via,
            r.identity,
            r.kind,
            _yn(r.write),
            _yn(r.root),
            _yn(r.squashed),
        ]
        body.append(line)
    headers = (
        ["principal", "workload", "app"]
        + (["file system"] if where else [])
        + ["subtree", "via", "identity", "kind", "write", "root", "squashed"]
    )
    return tabulate(body, headers=headers) + "\n"


def _emit(rows, fmt: str, where: bool) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps([r.as_dict() for r in rows], indent=1, sort_keys=True) + "\n")
    elif fmt == "table":
        sys.stdout.write(table(rows, where) if rows else "nothing reaches it\n")
    else:
        raise InputError(f"--format: expected table or json, found {fmt!r}")


def register(app: typer.Typer) -> None:
    @app.command("who-can", cls=PlainUsage)
    def who_can(
        snapshot: Path = SNAPSHOT,
        target: str = typer.Argument(
            ...,
            metavar="FS_ID[:PATH]",
            help="A file system id (or ARN), optionally with a directory: fs-0123:/billing.",
        ),
        write: bool = typer.Option(False, "--write", help="Only those who can (or may: unknown) write."),
        root: bool = typer.Option(False, "--root", help="Only those who can (or may: unknown) act as root."),
        fmt: str = FMT,
        app_label: list[str] | None = APP_LABEL,
    ) -> None:
        """Every principal, workload and application that reaches a directory (its subtree is the
        directory or an ancestor: "all"; or lies below it: "part"), configured today or possible with the
        permissions it has, as which identity, through which access point, and the graph path why."""
        from auditor.graph.query import who_can as query

        _emit(query(_analysis(snapshot, app_label), target, write, root), fmt, where=False)

    @app.command("reach", cls=PlainUsage)
    def reach(
        snapshot: Path = SNAPSHOT,
        target: str = typer.Argument(
            ...,
            metavar="ROLE_ARN|WORKLOAD|APP",
            help="A role ARN or `anonymous`, a workload (ARN, k8s:// id or name), or an "
            "application (app://name or name).",
        ),
        fmt: str = FMT,
        app_label: list[str] | None = APP_LABEL,
    ) -> None:
        """Everything a principal, workload or application reaches, on every file system."""
        from auditor.graph.query import reach as query

        _emit(query(_analysis(snapshot, app_label), target), fmt, where=True)

    @app.command("graph", cls=PlainUsage)
    def graph(
        snapshot: Path = SNAPSHOT,
        fmt: str = typer.Option(
            ..., "--format", "-f", help="graphml, dot, json (networkx node-link) or mermaid."
        ),
        focus: str | None = typer.Option(
            None,
            "--focus",
            metavar="NODE_OR_FS",
            help="Only the neighbourhood of this node id or file system id.",
        ),
        depth: int = typer.Option(2, "--depth", metavar="N", help="Hops around --focus, edges either way."),
        out: Path | None = typer.Option(None, "--out", metavar="FILE", help="Write here instead of stdout."),
        app_label: list[str] | None = APP_LABEL,
    ) -> None:
        """Export the identity graph (or the part around one node) for Gephi, Graphviz, Neo4j or Markdown.
        Deterministic: the same snapshot gives the same bytes."""
        from auditor.graph import export
        from auditor.model.snapshot import write_atomic

        if fmt not in export.FORMATS:
            raise InputError(f"--format: expected one of {', '.join(export.FORMATS)}, found {fmt!r}")
        a = _analysis(snapshot, app_label)
        text = export.render(export.focus(export.estate_graph(a), a, focus, depth), fmt)
        if out is None:
            sys.stdout.write(text)
        else:
            write_atomic(out, text)
