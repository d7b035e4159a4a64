"""`efs-audit scan` end to end against a seeded moto server: the command (in process, tests/clirun.py;
the installed console script in its own process for the malformed --role-arn), boto3 over
HTTP to 127.0.0.1 through AWS_ENDPOINT_URL, the real collectors and checks, exit codes as `check`.

moto generates resource ids, so findings are matched by what the estate plants (resource types and
names), not by the sample's ids. What moto cannot serve (backup plans, pod identity associations)
appears as collection issues: the run is incomplete and exits 3 unless --allow-partial. moto drops
Lambda FileSystemConfigs, so the scan cannot see the Lambda mount (the demo fills that gap; scan does not).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.demo import load_sample
from auditor.demo.seed import seed
from tests.clirun import efs_audit
from tests.collectors.conftest import ACCOUNT, REGION, reset

PRODUCTION = Path(__file__).resolve().parents[2] / "samples" / "estates" / "production"
EFS_AUDIT = str(Path(sys.executable).parent / "efs-audit")
SCOPE = f"aws:{ACCOUNT}:{REGION}"


def _scan(*args: str) -> subprocess.CompletedProcess:
    return efs_audit("scan", "--region", "eu-west-1", "--no-progress", *args, env=dict(os.environ))


def _seed(endpoint: str, monkeypatch) -> None:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # the sample attaches AWS managed policies
    reset(endpoint)
    seed(load_sample(PRODUCTION), endpoint)


def test_scan_finds_what_the_seeded_estate_plants(aws, monkeypatch):
    _seed(aws, monkeypatch)
    out = _scan("--format", "json", "--allow-partial", "--fail-on", "never")
    assert out.returncode == 0, out.stderr[-2000:]
    run = json.loads(out.stdout)
    fails = {(r["check_id"], r["resource_type"]) for r in run["results"] if r["status"] == "FAIL"}
    for planted in [
        ("efs_policy_missing", "AwsEfsFileSystem"),
        ("efs_encrypted_at_rest", "AwsEfsFileSystem"),
        ("efs_mount_target_nfs_open", "AwsEfsMountTarget"),
        ("efs_unencrypted_mount", "AwsEcsTaskDefinition"),
        ("efs_workload_runs_as_root", "AwsEcsTaskDefinition"),
        ("efs_root_squash_gap", "AwsIamRole"),
        ("efs_cross_app_reach", "AwsEcsTaskDefinition"),
        ("efs_access_point_world_writable", "AwsEfsAccessPoint"),
    ]:
        assert planted in fails, planted
    billing = [
        r
        for r in run["results"]
        if r["check_id"] == "efs_unencrypted_mount" and "billing-batch" in r["resource_id"]
    ]
    assert [r["status"] for r in billing] == ["FAIL"]


def test_scan_exit_codes_for_findings_and_partial_collection(aws, monkeypatch):
    _seed(aws, monkeypatch)
    out = _scan("--format", "json")
    run = json.loads(out.stdout)
    # Exactly the calls moto 5.2.5 does not implement (HTTP 404 from its server), nothing else.
    eks = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/prod-eks"
    got = {
        (i["scope"], i["service"], i["operation"], i["resource_id"], i["error_code"]) for i in run["issues"]
    }
    assert got == {
        (SCOPE, "backup", "ListProtectedResources", None, "404"),
        (SCOPE, "eks", "ListPodIdentityAssociations", eks, "404"),
    }
    assert out.returncode == 3, out.stderr[-2000:]
    assert _scan("--format", "json", "--allow-partial").returncode == 1


def test_collect_writes_a_snapshot_that_check_reads(aws, monkeypatch, tmp_path):
    _seed(aws, monkeypatch)
    out = tmp_path / "snap.json"
    done = efs_audit(
        "collect", "--out", str(out), "--region", "eu-west-1", "--no-progress", env=dict(os.environ)
    )
    from auditor.model.snapshot import load

    snap = load(out)
    assert {(i.service, i.operation) for i in snap.issues} == {
        ("backup", "ListProtectedResources"),
        ("eks", "ListPodIdentityAssociations"),
    }
    assert done.returncode == 3, done.stderr[-2000:]
    assert {u.scope for u in snap.units} == {"aws:123456789012:eu-west-1", "aws:123456789012:global"}
    assert len(snap.file_systems) == 2 and len(snap.access_points) == 6
    check = efs_audit("check", str(out), "--allow-partial", "--fail-on", "never")
    assert check.returncode == 0 and "efs_policy_missing" in check.stdout


def _collect(*args: str, out: Path) -> subprocess.CompletedProcess:
    return efs_audit(
        "collect", "--out", str(out), "--region", REGION, "--no-progress", *args, env=dict(os.environ)
    )


def test_role_arn_carries_its_own_external_id_and_session_name(aws, tmp_path):
    from auditor.collectors.aws import RoleTarget
    from auditor.entrypoints.cli import collect_settings
    from auditor.model.snapshot import load

    a, b, c = (f"arn:aws:iam::{n * 12}:role/efs-audit" for n in "123")
    settings = collect_settings(
        None,
        [REGION],
        [f"{a},ext-a,team-a", b, f"{c},,team-c"],
        "ext-default",
        "nightly",
        False,
        None,
        None,
        False,
        None,
        None,
    )
    assert settings.aws.role_targets == (
        RoleTarget(a, "ext-a", "team-a"),
        RoleTarget(b, "ext-default", "nightly"),
        RoleTarget(c, "ext-default", "team-c"),
    )
    # End to end: moto's AssumeRole puts the session name into the caller ARN each unit records.
    out = tmp_path / "snap.json"
    done = _collect("--role-arn", f"{a},ext-a,team-a", "--role-arn", b, "--session-name", "nightly", out=out)
    assert done.returncode == 3, done.stderr[-2000:]  # moto lacks ListProtectedResources in each account
    assert {(u.scope, u.collector) for u in load(out).units} == {
        (f"aws:{n * 12}:{s}", f"arn:aws:sts::{n * 12}:assumed-role/efs-audit/{session}")
        for n, session in (("1", "team-a"), ("2", "nightly"))
        for s in (REGION, "global")
    }


@pytest.mark.parametrize(
    "value",
    [
        "not-an-arn",
        "arn:aws:iam::12345:role/x",
        f"arn:aws:iam::{ACCOUNT}:user/x",
        "arn:aws:s3:::bucket,ext",
        f"arn:aws:iam::{ACCOUNT}:role/,ext",
        f"arn:aws:iam::{ACCOUNT}:role/x,ext,session,extra",
    ],
)
def test_malformed_role_arn_is_a_one_line_error(aws, tmp_path, value):
    out = tmp_path / "snap.json"
    done = _collect("--role-arn", f"arn:aws:iam::{ACCOUNT}:role/ok,ext", "--role-arn", value, out=out)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"efs-audit: --role-arn: {value!r} is not ARN[,EXTERNAL_ID[,SESSION_NAME]] "
        "with an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)\n"
    )
    assert not out.exists()


def test_scan_rejects_a_malformed_role_arn_before_collecting(aws):
    """The installed console script in its own process: exit status 2 and one line from the real interpreter."""
    done = subprocess.run(
        [
            EFS_AUDIT,
            "scan",
            "--region",
            "eu-west-1",
            "--no-progress",
            "--role-arn",
            "arn:aws:iam::123:role/x",
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=600,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("efs-audit: --role-arn: 'arn:aws:iam::123:role/x' is not ")
    assert done.stderr.count("\n") == 1
