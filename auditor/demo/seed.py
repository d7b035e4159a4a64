"""Create every AWS resource of a Snapshot in a moto server through the AWS API (boto3).

Moto 5.2.5 generates its own resource ids (no ``_custom_id_`` support for EC2, EFS or IAM), so
:func:`seed` returns the mapping *sample id -> live id* (VPCs, subnets, route tables, security groups,
file systems, mount targets, access points, role ids). Policies, task definitions and functions are
written with the live ids, so what the collectors read back translates one-to-one.

ECS task definition revisions are reproduced by registering a family ``revision`` times.
A security group a workload names but the snapshot does not describe is created empty (named by its
id) in the first VPC, because moto's ECS checks that it exists; it is then collected like any group.
"""

from __future__ import annotations

import ipaddress
import json
from collections import defaultdict

import boto3
from botocore.config import Config

from auditor.model.arn import Arn
from auditor.model.aws import FileSystem
from auditor.model.ids import parse_arn
from auditor.model.snapshot import Snapshot

# A valid, empty zip archive: moto stores Lambda code without running it.
EMPTY_ZIP = b"PK\x05\x06" + b"\x00" * 18


def seed(snapshot: Snapshot, endpoint_url: str) -> dict[str, str]:
    ids: dict[str, str] = {}
    regions = sorted(
        {r.region for r in snapshot.file_systems + snapshot.subnets + snapshot.security_groups}
        | {r.region for r in snapshot.task_definitions + snapshot.ecs_services + snapshot.lambda_functions}
        | {c.region for c in snapshot.clusters if c.region}
    )
    for region in regions:
        _network(snapshot, region, _client("ec2", region, endpoint_url), ids)
        _efs(snapshot, region, _client("efs", region, endpoint_url), ids)
    _iam(snapshot, _client("iam", regions[0] if regions else "us-east-1", endpoint_url), ids)
    for region in regions:
        _ecs(snapshot, region, _client("ecs", region, endpoint_url), ids)
        _lambda(snapshot, region, _client("lambda", region, endpoint_url), ids)
        _eks(snapshot, region, _client("eks", region, endpoint_url), ids)
    return ids


def _client(service: str, region: str, endpoint_url: str):
    return boto3.session.Session().client(
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )


def live(value, ids: dict[str, str]):
    """``value`` (str, list, dict: any JSON) with every sample id replaced by its live id."""
    text = json.dumps(value)
    for sample, real in sorted(ids.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(sample, real)
    return json.loads(text)


def _tags(tags: dict[str, str] | None) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in (tags or {}).items()]


# --- EC2 ---------------------------------------------------------------------------------------


