"""EFS: file systems, their policies, backup policies, mount targets and access points.

Calls: DescribeFileSystems (pages), then per file system DescribeFileSystemPolicy,
DescribeBackupPolicy and DescribeMountTargets (pages), per mount target
DescribeMountTargetSecurityGroups; DescribeAccessPoints (pages) once per account and region.
"""

from __future__ import annotations

import json

from auditor.collectors.aws.unit import CALL_ERRORS, Unit, error_code, tag_dict
from auditor.model.aws import (
    AccessPoint,
    CreationInfo,
    FileSystem,
    MountTarget,
    PolicyStatus,
    PosixUser,
    RootDirectory,
)
from auditor.model.ids import fs_arn

SERVICE = "efs"


def collect(unit: Unit) -> dict:
    api = unit.api(SERVICE)
    try:
        raw = [fs for page in api.pages("DescribeFileSystems") for fs in page.get("FileSystems", [])]
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, "DescribeFileSystems", exc)
        raw = None
    file_systems = unit.map(lambda fs: _file_system(unit, api, fs), raw or [])
    return {"file_systems": file_systems, "access_points": _access_points(unit, api)}


def _file_system(unit: Unit, api, fs: dict) -> FileSystem:
    """``Name`` mirrors the Name tag; an empty value (moto sends "" when there is no tag) is no name."""
    fs_id = fs["FileSystemId"]
    arn = fs.get("FileSystemArn") or fs_arn(unit.account.partition, unit.region, unit.account_id, fs_id)
    status, policy = _policy(unit, api, fs_id, arn)
    return FileSystem(
        arn=arn,
        file_system_id=fs_id,
        account_id=fs.get("OwnerId") or unit.account_id,
        region=unit.region,
        name=fs.get("Name") or None,
        encrypted=fs.get("Encrypted"),
        kms_key_id=fs.get("KmsKeyId"),
        availability_zone_name=fs.get("AvailabilityZoneName"),
        life_cycle_state=fs.get("LifeCycleState"),
        policy_status=status,
        policy=policy,
        backup_policy_status=_backup_policy(unit, api, fs_id, arn),
        mount_targets=_mount_targets(unit, api, fs_id, arn),
        tags=tag_dict(fs.get("Tags")),
    )


def _policy(unit: Unit, api, fs_id: str, arn: str) -> tuple[PolicyStatus, dict | None]:
    """PolicyNotFound is data (the default open policy applies, §2.2); any other error is UNKNOWN."""
    try:
        text = api.call("DescribeFileSystemPolicy", FileSystemId=fs_id).get("Policy")
    except CALL_ERRORS as exc:
        if error_code(exc) == "PolicyNotFound":
            return PolicyStatus.ABSENT, None
        unit.failed(SERVICE, "DescribeFileSystemPolicy", exc, arn)
        return PolicyStatus.UNKNOWN, None
    try:
        document = json.loads(text) if text else None
    except json.JSONDecodeError as exc:
        unit.issue(SERVICE, "DescribeFileSystemPolicy", "InvalidPolicyDocument", str(exc), arn)
        return PolicyStatus.UNKNOWN, None
    if not isinstance(document, dict):
        unit.issue(
            SERVICE, "DescribeFileSystemPolicy", "InvalidPolicyDocument", "policy is not a JSON object", arn
        )
        return PolicyStatus.UNKNOWN, None
    return PolicyStatus.PRESENT, document


def _backup_policy(unit: Unit, api, fs_id: str, arn: str) -> str | None:
    """The BackupPolicy.Status. AWS documents PolicyNotFound as "no backup policy specified"
    (One Zone file systems): there is no status to record, so None without an issue; the
    absence of an issue is what tells it apart from a failed read."""
    try:
        return api.call("DescribeBackupPolicy", FileSystemId=fs_id).get("BackupPolicy", {}).get("Status")
    except CALL_ERRORS as exc:
        if error_code(exc) != "PolicyNotFound":
            unit.failed(SERVICE, "DescribeBackupPolicy", exc, arn)
        return None


def _mount_targets(unit: Unit, api, fs_id: str, arn: str) -> list[MountTarget] | None:
    try:
        raw = [
            mt
            for page in api.pages("DescribeMountTargets", FileSystemId=fs_id)
            for mt in page.get("MountTargets", [])
        ]
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, "DescribeMountTargets", exc, arn)
        return None
    out = []
    for mt in raw:
        mt_id = mt["MountTargetId"]
        try:
            groups = api.call("DescribeMountTargetSecurityGroups", MountTargetId=mt_id).get(
                "SecurityGroups", []
            )
        except CALL_ERRORS as exc:
            unit.failed(SERVICE, "DescribeMountTargetSecurityGroups", exc, mt_id)
            groups = None
        out.append(
            MountTarget(
                mount_target_id=mt_id,
                file_system_id=mt.get("FileSystemId", fs_id),
                subnet_id=mt.get("SubnetId"),
                vpc_id=mt.get("VpcId"),
                availability_zone=mt.get("AvailabilityZoneName"),
                ip_address=mt.get("IpAddress"),
                owner_id=mt.get("OwnerId"),
                security_group_ids=groups,
            )
        )
    return out


def _access_points(unit: Unit, api) -> list[AccessPoint]:
    try:
        raw = [ap for page in api.pages("DescribeAccessPoints") for ap in page.get("AccessPoints", [])]
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, "DescribeAccessPoints", exc)
        return []
    return [access_point(unit.account_id, unit.region, ap) for ap in raw]


def access_point(account_id: str, region: str, ap: dict) -> AccessPoint:
    posix = ap.get("PosixUser")
    root = ap.get("RootDirectory")
    creation = (root or {}).get("CreationInfo")
    return AccessPoint(
        arn=ap["AccessPointArn"],
        access_point_id=ap["AccessPointId"],
        file_system_id=ap["FileSystemId"],
        account_id=ap.get("OwnerId") or account_id,
        region=region,
        name=ap.get("Name"),
        posix_user=PosixUser(
            uid=posix["Uid"], gid=posix["Gid"], secondary_gids=list(posix.get("SecondaryGids") or [])
        )
        if posix
        else None,
        root_directory=RootDirectory(
            path=root.get("Path"),
            creation_info=CreationInfo(
                owner_uid=creation["OwnerUid"],
                owner_gid=creation["OwnerGid"],
                permissions=creation["Permissions"],
            )
            if creation
            else None,
        )
        if root is not None
        else None,
        life_cycle_state=ap.get("LifeCycleState"),
        tags=tag_dict(ap.get("Tags")),
    )
