"""The controls every command shares: --version, logging (--verbose, --quiet, --log-level), the
`checks` listing, check selection (--checks, --skip-checks), display filters (--severity, --status)
and the audit parameters from a config file (efs-audit.yaml, --config) and --param NAME=VALUE.

Precedence for a parameter: --app-label / --trusted-account, then --param, then the config file,
then the default in auditor/params.py. Every value used is recorded in the run's parameters.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import typer

from auditor.inputs import InputError
from auditor.model.status import SEVERITY_ORDER as SEVERITIES

CONFIG_NAME = "efs-audit.yaml"
CONFIG_KEYS = ("params", "checks", "skip_checks")
STATUSES = ("FAIL", "NOT_ASSESSED", "WAIVED", "PASS")
LEVELS = ("debug", "info", "warning", "error")


@dataclass
class State:
    quiet: bool = False
    verbose: bool = False


STATE = State()

OPTS = {
    "checks": typer.Option(
        None,
        "--checks",
        metavar="IDS",
        help="Run only these checks (comma separated ids; `efs-audit checks` lists them).",
    ),
    "skip_checks": typer.Option(
        None,
        "--skip-checks",
        metavar="IDS",
        help="Do not run these checks (comma separated). The run records them as skipped.",
    ),
    "severity": typer.Option(
        None,
        "--severity",
        metavar="LEVELS",
        help="Show only these severities in the table (comma separated: critical, high, "
        "medium, low, info). Display only: evaluation, exit code and bundle are unchanged.",
    ),
    "status": typer.Option(
        None,
        "--status",
        metavar="STATUSES",
        help="Show only these statuses in the table (comma separated: FAIL, NOT_ASSESSED, "
        "WAIVED, PASS). Display only.",
    ),
    "config": typer.Option(
        None,
        "--config",
        metavar="FILE",
        help=f"Config file (YAML: params, checks, skip_checks). Default: ./{CONFIG_NAME} if present.",
    ),
    "param": typer.Option(
        None,
        "--param",
        metavar="NAME=VALUE",
        help="Set an audit parameter (repeatable), e.g. gid0_is_root=false, squash_uid=65534. "
        "`efs-audit checks --params` lists them.",
    ),
    "wide": typer.Option(False, "--wide", help="Table: no width limit (for wide terminals or files)."),
}


# --- version and logging ------------------------------------------------------------------


def install(app: typer.Typer) -> None:
    """The root callback (--version and logging) and the `checks` command."""

    @app.callback(invoke_without_command=True)
    def root(
        ctx: typer.Context,
        version: bool = typer.Option(False, "--version", is_eager=True, help="Print the version and exit."),
        verbose: bool = typer.Option(
            False, "--verbose", "-v", help="Log what is collected and evaluated (info)."
        ),
        quiet: bool = typer.Option(
            False, "--quiet", "-q", help="Only the report and errors: no progress, notes or log lines."
        ),
        log_level: str = typer.Option(
            None,
            "--log-level",
            metavar="LEVEL",
            help="Log level on stderr: debug, info, warning (default) or error.",
        ),
    ) -> None:
        if version:
            from auditor import __version__

            typer.echo(f"efs-audit {__version__}")
            raise typer.Exit(0)
        if ctx.invoked_subcommand is None:
            typer.echo(ctx.get_help())
            raise typer.Exit(0)
        configure_logging(verbose, quiet, log_level)

    app.command("checks")(list_checks)


def configure_logging(verbose: bool, quiet: bool, level: str | None) -> None:
    if level is not None and level.lower() not in LEVELS:
        raise InputError(f"--log-level: expected one of {', '.join(LEVELS)}, found {level!r}")
    STATE.quiet, STATE.verbose = quiet, verbose
    name = (level or ("error" if quiet else "info" if verbose else "warning")).upper()
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, name),
        format="efs-audit: %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    # the AWS SDK's and the HTTP clients' own chatter only at debug
    for noisy in ("botocore", "boto3", "urllib3", "kubernetes", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if name == "DEBUG" else logging.WARNING)


# --- `efs-audit checks` ---------------------------------------------------------------------


def list_checks(
    fmt: str = typer.Option("table", "--format", "-f", metavar="FORMAT", help="table or json."),
    params: bool = typer.Option(False, "--params", help="List the audit parameters (for --param) instead."),
) -> None:
    """List the checks: id, severity, title and the framework controls each maps to."""
    from auditor import catalog

    if fmt not in ("table", "json"):
        raise InputError(f"--format: expected table or json, found {fmt!r}")
    if params:
        rows = parameter_rows()
        if fmt == "json":
            typer.echo(json.dumps(rows, indent=1))
            return
        from tabulate import tabulate

        typer.echo(
            tabulate(
                [[r["name"], r["type"], json.dumps(r["default"])] for r in rows],
                headers=["parameter", "type", "default"],
            )
        )
        return
    cat = catalog.load()
    rows = [
        {
            "check_id": m.check_id,
            "severity": m.severity.value,
            "title": m.title,
            "frameworks": {fw: list(ids) for fw, ids in sorted(m.frameworks.items())},
        }
        for m in sorted(cat.checks.values(), key=lambda m: (SEVERITIES.index(m.severity.value), m.check_id))
    ]
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=1))
        return
    from auditor.report.table import checks_table

    typer.echo(checks_table(rows), nl=False)


# --- check selection ---------------------------------------------------------------------------


def _ids(values: list[str] | str | None) -> list[str]:
    items = [values] if isinstance(values, str) else values or []
    return [i.strip() for v in items for i in str(v).split(",") if i.strip()]


def skipped(
    checks: list[str] | str | None, skip_checks: list[str] | str | None, config: dict | None = None
) -> frozenset[str]:
    """The check ids not to run. Unknown ids are bad usage (InputError, exit 2)."""
    from auditor.checks import CHECK_IDS

    config = config or {}
    only = _ids(checks) or _ids(config.get("checks"))
    skip = _ids(skip_checks) or _ids(config.get("skip_checks"))
    for flag, ids in (("--checks", only), ("--skip-checks", skip)):
        unknown = [i for i in ids if i not in CHECK_IDS]
        if unknown:
            raise InputError(f"{flag}: unknown check {unknown[0]!r} (`efs-audit checks` lists them)")
    out = set(skip)
    if only:
        out |= set(CHECK_IDS) - set(only)
    if out >= set(CHECK_IDS):
        raise InputError("--checks/--skip-checks: no check left to run")
    return frozenset(out)


# --- display filters ---------------------------------------------------------------------------


def display(severity: str | None, status: str | None, wide: bool = False) -> dict:
    """ReportOptions fields for the terminal table."""
    sev = [s.lower() for s in _ids(severity)]
    sta = [s.upper() for s in _ids(status)]
    for flag, values, known in (("--severity", sev, SEVERITIES), ("--status", sta, STATUSES)):
        bad = [v for v in values if v not in known]
        if bad:
            raise InputError(f"{flag}: unknown value {bad[0]!r} (use {', '.join(known)})")
    return {"show_severities": frozenset(sev) or None, "show_statuses": frozenset(sta) or None, "wide": wide}


# --- parameters: config file and --param ---------------------------------------------------------


def load_config(path: Path | None) -> tuple[dict, Path | None]:
    """The config file's mapping ({} when there is none)."""
    if path is None:
        path = Path.cwd() / CONFIG_NAME
        if not path.is_file():
            return {}, None
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"{path}: not valid YAML" + (f" at line {mark.line + 1}" if mark else "")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise InputError(f"{path}: (top level): expected a mapping with {', '.join(CONFIG_KEYS)}")
    extra = sorted(str(k) for k in data if k not in CONFIG_KEYS)
    if extra:
        raise InputError(f"{path}: {extra[0]}: unknown field (known: {', '.join(CONFIG_KEYS)})")
    if not isinstance(data.get("params") or {}, dict):
        raise InputError(f"{path}: params: expected a mapping of parameter name to value")
    return data, Path(path)


