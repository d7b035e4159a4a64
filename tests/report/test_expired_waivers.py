"""An expired waiver never stops the evidence: it is not applied, the finding shows FAIL with an
"expired waiver (owner, date)" note in every format that carries notes, and the run and its bundle go on."""

from __future__ import annotations

import json

from auditor.report import FORMATS, render
from auditor.report import waivers as wv
from auditor.report.output import emit, failing
from auditor.report.view import ReportOptions, build
from tests.report.report_fixtures import TODAY, WAIVER_YAML, ap

EXPIRED_YAML = WAIVER_YAML.replace("2027-03-31", "2026-11-19")  # one day before TODAY
NOTE = "expired waiver (storage-team@example.com, 2026-11-19)"
# json is the AuditRun itself (report-time views never change it): it carries no waiver and no note.
NOTED_FORMATS = sorted(set(FORMATS) - {"json"})


def expired():
    return wv.parse(EXPIRED_YAML, "w.yaml", today=TODAY)


def test_expired_waiver_is_parsed_not_rejected_and_never_applied(run, cat):
    (w,) = expired()
    assert w.expired and not w.matches(run.results[0])
    view = build(run, cat, ReportOptions(waivers=(w,), today=TODAY))
    (row,) = [
        r
        for r in view.rows
        if (r.result.check_id, r.result.resource_id) == ("efs_access_point_tagged", ap("fail-untagged"))
    ]
    assert row.shown == "FAIL" and row.waiver is None and row.note.startswith(NOTE)
    assert view.counts()["WAIVED"] == 0


def test_expired_waiver_note_in_every_format(run, cat):
    options = ReportOptions(
        waivers=expired(), today=TODAY, include_pass=True, wide=True
    )  # the table: unwrapped
    for fmt in NOTED_FORMATS:
        text = render(fmt, run, cat, options)
        assert NOTE in text, fmt


def test_expired_waiver_does_not_stop_the_bundle_or_the_gate(run, cat, tmp_path):
    path = tmp_path / "waivers.yaml"
    path.write_text(WAIVER_YAML.replace("2027-03-31", "2020-01-01"))  # expired whatever the date today
    out = emit(
        run,
        cat,
        formats=["json", "csv", "html"],
        out_dir=tmp_path / "bundle",
        waivers=path,
        baseline=None,
        framework=None,
        snapshot_json=None,
    )
    assert "Evidence bundle written" in out
    manifest = json.loads(next((tmp_path / "bundle").rglob("manifest.json")).read_text())
    assert manifest["waivers"][0]["expired"] is True
    gate = failing(run, cat, waivers=path)
    assert ("efs_access_point_tagged", ap("fail-untagged")) in {(r.check_id, r.resource_id) for r in gate}
