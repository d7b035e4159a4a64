"""End to end over HTTP: a small estate seeded into moto's server, collected by collect_aws.

Moto 5.2.5 gaps met here (checked against the AWS API reference). The real shapes are tested with
Stubber for Lambda FileSystemConfigs, EKS pod identity and Backup ListProtectedResources in
test_aws_pagination.py, and for the backup policy status in test_aws_efs_responses.py:
- Lambda drops FileSystemConfigs on CreateFunction, so ``file_system_configs`` comes back ``[]``.
- ECS fills ``rootDirectory: "/"`` into an EFS volume that omitted it (AWS returns what was sent).
- EKS pod identity calls and Backup ListProtectedResources are not implemented (HTTP 404 from the
  server): they become CollectionIssues, the fields stay None.
- DescribeBackupPolicy answers PolicyNotFound for a file system created without backups (moto cannot
  store a DISABLED policy: PutBackupPolicy is not implemented); DISABLED and ENABLING are in
  test_aws_efs_responses.py::test_backup_policy_disabled_and_enabling_are_recorded_as_returned.
- GetAccountAuthorizationDetails omits PolicyName; the collector reads the name from the ARN.
- DescribeFileSystems sends ``Name: ""`` for a file system without a Name tag (AWS omits it); the
  collector records no name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from auditor.collectors.aws import OPERATIONS, AwsSettings, collect_aws, last_call_counts
from auditor.model.aws import PolicyStatus
from auditor.model.snapshot import Snapshot
from tests.faults.proxy import FaultProxy

from .conftest import ACCOUNT, FS_POLICY, REGION, seed_small_estate

SETTINGS = AwsSettings(regions=(REGION,), max_attempts=2, max_workers=4)
SCOPE = f"aws:{ACCOUNT}:{REGION}"


@dataclass(frozen=True)
class Collected:
    ids: dict
    messages: list[str]
    snap: Snapshot
    counts: dict


@pytest.fixture(scope="module")
def collected(aws_module) -> Collected:
    """The small estate seeded once and collected once for the module; the tests below read this
    one collection (its snapshot, its progress messages and its call counts) and never change it."""
    ids = seed_small_estate()
    messages: list[str] = []
    snap = collect_aws(SETTINGS, progress=messages.append)
    return Collected(ids, messages, snap, last_call_counts())


def test_small_estate_collected_exactly(collected):
    ids, messages, snap = collected.ids, collected.messages, collected.snap

    # first what is about to be read, then "[done/total] scope: service done" per task
    assert messages[0] == f"reading account {ACCOUNT} as arn:aws:sts::{ACCOUNT}:user/moto: eu-west-1"
    steps = [m.split("] ", 1) for m in messages[1:]]
    assert [s[0] for s in steps] == [f"[{n}/7" for n in range(1, 8)]
    assert sorted(s[1] for s in steps) == sorted(
        [f"{SCOPE}: {s} done" for s in ("efs", "ec2", "ecs", "lambda", "eks", "backup")]
        + [f"aws:{ACCOUNT}:global: iam done"]
    )
    assert {(u.scope, u.method, tuple(u.services), u.complete, u.collector) for u in snap.units} == {
        (
            SCOPE,
            "aws-api",
            ("efs", "ec2", "ecs", "lambda", "eks", "backup"),
            True,
            f"arn:aws:sts::{ACCOUNT}:user/moto",
        ),
        (f"aws:{ACCOUNT}:global", "aws-api", ("iam",), True, f"arn:aws:sts::{ACCOUNT}:user/moto"),
    }
    assert all(
        u.started_at and u.finished_at and u.started_at <= u.finished_at and u.tool_version
        for u in snap.units
    )

    fs = {f.file_system_id: f for f in snap.file_systems}
    assert {(i, f.policy_status, f.backup_policy_status, f.encrypted) for i, f in fs.items()} == {
        (ids["fs_shared"], PolicyStatus.PRESENT, None, True),
        (ids["fs_open"], PolicyStatus.ABSENT, "ENABLED", False),
    }
    shared = fs[ids["fs_shared"]]
    assert shared.policy == FS_POLICY and shared.tags == {"Name": "shared"} and shared.name == "shared"
    assert shared.arn == f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{ids['fs_shared']}"
    assert {(m.mount_target_id, m.subnet_id, tuple(m.security_group_ids)) for m in shared.mount_targets} == {
        (ids["mt_public"], ids["public"], (ids["efs_sg"],)),
        (ids["mt_private"], ids["private"], (ids["efs_sg"],)),
    }
    assert fs[ids["fs_open"]].mount_targets == [] and fs[ids["fs_open"]].policy is None

    aps = {a.access_point_id: a for a in snap.access_points}
    app = aps[ids["ap_app"]]
    assert (
        app.file_system_id,
        app.posix_user.uid,
        app.posix_user.gid,
        app.posix_user.secondary_gids,
        app.root_directory.path,
        app.root_directory.creation_info.permissions,
        app.tags,
    ) == (ids["fs_shared"], 1001, 1001, [2000], "/app", "750", {"Name": "app"})
    assert aps[ids["ap_root"]].posix_user is None and aps[ids["ap_root"]].path == "/"

    subnets = {s.subnet_id: s for s in snap.subnets}
    assert (
        subnets[ids["public"]].map_public_ip_on_launch,
        subnets[ids["public"]].routes_to_internet_gateway,
        subnets[ids["public"]].route_table_id,
    ) == (True, True, ids["public_rtb"])
    assert (
        subnets[ids["private"]].map_public_ip_on_launch,
        subnets[ids["private"]].routes_to_internet_gateway,
    ) == (False, False)
    assert subnets[ids["private"]].route_table_id != ids["public_rtb"]  # the VPC main table
    sg = {g.group_id: g for g in snap.security_groups}[ids["efs_sg"]]
    assert [(r.protocol, r.from_port, r.to_port, r.cidrs, r.source_groups) for r in sg.ingress] == [
        ("tcp", 2049, 2049, ["10.0.0.0/16"], [ids["client_sg"]])
    ]

    (td,) = snap.task_definitions
    assert (td.arn, td.task_role_arn, td.network_mode) == (ids["taskdef"], ids["task-role"], "awsvpc")
    vols = {v.name: v for v in td.volumes}
    assert (
        vols["data"].efs.file_system_id,
        vols["data"].efs.access_point_id,
        vols["data"].efs.iam,
        vols["data"].efs.transit_encryption,
    ) == (ids["fs_shared"], ids["ap_app"], "ENABLED", "ENABLED")
    assert vols["scratch"].host_source_path == "/mnt/efs"
    assert vols["nfs"].docker.driver_opts == {"type": "nfs", "o": "addr=10.0.1.4"}
    (c,) = td.containers
    assert (
        c.user,
        c.privileged,
        c.capabilities_add,
        c.capabilities_drop,
        [(m.source_volume, m.container_path, m.read_only) for m in c.mount_points],
    ) == ("1001:1001", False, ["SYS_ADMIN"], ["ALL"], [("data", "/data", True)])
    (svc,) = snap.ecs_services
    assert (
        svc.arn,
        svc.task_definition_arn,
        svc.subnet_ids,
        svc.security_group_ids,
        svc.desired_count,
        svc.tags,
    ) == (ids["service"], ids["taskdef"], [ids["private"]], [ids["client_sg"]], 2, {"app": "app"})
    (fn,) = snap.lambda_functions
    assert (fn.arn, fn.role_arn, fn.subnet_ids, fn.security_group_ids, fn.tags, fn.file_system_configs) == (
        ids["function"],
        ids["fn-role"],
        [ids["private"]],
        [ids["client_sg"]],
        {"app": "thumbs"},
        [],
    )
    (cluster,) = snap.clusters
    assert (cluster.name, cluster.eks_arn, cluster.node_role_arns, cluster.pod_identity_associations) == (
        "prod-eks",
        ids["eks"],
        [ids["node_role"]],
        None,
    )

    # Roles that matter only: the unrelated glue role (S3 policy) is dropped; the node role is kept
    # because the EKS node group references it.
    assert {r.role_name: r.attached_policy_arns for r in snap.roles} == {
        "task-role": [ids["efs_client_policy"]],
        "fn-role": [],
        "prod-eks-node": [],
    }
    assert [(p.arn, p.name, p.default_version_id) for p in snap.managed_policies] == [
        (ids["efs_client_policy"], "efs-client", "v1")
    ]

    assert {(i.scope, i.service, i.operation, i.resource_id) for i in snap.issues} == {
        (SCOPE, "backup", "ListProtectedResources", None),
        (SCOPE, "eks", "ListPodIdentityAssociations", ids["eks"]),
    }
    assert {f.backup_protected for f in snap.file_systems} == {None}


def test_environment_values_and_secrets_never_collected(collected):
    text = collected.snap.model_dump_json()
    for secret in ("hunter2-env", "hunter2-secret", "hunter2-lambda", "DB_PASSWORD", "API_KEY", "TOKEN"):
        assert secret not in text


def test_counted_calls_are_in_the_table_and_match_the_formula(collected):
    """README formula, for this estate: per account 1 GetCallerIdentity; IAM 1 GAAD page and no AWS
    managed policy; per region 1 page of each list call; per file system policy + backup + 1
    mount-target page; per mount target 1 security-group call; per ECS cluster 1 ListServices page and
    1 DescribeServices per 10 services; 1 DescribeTaskDefinition per family; per Lambda function 1
    ListTags; per EKS cluster DescribeCluster + 1 ListNodegroups page + 1 ListPodIdentityAssociations
    page; per node group DescribeNodegroup."""
    counts = collected.counts
    assert set(counts) <= set(OPERATIONS)
    file_systems, mount_targets, clusters, services, families, functions, eks_clusters, nodegroups = (
        2,
        2,
        1,
        1,
        1,
        1,
        1,
        1,
    )
    expected = {
        ("sts", "GetCallerIdentity"): 1,
        ("iam", "GetAccountAuthorizationDetails"): 1,
        ("efs", "DescribeFileSystems"): 1,
        ("efs", "DescribeFileSystemPolicy"): file_systems,
        ("efs", "DescribeBackupPolicy"): file_systems,
        ("efs", "DescribeMountTargets"): file_systems,
        ("efs", "DescribeMountTargetSecurityGroups"): mount_targets,
        ("efs", "DescribeAccessPoints"): 1,
        ("ec2", "DescribeSecurityGroups"): 1,
        ("ec2", "DescribeSubnets"): 1,
        ("ec2", "DescribeRouteTables"): 1,
        ("ecs", "ListClusters"): 1,
        ("ecs", "ListServices"): clusters,
        ("ecs", "DescribeServices"): -(-services // 10),
        ("ecs", "ListTaskDefinitionFamilies"): 1,
        ("ecs", "DescribeTaskDefinition"): families,
        ("lambda", "ListFunctions"): 1,
        ("lambda", "ListTags"): functions,
        ("eks", "ListClusters"): 1,
        ("eks", "DescribeCluster"): eks_clusters,
        ("eks", "ListNodegroups"): eks_clusters,
        ("eks", "DescribeNodegroup"): nodegroups,
        ("eks", "ListPodIdentityAssociations"): eks_clusters,
        ("backup", "ListProtectedResources"): 1,
    }
    assert counts == expected


# Three enabled regions, as EC2 answers DescribeRegions (moto would list all ~30 of its regions; three
# prove the same thing: the collector plans exactly the regions the answer names).
ENABLED_REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2")
DESCRIBE_REGIONS = (
    '<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
    "<requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId><regionInfo>"
    + "".join(
        f"<item><regionName>{r}</regionName><regionEndpoint>ec2.{r}.amazonaws.com</regionEndpoint>"
        "<optInStatus>opt-in-not-required</optInStatus></item>"
        for r in ENABLED_REGIONS
    )
    + "</regionInfo></DescribeRegionsResponse>"
).encode()


def test_regions_default_to_describe_regions(aws, monkeypatch):
    """No regions given: ec2 DescribeRegions decides. The answer comes over HTTP from a proxy in
    front of moto's server (every other call is forwarded to moto)."""
    with FaultProxy(aws) as proxy:
        proxy.add(
            "answer",
            service="ec2",
            operation="DescribeRegions",
            body=DESCRIBE_REGIONS,
            content_type="text/xml;charset=UTF-8",
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        snap = collect_aws(AwsSettings(max_attempts=1, max_workers=16))
    counts = last_call_counts()
    regions = {u.scope.split(":")[2] for u in snap.units} - {"global"}
    assert counts[("ec2", "DescribeRegions")] == 1
    assert regions == set(ENABLED_REGIONS)
    assert counts[("efs", "DescribeFileSystems")] == len(regions)
    assert json.loads(snap.model_dump_json())["file_systems"] == []
