"""efs-audit: the command line. It parses settings, calls the pipeline and renders; nothing else.

Exit codes: 0 clean; 1 findings at or above --fail-on; 2 bad usage or input; 3 incomplete
collection (a collection issue or an unfinished unit) unless --allow-partial.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from auditor.model.result import AuditRun, Severity, Status
from auditor.model.snapshot import InputError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, rich_markup_mode=None,
    help="Audit who can mount Amazon EFS file systems, as which POSIX identity, over which transport, "
         "across ECS, Lambda and Kubernetes. Exit codes: 0 clean, 1 findings at or above --fail-on, "
         "2 bad usage or input, 3 incomplete collection (unless --allow-partial).",
)

REPO = Path(__file__).resolve().parent.parent.parent
SAMPLES = REPO / "samples" / "estates"


class FailOn(str, Enum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    info = "info"
    never = "never"


def exit_code(run: AuditRun, fail_on: str, allow_partial: bool) -> int:
    if not run.complete and not allow_partial:
        return 3
    if fail_on != "never":
        threshold = Severity(fail_on).rank
        if any(r.status is Status.FAIL and r.severity.rank >= threshold for r in run.results):
            return 1
    return 0


def progress_printer(enabled: bool):
    """Progress on a terminal, silence in logs and pipes."""
    if not enabled or not sys.stderr.isatty():
        return None

    def show(message: str) -> None:
        sys.stderr.write(f"\r\033[K{message[:120]}")
        sys.stderr.flush()

    return show


def params_from(app_label: list[str] | None, trusted_account: list[str] | None):
    from auditor.params import Params

    data = {}
    if app_label:
        data["app_label_keys"] = app_label
    if trusted_account:
        data["trusted_accounts"] = trusted_account
    return Params(**data)


def report(run: AuditRun, snapshot_json: str | None, fmt: str, out: Path | None, waivers: Path | None,
           baseline: Path | None, framework: str | None) -> None:
    from auditor import catalog
    from auditor.report import emit

    text = emit(run, catalog.load(), formats=[f.strip() for f in fmt.split(",") if f.strip()], out_dir=out,
                waivers=waivers, baseline=baseline, framework=framework, snapshot_json=snapshot_json)
    if text:
        sys.stdout.write(text)


FORMAT_HELP = "Output formats, comma separated: table, json, markdown, csv, ocsf, asff, sarif, junit, html."
OPTS = {
    "fmt": typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    "out": typer.Option(None, "--out", help="Write an evidence bundle (snapshot, run, formats, manifest) to DIR."),
    "fail_on": typer.Option(FailOn.high, "--fail-on", help="Exit 1 when a FAIL at or above this severity exists."),
    "allow_partial": typer.Option(False, "--allow-partial", help="Do not exit 3 when collection was incomplete."),
    "waivers": typer.Option(None, "--waivers", help="YAML waiver file applied at report time."),
    "baseline": typer.Option(None, "--baseline", help="A previous run (JSON): mark findings NEW, UNCHANGED or RESOLVED."),
    "framework": typer.Option(None, "--framework", help="Also print the view of one framework (e.g. aws-fsbp)."),
    "app_label": typer.Option(None, "--app-label", help="Tag or label key naming applications (repeatable; default app, app.kubernetes.io/name)."),
    "trusted_account": typer.Option(None, "--trusted-account", help="Account whose principals may be granted access (repeatable)."),
}


@app.command()
def check(
    snapshot: Path = typer.Argument(..., help="Snapshot JSON written by `efs-audit collect` (or a bundled sample)."),
    fmt: str = OPTS["fmt"], out: Path | None = OPTS["out"], fail_on: FailOn = OPTS["fail_on"],
    allow_partial: bool = OPTS["allow_partial"], waivers: Path | None = OPTS["waivers"],
    baseline: Path | None = OPTS["baseline"], framework: str | None = OPTS["framework"],
    app_label: list[str] | None = OPTS["app_label"], trusted_account: list[str] | None = OPTS["trusted_account"],
) -> None:
    """Run every check on a saved snapshot and print the evidence tables."""
    from auditor.model import snapshot as snap
    from auditor.pipeline import evaluate

    loaded = snap.load(snapshot)
    run = evaluate(loaded, params_from(app_label, trusted_account))
    report(run, snap.dumps(loaded), fmt, out, waivers, baseline, framework)
    raise typer.Exit(exit_code(run, fail_on.value, allow_partial))


def main() -> None:
    try:
        app(standalone_mode=False)
    except InputError as exc:
        typer.echo(f"efs-audit: {exc}", err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.BadParameter, typer.Abort) as exc:  # pragma: no cover - click formats these
        typer.echo(f"efs-audit: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(2)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
