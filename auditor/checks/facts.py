"""The facts a check's results rest on, named once, and their resolution to fact ids per result.

A check declares, per kind of resource it evaluates, the facts (below) its verdict depends on. For
each finding the pipeline resolves them to concrete fact ids (auditor.model.facts) from the analysis
(the workload's mounts, the file system, the role) and settles the verdict on what was read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from auditor.analysis.access import Analysis
from auditor.checks.base import Finding, scope_of
from auditor.model.facts import ESTATE_FILE_SYSTEMS, ESTATE_WORKLOADS, fact_id, short
from auditor.model.ids import account_of, mount_target_id
from auditor.model.scope import UNKNOWN_ACCOUNT, aws_scope, k8s_scope

# Kinds of resource a check evaluates (Finding.resource_type -> kind).
FILE_SYSTEM, ACCESS_POINT, MOUNT_TARGET = "file system", "access point", "mount target"
WORKLOAD, ROLE, CSI_DRIVER = "workload", "role", "csi driver"
KINDS = {
    "AwsEfsFileSystem": FILE_SYSTEM,
    "AwsEfsAccessPoint": ACCESS_POINT,
    "AwsEfsMountTarget": MOUNT_TARGET,
    "AwsIamRole": ROLE,
    "KubernetesEfsCsiDriver": CSI_DRIVER,
    "AwsEcsTaskDefinition": WORKLOAD,
    "AwsLambdaFunction": WORKLOAD,
}
# The listing that enumerates a kind per file system: when it is not read, the resources it would
# have listed cannot have results of their own, so the pipeline gives the listing a row.
ENUMERATED_BY = {MOUNT_TARGET: ("efs", "DescribeMountTargets"), ACCESS_POINT: ("efs", "DescribeAccessPoints")}


def kind_of(resource_type: str) -> str:
    return KINDS.get(resource_type) or (WORKLOAD if resource_type.startswith("Kubernetes") else resource_type)


@dataclass(frozen=True, kw_only=True, eq=False)
class Fact:
    """One of the FACTS below; each is a single object, compared and hashed by identity."""

    name: str
    services: tuple[str, ...]  # services whose collection reads it
    about: str


FS_RECORD = Fact(
    name="file system", services=("efs",), about="the file system's description (DescribeFileSystems)"
)
FS_POLICY = Fact(
    name="file system policy", services=("efs",), about="DescribeFileSystemPolicy per file system"
)
ACCESS_POINTS = Fact(
    name="access points",
    services=("efs",),
    about="the access points of each file system concerned (every application's)",
)
MOUNT_TARGETS = Fact(name="mount targets", services=("efs",), about="DescribeMountTargets per file system")
MOUNT_TARGET_SGS = Fact(
    name="mount target security groups",
    services=("efs",),
    about="DescribeMountTargetSecurityGroups per mount target",
)
SECURITY_GROUPS = Fact(name="security groups", services=("ec2",), about="DescribeSecurityGroups of the scope")
SUBNETS = Fact(
    name="subnets", services=("ec2",), about="DescribeSubnets and DescribeRouteTables of the scope"
)
BACKUP_POLICY = Fact(name="backup policy", services=("efs",), about="DescribeBackupPolicy per file system")
BACKUP_COVERAGE = Fact(
    name="backup coverage", services=("backup",), about="AWS Backup ListProtectedResources"
)
ROLE_POLICIES = Fact(
    name="role policies", services=("iam",), about="the principals' inline, attached and boundary policies"
)
ECS_TASK_DEFINITIONS = Fact(
    name="task definition", services=("ecs",), about="the ECS task definition listing"
)
LAMBDA_FUNCTIONS = Fact(name="lambda function", services=("lambda",), about="the Lambda function listing")
K8S_WORKLOADS = Fact(name="kubernetes workload", services=("k8s",), about="the cluster's workload lists")
WORKLOAD_VOLUMES = Fact(
    name="workload volumes",
    services=("k8s",),
    about="PersistentVolumes, PersistentVolumeClaims and StorageClasses of the cluster",
)
CLUSTER_IDENTITY = Fact(
    name="cluster identity",
    services=("k8s", "eks"),
    about="the EFS CSI driver's identity: service accounts, its DaemonSet, EKS Pod Identity and node roles",
)
APP_IDENTITY = Fact(
    name="application identity",
    services=("ecs", "lambda"),
    about="what names a workload's application: ECS services, Lambda tags",
)
OTHER_WORKLOADS = Fact(
    name="other workloads",
    services=("ecs", "lambda", "k8s"),
    about="every workload listing of the estate: who else mounts the file systems",
)
OWN_WORKLOAD = (ECS_TASK_DEFINITIONS, LAMBDA_FUNCTIONS, K8S_WORKLOADS)
FACTS = (
    FS_RECORD,
    FS_POLICY,
    ACCESS_POINTS,
    MOUNT_TARGETS,
    MOUNT_TARGET_SGS,
    SECURITY_GROUPS,
    SUBNETS,
    BACKUP_POLICY,
    BACKUP_COVERAGE,
    ROLE_POLICIES,
    *OWN_WORKLOAD,
    WORKLOAD_VOLUMES,
    CLUSTER_IDENTITY,
    APP_IDENTITY,
    OTHER_WORKLOADS,
)
_METHODS = {f.name: "_" + f.name.replace(" ", "_") for f in FACTS}  # Resolver method per fact


class Resolver:
    """Fact ids per finding; one shared tuple per distinct set (hundreds of thousands of results)."""

    def __init__(self, a: Analysis) -> None:
        self.a = a
        self._tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._memo: dict[tuple, tuple[str, ...]] = {}  # (fact, resource id) -> ids
        self._by_fs: dict[tuple, tuple[str, ...]] = {}  # (facts, file system id) -> ids of an access point
        self._methods: dict[str, str] = _METHODS
        self._mt: dict[str, tuple] = {}
        self._clusters = {k8s_scope(c.name): c for c in a.snapshot.clusters}
        for fs in a.snapshot.file_systems:
            for mt in fs.mount_targets or []:
                self._mt[mount_target_id(fs.arn, mt.mount_target_id)] = (fs, mt)  # by result id

    def depends_on(self, facts: Iterable[Fact], f: Finding) -> tuple[str, ...]:
        kind = kind_of(f.resource_type)
        facts = tuple(facts)
        # The fact ids of an access point's result are those of its file system (every method below
        # reads only the file system for this kind): one resolution per (facts, file system), not per
        # result (seven in ten results are about access points).
        key = None
        if kind == ACCESS_POINT:
            ap = self.a.idx.ap_by_arn.get(f.resource_id)
            key = (facts, ap.file_system_id if ap is not None else None)
            found = self._by_fs.get(key)
            if found is not None:
                return found
        # A resource's ids per fact are the same for every check; roles and CSI drivers resolve from
        # what the result lists and are never remembered.
        remember = kind not in (ROLE, CSI_DRIVER)
        ids: set[str] = set()
        for fact in facts:
            memo_key = (fact, f.resource_id)
            got = self._memo.get(memo_key) if remember else None
            if got is None:
                got = tuple(getattr(self, self._methods[fact.name])(kind, f))
                if remember:
                    self._memo[memo_key] = got
            ids.update(got)
        ordered = tuple(sorted(ids))
        ordered = self._tuples.setdefault(ordered, ordered)
        if key is not None:
            self._by_fs[key] = ordered
        return ordered

    # --- what a finding is about ----------------------------------------------------------------

    def _file_systems(self, kind: str, f: Finding) -> list:
        idx = self.a.idx
        if kind == FILE_SYSTEM:
            return [idx.fs_by_arn[f.resource_id]] if f.resource_id in idx.fs_by_arn else []
        if kind == ACCESS_POINT:
            ap = idx.ap_by_arn.get(f.resource_id)
            return [idx.fs_by_id[ap.file_system_id]] if ap and ap.file_system_id in idx.fs_by_id else []
        if kind == MOUNT_TARGET:
            found = self._mt.get(f.resource_id)
            return [found[0]] if found else []
        if kind == WORKLOAD:
            return [m.fs for m in self._mounts(f) if m.fs is not None]
        listed = [row.get("file_system") for row in f.evidence.get("root_on", []) if isinstance(row, dict)]
        listed += list(f.evidence.get("file_systems_evaluated", []))
        return [fs for ref in listed if (fs := idx.file_system(ref)) is not None]

    def _unplaced(self, kind: str, f: Finding) -> Iterator[str]:
        """A file system (or access point) named but not in the snapshot may be in a scope not read."""
        if kind == WORKLOAD:
            unknown = any(m.fs is None and (m.fs_id or m.ap_id) for m in self._mounts(f))
        elif kind in (ROLE, CSI_DRIVER):
            listed = [
                row.get("file_system") for row in f.evidence.get("root_on", []) if isinstance(row, dict)
            ]
            unknown = any(
                self.a.idx.file_system(ref) is None
                for ref in listed + list(f.evidence.get("file_systems_evaluated", []))
            )
        else:
            unknown = False
        if unknown:
            yield ESTATE_FILE_SYSTEMS

    def _mounts(self, f: Finding) -> list:
        return self.a.workloads.get(f.resource_id, (None, []))[1]

    def _principals(self, kind: str, f: Finding) -> set[str]:
        if kind == WORKLOAD:
            return {p for m in self._mounts(f) if m.iam for p in m.principal_arns}
        if kind == ROLE:
            return {f.resource_id}
        if kind == CSI_DRIVER:
            return {p for p in f.evidence.get("principals", []) if p}
        return set()

    def _cluster(self, kind: str, f: Finding):
        if kind in (WORKLOAD, CSI_DRIVER):
            return self._clusters.get(f.scope)
        return None

    # --- one method per Fact ----------------------------------------------------------------------

    def _file_system(self, kind: str, f: Finding) -> Iterator[str]:
        for fs in self._file_systems(kind, f):
            yield fact_id(scope_of(fs), "efs", "DescribeFileSystems")
        yield from self._unplaced(kind, f)

    def _file_system_policy(self, kind: str, f: Finding) -> Iterator[str]:
        for fs in self._file_systems(kind, f):
            yield fact_id(scope_of(fs), "efs", "DescribeFileSystemPolicy", fs.file_system_id)
        yield from self._unplaced(kind, f)

    def _access_points(self, kind: str, f: Finding) -> Iterator[str]:
        for fs in self._file_systems(kind, f):
            yield fact_id(scope_of(fs), "efs", "DescribeAccessPoints", fs.file_system_id)
        yield from self._unplaced(kind, f)
        # an access point named but not read
        if (
            kind == WORKLOAD
            and f.scope.startswith("aws:")
            and any(m.ap_id and m.ap is None for m in self._mounts(f))
        ):
            yield fact_id(f.scope, "efs", "DescribeAccessPoints")

    def _mount_targets(self, kind: str, f: Finding) -> Iterator[str]:
        for fs in self._file_systems(kind, f):
            yield fact_id(scope_of(fs), "efs", "DescribeMountTargets", fs.file_system_id)

    def _mount_target_security_groups(self, kind: str, f: Finding) -> Iterator[str]:
        found = self._mt.get(f.resource_id) if kind == MOUNT_TARGET else None
        if found:
            yield fact_id(
                scope_of(found[0]), "efs", "DescribeMountTargetSecurityGroups", found[1].mount_target_id
            )

    def _security_groups(self, kind: str, f: Finding) -> Iterator[str]:
        for fs in self._file_systems(kind, f):
            yield fact_id(scope_of(fs), "ec2", "DescribeSecurityGroups")

    def _subnets(self, kind: str, f: Finding) -> Iterator[str]:
        for fs in self._file_systems(kind, f):
            yield fact_id(scope_of(fs), "ec2", "DescribeSubnets")

    def _backup_policy(self, kind: str, f: Finding) -> Iterator[str]:
        for fs in self._file_systems(kind, f):
            yield fact_id(scope_of(fs), "efs", "DescribeBackupPolicy", fs.file_system_id)

    def _backup_coverage(self, kind: str, f: Finding) -> Iterator[str]:
        for fs in self._file_systems(kind, f):
            yield fact_id(scope_of(fs), "backup", "ListProtectedResources")

    def _role_policies(self, kind: str, f: Finding) -> Iterator[str]:
        for arn in self._principals(kind, f):
            scope = aws_scope(account_of(arn) or UNKNOWN_ACCOUNT)
            yield fact_id(scope, "iam", "GetAccountAuthorizationDetails", short(arn))
            role = self.a.idx.role(arn)
            for policy in (
                (role.attached_policy_arns or []) + [role.permissions_boundary_arn or ""] if role else ()
            ):
                if policy:
                    yield fact_id(scope, "iam", "GetPolicy", short(policy))

    def _task_definition(self, kind: str, f: Finding) -> Iterator[str]:
        if kind == WORKLOAD and f.resource_type == "AwsEcsTaskDefinition":
            yield fact_id(f.scope, "ecs", "task-definitions")

    def _lambda_function(self, kind: str, f: Finding) -> Iterator[str]:
        if kind == WORKLOAD and f.resource_type == "AwsLambdaFunction":
            yield fact_id(f.scope, "lambda", "ListFunctions")

    def _kubernetes_workload(self, kind: str, f: Finding) -> Iterator[str]:
        if self._cluster(kind, f) is not None and kind == WORKLOAD:
            yield fact_id(f.scope, "k8s", "workloads")

    def _workload_volumes(self, kind: str, f: Finding) -> Iterator[str]:
        if self._cluster(kind, f) is not None:
            for name in ("persistentvolumes", "persistentvolumeclaims", "storageclasses"):
                yield fact_id(f.scope, "k8s", name)

    def _cluster_identity(self, kind: str, f: Finding) -> Iterator[str]:
        cluster = self._cluster(kind, f)
        if cluster is None:
            return
        yield fact_id(f.scope, "k8s", "serviceaccounts")
        yield fact_id(f.scope, "k8s", "workloads")  # the CSI node DaemonSet and controller Deployment
        if cluster.account_id and cluster.region:
            yield fact_id(aws_scope(cluster.account_id, cluster.region), "eks", "ListClusters")
            yield fact_id(aws_scope(cluster.account_id, cluster.region), "eks", "cluster", cluster.name)
        else:  # its EKS half (Pod Identity, node roles) was not found: any region's cluster list may lack it
            for unit in self.a.snapshot.units:
                if "eks" in unit.services:
                    yield fact_id(unit.scope, "eks", "ListClusters")

    def _application_identity(self, kind: str, f: Finding) -> Iterator[str]:
        if kind != WORKLOAD:
            return
        if f.resource_type == "AwsEcsTaskDefinition":
            yield fact_id(f.scope, "ecs", "services")
        elif f.resource_type == "AwsLambdaFunction":
            yield fact_id(f.scope, "lambda", "ListTags", short(f.resource_id))

    def _other_workloads(self, kind: str, f: Finding) -> Iterator[str]:
        yield ESTATE_WORKLOADS