def _network(snap: Snapshot, region: str, ec2, ids: dict[str, str]) -> None:
    subnets = [s for s in snap.subnets if s.region == region]
    groups = [g for g in snap.security_groups if g.region == region]
    mt_ips = {
        mt.subnet_id: mt.ip_address
        for fs in snap.file_systems
        if fs.region == region
        for mt in fs.mount_targets or []
        if mt.ip_address
    }
    vpcs = sorted({s.vpc_id for s in subnets if s.vpc_id} | {g.vpc_id for g in groups if g.vpc_id})
    spare = (ipaddress.ip_network(f"10.{200 + i}.0.0/16") for i in range(50))
    for vpc in vpcs:
        ips = [mt_ips[s.subnet_id] for s in subnets if s.vpc_id == vpc and s.subnet_id in mt_ips]
        cidr = ipaddress.ip_network(f"{ips[0]}/16", strict=False) if ips else next(spare)
        ids[vpc] = ec2.create_vpc(CidrBlock=str(cidr))["Vpc"]["VpcId"]
    used: set[str] = set()
    for s in subnets:
        net = (
            ipaddress.ip_network(f"{mt_ips[s.subnet_id]}/24", strict=False) if s.subnet_id in mt_ips else None
        )
        if net is None:  # no mount target fixes it: the first free /24 of the VPC
            vpc_net = ipaddress.ip_network(ec2.describe_vpcs(VpcIds=[ids[s.vpc_id]])["Vpcs"][0]["CidrBlock"])
            taken = used | {str(ipaddress.ip_network(f"{ip}/24", strict=False)) for ip in mt_ips.values()}
            net = next(n for n in vpc_net.subnets(new_prefix=24) if str(n) not in taken)
        used.add(str(net))
        params = {"VpcId": ids[s.vpc_id], "CidrBlock": str(net)}
        if s.availability_zone:
            params["AvailabilityZone"] = s.availability_zone
        ids[s.subnet_id] = ec2.create_subnet(**params)["Subnet"]["SubnetId"]
        if s.map_public_ip_on_launch:
            ec2.modify_subnet_attribute(SubnetId=ids[s.subnet_id], MapPublicIpOnLaunch={"Value": True})
    gateways: dict[str, str] = {}
    for s in subnets:
        if not s.route_table_id:
            continue
        if s.route_table_id not in ids:
            ids[s.route_table_id] = ec2.create_route_table(VpcId=ids[s.vpc_id])["RouteTable"]["RouteTableId"]
            if s.routes_to_internet_gateway:
                if s.vpc_id not in gateways:
                    gateways[s.vpc_id] = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
                    ec2.attach_internet_gateway(InternetGatewayId=gateways[s.vpc_id], VpcId=ids[s.vpc_id])
                ec2.create_route(
                    RouteTableId=ids[s.route_table_id],
                    DestinationCidrBlock="0.0.0.0/0",
                    GatewayId=gateways[s.vpc_id],
                )
        ec2.associate_route_table(RouteTableId=ids[s.route_table_id], SubnetId=ids[s.subnet_id])
    referenced = sorted(
        {
            g
            for w in [*snap.ecs_services, *snap.lambda_functions]
            if w.region == region
            for g in w.security_group_ids or []
        }
        - {g.group_id for g in groups}
    )
    for (
        group_id
    ) in referenced:  # named by a workload, absent from the snapshot: an empty group in the first VPC
        if vpcs:
            ids[group_id] = ec2.create_security_group(
                GroupName=group_id, Description="seeded", VpcId=ids[vpcs[0]]
            )["GroupId"]
    for g in groups:
        ids[g.group_id] = ec2.create_security_group(
            GroupName=g.name or g.group_id, Description=g.name or "seeded", VpcId=ids[g.vpc_id]
        )["GroupId"]
    for g in groups:
        perms = [_permission(rule, ids) for rule in g.ingress or []]
        if perms:
            ec2.authorize_security_group_ingress(GroupId=ids[g.group_id], IpPermissions=perms)


def _permission(rule, ids: dict[str, str]) -> dict:
    perm: dict = {"IpProtocol": rule.protocol}
    if rule.from_port is not None:
        perm["FromPort"], perm["ToPort"] = rule.from_port, rule.to_port
    perm["IpRanges"] = [{"CidrIp": c} for c in rule.cidrs if ":" not in c]
    perm["Ipv6Ranges"] = [{"CidrIpv6": c} for c in rule.cidrs if ":" in c]
    perm["UserIdGroupPairs"] = [{"GroupId": ids.get(g, g)} for g in rule.source_groups]
    perm["PrefixListIds"] = [{"PrefixListId": p} for p in rule.prefix_lists]
    return perm


# --- EFS ---------------------------------------------------------------------------------------


def _efs(snap: Snapshot, region: str, efs, ids: dict[str, str]) -> None:
    systems: list[FileSystem] = [f for f in snap.file_systems if f.region == region]
    for fs in systems:
        params: dict = {
            "CreationToken": fs.file_system_id,
            "Tags": _tags(fs.tags),
            "Backup": fs.backup_policy_status == "ENABLED",
        }
        if fs.encrypted is not None:
            params["Encrypted"] = fs.encrypted
        if fs.kms_key_id:
            params["KmsKeyId"] = fs.kms_key_id
        if fs.availability_zone_name:
            params["AvailabilityZoneName"] = fs.availability_zone_name
        ids[fs.file_system_id] = efs.create_file_system(**params)["FileSystemId"]
        for mt in fs.mount_targets or []:
            mparams = {
                "FileSystemId": ids[fs.file_system_id],
                "SubnetId": ids.get(mt.subnet_id, mt.subnet_id),
            }
            if mt.ip_address:
                mparams["IpAddress"] = mt.ip_address
            if mt.security_group_ids:
                mparams["SecurityGroups"] = [ids.get(g, g) for g in mt.security_group_ids]
            ids[mt.mount_target_id] = efs.create_mount_target(**mparams)["MountTargetId"]
    for ap in (a for a in snap.access_points if a.region == region):
        tags = dict(ap.tags or {})
        if ap.name and "Name" not in tags:
            tags["Name"] = ap.name  # AWS reports an access point's Name from its Name tag
        params = {"FileSystemId": ids[ap.file_system_id], "Tags": _tags(tags)}
        if ap.posix_user:
            params["PosixUser"] = {
                "Uid": ap.posix_user.uid,
                "Gid": ap.posix_user.gid,
                "SecondaryGids": ap.posix_user.secondary_gids,
            }
        if ap.root_directory:
            root: dict = {"Path": ap.root_directory.path or "/"}
            info = ap.root_directory.creation_info
            if info:
                root["CreationInfo"] = {
                    "OwnerUid": info.owner_uid,
                    "OwnerGid": info.owner_gid,
                    "Permissions": info.permissions,
                }
            params["RootDirectory"] = root
        ids[ap.access_point_id] = efs.create_access_point(**params)["AccessPointId"]
    for fs in systems:  # policies last: they name access points and file systems by live ARN
        if fs.policy is not None:
            efs.put_file_system_policy(
                FileSystemId=ids[fs.file_system_id], Policy=json.dumps(live(fs.policy, ids))
            )


