from __future__ import annotations

import pytest

from auditor.model.result import Status
from auditor.model.snapshot import InputError
from auditor.report import framework as fw
from auditor.report.view import ReportOptions, build
from auditor.report.waivers import parse
from tests.report.report_fixtures import FS, TODAY, ap, make_run, res


def _rows(run, cat, name, **opts):
    return {r.control_id: r for r in fw.rows(build(run, cat, ReportOptions(**opts)), name)}


def test_control_rows_for_aws_fsbp(run, cat, waivers):
    rows = _rows(run, cat, "aws-fsbp", waivers=waivers)
    assert list(rows) == ["EFS.1", "EFS.2", "EFS.3", "EFS.4", "EFS.5", "EFS.6", "EFS.7", "EFS.8", "ECS.20"]
    e1 = rows["EFS.1"]
    assert (e1.checks, e1.resources, e1.passed, e1.failed, e1.not_assessed, e1.waived, e1.status) == (
        ("efs_encrypted_at_rest",),
        2,
        1,
        1,
        0,
        0,
        "FAIL",
    )
    e5 = rows["EFS.5"]  # its only FAIL is waived
    assert (e5.passed, e5.failed, e5.waived, e5.status) == (0, 0, 1, "PASS")
    assert rows["ECS.20"].status == "PASS" and rows["ECS.20"].passed == 1
    for empty in ("EFS.2", "EFS.3", "EFS.4", "EFS.6", "EFS.7"):  # nothing evaluated is never passing
        assert (rows[empty].results, rows[empty].status) == (0, "NOT_ASSESSED")


def test_not_assessed_never_passes_and_fail_wins(cat):
    S = Status
    run = make_run(
        [
            res("efs_policy_missing", S.NOT_ASSESSED, FS, "AwsEfsFileSystem", "AccessDenied"),
            res("efs_policy_cross_account", S.PASS, FS, "AwsEfsFileSystem", "own account only"),
            res("efs_policy_anonymous_access", S.PASS, FS, "AwsEfsFileSystem", "IAM required"),
            res("efs_access_point_root_identity", S.FAIL, ap("fail-uid0"), "AwsEfsAccessPoint", "uid 0"),
        ]
    )
    rows = _rows(run, cat, "nist-800-53")
    ac3 = rows["AC-3"]  # policy_missing (NOT_ASSESSED) + cross_account (PASS) + anonymous (PASS)
    assert (ac3.passed, ac3.not_assessed, ac3.failed, ac3.status) == (2, 1, 0, "NOT_ASSESSED")
    assert ac3.resources == 1
    assert rows["IA-2"].status == "PASS"
    assert rows["AC-6(10)"].status == "FAIL"
    ac6 = rows["AC-6"]  # FAIL beats NOT_ASSESSED
    assert (ac6.failed, ac6.not_assessed, ac6.status) == (1, 1, "FAIL")


@pytest.mark.parametrize(
    "p,f,n,w,wn,expect",
    [
        (1, 0, 0, 0, 0, "PASS"),
        (0, 0, 0, 1, 0, "PASS"),  # a waived FAIL may let a control pass
        (0, 0, 0, 1, 1, "NOT_ASSESSED"),
        (3, 0, 0, 2, 1, "NOT_ASSESSED"),  # a waived NOT_ASSESSED never does
        (3, 0, 1, 0, 0, "NOT_ASSESSED"),
        (3, 1, 1, 2, 1, "FAIL"),
        (0, 0, 0, 0, 0, "NOT_ASSESSED"),
    ],
)
def test_control_status_rule(p, f, n, w, wn, expect):
    assert fw.control_status(p, f, n, w, waived_not_assessed=wn) == expect


def test_waived_not_assessed_keeps_the_control_not_assessed(cat):
    S = Status
    run = make_run(
        [
            res("efs_policy_missing", S.NOT_ASSESSED, FS, "AwsEfsFileSystem", "AccessDenied"),
            res("efs_policy_cross_account", S.PASS, FS, "AwsEfsFileSystem", "own account only"),
            res("efs_access_point_tagged", S.FAIL, ap("fail-untagged"), "AwsEfsAccessPoint", "no tags"),
        ]
    )
    ws = parse(
        f"""
- checks: [efs_policy_missing, efs_access_point_tagged]
  resources: ["{FS}", "{ap("fail-untagged")}"]
  reason: accepted
  owner: o
  expires: 2027-01-01
""",
        "w.yaml",
        today=TODAY,
    )
    rows = _rows(run, cat, "nist-800-53", waivers=ws)
    ac3 = rows["AC-3"]  # policy_missing (waived NOT_ASSESSED) + cross_account (PASS)
    assert (ac3.passed, ac3.not_assessed, ac3.waived, ac3.waived_not_assessed) == (1, 0, 1, 1)
    assert ac3.status == "NOT_ASSESSED"
    cm8 = rows["CM-8"]  # access_point_tagged: its only FAIL is waived, so the control may pass
    assert (cm8.waived, cm8.waived_not_assessed, cm8.status) == (1, 0, "PASS")


def test_unknown_framework_is_input_error(run, cat):
    with pytest.raises(InputError, match=r"--framework: unknown framework 'pci'"):
        fw.rows(build(run, cat), "pci")


def test_text_view(run, cat):
    text = fw.render_text(build(run, cat), "cis-aws")
    assert text.splitlines()[0] == (
        "CIS Amazon Web Services Foundations Benchmark 5.0.0: 0 controls PASS, 1 FAIL, 0 NOT_ASSESSED"
    )
    assert "2.3.1" in text and "efs_encrypted_at_rest" in text
