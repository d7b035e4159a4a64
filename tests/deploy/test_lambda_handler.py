"""The Lambda handler end to end against moto's server over HTTP: collect, evaluate, bundle to S3 (read
back and verified), Security Hub import, time-out handling and failed uploads."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from auditor.entrypoints.aws_lambda import handler
from auditor.model.result import Status
from auditor.scheduled import baseline, settings, sinks
from auditor.scheduled.settings import SettingsError, load_settings
from auditor.scheduled.sinks import DeliveryError
from tests.deploy.support import (
    BUCKET,
    ROOT,
    FakeContext,
    aws_env,
    client,
    download_prefix,
    load_build_module,
    milestones,
    seed_estate,
)

MILESTONES = ["start", "collected", "evaluated", "uploaded", "done"]


@pytest.fixture
def estate(aws, monkeypatch):
    seeded = seed_estate(aws)
    monkeypatch.setenv("EFS_AUDIT_REGIONS", "eu-west-1")
    monkeypatch.setenv("EFS_AUDIT_BUCKET", BUCKET)
    monkeypatch.setenv("EFS_AUDIT_PREFIX", "audits/prod")
    monkeypatch.setenv("EFS_AUDIT_FORMATS", "json,csv")
    monkeypatch.setenv("EFS_AUDIT_MAX_ATTEMPTS", "1")  # moto answers at once; no retry storms
    return seeded


def _bundle(endpoint, summary, tmp_path):
    from auditor.report.bundle import verify_bundle

    dest = tmp_path / "downloaded"
    keys = download_prefix(endpoint, BUCKET, summary["s3"]["prefix"], dest)
    assert len(keys) == summary["s3"]["objects"]
    assert verify_bundle(dest) == []
    return dest


def _run_results(bundle_dir) -> list[dict]:
    return json.loads((bundle_dir / "run.json").read_text())["results"]


def test_scheduled_run_writes_a_verified_bundle_to_s3(aws, estate, tmp_path, capsys):
    event = {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}
    summary = handler(event, FakeContext())
    assert re.fullmatch(r"audits/prod/\d{4}/\d{2}/\d{2}/\d{8}T\d{6}Z-[0-9a-f]{12}/", summary["s3"]["prefix"])
    assert summary["s3"]["uri"] == f"s3://{BUCKET}/{summary['s3']['prefix']}"
    bundle = _bundle(aws, summary, tmp_path)
    results = _run_results(bundle)
    assert summary["counts"] == {s.value: sum(r["status"] == s.value for r in results) for s in Status}
    fs_arn = f"arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/{estate['file_system_id']}"
    assert ("efs_encrypted_at_rest", fs_arn, "PASS") in {
        (r["check_id"], r["resource_id"], r["status"]) for r in results
    }
    expected_code = 3 if not summary["complete"] else (1 if summary["failing"] else 0)
    assert summary["exit_code"] == expected_code and summary["security_hub"] is None
    lines = milestones(capsys.readouterr().out)
    assert [m["milestone"] for m in lines] == MILESTONES
    assert lines[-1]["exit_code"] == summary["exit_code"] and lines[3]["objects"] == summary["s3"]["objects"]


def test_event_overrides_environment_and_unknown_settings_fail(estate, capsys):
    summary = handler({"efs_audit_prefix": "adhoc", "efs_audit_formats": ["json"]}, FakeContext())
    assert summary["s3"]["prefix"].startswith("adhoc/")
    with pytest.raises(SettingsError, match="efs_audit_colour"):
        handler({"efs_audit_colour": "blue"}, FakeContext())
    assert milestones(capsys.readouterr().out)[-1]["milestone"] == "failed"


def test_settings_parse_lists_booleans_and_reject_nonsense():
    job = load_settings(
        {
            "EFS_AUDIT_REGIONS": " eu-west-1, us-east-1 ,eu-west-1",
            "EFS_AUDIT_SECURITY_HUB": "yes",
            "UNRELATED": "x",
            "EFS_AUDIT_ROLE_ARNS": "arn:aws:iam::111122223333:role/audit",
        },
        {"efs_audit_fail_on": "critical", "detail-type": "Scheduled Event"},
    )
    assert job.regions == ("eu-west-1", "us-east-1") and job.security_hub is True
    assert job.fail_on == "critical"
    assert job.reserve_seconds == settings.DEFAULT_RESERVE_SECONDS
    for env in (
        {"EFS_AUDIT_FAIL_ON": "urgent"},
        {"EFS_AUDIT_SECURITY_HUB": "maybe"},
        {"EFS_AUDIT_ROLE_ARNS": "audit"},
        {"EFS_AUDIT_RESERVE_SECONDS": "-1"},
        {"EFS_AUDIT_PARAMS": '{"squash_uid": "x"}'},
    ):
        with pytest.raises(SettingsError, match=next(iter(env))):
            load_settings(env)
    with pytest.raises(SettingsError, match="EFS_AUDIT_REGIONS"):  # the event uses lower-case names
        load_settings({}, {"EFS_AUDIT_REGIONS": "x"})
    with pytest.raises(SettingsError, match="EFS_AUDIT_FORMATS"):
        load_settings({"EFS_AUDIT_FORMATS": "json,pdf"})
    with_hub = load_settings({"EFS_AUDIT_SECURITY_HUB": "1", "EFS_AUDIT_FORMATS": "csv"})
    assert with_hub.formats == ("csv", "asff")


def test_little_time_left_assesses_nothing_and_passes_nothing(aws, estate, tmp_path, capsys):
    """Less time left than the reserve: the collectors start no work, record Timeout issues, and every
    result is NOT_ASSESSED; the bundle is still written whole."""
    summary = handler({}, FakeContext(remaining_ms=5_000))
    assert summary["complete"] is False and summary["exit_code"] == 3
    assert summary["counts"]["PASS"] == 0 and summary["counts"]["FAIL"] == 0
    assert summary["counts"]["NOT_ASSESSED"] > 0
    results = _run_results(_bundle(aws, summary, tmp_path))
    assert {r["status"] for r in results} == {"NOT_ASSESSED"}
    lines = milestones(capsys.readouterr().out)
    assert lines[0]["collection_seconds"] == 0 and lines[1]["timeouts"] > 0
    assert [m["milestone"] for m in lines] == MILESTONES


class _SteppingClock:
    """Stands in for the collectors' clock: every reading is 1000 s later than the previous one, so with
    one worker the first services are collected and the deadline passes before the rest start."""

    def __init__(self):
        import time

        self.now, self.sleep = time.monotonic(), time.sleep

    def monotonic(self):
        self.now += 1000.0
        return self.now


def test_deadline_mid_collection_never_passes_what_was_skipped(aws, estate, monkeypatch, tmp_path):
    from auditor.checks import CHECKS
    from auditor.collectors.aws import unit

    monkeypatch.setattr(unit, "time", _SteppingClock())
    monkeypatch.setenv("EFS_AUDIT_MAX_WORKERS", "1")
    summary = handler({}, FakeContext(remaining_ms=(60 + 3500) * 1000))
    bundle = _bundle(aws, summary, tmp_path)
    run = json.loads((bundle / "run.json").read_text())
    skipped = {
        (i["scope"].rsplit(":", 1)[0], i["scope"].rsplit(":", 1)[1], i["service"])
        for i in run["issues"]
        if i["error_code"] == "Timeout"
    }
    assert skipped and summary["complete"] is False and summary["exit_code"] == 3
    assert summary["counts"]["PASS"] + summary["counts"]["FAIL"] > 0, "some services were collected"
    for r in run["results"]:
        account, region = r["scope"].rsplit(":", 1)
        needs = set(CHECKS[r["check_id"]].services)
        gaps = {svc for acc, reg, svc in skipped if acc == account and reg in (region, "global")} & needs
        assert not (gaps and r["status"] == "PASS"), (r["check_id"], r["resource_id"], gaps)


def test_waivers_apply_to_the_exit_code_as_in_scan(aws, estate, monkeypatch, tmp_path):
    from auditor.checks import CHECK_IDS

    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        json.dumps(
            {
                "waivers": [
                    {
                        "checks": list(CHECK_IDS),
                        "resources": ["*"],
                        "reason": "accepted for the test",
                        "owner": "storage-team@example.com",
                        "expires": "2099-12-31",
                    }
                ]
            }
        )
    )
    monkeypatch.setenv("EFS_AUDIT_WAIVERS", str(waivers))
    monkeypatch.setenv("EFS_AUDIT_ALLOW_PARTIAL", "true")
    summary = handler({}, FakeContext())
    assert summary["counts"]["FAIL"] > 0 and summary["failing"] == 0 and summary["exit_code"] == 0


def test_collection_budget_keeps_the_reserve():
    assert settings.collection_budget(None, 60) is None
    assert settings.collection_budget(FakeContext(remaining_ms=90_000), 60) == 30.0
    assert settings.collection_budget(FakeContext(remaining_ms=30_000), 60) == 0.0


def test_missing_bucket_is_a_failure_not_a_success(estate, monkeypatch, capsys):
    monkeypatch.setenv("EFS_AUDIT_BUCKET", "no-such-bucket")
    with pytest.raises(DeliveryError, match="no-such-bucket"):
        handler({}, FakeContext())
    names = [m["milestone"] for m in milestones(capsys.readouterr().out)]
    assert names[-1] == "failed" and "uploaded" not in names and "done" not in names


def test_an_object_lost_in_upload_is_detected(estate, monkeypatch, capsys):
    """PutObject answers 200 for one file but stores nothing: the listing check catches it."""
    real_session = boto3.Session

    def mark_csv(params, context, **_):
        context["lose"] = params["Key"].endswith(".csv")

    def drop_marked(context, **_):
        if context.get("lose"):
            # short-circuit: botocore takes this as the answer and never sends the request
            return AWSResponse("https://s3.invalid/", 200, {}, None), {"ETag": '"lost"'}
        return None

    class LossySession(real_session):
        def client(self, service, *args, **kwargs):
            made = super().client(service, *args, **kwargs)
            if service == "s3":
                made.meta.events.register("before-parameter-build.s3.PutObject", mark_csv)
                made.meta.events.register("before-call.s3.PutObject", drop_marked)
            return made

    monkeypatch.setattr(boto3, "Session", LossySession)
    with pytest.raises(DeliveryError, match="missing or incomplete after upload"):
        handler({}, FakeContext())
    assert milestones(capsys.readouterr().out)[-1]["milestone"] == "failed"


def test_a_bundle_is_never_uploaded_over_another(aws, tmp_path):
    s3 = client(aws, "s3")
    s3.create_bucket(Bucket="bundles", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    (tmp_path / "manifest.json").write_text("{}")
    assert sinks.upload_bundle(s3, tmp_path, "bundles", "p/1/") == ["p/1/manifest.json"]
    with pytest.raises(DeliveryError, match="never overwritten"):
        sinks.upload_bundle(s3, tmp_path, "bundles", "p/1/")


def test_two_runs_started_in_the_same_second_both_deliver(aws, estate, monkeypatch, tmp_path):
    """Bundles are never written over one another, so each run's prefix names the run itself (its run
    id: time and run.json digest), not only the second it started in: two invocations in one second
    (a retry, concurrent schedules) are two bundles, not a DeliveryError."""
    from datetime import datetime

    import auditor.entrypoints.aws_lambda as entry

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 12, 1, 3, 17, 0, tzinfo=tz)

    monkeypatch.setattr(entry, "datetime", Clock)
    first, second = handler({}, FakeContext()), handler({}, FakeContext())
    assert first["s3"]["prefix"] != second["s3"]["prefix"]
    for summary in (first, second):
        assert re.fullmatch(r"audits/prod/2026/12/01/\d{8}T\d{6}Z-[0-9a-f]{12}/", summary["s3"]["prefix"])
        _bundle(aws, summary, tmp_path / summary["s3"]["prefix"].replace("/", "_"))


def test_security_hub_import(aws, estate, monkeypatch, capsys):
    from auditor import report

    assert "asff" in report.FORMATS, "Security Hub import needs the ASFF renderer"
    monkeypatch.setenv("EFS_AUDIT_SECURITY_HUB", "true")
    summary = handler({}, FakeContext())
    hub = client(aws, "securityhub")
    imported = [f for page in hub.get_paginator("get_findings").paginate() for f in page["Findings"]]
    assert summary["security_hub"] == {"imported": len(imported), "failed": 0, "other_accounts": 0}
    assert imported and {f["ProductArn"] for f in imported} == {
        "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default"
    }
    assert {f["Compliance"]["Status"] for f in imported} == {"PASSED", "FAILED", "NOT_AVAILABLE"}
    assert [m["milestone"] for m in milestones(capsys.readouterr().out)] == [
        "start",
        "collected",
        "evaluated",
        "uploaded",
        "imported",
        "done",
    ]


def test_security_hub_finding_of_a_fixed_problem_turns_passed(aws):
    """The second import of the same check and resource (same fingerprint, so the same finding Id) as a
    PASS updates the finding the first import created as FAILED: fixed problems do not stay FAILED. The
    rendered PASS carries no Workflow: that is the reviewers' once the finding exists."""
    from auditor import catalog
    from auditor.model import snapshot as snap
    from auditor.pipeline import evaluate
    from auditor.report.view import ReportOptions

    cat = catalog.load()
    run = evaluate(snap.load(ROOT / "samples" / "estates" / "production" / "snapshot.json"), catalogue=cat)
    failed = next(r for r in run.results if r.status is Status.FAIL and r.resource_id.startswith("arn:aws:"))
    session = boto3.Session()
    first = run.model_copy(update={"results": [failed]})
    fixed = run.model_copy(update={"results": [failed.replace(status=Status.PASS)]})
    for each in (first, fixed):
        assert sinks.import_security_hub(session, each, cat, ReportOptions())["imported"] == 1
    from auditor.report import render

    (passed,) = json.loads(render("asff", fixed, cat, ReportOptions(include_pass=True)))
    assert passed["Compliance"]["Status"] == "PASSED" and "Workflow" not in passed
    hub = client(aws, "securityhub")
    findings = [f for page in hub.get_paginator("get_findings").paginate() for f in page["Findings"]]
    assert [(f["Id"], f["Compliance"]["Status"]) for f in findings] == [
        (f"efs-audit/{failed.check_id}/{failed.fingerprint}", "PASSED")
    ]


