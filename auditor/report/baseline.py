"""Compare a run with a previous one by Result.fingerprint (check id + resource id); ``diff`` is the one
comparison `report --baseline` and `review` both use.

An open finding is a FAIL or a NOT_ASSESSED result: unknown is never treated as fixed. A finding is
NEW when it FAILs now and did not FAIL before, or is NOT_ASSESSED now and was not open before;
UNCHANGED when it FAILs in both runs or is NOT_ASSESSED in both; RESOLVED when it was open before and
now PASSes, or its resource is gone from a scope this run collected completely (see complete_scopes);
NOT_REASSESSED when it FAILed before and is NOT_ASSESSED now, or its resource is gone from a scope
this run did not collect completely: neither fixed nor confirmed. A baseline that shares no
collection scope with the run is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from auditor.model.result import RUN_SCHEMA_VERSION, AuditRun, Result, Status
from auditor.model.snapshot import InputError, Snapshot, describe_validation_error

NEW, UNCHANGED, RESOLVED, NOT_REASSESSED = "NEW", "UNCHANGED", "RESOLVED", "NOT_REASSESSED"
OPEN = (Status.FAIL, Status.NOT_ASSESSED)
_SNAPSHOT_ONLY = set(Snapshot.model_fields) - set(AuditRun.model_fields)  # file_systems, access_points, ...


@dataclass(frozen=True)
class Comparison:
    previous_generated_at: str
    new: tuple[Result, ...]
    unchanged: tuple[Result, ...]
    resolved: tuple[Result, ...]  # the previous run's results
    states: dict[str, str]  # fingerprint -> NEW | UNCHANGED | NOT_REASSESSED for the current open results
    not_reassessed: tuple[
        Result, ...
    ] = ()  # the previous run's FAILs now NOT_ASSESSED or gone, scope incomplete

    def state(self, result: Result) -> str | None:
        return self.states.get(_fp(result))

    def counts(self) -> dict[str, int]:
        return {
            NEW: len(self.new),
            UNCHANGED: len(self.unchanged),
            RESOLVED: len(self.resolved),
            NOT_REASSESSED: len(self.not_reassessed),
        }


def _fp(r: Result) -> str:
    if r.fingerprint:
        return r.fingerprint
    from auditor.model.result import fingerprint

    return fingerprint(r.check_id, r.resource_id)


def load_run(path: str | Path) -> AuditRun:
    from auditor.model.snapshot import read_text

    return loads_run(read_text(path, "a run JSON file"), str(path))


def loads_run(text: str, source: str = "<run>") -> AuditRun:
    from auditor.inputs import json_loads

    data = json_loads(text, source)
    if not isinstance(data, dict):
        raise InputError(f"{source}: a run is a JSON object, found {type(data).__name__}")
    if "results" not in data and set(data) & _SNAPSHOT_ONLY:
        raise InputError(
            f"{source}: this is a snapshot, not a run: evaluate it with `efs-audit check {source}` "
            "(add --format json to save a run)"
        )
    if data.get("schema_version") != RUN_SCHEMA_VERSION:
        raise InputError(
            f"{source}: schema_version: expected {RUN_SCHEMA_VERSION!r}, found {data.get('schema_version')!r}"
        )
    try:
        return AuditRun.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{source}: {describe_validation_error(exc)}") from None


def complete_scopes(current: AuditRun, previous: AuditRun) -> set[str]:
    """Scopes the current run collected completely: its unit finished, no collection issue names
    the scope, and it attempted every service the previous run's unit for that scope attempted."""
    with_issues = {i.scope for i in current.issues}
    attempted_before = {u.scope: set(u.services) for u in previous.units}
    return {
        u.scope
        for u in current.units
        if u.complete
        and u.scope not in with_issues
        and attempted_before.get(u.scope, set()) <= set(u.services)
    }


