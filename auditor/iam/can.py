"""The one question the analysis and the checks ask IAM: may this principal perform this Client* action
on this file system (through this access point, over this transport)?

    from auditor.iam import Principal, can
    answer = can(Principal(kind="role", arn=role_arn), "ClientMount", fs, ap, transport_secure=True,
                 identity_policies=[("inline policy p", doc)])
    answer.allowed / answer.denied / answer.unknown, answer.reasons, answer.unknowns, answer.not_read

The file system policy (resource policy) and the principal's identity policies (and permissions
boundary) are evaluated together as EFS does (§2.2-§2.5): no file system policy is the default policy;
same account, an Allow in either suffices; cross account, both must allow; an explicit Deny in either
wins; the condition keys EFS enforces for NFS clients (aws:SecureTransport,
elasticfilesystem:AccessPointArn, elasticfilesystem:AccessedViaMountTarget) are decided, the others are
indeterminate (§2.4). ``not_read`` lists the facts that were not read and the answer rests on: an answer
resting on one is never a proven ALLOW or DENY for a PASS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from auditor.iam.evaluate import FS_POLICY, Decision, RequestContext, authorize
from auditor.iam.policy import Policy, PolicyError, parse_policy
from auditor.iam.principals import Principal


@dataclass(frozen=True)
class Answer:
    decision: Decision
    reasons: tuple[str, ...]  # the statements (and the rule) that decided
    unknowns: tuple[str, ...]  # conditions and semantics left open (indeterminate, §2.4)
    not_read: tuple[str, ...] = ()  # facts not read that the answer rests on

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW

    @property
    def denied(self) -> bool:
        return self.decision is Decision.DENY

    @property
    def unknown(self) -> bool:
        return self.decision is Decision.UNKNOWN

    @property
    def rests_on_unread(self) -> bool:
        return bool(self.not_read)


def can(
    principal: Principal,
    action: str,
    file_system: Any,
    access_point: Any = None,
    *,
    transport_secure: bool | None,
    via_mount_target: bool = True,
    identity_policies: Sequence[tuple[str, dict | Policy]] | None = None,
    permissions_boundary: tuple[str, dict | Policy | None] | None = None,
    file_system_policy: dict | Policy | None = None,
    fs_grant_past_boundary: bool = True,
) -> Answer:
    """``file_system``: an object with ``arn``, ``policy`` and ``policy_status`` ("present", "absent" or
    "unknown"; auditor.model.aws.FileSystem). ``access_point``: an access point (``arn``), its ARN, or
    None for a mount without one. ``identity_policies`` None = not read (anonymous principals have
    none). ``file_system_policy`` replaces ``file_system.policy`` (a document parsed once by the caller).
    ``fs_grant_past_boundary``: Params.fs_policy_grant_ignores_boundary (§2.5, UNVERIFIED).
    Raises PolicyError for a malformed document."""
    status = getattr(getattr(file_system, "policy_status", None), "value", None) or str(
        getattr(file_system, "policy_status", "present")
    )
    if status == "unknown":
        note = f"the file system policy of {file_system.arn} could not be read"
        return Answer(Decision.UNKNOWN, (), (), (note,))
    policy = None
    if status != "absent":
        policy = file_system_policy if file_system_policy is not None else file_system.policy or {}
        policy = policy if isinstance(policy, Policy) else parse_policy(policy, FS_POLICY)
    ap_arn = access_point if access_point is None or isinstance(access_point, str) else access_point.arn
    ev = authorize(
        action,
        principal,
        RequestContext(transport_secure, ap_arn, via_mount_target),
        file_system_arn=file_system.arn,
        resource_policy=policy,
        identity_policies=[]
        if principal.kind == "anonymous" and identity_policies is None
        else identity_policies,
        permissions_boundary=permissions_boundary,
        fs_grant_past_boundary=fs_grant_past_boundary,
    )
    not_read: tuple[str, ...] = ()
    if identity_policies is None and principal.kind != "anonymous" and ev.decision is Decision.UNKNOWN:
        not_read = (f"the identity policies of {principal.arn or 'the principal'} were not read",)
    return Answer(ev.decision, ev.reasons, ev.unknowns, not_read)


__all__ = ["Answer", "PolicyError", "can"]
