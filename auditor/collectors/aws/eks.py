"""EKS: cluster stubs (account, region, ARN, pod identity associations, node roles). The Kubernetes
collector fills in the objects; the snapshot merge joins both halves by cluster name.

Calls per account and region: ListClusters (pages); per cluster DescribeCluster, ListNodegroups
(pages), ListPodIdentityAssociations (pages); per node group DescribeNodegroup; per association
DescribePodIdentityAssociation (the list does not carry the role ARN).
"""

from __future__ import annotations

from auditor.collectors.aws.unit import CALL_ERRORS, Unit
from auditor.model.k8s import K8sCluster, PodIdentityAssociation

SERVICE = "eks"


def collect(unit: Unit) -> dict:
    api = unit.api(SERVICE)
    try:
        names = [c for page in api.pages("ListClusters") for c in page.get("clusters", [])]
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, "ListClusters", exc)
        return {"clusters": []}
    return {"clusters": [_cluster(unit, api, name) for name in names]}


def _cluster(unit: Unit, api, name: str) -> K8sCluster:
    try:
        arn = api.call("DescribeCluster", name=name)["cluster"].get("arn")
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, "DescribeCluster", exc, name)
        arn = None
    return K8sCluster(
        name=name,
        account_id=unit.account_id,
        region=unit.region,
        eks_arn=arn,
        node_role_arns=_node_roles(unit, api, name, arn or name),
        pod_identity_associations=_associations(unit, api, name, arn or name),
    )


def _node_roles(unit: Unit, api, name: str, ref: str) -> list[str] | None:
    try:
        groups = [
            g for page in api.pages("ListNodegroups", clusterName=name) for g in page.get("nodegroups", [])
        ]
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, "ListNodegroups", exc, ref)
        return None
    roles: set[str] = set()
    complete = True
    for group in groups:
        try:
            role = api.call("DescribeNodegroup", clusterName=name, nodegroupName=group)["nodegroup"].get(
                "nodeRole"
            )
        except CALL_ERRORS as exc:
            unit.failed(SERVICE, "DescribeNodegroup", exc, f"{ref}/nodegroup/{group}")
            complete = False
            continue
        if role:
            roles.add(role)
    return sorted(roles) if complete else None


def _associations(unit: Unit, api, name: str, ref: str) -> list[PodIdentityAssociation] | None:
    try:
        listed = [
            a
            for page in api.pages("ListPodIdentityAssociations", clusterName=name)
            for a in page.get("associations", [])
        ]
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, "ListPodIdentityAssociations", exc, ref)
        return None
    out = []
    complete = True
    for a in listed:
        try:
            full = api.call(
                "DescribePodIdentityAssociation", clusterName=name, associationId=a["associationId"]
            )["association"]
        except CALL_ERRORS as exc:
            unit.failed(
                SERVICE, "DescribePodIdentityAssociation", exc, a.get("associationArn") or a["associationId"]
            )
            complete = False
            continue
        out.append(
            PodIdentityAssociation(
                namespace=full["namespace"],
                service_account=full["serviceAccount"],
                role_arn=full["roleArn"],
                association_arn=full.get("associationArn"),
            )
        )
    return sorted(out, key=lambda p: (p.namespace, p.service_account)) if complete else None
