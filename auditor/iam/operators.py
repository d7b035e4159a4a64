"""The condition operators: one dispatch table of (comparison, negated) per operator name (IAM-CONDOPS).
A comparison takes (policy value, request value) and answers three-valued: UNKNOWN when the values
cannot be compared. The ``IfExists`` suffix and the set prefixes are applied by ``conditions``."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable
from datetime import UTC, datetime

from auditor.iam.logic import FALSE, UNKNOWN, Tri
from auditor.iam.patterns import glob_match
from auditor.model.arn import arn_fields

Compare = Callable[[str, str], Tri]  # (policy value, request value)

# --- comparisons -------------------------------------------------------------------------------------


def string_equals(p: str, r: str) -> Tri:
    return Tri.of(p == r)


def string_equals_ignore_case(p: str, r: str) -> Tri:
    return Tri.of(p.casefold() == r.casefold())


def string_like(p: str, r: str) -> Tri:
    return Tri.of(glob_match(p, r))


def arn_like(p: str, r: str) -> Tri:
    """ArnEquals and ArnLike behave alike: each of the six colon-separated parts matched with wildcards."""
    pp, rp = arn_fields(p), arn_fields(r)
    if len(pp) != 6 or len(rp) != 6:
        return FALSE
    return Tri.of(all(glob_match(a, b) for a, b in zip(pp, rp, strict=True)))


def bool_equals(p: str, r: str) -> Tri:
    if p.lower() not in ("true", "false") or r.lower() not in ("true", "false"):
        return UNKNOWN
    return Tri.of(p.lower() == r.lower())


def _numeric(test: Callable[[float, float], bool]) -> Compare:
    def compare(p: str, r: str) -> Tri:
        try:
            return Tri.of(test(float(r), float(p)))
        except ValueError:
            return UNKNOWN

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
        return UNKNOWN if pd is None or rd is None else Tri.of(test(rd, pd))

    return compare


def ip_address(p: str, r: str) -> Tri:
    try:
        return Tri.of(ipaddress.ip_address(r) in ipaddress.ip_network(p, strict=False))
    except ValueError:
        return UNKNOWN


def binary_equals(p: str, r: str) -> Tri:
    try:
        return Tri.of(base64.b64decode(p, validate=True) == base64.b64decode(r, validate=True))
    except (binascii.Error, ValueError):
        return UNKNOWN


OPERATORS: dict[str, tuple[Compare, bool]] = {
    "StringEquals": (string_equals, False),
    "StringNotEquals": (string_equals, True),
    "StringEqualsIgnoreCase": (string_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (string_equals_ignore_case, True),
    "StringLike": (string_like, False),
    "StringNotLike": (string_like, True),
    "ArnEquals": (arn_like, False),
    "ArnNotEquals": (arn_like, True),
    "ArnLike": (arn_like, False),
    "ArnNotLike": (arn_like, True),
    "Bool": (bool_equals, False),
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
    "IpAddress": (ip_address, False),
    "NotIpAddress": (ip_address, True),
    "BinaryEquals": (binary_equals, False),
}
LOOKUP = {name.lower(): entry for name, entry in OPERATORS.items()}
