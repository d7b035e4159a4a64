"""Evaluating one set of policies (file system policy, identity policies or a permissions boundary)
for one action and one caller: statement matching (§2.1, §2.3-§2.5) and the OR of Allow and of Deny
statements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from auditor.iam.compiled import CompiledStatement
from auditor.iam.conditions import RequestValue, check_conditions
from auditor.iam.logic import FALSE, TRUE, UNKNOWN, Tri
from auditor.iam.patterns import full_action
from auditor.iam.policy import Policy, PolicyError, Statement
from auditor.iam.principals import Principal, match_not_principal

Kind = Literal["resource", "identity"]


@dataclass(slots=True)
class Side:
    """The outcome of one set of policies (file system policy, identity policies or boundary)."""

    allow: Tri = FALSE
    allow_account: Tri = FALSE  # file system policy Allow via an account principal (delegation, §2.5)
    deny: Tri = FALSE
    allow_reasons: list[str] = field(default_factory=list)
    deny_reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @staticmethod
    def unreadable(note: str) -> Side:
        return Side(allow=UNKNOWN, deny=UNKNOWN, notes=[note])


def evaluate_policies(
    policies: Sequence[Policy],
    kind: Kind,
    act: str,
    who: Principal,
    fs_arn: str,
    request: dict[str, RequestValue],
) -> Side:
    """OR of the Allow statements and OR of the Deny statements of one set of policies. Every statement of
    a policy is checked (PolicyError) before any of them is evaluated."""
    side = Side()
    full = full_action(act)
    for policy in policies:
        compiled = policy.compiled
        error = compiled.errors.get(kind)
        if error is not None:
            raise PolicyError(error)
        for st in compiled.statements:
            if not st.actions.covers(full):
                continue  # the cheapest test, and the one that most often decides
            applies, via_account, notes = evaluate_statement(st, kind, act, who, fs_arn, request)
            if notes:
                side.notes.extend(notes)
            if applies is FALSE and via_account is FALSE:
                continue
            if st.deny:
                side.deny = _or(side.deny, applies)
                if applies is TRUE:
                    side.deny_reasons.append(_describe(st, kind, act))
                continue
            if applies is not FALSE:
                side.allow = _or(side.allow, applies)
                if applies is TRUE:
                    side.allow_reasons.append(_describe(st, kind, act))
            if via_account is not FALSE:
                side.allow_account = _or(side.allow_account, via_account)
                if via_account is TRUE:
                    side.allow_reasons.append(_describe(st, kind, act) + DELEGATES)
    return side


DELEGATES = " (account principal: delegates to the account's identity policies)"
_NOT_APPLICABLE: tuple[Tri, Tri, tuple[str, ...]] = (FALSE, FALSE, ())


def _or(a: Tri, b: Tri) -> Tri:
    """``or_(a, b)`` for the two values at hand."""
    if a is TRUE or b is TRUE:
        return TRUE
    return UNKNOWN if a is UNKNOWN or b is UNKNOWN else FALSE


def evaluate_statement(
    st: CompiledStatement,
    kind: Kind,
    act: str,
    who: Principal,
    fs_arn: str,
    request: dict[str, RequestValue],
) -> tuple[Tri, Tri, list[str] | tuple[str, ...]]:
    """(applies, applies via an account principal, notes) for a statement whose Action / NotAction covers
    ``act``. applies = resource AND principal AND condition, decided in that order (the first FALSE ends
    it). A Principal list is the OR of its entries: for an Allow, the entries naming the caller (role,
    session, unique id) give ``applies`` and an entry naming only the caller's account gives the second
    value (delegation to the account's identity policies, §2.5); neither hides the other, so adding an entry
    never narrows the Allow. For a Deny an account principal covers every principal of the account and the
    second value is FALSE. Notes come with FALSE only for NotPrincipal (whose support by EFS is
    unverified)."""
    if st.resources is not None:
        resource = st.resources.test(fs_arn)
    else:  # an omitted Resource in a file system policy means the file system itself (§2.5)
        resource = TRUE if kind == "resource" else FALSE
    if resource is FALSE:
        return _NOT_APPLICABLE
    notes: list[str] = []
    if resource is UNKNOWN:
        notes.append(f"{st.name}: a policy variable in the resource cannot be resolved for NFS clients")
    matched, account = TRUE, FALSE
    if kind == "resource" and st.principal is not None:
        matched, names_account = st.principal.match(who)
        if names_account and matched is not TRUE:  # naming the caller already covers its account
            if st.deny:
                matched = TRUE
            else:
                account = TRUE
        if matched is FALSE and account is FALSE:
            return _NOT_APPLICABLE
        if matched is UNKNOWN:
            notes.append(f"{st.name}: names a session of {who.arn} whose session name is not known")
    elif kind == "resource" and st.not_principal is not None:
        # Noted even when the caller is excluded: if EFS ignored NotPrincipal, the answer would change.
        notes.append(f"{st.name}: EFS support for NotPrincipal is UNVERIFIED (§2.5)")
        matched, note = match_not_principal(st.not_principal, who)
        if matched is FALSE:
            return FALSE, FALSE, notes
        if note:
            notes.append(f"{st.name}: {note}")
    if st.conditions:
        condition, cond_notes = check_conditions(st.conditions, request)
        if condition is FALSE:
            return _NOT_APPLICABLE
        if cond_notes:
            notes.extend(f"{st.name}: {n}" for n in cond_notes)
    else:
        condition = TRUE
    if resource is TRUE and condition is TRUE:
        if matched is TRUE or (matched is FALSE and account is TRUE):
            return matched, account, notes
        applies, via_account = matched, account
    else:
        rest = UNKNOWN  # resource and condition: neither is FALSE here
        applies = FALSE if matched is FALSE else rest
        via_account = FALSE if account is FALSE else rest
    leaning = "an Allow that may apply" if not st.deny else "a Deny that may not apply"
    notes.append(f"{_describe(st, kind, act)} is undecided ({leaning}, §2.4)")
    return applies, via_account, notes


def _describe(st: CompiledStatement, kind: Kind, act: str) -> str:
    """``describe`` remembered per statement, kind and action (the same few texts are asked for often)."""
    texts = st.texts
    if texts is None:
        texts = st.texts = {}
    text = texts.get((kind, act))
    if text is None:
        text = describe(st.statement, st.label, kind, act)
        if len(texts) < 16:
            texts[(kind, act)] = text
    return text


def describe(st: Statement, label: str, kind: Kind, act: str) -> str:
    """'file system policy statement 2 (Sid "AllowApp"): Allow AWS:* elasticfilesystem:ClientMount'."""
    who = ""
    if kind == "resource":
        names = sorted(st.principal if st.principal is not None else st.not_principal or ())
        shown = ", ".join("AWS:*" if n == "*" else n for n in names[:3]) + (", ..." if len(names) > 3 else "")
        who = (shown if st.principal is not None else f"NotPrincipal [{shown}]") + " "
    cond = " (with conditions)" if st.conditions else ""
    return f"{st.name(label)}: {st.effect} {who}{act}{cond}"
