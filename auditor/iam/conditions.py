"""Condition evaluation, three-valued (semantics §2.4, IAM-CONDOPS).

A request is a mapping of lower-cased condition keys to values. For NFS client authorization only four
keys exist (``efs_request_values``); a key missing from the mapping is one EFS does not enforce and is
UNKNOWN (§2.4 conservative rule: an Allow conditioned on it may apply, a Deny may not). A key present in
the mapping may still be ``ABSENT`` from this request (``elasticfilesystem:AccessPointArn`` on a non-AP
mount), or ``Indeterminate`` (present with an unknown value, e.g. ``aws:SourceIp``).

Operators come from one dispatch table of (comparison, negated); the ``IfExists`` suffix and the
``ForAnyValue:`` / ``ForAllValues:`` prefixes are applied around it by ``evaluate_condition``.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from auditor.iam.logic import Tri, all_, any_, not_
from auditor.iam.policy import Condition, glob_match


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


@dataclass(frozen=True)
class Indeterminate:
    """A key whose value the auditor cannot know; ``present`` says whether the key exists at all."""

    note: str
    present: Tri = Tri.TRUE


RequestValue = str | list[str] | Indeterminate | _Absent
Compare = Callable[[str, str], Tri]  # (policy value, request value)

SOURCE_IP_NOTE = (
    "condition key aws:SourceIp is indeterminate for NFS clients: usable only for public ranges (§2.4)"
)


def efs_request_values(
    secure_transport: bool | None, access_point_arn: str | None, accessed_via_mount_target: bool
) -> dict[str, RequestValue]:
    """The request context EFS builds for an NFS client connection: the four enforced keys (§2.4)."""
    tls: RequestValue = (
        Indeterminate("aws:SecureTransport: the transport is unknown")
        if secure_transport is None
        else _bool(secure_transport)
    )
    return {
        "aws:securetransport": tls,
        "elasticfilesystem:accesspointarn": ABSENT if access_point_arn is None else access_point_arn,
        "elasticfilesystem:accessedviamounttarget": _bool(accessed_via_mount_target),
        "aws:sourceip": Indeterminate(SOURCE_IP_NOTE, present=Tri.UNKNOWN),
    }


def _bool(value: bool) -> str:
    return "true" if value else "false"


# --- comparisons -------------------------------------------------------------------------------------


def _string_equals(p: str, r: str) -> Tri:
    return Tri.of(p == r)


def _string_equals_ignore_case(p: str, r: str) -> Tri:
    return Tri.of(p.casefold() == r.casefold())


def _string_like(p: str, r: str) -> Tri:
    return Tri.of(glob_match(p, r))


def _arn_like(p: str, r: str) -> Tri:
    """ArnEquals and ArnLike behave alike: each of the six colon-separated parts matched with wildcards."""
    pp, rp = p.split(":", 5), r.split(":", 5)
    if len(pp) != 6 or len(rp) != 6:
        return Tri.FALSE
    return Tri.of(all(glob_match(a, b) for a, b in zip(pp, rp, strict=True)))


def _bool_equals(p: str, r: str) -> Tri:
    if p.lower() not in ("true", "false") or r.lower() not in ("true", "false"):
        return Tri.UNKNOWN
    return Tri.of(p.lower() == r.lower())


def _numeric(test: Callable[[float, float], bool]) -> Compare:
    def compare(p: str, r: str) -> Tri:
        try:
            return Tri.of(test(float(r), float(p)))
        except ValueError:
            return Tri.UNKNOWN

    return compare


def _parse_date(text: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(text), tz=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _date(test: Callable[[datetime, datetime], bool]) -> Compare:
    def compare(p: str, r: str) -> Tri:
        pd, rd = _parse_date(p), _parse_date(r)
        return Tri.UNKNOWN if pd is None or rd is None else Tri.of(test(rd, pd))

    return compare


def _ip_address(p: str, r: str) -> Tri:
    try:
        return Tri.of(ipaddress.ip_address(r) in ipaddress.ip_network(p, strict=False))
    except ValueError:
        return Tri.UNKNOWN


def _binary_equals(p: str, r: str) -> Tri:
    try:
        return Tri.of(base64.b64decode(p, validate=True) == base64.b64decode(r, validate=True))
    except (binascii.Error, ValueError):
        return Tri.UNKNOWN


OPERATORS: dict[str, tuple[Compare, bool]] = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (_string_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ignore_case, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnLike": (_arn_like, False),
    "ArnNotLike": (_arn_like, True),
    "Bool": (_bool_equals, False),
    "NumericEquals": (_numeric(lambda r, p: r == p), False),
    "NumericNotEquals": (_numeric(lambda r, p: r == p), True),
    "NumericLessThan": (_numeric(lambda r, p: r < p), False),
    "NumericLessThanEquals": (_numeric(lambda r, p: r <= p), False),
    "NumericGreaterThan": (_numeric(lambda r, p: r > p), False),
    "NumericGreaterThanEquals": (_numeric(lambda r, p: r >= p), False),
    "DateEquals": (_date(lambda r, p: r == p), False),
    "DateNotEquals": (_date(lambda r, p: r == p), True),
    "DateLessThan": (_date(lambda r, p: r < p), False),
    "DateLessThanEquals": (_date(lambda r, p: r <= p), False),
    "DateGreaterThan": (_date(lambda r, p: r > p), False),
    "DateGreaterThanEquals": (_date(lambda r, p: r >= p), False),
    "IpAddress": (_ip_address, False),
    "NotIpAddress": (_ip_address, True),
    "BinaryEquals": (_binary_equals, False),
}
_LOOKUP = {name.lower(): entry for name, entry in OPERATORS.items()}
_SET_PREFIXES = {"foranyvalue:": "any", "forallvalues:": "all"}


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
        return Tri.UNKNOWN, f"unknown condition operator {operator} on {key}"
    compare, negated = entry
    if isinstance(request, Indeterminate):
        return Tri.UNKNOWN, request.note
    if isinstance(request, _Absent):
        if if_exists or set_op == "all":
            return Tri.TRUE, None
        return (Tri.FALSE, None) if set_op == "any" else (Tri.of(negated), None)
    if expand_variables and any("${" in v for v in values):
        note = f"{operator} {key}: a policy variable in the value cannot be resolved for NFS clients"
    else:
        note = None

    def one(r: str) -> Tri:
        hit = any_(Tri.UNKNOWN if note and "${" in p else compare(p, r) for p in values)
        return not_(hit) if negated else hit

    requests = request if isinstance(request, list) else [request]
    if set_op == "all" or (set_op is None and negated):
        result = all_(one(r) for r in requests)
    else:
        result = any_(one(r) for r in requests)
    if result is Tri.UNKNOWN and note is None:
        note = f"{operator} {key}: the value {requests!r} cannot be compared with {list(values)!r}"
    return result, note


def _null(values: tuple[str, ...], request: RequestValue, key: str) -> tuple[Tri, str | None]:
    if isinstance(request, _Absent):
        present = Tri.FALSE
    elif isinstance(request, Indeterminate):
        present = request.present
    else:
        present = Tri.TRUE
    results = []
    for v in values:
        if v.lower() == "true":
            results.append(not_(present))
        elif v.lower() == "false":
            results.append(present)
        else:
            return Tri.UNKNOWN, f"Null {key}: expected true or false, found {v!r}"
    result = any_(results)
    note = request.note if isinstance(request, Indeterminate) and result is Tri.UNKNOWN else None
    return result, note


# --- a Condition block ---------------------------------------------------------------------------------


def evaluate_conditions(
    conditions: Iterable[Condition], request: Mapping[str, RequestValue], expand_variables: bool = True
) -> tuple[Tri, list[str]]:
    """AND of all conditions. A key missing from ``request`` is not enforced for NFS clients (§2.4):
    UNKNOWN. When the result is FALSE no notes are returned (nothing undecided mattered)."""
    results: list[Tri] = []
    notes: list[str] = []
    for operator, key, values in conditions:
        if key.lower() not in request:
            result: Tri = Tri.UNKNOWN
            note: str | None = f"condition key {key} is not enforced for NFS clients (§2.4)"
        else:
            result, note = evaluate_condition(operator, key, values, request[key.lower()], expand_variables)
        if result is Tri.FALSE:
            return Tri.FALSE, []
        results.append(result)
        if result is Tri.UNKNOWN and note:
            notes.append(note)
    return all_(results), notes
