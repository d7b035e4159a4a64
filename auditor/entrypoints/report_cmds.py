"""`efs-audit report` and `efs-audit verify`, plus the reporting options `check` reuses.

    report RUN_JSON [--framework NAME] [--format F] [--waivers FILE] [--baseline RUN_JSON] [--out DIR]
    verify DIR [--key PUBLIC.pem | --key kms | --key kms:KEY_ARN]

Exit codes: 0 done (verify: bundle intact); 1 verify found problems; 2 bad input (one line on
stderr, no traceback).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import typer
from typer.core import TyperCommand

from auditor.inputs import InputError

FORMAT_HELP = (
    "Output formats, comma separated: table, json, markdown, csv, ocsf, asff, sarif, junit, html. "
    "Several formats need --out."
)
REPORT_OPTIONS = {
    "fmt": typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    "out": typer.Option(
        None,
        "--out",
        metavar="DIR",
        help="Write an evidence bundle (run, formats and manifest; no snapshot: `efs-audit check "
        "--out` bundles it) to DIR; DIR must not exist or be empty.",
    ),
    "waivers": typer.Option(
        None, "--waivers", metavar="FILE", help="YAML waiver file applied at report time."
    ),
    "baseline": typer.Option(
        None,
        "--baseline",
        metavar="RUN_JSON",
        help="A previous run JSON of the same estate: mark findings NEW, UNCHANGED, RESOLVED "
        "or NOT_REASSESSED.",
    ),
    "framework": typer.Option(
        None,
        "--framework",
        help="Show the control view of one framework "
        "(aws-fsbp, cis-aws, nist-800-53, pci-dss-4, hipaa, soc2, "
        "iso27001-2022).",
    ),
    "include_pass": typer.Option(False, "--include-pass", help="List PASS results in human formats too."),
}

__all__ = ["REPORT_OPTIONS", "PlainUsage", "register"]


def _fail(exc: InputError) -> typer.Exit:
    from auditor.inputs import one_line

    typer.echo(f"efs-audit: {one_line(str(exc))}", err=True)
    return typer.Exit(2)


class PlainUsage(TyperCommand):
    """Recent Typer writes a required argument as {NAME} on the usage line: show plain NAME."""

    def collect_usage_pieces(self, ctx) -> list[str]:
        return [re.sub(r"^\{(.+)\}(\.\.\.)?$", r"\1\2", p) for p in super().collect_usage_pieces(ctx)]

    def get_help(self, ctx) -> str:
        """No type placeholders such as <path> or <list[str]> after an argument's name."""
        return re.sub(r"^(  \S+) <[^>\n]+>", r"\1", super().get_help(ctx), flags=re.M)


def register(app: typer.Typer) -> None:
    @app.command("report", cls=PlainUsage)
    def report(
        run_json: Path = typer.Argument(
            ...,
            metavar="RUN_JSON",
            help="A run written by `efs-audit check --format json` (or run.json), not a snapshot.",
        ),
        fmt: str = REPORT_OPTIONS["fmt"],
        out: Path | None = REPORT_OPTIONS["out"],
        sign: str | None = typer.Option(
            None,
            "--sign",
            metavar="kms:KEY_ARN|file:KEY.pem",
            help="Sign the --out bundle (writes manifest.sig).",
        ),
        waivers: Path | None = REPORT_OPTIONS["waivers"],
        baseline: Path | None = REPORT_OPTIONS["baseline"],
        framework: str | None = REPORT_OPTIONS["framework"],
        include_pass: bool = REPORT_OPTIONS["include_pass"],
    ) -> None:
        """Render a saved run in any format, with waivers, a baseline and a framework view."""
        from auditor import catalog
        from auditor.report.baseline import load_run
        from auditor.report.output import emit, parse_formats

        try:
            run = load_run(run_json)
            cat = catalog.load()
            if run.catalogue_digest != cat.digest:
                typer.echo(
                    "efs-audit: note: the catalogue changed since this run; titles and mappings are today's",
                    err=True,
                )
            text = emit(
                run,
                cat,
                formats=parse_formats(fmt),
                out_dir=out,
                waivers=waivers,
                baseline=baseline,
                framework=framework,
                snapshot_json=None,
                include_pass=include_pass,
                sign=sign,
                stdout=sys.stdout,
            )
        except InputError as exc:
            raise _fail(exc) from None
        sys.stdout.write(text)

    @app.command("verify", cls=PlainUsage)
    def verify(
        directory: Path = typer.Argument(
            ..., metavar="DIR", help="An evidence bundle directory written with --out."
        ),
        key: str | None = typer.Option(
            None,
            "--key",
            metavar="PUBLIC.pem|kms|kms:KEY_ARN",
            help="Also check the signature (manifest.sig): with this public key (PEM), with kms:Verify "
            "on the KMS key the signature names (kms), or only with that KMS key (kms:KEY_ARN). "
            "An unsigned bundle then fails.",
        ),
    ) -> None:
        """Check an evidence bundle: the manifest's own digest, every file present, unchanged, nothing
        extra, and (with --key) the signature. Exit 0 intact, 1 not intact, 2 bad input."""
        from auditor.report.bundle import SELF_DIGEST, manifest_digest, read_manifest, verify_bundle
        from auditor.report.signing import check

        try:
            problems = verify_bundle(directory)
            data = read_manifest(directory)[0]
            outcome = check(directory, data, key) if data is not None and not problems else None
        except InputError as exc:
            raise _fail(exc) from None
        if problems:
            for p in problems:
                typer.echo(f"{directory}: {p}")
            raise typer.Exit(1)
        if outcome is not None and not outcome.ok:
            typer.echo(f"{directory}: {outcome.line}")
            raise typer.Exit(1)
        count = sum(1 for _ in directory.iterdir())
        typer.echo(
            f"{directory}: bundle intact ({count} files, manifest sha256 {manifest_digest(directory)}, "
            f"content sha256 {data[SELF_DIGEST]})"
        )
        if outcome is not None:
            typer.echo(f"{directory}: {outcome.line}")
