"""Compare a run with a previous one by Result.fingerprint (check id + resource id).

An open finding is a FAIL or a NOT_ASSESSED result: unknown is never treated as fixed. A finding
is NEW when it is open now and was not open before, UNCHANGED when it is open in both runs (even
if it moved between FAIL and NOT_ASSESSED), RESOLVED when it was open before and now PASSes or its
resource is gone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from auditor.model.result import RUN_SCHEMA_VERSION, AuditRun, Result, Status
from auditor.model.snapshot import InputError, describe_validation_error

NEW, UNCHANGED, RESOLVED = "NEW", "UNCHANGED", "RESOLVED"
OPEN = (Status.FAIL, Status.NOT_ASSESSED)


@dataclass(frozen=True)
class Comparison:
    previous_generated_at: str
    new: tuple[Result, ...]
    unchanged: tuple[Result, ...]
    resolved: tuple[Result, ...]  # the previous run's results
    states: dict[str, str]  # fingerprint -> NEW | UNCHANGED for the current open results

    def state(self, result: Result) -> str | None:
        return self.states.get(_fp(result))

    def counts(self) -> dict[str, int]:
        return {NEW: len(self.new), UNCHANGED: len(self.unchanged), RESOLVED: len(self.resolved)}


def _fp(r: Result) -> str:
    if r.fingerprint:
        return r.fingerprint
    from auditor.model.result import fingerprint

    return fingerprint(r.check_id, r.resource_id)


def load_run(path: str | Path) -> AuditRun:
    from auditor.model.snapshot import read_text

    return loads_run(read_text(path, "a run JSON file"), str(path))


def loads_run(text: str, source: str = "<run>") -> AuditRun:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: a run is a JSON object, found {type(data).__name__}")
    if data.get("schema_version") != RUN_SCHEMA_VERSION:
        raise InputError(f"{source}: schema_version: expected {RUN_SCHEMA_VERSION!r}, "
                         f"found {data.get('schema_version')!r}")
    try:
        return AuditRun.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{source}: {describe_validation_error(exc)}") from None


def compare(current: AuditRun, previous: AuditRun) -> Comparison:
    before = {_fp(r): r for r in previous.results if r.status in OPEN}
    now_all = {_fp(r): r for r in current.results}
    new, unchanged, states = [], [], {}
    for r in current.results:
        if r.status not in OPEN:
            continue
        key = _fp(r)
        if key in before:
            unchanged.append(r)
            states[key] = UNCHANGED
        else:
            new.append(r)
            states[key] = NEW
    resolved = [r for k, r in before.items()
                if k not in now_all or now_all[k].status is Status.PASS]
    order = (lambda r: (r.check_id, r.resource_id))
    return Comparison(previous_generated_at=previous.generated_at.isoformat(),
                      new=tuple(sorted(new, key=order)), unchanged=tuple(sorted(unchanged, key=order)),
                      resolved=tuple(sorted(resolved, key=order)), states=states)


def summary(cmp: Comparison, limit: int = 20) -> str:
    """What a scheduled run prints: counts, then the new and resolved findings by name."""
    c = cmp.counts()
    lines = [f"Baseline {cmp.previous_generated_at}: {c[NEW]} new, {c[UNCHANGED]} unchanged, "
             f"{c[RESOLVED]} resolved"]
    for label, items in (("NEW", cmp.new), ("RESOLVED", cmp.resolved)):
        for r in items[:limit]:
            lines.append(f"  {label:<8} {r.check_id}  {r.resource_id}  [{r.status.value}]")
        if len(items) > limit:
            lines.append(f"  ... and {len(items) - limit} more {label.lower()}")
    return "\n".join(lines) + "\n"
