"""What a check returns before the pipeline adds severity, collection time and fingerprint."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditor.model.result import Status
from auditor.model.scope import aws_scope

PASS, FAIL, NOT_ASSESSED = Status.PASS, Status.FAIL, Status.NOT_ASSESSED


def scope_of(r: Any) -> str:
    """The collection scope of an AWS resource: its account and region (the pipeline shares one string
    per scope among the results)."""
    return aws_scope(r.account_id, r.region)


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


@dataclass(frozen=True, slots=True)
class Subject:
    """The resource a check's results are about, named once: ``on = Subject(check_id, arn, type, scope)``,
    then one call per verdict, ``on(PASS, "message", evidence_key=value)``."""

    check_id: str
    resource_id: str
    resource_type: str
    scope: str

    def __call__(
        self, status: Status, message: str, path: list[str] | None = None, **evidence: Any
    ) -> Finding:
        """A NOT_ASSESSED result's message always carries its first reason."""
        reasons = evidence.get("reason")
        if (
            status is NOT_ASSESSED
            and reasons
            and isinstance(reasons, list)
            and str(reasons[0]) not in message
        ):
            message = f"{message}: {reasons[0]}"
        # Finding(...) filled in one dict update: the same object without the dataclass __init__'s keyword
        # handling (a million findings at 100k access points)
        f = _new(Finding)
        f.__dict__.update(
            check_id=self.check_id,
            status=status,
            resource_id=self.resource_id,
            resource_type=self.resource_type,
            scope=self.scope,
            message=message,
            evidence=evidence,
            path=path or [self.resource_id],
        )
        return f


_new = object.__new__


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
    return Subject(check_id, resource_id, resource_type, scope)(status, message, path, **evidence)
