"""The command line as a user runs it: real files, exit codes, one-line errors. In process
(tests/clirun.py: what a spawned process would return); the installed console script itself is run
by test_missing_file_and_bad_option here and by tests/test_install.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clirun import efs_audit

ROOT = Path(__file__).resolve().parent.parent
ESTATES = ROOT / "samples" / "estates"
EFS_AUDIT = str(Path(sys.executable).parent / "efs-audit")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return efs_audit(*args, cwd=cwd or ROOT, env=_env())


def process(*args: str) -> subprocess.CompletedProcess:
    """The installed console script in its own interpreter."""
    return subprocess.run(
        [EFS_AUDIT, *args], capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=300
    )


def test_check_wellconfigured_is_clean():
    out = cli("check", str(ESTATES / "wellconfigured" / "snapshot.json"))
    assert out.returncode == 0, out.stderr
    assert "Summary" in out.stdout and "efs_root_squash_gap" in out.stdout


def test_check_production_fails_on_high_findings_and_prints_n_of_m():
    out = cli("check", str(ESTATES / "production" / "snapshot.json"))
    assert out.returncode == 1, out.stderr
    assert " of " in out.stdout and "FAIL" in out.stdout


def test_fail_on_never_and_allow_partial():
    hostile = str(ESTATES / "hostile" / "snapshot.json")
    assert cli("check", hostile).returncode == 3  # the hostile estate carries collection issues
    assert cli("check", hostile, "--allow-partial").returncode == 1
    assert cli("check", hostile, "--allow-partial", "--fail-on", "never").returncode == 0


def test_json_run_has_the_documented_fields():
    out = cli("check", str(ESTATES / "production" / "snapshot.json"), "--format", "json")
    run = json.loads(out.stdout)
    assert {"results", "issues", "units", "parameters", "schema_version", "tool_version"} <= set(run)
    first = run["results"][0]
    assert {
        "check_id",
        "status",
        "severity",
        "resource_id",
        "resource_type",
        "scope",
        "evidence",
        "path",
        "message",
        "fingerprint",
    } <= set(first)


@pytest.mark.parametrize(
    "content, expected",
    [
        ("{", "not JSON"),
        ('{"schema_version": "2"}', "schema_version: expected '1', found '2'"),
        ('{"schema_version": "1", "file_systems": [{"arn": 3}]}', "file_systems.0.arn"),
    ],
)
def test_bad_snapshot_is_one_line_exit_2_no_traceback(tmp_path, content, expected):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    out = cli("check", str(bad))
    assert out.returncode == 2
    assert expected in out.stderr and str(bad) in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_missing_file_and_bad_option():
    """The real process: its exit status and its interpreter's stderr (no traceback)."""
    out = process("check", "/nonexistent/snap.json")
    assert out.returncode == 2 and "no such file" in out.stderr and "Traceback" not in out.stderr
    out = process("check", str(ESTATES / "production" / "snapshot.json"), "--fail-on", "sometimes")
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_help_lists_the_commands():
    out = cli("--help")
    assert out.returncode == 0
    for command in ("check", "collect", "scan", "demo", "report", "verify", "review"):
        assert command in out.stdout


@pytest.mark.parametrize(
    "command, usage",
    [
        ("check", "efs-audit check [OPTIONS] SNAPSHOT"),
        ("access", "efs-audit access [OPTIONS] SNAPSHOT"),
        ("review", "efs-audit review [OPTIONS] PATH..."),
        ("report", "efs-audit report [OPTIONS] RUN_JSON"),
        ("verify", "efs-audit verify [OPTIONS] DIR"),
    ],
)
def test_usage_lines_name_their_arguments_plainly(command, usage):
    out = cli(command, "--help")
    assert out.returncode == 0 and f"Usage: {usage}" in out.stdout


def test_access_view_lists_every_configured_mount_with_possible_reach():
    out = cli("access", str(ESTATES / "production" / "snapshot.json"), "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    by_name = {r["name"]: r for r in rows}
    orders = by_name["orders:3"]
    assert (orders["transport"], orders["principal"], orders["access_point"]) == (
        "TLS",
        ["arn:aws:iam::123456789012:role/orders-task"],
        "fsap-0a11c0de0000000a1",
    )
    assert orders["kind"] == "configured" and orders["can_mount"] is True
    assert any(p["mounts"] == "any directory, no access point" for p in orders["possible_reach"])
    assert by_name["billing-batch:7"]["transport"] == "plaintext"
    table = cli("access", str(ESTATES / "production" / "snapshot.json"))
    assert table.returncode == 0 and "orders:3" in table.stdout
