"""Less memory for a loaded snapshot, the same values.

pydantic gives every model instance its own ``__pydantic_fields_set__`` (the names of the fields the input
gave): a set of ten names takes 728 bytes, more than the access point that owns it, and a snapshot of 100k
access points holds about a million of these sets. Models here are frozen, so nothing mutates these sets
(``model_copy`` copies its own): ``share_fields_sets`` makes instances with equal sets share one.
Values, equality, validation state and serialisation are unchanged (tests/test_compact.py).
"""

from __future__ import annotations

import weakref
from typing import get_args

from pydantic import BaseModel

_set = object.__setattr__
# id(root) -> a weak reference to a root whose models were shared: a second call on it walks nothing (a
# large snapshot is shared once, when it is loaded; at 100k access points the walk takes 1.4 s)
_DONE: dict[int, weakref.ref] = {}


def share_fields_sets(root: BaseModel) -> int:
    """Walk the models under ``root`` (through the fields whose type can hold a model, and the lists,
    tuples and dict values there) and share equal fields sets; returns how many instances now share one.
    Only frozen models are touched. A root already shared, and not copied since, is not walked again."""
    done = _DONE.get(id(root))
    if done is not None and done() is root:
        return 0
    shared: dict[frozenset, set] = {}
    by_class: dict[type, tuple[set | None, tuple[str, ...]]] = {}
    count = 0
    stack: list = [root]
    pop, push = stack.pop, stack.append
    while stack:
        obj = pop()
        if isinstance(obj, BaseModel):
            cls = type(obj)
            known = by_class.get(cls)
            if known is None:
                known = by_class[cls] = (None, _model_fields(cls))
            fs = obj.__pydantic_fields_set__
            same = known[0]
            if same is None or same != fs:
                if cls.model_config.get("frozen"):
                    same = shared.setdefault(frozenset(fs), fs)
                    by_class[cls] = (same, known[1])
                else:
                    same = fs
            if same is not fs:
                _set(obj, "__pydantic_fields_set__", same)
                count += 1
            d = obj.__dict__
            for name in known[1]:
                value = d.get(name)
                if value is not None:
                    push(value)
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
    if isinstance(root, BaseModel) and root.model_config.get("frozen"):
        # frozen: nothing can put an unshared model under it later
        key = id(root)
        _DONE[key] = weakref.ref(root, lambda _: _DONE.pop(key, None))
    return count


def _model_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields whose annotation can hold a model (directly or in a list, tuple, dict or union)."""
    return tuple(name for name, info in cls.model_fields.items() if _holds_model(info.annotation))


def _holds_model(annotation) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(arg) for arg in get_args(annotation))