def test_a_cluster_setting_without_the_kubernetes_client_is_a_settings_error(aws, estate, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "kubernetes" else real(name, *a)
    )
    monkeypatch.setenv("EFS_AUDIT_K8S_CLUSTER", "prod")
    with pytest.raises(
        SettingsError, match="EFS_AUDIT_K8S_CLUSTER: the Lambda package has no Kubernetes client"
    ):
        handler({}, FakeContext())


def test_scheduled_runs_compare_with_the_previous_bundle(aws, estate, monkeypatch, tmp_path):
    """EFS_AUDIT_BASELINE=previous: the first run says there is nothing to compare with; the next one
    reads the newest earlier run.json under the prefix and reports NEW / UNCHANGED / RESOLVED."""
    runs = iter(range(1, 10))
    monkeypatch.setattr(
        sinks, "run_key_prefix", lambda prefix, started, run_id: f"{prefix}/2026/12/01/run{next(runs)}/"
    )
    monkeypatch.setenv("EFS_AUDIT_BASELINE", "previous")
    first = handler({}, FakeContext())
    assert first["baseline"] == {"source": None, "note": "no earlier run to compare with"}
    second = handler({}, FakeContext())
    open_results = second["counts"]["FAIL"] + second["counts"]["NOT_ASSESSED"]
    # moto implements neither Backup ListProtectedResources nor EKS pod identity: no run here is complete
    assert second["baseline"] == {
        "source": f"s3://{BUCKET}/audits/prod/2026/12/01/run1/run.json",
        "new": 0,
        "unchanged": open_results,
        "resolved": 0,
        "not_reassessed": 0,
        "note": "no complete run among the last 30: compared with the newest",
    }
    bundle = _bundle(aws, second, tmp_path)
    assert "UNCHANGED" in (bundle / "results.csv").read_text()