# --- IAM ---------------------------------------------------------------------------------------


def _iam(snap: Snapshot, iam, ids: dict[str, str]) -> None:
    for p in snap.managed_policies:
        parsed = parse_arn(p.arn)
        if parsed is None or parsed.account == "aws" or p.document is None:
            continue  # AWS managed policies come with moto (MOTO_IAM_LOAD_MANAGED_POLICIES=true)
        path = parsed.path
        iam.create_policy(
            PolicyName=p.name or parsed.name,
            Path=path,
            PolicyDocument=json.dumps(live(p.document, ids)),
        )
    for r in snap.roles:
        params: dict = {
            "RoleName": r.role_name,
            "Path": r.path or "/",
            "AssumeRolePolicyDocument": json.dumps(
                live(r.trust_policy or {"Version": "2012-10-17", "Statement": []}, ids)
            ),
        }
        if r.permissions_boundary_arn:
            params["PermissionsBoundary"] = r.permissions_boundary_arn
        if r.tags:
            params["Tags"] = _tags(r.tags)
        role_id = iam.create_role(**params)["Role"]["RoleId"]
        if r.role_id:
            ids[r.role_id] = role_id
        for name, doc in (r.inline_policies or {}).items():
            iam.put_role_policy(
                RoleName=r.role_name, PolicyName=name, PolicyDocument=json.dumps(live(doc, ids))
            )
        for arn in r.attached_policy_arns or []:
            iam.attach_role_policy(RoleName=r.role_name, PolicyArn=arn)


# --- ECS, Lambda, EKS --------------------------------------------------------------------------


def _ecs(snap: Snapshot, region: str, ecs, ids: dict[str, str]) -> None:
    for td in sorted(
        (t for t in snap.task_definitions if t.region == region), key=lambda t: (t.family, t.revision)
    ):
        body = {
            "family": td.family,
            "containerDefinitions": [_container(c) for c in td.containers],
            "volumes": [_volume(v, ids) for v in td.volumes],
        }
        for key, value in (
            ("taskRoleArn", td.task_role_arn),
            ("executionRoleArn", td.execution_role_arn),
            ("networkMode", td.network_mode),
            ("requiresCompatibilities", td.requires_compatibilities),
        ):
            if value:
                body[key] = value
        if td.tags:
            body["tags"] = [{"key": k, "value": v} for k, v in td.tags.items()]
        have = len(ecs.list_task_definitions(familyPrefix=td.family)["taskDefinitionArns"])
        for _ in range(td.revision - have):
            ecs.register_task_definition(**body)
    clusters = defaultdict(list)
    for svc in (s for s in snap.ecs_services if s.region == region):
        clusters[svc.cluster_arn].append(svc)
    for cluster_arn, services in clusters.items():
        name = Arn.parse(cluster_arn).name
        ecs.create_cluster(clusterName=name)
        for s in services:
            params: dict = {
                "cluster": name,
                "serviceName": s.name,
                "taskDefinition": s.task_definition_arn,
                "desiredCount": s.desired_count or 0,
            }
            if s.launch_type:
                params["launchType"] = s.launch_type
            if s.platform_version:
                params["platformVersion"] = s.platform_version
            if s.subnet_ids is not None or s.security_group_ids is not None:
                params["networkConfiguration"] = {
                    "awsvpcConfiguration": {
                        "subnets": [ids.get(x, x) for x in s.subnet_ids or []],
                        "securityGroups": [ids.get(x, x) for x in s.security_group_ids or []],
                    }
                }
            if s.tags:
                params["tags"] = [{"key": k, "value": v} for k, v in s.tags.items()]
            ecs.create_service(**params)


