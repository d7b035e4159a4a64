"""The controls users reach for: --version, completion, `checks`, --checks/--skip-checks, display
filters that never change the evaluation or the bundle, the config file and --param (recorded in
the run's parameters), logging levels, plain help placeholders, progress lines in logs."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.clirun import COLUMNS, efs_audit

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = str(ROOT / "samples" / "estates" / "production" / "snapshot.json")
EFS_AUDIT = str(Path(sys.executable).parent / "efs-audit")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


def cli(*args: str, cwd: Path | None = None, columns: int = COLUMNS) -> subprocess.CompletedProcess:
    """In process (tests/clirun.py), what the installed command would print and exit with."""
    return efs_audit(*args, cwd=cwd or ROOT, env=_env(), columns=columns)


def process(*args: str) -> subprocess.CompletedProcess:
    """The installed console script in its own interpreter."""
    return subprocess.run(
        [EFS_AUDIT, *args], capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=300
    )


def test_version_and_completion():
    from auditor import __version__

    out = process("--version")  # the real console script: version and completion are about the process
    assert (out.returncode, out.stdout) == (0, f"efs-audit {__version__}\n")
    comp = process("--show-completion", "bash")  # named: the shell is not guessed from the process tree
    assert comp.returncode == 0 and "_EFS_AUDIT_COMPLETE" in comp.stdout


def test_checks_lists_id_severity_title_frameworks():
    from auditor.checks import CHECK_IDS

    rows = json.loads(cli("checks", "--format", "json").stdout)
    assert sorted(r["check_id"] for r in rows) == sorted(CHECK_IDS)
    first = rows[0]
    assert set(first) == {"check_id", "severity", "title", "frameworks"} and first["severity"] == "critical"
    table = cli("checks", columns=120).stdout
    assert "efs_root_squash_gap" in table and "critical" in table
    params = json.loads(cli("checks", "--params", "--format", "json").stdout)
    assert {p["name"] for p in params} >= {"gid0_is_root", "squash_uid"}


def test_unknown_check_id_is_one_line_and_exit_2():
    for flag in ("--checks", "--skip-checks"):
        out = cli("check", PRODUCTION, flag, "efs_nope")
        assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
        assert f"{flag}: unknown check 'efs_nope'" in out.stderr


def test_skipped_checks_are_recorded_not_passed():
    out = cli(
        "check", PRODUCTION, "--skip-checks", "efs_backup_enabled,efs_encrypted_at_rest", "--format", "json"
    )
    run = json.loads(out.stdout)
    assert run["parameters"]["checks_skipped"] == ["efs_backup_enabled", "efs_encrypted_at_rest"]
    assert not [r for r in run["results"] if r["check_id"] in ("efs_backup_enabled", "efs_encrypted_at_rest")]
    only = json.loads(cli("check", PRODUCTION, "--checks", "efs_backup_enabled", "--format", "json").stdout)
    assert {r["check_id"] for r in only["results"]} == {"efs_backup_enabled"}
    assert "efs_backup_enabled" not in only["parameters"]["checks_skipped"]
    table = cli("check", PRODUCTION, "--skip-checks", "efs_backup_enabled", columns=120).stdout
    assert "Skipped checks (not evaluated, --skip-checks/--checks): efs_backup_enabled" in table


def test_display_filters_leave_the_exit_code_and_the_bundle_alone(tmp_path):
    full = cli("check", PRODUCTION, "--out", str(tmp_path / "a"))
    filtered = cli("check", PRODUCTION, "--out", str(tmp_path / "b"), "--severity", "low", "--status", "PASS")
    assert full.returncode == filtered.returncode == 1
    for name in ("run.json", "report.txt"):
        a = (
            json.loads((tmp_path / "a" / name).read_text())
            if name.endswith("json")
            else (tmp_path / "a" / name).read_text()
        )
        b = (
            json.loads((tmp_path / "b" / name).read_text())
            if name.endswith("json")
            else (tmp_path / "b" / name).read_text()
        )
        if isinstance(a, dict):
            a.pop("generated_at"), b.pop("generated_at")
            assert a == b
        else:
            assert a.splitlines()[4:] == b.splitlines()[4:]
    assert "Display filtered" in filtered.stdout and "efs_root_squash_gap [" not in filtered.stdout
    bad = cli("check", PRODUCTION, "--status", "BROKEN")
    assert bad.returncode == 2 and "--status: unknown value 'BROKEN'" in bad.stderr


def test_config_file_and_param_set_named_assumptions(tmp_path):
    (tmp_path / "efs-audit.yaml").write_text("params:\n  squash_uid: 4242\n  gid0_is_root: false\n")
    run = json.loads(cli("check", PRODUCTION, "--format", "json", cwd=tmp_path).stdout)
    assert (run["parameters"]["squash_uid"], run["parameters"]["gid0_is_root"]) == (4242, False)
    run = json.loads(
        cli("check", PRODUCTION, "--format", "json", "--param", "squash_uid=7", cwd=tmp_path).stdout
    )
    assert (run["parameters"]["squash_uid"], run["parameters"]["gid0_is_root"]) == (7, False)  # flag wins
    other = tmp_path / "other.yaml"
    other.write_text("skip_checks: [efs_backup_enabled]\nparams: {lambda_sandbox_uid: 993}\n")
    run = json.loads(cli("check", PRODUCTION, "--format", "json", "--config", str(other)).stdout)
    assert run["parameters"]["lambda_sandbox_uid"] == 993
    assert run["parameters"]["checks_skipped"] == ["efs_backup_enabled"]


def test_bad_config_and_param_are_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    for text, message in (
        ("params:\n  nope: 1\n", "params.nope: unknown parameter"),
        ("colour: red\n", "colour: unknown field"),
        ("params: [1\n", "not valid YAML"),
    ):
        bad.write_text(text)
        out = cli("check", PRODUCTION, "--config", str(bad))
        assert out.returncode == 2 and out.stderr.count("\n") == 1 and message in out.stderr, out.stderr
    out = cli("check", PRODUCTION, "--param", "squash_uid=many")
    assert out.returncode == 2 and out.stderr.startswith("efs-audit: --param squash_uid:")
    out = cli("check", PRODUCTION, "--param", "squash_uid")
    assert out.returncode == 2 and "expected NAME=VALUE" in out.stderr


def test_gid0_assumption_changes_verdicts_through_param():
    """§1.3 UNVERIFIED gid 0: the named assumption reaches the checks when set from the command line."""
    strict = json.loads(
        cli(
            "check", str(ROOT / "samples" / "estates" / "hostile" / "snapshot.json"), "--format", "json"
        ).stdout
    )
    lax = json.loads(
        cli(
            "check",
            str(ROOT / "samples" / "estates" / "hostile" / "snapshot.json"),
            "--format",
            "json",
            "--param",
            "gid0_is_root=false",
        ).stdout
    )
    fails = lambda run: {(r["check_id"], r["resource_id"]) for r in run["results"] if r["status"] == "FAIL"}  # noqa: E731
    assert fails(lax) < fails(strict)


def test_log_levels_and_quiet():
    out = cli("--log-level", "loud", "checks")
    assert out.returncode == 2 and "--log-level: expected one of debug, info, warning, error" in out.stderr
    quiet = cli("-q", "check", PRODUCTION)
    assert quiet.stderr == "" and quiet.returncode == 1


def test_help_has_plain_placeholders():
    """In process (typer's runner): the help text is what the command prints, without a process each."""
    from typer.testing import CliRunner

    from auditor.entrypoints.cli import app

    runner = CliRunner()
    for command in ("check", "scan", "collect", "report", "review", "access", "demo", "checks", "verify"):
        out = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"}, prog_name="efs-audit")
        assert out.exit_code == 0 and "Usage: efs-audit" in out.stdout, (command, out.stdout)
        assert "<" not in out.stdout and "list[str]" not in out.stdout, (command, out.stdout)


def test_plain_progress_lines_are_periodic():
    from auditor.entrypoints.progress import Plain

    now = [0.0]
    out = io.StringIO()
    show = Plain(out, interval=5, clock=lambda: now[0])
    show("reading account 1 as arn:aws:iam::1:user/x: eu-west-1")
    for i in range(1, 11):
        now[0] = i
        show(f"[{i}/10] aws:1:eu-west-1: svc{i} done")
    lines = out.getvalue().splitlines()
    assert lines[0] == "efs-audit: reading account 1 as arn:aws:iam::1:user/x: eu-west-1"
    assert [line.split()[1] for line in lines[1:]] == ["[5/10]", "[10/10]"]


def test_demo_without_the_emulator_says_how_to_install_it(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "moto" else real(name, *a)
    )
    out = cli("demo")
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "pip install 'efs-identity-auditor[demo]'" in out.stderr
