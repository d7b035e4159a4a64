"""Every format over the pipeline's real output on the bundled sample estates (both halves) renders,
and every JSON-based format validates against its published schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.model.snapshot import load
from auditor.report import FORMATS, ReportOptions, render
from auditor.report.json import SCHEMA_PATH
from tests.report.report_fixtures import validator

ESTATES = Path(__file__).resolve().parents[2] / "samples" / "estates"
JSON_SCHEMAS = {
    "json": str(SCHEMA_PATH),
    "sarif": "sarif-2.1.0.schema.json",
    "ocsf": "ocsf-1.3.0-compliance_finding.schema.json",
    "asff": "asff-2018-10-08.schema.json",
}


@pytest.mark.parametrize("estate", ["wellconfigured", "production", "hostile"])
def test_every_format_over_a_sample_estate(estate, cat):
    from auditor.pipeline import evaluate

    snap = load(ESTATES / estate / "snapshot.json")
    run = evaluate(snap, catalogue=cat)
    assert run.results
    for fmt in FORMATS:
        text = render(fmt, run, cat, ReportOptions(framework="nist-800-53"))
        if fmt in JSON_SCHEMAS:
            validator(JSON_SCHEMAS[fmt]).validate(json.loads(text))
    open_results = [r for r in run.results if r.status.value != "PASS"]
    assert len(json.loads(render("asff", run, cat))) == len(open_results)
    assert len(json.loads(render("ocsf", run, cat))) == len(run.results)
