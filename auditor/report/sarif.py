"""SARIF 2.1.0 for code-scanning dashboards: one rule per catalogue check, one result per result.

kind/level: FAIL -> kind "fail" with a level from the severity; NOT_ASSESSED -> kind "open" (the
rule was evaluated but the information was insufficient), level "warning"; PASS -> kind "pass",
level "none". A waived result carries an external, accepted suppression with the reason; a
baseline sets baselineState.

Only FAIL results are listed by default (waived ones with their suppression), as code-scanning
services expect; ReportOptions.all_results lists PASS and NOT_ASSESSED too. What was left out is
counted in the run's properties, and NOT_ASSESSED results are also reported as a tool execution
notification, so an incomplete evaluation is never silent.

Every result has a physicalLocation: the IaC or manifest file and line from its evidence
(source_file, source_line), otherwise the file it was evaluated from (ReportOptions.source_uri, the
snapshot by default) at the first line naming the resource (line 1 when none does). A
logicalLocation names the resource. partialFingerprints carries Result.fingerprint, stable across runs.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from auditor.model.result import Status
from auditor.report.view import ReportOptions, Row, View, build

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
KIND = {Status.PASS: "pass", Status.FAIL: "fail", Status.NOT_ASSESSED: "open"}
BASELINE = {
    "NEW": "new",
    "UNCHANGED": "unchanged",
    "NOT_REASSESSED": "updated",
}  # updated: FAIL before, NOT_ASSESSED now


def _rules(view: View) -> list[dict]:
    rules = []
    for check_id, meta in view.catalogue.checks.items():
        fix = "\n".join(f"- {k}: {v}" for k, v in meta.remediation.items())
        rule = {
            "id": check_id,
            "name": "".join(p.capitalize() for p in check_id.split("_")),
            "shortDescription": {"text": meta.title},
            "fullDescription": {"text": meta.description},
            "help": {
                "text": f"{meta.risk}\n\nRemediation:\n{fix}",
                "markdown": f"**Risk.** {meta.risk}\n\n**Remediation**\n\n{fix}",
            },
            "defaultConfiguration": {"level": LEVEL[meta.severity.value]},
            "properties": {
                "tags": ["security", "efs"] + view.controls(check_id),
                "security-severity": SECURITY_SEVERITY[meta.severity.value],
                "severity": meta.severity.value,
                "precision": "high",
            },
        }
        if meta.references:
            rule["helpUri"] = meta.references[0]
        rules.append(rule)
    return rules


DEFAULT_SOURCE = "snapshot.json"  # the snapshot's name in an evidence bundle
_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def line_index(text: str | None) -> dict[str, int]:
    """First line (1-based) on which each JSON string literal of a document appears. One pass."""
    index: dict[str, int] = {}
    for n, line in enumerate((text or "").splitlines(), start=1):
        for m in _STRING.finditer(line):
            index.setdefault(m.group(1), n)
    return index


def _location(row: Row, source: str, lines: dict[str, int]) -> dict:
    r = row.result
    logical = [
        {
            "name": r.resource_id.rsplit("/", 1)[-1] or r.resource_id,
            "fullyQualifiedName": r.resource_id,
            "kind": "resource",
        }
    ]
    src = r.evidence.get("source_file") if isinstance(r.evidence, dict) else None
    line = r.evidence.get("source_line") if isinstance(src, str) and src else None
    if not (isinstance(src, str) and src):
        src, line = source, lines.get(r.resource_id, 1)
    if not (isinstance(line, int) and not isinstance(line, bool) and line >= 1):
        line = 1
    phys = {"artifactLocation": {"uri": src.replace("\\", "/")}, "region": {"startLine": line}}
    return {"physicalLocation": phys, "logicalLocations": logical}


def _result(view: View, row: Row, index: dict[str, int], source: str, lines: dict[str, int]) -> dict:
    r = row.result
    out: dict = {
        "ruleId": r.check_id,
        "kind": KIND[r.status],
        "level": "none"
        if r.status is Status.PASS
        else ("warning" if r.status is Status.NOT_ASSESSED else LEVEL[r.severity.value]),
        "message": {"text": f"{r.message} [{r.resource_id}]"},
        "locations": [_location(row, source, lines)],
        "partialFingerprints": {"efsAuditFingerprint/v1": r.fingerprint},
        "properties": {
            "status": r.status.value,
            "shownStatus": row.shown,
            "severity": r.severity.value,
            "resourceType": r.resource_type,
            "scope": r.scope,
            "path": r.path,
            "evidence": r.evidence,
        },
    }
    if r.check_id in index:
        out["ruleIndex"] = index[r.check_id]
    if row.waiver:
        w = row.waiver
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{w.reason} (owner {w.owner}, expires {w.expires.isoformat()})",
            }
        ]
    if row.note:
        out["properties"]["note"] = row.note
    if row.change:
        out["baselineState"] = BASELINE[row.change]
    return out


def document(run, catalogue, options: ReportOptions | None = None) -> dict:
    view = build(run, catalogue, options)
    opts = view.options
    rules = _rules(view)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    source = opts.source_uri or DEFAULT_SOURCE
    lines = line_index(opts.source_text)
    listed = [row for row in view.rows if opts.all_results or row.result.status is Status.FAIL]
    raw = Counter(row.result.status for row in view.rows)
    left_out = {} if opts.all_results else {s.value: raw[s] for s in (Status.PASS, Status.NOT_ASSESSED)}
    not_assessed = raw[Status.NOT_ASSESSED]
    invocation: dict = {
        "executionSuccessful": run.complete,
        "endTimeUtc": run.generated_at.isoformat().replace("+00:00", "Z"),
    }
    if not_assessed or not run.complete:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "warning",
                "descriptor": {"id": "not-assessed"},
                "message": {
                    "text": f"{not_assessed} results are NOT_ASSESSED and {len(run.issues)} collection issues "
                    "were recorded: those resources were not evaluated (see the run JSON)."
                },
            }
        ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "efs-audit",
                        "fullName": "efs-identity-auditor",
                        "version": run.tool_version,
                        "semanticVersion": run.tool_version,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"efs-audit/{run.generated_at.isoformat()}"},
                "invocations": [invocation],
                "results": [_result(view, row, index, source, lines) for row in listed],
                "properties": {
                    "snapshotDigest": run.snapshot_digest,
                    "catalogueDigest": run.catalogue_digest,
                    "resultsLeftOut": left_out,
                },
            }
        ],
    }


def render(run, catalogue, options: ReportOptions | None = None) -> str:
    return json.dumps(document(run, catalogue, options), indent=1, default=str) + "\n"