def test_previous_is_the_newest_complete_run_and_unreadable_runs_are_passed_over(tmp_path):
    """An incomplete run cannot say what it did not reassess, so `previous` looks past it to the newest
    complete one; an earlier run.json that cannot be read (another schema, garbage) is noted, never fatal."""
    from auditor.model import snapshot as snap
    from auditor.pipeline import evaluate

    estates = ROOT / "samples" / "estates"
    complete, incomplete = (
        evaluate(snap.load(estates / n / "snapshot.json")) for n in ("wellconfigured", "hostile")
    )
    assert complete.complete and not incomplete.complete
    for stamp, text in (
        ("20261201T031700Z", complete.model_dump_json()),
        ("20261202T031700Z", incomplete.model_dump_json()),
        ("20261203T031700Z", "{not json"),
    ):
        (tmp_path / stamp).mkdir()
        (tmp_path / stamp / "run.json").write_text(text)
    job = load_settings({"EFS_AUDIT_BASELINE": "previous", "EFS_AUDIT_OUTPUT_DIR": str(tmp_path)})
    run, source, note = baseline.load_baseline(job)
    assert source == str(tmp_path / "20261201T031700Z" / "run.json") and run.complete
    assert note.startswith(f"{tmp_path / '20261203T031700Z' / 'run.json'}: ") and "not JSON" in note
    (tmp_path / "20261201T031700Z" / "run.json").unlink()
    run, source, note = baseline.load_baseline(job)
    assert source.endswith("20261202T031700Z/run.json") and note.startswith("no complete run")


