"""The one-pass snapshot loader (pydantic JSON mode) reads every sample exactly as the two-step
json.loads + model_validate path did, and still rejects what that path rejected, with the same line."""

import json
from pathlib import Path

import pytest

from auditor.model.snapshot import InputError, Snapshot, dumps, loads

ESTATES = Path(__file__).resolve().parent.parent / "samples" / "estates"


@pytest.mark.parametrize("name", ["wellconfigured", "production", "hostile"])
def test_one_pass_load_equals_the_two_step_validation(name):
    text = (ESTATES / name / "snapshot.json").read_text(encoding="utf-8")
    fast, slow = loads(text), Snapshot.model_validate(json.loads(text))
    assert fast == slow
    assert dumps(fast) == dumps(slow)


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            '{"file_systems": []}',
            "schema_version: expected '1', found None",
        ),  # valid model, version not stated
        ('{"schema_version": "1", "access_points": [{"arn": 5}]}', "access_points.0.arn"),
        ('{"schema_version": "1", "roles": [], "unknown": 1}', "unknown: Extra inputs are not permitted"),
    ],
)
def test_what_the_two_step_path_rejected_is_still_rejected_with_its_message(text, expected):
    with pytest.raises(InputError, match=expected):
        loads(text)


def test_loading_pauses_the_cyclic_collector_and_restores_the_callers_setting():
    """A snapshot holds no reference cycles, so the collector is paused while it is validated
    (auditor.model.gc_pause); whatever the caller had set is back afterwards, also after bad input."""
    import gc

    text = (ESTATES / "production" / "snapshot.json").read_text(encoding="utf-8")
    assert gc.isenabled()
    loads(text)
    with pytest.raises(InputError):
        loads('{"schema_version": "1", "roles": 5}')
    assert gc.isenabled()
    gc.disable()
    try:
        loads(text)
        assert not gc.isenabled()
    finally:
        gc.enable()
    gc.collect()
    snapshot = loads(text)
    assert gc.collect() == 0 and snapshot.access_points  # nothing cyclic was left behind
