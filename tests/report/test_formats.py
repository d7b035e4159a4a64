"""Every format, validated against its published schema where it has one, with exact content."""

from __future__ import annotations

import csv
import io
import json
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from auditor.model.result import AuditRun
from auditor.report import FORMATS, ReportOptions, render
from auditor.report.csv import CSV_COLUMNS
from auditor.report.json import SCHEMA_PATH
from tests.report.report_fixtures import ACCOUNT, FS, REGION, ap, validator

CROSS = "k8s://prod/team-b/Deployment/fail-reach-app-a"
NO_TLS = "k8s://prod/_/PersistentVolume/fail-no-tls"


def test_registry_is_explicit():
    assert list(FORMATS) == ["table", "json", "markdown", "csv", "ocsf", "asff", "sarif", "junit", "html"]


# --- json --------------------------------------------------------------------------------------


def test_json_is_the_run_and_validates_against_the_run_schema(run, cat):
    doc = json.loads(render("json", run, cat))
    validator(str(SCHEMA_PATH)).validate(doc)
    assert AuditRun.model_validate(doc) == run
    assert doc["schema_version"] == "1"
    assert [(r["check_id"], r["resource_id"], r["status"]) for r in doc["results"]][:3] == [
        ("efs_access_point_root_identity", ap("fail-uid0"), "FAIL"),
        ("efs_access_point_root_identity", ap("pass-app-a"), "PASS"),
        ("efs_access_point_tagged", ap("fail-untagged"), "FAIL"),
    ]


def test_json_keeps_raw_status_under_a_waiver(run, cat, waivers):
    doc = json.loads(render("json", run, cat, ReportOptions(waivers=waivers)))
    assert {r["status"] for r in doc["results"] if r["check_id"] == "efs_access_point_tagged"} == {"FAIL"}


def test_run_schema_lists_exactly_the_model_fields():
    from auditor.model.result import RESULT_FIELDS
    from auditor.model.snapshot import CollectionIssue, CollectionUnit

    schema = json.loads(SCHEMA_PATH.read_text())
    d = schema["$defs"]
    assert set(schema["properties"]) == set(AuditRun.model_fields)
    assert set(d["result"]["properties"]) == set(RESULT_FIELDS)
    assert set(d["unit"]["properties"]) == set(CollectionUnit.model_fields)
    assert set(d["issue"]["properties"]) == set(CollectionIssue.model_fields)


def test_run_schema_rejects_a_bad_run(run, cat):
    doc = json.loads(render("json", run, cat))
    doc["results"][0]["status"] = "WAIVED"
    with pytest.raises(jsonschema.ValidationError):
        validator(str(SCHEMA_PATH)).validate(doc)


# --- csv ---------------------------------------------------------------------------------------


