"""A result's status and severity: plain enums, importable without the models (the command line's
--fail-on and --severity choices are built from them at start-up)."""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_ASSESSED = "NOT_ASSESSED"


class Severity(str, Enum):
    """Declared from the most severe down: this order is the project's only severity order."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for info up to 4 for critical: higher is more severe."""
        return _RANK[self]


_RANK = {s: i for i, s in enumerate(reversed(Severity))}
SEVERITY_ORDER = tuple(s.value for s in Severity)  # most severe first
