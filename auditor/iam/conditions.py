"""Condition evaluation, three-valued (semantics §2.4, IAM-CONDOPS).

A request is a mapping of lower-cased condition keys to values. For NFS client authorization only four
keys exist (``efs_request_values``); a key missing from the mapping is one EFS does not enforce and is
UNKNOWN (§2.4 conservative rule: an Allow conditioned on it may apply, a Deny may not). A key present in
the mapping may still be ``ABSENT`` from this request (``elasticfilesystem:AccessPointArn`` on a non-AP
mount), or ``Indeterminate`` (present with an unknown value, e.g. ``aws:SourceIp``).

Operators come from one dispatch table of (comparison, negated) in ``operators``; the ``IfExists`` suffix
and the ``ForAnyValue:`` / ``ForAllValues:`` prefixes are applied around it by ``evaluate_condition``.
``compile_conditions`` prepares a statement's conditions once (``Check``) and ``check_conditions``
evaluates them, answering the common case (a plain string compared with StringEquals, StringLike, ArnLike,
Bool and their negations) directly and everything else through ``evaluate_condition``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from auditor.iam.logic import FALSE, TRUE, UNKNOWN, Tri, all_, any_, not_
from auditor.iam.operators import LOOKUP as _LOOKUP
from auditor.iam.operators import (
    OPERATORS,
    Compare,
    arn_like,
    bool_equals,
    string_equals,
    string_equals_ignore_case,
    string_like,
)
from auditor.iam.patterns import Globs, glob_regex
from auditor.model.arn import arn_fields

if TYPE_CHECKING:
    from auditor.iam.policy import Condition

__all__ = [
    "ABSENT",
    "OPERATORS",
    "SOURCE_IP_NOTE",
    "Check",
    "Compare",
    "Indeterminate",
    "RequestValue",
    "check_conditions",
    "compile_conditions",
    "efs_request_values",
    "evaluate_condition",
    "evaluate_conditions",
]


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


@dataclass(frozen=True)
class Indeterminate:
    """A key whose value the auditor cannot know; ``present`` says whether the key exists at all."""

    note: str
    present: Tri = TRUE


RequestValue = str | list[str] | Indeterminate | _Absent

SOURCE_IP_NOTE = (
    "condition key aws:SourceIp is indeterminate for NFS clients: usable only for public ranges (§2.4)"
)


def efs_request_values(
    secure_transport: bool | None, access_point_arn: str | None, accessed_via_mount_target: bool
) -> dict[str, RequestValue]:
    """The request context EFS builds for an NFS client connection: the four enforced keys (§2.4)."""
    return {
        "aws:securetransport": _TLS_UNKNOWN if secure_transport is None else _bool(secure_transport),
        "elasticfilesystem:accesspointarn": ABSENT if access_point_arn is None else access_point_arn,
        "elasticfilesystem:accessedviamounttarget": _bool(accessed_via_mount_target),
        "aws:sourceip": _SOURCE_IP,
    }


def _bool(value: bool) -> str:
    return "true" if value else "false"


_TLS_UNKNOWN = Indeterminate("aws:SecureTransport: the transport is unknown")
_SOURCE_IP = Indeterminate(SOURCE_IP_NOTE, present=UNKNOWN)


_SET_PREFIXES = {"foranyvalue:": "any", "forallvalues:": "all"}
_SET_PREFIX_NAMES = tuple(_SET_PREFIXES)


# --- one condition -----------------------------------------------------------------------------------


def evaluate_condition(
    operator: str,
    key: str,
    policy_values: Iterable[str],
    request: RequestValue,
    expand_variables: bool = True,
) -> tuple[Tri, str | None]:
    """One (operator, key, values) triple against the request's value for the key.

    Missing-key rules (§2.4): absent key -> positive operators FALSE, negated operators TRUE,
    ``...IfExists`` TRUE, ``ForAllValues:`` TRUE, ``ForAnyValue:`` FALSE; ``Null`` tests presence.
    Several policy values are ORed (negated operators: none may match). A policy variable in a value,
    a value that cannot be compared, an indeterminate request value or an unknown operator give
    UNKNOWN (never a match), with a note."""
    values = tuple(policy_values)
    name = operator.lower()
    set_op = None
    for prefix, kind in _SET_PREFIXES.items():
        if name.startswith(prefix):
            set_op, name = kind, name[len(prefix) :]
    if name == "null":
        return _null(values, request, key)
    if_exists = name.endswith("ifexists")
    entry = _LOOKUP.get(name[: -len("ifexists")] if if_exists else name)
    if entry is None:
        return UNKNOWN, f"unknown condition operator {operator} on {key}"
    compare, negated = entry
    if isinstance(request, Indeterminate):
        return UNKNOWN, request.note
    if isinstance(request, _Absent):
        if if_exists or set_op == "all":
            return TRUE, None
        return (FALSE, None) if set_op == "any" else (Tri.of(negated), None)
    if expand_variables and any("${" in v for v in values):
        note = f"{operator} {key}: a policy variable in the value cannot be resolved for NFS clients"
    else:
        note = None

    def one(r: str) -> Tri:
        hit = any_(UNKNOWN if note and "${" in p else compare(p, r) for p in values)
        return not_(hit) if negated else hit

    requests = request if isinstance(request, list) else [request]
    if set_op == "all" or (set_op is None and negated):
        result = all_(one(r) for r in requests)
    else:
        result = any_(one(r) for r in requests)
    if result is UNKNOWN and note is None:
        note = f"{operator} {key}: the value {requests!r} cannot be compared with {list(values)!r}"
    return result, note


def _null(values: tuple[str, ...], request: RequestValue, key: str) -> tuple[Tri, str | None]:
    if isinstance(request, _Absent):
        present = FALSE
    elif isinstance(request, Indeterminate):
        present = request.present
    else:
        present = TRUE
    results = []
    for v in values:
        if v.lower() == "true":
            results.append(not_(present))
        elif v.lower() == "false":
            results.append(present)
        else:
            return UNKNOWN, f"Null {key}: expected true or false, found {v!r}"
    result = any_(results)
    note = request.note if isinstance(request, Indeterminate) and result is UNKNOWN else None
    return result, note


# --- a Condition block ---------------------------------------------------------------------------------


def evaluate_conditions(
    conditions: Iterable[Condition], request: Mapping[str, RequestValue], expand_variables: bool = True
) -> tuple[Tri, list[str]]:
    """AND of all conditions. A key missing from ``request`` is not enforced for NFS clients (§2.4):
    UNKNOWN. When the result is FALSE no notes are returned (nothing undecided mattered)."""
    result, notes = check_conditions(compile_conditions(conditions, expand_variables), request)
    return result, list(notes)


Outcome = tuple[Tri, "str | None"]
_TRUE: Outcome = (TRUE, None)
_FALSE: Outcome = (FALSE, None)
_NO_NOTES: tuple[str, ...] = ()


class Check:
    """One condition compiled for ``check_conditions``: ``evaluate_condition`` with the common case
    answered directly, a plain string request value and an operator whose comparison cannot be
    UNKNOWN for it (no set prefix, no policy variable)."""

    __slots__ = ("absent", "expand", "key", "negated", "operator", "test", "values", "written")

    def __init__(self, operator: str, key: str, values: tuple[str, ...], expand: bool) -> None:
        self.key, self.written = key.lower(), key
        self.operator, self.values, self.expand = operator, values, expand
        fast = _fast_test(operator, values, expand)
        self.test: Callable[[str], bool | None] | None
        self.negated: bool
        self.test, self.negated = fast if fast is not None else (None, False)
        self.absent: Outcome | None = None  # the outcome for an ABSENT key, once asked for

    def evaluate(self, request: RequestValue) -> Outcome:
        if self.test is not None and type(request) is str:
            hit = self.test(request)
            if hit is not None:
                return _TRUE if hit is not self.negated else _FALSE
        if request is ABSENT:  # the same answer every time: it depends on the operator only
            if self.absent is None:
                self.absent = evaluate_condition(
                    self.operator, self.written, self.values, ABSENT, self.expand
                )
            return self.absent
        return evaluate_condition(self.operator, self.written, self.values, request, self.expand)


def compile_conditions(conditions: Iterable[Condition], expand_variables: bool) -> tuple[Check, ...]:
    return tuple(Check(op, key, tuple(values), expand_variables) for op, key, values in conditions)


def check_conditions(
    checks: tuple[Check, ...], request: Mapping[str, RequestValue]
) -> tuple[Tri, list[str] | tuple[str, ...]]:
    """``evaluate_conditions`` over conditions compiled once by ``compile_conditions``."""
    result = TRUE
    notes: list[str] | tuple[str, ...] = _NO_NOTES
    for check in checks:
        value = request.get(check.key)  # request values are never None
        if check.test is not None and type(value) is str:
            hit = check.test(value)  # the common case, answered without evaluate_condition
            if hit is not None:
                if hit is check.negated:
                    return FALSE, _NO_NOTES
                continue
        note: str | None
        if value is None:
            outcome, note = UNKNOWN, f"condition key {check.written} is not enforced for NFS clients (§2.4)"
        else:
            outcome, note = check.evaluate(value)
        if outcome is FALSE:
            return FALSE, _NO_NOTES
        if outcome is UNKNOWN:
            result = UNKNOWN
            if note:
                notes = [*notes, note]
    return result, notes


def _fast_test(
    operator: str, values: tuple[str, ...], expand: bool
) -> tuple[Callable[[str], bool | None], bool] | None:
    """(whether some value matches a request string, negated), or None when there is no direct answer."""
    name = operator.lower()
    if name.startswith(_SET_PREFIX_NAMES) or (expand and any("${" in v for v in values)):
        return None
    entry = _LOOKUP.get(name[: -len("ifexists")] if name.endswith("ifexists") else name)
    if entry is None:
        return None
    compare, negated = entry
    if compare is string_equals:
        exact = frozenset(values)
        return exact.__contains__, negated
    if compare is string_equals_ignore_case:
        return partial(_folded_in, frozenset(v.casefold() for v in values)), negated
    if compare is string_like:
        return Globs(values).match, negated
    if compare is arn_like:
        arns = (tuple(glob_regex(part, False) for part in arn_fields(v)) for v in values)
        return partial(_arn_in, tuple(parts for parts in arns if len(parts) == 6)), negated
    if compare is bool_equals and all(v.lower() in _BOOLS for v in values):
        # "true" / "false" as EFS sends them; any other spelling is left to evaluate_condition
        return {b: any(v.lower() == b for v in values) for b in _BOOLS}.get, negated
    return None


def _folded_in(folded: frozenset[str], r: str) -> bool:
    return r.casefold() in folded


def _arn_in(arns: tuple[tuple[re.Pattern[str], ...], ...], r: str) -> bool:
    """ArnLike with each pattern split into its six parts beforehand (``arn_like``)."""
    rp = arn_fields(r)
    return len(rp) == 6 and any(all(rx.fullmatch(b) for rx, b in zip(parts, rp)) for parts in arns)


_BOOLS = ("true", "false")
