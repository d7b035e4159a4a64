from __future__ import annotations

from datetime import date

import pytest

from auditor.model.snapshot import InputError
from auditor.report import waivers as wv
from auditor.report.view import ReportOptions, build
from tests.report.report_fixtures import ACCOUNT, TODAY, WAIVER_YAML, ap


def test_parse(waivers):
    (w,) = waivers
    assert (w.checks, w.resources, w.owner, w.expires, w.label) == (
        ("efs_access_point_tagged",),
        (f"arn:aws:elasticfilesystem:*:{ACCOUNT}:access-point/fsap-fail-*",),
        "storage-team@example.com",
        date(2027, 3, 31),
        "waivers.yaml#0",
    )


def test_applied_at_report_time(run, cat, waivers):
    view = build(run, cat, ReportOptions(waivers=waivers))
    shown = {(r.result.check_id, r.result.resource_id): (r.result.status.value, r.shown) for r in view.rows}
    assert shown[("efs_access_point_tagged", ap("fail-untagged"))] == ("FAIL", "WAIVED")
    # the pattern also matches fsap-fail-uid0, but that result is another check: untouched
    assert shown[("efs_access_point_root_identity", ap("fail-uid0"))] == ("FAIL", "FAIL")
    assert view.counts() == {"FAIL": 4, "NOT_ASSESSED": 1, "WAIVED": 1, "PASS": 3}
    assert view.unused_waivers == ()


def test_pass_is_never_waived_and_unused_waivers_are_reported(run, cat):
    ws = wv.parse(
        """
- checks: [efs_access_point_root_identity]
  resources: ["*fsap-pass-*"]
  reason: r
  owner: o
  expires: 2027-01-01
""",
        "w.yaml",
        today=TODAY,
    )
    view = build(run, cat, ReportOptions(waivers=ws))
    assert [r.shown for r in view.rows if r.result.resource_id == ap("pass-app-a")] == ["PASS"]
    assert view.unused_waivers == ws


@pytest.mark.parametrize(
    "text,expect",
    [
        (
            WAIVER_YAML.replace("    owner: storage-team@example.com\n", ""),
            "w.yaml: waivers[0].owner: missing",
        ),
        (
            WAIVER_YAML.replace("2027-03-31", "next year"),
            "w.yaml: waivers[0].expires: 'next year' is not a date",
        ),
        (WAIVER_YAML.replace("reason:", "because:"), "w.yaml: waivers[0].reason: missing"),
        (
            WAIVER_YAML + "  - checks: [efs_backup_enabled]\n    resources: 7\n    reason: r\n    owner: o\n"
            "    expires: 2027-01-01\n",
            "w.yaml: waivers[1].resources: expected a list of strings",
        ),
        (WAIVER_YAML + "    ticket: SEC-1\n", "w.yaml: waivers[0].ticket: unknown field"),
        ("waivers: {a: 1}", "w.yaml: waivers: expected a list"),
        ("waivers: [\n", "w.yaml: not valid YAML"),
        ("- !!python/object/apply:os.system [true]\n", "w.yaml: not valid YAML"),
    ],
)
def test_bad_waivers_name_file_index_and_field(text, expect):
    with pytest.raises(InputError) as err:
        wv.parse(text, "w.yaml", today=TODAY)
    assert str(err.value).startswith(expect)


def test_unknown_check_id_is_rejected(waivers, cat):
    wv.validate(waivers, cat.checks)
    bad = wv.parse(WAIVER_YAML.replace("efs_access_point_tagged", "efs_ap_tagged"), "w.yaml", today=TODAY)
    with pytest.raises(InputError, match=r"^w.yaml: waivers\[0\].checks: unknown check id 'efs_ap_tagged'$"):
        wv.validate(bad, cat.checks)


def test_load_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        wv.load(tmp_path / "nope.yaml")
