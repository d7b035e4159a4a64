"""Model objects from declared values, shared by the CloudFormation, Terraform and API-JSON readers.

Values reach here with intrinsics already resolved; ``Unknown`` leaves become None (or a marker for a
required identifier) plus a CollectionIssue. Field names are matched case- and underscore-
insensitively, so ``FilesystemId`` (CloudFormation), ``fileSystemId`` (ECS API) and
``file_system_id`` (Terraform) read alike.
"""

from __future__ import annotations

from datetime import UTC, datetime

from auditor.model.arn import Arn
from auditor.model.aws import (
    DockerVolumeConfiguration,
    EcsContainer,
    EcsMountPoint,
    EcsService,
    EcsVolume,
    EfsVolumeConfiguration,
    IngressRule,
    LambdaFileSystemConfig,
    LambdaFunction,
    TaskDefinition,
)
from auditor.model.ids import partition_of
from auditor.model.scope import aws_scope
from auditor.model.snapshot import CollectionIssue, CollectionUnit, Snapshot
from auditor.review.values import (
    FieldError,
    Unknown,
    as_bool,
    as_dict,
    as_int,
    as_list,
    as_str,
    as_str_list,
    first_unknown,
    get,
)

PLACEHOLDER_ACCOUNT = "111122223333"  # the AWS documentation example account
PLACEHOLDER_REGION = "us-east-1"
PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}


SERVICES = {
    "file_systems": "efs",
    "access_points": "efs",
    "security_groups": "ec2",
    "roles": "iam",
    "managed_policies": "iam",
    "task_definitions": "ecs",
    "ecs_services": "ecs",
    "lambda_functions": "lambda",
}


