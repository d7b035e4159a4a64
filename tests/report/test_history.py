"""Evidence over time: a folder (and an S3 prefix under moto) of signed bundles written by the real
pipeline on the sample estates, one per day, with an index entry each; one bundle tampered with, one
deleted (its index entry kept), one day with no run at all. `history` counts per check only the runs
that verify, lists the failing ones and the missing day."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest

from auditor.report import bundle as bundle_mod
from auditor.report import history as hist
from auditor.report.view import ReportOptions
from tests.report.evidence_support import ESTATES, aws, client, efs_audit, write_keys  # noqa: F401

DAY1 = datetime(2026, 11, 1, 3, 17, tzinfo=UTC)
PLAN = ["production", "wellconfigured", "hostile", "production", "production", "wellconfigured", "production"]
TAMPERED, DELETED, NEVER_RAN = 2, 4, 5  # day indexes


@pytest.fixture(scope="module")
def runs():
    from auditor import catalog
    from auditor.model import snapshot as snap
    from auditor.pipeline import evaluate

    cat = catalog.load()
    evaluated = {}
    for estate in set(PLAN):
        loaded = snap.load(ESTATES / estate / "snapshot.json")
        evaluated[estate] = (evaluate(loaded), snap.dumps(loaded))
    return cat, [(DAY1 + timedelta(days=i), *evaluated[e]) for i, e in enumerate(PLAN)]


def expected_status(run, check_id):
    statuses = {r.status.value for r in run.results if r.check_id == check_id}
    return (
        "FAIL"
        if "FAIL" in statuses
        else "NOT_ASSESSED"
        if "NOT_ASSESSED" in statuses
        else "PASS"
        if statuses
        else "NO_RESULT"
    )


def build_folder(root, runs, private_key):
    """What the CronJob leaves in EFS_AUDIT_OUTPUT_DIR: <stamp>/ bundles and index/<run-id>.json."""
    from auditor.report.signing import FileSigner

    cat, series = runs
    root.mkdir()
    stamps = []
    for when, run, snapshot_json in series:
        stamp = when.strftime("%Y%m%dT%H%M%SZ")
        out = bundle_mod.write_bundle(
            root / stamp,
            run.model_copy(update={"generated_at": when}),
            snapshot_json,
            ["json", "csv"],
            cat,
            ReportOptions(),
            FileSigner(private_key),
        )
        hist.write_index_local(root, out)
        stamps.append(stamp)
    csv = root / stamps[TAMPERED] / "results.csv"
    csv.write_text(csv.read_text().replace("FAIL", "PASS"))
    shutil.rmtree(root / stamps[DELETED])
    shutil.rmtree(root / stamps[NEVER_RAN])
    (index,) = [p for p in (root / "index").iterdir() if p.name.startswith(stamps[NEVER_RAN])]
    index.unlink()
    return stamps


@pytest.fixture
def folder(tmp_path, runs):
    private, public = write_keys(tmp_path, "ed25519")
    stamps = build_folder(tmp_path / "evidence", runs, private)
    return tmp_path / "evidence", public, stamps


def test_history_counts_per_check_over_the_verified_runs_only(folder, runs):
    root, public, stamps = folder
    data = hist.history(
        str(root),
        since=DAY1.replace(hour=0, minute=0),
        until=DAY1 + timedelta(days=7),
        schedule="daily",
        key=str(public),
    )
    assert data["totals"] == {
        "runs": 6,
        "verified": 4,
        "failing_verification": 2,
        "complete": sum(1 for i in (0, 1, 3, 6) if runs[1][i][1].complete),
    }
    by_bundle = {r["bundle"]: r for r in data["runs"]}
    assert by_bundle[stamps[TAMPERED]]["problems"][0].startswith("results.csv: changed")
    assert by_bundle[stamps[DELETED]]["problems"] == [
        f"bundle missing: the index names {stamps[DELETED]}/, which holds no manifest.json"
    ]
    assert all(r["signed_by"].startswith("sha256:") for r in data["runs"] if r["verified"])
    assert data["missing"] == [
        {
            "from": "2026-11-06T00:00:00+00:00",
            "until": "2026-11-07T00:00:00+00:00",
            "reason": "no run in this daily slot",
        }
    ]
    verified = [runs[1][i][1] for i in (0, 1, 3, 6)]
    cat = runs[0]
    assert set(data["checks"]) == set(cat.checks)
    for check_id, counts in data["checks"].items():
        expected = dict.fromkeys(("PASS", "FAIL", "NOT_ASSESSED", "NO_RESULT"), 0)
        for run in verified:
            expected[expected_status(run, check_id)] += 1
        assert {k: counts[k] for k in expected} == expected, check_id
        assert counts["controls"] == sorted(
            f"{fw} {c}" for fw, cs in cat.checks[check_id].frameworks.items() for c in cs
        )
    assert any(c["FAIL"] for c in data["checks"].values()) and any(c["PASS"] for c in data["checks"].values())


def test_the_period_limits_the_runs(folder):
    root, _public, stamps = folder
    data = hist.history(str(root), since=DAY1 + timedelta(days=1), until=DAY1 + timedelta(days=2))
    assert [r["bundle"] for r in data["runs"]] == [stamps[1]] and data["totals"]["verified"] == 1


def test_without_a_schedule_a_long_gap_is_reported(folder):
    root, _, _ = folder
    data = hist.history(str(root))
    assert [m["reason"] for m in data["missing"]] == ["gap of 2d between runs (usual interval 24h)"]


def test_an_index_entry_that_disagrees_with_its_bundle_fails(folder):
    root, public, stamps = folder
    (entry,) = [p for p in (root / "index").iterdir() if p.name.startswith(stamps[0])]
    doc = json.loads(entry.read_text())
    check_id = next(iter(doc["checks"]))
    doc["checks"][check_id]["FAIL"] += 1
    entry.write_text(json.dumps(doc))
    data = hist.history(str(root), key=str(public))
    (first,) = [r for r in data["runs"] if r["bundle"] == stamps[0]]
    assert first["problems"] == [f"index/{entry.name}: its counts differ from the bundle's run.json"]
    entry.unlink()  # a bundle without an index entry is still found, verified and counted
    data = hist.history(str(root), key=str(public))
    (first,) = [r for r in data["runs"] if r["bundle"] == stamps[0]]
    assert first["verified"] and not first["indexed"]


def test_history_command_table_and_json(folder, capsys, monkeypatch):
    root, public, stamps = folder
    code, out, err = efs_audit(
        capsys,
        monkeypatch,
        "history",
        root,
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-07",
        "--schedule",
        "daily",
        "--key",
        public,
        "--framework",
        "soc2",
    )
    assert code == 1, err
    lines = out.splitlines()
    assert lines[0] == (
        "Runs 2026-11-01T00:00:00+00:00 .. 2026-11-08T00:00:00+00:00: 6 found, 4 verified "
        f"({lines[0].split('(')[1].split(' ')[0]} with complete collection), 2 failing verification, "
        "1 missing (schedule daily)"
    )
    assert lines[2].split() == [
        "check",
        "soc2",
        "controls",
        "PASS",
        "runs",
        "FAIL",
        "runs",
        "NOT_ASSESSED",
        "runs",
        "no",
        "result",
    ]
    assert (
        "Missing runs:" in lines
        and "  2026-11-06T00:00:00+00:00 .. 2026-11-07T00:00:00+00:00: no run in this daily slot" in lines
    )
    assert any(
        line.startswith("  ") and stamps[TAMPERED] in line and "results.csv: changed" in line
        for line in lines
    )
    code, out, _ = efs_audit(
        capsys, monkeypatch, "history", root, "--format", "json", "--until", "2026-11-02"
    )
    data = json.loads(out)
    assert code == 0 and data["totals"]["runs"] == 2 and data["missing"] == []  # --until DAY includes DAY


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "yesterday"], "efs-audit: --since: 'yesterday' is not a date"),
        (["--schedule", "fortnightly"], "efs-audit: --schedule: 'fortnightly': expected hourly, daily"),
        (["--format", "csv"], "efs-audit: --format: expected table or json, found 'csv'"),
        (["--framework", "nope"], "efs-audit: --framework: unknown framework 'nope'"),
    ],
)
def test_history_bad_input_is_one_line(tmp_path, capsys, monkeypatch, args, message):
    code, _, err = efs_audit(capsys, monkeypatch, "history", tmp_path, *args)
    assert code == 2 and err.startswith(message) and len(err.splitlines()) == 1
    code, _, err = efs_audit(capsys, monkeypatch, "history", tmp_path / "nowhere")
    assert code == 2 and err == f"efs-audit: {tmp_path / 'nowhere'}: not a directory\n"


def test_history_reads_an_s3_prefix(aws, tmp_path, runs, capsys, monkeypatch):
    """The same series uploaded as the Lambda does (bundle under <prefix>/YYYY/MM/DD/<run id>/, index under
    <prefix>/index/), read back over HTTP from moto's S3."""
    from auditor.scheduled.sinks import run_key_prefix, upload_bundle

    private, public = write_keys(tmp_path, "p256")
    stamps = build_folder(tmp_path / "evidence", runs, private)
    s3 = client("s3")
    s3.create_bucket(Bucket="evidence", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for i, stamp in enumerate(stamps):
        directory = tmp_path / "evidence" / stamp
        if directory.is_dir():
            key_prefix = run_key_prefix("audits/prod", DAY1 + timedelta(days=i), stamp)
            upload_bundle(s3, directory, "evidence", key_prefix)
            hist.put_index_s3(s3, "evidence", "audits/prod", directory, key_prefix)
    # the deleted bundle's index entry, as the folder keeps it
    (deleted,) = [
        p for p in (tmp_path / "evidence" / "index").iterdir() if p.name.startswith(stamps[DELETED])
    ]
    doc = json.loads(deleted.read_text())
    doc["bundle"] = run_key_prefix("", DAY1 + timedelta(days=DELETED), stamps[DELETED])
    s3.put_object(Bucket="evidence", Key=f"audits/prod/index/{deleted.name}", Body=json.dumps(doc).encode())
    code, out, err = efs_audit(
        capsys,
        monkeypatch,
        "history",
        "s3://evidence/audits/prod",
        "--format",
        "json",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-07",
        "--schedule",
        "daily",
        "--key",
        public,
    )
    data = json.loads(out)
    assert code == 1, err
    assert data["totals"] == {
        "runs": 6,
        "verified": 4,
        "failing_verification": 2,
        "complete": sum(1 for i in (0, 1, 3, 6) if runs[1][i][1].complete),
    }
    assert {r["bundle"] for r in data["runs"] if not r["verified"]} == {
        "2026/11/03/20261103T031700Z",
        "2026/11/05/20261105T031700Z",
    }
    assert [m["from"] for m in data["missing"]] == ["2026-11-06T00:00:00+00:00"]
    local = hist.history(
        str(tmp_path / "evidence"),
        since=DAY1.replace(hour=0, minute=0),
        until=DAY1 + timedelta(days=7),
        schedule="daily",
        key=str(public),
    )
    assert data["checks"] == local["checks"]
