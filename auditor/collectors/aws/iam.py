"""IAM (unit ``aws:<account>:global``): roles and the managed policies they use.

Calls: GetAccountAuthorizationDetails (pages, Filter Role + LocalManagedPolicy); for each distinct
AWS managed policy attached to a role (or used as a boundary), GetPolicy + GetPolicyVersion.

Which roles are kept (:func:`select`): roles referenced by the collected workloads (ECS task and
execution roles, Lambda roles, EKS node and pod-identity roles), roles that AWS compute services or
an OIDC provider (IRSA, the EFS CSI driver) may assume, and roles whose policies mention
``elasticfilesystem`` or allow Action ``*`` / NotAction. A role whose policy could not be read is kept.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from auditor.collectors.aws.unit import CALL_ERRORS, Unit, tag_dict
from auditor.model.aws import IamRole, ManagedPolicy

SERVICE = "iam"
WORKLOAD_SERVICES = {
    "ecs-tasks.amazonaws.com",
    "lambda.amazonaws.com",
    "pods.eks.amazonaws.com",
    "ec2.amazonaws.com",
    "eks.amazonaws.com",
}


def collect(unit: Unit) -> tuple[list[IamRole], dict[str, ManagedPolicy]] | None:
    """All roles and the managed policies they attach; None when the role list could not be read."""
    api = unit.api(SERVICE)
    roles, local = [], {}
    try:
        for page in api.pages("GetAccountAuthorizationDetails", Filter=["Role", "LocalManagedPolicy"]):
            roles += [role(unit.account_id, r) for r in page.get("RoleDetailList", [])]
            for p in page.get("Policies", []):
                local[p["Arn"]] = local_policy(p)
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, "GetAccountAuthorizationDetails", exc)
        return None
    policies = dict(local)
    wanted = sorted(
        {
            a
            for r in roles
            for a in (r.attached_policy_arns or []) + [r.permissions_boundary_arn or ""]
            if a and a not in local
        }
    )
    for arn in wanted:
        policies[arn] = _managed_policy(unit, api, arn)
    return roles, policies


def role(account_id: str, r: dict) -> IamRole:
    return IamRole(
        arn=r["Arn"],
        role_name=r["RoleName"],
        account_id=account_id,
        role_id=r.get("RoleId"),
        path=r.get("Path"),
        trust_policy=document(r.get("AssumeRolePolicyDocument")),
        inline_policies={
            p["PolicyName"]: document(p.get("PolicyDocument")) for p in r.get("RolePolicyList", [])
        },
        attached_policy_arns=[p["PolicyArn"] for p in r.get("AttachedManagedPolicies", [])],
        permissions_boundary_arn=(r.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
        tags=tag_dict(r.get("Tags")),
    )


def local_policy(p: dict) -> ManagedPolicy:
    default = next((v for v in p.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), None)
    # The name is the ARN's last segment; it is read from there when the response omits it (moto does).
    return ManagedPolicy(
        arn=p["Arn"],
        name=p.get("PolicyName") or p["Arn"].rsplit("/", 1)[-1],
        default_version_id=p.get("DefaultVersionId"),
        document=document(default.get("Document")) if default else None,
    )


def _managed_policy(unit: Unit, api, arn: str) -> ManagedPolicy:
    try:
        meta = api.call("GetPolicy", PolicyArn=arn)["Policy"]
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, "GetPolicy", exc, arn)
        return ManagedPolicy(arn=arn)
    version = meta.get("DefaultVersionId")
    try:
        doc = api.call("GetPolicyVersion", PolicyArn=arn, VersionId=version)["PolicyVersion"].get("Document")
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, "GetPolicyVersion", exc, arn)
        doc = None
    return ManagedPolicy(
        arn=arn, name=meta.get("PolicyName"), default_version_id=version, document=document(doc)
    )


def document(value) -> dict | None:
    """A policy document as a dict (botocore decodes IAM documents; raw URL-encoded text is accepted)."""
    if value is None or isinstance(value, dict):
        return value
    try:
        parsed = json.loads(unquote(value))
    except (TypeError, ValueError):
        return None
    return parsed if isinstance(parsed, dict) else None


def select(
    roles: list[IamRole], policies: dict[str, ManagedPolicy], referenced: set[str]
) -> tuple[list[IamRole], list[ManagedPolicy]]:
    kept = [
        r for r in roles if r.arn in referenced or _assumable_by_workloads(r) or _mentions_efs(r, policies)
    ]
    used = {a for r in kept for a in (r.attached_policy_arns or []) + [r.permissions_boundary_arn or ""] if a}
    return kept, [policies[a] for a in sorted(used) if a in policies]


def _assumable_by_workloads(r: IamRole) -> bool:
    for st in _statements(r.trust_policy):
        principal = st.get("Principal") or {}
        if not isinstance(principal, dict):
            continue
        if (
            _as_list(principal.get("Federated"))
            or set(_as_list(principal.get("Service"))) & WORKLOAD_SERVICES
        ):
            return True
    return False


def _mentions_efs(r: IamRole, policies: dict[str, ManagedPolicy]) -> bool:
    docs = list((r.inline_policies or {}).values())
    for arn in r.attached_policy_arns or []:
        p = policies.get(arn)
        if p is None or p.document is None:
            return True  # unreadable: keep the role rather than drop what may matter
        docs.append(p.document)
    for doc in docs:
        if doc is None or "elasticfilesystem" in json.dumps(doc).lower():
            return True
        for st in _statements(doc):
            if st.get("Effect") == "Allow" and ("*" in _as_list(st.get("Action")) or "NotAction" in st):
                return True
    return False


def _statements(doc: dict | None) -> list[dict]:
    return [s for s in _as_list((doc or {}).get("Statement")) if isinstance(s, dict)]


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
