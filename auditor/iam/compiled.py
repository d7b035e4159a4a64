"""Statements prepared for evaluation: each element of a parsed statement turned into a matcher once per
policy, so that evaluating a connection compares strings and looks up sets (semantics unchanged: the
matchers answer exactly what the element-by-element rules in ``statements`` and ``conditions`` say)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from auditor.iam.conditions import Check, compile_conditions
from auditor.iam.patterns import Actions, actions_matcher, resources_matcher
from auditor.iam.principals import PrincipalSet

if TYPE_CHECKING:
    from auditor.iam.policy import Statement


class CompiledStatement:
    """One statement of one policy: ``name`` is its label in reasons and notes."""

    __slots__ = (
        "actions",
        "conditions",
        "deny",
        "effect",
        "label",
        "name",
        "not_principal",
        "principal",
        "resources",
        "statement",
        "texts",
    )

    def __init__(self, st: Statement, label: str, expand: bool) -> None:
        self.statement = st
        self.label = label
        self.name = st.name(label)
        self.effect = st.effect
        self.deny = st.effect == "Deny"
        self.actions: Actions = (
            actions_matcher(tuple(st.actions), False)
            if st.actions is not None
            else actions_matcher(tuple(st.not_actions or ()), True)
        )
        patterns = st.resources if st.resources is not None else st.not_resources
        self.resources = (
            None if patterns is None else resources_matcher(tuple(patterns), st.resources is None, expand)
        )
        self.principal = None if st.principal is None else PrincipalSet(st.principal)
        self.not_principal = st.not_principal
        self.conditions: tuple[Check, ...] = compile_conditions(st.conditions, expand)
        self.texts: dict[tuple[str, str], str] | None = None  # describe() by (kind, action)


class CompiledPolicy:
    """The compiled statements of a policy and, per kind of policy, the first statement error."""

    __slots__ = ("errors", "label", "statements")

    def __init__(self, label: str, statements: Sequence[Statement], expand: bool) -> None:
        self.label = label
        self.statements = tuple(CompiledStatement(st, label, expand) for st in statements)
        self.errors = {kind: _first_error(statements, label, kind) for kind in ("resource", "identity")}


def _first_error(statements: Sequence[Statement], label: str, kind: str) -> str | None:
    """What a file system policy or an identity policy may not contain (checked before evaluating)."""
    for st in statements:
        has_principal = st.principal is not None or st.not_principal is not None
        if kind == "resource" and not has_principal:
            error = "Principal or NotPrincipal is required in a file system policy"
        elif kind == "identity" and has_principal:
            error = "Principal and NotPrincipal are not allowed in an identity policy"
        elif kind == "identity" and st.resources is None and st.not_resources is None:
            error = "Resource or NotResource is required in an identity policy"
        else:
            continue
        return f"{label}: Statement[{st.index}]: {error}"
    return None