def parameter_rows() -> list[dict]:
    from auditor.params import Params

    defaults = Params().model_dump()
    return [
        {"name": name, "type": _type_name(field.annotation), "default": defaults[name]}
        for name, field in Params.model_fields.items()
    ]


def _type_name(annotation) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def build_params(config: dict, config_path: Path | None, pairs: list[str] | None, app_label, trusted_account):
    import yaml
    from pydantic import ValidationError

    from auditor.params import Params

    known = set(Params.model_fields)
    values: dict = {}
    for name, value in (config.get("params") or {}).items():
        if name not in known:
            raise InputError(
                f"{config_path}: params.{name}: unknown parameter (known: {', '.join(sorted(known))})"
            )
        values[name] = value
    for pair in pairs or []:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(f"--param: expected NAME=VALUE, found {pair!r}")
        if name not in known:
            raise InputError(f"--param: unknown parameter {name!r} (known: {', '.join(sorted(known))})")
        try:
            values[name] = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            raise InputError(f"--param {name}: value {raw!r} is not a valid value") from None
    if app_label:
        values["app_label_keys"] = app_label
    if trusted_account:
        values["trusted_accounts"] = trusted_account
    try:
        return Params(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        source = (
            "--param"
            if any(p.startswith(f"{where}=") for p in pairs or [])
            else str(config_path or "--param")
        )
        raise InputError(f"{source} {where}: {err['msg']}") from None


# --- help placeholders ---------------------------------------------------------------------------

METAVARS = {
    "out": "DIR",
    "waivers": "FILE",
    "baseline": "RUN_JSON",
    "kubeconfig": "FILE",
    "manifests": "PATH",
    "role-arn": "ARN[,EXTERNAL_ID[,SESSION_NAME]]",
    "app-label": "KEY",
    "trusted-account": "ACCOUNT_ID",
    "external-id": "ID",
    "session-name": "NAME",
    "cluster-name": "NAME",
    "against": "SNAPSHOT",
}


def plain_placeholders(app: typer.Typer) -> None:
    """Plain placeholders in --help (FILE, DIR, NAME; choices as a|b) instead of Typer's <path>,
    <str> and <list[str]>: set on every option that has none, once every command is registered."""
    import enum
    import inspect

    for command in app.registered_commands:
        for param in inspect.signature(command.callback).parameters.values():
            info = param.default
            if (
                not isinstance(info, typer.models.OptionInfo)
                or info.metavar
                or param.annotation in (bool, "bool")
            ):
                continue
            names = [n for n in (info.param_decls or ()) if n.startswith("--")]
            name = (
                (names[0] if names else "--" + param.name.replace("_", "-")).removeprefix("--").split("/")[0]
            )
            choices = info.default.__class__ if isinstance(info.default, enum.Enum) else None
            info.metavar = (
                "|".join(c.value for c in choices)
                if choices
                else METAVARS.get(name, name.upper().replace("-", "_"))
            )
