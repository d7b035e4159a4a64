"""The machine formats against what their consumers accept: SARIF against the official OASIS 2.1.0
schema (from the @microsoft/sarif-multitool npm package, see schemas/SOURCES.md) with a physical
location on every result and FAIL-only by default (GitHub code scanning); JUnit against the Jenkins
junit-10.xsd rules; OCSF NOT_ASSESSED as a compliance status every OCSF 1.3.0 reader accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import xmlschema  # in the test extra

from auditor.model.snapshot import dumps, load
from auditor.report import ReportOptions, render
from auditor.report.sarif import line_index
from tests.report.report_fixtures import FS, SCHEMAS, ap, validator

ESTATES = Path(__file__).resolve().parents[2] / "samples" / "estates"


@pytest.fixture(scope="module")
def production():
    from auditor import catalog
    from auditor.pipeline import evaluate

    snap = load(ESTATES / "production" / "snapshot.json")
    cat = catalog.load()
    return snap, evaluate(snap, catalogue=cat), cat


def _official(doc):
    validator("sarif-2.1.0.json").validate(doc)


def test_the_official_schema_is_the_oasis_one():
    schema = json.loads((SCHEMAS / "sarif-2.1.0.json").read_text())
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]


def test_sarif_default_lists_only_fail_results_with_a_physical_location(run, cat, waivers):
    doc = json.loads(render("sarif", run, cat, ReportOptions(waivers=waivers)))
    _official(doc)
    results = doc["runs"][0]["results"]
    raw_fail = [r for r in run.results if r.status.value == "FAIL"]
    assert len(results) == len(raw_fail) == 5
    assert {r["kind"] for r in results} == {"fail"}
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results)
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in results)
    # what was left out is counted, and NOT_ASSESSED is announced, never silent
    props = doc["runs"][0]["properties"]
    assert props["resultsLeftOut"] == {"PASS": 3, "NOT_ASSESSED": 1}
    note = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]
    assert note["message"]["text"].startswith("1 results are NOT_ASSESSED")
    # a waived FAIL stays listed, suppressed
    waived = [r for r in results if "suppressions" in r]
    assert [w["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for w in waived] == [
        ap("fail-untagged")
    ]


def test_sarif_all_results_option(run, cat):
    doc = json.loads(render("sarif", run, cat, ReportOptions(all_results=True)))
    _official(doc)
    assert len(doc["runs"][0]["results"]) == len(run.results)
    assert doc["runs"][0]["properties"]["resultsLeftOut"] == {}


def test_sarif_location_is_the_resource_line_in_the_source(run, cat):
    text = json.dumps({"file_systems": [{"arn": FS}]}, indent=1)
    doc = json.loads(render("sarif", run, cat, ReportOptions(source_uri="snap.json", source_text=text)))
    enc = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "efs_encrypted_at_rest")
    assert enc["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "snap.json"},
        "region": {"startLine": 4},
    }
    assert text.splitlines()[3].strip() == f'"arn": "{FS}"'
    # evidence that names its IaC file and line wins over the source
    pv = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "efs_unencrypted_mount")
    assert pv["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "manifests/pv.yaml"},
        "region": {"startLine": 12},
    }


def test_line_index_is_the_first_occurrence():
    assert line_index('{\n "a": "x",\n "b": "x"\n}') == {"a": 2, "x": 2, "b": 3}


def test_sarif_of_the_production_estate_validates_officially(production):
    snap, run, cat = production
    text = dumps(snap)
    for options in (
        ReportOptions(source_uri="snapshot.json", source_text=text),
        ReportOptions(all_results=True),
    ):
        doc = json.loads(render("sarif", run, cat, options))
        _official(doc)
    doc = json.loads(render("sarif", run, cat, ReportOptions(source_uri="snapshot.json", source_text=text)))
    results = doc["runs"][0]["results"]
    assert results and all(r["kind"] == "fail" for r in results)
    lines = text.splitlines()
    located = [
        r
        for r in results
        if r["locations"][0]["physicalLocation"]["region"]["startLine"] > 1
        and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "snapshot.json"
    ]
    assert located
    for r in located:  # the line really names the resource
        line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
        assert r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] in lines[line - 1]


def test_official_schema_rejects_a_broken_document(run, cat):
    import jsonschema

    doc = json.loads(render("sarif", run, cat))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        _official(doc)


def _junit_schema():
    return xmlschema.XMLSchema(str(SCHEMAS / "junit-jenkins.xsd"))


def test_junit_is_valid_for_jenkins(run, cat, waivers, production):
    schema = _junit_schema()
    schema.validate(render("junit", run, cat, ReportOptions(waivers=waivers)))
    _, prod_run, prod_cat = production
    schema.validate(render("junit", prod_run, prod_cat))


def test_jenkins_schema_refuses_skipped_on_testsuites(run, cat):
    text = render("junit", run, cat).replace(
        '<testsuites name="efs-audit"', '<testsuites name="efs-audit" skipped="1"'
    )
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        _junit_schema().validate(text)


def test_ocsf_not_assessed_is_other_not_assessed_on_the_hostile_estate():
    from auditor import catalog
    from auditor.pipeline import evaluate

    cat = catalog.load()
    run = evaluate(load(ESTATES / "hostile" / "snapshot.json"), catalogue=cat)
    events = json.loads(render("ocsf", run, cat))
    validator("ocsf-1.3.0-compliance_finding.schema.json").validate(events)
    na = [e["compliance"] for e in events if e["compliance"]["status_code"] == "NOT_ASSESSED"]
    assert na and {(c["status_id"], c["status"]) for c in na} == {(99, "Not assessed")}
    assert all(c["status_detail"] for c in na)
