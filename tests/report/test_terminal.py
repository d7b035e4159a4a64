"""The terminal table fits the width it is given (80, 120, 200 columns), wraps the reason instead of
cutting it, shows WAIVED and the waivers that matched nothing, and says 'no' in the coverage for a
scope with collection issues."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.model.snapshot import load
from auditor.report import ReportOptions, render
from auditor.report.waivers import parse
from tests.report.report_fixtures import TODAY, WAIVER_YAML

ESTATES = Path(__file__).resolve().parents[2] / "samples" / "estates"


@pytest.fixture(scope="module")
def estate_runs():
    from auditor import catalog
    from auditor.pipeline import evaluate

    cat = catalog.load()
    return {
        e: evaluate(load(ESTATES / e / "snapshot.json"), catalogue=cat) for e in ("production", "hostile")
    }, cat


def _reasons(text: str) -> str:
    """The reason column of every detail table, joined: the text right of the 'reason' header."""
    out, start = [], None
    for line in text.splitlines():
        if re.match(r"^status\s+resource\s+reason\s*$", line):
            start = line.index("reason")
            continue
        if start is not None and (
            not line.strip() or not line.startswith((" ", "FAIL", "NOT_ASSESSED", "WAIVED", "PASS", "─"))
        ):
            start = None
        if start is not None and not line.startswith("─"):
            out.append(line[start:].strip())
    return "".join(out)


@pytest.mark.parametrize("width", [80, 120, 200])
@pytest.mark.parametrize("estate", ["production", "hostile"])
def test_fits_the_width_and_keeps_every_reason(estate_runs, estate, width):
    runs, cat = estate_runs
    run = runs[estate]
    text = render("table", run, cat, ReportOptions(width=width))
    assert max(len(line) for line in text.splitlines()) <= width
    reasons = _reasons(text).replace(" ", "")
    open_results = [r for r in run.results if r.status.value != "PASS"]
    assert open_results
    for r in open_results:  # the whole reason, wrapped, never cut
        assert r.message.replace(" ", "") in reasons, r.message


def test_wide_never_wraps(estate_runs):
    runs, cat = estate_runs
    text = render("table", runs["production"], cat, ReportOptions(wide=True))
    for r in runs["production"].results:
        if r.status.value == "FAIL":
            assert r.message in text


def test_header_names_accounts_regions_clusters_caller_and_window(estate_runs):
    runs, cat = estate_runs
    text = render("table", runs["hostile"], cat, ReportOptions(width=120))
    assert "Accounts: 444455556666; regions: eu-west-1, us-east-1; clusters: hostile-eks" in text
    assert "Caller: sample estate; collected 2026-11-01T09:00:00+00:00 to 2026-11-01T09:00:00+00:00" in text


def test_coverage_says_no_with_the_issue_count(estate_runs):
    runs, cat = estate_runs
    text = render("table", runs["hostile"], cat, ReportOptions(width=120))
    assert re.search(r"aws:444455556666:eu-west-1 .* no \(3 issues\)", text)
    assert re.search(r"aws:444455556666:us-east-1 .* no \(1 issues\)", text)
    assert re.search(r"aws:444455556666:global .* yes ", text)


def test_waived_rows_and_unused_waivers_in_the_table(run, cat):
    extra = (
        WAIVER_YAML
        + """
  - checks: [efs_backup_enabled]
    resources: ["arn:aws:elasticfilesystem:*:999999999999:file-system/*"]
    reason: Nothing matches this one
    owner: nobody@example.com
    expires: 2027-01-31
"""
    )
    waivers = parse(extra, "waivers.yaml", today=TODAY)
    text = render("table", run, cat, ReportOptions(waivers=waivers, width=120))
    assert "Results: 9 (4 FAIL, 1 NOT_ASSESSED, 1 WAIVED, 3 PASS)" in text
    assert re.search(r"^WAIVED\s+access-point/fsap-fail-untagged", text, re.M)
    assert "waived(FAIL):LegacyaccesspointsretiredinQ1(SEC-42)" in _reasons(text).replace(" ", "")
    assert "Waivers that matched nothing: 1" in text and "Nothing matches this one" in text


def test_display_filters_choose_rows_not_counts(run, cat):
    text = render("table", run, cat, ReportOptions(width=120, show_statuses=frozenset({"NOT_ASSESSED"})))
    assert "Results: 9 (5 FAIL, 1 NOT_ASSESSED, 0 WAIVED, 3 PASS)" in text
    assert re.search(r"^NOT_ASSESSED\s", text, re.M) and not re.search(r"^FAIL\s", text, re.M)
    assert "Display filtered" in text
    text = render("table", run, cat, ReportOptions(width=120, show_severities=frozenset({"low"})))
    assert "efs_access_point_tagged" in text and "efs_encrypted_at_rest [" not in text