def test_csv_rows(run, cat, waivers):
    rows = list(csv.DictReader(io.StringIO(render("csv", run, cat, ReportOptions(waivers=waivers)))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == len(run.results)
    by = {(r["check_id"], r["resource_id"]): r for r in rows}
    tagged = by[("efs_access_point_tagged", ap("fail-untagged"))]
    assert (tagged["status"], tagged["shown_status"], tagged["waiver_owner"], tagged["waiver_expires"]) == (
        "FAIL",
        "WAIVED",
        "storage-team@example.com",
        "2027-03-31",
    )
    assert (
        tagged["controls"] == "aws-fsbp:EFS.5;iso27001-2022:5.9;nist-800-53:CM-8;pci-dss-4:12.5.1;soc2:CC6.1"
    )
    enc = by[("efs_encrypted_at_rest", FS)]
    assert (enc["severity"], enc["status"], enc["shown_status"], enc["waiver_reason"]) == (
        "high",
        "FAIL",
        "FAIL",
        "",
    )
    assert json.loads(enc["evidence"]) == {"encrypted": False}
    assert by[("efs_policy_missing", FS)]["status"] == "NOT_ASSESSED"
    assert by[("efs_cross_app_reach", CROSS)]["path"].startswith("k8s://prod/team-b/Pod/fail-reach-app-a -> ")


def test_csv_neutralises_formulas(cat):
    from auditor.model.result import Status
    from tests.report.report_fixtures import make_run, res

    r = res("efs_access_point_tagged", Status.FAIL, ap("x"), "AwsEfsAccessPoint", '=HYPERLINK("http://x")')
    rows = list(csv.DictReader(io.StringIO(render("csv", make_run([r]), cat))))
    assert rows[0]["message"] == '\'=HYPERLINK("http://x")'


# --- markdown ----------------------------------------------------------------------------------


def test_markdown_summary_findings_and_framework(run, cat, waivers):
    text = render("markdown", run, cat, ReportOptions(waivers=waivers, framework="aws-fsbp"))
    assert "**FAIL 4** · NOT_ASSESSED 1 · WAIVED 1 · PASS 3" in text
    assert (
        "| `efs_encrypted_at_rest` | high | EFS file systems are encrypted at rest | 1 of 2 | 0 of 2 | 0 of 2 "
        "| 1 of 2 |" in text
    )
    assert "### WAIVED · low · `efs_access_point_tagged`" in text
    assert (
        "- Waived: Legacy access points retired in Q1 (SEC-42) (owner storage-team@example.com, expires "
        "2027-03-31, waivers.yaml#0)" in text
    )
    assert (
        "| `EFS.1` | EFS file systems encrypt file data at rest with AWS KMS | **FAIL** | 2 | 1 | 1 | 0 | 0 |"
        in text
    )
    assert "| `EFS.5` | EFS access points are tagged | PASS | 1 | 0 | 0 | 0 | 1 |" in text
    assert "PASS · " not in text  # PASS rows are counted, not listed, by default
    assert "1 collection issues" in text


# --- ocsf --------------------------------------------------------------------------------------


def test_ocsf_validates_and_maps_statuses(run, cat, waivers):
    events = json.loads(render("ocsf", run, cat, ReportOptions(waivers=waivers)))
    validator("ocsf-1.3.0-compliance_finding.schema.json").validate(events)
    assert len(events) == len(run.results)
    by = {(e["compliance"]["control"], e["resources"][0]["uid"]): e for e in events}
    enc = by[("efs_encrypted_at_rest", FS)]
    assert (enc["class_uid"], enc["type_uid"], enc["severity_id"], enc["severity"]) == (
        2003,
        200301,
        4,
        "High",
    )
    assert (enc["compliance"]["status_id"], enc["compliance"]["status"], enc["status_id"]) == (3, "Fail", 1)
    assert enc["compliance"]["standards"] == [
        "aws-fsbp",
        "cis-aws",
        "hipaa",
        "iso27001-2022",
        "nist-800-53",
        "pci-dss-4",
        "soc2",
    ]
    assert "cis-aws:2.3.1" in enc["compliance"]["requirements"]
    assert enc["cloud"] == {
        "provider": "AWS",
        "account": {"uid": ACCOUNT, "type": "AWS Account", "type_id": 10},
        "region": REGION,
    }
    assert enc["time"] == 1795143600000
    na = by[("efs_policy_missing", FS)]
    # NOT_ASSESSED is OCSF's Other (99) named "Not assessed", not Warning: nothing was evaluated
    assert (na["compliance"]["status_id"], na["compliance"]["status"], na["compliance"]["status_code"]) == (
        99,
        "Not assessed",
        "NOT_ASSESSED",
    )
    assert na["compliance"]["status_detail"] == "file system policy could not be read: AccessDenied"
    waived = by[("efs_access_point_tagged", ap("fail-untagged"))]
    assert (waived["status_id"], waived["status"]) == (3, "Suppressed")
    assert waived["status_detail"].startswith("waived: Legacy access points")
    passed = by[("efs_encrypted_at_rest", FS.replace("fs-0a1b2c3d", "fs-pass-encrypted"))]
    assert (passed["compliance"]["status_id"], "remediation" in passed) == (1, False)
    assert "cloud" not in by[("efs_cross_app_reach", CROSS)]


# --- asff --------------------------------------------------------------------------------------


def test_asff_validates_one_finding_per_open_result(run, cat, waivers):
    findings = json.loads(render("asff", run, cat, ReportOptions(waivers=waivers)))
    validator("asff-2018-10-08.schema.json").validate(findings)
    assert sorted(
        (f["GeneratorId"], f["Resources"][0]["Id"], f["Compliance"]["Status"]) for f in findings
    ) == sorted(
        [
            ("efs-audit/efs_access_point_root_identity", ap("fail-uid0"), "FAILED"),
            ("efs-audit/efs_access_point_tagged", ap("fail-untagged"), "FAILED"),
            ("efs-audit/efs_policy_missing", FS, "NOT_AVAILABLE"),
            ("efs-audit/efs_encrypted_at_rest", FS, "FAILED"),
            ("efs-audit/efs_cross_app_reach", CROSS, "FAILED"),
            ("efs-audit/efs_unencrypted_mount", NO_TLS, "FAILED"),
        ]
    )
    by = {f["GeneratorId"]: f for f in findings}
    enc = by["efs-audit/efs_encrypted_at_rest"]
    assert enc["ProductArn"] == f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"
    assert enc["Severity"]["Label"] == "HIGH" and enc["Resources"][0]["Type"] == "Other"
    assert enc["Compliance"]["RelatedRequirements"][:3] == [
        "aws-fsbp EFS.1",
        "aws-fsbp EFS.8",
        "cis-aws 2.3.1",
    ]
    assert by["efs-audit/efs_access_point_tagged"]["Workflow"]["Status"] == "SUPPRESSED"
    assert by["efs-audit/efs_access_point_tagged"]["Note"]["UpdatedBy"] == "storage-team@example.com"
    assert by["efs-audit/efs_access_point_root_identity"]["Resources"][0]["Type"] == "AwsEfsAccessPoint"
    cross = by["efs-audit/efs_cross_app_reach"]  # a k8s result takes the run's AWS account
    assert (cross["AwsAccountId"], cross["Region"]) == (ACCOUNT, REGION)
    assert enc["CreatedAt"] == "2026-11-20T03:00:00Z"


# --- sarif -------------------------------------------------------------------------------------


def test_sarif_validates_with_rules_locations_and_suppressions(run, cat, waivers):
    doc = json.loads(render("sarif", run, cat, ReportOptions(waivers=waivers, all_results=True)))
    validator("sarif-2.1.0.schema.json").validate(doc)
    sarif_run = doc["runs"][0]
    rules = sarif_run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(cat.checks)
    results = {
        (r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]): r
        for r in sarif_run["results"]
    }
    assert len(results) == len(run.results)
    no_tls = results[("efs_unencrypted_mount", NO_TLS)]
    assert no_tls["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "manifests/pv.yaml"},
        "region": {"startLine": 12},
    }
    enc = results[("efs_encrypted_at_rest", FS)]
    assert enc["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "snapshot.json"},
        "region": {"startLine": 1},
    }
    assert (enc["kind"], enc["level"]) == ("fail", "error")
    assert rules[enc["ruleIndex"]]["id"] == "efs_encrypted_at_rest"
    expected = next(
        r.fingerprint for r in run.results if (r.check_id, r.resource_id) == ("efs_encrypted_at_rest", FS)
    )
    assert enc["partialFingerprints"] == {"efsAuditFingerprint/v1": expected}
    assert (results[("efs_policy_missing", FS)]["kind"], results[("efs_policy_missing", FS)]["level"]) == (
        "open",
        "warning",
    )
    waived = results[("efs_access_point_tagged", ap("fail-untagged"))]
    assert (
        waived["suppressions"][0]["kind"] == "external" and waived["suppressions"][0]["status"] == "accepted"
    )
    assert results[("efs_access_point_root_identity", ap("pass-app-a"))]["kind"] == "pass"


def test_sarif_schema_rejects_unknown_properties(run, cat):
    doc = json.loads(render("sarif", run, cat))
    doc["runs"][0]["results"][0]["status"] = "FAIL"
    with pytest.raises(jsonschema.ValidationError):
        validator("sarif-2.1.0.schema.json").validate(doc)


# --- junit -------------------------------------------------------------------------------------


def test_junit_testcases(run, cat, waivers):
    root = ET.fromstring(render("junit", run, cat, ReportOptions(waivers=waivers)))
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("skipped")) == (
        "testsuites",
        "9",
        "4",
        None,
    )
    assert sum(int(s.get("skipped")) for s in root.iter("testsuite")) == 2
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    assert len(cases) == 9
    assert cases[("efs_encrypted_at_rest", FS)].find("failure").get("type") == "high"
    assert cases[("efs_policy_missing", FS)].find("skipped").get("message").startswith("NOT_ASSESSED: ")
    assert cases[("efs_access_point_tagged", ap("fail-untagged"))].find("skipped").get("message") == (
        "WAIVED (FAIL): Legacy access points retired in Q1 (SEC-42)"
    )
    assert list(cases[("efs_access_point_root_identity", ap("pass-app-a"))]) == []
