"""AWS resources as the auditor records them (efs-semantics.md §9).

Field names follow the AWS APIs in snake_case. ``None`` always means "not observed".
"""

from __future__ import annotations

from enum import Enum

from pydantic import Field

from auditor.model.base import Model, PolicyDocument


class PolicyStatus(str, Enum):
    PRESENT = "present"  # DescribeFileSystemPolicy returned a document
    ABSENT = "absent"  # PolicyNotFound: the default (open) policy applies
    UNKNOWN = "unknown"  # the policy could not be read


# --- EFS -------------------------------------------------------------------------------------


class PosixUser(Model):
    uid: int
    gid: int
    secondary_gids: list[int] = Field(default_factory=list)


class CreationInfo(Model):
    owner_uid: int
    owner_gid: int
    permissions: str  # 3-4 octal digits, as AWS returns it


class RootDirectory(Model):
    path: str | None = None
    creation_info: CreationInfo | None = None


class IngressRule(Model):
    """One ingress permission of a security group, normalised from IpPermissions."""

    protocol: str  # "tcp", "udp", "icmp" or "-1" (all)
    from_port: int | None = None
    to_port: int | None = None
    cidrs: list[str] = Field(default_factory=list)  # IPv4 and IPv6 ranges
    source_groups: list[str] = Field(default_factory=list)
    prefix_lists: list[str] = Field(default_factory=list)


class SecurityGroup(Model):
    group_id: str
    account_id: str
    region: str
    vpc_id: str | None = None
    name: str | None = None
    ingress: list[IngressRule] | None = None


class Subnet(Model):
    subnet_id: str
    account_id: str
    region: str
    vpc_id: str | None = None
    availability_zone: str | None = None
    map_public_ip_on_launch: bool | None = None
    # True when the subnet's route table (explicit or the VPC main table) sends a default route
    # to an internet gateway; None when route tables could not be read.
    routes_to_internet_gateway: bool | None = None
    route_table_id: str | None = None


class MountTarget(Model):
    mount_target_id: str
    file_system_id: str
    subnet_id: str | None = None
    vpc_id: str | None = None
    availability_zone: str | None = None
    ip_address: str | None = None
    owner_id: str | None = None
    security_group_ids: list[str] | None = None  # None: DescribeMountTargetSecurityGroups failed


class FileSystem(Model):
    arn: str
    file_system_id: str
    account_id: str
    region: str
    name: str | None = None
    encrypted: bool | None = None
    kms_key_id: str | None = None
    availability_zone_name: str | None = None  # set for One Zone file systems
    life_cycle_state: str | None = None
    policy_status: PolicyStatus
    policy: PolicyDocument | None = None
    backup_policy_status: str | None = None  # ENABLED / ENABLING / DISABLED / DISABLING
    backup_protected: bool | None = None  # listed by AWS Backup ListProtectedResources
    mount_targets: list[MountTarget] | None = None
    tags: dict[str, str] | None = None


class AccessPoint(Model):
    arn: str
    access_point_id: str
    file_system_id: str
    account_id: str
    region: str
    name: str | None = None
    posix_user: PosixUser | None = None
    root_directory: RootDirectory | None = None
    life_cycle_state: str | None = None
    tags: dict[str, str] | None = None

    @property
    def path(self) -> str:
        """The enforced root directory; AWS defaults it to ``/``."""
        if self.root_directory is None or not self.root_directory.path:
            return "/"
        return self.root_directory.path


# --- IAM -------------------------------------------------------------------------------------


class ManagedPolicy(Model):
    arn: str
    name: str | None = None
    default_version_id: str | None = None
    document: PolicyDocument | None = None  # None: the default version could not be read


class IamRole(Model):
    arn: str
    role_name: str
    account_id: str
    role_id: str | None = None  # AROA... unique id, to recognise dangling principals
    path: str | None = None
    trust_policy: PolicyDocument | None = None
    inline_policies: dict[str, PolicyDocument] | None = None
    attached_policy_arns: list[str] | None = None  # documents live in Snapshot.managed_policies
    permissions_boundary_arn: str | None = None
    tags: dict[str, str] | None = None


# --- ECS -------------------------------------------------------------------------------------


class EfsVolumeConfiguration(Model):
    file_system_id: str
    root_directory: str | None = None
    transit_encryption: str | None = None  # ENABLED / DISABLED; None = omitted (AWS default DISABLED)
    transit_encryption_port: int | None = None
    access_point_id: str | None = None
    iam: str | None = None  # ENABLED / DISABLED; None = omitted (AWS default DISABLED)


class DockerVolumeConfiguration(Model):
    driver: str | None = None
    scope: str | None = None
    driver_opts: dict[str, str] | None = None


class EcsVolume(Model):
    name: str
    efs: EfsVolumeConfiguration | None = None
    docker: DockerVolumeConfiguration | None = None
    host_source_path: str | None = None


class EcsMountPoint(Model):
    source_volume: str
    container_path: str | None = None
    read_only: bool | None = None


class EcsContainer(Model):
    name: str
    image: str | None = None
    user: str | None = None  # None: not set; the image USER (unknown to the auditor) applies
    privileged: bool | None = None
    capabilities_add: list[str] | None = None
    capabilities_drop: list[str] | None = None
    mount_points: list[EcsMountPoint] = Field(default_factory=list)


class TaskDefinition(Model):
    arn: str
    family: str
    revision: int
    account_id: str
    region: str
    status: str | None = None
    task_role_arn: str | None = None
    execution_role_arn: str | None = None
    network_mode: str | None = None
    requires_compatibilities: list[str] | None = None
    volumes: list[EcsVolume] = Field(default_factory=list)
    containers: list[EcsContainer] = Field(default_factory=list)
    tags: dict[str, str] | None = None


class EcsService(Model):
    arn: str
    name: str
    cluster_arn: str
    account_id: str
    region: str
    task_definition_arn: str | None = None
    desired_count: int | None = None
    launch_type: str | None = None
    platform_version: str | None = None
    security_group_ids: list[str] | None = None
    subnet_ids: list[str] | None = None
    tags: dict[str, str] | None = None


# --- Lambda ----------------------------------------------------------------------------------


class LambdaFileSystemConfig(Model):
    arn: str  # access point ARN
    local_mount_path: str | None = None


class LambdaFunction(Model):
    arn: str
    name: str
    account_id: str
    region: str
    role_arn: str | None = None
    file_system_configs: list[LambdaFileSystemConfig] | None = None
    security_group_ids: list[str] | None = None
    subnet_ids: list[str] | None = None
    tags: dict[str, str] | None = None
