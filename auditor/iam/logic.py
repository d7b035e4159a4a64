"""Three-valued logic for policy evaluation (semantics §2.4: a condition the auditor cannot decide is
UNKNOWN, never silently true or false)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class Tri(Enum):
    """Kleene three-valued truth value. Deliberately not usable as a Python bool."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"

    @staticmethod
    def of(value: bool) -> Tri:
        return Tri.TRUE if value else Tri.FALSE

    def and_(self, *others: Tri) -> Tri:
        return and_(self, *others)

    def or_(self, *others: Tri) -> Tri:
        return or_(self, *others)

    def not_(self) -> Tri:
        return not_(self)

    def __bool__(self) -> bool:
        raise TypeError("Tri is three-valued; compare with Tri.TRUE / Tri.FALSE explicitly")


def and_(*values: Tri) -> Tri:
    """FALSE if any is FALSE, else UNKNOWN if any is UNKNOWN, else TRUE (TRUE for no values)."""
    return all_(values)


def or_(*values: Tri) -> Tri:
    """TRUE if any is TRUE, else UNKNOWN if any is UNKNOWN, else FALSE (FALSE for no values)."""
    return any_(values)


def not_(value: Tri) -> Tri:
    if value is Tri.UNKNOWN:
        return Tri.UNKNOWN
    return Tri.FALSE if value is Tri.TRUE else Tri.TRUE


def all_(values: Iterable[Tri]) -> Tri:
    out = Tri.TRUE
    for v in values:
        if v is Tri.FALSE:
            return Tri.FALSE
        if v is Tri.UNKNOWN:
            out = Tri.UNKNOWN
    return out


def any_(values: Iterable[Tri]) -> Tri:
    out = Tri.FALSE
    for v in values:
        if v is Tri.TRUE:
            return Tri.TRUE
        if v is Tri.UNKNOWN:
            out = Tri.UNKNOWN
    return out
