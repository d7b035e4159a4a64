"""Facts: the pieces of an estate the collectors read, and which of them a snapshot lacks.

A fact id names what one read produced, at the granularity the collectors read it:
``<scope>/<service>/<name>`` for a listing of a whole scope (``aws:1:eu-west-1/efs/DescribeFileSystems``)
and ``<scope>/<service>/<name>/<resource>`` for a read about one resource
(``aws:1:eu-west-1/efs/DescribeFileSystemPolicy/fs-123``). ``name`` is the operation, except where
several operations feed one fact (``ecs/task-definitions``, ``k8s/workloads``, ``eks/cluster/<name>``).

:class:`Coverage` derives, from the snapshot's units and issues alone (no new snapshot fields), which
facts were not read: an issue about a resource makes that resource's fact unread, an issue without
one makes the fact unread for every resource of the scope, an operation ``*`` (the service was not
collected) every fact of the service, and an incomplete unit, or an account that could not be opened,
every fact of the scope or account. ``estate/workloads`` stands for every workload listing at once.
"""

from __future__ import annotations

from collections import defaultdict

from auditor.model.ids import parse_arn
from auditor.model.snapshot import CollectionIssue, Snapshot

# (service, operation) -> fact name, where it is not the operation itself; None: the fact is about
# the whole scope even when the issue names a resource (a listing that lost one of its members).
NAMES: dict[tuple[str, str], tuple[str, bool]] = {
    ("ec2", "DescribeRouteTables"): ("DescribeSubnets", False),  # routing is part of the subnet fact
    ("ecs", "ListClusters"): ("services", False),
    ("ecs", "ListServices"): ("services", False),
    ("ecs", "DescribeServices"): ("services", False),
    ("ecs", "ListTaskDefinitionFamilies"): ("task-definitions", False),
    ("ecs", "DescribeTaskDefinition"): ("task-definitions", False),
    ("eks", "DescribeCluster"): ("cluster", True),
    ("eks", "ListNodegroups"): ("cluster", True),
    ("eks", "DescribeNodegroup"): ("cluster", True),
    ("eks", "ListPodIdentityAssociations"): ("cluster", True),
    ("eks", "DescribePodIdentityAssociation"): ("cluster", True),
    ("iam", "GetPolicyVersion"): ("GetPolicy", True),
}
# Kubernetes lists and object kinds -> fact name (every workload kind feeds one fact)
K8S_NAMES: dict[str, str] = {
    "persistentvolumes": "persistentvolumes",
    "PersistentVolume": "persistentvolumes",
    "persistentvolumeclaims": "persistentvolumeclaims",
    "PersistentVolumeClaim": "persistentvolumeclaims",
    "storageclasses": "storageclasses",
    "StorageClass": "storageclasses",
    "serviceaccounts": "serviceaccounts",
    "ServiceAccount": "serviceaccounts",
}
ESTATE_WORKLOADS = "estate/workloads"
ESTATE_FILE_SYSTEMS = "estate/file-systems"  # a file system named by a workload but not in the snapshot
# The listings that enumerate workloads and who they belong to: (service, fact name)
# (and the principals they mount as: Kubernetes service accounts, EKS Pod Identity and node roles)
WORKLOAD_LISTINGS = {
    ("ecs", "task-definitions"),
    ("ecs", "services"),
    ("lambda", "ListFunctions"),
    ("lambda", "ListTags"),
    ("k8s", "workloads"),
    ("k8s", "persistentvolumes"),
    ("k8s", "persistentvolumeclaims"),
    ("k8s", "storageclasses"),
    ("k8s", "serviceaccounts"),
    ("eks", "ListClusters"),
    ("eks", "cluster"),
}
EFS_LISTINGS = {("efs", "DescribeFileSystems"), ("efs", "DescribeAccessPoints")}


def fact_id(scope: str, service: str, name: str, resource: str | None = None) -> str:
    return f"{scope}/{service}/{name}" + (f"/{resource}" if resource else "")


