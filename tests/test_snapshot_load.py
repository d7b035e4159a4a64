"""Loading a snapshot: the fast path (pydantic's JSON mode) is taken only for text without an integer
longer than the safe reader allows (auditor.inputs), which names the problem instead."""

from __future__ import annotations

import json

import pytest

from auditor.model.snapshot import MAX_DIGITS_RUN, InputError, Snapshot, _long_digit_run, dumps, loads


def test_a_run_of_digits_longer_than_the_limit_is_found_anywhere_in_the_text():
    limit = "7" * MAX_DIGITS_RUN
    assert not _long_digit_run(f'{{"a": {limit}, "b": "x{limit}y"}}')
    assert _long_digit_run(f'{{"a": 1{limit}}}')
    assert _long_digit_run(f'{{"a": "x{limit}0"}}')
    assert not _long_digit_run("é" * 100 + limit)


def test_a_snapshot_with_an_over_long_integer_is_refused_in_one_line():
    doc = json.loads(dumps(Snapshot()))
    text = json.dumps(doc)[:-1] + ', "x": ' + "9" * (MAX_DIGITS_RUN + 1) + "}"
    with pytest.raises(InputError, match="digits"):
        loads(text, "s.json")


def test_a_snapshot_loads_the_same_values_on_the_fast_path():
    s = Snapshot()
    assert loads(dumps(s)) == s
