"""Every paginated call is followed to its last page.

Over HTTP (moto honours the page size): EFS DescribeFileSystems and DescribeMountTargets, EKS
ListClusters and ListNodegroups, with ``AwsSettings.page_size=1``.

With botocore's Stubber on response shapes from the AWS API reference, because moto 5.2.5 never pages
them (it ignores MaxResults/MaxItems) or does not implement them: EFS DescribeAccessPoints, EC2
DescribeSecurityGroups/DescribeSubnets/DescribeRouteTables, IAM GetAccountAuthorizationDetails, ECS
ListClusters/ListServices/ListTaskDefinitionFamilies, Lambda ListFunctions (moto also drops
FileSystemConfigs), EKS ListPodIdentityAssociations + DescribePodIdentityAssociation (not implemented),
Backup ListProtectedResources (not implemented).
"""

from __future__ import annotations

from auditor.collectors.aws import (
    AwsSettings,
    backup,
    collect_aws,
    ec2,
    ecs,
    efs,
    eks,
    iam,
    lambda_,
    last_call_counts,
)

from .conftest import ACCOUNT, REGION, client

A = f"arn:aws:iam::{ACCOUNT}"


def test_moto_pages_file_systems_mount_targets_and_eks(aws):
    efs_c, ec2_c, eks_c = client("efs"), client("ec2"), client("eks")
    vpc = ec2_c.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2_c.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in ((1, "a"), (2, "b"))
    ]
    fss = [efs_c.create_file_system(CreationToken=f"t{i}")["FileSystemId"] for i in range(3)]
    mts = {efs_c.create_mount_target(FileSystemId=fss[0], SubnetId=s)["MountTargetId"] for s in subnets}
    for name in ("c1", "c2"):
        eks_c.create_cluster(name=name, roleArn=f"{A}:role/eks", resourcesVpcConfig={"subnetIds": subnets})
        for ng in ("a", "b"):
            eks_c.create_nodegroup(
                clusterName=name, nodegroupName=ng, nodeRole=f"{A}:role/{name}-{ng}", subnets=subnets
            )
    snap = collect_aws(AwsSettings(regions=(REGION,), max_attempts=1, page_size=1))
    counts = last_call_counts()
    assert {f.file_system_id for f in snap.file_systems} == set(fss)
    assert {m.mount_target_id for f in snap.file_systems for m in f.mount_targets or []} == mts
    assert {(c.name, tuple(c.node_role_arns)) for c in snap.clusters} == {
        ("c1", (f"{A}:role/c1-a", f"{A}:role/c1-b")),
        ("c2", (f"{A}:role/c2-a", f"{A}:role/c2-b")),
    }
    assert counts[("efs", "DescribeFileSystems")] == 3
    # fs 0: two pages of one mount target each; fs 1 and 2: one empty page each.
    assert counts[("efs", "DescribeMountTargets")] == 4
    assert counts[("eks", "ListClusters")] == 2 and counts[("eks", "ListNodegroups")] == 4


# --- Stubber: real response shapes, two pages each ---------------------------------------------


def _ap(n):
    return {
        "AccessPointId": f"fsap-0000000000000000{n}",
        "FileSystemId": "fs-00000001",
        "AccessPointArn": f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:access-point/fsap-0000000000000000{n}",
        "PosixUser": {"Uid": n, "Gid": n},
        "RootDirectory": {"Path": f"/p{n}"},
        "LifeCycleState": "available",
        "Tags": [],
        "OwnerId": ACCOUNT,
    }


def test_access_points_two_pages(stubbed):
    make, unit = stubbed
    s = make("efs")
    s.add_response("describe_access_points", {"AccessPoints": [_ap(1)], "NextToken": "t"}, {})
    s.add_response("describe_access_points", {"AccessPoints": [_ap(2)]}, {"NextToken": "t"})
    with s:
        aps = efs._access_points(unit(), unit().api("efs"))
    assert [(a.access_point_id, a.posix_user.uid, a.path) for a in aps] == [
        ("fsap-00000000000000001", 1, "/p1"),
        ("fsap-00000000000000002", 2, "/p2"),
    ]


