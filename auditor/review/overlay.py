"""Lay the declared snapshot over the live one: what the estate looks like once the files deploy.

A declared resource replaces the live one with the same identity (ARN; security groups by account
and group id; Kubernetes objects by cluster, namespace, kind and name) and new ones are added. An ECS
task definition is identified by its family: registering it creates the next revision, so it takes
the place (and the ARN) of the newest live revision of that family, and comparing the two runs
compares that family before and after.
"""

from __future__ import annotations

from auditor.model.arn import Arn
from auditor.model.k8s import K8sCluster
from auditor.model.snapshot import Snapshot

KEYS = {
    "file_systems": lambda r: r.arn,
    "access_points": lambda r: r.arn,
    "security_groups": lambda r: (r.account_id, r.group_id),
    "subnets": lambda r: (r.account_id, r.subnet_id),
    "roles": lambda r: r.arn,
    "managed_policies": lambda r: r.arn,
    "task_definitions": lambda r: r.arn,
    "ecs_services": lambda r: r.arn,
    "lambda_functions": lambda r: r.arn,
}
CLUSTER_LISTS = {
    "persistent_volumes": lambda o: o.name,
    "persistent_volume_claims": lambda o: (o.namespace, o.name),
    "storage_classes": lambda o: o.name,
    "workloads": lambda o: (o.kind, o.namespace, o.name),
    "service_accounts": lambda o: (o.namespace, o.name),
    "pod_identity_associations": lambda o: (o.namespace, o.service_account),
}


def task_family_renames(declared: Snapshot, live: Snapshot) -> dict[str, str]:
    """Declared task definition ARN -> the newest live revision of the same family, if any."""
    newest: dict[tuple[str, str, str], object] = {}
    for td in live.task_definitions:
        key = (td.account_id, td.region, td.family)
        if key not in newest or td.revision > newest[key].revision:
            newest[key] = td
    out = {}
    for td in declared.task_definitions:
        old = newest.get((td.account_id, td.region, td.family))
        if old is not None and old.arn != td.arn:
            out[td.arn] = old.arn
    return out


def rename_task_definitions(declared: Snapshot, renames: dict[str, str]) -> Snapshot:
    if not renames:
        return declared
    tds = []
    for td in declared.task_definitions:
        if td.arn in renames:
            arn = renames[td.arn]
            td = td.model_copy(update={"arn": arn, "revision": int(Arn.parse(arn).qualifier or "")})
        tds.append(td)
    svcs = [
        s.model_copy(
            update={"task_definition_arn": renames.get(s.task_definition_arn, s.task_definition_arn)}
        )
        for s in declared.ecs_services
    ]
    issues = [
        i.model_copy(update={"resource_id": renames.get(i.resource_id, i.resource_id)})
        for i in declared.issues
    ]
    at = {renames.get(k, k): v for k, v in declared.declared_at.items()}
    return declared.model_copy(
        update={"task_definitions": tds, "ecs_services": svcs, "issues": issues, "declared_at": at}
    )


def overlay(live: Snapshot, declared: Snapshot) -> Snapshot:
    data = {}
    for name, key in KEYS.items():
        merged = {key(r): r for r in getattr(live, name)}
        for r in getattr(declared, name):
            if name == "managed_policies" and key(r) in merged and r.arn.startswith("arn:aws:iam::aws:"):
                continue  # an AWS managed policy as collected beats the copy the review carries
            merged[key(r)] = r
        data[name] = list(merged.values())
    clusters = {c.name: c for c in live.clusters}
    for c in declared.clusters:
        clusters[c.name] = _overlay_cluster(clusters[c.name], c) if c.name in clusters else c
    scopes = {u.scope for u in live.units}
    units = list(live.units) + [u for u in declared.units if u.scope not in scopes]
    return Snapshot(
        units=units,
        issues=[*live.issues, *declared.issues],
        clusters=list(clusters.values()),
        declared_at=declared.declared_at,
        **data,
    ).normalised()


def _overlay_cluster(live: K8sCluster, declared: K8sCluster) -> K8sCluster:
    update = {}
    for name, key in CLUSTER_LISTS.items():
        mine = getattr(declared, name) or []
        theirs = getattr(live, name)
        if not mine:
            continue
        # A live list that was not collected stays unknown through its collection issue.
        merged = {key(o): o for o in theirs or []}
        for o in mine:
            was = merged.get(key(o))
            if (
                name == "persistent_volume_claims"
                and was is not None
                and was.volume_name
                and not o.volume_name
            ):
                # applying a claim again keeps its binding: spec.volumeName is set once, by the binder
                o = o.model_copy(update={"volume_name": was.volume_name})
            merged[key(o)] = o
        update[name] = list(merged.values())
    for name in ("csi_node", "csi_controller"):
        if getattr(declared, name) is not None:
            update[name] = getattr(declared, name)
    return live.model_copy(update=update)
