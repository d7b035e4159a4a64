"""What a check returns before the pipeline adds severity, collection time and fingerprint."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditor.model.result import Status

PASS, FAIL, NOT_ASSESSED = Status.PASS, Status.FAIL, Status.NOT_ASSESSED


@dataclass(kw_only=True)
class Finding:
    check_id: str
    status: Status
    resource_id: str
    resource_type: str
    scope: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)


def finding(
    *,
    check_id: str,
    status: Status,
    resource_id: str,
    resource_type: str,
    scope: str,
    message: str,
    path: list[str] | None = None,
    **evidence: Any,
) -> Finding:
    """A NOT_ASSESSED result's message always carries its first reason."""
    reasons = evidence.get("reason")
    if status is NOT_ASSESSED and reasons and isinstance(reasons, list) and str(reasons[0]) not in message:
        message = f"{message}: {reasons[0]}"
    return Finding(
        check_id=check_id,
        status=status,
        resource_id=resource_id,
        resource_type=resource_type,
        scope=scope,
        message=message,
        evidence=evidence,
        path=path or [resource_id],
    )
