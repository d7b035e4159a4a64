"""Evaluating a snapshot shares equal pydantic fields sets between its instances (auditor.model.compact):
the values, the fields sets, equality and serialisation are those of a plain validation, and copying one
model never changes another."""

import json
from pathlib import Path

from auditor.model.compact import share_fields_sets
from auditor.model.snapshot import Snapshot, dumps, load
from auditor.pipeline import evaluate

ESTATES = Path(__file__).resolve().parent.parent / "samples" / "estates"


def _models(root):
    stack, out = [root], []
    while stack:
        obj = stack.pop()
        if isinstance(obj, Snapshot.__mro__[1]):  # any BaseModel
            out.append(obj)
            stack.extend(obj.__dict__.values())
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
    return out


def test_loaded_snapshot_shares_fields_sets_and_keeps_every_value():
    path = ESTATES / "hostile" / "snapshot.json"
    plain = Snapshot.model_validate(json.loads(path.read_text(encoding="utf-8")))
    loaded = load(path)
    evaluate(loaded)
    assert loaded == plain and dumps(loaded) == dumps(plain)
    a, b = _models(loaded), _models(plain)
    assert len(a) == len(b) > 100
    assert [m.model_fields_set for m in a] == [m.model_fields_set for m in b]
    assert len({id(m.__pydantic_fields_set__) for m in a}) < len(a) / 4  # shared
    assert share_fields_sets(loaded) == 0  # nothing left to share


def test_copying_a_model_with_a_shared_fields_set_leaves_the_others_alone():
    loaded = load(ESTATES / "production" / "snapshot.json")
    assert share_fields_sets(loaded) > 0
    first, second = loaded.access_points[0], loaded.access_points[1]
    assert first.__pydantic_fields_set__ is second.__pydantic_fields_set__
    before = set(second.model_fields_set)
    copy = first.model_copy(update={"name": "changed"})
    copy.__pydantic_fields_set__.add("extra-marker")  # a copy owns its set
    assert second.model_fields_set == before and "extra-marker" not in first.model_fields_set


def test_a_large_snapshot_is_shared_once_when_loaded():
    """From 1 MB of text a snapshot's fields sets are shared by ``loads`` (auditor.model.snapshot): the
    pipeline's own call then walks nothing, and the results are those of a snapshot shared per run."""
    import sys

    from auditor.model import compact
    from auditor.model.snapshot import _FREEZE_FROM, loads

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from synthetic import estate

    text = dumps(estate(3000))
    assert len(text) >= _FREEZE_FROM
    loaded = loads(text)
    models = _models(loaded)
    assert len({id(m.__pydantic_fields_set__) for m in models}) < 50 < len(models)
    assert share_fields_sets(loaded) == 0 and compact._DONE[id(loaded)]() is loaded
    plain = Snapshot.model_validate_json(text)
    assert share_fields_sets(plain) > 0
    assert evaluate(loaded, now=_NOW).results == evaluate(plain, now=_NOW).results
    key = id(loaded)
    del loaded, models
    assert key not in compact._DONE  # forgotten with the snapshot


_NOW = __import__("datetime").datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC)
