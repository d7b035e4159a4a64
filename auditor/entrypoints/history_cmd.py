"""`efs-audit history LOCATION`: per check, in how many runs of a period it passed, failed, was not
assessed or had no result, which runs are missing, and which fail verification.

Exit codes: 0 every run in the period verified and none missing; 1 a run is missing or fails
verification; 2 bad input.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import typer

from auditor.entrypoints.report_cmds import PlainUsage


def _when(text: str | None, name: str, end: bool = False) -> datetime | None:
    from auditor.model.snapshot import InputError

    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{name}: {text!r} is not a date (YYYY-MM-DD) or time (ISO 8601)") from None
    if end and len(text) == 10:  # --until 2026-11-30 includes that day
        value += timedelta(days=1)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def render_table(data: dict, framework: str | None) -> str:
    from tabulate import tabulate

    totals, period = data["totals"], data["period"]
    lines = [
        f"Runs {period['since'] or 'first'} .. {period['until'] or 'last'}: {totals['runs']} found, "
        f"{totals['verified']} verified ({totals['complete']} with complete collection), "
        f"{totals['failing_verification']} failing verification, {len(data['missing'])} missing"
        + (f" (schedule {period['schedule']})" if period["schedule"] else ""),
        "",
    ]
    rows = []
    for check_id, c in data["checks"].items():
        controls = (
            [x.split(" ", 1)[1] for x in c["controls"] if x.startswith(f"{framework} ")] if framework else []
        )
        rows.append(
            [
                check_id,
                *([", ".join(controls) or "-"] if framework else []),
                c["PASS"],
                c["FAIL"],
                c["NOT_ASSESSED"],
                c["NO_RESULT"],
            ]
        )
    headers = [
        "check",
        *([f"{framework} controls"] if framework else []),
        "PASS runs",
        "FAIL runs",
        "NOT_ASSESSED runs",
        "no result",
    ]
    lines.append(tabulate(rows, headers=headers))
    lines.append(
        f"\nCounted over the {totals['verified']} verified runs; a check's run status is FAIL if any "
        "result failed, NOT_ASSESSED if any was not assessed, PASS if all passed (raw statuses, no waivers)."
    )
    if data["missing"]:
        lines.append("\nMissing runs:")
        lines += [f"  {m['from']} .. {m['until']}: {m['reason']}" for m in data["missing"]]
    bad = [r for r in data["runs"] if not r["verified"]]
    if bad:
        lines.append("\nRuns failing verification (not counted):")
        lines += [f"  {r['run_id'] or '?'} {r['bundle']}: {r['problems'][0]}" for r in bad]
    unindexed = [r for r in data["runs"] if not r["indexed"]]
    if unindexed:
        lines.append(
            f"\n{len(unindexed)} bundle(s) without an index entry (verified and counted when intact): "
            + ", ".join(r["bundle"] for r in unindexed)
        )
    return "\n".join(lines) + "\n"


def register(app: typer.Typer) -> None:
    @app.command("history", cls=PlainUsage)
    def history(
        location: str = typer.Argument(
            ...,
            metavar="LOCATION",
            help="A folder of bundles or s3://BUCKET/PREFIX of a scheduled deployment.",
        ),
        since: str | None = typer.Option(None, "--since", help="First day or time counted (UTC, ISO 8601)."),
        until: str | None = typer.Option(
            None, "--until", help="Last day counted, or the time before which runs count."
        ),
        schedule: str | None = typer.Option(
            None,
            "--schedule",
            help="Expected cadence: hourly, daily, weekly, Nh, Nd or rate(N hours|days); each "
            "slot of the period without a run is missing. Without it, gaps longer than "
            "1.5 usual intervals are.",
        ),
        key: str | None = typer.Option(
            None,
            "--key",
            metavar="PUBLIC.pem|kms|kms:KEY_ARN",
            help="Also check every bundle's signature (unsigned bundles then fail).",
        ),
        framework: str | None = typer.Option(
            None, "--framework", help="Show the controls of this framework per check."
        ),
        fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
    ) -> None:
        """Evidence over time: per check, how many runs passed, failed or were not assessed over a period,
        and which runs are missing or fail verification."""
        from auditor import catalog
        from auditor.model.snapshot import InputError
        from auditor.report import framework as fw_view
        from auditor.report.history import history as read_history

        if fmt not in ("table", "json"):
            raise InputError(f"--format: expected table or json, found {fmt!r}")
        if framework:
            fw_view.framework(catalog.load(), framework)
        data = read_history(
            location,
            since=_when(since, "--since"),
            until=_when(until, "--until", end=True),
            schedule=schedule,
            key=key,
        )
        if fmt == "json":
            typer.echo(json.dumps(data, indent=1, sort_keys=True))
        else:
            typer.echo(render_table(data, framework), nl=False)
        raise typer.Exit(1 if data["missing"] or data["totals"]["failing_verification"] else 0)
