from __future__ import annotations

from datetime import datetime, timezone

import pytest

from auditor.model.result import Status
from auditor.model.snapshot import InputError
from auditor.report import baseline as bl
from auditor.report.json import dumps
from auditor.report.view import ReportOptions, build
from tests.report.report_fixtures import FS, ap, make_run, res

PREV = datetime(2026, 11, 13, 3, 0, tzinfo=timezone.utc)


def previous():
    S = Status
    return make_run([
        res("efs_encrypted_at_rest", S.FAIL, FS, "AwsEfsFileSystem", "unencrypted"),               # unchanged
        res("efs_access_point_root_identity", S.FAIL, ap("pass-app-a"), "AwsEfsAccessPoint", "uid 0"),  # resolved
        res("efs_backup_enabled", S.FAIL, FS.replace("0a1b2c3d", "gone"), "AwsEfsFileSystem", "no backups"),  # gone
        res("efs_policy_missing", S.FAIL, FS, "AwsEfsFileSystem", "no policy"),  # now NOT_ASSESSED: still open
    ], generated_at=PREV)


def test_compare(run):
    cmp = bl.compare(run, previous())
    key = lambda rs: [(r.check_id, r.resource_id) for r in rs]  # noqa: E731
    assert key(cmp.unchanged) == [("efs_encrypted_at_rest", FS), ("efs_policy_missing", FS)]
    assert key(cmp.resolved) == [("efs_access_point_root_identity", ap("pass-app-a")),
                                 ("efs_backup_enabled", FS.replace("0a1b2c3d", "gone"))]
    assert key(cmp.new) == [("efs_access_point_root_identity", ap("fail-uid0")),
                            ("efs_access_point_tagged", ap("fail-untagged")),
                            ("efs_cross_app_reach", "k8s://prod/team-b/Deployment/fail-reach-app-a"),
                            ("efs_unencrypted_mount", "k8s://prod/_/PersistentVolume/fail-no-tls")]
    assert cmp.counts() == {"NEW": 4, "UNCHANGED": 2, "RESOLVED": 2}


def test_rows_carry_their_state(run, cat):
    view = build(run, cat, ReportOptions(baseline=previous()))
    states = {(r.result.check_id, r.result.resource_id): r.change for r in view.rows}
    assert states[("efs_encrypted_at_rest", FS)] == "UNCHANGED"
    assert states[("efs_access_point_root_identity", ap("fail-uid0"))] == "NEW"
    assert states[("efs_access_point_root_identity", ap("pass-app-a"))] is None  # PASS rows have no state


def test_summary_a_scheduled_run_prints(run):
    text = bl.summary(bl.compare(run, previous()), limit=2)
    assert text.splitlines() == [
        "Baseline 2026-11-13T03:00:00+00:00: 4 new, 2 unchanged, 2 resolved",
        f"  NEW      efs_access_point_root_identity  {ap('fail-uid0')}  [FAIL]",
        f"  NEW      efs_access_point_tagged  {ap('fail-untagged')}  [FAIL]",
        "  ... and 2 more new",
        f"  RESOLVED efs_access_point_root_identity  {ap('pass-app-a')}  [FAIL]",
        f"  RESOLVED efs_backup_enabled  {FS.replace('0a1b2c3d', 'gone')}  [FAIL]",
    ]


def test_load_run_round_trip_and_errors(tmp_path, run):
    p = tmp_path / "run.json"
    p.write_text(dumps(run))
    assert bl.load_run(p) == run
    p.write_text('{"schema_version": "0"}')
    with pytest.raises(InputError, match=r"run.json: schema_version: expected '1', found '0'"):
        bl.load_run(p)
    p.write_text(dumps(run).replace('"status": "PASS"', '"status": "OK"', 1))
    with pytest.raises(InputError, match=r"run.json: results\.\d+\.status: "):
        bl.load_run(p)
    p.write_text("{")
    with pytest.raises(InputError, match="not JSON"):
        bl.load_run(p)
