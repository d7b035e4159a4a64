"""Evaluating one set of policies (file system policy, identity policies or a permissions boundary)
for one action and one caller: statement matching (§2.1, §2.3-§2.5) and the OR of Allow and of Deny
statements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from auditor.iam.conditions import RequestValue, evaluate_conditions
from auditor.iam.logic import Tri, and_, or_
from auditor.iam.policy import Policy, PolicyError, Statement, action_matches, glob_match
from auditor.iam.principals import Match, Principal, match_not_principal, match_principal

Kind = Literal["resource", "identity"]


@dataclass
class Side:
    """The outcome of one set of policies (file system policy, identity policies or boundary)."""

    allow: Tri = Tri.FALSE
    allow_account: Tri = Tri.FALSE  # file system policy Allow via an account principal (delegation, §2.5)
    deny: Tri = Tri.FALSE
    allow_reasons: list[str] = field(default_factory=list)
    deny_reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @staticmethod
    def unreadable(note: str) -> Side:
        return Side(allow=Tri.UNKNOWN, deny=Tri.UNKNOWN, notes=[note])


def evaluate_policies(
    policies: Sequence[Policy],
    kind: Kind,
    act: str,
    who: Principal,
    fs_arn: str,
    request: dict[str, RequestValue],
) -> Side:
    """OR of the Allow statements and OR of the Deny statements of one set of policies."""
    side = Side()
    for policy in policies:
        for st in policy.statements:
            _check(st, policy.label, kind)
        for st in policy.statements:
            applies, delegated, notes = evaluate_statement(st, policy, kind, act, who, fs_arn, request)
            side.notes.extend(notes)
            if applies is Tri.FALSE:
                continue
            text = describe(st, policy.label, kind, act) + (
                " (account principal: delegates to the account's identity policies)" if delegated else ""
            )
            if st.effect == "Deny":
                side.deny = or_(side.deny, applies)
                if applies is Tri.TRUE:
                    side.deny_reasons.append(text)
            else:
                if delegated:
                    side.allow_account = or_(side.allow_account, applies)
                else:
                    side.allow = or_(side.allow, applies)
                if applies is Tri.TRUE:
                    side.allow_reasons.append(text)
    return side


def _check(st: Statement, label: str, kind: Kind) -> None:
    where = f"{label}: Statement[{st.index}]"
    has_principal = st.principal is not None or st.not_principal is not None
    if kind == "resource" and not has_principal:
        raise PolicyError(f"{where}: Principal or NotPrincipal is required in a file system policy")
    if kind == "identity" and has_principal:
        raise PolicyError(f"{where}: Principal and NotPrincipal are not allowed in an identity policy")
    if kind == "identity" and st.resources is None and st.not_resources is None:
        raise PolicyError(f"{where}: Resource or NotResource is required in an identity policy")


def evaluate_statement(
    st: Statement,
    policy: Policy,
    kind: Kind,
    act: str,
    who: Principal,
    fs_arn: str,
    request: dict[str, RequestValue],
) -> tuple[Tri, bool, list[str]]:
    """(applies, delegated via an account principal, notes). applies = principal AND action AND resource
    AND condition. Notes come with FALSE only for NotPrincipal (whose support by EFS is unverified)."""
    name = st.name(policy.label)
    if st.actions is not None:
        acted = any(action_matches(p, act) for p in st.actions)
    else:
        acted = not any(action_matches(p, act) for p in st.not_actions or ())
    if not acted:
        return Tri.FALSE, False, []
    notes: list[str] = []
    resource = _resource(st, kind, fs_arn, policy.expands_variables)
    if resource is Tri.FALSE:
        return Tri.FALSE, False, []
    if resource is Tri.UNKNOWN:
        notes.append(f"{name}: a policy variable in the resource cannot be resolved for NFS clients")
    matched, delegated = Tri.TRUE, False
    if kind == "resource" and st.principal is not None:
        m = match_principal(st.principal, who)
        if m is Match.NO:
            return Tri.FALSE, False, []
        delegated = m is Match.ACCOUNT and st.effect == "Allow"
        if m is Match.UNKNOWN:
            matched = Tri.UNKNOWN
            notes.append(f"{name}: names a session of {who.arn} whose session name is not known")
    elif kind == "resource" and st.not_principal is not None:
        # Noted even when the caller is excluded: if EFS ignored NotPrincipal, the answer would change.
        notes.append(f"{name}: EFS support for NotPrincipal is UNVERIFIED (§2.5)")
        matched, note = match_not_principal(st.not_principal, who)
        if matched is Tri.FALSE:
            return Tri.FALSE, False, notes
        notes.extend([f"{name}: {note}"] if note else [])
    condition, cond_notes = evaluate_conditions(st.conditions, request, policy.expands_variables)
    applies = and_(matched, resource, condition)
    if applies is Tri.FALSE:
        return Tri.FALSE, False, []
    notes.extend(f"{name}: {n}" for n in cond_notes)
    if applies is Tri.UNKNOWN:
        leaning = "an Allow that may apply" if st.effect == "Allow" else "a Deny that may not apply"
        notes.append(f"{describe(st, policy.label, kind, act)} is undecided ({leaning}, §2.4)")
    return applies, delegated, notes


def _resource(st: Statement, kind: Kind, fs_arn: str, expand: bool) -> Tri:
    """Resource / NotResource against the file system ARN. An omitted Resource in a file system policy means
    the file system itself (§2.5); an access point ARN never matches (edge 14, §2.1)."""
    patterns = st.resources if st.resources is not None else st.not_resources
    if patterns is None:
        return Tri.TRUE if kind == "resource" else Tri.FALSE
    hit = Tri.FALSE
    for p in patterns:
        if glob_match(p, fs_arn):
            hit = Tri.TRUE
            break
        if expand and "${" in p:
            hit = Tri.UNKNOWN
    return hit if st.resources is not None else hit.not_()


def describe(st: Statement, label: str, kind: Kind, act: str) -> str:
    """'file system policy statement 2 (Sid "AllowApp"): Allow AWS:* elasticfilesystem:ClientMount'."""
    who = ""
    if kind == "resource":
        names = sorted(st.principal if st.principal is not None else st.not_principal or ())
        shown = ", ".join("AWS:*" if n == "*" else n for n in names[:3]) + (", ..." if len(names) > 3 else "")
        who = (shown if st.principal is not None else f"NotPrincipal [{shown}]") + " "
    cond = " (with conditions)" if st.conditions else ""
    return f"{st.name(label)}: {st.effect} {who}{act}{cond}"
