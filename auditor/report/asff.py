"""AWS Security Finding Format: the list `aws securityhub batch-import-findings --findings` takes
(at most 100 per call; split larger lists), one finding per FAIL or NOT_ASSESSED result.

Compliance.Status is FAILED or NOT_AVAILABLE (PASSED for a result that is rendered with include_pass,
as the Security Hub import does: a finding's Id is its fingerprint, so the import of a PASS turns the
earlier FAILED finding of the same check and resource PASSED; its workflow status stays the reviewers');
RelatedRequirements are "<framework> <control>" from the catalogue (at most 32);
a waived result is created with Workflow.Status SUPPRESSED (an existing finding keeps the workflow its
reviewers gave it) and the waiver in Note.
Findings land in the account's default product: arn:<partition>:securityhub:<region>:<account>:
product/<account>/default.
"""

from __future__ import annotations

import json

from auditor.model.arn import Arn
from auditor.model.result import Status
from auditor.model.snapshot import InputError
from auditor.report.view import ReportOptions, Row, View, arn_partition, build, scope_parts

SCHEMA_VERSION = "2018-10-08"
LABEL = {"info": "INFORMATIONAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH", "critical": "CRITICAL"}
NORMALIZED = {"info": 0, "low": 1, "medium": 40, "high": 70, "critical": 90}
STATUS = {Status.PASS: "PASSED", Status.FAIL: "FAILED", Status.NOT_ASSESSED: "NOT_AVAILABLE"}
# ASFF resource types this tool's resource types map to one-to-one; anything else is "Other".
ASFF_TYPES = {
    "AwsEfsAccessPoint",
    "AwsEcsTaskDefinition",
    "AwsEcsService",
    "AwsEc2SecurityGroup",
    "AwsEc2Subnet",
    "AwsLambdaFunction",
    "AwsIamRole",
}
TYPE = "Software and Configuration Checks/Industry and Regulatory Standards/efs-identity-auditor"


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _iso(dt) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _where(view: View, row: Row) -> tuple[str, str, str]:
    """(account, region, partition) of a result: its scope, else its ARN, else the run's AWS unit."""
    r = row.result
    account, region = scope_parts(r.scope)
    if arn := Arn.maybe(r.resource_id):
        account = account or arn.account or None
        region = region or arn.region or None
    for u in view.run.units:
        a, g = scope_parts(u.scope)
        account, region = account or a, region or g
    if not account:
        raise InputError(f"asff: no AWS account for {r.resource_id} (the run has no aws:<account> unit)")
    return account, region or "us-east-1", arn_partition(r.resource_id)


def finding(view: View, row: Row) -> dict:
    r = row.result
    meta = view.meta(r.check_id)
    account, region, partition = _where(view, row)
    related = [f"{c.split(':', 1)[0]} {c.split(':', 1)[1]}" for c in view.controls(r.check_id)][:32]
    resource = {
        "Type": r.resource_type if r.resource_type in ASFF_TYPES else "Other",
        "Id": r.resource_id,
        "Partition": partition,
        "Region": region,
        "Details": {"Other": {"ResourceType": _cut(r.resource_type, 1024), "Scope": _cut(r.scope, 1024)}},
    }
    out: dict = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": f"efs-audit/{r.check_id}/{r.fingerprint}",
        "ProductArn": str(Arn(partition, "securityhub", region, account, f"product/{account}/default")),
        "GeneratorId": f"efs-audit/{r.check_id}",
        "AwsAccountId": account,
        "Types": [TYPE],
        "CreatedAt": _iso(view.run.generated_at),
        "UpdatedAt": _iso(view.run.generated_at),
        "Severity": {
            "Label": LABEL[r.severity.value],
            "Normalized": NORMALIZED[r.severity.value],
            "Original": r.severity.value,
        },
        "Title": _cut(meta.title if meta else r.check_id, 256),
        "Description": _cut(r.message, 1024),
        "Resources": [resource],
        "Compliance": {
            "Status": STATUS[r.status],
            "RelatedRequirements": related,
            "StatusReasons": [
                {"ReasonCode": _cut(r.status.value, 256), "Description": _cut(r.message, 2048)}
            ],
        },
        "RecordState": "ACTIVE",
        "ProductFields": {
            "efs-audit/CheckId": r.check_id,
            "efs-audit/Fingerprint": r.fingerprint,
            "efs-audit/Scope": r.scope,
            "efs-audit/ShownStatus": row.shown,
            "efs-audit/Path": _cut(" -> ".join(r.path), 2048),
            "efs-audit/Evidence": _cut(json.dumps(r.evidence, sort_keys=True, default=str), 2048),
        },
        "Region": region,
    }
    if r.status is not Status.PASS:
        # Workflow is the reviewers' once a finding exists (BatchImportFindings does not update it): it is
        # set here for a new finding only; a PASS leaves it to Security Hub, which reopens a finding
        # whose compliance status turns FAILED again.
        out["Workflow"] = {"Status": "SUPPRESSED" if row.waiver else "NEW"}
    if row.change:
        out["ProductFields"]["efs-audit/Baseline"] = row.change
    if meta:
        fix = meta.remediation.get("console") or next(iter(meta.remediation.values()))
        out["Remediation"] = {"Recommendation": {"Text": _cut(fix, 512)}}
        if meta.references:
            out["Remediation"]["Recommendation"]["Url"] = meta.references[0]
    if row.waiver:
        w = row.waiver
        out["Note"] = {
            "Text": _cut(f"Waived until {w.expires.isoformat()}: {w.reason}", 512),
            "UpdatedBy": _cut(w.owner, 512),
            "UpdatedAt": _iso(view.run.generated_at),
        }
    elif row.note:
        w = row.expired_waiver
        out["Note"] = {
            "Text": _cut(row.note, 512),
            "UpdatedBy": _cut(w.owner, 512),
            "UpdatedAt": _iso(view.run.generated_at),
        }
    return out


def render(run, catalogue, options: ReportOptions | None = None) -> str:
    view = build(run, catalogue, options)
    rows = [row for row in view.rows if row.result.status is not Status.PASS or view.options.include_pass]
    return json.dumps([finding(view, row) for row in rows], indent=1, default=str) + "\n"