def test_an_explicit_baseline_that_cannot_be_read_is_a_settings_error(aws, estate, monkeypatch):
    monkeypatch.setenv("EFS_AUDIT_BASELINE", f"s3://{BUCKET}/audits/prod/none/run.json")
    with pytest.raises(SettingsError, match=r"EFS_AUDIT_BASELINE: s3://.*/none/run.json: cannot be read"):
        handler({}, FakeContext())


def test_importing_the_handler_does_no_work():
    code = (
        "import sys, auditor.entrypoints.aws_lambda, auditor.entrypoints.cronjob; "
        "print(sorted(m for m in ('boto3', 'botocore', 'kubernetes') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_the_zip_layout_runs_without_the_kubernetes_client(aws, tmp_path):
    """The handler imported from the files build.py puts in the zip, with `kubernetes` unimportable (the
    zip does not carry it), invoked as Lambda would, against the moto server."""
    seed_estate(aws)
    package = tmp_path / "package"
    load_build_module().stage_project(package)
    script = (
        "import json, sys\n"
        "sys.modules['kubernetes'] = None\n"
        "import auditor\n"
        f"assert auditor.__file__.startswith({str(package)!r}), auditor.__file__\n"
        "from auditor.entrypoints.aws_lambda import handler\n"
        "from tests.deploy.support import FakeContext\n"
        "print('SUMMARY ' + json.dumps(handler({}, FakeContext())))\n"
    )
    env = {
        **aws_env(aws),
        "PATH": "/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": f"{package}:{ROOT}",
        "EFS_AUDIT_BUCKET": BUCKET,
        "EFS_AUDIT_REGIONS": "eu-west-1",
        "EFS_AUDIT_MAX_ATTEMPTS": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]
    summary = json.loads(out.stdout.split("SUMMARY ", 1)[1])
    assert summary["s3"]["objects"] > 0