def test_ec2_lists_two_pages(stubbed):
    make, unit = stubbed
    s = make("ec2")
    s.add_response(
        "describe_security_groups",
        {"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": []}], "NextToken": "t"},
        {},
    )
    s.add_response(
        "describe_security_groups",
        {
            "SecurityGroups": [
                {
                    "GroupId": "sg-2",
                    "IpPermissions": [
                        {
                            "IpProtocol": "-1",
                            "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                            "PrefixListIds": [{"PrefixListId": "pl-1"}],
                        }
                    ],
                }
            ]
        },
        {"NextToken": "t"},
    )
    s.add_response(
        "describe_subnets", {"Subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-1"}], "NextToken": "t"}, {}
    )
    s.add_response(
        "describe_subnets", {"Subnets": [{"SubnetId": "subnet-2", "VpcId": "vpc-1"}]}, {"NextToken": "t"}
    )
    s.add_response(
        "describe_route_tables",
        {
            "RouteTables": [
                {
                    "RouteTableId": "rtb-main",
                    "VpcId": "vpc-1",
                    "Associations": [{"Main": True}],
                    "Routes": [{"DestinationIpv6CidrBlock": "::/0", "GatewayId": "igw-1"}],
                }
            ],
            "NextToken": "t",
        },
        {},
    )
    s.add_response(
        "describe_route_tables",
        {
            "RouteTables": [
                {
                    "RouteTableId": "rtb-2",
                    "VpcId": "vpc-1",
                    "Associations": [{"SubnetId": "subnet-2"}],
                    "Routes": [
                        {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "blackhole"}
                    ],
                }
            ]
        },
        {"NextToken": "t"},
    )
    with s:
        got = ec2.collect(unit())
    assert [
        (g.group_id, [(r.protocol, r.cidrs, r.prefix_lists) for r in g.ingress])
        for g in got["security_groups"]
    ] == [("sg-1", []), ("sg-2", [("-1", ["::/0"], ["pl-1"])])]
    assert [(n.subnet_id, n.route_table_id, n.routes_to_internet_gateway) for n in got["subnets"]] == [
        ("subnet-1", "rtb-main", True),
        ("subnet-2", "rtb-2", False),
    ]


