"""AWS Backup: which EFS file systems a backup plan protects (ListProtectedResources, pages)."""

from __future__ import annotations

from auditor.collectors.aws.unit import CALL_ERRORS, Unit

SERVICE = "backup"


def collect(unit: Unit) -> dict:
    """``{"protected": set of resource ARNs}``, or ``None`` for the set when it could not be read."""
    api = unit.api(SERVICE)
    try:
        arns = {
            r["ResourceArn"]
            for page in api.pages("ListProtectedResources")
            for r in page.get("Results", [])
            if r.get("ResourceArn")
        }
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, "ListProtectedResources", exc)
        arns = None
    return {"protected": arns}
