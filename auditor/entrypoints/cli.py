"""efs-audit: the command line. It parses settings, calls the pipeline and renders; nothing else.

Exit codes: 0 clean; 1 findings at or above --fail-on; 2 bad usage or input; 3 incomplete
collection (a collection issue or an unfinished unit) unless --allow-partial.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from auditor import gate
from auditor.entrypoints import controls, graph_cmds, history_cmd, org_cmds, report_cmds, review_cmd
from auditor.entrypoints.controls import OPTS as CONTROL
from auditor.entrypoints.report_cmds import PlainUsage
from auditor.gate import FailOn
from auditor.inputs import InputError

if TYPE_CHECKING:
    from auditor.model.result import AuditRun

app = typer.Typer(
    add_completion=True,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Audit who can mount Amazon EFS file systems, as which POSIX identity, over which transport, "
    "across ECS, Lambda and Kubernetes. Exit codes: 0 clean, 1 findings at or above --fail-on, "
    "2 bad usage or input, 3 incomplete collection (unless --allow-partial).",
)


def _samples() -> Path:
    from auditor.catalog import data_dir

    return data_dir("auditor.estates", "samples/estates")


def exit_code(run: AuditRun, fail_on: str, allow_partial: bool, waivers: Path | None = None) -> int:
    """auditor.gate's code for the run, with the waiver file the report applied."""
    from auditor.report.waivers import load

    return gate.run_exit_code(run, fail_on, allow_partial, load(waivers) if waivers else ())


def progress_printer(enabled: bool, settings=None):
    """A live bar on a terminal, periodic plain lines in logs and pipes; nothing with --quiet."""
    from auditor.entrypoints import progress

    show = progress.printer(enabled, controls.STATE.quiet)
    for line in progress.plan_lines(settings) if show and settings is not None else ():
        show(line)
    return show


def params_from(
    app_label: list[str] | None,
    trusted_account: list[str] | None,
    config: Path | None = None,
    param: list[str] | None = None,
):
    from auditor.entrypoints import options

    app_label, trusted_account = options.label_keys(app_label), options.accounts(trusted_account)
    loaded, path = controls.load_config(config)
    return controls.build_params(loaded, path, param, app_label, trusted_account)


def selection(config: Path | None, checks: str | None, skip_checks: str | None) -> frozenset[str]:
    return controls.skipped(checks, skip_checks, controls.load_config(config)[0])


def report(
    run: AuditRun,
    snapshot_json: str | None,
    fmt: str,
    out: Path | None,
    waivers: Path | None,
    baseline: Path | None,
    framework: str | None,
    sign: str | None = None,
    display: dict | None = None,
) -> None:
    from auditor import catalog
    from auditor.report.output import emit, parse_formats

    text = emit(
        run,
        catalog.load(),
        formats=parse_formats(fmt),
        out_dir=out,
        waivers=waivers,
        baseline=baseline,
        framework=framework,
        snapshot_json=snapshot_json,
        sign=sign,
        display=display,
        stdout=sys.stdout,
    )
    if text:
        sys.stdout.write(text)