def _volume(v, ids: dict[str, str]) -> dict:
    out: dict = {"name": v.name}
    if v.efs:
        e = v.efs
        cfg: dict = {"fileSystemId": ids.get(e.file_system_id, e.file_system_id)}
        for key, value in (
            ("rootDirectory", e.root_directory),
            ("transitEncryption", e.transit_encryption),
            ("transitEncryptionPort", e.transit_encryption_port),
        ):
            if value is not None:
                cfg[key] = value
        auth = {
            k: val
            for k, val in (("accessPointId", ids.get(e.access_point_id, e.access_point_id)), ("iam", e.iam))
            if val is not None
        }
        if auth:
            cfg["authorizationConfig"] = auth
        out["efsVolumeConfiguration"] = cfg
    if v.docker:
        out["dockerVolumeConfiguration"] = {
            k: val
            for k, val in (
                ("driver", v.docker.driver),
                ("scope", v.docker.scope),
                ("driverOpts", v.docker.driver_opts),
            )
            if val is not None
        }
    if v.host_source_path is not None:
        out["host"] = {"sourcePath": v.host_source_path}
    return out


def _container(c) -> dict:
    out: dict = {"name": c.name, "image": c.image or "scratch", "memory": 512}
    if c.user is not None:
        out["user"] = c.user
    if c.privileged is not None:
        out["privileged"] = c.privileged
    caps = {k: v for k, v in (("add", c.capabilities_add), ("drop", c.capabilities_drop)) if v is not None}
    if caps:
        out["linuxParameters"] = {"capabilities": caps}
    out["mountPoints"] = [
        {
            k: v
            for k, v in (
                ("sourceVolume", m.source_volume),
                ("containerPath", m.container_path),
                ("readOnly", m.read_only),
            )
            if v is not None
        }
        for m in c.mount_points
    ]
    return out


def _lambda(snap: Snapshot, region: str, lam, ids: dict[str, str]) -> None:
    for fn in (f for f in snap.lambda_functions if f.region == region):
        params: dict = {
            "FunctionName": fn.name,
            "Runtime": "python3.12",
            "Role": fn.role_arn,
            "Handler": "index.handler",
            "Code": {"ZipFile": EMPTY_ZIP},
        }
        if fn.subnet_ids or fn.security_group_ids:
            params["VpcConfig"] = {
                "SubnetIds": [ids.get(x, x) for x in fn.subnet_ids or []],
                "SecurityGroupIds": [ids.get(x, x) for x in fn.security_group_ids or []],
            }
        if fn.file_system_configs:  # moto 5.2.5 accepts and drops these (see auditor/demo/__init__.py)
            params["FileSystemConfigs"] = [
                {"Arn": live(c.arn, ids), "LocalMountPath": c.local_mount_path or "/mnt/efs"}
                for c in fn.file_system_configs
            ]
        if fn.tags:
            params["Tags"] = dict(fn.tags)
        lam.create_function(**params)


def _eks(snap: Snapshot, region: str, eks, ids: dict[str, str]) -> None:
    subnets = [ids[s.subnet_id] for s in snap.subnets if s.region == region and s.subnet_id in ids][:2]
    for c in (c for c in snap.clusters if c.region == region and c.eks_arn):
        role = (
            c.node_role_arns
            or [str(Arn(Arn.parse(c.eks_arn).partition, "iam", "", c.account_id, "role/eks-cluster"))]
        )[0]
        eks.create_cluster(name=c.name, roleArn=role, resourcesVpcConfig={"subnetIds": subnets})
        for i, node_role in enumerate(c.node_role_arns or []):
            eks.create_nodegroup(
                clusterName=c.name, nodegroupName=f"nodes-{i + 1}", nodeRole=node_role, subnets=subnets
            )
