"""The OCSF events of the fixture run and the bundled estates against py-ocsf-models, Prowler's
pydantic models of the OCSF schema (1.5.0; this tool writes 1.3.0, whose Compliance Finding fields
it uses are unchanged). The models check required attributes, types and enum ids of every
attribute they define; attributes they do not define are ignored, so this complements the
hand-written JSON schema in tests/report/schemas rather than replacing it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# py-ocsf-models is in the test extra: its absence is a broken environment, not a reason to skip.
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

from auditor.model.snapshot import load
from auditor.report import ReportOptions, render

ESTATES = Path(__file__).resolve().parents[2] / "samples" / "estates"


def test_fixture_events_parse_and_keep_their_ids(run, cat, waivers):
    events = json.loads(render("ocsf", run, cat, ReportOptions(waivers=waivers)))
    models = [ComplianceFinding.model_validate(e) for e in events]
    by = {(m.compliance.control, m.resources[0].uid): m for m in models}
    na = next(m for e, m in zip(events, models) if e["compliance"]["status_code"] == "NOT_ASSESSED")
    assert (int(na.compliance.status_id), na.compliance.status_id.name) == (99, "Other")
    assert next(e for e in events if e["compliance"]["status_code"] == "NOT_ASSESSED")["compliance"][
        "status"
    ] == ("Not assessed")
    assert {int(m.compliance.status_id) for m in models} == {1, 3, 99}
    assert all(int(m.class_uid) == 2003 and int(m.type_uid) == 200301 for m in models)
    assert len(by) == len(run.results)


@pytest.mark.parametrize("estate", ["wellconfigured", "production", "hostile"])
def test_estate_events_parse(estate, cat):
    from auditor.pipeline import evaluate

    run = evaluate(load(ESTATES / estate / "snapshot.json"), catalogue=cat)
    events = json.loads(render("ocsf", run, cat, ReportOptions(framework="nist-800-53")))
    assert len(events) == len(run.results)
    for e in events:
        ComplianceFinding.model_validate(e)


def test_the_models_reject_a_broken_event(run, cat):
    (event, *_) = json.loads(render("ocsf", run, cat))
    with pytest.raises(ValueError, match="severity_id"):
        ComplianceFinding.model_validate({**event, "severity_id": 7})
    with pytest.raises(ValueError, match="finding_info"):
        ComplianceFinding.model_validate({k: v for k, v in event.items() if k != "finding_info"})
