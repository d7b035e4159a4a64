"""Check results and the audit run that carries them to the reports."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import Field

from auditor.model.base import Model
from auditor.model.snapshot import CollectionIssue, CollectionUnit
from auditor.model.status import SEVERITY_ORDER as SEVERITY_ORDER
from auditor.model.status import Severity, Status

RUN_SCHEMA_VERSION = "1"


class Result(Model):
    check_id: str
    status: Status
    severity: Severity
    resource_id: str  # ARN or k8s:// reference
    resource_type: str  # e.g. AwsEfsAccessPoint, AwsEcsTaskDefinition, KubernetesDeployment
    scope: str  # collection unit: aws:<account>:<region> or k8s:<cluster>
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    path: list[str] = Field(default_factory=list)  # graph node ids that explain the verdict
    depends_on: tuple[str, ...] = ()  # fact ids the verdict rests on (auditor.model.facts)
    collected_at: datetime | None = None
    collection_method: str | None = None
    fingerprint: str = ""

    def with_fingerprint(self) -> Result:
        return self.model_copy(update={"fingerprint": fingerprint(self.check_id, self.resource_id)})


def fingerprint(check_id: str, resource_id: str) -> str:
    """Stable across runs: depends only on the check and the resource, never on wording."""
    return hashlib.sha256(f"{check_id}\x00{resource_id}".encode()).hexdigest()[:32]


class AuditRun(Model):
    schema_version: str = RUN_SCHEMA_VERSION
    tool_version: str
    generated_at: datetime
    snapshot_digest: str
    catalogue_digest: str
    parameters: dict[str, Any]
    units: list[CollectionUnit]
    issues: list[CollectionIssue]
    results: list[Result]

    @property
    def complete(self) -> bool:
        # A run that read nothing is never complete, however empty its issue list.
        return bool(self.units) and not self.issues and all(u.complete for u in self.units)
