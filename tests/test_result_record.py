"""The result record (auditor.model.result): ``result(...)``, the pipeline's constructor without validation,
makes the same object as the validated ``Result(...)``, and both serialise and read back alike."""

from __future__ import annotations

import inspect
import sys
from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from auditor.model.result import RESULT_FIELDS, AuditRun, Result, Severity, Status, fingerprint, result


def _values() -> dict:
    return {
        "check_id": "efs_encrypted_at_rest",
        "status": Status.FAIL,
        "severity": Severity.HIGH,
        "resource_id": "arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-1",
        "resource_type": "AwsEfsFileSystem",
        "scope": "aws:111122223333:eu-west-1",
        "message": "not encrypted",
        "evidence": {"encrypted": False, "nested": {"list": [1, None]}},
        "path": ["a", "b"],
        "depends_on": ("aws:111122223333:eu-west-1/efs/DescribeFileSystems",),
        "collected_at": datetime(2026, 1, 1, tzinfo=UTC),
        "collection_method": "aws-api",
        "fingerprint": fingerprint("efs_encrypted_at_rest", "fs-1"),
    }


def test_the_fast_constructor_equals_the_validated_one():
    values = _values()
    assert tuple(values) == RESULT_FIELDS
    assert tuple(inspect.signature(result).parameters) == RESULT_FIELDS  # every field, in order
    fast, slow = result(**values), Result(**values)
    assert fast == slow and repr(fast) == repr(slow)
    assert [getattr(fast, n) for n in RESULT_FIELDS] == [getattr(slow, n) for n in RESULT_FIELDS]
    many = TypeAdapter(list[Result])
    assert many.dump_json([fast], indent=1) == many.dump_json([slow], indent=1)
    assert many.validate_json(many.dump_json([fast])) == [slow]


def test_a_result_is_a_small_frozen_record():
    r = result(*_values().values())
    assert not hasattr(r, "__dict__") and sys.getsizeof(r) <= 160
    with pytest.raises(AttributeError):
        r.status = Status.PASS  # type: ignore[misc]
    assert r.replace(status=Status.PASS).status is Status.PASS and r.status is Status.FAIL


def test_the_fast_constructor_takes_every_field_and_input_is_validated():
    with pytest.raises(TypeError):
        result(*list(_values().values())[:-1])
    with pytest.raises(ValidationError):
        Result(**{**_values(), "nope": 1})
    with pytest.raises(ValidationError):
        Result(**{**_values(), "status": "MAYBE"})
    run = {
        "tool_version": "x",
        "generated_at": "2026-01-01T00:00:00Z",
        "snapshot_digest": "d",
        "catalogue_digest": "c",
        "parameters": {},
        "units": [],
        "issues": [],
        "results": [{**_values(), "status": "PASS", "extra": 1}],
    }
    with pytest.raises(ValidationError):
        AuditRun.model_validate(run)
    del run["results"][0]["extra"]
    assert AuditRun.model_validate(run).results[0].status is Status.PASS