def test_iam_authorization_details_two_pages_and_aws_managed_policy(stubbed):
    make, unit = stubbed
    s = make("iam")
    date = "2026-01-01T00:00:00Z"
    role = {
        "Path": "/",
        "RoleName": "r1",
        "RoleId": "AROA0000000000000001",
        "Arn": f"{A}:role/r1",
        "CreateDate": date,
        "AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%7D",
        "RolePolicyList": [],
        "AttachedManagedPolicies": [
            {
                "PolicyName": "AmazonElasticFileSystemClientFullAccess",
                "PolicyArn": "arn:aws:iam::aws:policy/AmazonElasticFileSystemClientFullAccess",
            }
        ],
        "PermissionsBoundary": {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": f"{A}:policy/b",
        },
    }
    role2 = dict(
        role, RoleName="r2", RoleId="AROA0000000000000002", Arn=f"{A}:role/r2", AttachedManagedPolicies=[]
    )
    local = {
        "PolicyName": "b",
        "Arn": f"{A}:policy/b",
        "DefaultVersionId": "v2",
        "PolicyVersionList": [
            {"Document": "%7B%22Statement%22%3A%5B%5D%7D", "VersionId": "v1", "IsDefaultVersion": False},
            {
                "Document": "%7B%22Version%22%3A%222012-10-17%22%7D",
                "VersionId": "v2",
                "IsDefaultVersion": True,
            },
        ],
    }
    s.add_response(
        "get_account_authorization_details",
        {"RoleDetailList": [role], "Policies": [local], "IsTruncated": True, "Marker": "m"},
        {"Filter": ["Role", "LocalManagedPolicy"]},
    )
    s.add_response(
        "get_account_authorization_details",
        {"RoleDetailList": [role2], "IsTruncated": False},
        {"Filter": ["Role", "LocalManagedPolicy"], "Marker": "m"},
    )
    managed = "arn:aws:iam::aws:policy/AmazonElasticFileSystemClientFullAccess"
    s.add_response(
        "get_policy",
        {
            "Policy": {
                "PolicyName": "AmazonElasticFileSystemClientFullAccess",
                "Arn": managed,
                "DefaultVersionId": "v1",
            }
        },
        {"PolicyArn": managed},
    )
    s.add_response(
        "get_policy_version",
        {
            "PolicyVersion": {
                "Document": "%7B%22Version%22%3A%222012-10-17%22%7D",
                "VersionId": "v1",
                "IsDefaultVersion": True,
            }
        },
        {"PolicyArn": managed, "VersionId": "v1"},
    )
    with s:
        roles, policies = iam.collect(unit())
    assert [(r.role_name, r.role_id, r.trust_policy, r.permissions_boundary_arn) for r in roles] == [
        ("r1", "AROA0000000000000001", {"Version": "2012-10-17"}, f"{A}:policy/b"),
        ("r2", "AROA0000000000000002", {"Version": "2012-10-17"}, f"{A}:policy/b"),
    ]
    assert {a: (p.default_version_id, p.document) for a, p in policies.items()} == {
        f"{A}:policy/b": ("v2", {"Version": "2012-10-17"}),
        managed: ("v1", {"Version": "2012-10-17"}),
    }


def _taskdef(family, rev):
    return {
        "taskDefinition": {
            "taskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{rev}",
            "family": family,
            "revision": rev,
            "containerDefinitions": [],
            "volumes": [],
        },
        "tags": [],
    }


def test_ecs_lists_two_pages(stubbed):
    make, unit = stubbed
    s = make("ecs")
    c = [f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/c{i}" for i in (1, 2)]
    svc = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/c1/s"
    s.add_response("list_clusters", {"clusterArns": [c[0]], "nextToken": "t"}, {})
    s.add_response("list_clusters", {"clusterArns": [c[1]]}, {"nextToken": "t"})
    s.add_response("list_services", {"serviceArns": [], "nextToken": "t"}, {"cluster": c[0]})
    s.add_response("list_services", {"serviceArns": [svc]}, {"cluster": c[0], "nextToken": "t"})
    s.add_response(
        "describe_services",
        {
            "services": [
                {
                    "serviceArn": svc,
                    "serviceName": "s",
                    "clusterArn": c[0],
                    "taskDefinition": _taskdef("old", 1)["taskDefinition"]["taskDefinitionArn"],
                }
            ],
            "failures": [],
        },
        {"cluster": c[0], "services": [svc], "include": ["TAGS"]},
    )
    s.add_response("list_services", {"serviceArns": []}, {"cluster": c[1]})
    s.add_response(
        "list_task_definition_families", {"families": ["a"], "nextToken": "t"}, {"status": "ACTIVE"}
    )
    s.add_response(
        "list_task_definition_families", {"families": ["b"]}, {"status": "ACTIVE", "nextToken": "t"}
    )
    for ref, (fam, rev) in (("a", ("a", 3)), ("b", ("b", 1))):
        s.add_response(
            "describe_task_definition", _taskdef(fam, rev), {"taskDefinition": ref, "include": ["TAGS"]}
        )
    old = _taskdef("old", 1)["taskDefinition"]["taskDefinitionArn"]
    s.add_response(
        "describe_task_definition", _taskdef("old", 1), {"taskDefinition": old, "include": ["TAGS"]}
    )
    with s:
        got = ecs.collect(unit())
    assert [x.name for x in got["ecs_services"]] == ["s"]
    assert sorted((t.family, t.revision, t.tags) for t in got["task_definitions"]) == [
        ("a", 3, {}),
        ("b", 1, {}),
        ("old", 1, {}),
    ]


def test_lambda_two_pages_with_file_system_configs(stubbed):
    make, unit = stubbed
    s = make("lambda")
    ap = f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:access-point/fsap-0123456789abcdef0"
    f1 = {
        "FunctionName": "f1",
        "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f1",
        "Role": f"{A}:role/r",
        "FileSystemConfigs": [{"Arn": ap, "LocalMountPath": "/mnt/data"}],
        "VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"], "VpcId": "vpc-1"},
        "Environment": {"Variables": {"PASSWORD": "never-kept"}},
    }
    f2 = {
        "FunctionName": "f2",
        "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f2",
        "Role": f"{A}:role/r",
    }
    s.add_response("list_functions", {"Functions": [f1], "NextMarker": "m"}, {})
    s.add_response("list_functions", {"Functions": [f2]}, {"Marker": "m"})
    s.add_response("list_tags", {"Tags": {"app": "a"}}, {"Resource": f1["FunctionArn"]})
    s.add_response("list_tags", {"Tags": {}}, {"Resource": f2["FunctionArn"]})
    with s:
        got = lambda_.collect(unit())["lambda_functions"]
    assert [
        (f.name, [(c.arn, c.local_mount_path) for c in f.file_system_configs], f.subnet_ids, f.tags)
        for f in got
    ] == [("f1", [(ap, "/mnt/data")], ["subnet-1"], {"app": "a"}), ("f2", [], [], {})]
    assert "never-kept" not in str([f.model_dump() for f in got])