FORMAT_HELP = "Output formats, comma separated: table, json, markdown, csv, ocsf, asff, sarif, junit, html."
OPTS = {
    "fmt": typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    "out": typer.Option(
        None, "--out", help="Write an evidence bundle (snapshot, run, formats, manifest) to DIR."
    ),
    "fail_on": typer.Option(
        FailOn.high, "--fail-on", help="Exit 1 when a FAIL at or above this severity exists."
    ),
    "allow_partial": typer.Option(
        False, "--allow-partial", help="Do not exit 3 when collection was incomplete."
    ),
    "waivers": typer.Option(None, "--waivers", help="YAML waiver file applied at report time."),
    "baseline": typer.Option(
        None, "--baseline", help="A previous run (JSON): mark findings NEW, UNCHANGED or RESOLVED."
    ),
    "framework": typer.Option(
        None, "--framework", help="Also print the view of one framework (e.g. aws-fsbp)."
    ),
    "app_label": typer.Option(
        None,
        "--app-label",
        help="Tag or label key naming applications (repeatable; default app, app.kubernetes.io/name).",
    ),
    "trusted_account": typer.Option(
        None, "--trusted-account", help="Account whose principals may be granted access (repeatable)."
    ),
    "sign": typer.Option(
        None,
        "--sign",
        metavar="kms:KEY_ARN|file:KEY.pem",
        help="Sign the --out bundle: an AWS KMS asymmetric signing key, or a local Ed25519 / "
        "ECDSA P-256 private key (writes manifest.sig).",
    ),
    "sarif_all": typer.Option(
        False,
        "--sarif-all",
        help="SARIF: list PASS and NOT_ASSESSED results too (default: "
        "FAIL results only, as code scanning expects).",
    ),
}


@app.command(cls=PlainUsage)
def check(
    snapshot: Path = typer.Argument(
        ..., metavar="SNAPSHOT", help="Snapshot JSON written by `efs-audit collect` (or a bundled sample)."
    ),
    fmt: str = OPTS["fmt"],
    out: Path | None = OPTS["out"],
    fail_on: FailOn = OPTS["fail_on"],
    allow_partial: bool = OPTS["allow_partial"],
    waivers: Path | None = OPTS["waivers"],
    baseline: Path | None = OPTS["baseline"],
    framework: str | None = OPTS["framework"],
    app_label: list[str] | None = OPTS["app_label"],
    trusted_account: list[str] | None = OPTS["trusted_account"],
    sign: str | None = OPTS["sign"],
    checks: str | None = CONTROL["checks"],
    skip_checks: str | None = CONTROL["skip_checks"],
    severity: str | None = CONTROL["severity"],
    status: str | None = CONTROL["status"],
    config: Path | None = CONTROL["config"],
    param: list[str] | None = CONTROL["param"],
    wide: bool = CONTROL["wide"],
    sarif_all: bool = OPTS["sarif_all"],
) -> None:
    """Run every check on a saved snapshot and print the evidence tables."""
    from auditor.model import snapshot as snap
    from auditor.pipeline import evaluate, serialised

    params, skip = (
        params_from(app_label, trusted_account, config, param),
        selection(config, checks, skip_checks),
    )
    loaded = snap.load(snapshot)  # the safe reader first: a FIFO or a device is refused before any other read
    display = {
        **controls.display(severity, status, wide),
        "all_results": sarif_all,
        "source_uri": snapshot.as_posix(),
        "source_text": _read_text(snapshot),
    }
    text, digest = serialised(loaded, keep=out is not None or "html" in fmt)
    run = evaluate(loaded, params, skip=skip, snapshot_digest=digest)
    report(run, text, fmt, out, waivers, baseline, framework, sign, display)
    raise typer.Exit(exit_code(run, fail_on.value, allow_partial, waivers))


