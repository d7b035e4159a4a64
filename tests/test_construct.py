"""auditor.model.construct.Builder makes the same objects as pydantic's model_construct."""

import pytest

from auditor.model.construct import Builder
from auditor.model.result import Result, Severity, Status


def _values():
    return {
        "check_id": "c",
        "status": Status.FAIL,
        "severity": Severity.HIGH,
        "resource_id": "arn:x",
        "resource_type": "T",
        "scope": "aws:1:eu-west-1",
        "message": "m",
        "evidence": {"a": [1]},
        "path": ["arn:x"],
        "depends_on": ("aws:1:eu-west-1/efs/DescribeFileSystems",),
        "collected_at": None,
        "collection_method": "sample",
        "fingerprint": "f",
    }


def test_builder_equals_model_construct_in_value_fields_and_json():
    built = Builder(Result)(_values())
    expected = Result.model_construct(**_values())
    assert built == expected
    assert built.model_fields_set == expected.model_fields_set
    assert built.model_dump_json(indent=1) == expected.model_dump_json(indent=1)
    assert Result.model_validate_json(built.model_dump_json()) == expected
    assert built.model_copy(update={"message": "n"}).message == "n"


def test_left_out_fields_get_their_defaults_and_missing_required_ones_are_an_error():
    values = _values()
    for name in ("evidence", "path", "depends_on", "collected_at", "collection_method", "fingerprint"):
        values.pop(name)
    a, b = Builder(Result)(dict(values)), Builder(Result)(dict(values))
    assert (a.evidence, a.path, a.fingerprint, a.collected_at) == ({}, [], "", None)
    assert a.evidence is not b.evidence  # default_factory: one per instance
    with pytest.raises(TypeError, match="check_id"):
        Builder(Result)({k: v for k, v in values.items() if k != "check_id"})
    with pytest.raises(TypeError, match="unknown"):
        Builder(Result)({**values, "nope": 1})


def test_instances_share_one_key_table_and_keep_the_field_order():
    import sys

    built = Builder(Result)(dict(reversed(list(_values().items()))))
    assert list(built.__dict__) == list(Result.model_fields)
    assert built.__dict__ == _values()
    assert sys.getsizeof(built.__dict__) < sys.getsizeof(dict(built.__dict__))


def test_as_many_fields_as_the_model_but_one_unknown_is_an_error():
    values = _values()
    values.pop("fingerprint")
    with pytest.raises(TypeError, match="unknown"):
        Builder(Result)({**values, "nope": 1})
