"""OCSF 1.x Compliance Finding events (class_uid 2003), one per result, as a JSON array.

Mapping: compliance.status_id 1 Pass / 3 Fail / 99 Other with status "Not assessed" (NOT_ASSESSED: the
check could not yield a result, the reason in status_detail; never Warning, which would claim an
evaluation, and not 0 Unknown, which some OCSF 1.3.0 consumers' models refuse for compliance; 99 is
in every version's enum, and OCSF lets the source name the status when status_id is Other); finding
status_id 1 New, or 3 Suppressed for a waived result (the waiver in status_detail); severity_id
from the catalogue severity; compliance.standards and requirements from the check's framework
mappings; resources[0] is the evaluated resource with its evidence.
"""

from __future__ import annotations

import json

from auditor.model.result import Status
from auditor.report.view import ReportOptions, Row, View, arn_partition, build, scope_parts

OCSF_VERSION = "1.3.0"
CLASS_UID, CATEGORY_UID, ACTIVITY_CREATE = 2003, 2, 1
SEVERITY_ID = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
SEVERITY_NAME = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
COMPLIANCE = {Status.PASS: (1, "Pass"), Status.FAIL: (3, "Fail"), Status.NOT_ASSESSED: (99, "Not assessed")}


def _ms(dt) -> int:
    return int(dt.timestamp() * 1000)


def event(view: View, row: Row) -> dict:
    r = row.result
    meta = view.meta(r.check_id)
    run = view.run
    sev = SEVERITY_ID[r.severity.value]
    c_id, c_name = COMPLIANCE[r.status]
    standards = sorted(meta.frameworks) if meta else []
    requirements = view.controls(r.check_id)
    account, region = scope_parts(r.scope)
    resource: dict = {"uid": r.resource_id, "type": r.resource_type, "data": r.evidence}
    if region:
        resource["region"] = region
    if r.resource_id.startswith("arn:"):
        resource["cloud_partition"] = arn_partition(r.resource_id)
    compliance: dict = {
        "standards": standards or ["efs-identity-auditor"],
        "control": r.check_id,
        "status_id": c_id,
        "status": c_name,
        "status_code": r.status.value,
        "status_detail": r.message,
    }
    if requirements:
        compliance["requirements"] = requirements
    out: dict = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "time": _ms(run.generated_at),
        "severity_id": sev,
        "severity": SEVERITY_NAME[sev],
        "message": r.message,
        "status_id": 3 if row.waiver else 1,
        "status": "Suppressed" if row.waiver else "New",
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": "efs-identity-auditor",
                "vendor_name": "efs-identity-auditor",
                "version": run.tool_version,
            },
            "event_code": r.check_id,
            "uid": r.fingerprint,
        },
        "finding_info": {
            "uid": r.fingerprint,
            "title": meta.title if meta else r.check_id,
            "desc": meta.description if meta else r.message,
            "types": [r.check_id],
            "created_time": _ms(run.generated_at),
        },
        "compliance": compliance,
        "resources": [resource],
        "unmapped": {
            "path": r.path,
            "scope": r.scope,
            "collection_method": r.collection_method,
            "shown_status": row.shown,
        },
    }
    if r.collected_at:
        out["finding_info"]["last_seen_time"] = _ms(r.collected_at)
    if row.waiver:
        w = row.waiver
        out["status_detail"] = f"waived: {w.reason} (owner {w.owner}, expires {w.expires.isoformat()})"
    elif row.note:
        out["status_detail"] = row.note
    if row.change:
        out["unmapped"]["baseline"] = row.change
    if account:
        out["cloud"] = {"provider": "AWS", "account": {"uid": account, "type": "AWS Account", "type_id": 10}}
        if region:
            out["cloud"]["region"] = region
    if meta and row.is_open:
        out["remediation"] = {
            "desc": meta.remediation.get("console") or next(iter(meta.remediation.values())),
            "references": list(meta.references),
        }
    return out


def render(run, catalogue, options: ReportOptions | None = None) -> str:
    view = build(run, catalogue, options)
    return json.dumps([event(view, row) for row in view.rows], indent=1, default=str) + "\n"