class Sink:
    """Collects what the reviewed files declare, with issues and declaration sites."""

    def __init__(
        self, account: str | None = None, region: str | None = None, live: Snapshot | None = None
    ) -> None:
        self.live = live
        self.account = account or PLACEHOLDER_ACCOUNT
        self.region = region or PLACEHOLDER_REGION
        self.chosen = (account is not None, region is not None)  # given by the user or the live snapshot
        self.data: dict[str, list] = {
            k: []
            for k in (
                "file_systems",
                "access_points",
                "security_groups",
                "roles",
                "managed_policies",
                "task_definitions",
                "ecs_services",
                "lambda_functions",
                "clusters",
            )
        }
        self.issues: list[CollectionIssue] = []
        self.declared_at: dict[str, str] = {}
        self.sources: list[str] = []
        self.services: set[str] = set()

    def live_items(self, kind: str) -> list:
        """The --against snapshot's resources of a kind that a change declared here may target: roles and
        security groups of this account, file systems anywhere (their ids are unique)."""
        items = getattr(self.live, kind, None) or []
        if kind in ("roles", "security_groups"):
            items = [i for i in items if i.account_id == self.account]
        return items

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    def adopt_arns(self, arns) -> None:
        """Adopt the account and region that the ARNs a file states name most often (ties: the
        smallest), so a plan or API document of a known estate is reviewed in that estate."""
        from collections import Counter

        accounts, regions = Counter(), Counter()
        for arn in arns:
            parsed = Arn.maybe(arn)
            if parsed and parsed.account.isdigit() and len(parsed.account) == 12:
                accounts[parsed.account] += 1
                if parsed.region:
                    regions[parsed.region] += 1
        pick = lambda c: min(c, key=lambda k: (-c[k], k)) if c else None  # noqa: E731
        self.adopt(pick(accounts), pick(regions))

    def adopt(self, account: str | None, region: str | None) -> None:
        """Account and region a file states itself (known ARNs in a Terraform plan), used where neither
        the user nor a live snapshot chose them and no earlier file has."""
        if account and not self.chosen[0]:
            self.account = account
        if region and not self.chosen[1]:
            self.region = region
        self.chosen = (self.chosen[0] or bool(account), self.chosen[1] or bool(region))

    @property
    def scope(self) -> str:
        return aws_scope(self.account, self.region)

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        region = self.region if region is None else region
        account = "" if service == "s3" else self.account
        return str(Arn(self.partition, service, region, account, resource))

    def add(self, kind: str, item, label: str, line: int, service: str) -> None:
        self.data[kind].append(item)
        rid = (
            getattr(item, "arn", None) or f"{getattr(item, 'account_id', '')}/{getattr(item, 'group_id', '')}"
        )
        self.declared_at[rid] = f"{label}:{line}" if line else label
        self.services.add(service)

    def unresolved(
        self, resource_id: str | None, field: str, value: Unknown, scope: str | None = None
    ) -> None:
        issue = CollectionIssue(
            scope=scope or self.scope,
            service="review",
            operation="resolve",
            resource_id=resource_id,
            error_code="Unresolved",
            message=f"{field}: {value.reason}",
        )
        if issue not in self.issues:
            self.issues.append(issue)

    def unsupported(self, resource_id: str | None, message: str) -> None:
        self.issues.append(
            CollectionIssue(
                scope=self.scope,
                service="review",
                operation="read",
                resource_id=resource_id,
                error_code="Unsupported",
                message=message,
            )
        )

    # --- fields --------------------------------------------------------------------------------------

    def text(self, rid: str, value, field: str) -> str | None:
        """An optional string: Unknown -> None and an issue."""
        if isinstance(value, Unknown):
            self.unresolved(rid, field, value)
            return None
        return as_str(value, field)

    def ident(self, rid: str, value, field: str) -> str | None:
        """A reference other records are found by: Unknown -> a marker that matches nothing."""
        if isinstance(value, Unknown):
            self.unresolved(rid, field, value)
            return value.marker
        return as_str(value, field)

    def flag(self, rid: str, value, field: str) -> bool | None:
        if isinstance(value, Unknown):
            self.unresolved(rid, field, value)
        return as_bool(value, field)

    def number(self, rid: str, value, field: str) -> int | None:
        if isinstance(value, Unknown):
            self.unresolved(rid, field, value)
        return as_int(value, field)

    def strings(self, rid: str, value, field: str) -> list[str] | None:
        bad = first_unknown(value)
        if bad:
            self.unresolved(rid, field, bad)
            return None
        return as_str_list(value, field)

    def document(self, rid: str, value, field: str) -> dict | None:
        """A policy document (a mapping, or JSON text as Terraform and the APIs carry it)."""
        import json

        from auditor.review.loader import plain

        bad = first_unknown(value)
        if bad:
            self.unresolved(rid, field, bad)
            return None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise FieldError(field, "not a JSON policy document") from None
        if not isinstance(value, dict):
            raise FieldError(field, f"expected a policy document, found {type(value).__name__}")
        return plain(value)

    # --- the snapshot ----------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        now = datetime.now(UTC).replace(microsecond=0)
        units = []
        aws = sorted(self.services - {"iam", "k8s"})
        if aws or not self.services:
            units.append(
                CollectionUnit(
                    scope=self.scope,
                    method="declared",
                    started_at=now,
                    finished_at=now,
                    collector=", ".join(self.sources),
                    services=aws,
                )
            )
        if "iam" in self.services:
            units.append(
                CollectionUnit(
                    scope=aws_scope(self.account),
                    method="declared",
                    started_at=now,
                    finished_at=now,
                    collector=", ".join(self.sources),
                    services=["iam"],
                )
            )
        return Snapshot(units=units, issues=self.issues, declared_at=self.declared_at, **self.data)


# --- shared conversions ------------------------------------------------------------------------------


def ingress_rule(
    sink: Sink, rid: str, rule: dict, where: str, self_id: str | None = None
) -> IngressRule | None:
    """One ingress permission (CloudFormation, Terraform and API spellings); None when unresolved."""
    rule = as_dict(rule, where)
    proto = get(rule, "IpProtocol") if get(rule, "IpProtocol") is not None else get(rule, "protocol")
    values = {"protocol": proto, "from": get(rule, "FromPort"), "to": get(rule, "ToPort")}
    for name, value in values.items():
        if isinstance(value, Unknown):
            sink.unresolved(rid, f"{where}.{name}", value)
            return None
    protocol = PROTOCOLS.get(str(proto).lower(), str(proto).lower()) if proto is not None else "-1"
    cidrs = []
    for key in ("CidrIp", "CidrIpv6", "cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6"):
        got = sink.strings(rid, _listify(get(rule, key)), f"{where}.{key}")
        cidrs += got or []
    groups = []
    for key in (
        "SourceSecurityGroupId",
        "security_groups",
        "source_security_group_id",
        "referenced_security_group_id",
    ):
        got = sink.strings(rid, _listify(get(rule, key)), f"{where}.{key}")
        groups += got or []
    if as_bool(get(rule, "self"), f"{where}.self") and self_id:
        groups.append(self_id)
    prefixes = []
    for key in ("SourcePrefixListId", "prefix_list_ids", "prefix_list_id"):
        prefixes += sink.strings(rid, _listify(get(rule, key)), f"{where}.{key}") or []
    return IngressRule(
        protocol=protocol,
        from_port=as_int(values["from"], f"{where}.FromPort"),
        to_port=as_int(values["to"], f"{where}.ToPort"),
        cidrs=cidrs,
        source_groups=groups,
        prefix_lists=prefixes,
    )


