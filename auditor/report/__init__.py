"""Report renderers. FORMATS is the explicit registry: format name -> render(run, catalogue, options)
-> str. Importing this package renders nothing and touches no file."""

from __future__ import annotations

from collections.abc import Callable

from auditor.report import asff, csv, html, json, junit, markdown, ocsf, sarif
from auditor.report.view import ReportOptions


def _table(run, catalogue, options):
    # The lead's terminal tables; imported lazily so the other formats work without it.
    from auditor.report.table import render as table_render

    return table_render(run, catalogue, options)


FORMATS: dict[str, Callable[..., str]] = {
    "table": _table,
    "json": json.render,
    "markdown": markdown.render,
    "csv": csv.render,
    "ocsf": ocsf.render,
    "asff": asff.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "html": html.render,
}
# Formats a person reads on a terminal; the others are machine documents.
HUMAN = ("table", "markdown")


def render(fmt: str, run, catalogue, options: ReportOptions | None = None) -> str:
    from auditor.model.snapshot import InputError

    if fmt not in FORMATS:
        raise InputError(f"--format: unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    return FORMATS[fmt](run, catalogue, options or ReportOptions())


__all__ = ["FORMATS", "HUMAN", "ReportOptions", "render"]
