"""Parsing and normalising IAM policy documents (file system, identity and boundary policies).

``parse_policy`` checks the grammar AWS enforces when a policy is stored and turns every statement into
a ``Statement`` whose fields have one shape each, so that evaluation never meets raw JSON. A malformed
document raises ``PolicyError`` whose message is one line naming the offending element.

Statement indices are 0-based positions in the ``Statement`` array (``Statement[1]`` is the second).

``Policy.compiled`` turns the statements into matchers (``compiled``) the first time a policy is
evaluated, and keeps them: callers that evaluate one document many times parse it once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from auditor.iam.compiled import CompiledPolicy
from auditor.iam.patterns import SERVICE, action_matches, full_action, glob_match

__all__ = [
    "SERVICE",
    "Policy",
    "PolicyError",
    "Statement",
    "action_matches",
    "full_action",
    "glob_match",
    "parse_policy",
    "principals_of",
]

VERSIONS = ("2012-10-17", "2008-10-17")
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
NON_AWS_PREFIXES = tuple(f"{t}:" for t in PRINCIPAL_TYPES[1:])
PLAIN_NAME = re.compile(r"[\w:/.*?${}-]+")
TOP_LEVEL = {"Version", "Id", "Statement"}
ELEMENTS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}


class PolicyError(ValueError):
    """A malformed policy document; the message is one line naming what is wrong."""


Condition = tuple[str, str, tuple[str, ...]]  # (operator, key, values) as written, values as strings


@dataclass(frozen=True)
class Statement:
    """One normalised statement.

    ``principal`` / ``not_principal``: AWS principal strings as written (``{"AWS": "*"}`` and ``"*"`` both
    become ``"*"``); other principal types are prefixed with their type (``"Service:ecs.amazonaws.com"``).
    None when the element is absent. ``actions`` / ``not_actions`` and ``resources`` / ``not_resources``
    are lists (None when absent); ``conditions`` is a list of (operator, key, values)."""

    index: int
    sid: str | None
    effect: Literal["Allow", "Deny"]
    principal: frozenset[str] | None
    not_principal: frozenset[str] | None
    actions: list[str] | None
    not_actions: list[str] | None
    resources: list[str] | None
    not_resources: list[str] | None
    conditions: list[Condition]

    def name(self, label: str) -> str:
        """'file system policy statement 2 (Sid "AllowApp")'."""
        sid = f' (Sid "{self.sid}")' if self.sid else ""
        return f"{label} statement {self.index}{sid}"


@dataclass(frozen=True)
class Policy:
    label: str
    version: str | None
    statements: list[Statement]

    @property
    def expands_variables(self) -> bool:
        """Policy variables (``${...}``) are substituted only under Version 2012-10-17; otherwise they are
        literal text."""
        return self.version == "2012-10-17"

    @cached_property
    def compiled(self) -> CompiledPolicy:
        """The statements prepared for evaluation, once per policy (callers that evaluate a policy many
        times pass the same ``Policy``)."""
        return CompiledPolicy(self.label, self.statements, self.expands_variables)


def show(value: Any, limit: int = 60) -> str:
    """A one-line rendering of a JSON value for error messages."""
    try:
        text = json.dumps(value, default=str, ensure_ascii=True)
    except (TypeError, ValueError):
        text = repr(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_policy(document: dict, label: str) -> Policy:
    """Normalise a policy document; raises PolicyError for anything AWS would not have stored."""
    if not isinstance(document, dict):
        raise PolicyError(f"{label}: expected a JSON object, found {show(document)}")
    for key in document:
        if key not in TOP_LEVEL:
            raise PolicyError(f"{label}: unknown top-level element {show(key)}")
    version = document.get("Version")
    if version is not None and version not in VERSIONS:
        raise PolicyError(f"{label}: Version: expected 2012-10-17 or 2008-10-17, found {show(version)}")
    if "Statement" not in document:
        raise PolicyError(f"{label}: Statement: missing")
    raw = document["Statement"]
    items = [raw] if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise PolicyError(f"{label}: Statement: expected an object or a list, found {show(raw)}")
    return Policy(label, version, [_statement(item, i, label) for i, item in enumerate(items)])


def _statement(item: Any, index: int, label: str) -> Statement:
    where = f"{label}: Statement[{index}]"
    if not isinstance(item, dict):
        raise PolicyError(f"{where}: expected an object, found {show(item)}")
    for key in item:
        if key not in ELEMENTS:
            raise PolicyError(f"{where}: unknown element {show(key)}")
    sid = item.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(f"{where}.Sid: expected a string, found {show(sid)}")
    effect = item.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"{where}.Effect: expected Allow or Deny, found {show(effect)}")
    for a, b in (("Principal", "NotPrincipal"), ("Action", "NotAction"), ("Resource", "NotResource")):
        if a in item and b in item:
            raise PolicyError(f"{where}: {a} and {b} are mutually exclusive")
    if "Action" not in item and "NotAction" not in item:
        raise PolicyError(f"{where}: Action or NotAction is required")

    def element(name: str, parse: Callable[[Any, str], Any]) -> Any:
        return parse(item[name], f"{where}.{name}") if name in item else None

    return Statement(
        index=index,
        sid=sid,
        effect=effect,
        principal=element("Principal", _principals),
        not_principal=element("NotPrincipal", _principals),
        actions=element("Action", _nonempty_strings),
        not_actions=element("NotAction", _nonempty_strings),
        resources=element("Resource", _nonempty_strings),
        not_resources=element("NotResource", _nonempty_strings),
        conditions=element("Condition", _conditions) or [],
    )


def _strings(value: Any, where: str, nonempty: bool = False) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise PolicyError(f"{where}: expected a string or a list of strings, found {show(value)}")
    if nonempty and not items:
        raise PolicyError(f"{where}: expected at least one value, found []")
    return list(items)


def _nonempty_strings(value: Any, where: str) -> list[str]:
    return _strings(value, where, nonempty=True)


def _principals(value: Any, where: str) -> frozenset[str]:
    if value == "*":
        return frozenset({"*"})
    if not isinstance(value, dict):
        raise PolicyError(f'{where}: expected "*" or an object, found {show(value)}')
    out: set[str] = set()
    for kind, names in value.items():
        if kind not in PRINCIPAL_TYPES:
            raise PolicyError(f"{where}: unknown principal type {show(kind)}")
        for name in _strings(names, f"{where}.{kind}"):
            out.add(name if kind == "AWS" else f"{kind}:{name}")
    return frozenset(out)


def _conditions(value: Any, where: str) -> list[Condition]:
    if not isinstance(value, dict):
        raise PolicyError(f"{where}: expected an object, found {show(value)}")
    out: list[Condition] = []
    for operator, block in value.items():
        at = f"{where}.{_step(operator)}"
        if not isinstance(block, dict):
            raise PolicyError(f"{at}: expected an object of condition keys, found {show(block)}")
        for key, raw in block.items():
            values: list[str] = []
            for v in raw if isinstance(raw, list) else [raw]:
                if isinstance(v, bool):
                    values.append("true" if v else "false")
                elif isinstance(v, (str, int, float)):
                    values.append(str(v))
                else:
                    found = show(raw)
                    raise PolicyError(
                        f"{at}.{_step(key)}: expected strings, numbers or booleans, found {found}"
                    )
            out.append((str(operator), str(key), tuple(values)))
    return out


def _step(name: Any) -> str:
    """A path step for error messages: plain names as they are, anything else quoted on one line."""
    return name if isinstance(name, str) and PLAIN_NAME.fullmatch(name) else show(name)


def principals_of(policy: Policy) -> set[str]:
    """Every AWS principal string named in a Principal or NotPrincipal element (``"*"`` included)."""
    out: set[str] = set()
    for st in policy.statements:
        for names in (st.principal, st.not_principal):
            out.update(n for n in names or () if not n.startswith(NON_AWS_PREFIXES))
    return out