@app.command(cls=PlainUsage)
def access(
    snapshot: Path = typer.Argument(..., metavar="SNAPSHOT", help="Snapshot JSON."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
    app_label: list[str] | None = OPTS["app_label"],
    trusted_account: list[str] | None = OPTS["trusted_account"],
) -> None:
    """Show the effective access of every configured mount: principal, transport, POSIX identity,
    rights and subtree, and what its principals could mount beyond it (possible reach)."""
    import json

    from tabulate import tabulate

    from auditor.analysis.access import Analysis, effective_access
    from auditor.model import snapshot as snap

    rows = effective_access(Analysis(snap.load(snapshot), params_from(app_label, trusted_account)))
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=1, sort_keys=True))
        return
    if fmt != "table":
        raise InputError(f"--format: expected table or json, found {fmt!r}")

    def yn(v):
        return "unknown" if v is None else "yes" if v else "no"

    body = [
        [
            r["name"][:40],
            r["application"],
            r["file_system"],
            r["access_point"] or "-",
            r["subtree"].split(" (")[0] + ("*" if r["access_point"] is None else ""),
            r["transport"],
            ",".join(x.split("/")[-1] for x in r["principal"]),
            ";".join(f"{i['uid']}:{i['gid']}" for i in r["identity"]) or "-",
            yn(r["can_mount"]),
            yn(r["can_write"]),
            yn(r["root_access_granted"]),
            len(r.get("possible_reach", [])),
        ]
        for r in rows
    ]
    typer.echo(
        tabulate(
            body,
            headers=[
                "workload",
                "app",
                "file system",
                "access point",
                "subtree",
                "transport",
                "principal",
                "uid:gid",
                "mount",
                "write",
                "root",
                "possible",
            ],
        )
    )
    typer.echo(
        "\n* no access point: the client may mount any path. 'possible' counts what the mount's principals "
        "(and anonymous clients) could mount beyond it; --format json lists them with the reasons."
    )
    from auditor.report.matrix import render as matrix

    typer.echo("\n" + matrix(rows), nl=False)


COLLECT = {
    "profile": typer.Option(
        None, "--profile", help="AWS named profile (default: the standard credential chain)."
    ),
    "region": typer.Option(
        None, "--region", help="AWS region to collect (repeatable; default: every enabled region)."
    ),
    "role_arn": typer.Option(
        None,
        "--role-arn",
        help="Role to assume in a target account, as ARN[,EXTERNAL_ID[,SESSION_NAME]] (repeatable).",
    ),
    "external_id": typer.Option(
        None, "--external-id", help="ExternalId for each --role-arn that gives none."
    ),
    "session_name": typer.Option(
        "efs-audit", "--session-name", help="RoleSessionName for each --role-arn that gives none."
    ),
    "no_aws": typer.Option(False, "--no-aws", help="Skip AWS collection (Kubernetes only)."),
    "kubeconfig": typer.Option(None, "--kubeconfig", help="Kubeconfig file for live Kubernetes collection."),
    "context": typer.Option(None, "--context", help="Kubeconfig context (repeatable: one cluster each)."),
    "in_cluster": typer.Option(False, "--in-cluster", help="Use the pod's service account (CronJob)."),
    "manifests": typer.Option(
        None, "--manifests", help="YAML/JSON manifests or folders to read offline (repeatable)."
    ),
    "cluster_name": typer.Option(
        None, "--cluster-name", help="Name of the cluster the manifests describe (the EKS cluster name)."
    ),
    "progress": typer.Option(
        True,
        "--progress/--no-progress",
        help="Show progress on stderr: a bar on a terminal, periodic lines in logs.",
    ),
}


def collect_settings(
    profile,
    region,
    role_arn,
    external_id,
    session_name,
    no_aws,
    kubeconfig,
    context,
    in_cluster,
    manifests,
    cluster_name,
):
    from auditor.inputs import require_file
    from auditor.pipeline import CollectSettings

    if kubeconfig:
        require_file(kubeconfig, "a kubeconfig file")
    aws = None
    if not no_aws:
        from auditor.collectors.aws import AwsSettings, RoleTarget

        aws = AwsSettings(
            profile=profile,
            regions=tuple(region or ()),
            role_targets=tuple(RoleTarget.parse(a, external_id, session_name) for a in role_arn or ()),
        )
    contexts = tuple((kubeconfig, c) for c in context or ()) or (((kubeconfig, None),) if kubeconfig else ())
    return CollectSettings(
        aws=aws,
        kube_contexts=contexts,
        in_cluster=in_cluster,
        manifests=tuple(Path(m) for m in manifests or ()),
        cluster_name=cluster_name,
    )