def _listify(value):
    return None if value is None else value if isinstance(value, list) else [value]


def task_definition(
    sink: Sink,
    rid: str,
    *,
    family: str,
    revision: int,
    task_role,
    execution_role,
    network_mode,
    compatibilities,
    volumes,
    containers,
    tags,
    where: str,
) -> TaskDefinition | None:
    """None (with an issue) when the volumes or containers themselves are unknown: without them
    every per-container verdict would be a guess."""
    for field, value in (("volumes", volumes), ("containerDefinitions", containers)):
        if isinstance(value, Unknown):
            sink.unresolved(rid, f"{where}.{field} (task definition not evaluated)", value)
            return None
    vols = []
    for i, v in enumerate(as_list(volumes, f"{where}.volumes")):
        w = f"{where}.volumes[{i}]"
        if isinstance(v, Unknown):
            sink.unresolved(rid, w, v)
            continue
        v = as_dict(v, w)
        name = sink.text(rid, get(v, "name"), f"{w}.name") or f"volume{i}"
        efs = get(v, "EFSVolumeConfiguration")
        docker = get(v, "DockerVolumeConfiguration")
        efs_model = docker_model = None
        if efs:
            efs = as_dict(efs, f"{w}.efsVolumeConfiguration")
            auth = as_dict(get(efs, "AuthorizationConfig"), f"{w}.authorizationConfig")
            ew = f"{w}.efsVolumeConfiguration"
            fs_id = get(efs, "FilesystemId")
            if fs_id is None:
                raise FieldError(f"{ew}.fileSystemId", "required")
            efs_model = EfsVolumeConfiguration(
                file_system_id=sink.ident(rid, fs_id, f"{ew}.fileSystemId"),
                root_directory=sink.text(rid, get(efs, "RootDirectory"), f"{ew}.rootDirectory"),
                transit_encryption=_upper(
                    sink.text(rid, get(efs, "TransitEncryption"), f"{ew}.transitEncryption")
                ),
                transit_encryption_port=sink.number(
                    rid, get(efs, "TransitEncryptionPort"), f"{ew}.transitEncryptionPort"
                ),
                access_point_id=sink.ident(
                    rid, get(auth, "AccessPointId"), f"{ew}.authorizationConfig.accessPointId"
                ),
                iam=_upper(sink.text(rid, get(auth, "IAM"), f"{ew}.authorizationConfig.iam")),
            )
        elif docker:
            docker = as_dict(docker, f"{w}.dockerVolumeConfiguration")
            opts = get(docker, "DriverOpts")
            bad = first_unknown(opts)
            if bad:
                sink.unresolved(rid, f"{w}.dockerVolumeConfiguration.driverOpts", bad)
            docker_model = DockerVolumeConfiguration(
                driver=sink.text(rid, get(docker, "Driver"), f"{w}.driver"),
                scope=sink.text(rid, get(docker, "Scope"), f"{w}.scope"),
                driver_opts=None
                if bad or not isinstance(opts, dict)
                else {str(k): str(x) for k, x in opts.items()},
            )
        host = get(v, "Host")
        host_path = get(host, "SourcePath") if isinstance(host, (dict, list)) else get(v, "host_path")
        vols.append(
            EcsVolume(
                name=name,
                efs=efs_model,
                docker=docker_model,
                host_source_path=sink.text(rid, host_path, f"{w}.host.sourcePath"),
            )
        )
    ctrs = []
    for i, c in enumerate(as_list(containers, f"{where}.containerDefinitions")):
        w = f"{where}.containerDefinitions[{i}]"
        if isinstance(c, Unknown):
            sink.unresolved(rid, w, c)
            continue
        c = as_dict(c, w)
        caps = as_dict(get(c, "LinuxParameters", "Capabilities"), f"{w}.linuxParameters.capabilities")
        mps = []
        for j, m in enumerate(as_list(get(c, "MountPoints"), f"{w}.mountPoints")):
            mw = f"{w}.mountPoints[{j}]"
            m = as_dict(m, mw)
            src = sink.text(rid, get(m, "SourceVolume"), f"{mw}.sourceVolume")
            if src is None:
                raise FieldError(f"{mw}.sourceVolume", "required")
            mps.append(
                EcsMountPoint(
                    source_volume=src,
                    container_path=sink.text(rid, get(m, "ContainerPath"), f"{mw}.containerPath"),
                    read_only=sink.flag(rid, get(m, "ReadOnly"), f"{mw}.readOnly"),
                )
            )
        ctrs.append(
            EcsContainer(
                name=sink.text(rid, get(c, "Name"), f"{w}.name") or f"container{i}",
                image=sink.text(rid, get(c, "Image"), f"{w}.image"),
                user=sink.text(rid, get(c, "User"), f"{w}.user"),
                privileged=sink.flag(rid, get(c, "Privileged"), f"{w}.privileged"),
                capabilities_add=sink.strings(rid, get(caps, "Add"), f"{w}.linuxParameters.capabilities.add"),
                capabilities_drop=sink.strings(
                    rid, get(caps, "Drop"), f"{w}.linuxParameters.capabilities.drop"
                ),
                mount_points=mps,
            )
        )
    return TaskDefinition(
        arn=rid,
        family=family,
        revision=revision,
        account_id=sink.account,
        region=sink.region,
        status="ACTIVE",
        task_role_arn=sink.ident(rid, task_role, f"{where}.taskRoleArn"),
        execution_role_arn=sink.ident(rid, execution_role, f"{where}.executionRoleArn"),
        network_mode=sink.text(rid, network_mode, f"{where}.networkMode"),
        requires_compatibilities=sink.strings(rid, compatibilities, f"{where}.requiresCompatibilities"),
        volumes=vols,
        containers=ctrs,
        tags=tags,
    )


