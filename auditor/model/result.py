"""Check results and the audit run that carries them to the reports."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from auditor.model.base import Model
from auditor.model.snapshot import CollectionIssue, CollectionUnit
from auditor.model.status import SEVERITY_ORDER as SEVERITY_ORDER
from auditor.model.status import Severity, Status

RUN_SCHEMA_VERSION = "1"


@dataclass(frozen=True, slots=True, config=ConfigDict(extra="forbid"))
class Result:
    """One verdict. A slotted (pydantic) dataclass rather than a model: a run holds a million of them at 100k
    access points, and a model's per-instance dict and fields set took 376 bytes of each, this takes 136.
    Validated when constructed (``Result(...)``, and inside ``AuditRun`` read from JSON); the pipeline, whose
    values come from typed code, builds them with ``result`` below."""

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

    def replace(self, **changes: Any) -> Result:
        """A copy with ``changes`` (validated, like any constructed Result)."""
        return dataclasses.replace(self, **changes)

    def with_fingerprint(self) -> Result:
        return self.replace(fingerprint=fingerprint(self.check_id, self.resource_id))


RESULT_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Result))
_NEW = object.__new__
(
    _CHECK_ID,
    _STATUS,
    _SEVERITY,
    _RESOURCE_ID,
    _RESOURCE_TYPE,
    _SCOPE,
    _MESSAGE,
    _EVIDENCE,
    _PATH,
    _DEPENDS_ON,
) = (Result.__dict__[name].__set__ for name in RESULT_FIELDS[:10])
_COLLECTED_AT, _COLLECTION_METHOD, _FINGERPRINT = (
    Result.__dict__[name].__set__ for name in RESULT_FIELDS[10:]
)


def result(
    check_id: str,
    status: Status,
    severity: Severity,
    resource_id: str,
    resource_type: str,
    scope: str,
    message: str,
    evidence: dict[str, Any],
    path: list[str],
    depends_on: tuple[str, ...],
    collected_at: datetime | None,
    collection_method: str | None,
    fingerprint: str,
) -> Result:
    """``Result(...)`` without validation, every field given, in order: only for values built by the
    auditor's own typed code, never for input (a third of the validated constructor's cost).
    tests/test_result_record.py holds the equality with the validated constructor, field by field."""
    obj = _NEW(Result)
    _CHECK_ID(obj, check_id)
    _STATUS(obj, status)
    _SEVERITY(obj, severity)
    _RESOURCE_ID(obj, resource_id)
    _RESOURCE_TYPE(obj, resource_type)
    _SCOPE(obj, scope)
    _MESSAGE(obj, message)
    _EVIDENCE(obj, evidence)
    _PATH(obj, path)
    _DEPENDS_ON(obj, depends_on)
    _COLLECTED_AT(obj, collected_at)
    _COLLECTION_METHOD(obj, collection_method)
    _FINGERPRINT(obj, fingerprint)
    return obj


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
