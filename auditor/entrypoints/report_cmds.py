"""`efs-audit report` and `efs-audit verify`, plus the reporting options `check` reuses.

    report RUN_JSON [--framework NAME] [--format F] [--waivers FILE] [--baseline RUN_JSON] [--out DIR]
    verify DIR

Exit codes: 0 done (verify: bundle intact); 1 verify found problems; 2 bad input (one line on
stderr, no traceback).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import typer
from typer.core import TyperCommand

from auditor.model.snapshot import InputError
from auditor.report.output import emit, options_from, parse_formats

FORMAT_HELP = ("Output formats, comma separated: table, json, markdown, csv, ocsf, asff, sarif, junit, html. "
               "Several formats need --out.")
REPORT_OPTIONS = {
    "fmt": typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    "out": typer.Option(None, "--out", metavar="DIR",
                        help="Write an evidence bundle (run, formats and manifest; no snapshot: `efs-audit check "
                             "--out` bundles it) to DIR; DIR must not exist or be empty."),
    "waivers": typer.Option(None, "--waivers", metavar="FILE", help="YAML waiver file applied at report time."),
    "baseline": typer.Option(None, "--baseline", metavar="RUN_JSON",
                             help="A previous run JSON of the same estate: mark findings NEW, UNCHANGED, RESOLVED "
                                  "or NOT_REASSESSED."),
    "framework": typer.Option(None, "--framework", help="Show the control view of one framework "
                                                         "(aws-fsbp, cis-aws, nist-800-53, pci-dss-4, hipaa, soc2, "
                                                         "iso27001-2022)."),
    "include_pass": typer.Option(False, "--include-pass", help="List PASS results in human formats too."),
}

__all__ = ["REPORT_OPTIONS", "emit", "options_from", "parse_formats", "register"]


def _fail(exc: InputError) -> typer.Exit:
    typer.echo(f"efs-audit: {exc}", err=True)
    return typer.Exit(2)


class PlainUsage(TyperCommand):
    """Recent Typer writes a required argument as {NAME} on the usage line: show plain NAME."""

    def collect_usage_pieces(self, ctx) -> list[str]:
        return [re.sub(r"^\{(.+)\}(\.\.\.)?$", r"\1\2", p) for p in super().collect_usage_pieces(ctx)]


def register(app: typer.Typer) -> None:
    @app.command("report", cls=PlainUsage)
    def report(
        run_json: Path = typer.Argument(..., metavar="RUN_JSON",
                                        help="A run written by `efs-audit check --format json` (or run.json), "
                                             "not a snapshot."),
        fmt: str = REPORT_OPTIONS["fmt"], out: Path | None = REPORT_OPTIONS["out"],
        waivers: Path | None = REPORT_OPTIONS["waivers"], baseline: Path | None = REPORT_OPTIONS["baseline"],
        framework: str | None = REPORT_OPTIONS["framework"], include_pass: bool = REPORT_OPTIONS["include_pass"],
    ) -> None:
        """Render a saved run in any format, with waivers, a baseline and a framework view."""
        from auditor import catalog
        from auditor.report.baseline import load_run

        try:
            run = load_run(run_json)
            cat = catalog.load()
            if run.catalogue_digest != cat.digest:
                typer.echo("efs-audit: note: the catalogue changed since this run; titles and mappings are "
                           "today's", err=True)
            text = emit(run, cat, formats=parse_formats(fmt), out_dir=out, waivers=waivers, baseline=baseline,
                        framework=framework, snapshot_json=None, include_pass=include_pass,
                        stdout=sys.stdout)
        except InputError as exc:
            raise _fail(exc) from None
        sys.stdout.write(text)

    @app.command("verify", cls=PlainUsage)
    def verify(directory: Path = typer.Argument(..., metavar="DIR",
                                                help="An evidence bundle directory written with --out.")) -> None:
        """Check an evidence bundle: every file present, unchanged, and nothing extra."""
        from auditor.report.bundle import manifest_digest, verify_bundle

        try:
            problems = verify_bundle(directory)
        except InputError as exc:
            raise _fail(exc) from None
        if problems:
            for p in problems:
                typer.echo(f"{directory}: {p}")
            raise typer.Exit(1)
        count = sum(1 for _ in directory.iterdir())
        typer.echo(f"{directory}: bundle intact ({count} files, manifest sha256 {manifest_digest(directory)})")