@app.command()
def collect(
    out: Path = typer.Option(..., "--out", "-o", help="Write the snapshot JSON here."),
    profile: str | None = COLLECT["profile"],
    region: list[str] | None = COLLECT["region"],
    role_arn: list[str] | None = COLLECT["role_arn"],
    external_id: str | None = COLLECT["external_id"],
    session_name: str = COLLECT["session_name"],
    no_aws: bool = COLLECT["no_aws"],
    kubeconfig: str | None = COLLECT["kubeconfig"],
    context: list[str] | None = COLLECT["context"],
    in_cluster: bool = COLLECT["in_cluster"],
    manifests: list[Path] | None = COLLECT["manifests"],
    cluster_name: str | None = COLLECT["cluster_name"],
    progress: bool = COLLECT["progress"],
    plan: Path | None = typer.Option(
        None,
        "--plan",
        metavar="FILE",
        help="Collect the accounts of this plan (written by `efs-audit plan`) instead of --role-arn.",
    ),
    shard: str | None = typer.Option(
        None,
        "--shard",
        metavar="I/N",
        help="With --plan: only shard I of N (0-based; whole accounts, every N-th of the sorted plan).",
    ),
    workers: int | None = typer.Option(
        None, "--workers", metavar="K", help="With --plan: K local shard processes, merged against the plan."
    ),
) -> None:
    """Collect AWS and Kubernetes state into a snapshot (read-only calls only)."""
    from auditor.model import snapshot as snap

    if plan is not None:
        if role_arn or region or no_aws or kubeconfig or context or in_cluster or manifests:
            raise InputError(
                "collect --plan: the plan names the accounts and regions; collect clusters separately"
            )
        show = progress_printer(progress, None)
        try:
            collected = org_cmds.collect_planned(plan, shard, workers, profile, show)
        finally:
            _done_progress(show)
    elif shard or workers:
        raise InputError("collect: --shard and --workers go with --plan")
    else:
        collected = _collect(
            collect_settings(
                profile,
                region,
                role_arn,
                external_id,
                session_name,
                no_aws,
                kubeconfig,
                context,
                in_cluster,
                manifests,
                cluster_name,
            ),
            progress,
        )
    snap.save(collected, out)
    typer.echo(
        f"snapshot written to {out}: {len(collected.units)} collection units, "
        f"{len(collected.issues)} collection issues",
        err=True,
    )
    raise typer.Exit(
        3 if collected.issues or not collected.units or not all(u.complete for u in collected.units) else 0
    )


@app.command()
def scan(
    profile: str | None = COLLECT["profile"],
    region: list[str] | None = COLLECT["region"],
    role_arn: list[str] | None = COLLECT["role_arn"],
    external_id: str | None = COLLECT["external_id"],
    session_name: str = COLLECT["session_name"],
    no_aws: bool = COLLECT["no_aws"],
    kubeconfig: str | None = COLLECT["kubeconfig"],
    context: list[str] | None = COLLECT["context"],
    in_cluster: bool = COLLECT["in_cluster"],
    manifests: list[Path] | None = COLLECT["manifests"],
    cluster_name: str | None = COLLECT["cluster_name"],
    progress: bool = COLLECT["progress"],
    fmt: str = OPTS["fmt"],
    out: Path | None = OPTS["out"],
    fail_on: FailOn = OPTS["fail_on"],
    allow_partial: bool = OPTS["allow_partial"],
    waivers: Path | None = OPTS["waivers"],
    baseline: Path | None = OPTS["baseline"],
    framework: str | None = OPTS["framework"],
    app_label: list[str] | None = OPTS["app_label"],
    trusted_account: list[str] | None = OPTS["trusted_account"],
    sign: str | None = OPTS["sign"],
    checks: str | None = CONTROL["checks"],
    skip_checks: str | None = CONTROL["skip_checks"],
    severity: str | None = CONTROL["severity"],
    status: str | None = CONTROL["status"],
    config: Path | None = CONTROL["config"],
    param: list[str] | None = CONTROL["param"],
    wide: bool = CONTROL["wide"],
    sarif_all: bool = OPTS["sarif_all"],
) -> None:
    """Collect, check and report in one go (same output options and exit codes as check)."""
    from auditor.pipeline import evaluate, serialised

    display = {**controls.display(severity, status, wide), "all_results": sarif_all}
    params, skip = (
        params_from(app_label, trusted_account, config, param),
        selection(config, checks, skip_checks),
    )
    collected = _collect(
        collect_settings(
            profile,
            region,
            role_arn,
            external_id,
            session_name,
            no_aws,
            kubeconfig,
            context,
            in_cluster,
            manifests,
            cluster_name,
        ),
        progress,
    )
    text, digest = serialised(collected, keep=out is not None or "html" in fmt)
    run = evaluate(collected, params, skip=skip, snapshot_digest=digest)
    report(run, text, fmt, out, waivers, baseline, framework, sign, display)
    raise typer.Exit(exit_code(run, fail_on.value, allow_partial, waivers))


