"""One comparison of runs: `review` and `report --baseline` classify the same pair of runs with the same
diff function. A FAIL that becomes NOT_ASSESSED was not re-assessed: neither resolved nor unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

from auditor.model.result import Status
from auditor.model.snapshot import Snapshot
from auditor.report import baseline as bl
from auditor.review import classify
from tests.report.report_fixtures import FS, ap, make_run, res

S = Status
PREV = datetime(2026, 11, 13, 3, 0, tzinfo=UTC)
CASES = {  # (check, resource): (before, after, outcome)
    ("efs_policy_missing", FS): (S.FAIL, S.NOT_ASSESSED, bl.NOT_REASSESSED),
    ("efs_encrypted_at_rest", FS): (S.FAIL, S.FAIL, bl.UNCHANGED),
    ("efs_access_point_tagged", ap("a")): (S.FAIL, S.PASS, bl.RESOLVED),
    ("efs_access_point_tagged", ap("b")): (S.PASS, S.FAIL, bl.NEW),
    ("efs_access_point_tagged", ap("c")): (S.NOT_ASSESSED, S.FAIL, bl.NEW),
    ("efs_access_point_tagged", ap("d")): (S.NOT_ASSESSED, S.NOT_ASSESSED, bl.UNCHANGED),
}


def pair():
    def run(i, when):
        return make_run(
            [res(c, v[i], r, "AwsEfsFileSystem", "m") for (c, r), v in CASES.items()], generated_at=when
        )

    before, after = run(0, PREV), run(1, datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    return before, after.model_copy(update={"issues": []})


def test_baseline_and_review_agree_on_the_same_pair_of_runs():
    before, after = pair()
    expected = {k: v[2] for k, v in CASES.items()}
    cmp = bl.compare(after, before)
    got = {(r.check_id, r.resource_id): cmp.state(r) for r in after.results if cmp.state(r)}
    got.update({(r.check_id, r.resource_id): bl.RESOLVED for r in cmp.resolved})
    assert got == expected
    outcome = classify(Snapshot(), Snapshot(), before, after)
    reviewed = {(r.check_id, r.resource_id): r.evidence["review_status"] for r in outcome.run.results}
    names = {
        bl.NEW: "introduced",
        bl.UNCHANGED: "unchanged",
        bl.RESOLVED: "resolved",
        bl.NOT_REASSESSED: "not_reassessed",
    }
    assert reviewed == {k: names[v] for k, v in expected.items()}
    assert [(r.check_id, r.resource_id) for r in outcome.not_reassessed] == [("efs_policy_missing", FS)]
    assert ("efs_policy_missing", FS) not in {(r.check_id, r.resource_id) for r in outcome.resolved}


def test_fail_that_becomes_not_assessed_is_not_reassessed_in_the_baseline_summary():
    before, after = pair()
    text = bl.summary(bl.compare(after, before))
    assert "NOT_REASSESSED efs_policy_missing" in text


def test_every_format_renders_a_not_reassessed_change():
    from auditor.report import FORMATS, render
    from auditor.report.view import ReportOptions
    from tests.report.report_fixtures import CATALOGUE

    before, after = pair()
    for fmt in FORMATS:
        assert render(fmt, after, CATALOGUE(), ReportOptions(baseline=before)), fmt
