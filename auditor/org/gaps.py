"""What a plan names but a (merged) snapshot does not deliver, as collection issues.

Every planned account needs its global unit and one unit per planned region, each having attempted
every service; every planned cluster needs its unit. What is missing becomes a CollectionIssue
(ShardMissing, UnitMissing, ServiceNotAttempted), so every check it affects is NOT_ASSESSED and the
run exits 3. Service ``plan`` stands for "nothing of this scope": like a failed AssumeRole.
"""

from __future__ import annotations

from auditor.model.scope import aws_scope, is_k8s_scope, k8s_scope
from auditor.model.snapshot import CollectionIssue, Snapshot

GLOBAL_SERVICES = ("iam",)
REGION_SERVICES = (
    "backup",
    "ec2",
    "ecs",
    "efs",
    "eks",
    "lambda",
)  # auditor.collectors.aws.run.REGION_SERVICES


def plan_issues(snapshot: Snapshot) -> list[CollectionIssue]:
    plan = snapshot.plan
    if plan is None:
        return []
    units = {u.scope: u for u in snapshot.units}
    attempted = {a for s in snapshot.shards if s.plan_digest == plan.digest for a in s.accounts}
    short = plan.digest[:12]
    out: list[CollectionIssue] = []

    def issue(scope: str, service: str, code: str, message: str) -> None:
        out.append(
            CollectionIssue(scope=scope, service=service, operation="Plan", error_code=code, message=message)
        )

    for account in plan.accounts:
        a = account.account_id
        label = f"account {a}" + (f" ({account.name})" if account.name else "")
        if a not in attempted:
            issue(
                aws_scope(a),
                "plan",
                "ShardMissing",
                f"{label} of plan {short} (role {account.role_arn}) was not delivered by any shard",
            )
            continue
        scopes = [(aws_scope(a), GLOBAL_SERVICES)] + [
            (aws_scope(a, r), REGION_SERVICES) for r in plan.regions
        ]
        for scope, services in scopes:
            unit = units.get(scope)
            if unit is None:
                issue(
                    scope,
                    "plan",
                    "UnitMissing",
                    f"{label}: the shard that attempted it delivered no {scope} unit",
                )
                continue
            for svc in services:
                if svc not in unit.services:
                    issue(scope, svc, "ServiceNotAttempted", f"{label}: {svc} was not attempted in {scope}")
    for cluster in plan.clusters:
        scope = cluster if is_k8s_scope(cluster) else k8s_scope(cluster)
        if scope not in units:
            issue(scope, "k8s", "UnitMissing", f"cluster {cluster} of plan {short} was not collected")
    return out


def with_plan_issues(snapshot: Snapshot) -> Snapshot:
    """The snapshot with its plan's gaps recorded (once: recomputing never duplicates an issue)."""
    gaps = plan_issues(snapshot)
    if not gaps:
        return snapshot
    have = {(i.scope, i.service, i.operation, i.error_code) for i in snapshot.issues}
    new = [g for g in gaps if (g.scope, g.service, g.operation, g.error_code) not in have]
    return snapshot.model_copy(update={"issues": snapshot.issues + new}).normalised() if new else snapshot
