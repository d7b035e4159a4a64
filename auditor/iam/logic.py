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
        return TRUE if value else FALSE

    def and_(self, *others: Tri) -> Tri:
        return and_(self, *others)

    def or_(self, *others: Tri) -> Tri:
        return or_(self, *others)

    def not_(self) -> Tri:
        return not_(self)

    def __bool__(self) -> bool:
        raise TypeError("Tri is three-valued; compare with Tri.TRUE / Tri.FALSE explicitly")


# The three values as module names: reading a member off an Enum class costs ~70 ns (Python 3.11), and
# the evaluator reads them many times per decision.
TRUE, FALSE, UNKNOWN = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN


def and_(*values: Tri) -> Tri:
    """FALSE if any is FALSE, else UNKNOWN if any is UNKNOWN, else TRUE (TRUE for no values)."""
    return all_(values)


def or_(*values: Tri) -> Tri:
    """TRUE if any is TRUE, else UNKNOWN if any is UNKNOWN, else FALSE (FALSE for no values)."""
    return any_(values)


def not_(value: Tri) -> Tri:
    if value is UNKNOWN:
        return UNKNOWN
    return FALSE if value is TRUE else TRUE


def all_(values: Iterable[Tri]) -> Tri:
    out = TRUE
    for v in values:
        if v is FALSE:
            return FALSE
        if v is UNKNOWN:
            out = UNKNOWN
    return out


def any_(values: Iterable[Tri]) -> Tri:
    out = FALSE
    for v in values:
        if v is TRUE:
            return TRUE
        if v is UNKNOWN:
            out = UNKNOWN
    return out
