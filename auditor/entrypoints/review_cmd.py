"""`efs-audit review`: audit what is about to go live, alone and laid over what already runs.

    review PATH... [--against SNAPSHOT] [--format table|json|sarif] [--fail-on high]
                   [--account ID] [--region R] [--cluster NAME]

PATH: CloudFormation / SAM templates (YAML or JSON), Terraform plan JSON (`terraform show -json`),
ECS task definition JSON, Lambda function configuration JSON, Kubernetes manifests or Helm output;
folders are searched recursively. Exit codes: 1 an introduced finding at or above --fail-on; else 3
when a result of a declared resource is NOT_ASSESSED (something the files refer to is neither declared
nor in the --against snapshot, or a declared change could not be placed), unless --allow-partial; else
0. 2 bad input (one line naming file, line and field; no traceback).
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from auditor import gate
from auditor.entrypoints.report_cmds import PlainUsage
from auditor.gate import FailOn
from auditor.inputs import InputError


class ReviewFormat(str, Enum):
    table = "table"
    json = "json"
    sarif = "sarif"


def exit_code(outcome, fail_on: str, allow_partial: bool = False) -> int:
    """auditor.gate's code for a review: introduced findings, then declared resources NOT_ASSESSED."""
    return gate.review_exit_code(outcome.introduced, not_assessed(outcome), fail_on, allow_partial)


def not_assessed(outcome) -> list:
    declared = outcome.merged.declared_at
    return [r for r in outcome.run.results if r.status.value == "NOT_ASSESSED" and r.resource_id in declared]


def register(app: typer.Typer) -> None:
    @app.command("review", cls=PlainUsage)
    def review_command(
        paths: list[Path] = typer.Argument(
            ...,
            metavar="PATH",
            help="Templates, plans, task definitions, function configurations, "
            "manifests, or folders of them.",
        ),
        against: Path | None = typer.Option(
            None,
            "--against",
            help="A live snapshot JSON: review the files laid over it and show what changes.",
        ),
        fmt: ReviewFormat = typer.Option(ReviewFormat.table, "--format", "-f", help="table, json or sarif."),
        fail_on: FailOn = typer.Option(
            FailOn.high,
            "--fail-on",
            help="Exit 1 when an introduced FAIL at or above this severity exists.",
        ),
        account: str | None = typer.Option(
            None,
            "--account",
            help="Account id for resources the files create "
            "(default: the --against snapshot's, else 111122223333).",
        ),
        region: str | None = typer.Option(
            None,
            "--region",
            help="Region for resources the files create (default: the --against snapshot's, else us-east-1).",
        ),
        cluster: str | None = typer.Option(
            None,
            "--cluster",
            help="Cluster name for Kubernetes manifests (default: the --against snapshot's only cluster).",
        ),
        allow_partial: bool = typer.Option(
            False,
            "--allow-partial",
            help="Do not exit 3 when results of declared resources are NOT_ASSESSED.",
        ),
    ) -> None:
        """Pre-deploy review: findings the files would introduce or resolve, with file and line."""
        from auditor.entrypoints import options
        from auditor.model import snapshot as snap
        from auditor.review import review

        try:
            options.account(account), options.region(region), options.name(cluster, "--cluster")
            live = snap.load(against) if against else None
            outcome = review(paths, live, account=account, region=region, cluster=cluster)
            text = render(outcome, fmt.value)
        except InputError as exc:
            from auditor.inputs import one_line

            typer.echo(f"efs-audit: {one_line(str(exc))}", err=True)
            raise typer.Exit(2) from None
        sys.stdout.write(text)
        raise typer.Exit(exit_code(outcome, fail_on.value, allow_partial))


def render(outcome, fmt: str) -> str:
    from auditor import catalog

    if fmt == "json":
        from auditor.report.json import dumps

        return dumps(outcome.run)
    if fmt == "sarif":
        from auditor.report import render as render_format

        touched = [
            r
            for r in outcome.run.results
            if "source_file" in r.evidence
            or r.evidence.get("review_status") not in ("unchanged", "not_assessed")
        ]
        return render_format("sarif", outcome.run.model_copy(update={"results": touched}), catalog.load())
    return table(outcome)


def table(outcome) -> str:
    lines = [
        f"efs-audit review: {len(outcome.declared.declared_at)} declared resources, "
        f"{len(outcome.introduced)} introduced, {len(outcome.resolved)} resolved, "
        f"{len(outcome.unchanged)} unchanged results"
        + (f", {len(outcome.not_reassessed)} not reassessed" if outcome.not_reassessed else "")
    ]
    for title, rows in (
        ("INTRODUCED", outcome.introduced),
        ("RESOLVED", outcome.resolved),
        ("NOT REASSESSED (FAIL before, NOT_ASSESSED now)", outcome.not_reassessed),
    ):
        if not rows:
            continue
        lines += ["", title]
        for r in sorted(rows, key=lambda r: (-r.severity.rank, r.check_id, r.resource_id)):
            lines.append(f"  {r.severity.value:8} {r.check_id:34} {_where(r)}")
            lines.append(f"           {r.resource_id}")
            lines.append(f"           {r.message}")
    unknown = not_assessed(outcome)
    if unknown:
        lines += ["", f"NOT ASSESSED (declared resources): {len(unknown)}"]
        for r in unknown:
            reason = r.evidence.get("reason") or r.message
            lines.append(
                f"  {r.check_id:34} {_where(r)}  {reason if isinstance(reason, str) else '; '.join(map(str, reason))}"
            )
        if not outcome.before.units:
            lines.append(
                "  (review --against a snapshot of the live estate to assess what the files refer to)"
            )
    issues = [i for i in outcome.merged.issues if i.service == "review"]
    if issues:
        lines += ["", "UNRESOLVED OR UNSUPPORTED IN THE FILES"]
        lines += [
            f"  {i.error_code}: {i.message}" + (f" [{i.resource_id}]" if i.resource_id else "")
            for i in issues
        ]
    return "\n".join(lines) + "\n"


def _where(r) -> str:
    f, line = r.evidence.get("source_file"), r.evidence.get("source_line")
    return f"{f}:{line}" if f and line else (f or "(live)")
