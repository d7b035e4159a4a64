"""Evidence as readable key/value lines for people (HTML, Markdown): nested mappings become dotted
keys, short lists of scalars one comma-separated value, longer or nested lists numbered keys. Text
stays text (no JSON escapes such as \\u00a7). Pure."""

from __future__ import annotations

from typing import Any

INLINE_LIST = 8  # lists of up to this many scalars print on one line


def _scalar(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def pairs(evidence: Any, prefix: str = "") -> list[tuple[str, str]]:
    """[(key, value)] in a stable order (keys sorted)."""
    if isinstance(evidence, dict):
        if not evidence:
            return [(prefix or "(evidence)", "(empty)")]
        out: list[tuple[str, str]] = []
        for key in sorted(evidence, key=str):
            out += pairs(evidence[key], f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(evidence, (list, tuple)):
        if not evidence:
            return [(prefix, "(empty)")]
        if all(not isinstance(v, (dict, list, tuple)) for v in evidence) and len(evidence) <= INLINE_LIST:
            return [(prefix, ", ".join(_scalar(v) for v in evidence))]
        out = []
        for i, v in enumerate(evidence, start=1):
            out += pairs(v, f"{prefix}[{i}]")
        return out
    return [(prefix or "(value)", _scalar(evidence))]