def require_shared_scope(current: AuditRun, previous: AuditRun, source: str = "--baseline") -> None:
    """A baseline of another estate would call every finding NEW and prove nothing resolved."""
    now_scopes, before_scopes = {u.scope for u in current.units}, {u.scope for u in previous.units}
    if not now_scopes & before_scopes:
        raise InputError(
            f"{source}: the baseline run (generated {previous.generated_at.isoformat()}) shares no "
            f"collection scope with this run (baseline: {', '.join(sorted(before_scopes)) or 'none'}; "
            f"this run: {', '.join(sorted(now_scopes)) or 'none'})"
        )


def outcome(before: Result | None, now: Result | None, scope_complete: bool) -> str | None:
    """The change of one finding between two runs (None: passing in both, or passing now and absent
    before): see the module docstring."""
    was = before.status if before is not None else None
    if now is None:
        if was not in OPEN:
            return None
        return RESOLVED if scope_complete else NOT_REASSESSED
    if now.status is Status.PASS:
        return RESOLVED if was in OPEN else None
    if now.status is Status.FAIL:
        return UNCHANGED if was is Status.FAIL else NEW
    if was is Status.FAIL:
        return NOT_REASSESSED
    return UNCHANGED if was is Status.NOT_ASSESSED else NEW


def diff(
    previous: list[Result], current: list[Result], complete: set[str] | None = None
) -> list[tuple[str, Result | None, Result | None]]:
    """(outcome, previous result, current result) for every finding with an outcome: current results
    in their order, then previous results whose resource is gone. ``complete``: scopes the current run
    collected completely (None: every scope)."""
    before = {_fp(r): r for r in previous}
    out = []
    seen = set()
    for r in current:
        key = _fp(r)
        seen.add(key)
        state = outcome(before.get(key), r, True)
        if state is not None:
            out.append((state, before.get(key), r))
    for key, r in before.items():
        if key not in seen:
            state = outcome(r, None, complete is None or r.scope in complete)
            if state is not None:
                out.append((state, r, None))
    return out


def compare(current: AuditRun, previous: AuditRun) -> Comparison:
    require_shared_scope(current, previous)
    new, unchanged, resolved, not_reassessed, states = [], [], [], [], {}
    for state, before, now in diff(previous.results, current.results, complete_scopes(current, previous)):
        if now is not None and now.status in OPEN:
            states[_fp(now)] = state
        if state == NEW:
            new.append(now)
        elif state == UNCHANGED:
            unchanged.append(now)
        elif state == RESOLVED:
            resolved.append(before)
        else:
            not_reassessed.append(before)

    def order(r):
        return (r.check_id, r.resource_id)

    return Comparison(
        previous_generated_at=previous.generated_at.isoformat(),
        new=tuple(sorted(new, key=order)),
        unchanged=tuple(sorted(unchanged, key=order)),
        resolved=tuple(sorted(resolved, key=order)),
        states=states,
        not_reassessed=tuple(sorted(not_reassessed, key=order)),
    )


def summary(cmp: Comparison, limit: int = 20) -> str:
    """What a scheduled run prints: counts, then the new and resolved findings by name."""
    c = cmp.counts()
    lines = [
        f"Baseline {cmp.previous_generated_at}: {c[NEW]} new, {c[UNCHANGED]} unchanged, "
        f"{c[RESOLVED]} resolved" + (f", {c[NOT_REASSESSED]} not reassessed" if c[NOT_REASSESSED] else "")
    ]
    for label, items in ((NEW, cmp.new), (RESOLVED, cmp.resolved), (NOT_REASSESSED, cmp.not_reassessed)):
        why = "  (not assessed now, or scope not completely collected)" if label == NOT_REASSESSED else ""
        for r in items[:limit]:
            lines.append(f"  {label:<8} {r.check_id}  {r.resource_id}  [{r.status.value}]{why}")
        if len(items) > limit:
            lines.append(f"  ... and {len(items) - limit} more {label.lower().replace('_', ' ')}")
    return "\n".join(lines) + "\n"