def test_eks_pod_identity_two_pages(stubbed):
    make, unit = stubbed
    s = make("eks")
    s.add_response(
        "list_pod_identity_associations",
        {
            "associations": [
                {
                    "clusterName": "c",
                    "namespace": "kube-system",
                    "serviceAccount": "efs-csi-node-sa",
                    "associationId": "a-1",
                    "associationArn": "arn:aws:eks:x:1:podidentityassociation/c/a-1",
                }
            ],
            "nextToken": "t",
        },
        {"clusterName": "c"},
    )
    s.add_response(
        "list_pod_identity_associations",
        {
            "associations": [
                {"clusterName": "c", "namespace": "app", "serviceAccount": "web", "associationId": "a-2"}
            ]
        },
        {"clusterName": "c", "nextToken": "t"},
    )
    for aid, ns, sa, role in (("a-1", "kube-system", "efs-csi-node-sa", "csi"), ("a-2", "app", "web", "web")):
        s.add_response(
            "describe_pod_identity_association",
            {
                "association": {
                    "clusterName": "c",
                    "namespace": ns,
                    "serviceAccount": sa,
                    "roleArn": f"{A}:role/{role}",
                    "associationArn": f"arn:aws:eks:x:1:podidentityassociation/c/{aid}",
                    "associationId": aid,
                }
            },
            {"clusterName": "c", "associationId": aid},
        )
    with s:
        got = eks._associations(unit(), unit().api("eks"), "c", "c")
    assert [(p.namespace, p.service_account, p.role_arn) for p in got] == [
        ("app", "web", f"{A}:role/web"),
        ("kube-system", "efs-csi-node-sa", f"{A}:role/csi"),
    ]


def test_backup_protected_resources_two_pages(stubbed):
    make, unit = stubbed
    s = make("backup")
    fs = f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/fs-00000001"
    s.add_response(
        "list_protected_resources",
        {"Results": [{"ResourceArn": fs, "ResourceType": "EFS"}], "NextToken": "t"},
        {},
    )
    s.add_response(
        "list_protected_resources",
        {"Results": [{"ResourceArn": "arn:aws:rds:x:1:db:d", "ResourceType": "RDS"}]},
        {"NextToken": "t"},
    )
    with s:
        assert backup.collect(unit()) == {"protected": {fs, "arn:aws:rds:x:1:db:d"}}
