from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auditor.model.result import Status, fingerprint
from auditor.model.snapshot import InputError
from auditor.report import baseline as bl
from auditor.report.json import dumps
from auditor.report.view import ReportOptions, build
from tests.report.report_fixtures import FS, ap, make_run, res

PREV = datetime(2026, 11, 13, 3, 0, tzinfo=UTC)


def previous():
    S = Status
    return make_run(
        [
            res("efs_encrypted_at_rest", S.FAIL, FS, "AwsEfsFileSystem", "unencrypted"),  # unchanged
            res(
                "efs_access_point_root_identity", S.FAIL, ap("pass-app-a"), "AwsEfsAccessPoint", "uid 0"
            ),  # resolved
            res(
                "efs_backup_enabled", S.FAIL, FS.replace("0a1b2c3d", "gone"), "AwsEfsFileSystem", "no backups"
            ),  # gone
            res(
                "efs_policy_missing", S.FAIL, FS, "AwsEfsFileSystem", "no policy"
            ),  # now NOT_ASSESSED: not reassessed
        ],
        generated_at=PREV,
    )


GONE = FS.replace("0a1b2c3d", "gone")
key = lambda rs: [(r.check_id, r.resource_id) for r in rs]  # noqa: E731


def test_compare(run):
    cmp = bl.compare(run, previous())
    assert key(cmp.unchanged) == [("efs_encrypted_at_rest", FS)]
    assert key(cmp.resolved) == [("efs_access_point_root_identity", ap("pass-app-a"))]
    # the run has a collection issue in the gone file system's scope: its absence proves nothing
    assert key(cmp.not_reassessed) == [("efs_backup_enabled", GONE), ("efs_policy_missing", FS)]
    assert key(cmp.new) == [
        ("efs_access_point_root_identity", ap("fail-uid0")),
        ("efs_access_point_tagged", ap("fail-untagged")),
        ("efs_cross_app_reach", "k8s://prod/team-b/Deployment/fail-reach-app-a"),
        ("efs_unencrypted_mount", "k8s://prod/_/PersistentVolume/fail-no-tls"),
    ]
    assert cmp.counts() == {"NEW": 4, "UNCHANGED": 1, "RESOLVED": 1, "NOT_REASSESSED": 2}


def test_gone_resource_is_resolved_only_when_its_scope_was_completely_collected(run):
    complete = run.model_copy(update={"issues": []})
    assert key(bl.compare(complete, previous()).resolved) == [
        ("efs_access_point_root_identity", ap("pass-app-a")),
        ("efs_backup_enabled", GONE),
    ]
    unit, k8s = complete.units
    for why, current in [
        (
            "unit stopped early",
            complete.model_copy(update={"units": [unit.model_copy(update={"complete": False}), k8s]}),
        ),
        (
            "service not attempted",
            complete.model_copy(
                update={"units": [unit.model_copy(update={"services": ["efs", "ec2"]}), k8s]}
            ),
        ),
        ("scope not collected", complete.model_copy(update={"units": [k8s]})),
    ]:
        cmp = bl.compare(current, previous())
        assert key(cmp.not_reassessed) == [("efs_backup_enabled", GONE), ("efs_policy_missing", FS)], why
        assert ("efs_backup_enabled", GONE) not in key(cmp.resolved), why


def test_baseline_sharing_no_scope_is_rejected(run):
    other = previous().model_copy(
        update={
            "units": [
                u.model_copy(update={"scope": "aws:999999999999:us-east-1"}) for u in previous().units[:1]
            ]
        }
    )
    with pytest.raises(
        InputError,
        match=r"^--baseline: the baseline run \(generated 2026-11-13T03:00:00\+00:00\) "
        r"shares no collection scope with this run",
    ):
        bl.compare(run, other)


def test_fingerprint_is_pinned_and_depends_only_on_check_and_resource():
    r = res(
        "efs_encrypted_at_rest",
        Status.FAIL,
        FS,
        "AwsEfsFileSystem",
        "unencrypted",
        evidence={"encrypted": False},
    )
    assert r.fingerprint == fingerprint("efs_encrypted_at_rest", FS) == "cee0731b2ee529f47a9f42aad0d32061"
    reworded = r.replace(
        message="file system is not encrypted",
        evidence={"kms": None},
        status=Status.NOT_ASSESSED,
        path=[],
        fingerprint="",
    )
    assert reworded.with_fingerprint().fingerprint == r.fingerprint
    assert fingerprint("efs_backup_enabled", FS) != r.fingerprint
    assert fingerprint("efs_encrypted_at_rest", GONE) != r.fingerprint


def test_rows_carry_their_state(run, cat):
    view = build(run, cat, ReportOptions(baseline=previous()))
    states = {(r.result.check_id, r.result.resource_id): r.change for r in view.rows}
    assert states[("efs_encrypted_at_rest", FS)] == "UNCHANGED"
    assert states[("efs_access_point_root_identity", ap("fail-uid0"))] == "NEW"
    assert states[("efs_access_point_root_identity", ap("pass-app-a"))] is None  # PASS rows have no state


def test_summary_a_scheduled_run_prints(run):
    text = bl.summary(bl.compare(run, previous()), limit=2)
    assert text.splitlines() == [
        "Baseline 2026-11-13T03:00:00+00:00: 4 new, 1 unchanged, 1 resolved, 2 not reassessed",
        f"  NEW      efs_access_point_root_identity  {ap('fail-uid0')}  [FAIL]",
        f"  NEW      efs_access_point_tagged  {ap('fail-untagged')}  [FAIL]",
        "  ... and 2 more new",
        f"  RESOLVED efs_access_point_root_identity  {ap('pass-app-a')}  [FAIL]",
        f"  NOT_REASSESSED efs_backup_enabled  {GONE}  [FAIL]  (not assessed now, or scope not completely collected)",
        f"  NOT_REASSESSED efs_policy_missing  {FS}  [FAIL]  (not assessed now, or scope not completely collected)",
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


def test_human_reports_list_not_reassessed_apart_from_resolved(run, cat):
    from auditor.report import render

    opts = ReportOptions(baseline=previous())
    md = render("markdown", run, cat, opts)
    assert "4 new, 1 unchanged, 1 resolved, 2 not reassessed (FAIL before, now NOT_ASSESSED" in md
    assert f"| `efs_backup_enabled` | `{GONE}` | FAIL |" in md.split("| not reassessed check |")[1]
    page = render("html", run, cat, opts)
    assert "1 resolved, 2 not reassessed" in page and "<th>not reassessed check</th>" in page


def test_a_snapshot_is_not_a_run(tmp_path):
    p = tmp_path / "snapshot.json"
    p.write_text('{"schema_version": "1", "units": [], "file_systems": [], "access_points": []}')
    with pytest.raises(
        InputError,
        match=r"snapshot.json: this is a snapshot, not a run: evaluate it with "
        r"`efs-audit check .*snapshot.json`",
    ):
        bl.load_run(p)