def _upper(value: str | None) -> str | None:
    return value.upper() if isinstance(value, str) else value


def lambda_function(
    sink: Sink, rid: str, *, name: str, role, fs_configs, security_groups, subnets, tags, where: str
) -> LambdaFunction:
    configs = []
    for i, cfg in enumerate(as_list(fs_configs, f"{where}.FileSystemConfigs")):
        w = f"{where}.FileSystemConfigs[{i}]"
        if isinstance(cfg, Unknown):
            sink.unresolved(rid, w, cfg)
            configs.append(LambdaFileSystemConfig(arn=cfg.marker))
            continue
        cfg = as_dict(cfg, w)
        arn = get(cfg, "Arn")
        if arn is None:
            raise FieldError(f"{w}.Arn", "required")
        configs.append(
            LambdaFileSystemConfig(
                arn=sink.ident(rid, arn, f"{w}.Arn"),
                local_mount_path=sink.text(rid, get(cfg, "LocalMountPath"), f"{w}.LocalMountPath"),
            )
        )
    return LambdaFunction(
        arn=rid,
        name=name,
        account_id=sink.account,
        region=sink.region,
        role_arn=sink.ident(rid, role, f"{where}.Role"),
        file_system_configs=configs,
        security_group_ids=sink.strings(rid, security_groups, f"{where}.VpcConfig.SecurityGroupIds"),
        subnet_ids=sink.strings(rid, subnets, f"{where}.VpcConfig.SubnetIds"),
        tags=tags,
    )


def ecs_service(
    sink: Sink,
    rid: str,
    *,
    name: str,
    cluster_arn: str,
    task_definition_arn,
    desired,
    launch_type,
    platform_version,
    security_groups,
    subnets,
    tags,
    where: str,
) -> EcsService:
    return EcsService(
        arn=rid,
        name=name,
        cluster_arn=cluster_arn,
        account_id=sink.account,
        region=sink.region,
        task_definition_arn=sink.ident(rid, task_definition_arn, f"{where}.TaskDefinition"),
        desired_count=sink.number(rid, desired, f"{where}.DesiredCount"),
        launch_type=sink.text(rid, launch_type, f"{where}.LaunchType"),
        platform_version=sink.text(rid, platform_version, f"{where}.PlatformVersion"),
        security_group_ids=sink.strings(rid, security_groups, f"{where}.SecurityGroups"),
        subnet_ids=sink.strings(rid, subnets, f"{where}.Subnets"),
        tags=tags,
    )