def short(resource_id: str) -> str:
    """A resource's short name in fact ids: fs-123, fsmt-123, a role or function name, a cluster name."""
    arn = parse_arn(resource_id)
    text = arn.resource if arn else resource_id
    if (
        arn and arn.service == "eks" and "/" in text
    ):  # cluster/NAME, nodegroup/NAME/..., podidentityassociation/NAME/...
        return text.split("/")[1]
    if arn and arn.service == "iam":
        return text  # role/NAME, policy/NAME: AWS managed and local policies stay apart
    return text.replace(":", "/").rsplit("/", 1)[-1]


def fact_of(issue: CollectionIssue) -> str:
    """The fact an issue says was not read."""
    service, op = issue.service, issue.operation
    if op == "*":
        return fact_id(issue.scope, service, "*")
    if service == "k8s":
        verb, _, what = op.partition(" ")
        name = K8S_NAMES.get(what, "workloads" if verb in ("list", "read") else op)
        return fact_id(issue.scope, service, name)
    name, per_resource = NAMES.get((service, op), (op, True))
    resource = short(issue.resource_id) if issue.resource_id and per_resource else None
    if service == "eks" and resource and issue.resource_id and "/nodegroup/" in issue.resource_id:
        resource = short(issue.resource_id.split("/nodegroup/")[0])
    return fact_id(issue.scope, service, name, resource)


class Coverage:
    """Which facts of a snapshot were not read, and why (one line per issue)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.missing: dict[str, list[str]] = defaultdict(list)
        self.accounts: dict[str, list[str]] = defaultdict(list)  # account -> why nothing of it is known
        for issue in snapshot.issues:
            why = f"{issue.service} {issue.operation} in {issue.scope}: {issue.error_code}"
            account = issue.scope.split(":")[1] if issue.scope.startswith("aws:") else None
            if account and opens_account(issue):
                self.accounts[account].append(why)  # the account (or its regions) could not be enumerated
                if issue.service == "sts":
                    continue
            self.missing[fact_of(issue)].append(why)
        for unit in snapshot.units:
            if not unit.complete:
                self.missing[f"{unit.scope}/*"].append(f"collection unit {unit.scope} stopped early")
        everywhere = {w for whys in self.accounts.values() for w in whys}
        self.workloads = sorted(
            {w for key, whys in self.missing.items() if _lists(key, WORKLOAD_LISTINGS) for w in whys}
            | everywhere
        )
        self.file_systems = sorted(
            {w for key, whys in self.missing.items() if _lists(key, EFS_LISTINGS) for w in whys} | everywhere
        )

    def __bool__(self) -> bool:
        return bool(self.missing or self.accounts)

    def why_not_read(self, fact: str) -> list[str]:
        """Why ``fact`` was not read; empty when it was."""
        if fact == ESTATE_WORKLOADS:
            return self.workloads
        if fact == ESTATE_FILE_SYSTEMS:
            return self.file_systems
        scope, _, rest = fact.partition("/")
        service, _, rest = rest.partition("/")
        name, _, resource = rest.partition("/")
        out: list[str] = []
        for key in (
            fact,
            f"{scope}/{service}/{name}" if resource else None,
            f"{scope}/{service}/*",
            f"{scope}/*",
        ):
            if key and key in self.missing:
                out += self.missing[key]
        if scope.startswith("aws:"):
            out += [w for w in self.accounts.get(scope.split(":")[1], []) if w.startswith("sts ")]
        return out

    def unread(self) -> list[tuple[str, list[str]]]:
        return sorted(self.missing.items())


def _lists(key: str, listings: set[tuple[str, str]]) -> bool:
    scope, _, rest = key.partition("/")
    if rest == "*":
        return not scope.endswith(":global")
    service, _, rest = rest.partition("/")
    name = rest.split("/", 1)[0]
    return (service, name) in listings or (name == "*" and any(service == s for s, _ in listings))


def opens_account(issue: CollectionIssue) -> bool:
    """The account could not be opened (sts), its regions not listed, or its shard or one of its planned
    units never delivered (plan, auditor.org.gaps): nothing regional of it is known."""
    return issue.service in ("sts", "plan") or (issue.service, issue.operation) == ("ec2", "DescribeRegions")


def is_listing(issue: CollectionIssue) -> bool:
    """The issue lost (part of) a listing of its scope, rather than a read about one listed resource."""
    return fact_of(issue).count("/") < 3 or opens_account(issue)
