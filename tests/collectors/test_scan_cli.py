"""`efs-audit scan` end to end against a seeded moto server: the installed console script, boto3 over
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

from auditor.demo import load_sample
from auditor.demo.seed import seed
from tests.collectors.conftest import reset

PRODUCTION = Path(__file__).resolve().parents[2] / "samples" / "estates" / "production"
EFS_AUDIT = str(Path(sys.executable).parent / "efs-audit")


def _scan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([EFS_AUDIT, "scan", "--region", "eu-west-1", "--no-progress", *args],
                          capture_output=True, text=True, env=dict(os.environ), timeout=600)


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
    for planted in [("efs_policy_missing", "AwsEfsFileSystem"), ("efs_encrypted_at_rest", "AwsEfsFileSystem"),
                    ("efs_mount_target_nfs_open", "AwsEfsMountTarget"), ("efs_unencrypted_mount", "AwsEcsTaskDefinition"),
                    ("efs_workload_runs_as_root", "AwsEcsTaskDefinition"), ("efs_root_squash_gap", "AwsIamRole"),
                    ("efs_cross_app_reach", "AwsEcsTaskDefinition"), ("efs_access_point_world_writable", "AwsEfsAccessPoint")]:
        assert planted in fails, planted
    billing = [r for r in run["results"] if r["check_id"] == "efs_unencrypted_mount" and "billing-batch" in r["resource_id"]]
    assert [r["status"] for r in billing] == ["FAIL"]


def test_scan_exit_codes_for_findings_and_partial_collection(aws, monkeypatch):
    _seed(aws, monkeypatch)
    out = _scan("--format", "json")
    run = json.loads(out.stdout)
    expected = 3 if run["issues"] else 1
    assert out.returncode == expected, out.stderr[-2000:]
    assert _scan("--format", "json", "--allow-partial").returncode == 1


def test_collect_writes_a_snapshot_that_check_reads(aws, monkeypatch, tmp_path):
    _seed(aws, monkeypatch)
    out = tmp_path / "snap.json"
    done = subprocess.run([EFS_AUDIT, "collect", "--out", str(out), "--region", "eu-west-1", "--no-progress"],
                          capture_output=True, text=True, env=dict(os.environ), timeout=600)
    from auditor.model.snapshot import load

    snap = load(out)
    assert done.returncode == (3 if snap.issues else 0), done.stderr[-2000:]
    assert {u.scope for u in snap.units} == {"aws:123456789012:eu-west-1", "aws:123456789012:global"}
    assert len(snap.file_systems) == 2 and len(snap.access_points) == 6
    check = subprocess.run([EFS_AUDIT, "check", str(out), "--allow-partial", "--fail-on", "never"],
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0 and "efs_policy_missing" in check.stdout
