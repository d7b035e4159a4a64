"""Connection authorization for NFS clients: ``authorize`` (semantics §0 layer 4, §2).

Each of ``ClientMount``, ``ClientWrite`` and ``ClientRootAccess`` is decided on its own (§2.1: neither
implies the other); the caller combines them. Every policy is evaluated three-valued; the answer is
ALLOW only when an allow certainly applies and no deny can, DENY when a deny certainly applies or no
allow can, and UNKNOWN otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from auditor.iam.conditions import RequestValue, efs_request_values
from auditor.iam.logic import FALSE, TRUE, UNKNOWN, Tri, and_, or_
from auditor.iam.policy import Policy, PolicyError, full_action, parse_policy
from auditor.iam.principals import Principal
from auditor.iam.statements import Side, evaluate_policies
from auditor.model.ids import account_of

FS_POLICY = "file system policy"
DEFAULT_POLICY = (
    "no file system policy: the default policy grants mount, write and root to every client that "
    "can reach a mount target (§2.2)"
)
DEFAULT_IGNORES_DENY = (
    "an identity-policy Deny could apply, but it is not applied under the default policy: the "
    "client can also mount without iam (conservative rule §2.2)"
)


class Decision(str, Enum):
    """DENY covers explicit and implicit deny."""

    ALLOW = "ALLOW"
    DENY = "DENY"
    UNKNOWN = "UNKNOWN"


_ALLOW, _DENY, _UNKNOWN = Decision.ALLOW, Decision.DENY, Decision.UNKNOWN  # Enum attributes are slow


@dataclass(frozen=True)
class RequestContext:
    """What EFS knows about the connection (§2.4). ``aws:SourceIp`` is always indeterminate."""

    secure_transport: bool | None  # None = unknown
    access_point_arn: str | None  # None = the key is absent (non-access-point mount)
    accessed_via_mount_target: bool = True


@dataclass(frozen=True)
class Evaluation:
    decision: Decision
    reasons: tuple[str, ...]
    unknowns: tuple[str, ...]


def authorize(
    action: str,
    principal: Principal,
    context: RequestContext,
    *,
    file_system_arn: str,
    resource_policy: dict | Policy | None,
    identity_policies: Sequence[tuple[str, dict | Policy]] | None,
    permissions_boundary: tuple[str, dict | Policy | None] | None = None,
    fs_grant_past_boundary: bool = True,
) -> Evaluation:
    """Decide one Client* action for one connection (§2.5). ``resource_policy`` None = the default policy;
    ``identity_policies`` None = they could not be read; a boundary document None = unreadable.
    ``fs_grant_past_boundary``: whether a same-account file system policy grant counts past the role's
    permissions boundary (UNVERIFIED; conservative True, Params.fs_policy_grant_ignores_boundary).
    Raises PolicyError for a malformed document."""
    act = full_action(action)
    request = efs_request_values(
        context.secure_transport, context.access_point_arn, context.accessed_via_mount_target
    )
    if resource_policy is None:
        return _default_policy(act, principal, file_system_arn, request, identity_policies)
    res = evaluate_policies(
        [_parsed(resource_policy, FS_POLICY)], "resource", act, principal, file_system_arn, request
    )
    if principal.kind == "anonymous":  # only the file system policy counts (§2.3)
        return _decide(
            res.allow,
            res.deny,
            [res],
            act,
            "anonymous client: only the file system policy counts (§2.3)",
            "no file system policy statement allows it for anonymous clients",
        )
    if identity_policies is None:
        ident = Side.unreadable(
            f"the identity policies of {principal.arn or 'the role'} could not be read: "
            "an identity Allow or Deny may exist"
        )
    else:
        ident = evaluate_policies(
            [_parsed(doc, label) for label, doc in identity_policies],
            "identity",
            act,
            principal,
            file_system_arn,
            request,
        )
    sides = [res, ident]
    bounded = TRUE
    if permissions_boundary is not None:
        label, doc = permissions_boundary
        bound = (
            Side.unreadable(f"{label} could not be read")
            if doc is None
            else evaluate_policies(
                [_parsed(doc, label)], "identity", act, principal, file_system_arn, request
            )
        )
        sides.append(bound)
        bounded = bound.allow
    id_allow = and_(ident.allow, bounded)
    id_missing = (
        "the identity policies do not allow it"
        if ident.allow is FALSE
        else "the permissions boundary does not allow it"
    )
    denied = or_(*[s.deny for s in sides])
    fs_account, account = _account_of(file_system_arn), principal.account
    same_acct = UNKNOWN if account is None or not fs_account else TRUE if account == fs_account else FALSE
    outcomes = []
    res_grant = res.allow
    if same_acct is not FALSE:  # same account: either side suffices (§2.5)
        if bounded is not TRUE and res.allow is not FALSE:
            if fs_grant_past_boundary:
                res.notes.append(
                    "IAM limits a file system policy grant to a role ARN by the permissions boundary; "
                    "whether EFS does is UNVERIFIED, the grant is counted (§2.5, "
                    "setting fs_policy_grant_ignores_boundary)"
                )
            else:
                res_grant = and_(res.allow, bounded)
        outcomes.append(
            _decide(
                or_(res_grant, id_allow),
                denied,
                sides,
                act,
                "same account: an Allow in either policy suffices (§2.5)",
                f"the file system policy does not allow it and {id_missing}",
            )
        )
    if same_acct is not TRUE:  # cross account: both sides (§2.5, §8)
        res_allow = or_(res.allow, res.allow_account)
        outcomes.append(
            _decide(
                and_(res_allow, id_allow),
                denied,
                sides,
                act,
                "cross account: the file system policy and the identity policies must both allow (§2.5, §8)",
                "the file system policy does not allow it for this principal or its account"
                if res_allow is FALSE
                else id_missing,
            )
        )
    if len(outcomes) == 1 or outcomes[0].decision is outcomes[1].decision:
        return outcomes[0]
    return Evaluation(
        Decision.UNKNOWN,
        outcomes[0].reasons,
        outcomes[0].unknowns
        + ("the principal's account is unknown and the same- and cross-account rules disagree (§2.5)",),
    )


def _default_policy(
    act: str,
    principal: Principal,
    fs_arn: str,
    request: dict[str, RequestValue],
    identity_policies: Sequence[tuple[str, dict | Policy]] | None,
) -> Evaluation:
    reasons = [DEFAULT_POLICY]
    if principal.kind == "role" and identity_policies:
        try:
            ident = evaluate_policies(
                [_parsed(d, label) for label, d in identity_policies],
                "identity",
                act,
                principal,
                fs_arn,
                request,
            )
        except PolicyError:
            ident = Side()
        if ident.deny is not FALSE:
            reasons.append(DEFAULT_IGNORES_DENY)
    return Evaluation(_ALLOW, tuple(reasons), ())


def _decide(allowed: Tri, denied: Tri, sides: list[Side], act: str, rule: str, missing: str) -> Evaluation:
    """ALLOW only when an allow certainly applies and no deny can; DENY when a deny certainly applies or no
    allow can (implicit deny, ``missing`` says what is lacking); UNKNOWN otherwise."""
    notes = tuple(dict.fromkeys([n for s in sides for n in s.notes])) if any(s.notes for s in sides) else ()
    if denied is TRUE:
        return Evaluation(_DENY, tuple([r for s in sides for r in s.deny_reasons]), notes)
    if allowed is TRUE and denied is FALSE:
        return Evaluation(_ALLOW, (*[r for s in sides for r in s.allow_reasons], rule), notes)
    if allowed is FALSE:
        return Evaluation(_DENY, (f"implicit deny of {act}: {missing} ({rule})",), notes)
    why = "an Allow may apply" if allowed is UNKNOWN else "an Allow applies but a Deny may apply"
    return Evaluation(
        _UNKNOWN, (*[r for s in sides for r in s.allow_reasons], f"undecided: {why} ({rule})"), notes
    )


@lru_cache(maxsize=1024)
def _account_of(file_system_arn: str) -> str | None:
    return account_of(file_system_arn)


def _parsed(document: dict | Policy, label: str) -> Policy:
    """Callers that evaluate the same documents many times may pass them parsed once."""
    return document if isinstance(document, Policy) else parse_policy(document, label)
