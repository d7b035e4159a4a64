"""The questions the analysis and the checks ask about policy documents, answered in one place so that
nothing outside auditor/iam walks raw statements or matches IAM wildcards itself.

Decisions (ALLOW / DENY / UNKNOWN for a principal, an action, a file system and an access point) come
from :func:`auditor.iam.authorize`, reached through ``Analysis.authz.grant`` which caches them; the
questions here are about what a document says: its statements, the principals it names, the
condition keys it uses, the resources it grants an action on. Wildcards follow IAM's rules (§2.1):
``*`` any run of characters, ``?`` one character, over the whole string; ARNs and resource names
case-sensitively, actions case-insensitively (auditor/iam/patterns.py).
"""

from __future__ import annotations

import re

from auditor.iam.patterns import action_matches, glob_match, has_wildcard

AP_KEY = "elasticfilesystem:accesspointarn"
_VARIABLE = re.compile(r"\$\{[^}]*\}")


def statements(document) -> list[dict]:
    """The statements of a policy document; a lone statement object counts as a list of one."""
    sts = document.get("Statement", []) if isinstance(document, dict) else []
    sts = [sts] if isinstance(sts, dict) else sts
    return [s for s in sts if isinstance(s, dict)] if isinstance(sts, list) else []


def _strings(value) -> list[str]:
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]


def principal_values(value) -> list[str]:
    """Entries of a Principal / NotPrincipal element: ``"*"`` or the strings of every type."""
    if value == "*":
        return ["*"]
    if isinstance(value, dict):
        return [v for entries in value.values() for v in _strings(entries)]
    return []


def named_principals(document, effect: str | None = None, negated: bool = True) -> set[str]:
    """Principals a policy names (of statements with ``effect`` if given; NotPrincipal too if ``negated``)."""
    out: set[str] = set()
    for st in statements(document):
        if effect is not None and st.get("Effect") != effect:
            continue
        out.update(principal_values(st.get("Principal")))
        if negated:
            out.update(principal_values(st.get("NotPrincipal")))
    return out


def condition_keys(document) -> list[dict]:
    """Every condition key a document uses: statement index, Sid, Effect, operator and key."""
    found = []
    for i, st in enumerate(statements(document)):
        cond = st.get("Condition")
        for op, block in cond.items() if isinstance(cond, dict) else []:
            for key in block if isinstance(block, dict) else []:
                found.append(
                    {
                        "statement": i,
                        "sid": st.get("Sid"),
                        "effect": st.get("Effect"),
                        "operator": op,
                        "key": key,
                    }
                )
    return found


def condition_values(document, key: str) -> list[str]:
    """Values a document compares ``key`` (case-insensitive) with, in any operator."""
    key = key.lower()
    if hasattr(document, "statements"):  # a parsed auditor.iam.Policy
        return [
            v
            for st in document.statements
            for _, k, values in st.conditions
            if k.lower() == key
            for v in values
        ]
    out: list[str] = []
    for st in statements(document):
        cond = st.get("Condition")
        for block in cond.values() if isinstance(cond, dict) else []:
            for k, values in block.items() if isinstance(block, dict) else []:
                if k.lower() == key:
                    out.extend(_strings(values))
    return out


def access_point_condition_values(document) -> list[str]:
    """Access point ARNs (or patterns) a document conditions on (§2.4)."""
    return condition_values(document, AP_KEY)


def allowed_resources(document, action: str) -> list[str]:
    """Resource patterns of the Allow statements whose Action covers ``action`` (§2.1, §2.5)."""
    out = []
    for st in statements(document):
        if st.get("Effect") != "Allow" or "Action" not in st:
            continue
        if any(action_matches(x, action) for x in _strings(st["Action"])):
            out.extend(_strings(st.get("Resource", [])))
    return out


def resource_matches(pattern: str, arn: str) -> bool:
    """IAM Resource matching: ``*`` and ``?`` wildcards, case-sensitive, the whole ARN (§2.1). A policy
    variable (``${...}``) matches whatever it may stand for: it is widened to ``*`` (conservative)."""
    return glob_match(widen_variables(pattern), arn)


def widen_variables(pattern: str) -> str:
    """A pattern with every policy variable (``${aws:username}``) replaced by ``*``."""
    return _VARIABLE.sub("*", pattern) if "${" in pattern else pattern


def is_pattern(value: str) -> bool:
    """Whether a value holds an IAM wildcard or a policy variable."""
    return has_wildcard(value) or "${" in value