@app.command()
def demo(
    estate: str = typer.Option(
        "production", "--estate", help="Bundled estate: production, wellconfigured or hostile."
    ),
    fmt: str = OPTS["fmt"],
    out: Path | None = OPTS["out"],
    framework: str | None = OPTS["framework"],
) -> None:
    """Seed a bundled estate into a local AWS emulator, collect it with the real collectors, and print
    the evidence tables. No credentials, no network. Always exits 0 when the demo itself ran."""
    from importlib.util import find_spec

    from auditor.pipeline import evaluate, serialised

    if find_spec("moto") is None or find_spec("flask") is None:
        raise InputError(
            "demo: the local AWS emulator is not installed: pip install 'efs-identity-auditor[demo]'"
        )
    from auditor.demo import seeded_snapshot

    samples = _samples()
    directory = samples / estate
    if not (directory / "aws.yaml").exists():
        raise InputError(f"--estate: no bundled estate {estate!r} under {samples}")
    collected, notes = seeded_snapshot(directory)
    for note in notes if not controls.STATE.quiet else ():
        typer.echo(f"demo: {note}", err=True)
    text, digest = serialised(collected, keep=True)
    report(evaluate(collected, snapshot_digest=digest), text, fmt, out, None, None, framework)


def _collect(settings, progress: bool):
    """Collect with progress shown (and closed whatever happens); credentials that read nothing are refused."""
    from auditor.pipeline import collect as run_collect

    show = progress_printer(progress, settings)
    try:
        collected = run_collect(settings, show)
    finally:
        _done_progress(show)
    _refuse_unusable(settings, collected)
    return collected


def _refuse_unusable(settings, collected) -> None:
    """Credentials, profile, endpoint or region that read nothing: one line and exit 2 (not exit 3)."""
    if settings.aws is not None:
        from auditor.collectors.aws.credentials import refuse_unusable

        refuse_unusable(collected, settings.aws.regions)


def _done_progress(show) -> None:
    if show is not None:
        show.close()


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # snapshot.load names the problem


controls.install(app)
report_cmds.register(app)
review_cmd.register(app)
org_cmds.register(app)
graph_cmds.register(app)
history_cmd.register(app)
controls.plain_placeholders(app)


def main(argv: list[str] | None = None) -> None:
    """Run the app on ``argv`` (default: the process's own arguments; a given argv runs under the name
    efs-audit, as the console script does); bad input is one line on stderr and exit 2, never a traceback."""
    try:
        code = app(args=argv, prog_name=None if argv is None else "efs-audit", standalone_mode=False)
    except InputError as exc:
        from auditor.inputs import one_line

        typer.echo(f"efs-audit: {one_line(str(exc))}", err=True)
        sys.exit(2)
    except typer.Abort:
        typer.echo("efs-audit: aborted", err=True)
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: unknown command, bad option value
        typer.echo(f"efs-audit: {_one_line(exc)}", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


def _one_line(exc: Exception) -> str:
    text = getattr(exc, "format_message", lambda: str(exc))()
    return " ".join(str(text).split())


if __name__ == "__main__":  # pragma: no cover
    main()
