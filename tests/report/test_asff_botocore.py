"""The ASFF findings of the bundled estates against botocore's own model of Security Hub's
BatchImportFindings input: the shape the real API call is checked against before it is sent.
botocore checks required members, types and minimum lengths (not enums or maximum lengths)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ParamValidationError
from botocore.session import get_session
from botocore.validate import validate_parameters

from auditor.model.snapshot import load
from auditor.report import ReportOptions, render

ESTATES = Path(__file__).resolve().parents[2] / "samples" / "estates"
BATCH = 100  # BatchImportFindings takes at most 100 findings per call


@pytest.fixture(scope="module")
def import_shape():
    return get_session().get_service_model("securityhub").operation_model("BatchImportFindings").input_shape


def _validate(findings: list[dict], shape) -> None:
    for i in range(0, len(findings), BATCH):
        validate_parameters({"Findings": findings[i : i + BATCH]}, shape)


@pytest.mark.parametrize("estate", ["wellconfigured", "production", "hostile"])
@pytest.mark.parametrize("include_pass", [False, True])
def test_estate_findings_match_botocore_input_shape(estate, include_pass, cat, import_shape):
    from auditor.pipeline import evaluate

    run = evaluate(load(ESTATES / estate / "snapshot.json"), catalogue=cat)
    findings = json.loads(
        render("asff", run, cat, ReportOptions(include_pass=include_pass, framework="aws-fsbp"))
    )
    expected = len(run.results) if include_pass else sum(1 for r in run.results if r.status.value != "PASS")
    assert len(findings) == expected and (findings or not include_pass)
    _validate(findings, import_shape)


def test_the_shape_check_is_real(run, cat, import_shape):
    (finding, *_) = json.loads(render("asff", run, cat))
    _validate([finding], import_shape)
    broken = {k: v for k, v in finding.items() if k != "AwsAccountId"}
    with pytest.raises(ParamValidationError, match="AwsAccountId"):
        _validate([broken], import_shape)
    with pytest.raises(ParamValidationError, match="Severity"):
        _validate([{**finding, "Severity": "HIGH"}], import_shape)
