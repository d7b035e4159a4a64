"""SARIF 2.1.0 for code-scanning dashboards: one rule per catalogue check, one result per result.

kind/level: FAIL -> kind "fail" with a level from the severity; NOT_ASSESSED -> kind "open" (the
rule was evaluated but the information was insufficient), level "warning"; PASS -> kind "pass",
level "none". A waived result carries an external, accepted suppression with the reason; a
baseline sets baselineState. Locations: evidence with source_file (and source_line) gives a
physicalLocation (manifests, task definition files); otherwise a logicalLocation names the
resource. partialFingerprints carries Result.fingerprint, stable across runs.
"""

from __future__ import annotations

import json

from auditor.model.result import Status
from auditor.report.view import ReportOptions, Row, View, build

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
KIND = {Status.PASS: "pass", Status.FAIL: "fail", Status.NOT_ASSESSED: "open"}
BASELINE = {"NEW": "new", "UNCHANGED": "unchanged", "NOT_REASSESSED": "updated"}  # updated: FAIL before, NOT_ASSESSED now


def _rules(view: View) -> list[dict]:
    rules = []
    for check_id, meta in view.catalogue.checks.items():
        fix = "\n".join(f"- {k}: {v}" for k, v in meta.remediation.items())
        rule = {
            "id": check_id,
            "name": "".join(p.capitalize() for p in check_id.split("_")),
            "shortDescription": {"text": meta.title},
            "fullDescription": {"text": meta.description},
            "help": {"text": f"{meta.risk}\n\nRemediation:\n{fix}",
                     "markdown": f"**Risk.** {meta.risk}\n\n**Remediation**\n\n{fix}"},
            "defaultConfiguration": {"level": LEVEL[meta.severity.value]},
            "properties": {"tags": ["security", "efs"] + view.controls(check_id),
                           "security-severity": SECURITY_SEVERITY[meta.severity.value],
                           "severity": meta.severity.value, "precision": "high"},
        }
        if meta.references:
            rule["helpUri"] = meta.references[0]
        rules.append(rule)
    return rules


def _location(row: Row) -> dict:
    r = row.result
    src = r.evidence.get("source_file") if isinstance(r.evidence, dict) else None
    if isinstance(src, str) and src:
        phys: dict = {"artifactLocation": {"uri": src.replace("\\", "/")}}
        line = r.evidence.get("source_line")
        if isinstance(line, int) and not isinstance(line, bool) and line >= 1:
            phys["region"] = {"startLine": line}
        return {"physicalLocation": phys,
                "logicalLocations": [{"fullyQualifiedName": r.resource_id, "kind": "resource"}]}
    return {"logicalLocations": [{"name": r.resource_id.rsplit("/", 1)[-1] or r.resource_id,
                                  "fullyQualifiedName": r.resource_id, "kind": "resource"}]}


def _result(view: View, row: Row, index: dict[str, int]) -> dict:
    r = row.result
    out: dict = {
        "ruleId": r.check_id,
        "kind": KIND[r.status],
        "level": "none" if r.status is Status.PASS else (
            "warning" if r.status is Status.NOT_ASSESSED else LEVEL[r.severity.value]),
        "message": {"text": f"{r.message} [{r.resource_id}]"},
        "locations": [_location(row)],
        "partialFingerprints": {"efsAuditFingerprint/v1": r.fingerprint},
        "properties": {"status": r.status.value, "shownStatus": row.shown, "severity": r.severity.value,
                       "resourceType": r.resource_type, "scope": r.scope, "path": r.path, "evidence": r.evidence},
    }
    if r.check_id in index:
        out["ruleIndex"] = index[r.check_id]
    if row.waiver:
        w = row.waiver
        out["suppressions"] = [{"kind": "external", "status": "accepted",
                                "justification": f"{w.reason} (owner {w.owner}, expires {w.expires.isoformat()})"}]
    if row.note:
        out["properties"]["note"] = row.note
    if row.change:
        out["baselineState"] = BASELINE[row.change]
    return out


def document(run, catalogue, options: ReportOptions | None = None) -> dict:
    view = build(run, catalogue, options)
    rules = _rules(view)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "efs-audit", "fullName": "efs-identity-auditor",
                                "version": run.tool_version, "semanticVersion": run.tool_version,
                                "rules": rules}},
            "automationDetails": {"id": f"efs-audit/{run.generated_at.isoformat()}"},
            "invocations": [{"executionSuccessful": run.complete,
                             "endTimeUtc": run.generated_at.isoformat().replace("+00:00", "Z")}],
            "results": [_result(view, row, index) for row in view.rows],
            "properties": {"snapshotDigest": run.snapshot_digest, "catalogueDigest": run.catalogue_digest},
        }],
    }


def render(run, catalogue, options: ReportOptions | None = None) -> str:
    return json.dumps(document(run, catalogue, options), indent=1, default=str) + "\n"
