"""Identifiers: ARNs, EFS CSI volume handles, graph node ids."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from auditor.model.arn import Arn

FS_ID = re.compile(r"^fs-[0-9a-f]{8,40}$")
AP_ID = re.compile(r"^fsap-[0-9a-f]{8,40}$")
EFS_FS_IN_TEXT = re.compile(r"\bfs-[0-9a-f]{8,40}\b")


def parse_arn(text: str) -> Arn | None:
    return Arn.maybe(text)


def account_of(arn: str) -> str | None:
    parsed = Arn.maybe(arn)
    return parsed.account if parsed else None


def arn_partition(arn: str) -> str:
    """The partition an ARN names; ``aws`` when it is no ARN."""
    parsed = Arn.maybe(arn)
    return parsed.partition if parsed else "aws"


def partition_of(region: str) -> str:
    """The ARN partition of a region."""
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


def fs_arn(partition: str, region: str, account: str, fs_id: str) -> str:
    return str(Arn(partition, "elasticfilesystem", region, account, f"file-system/{fs_id}"))


def ap_arn(partition: str, region: str, account: str, ap_id: str) -> str:
    return str(Arn(partition, "elasticfilesystem", region, account, f"access-point/{ap_id}"))


def mount_target_id(fs_arn_: str, mt_id: str) -> str:
    """Mount targets have no ARN; the auditor names them after their file system's ARN."""
    parsed = Arn.maybe(fs_arn_)
    if parsed is None:
        return mt_id
    return str(parsed.with_resource(f"mount-target/{mt_id}", service="elasticfilesystem"))


def ap_id_of(arn: str) -> str | None:
    parsed = Arn.maybe(arn)
    if parsed and parsed.service == "elasticfilesystem" and parsed.resource_type == "access-point":
        return parsed.resource_id
    return None


def role_name_of(arn: str) -> str | None:
    parsed = Arn.maybe(arn)
    if parsed and parsed.service == "iam" and parsed.resource_type == "role":
        return parsed.name
    return None


# --- EFS CSI volume handles (efs-semantics.md §6.1) -------------------------------------------


class VolumeHandleError(ValueError):
    pass


@dataclass(frozen=True)
class VolumeHandle:
    fs_type: str  # "efs" (legacy form is treated as efs) or "s3files"
    file_system_id: str
    subpath: str  # cleaned, absolute; "/" when absent
    access_point_id: str | None


def parse_volume_handle(handle: str) -> VolumeHandle:
    """Parse ``[efs|s3files:]fs-id[:subpath[:fsap-id]]`` as aws-efs-csi-driver v3 does.

    Rule §6.1: the new form has at most four fields and starts with the fs type; the legacy
    form has at most three; empty fields are allowed; the subpath is path.Clean'ed.
    """
    fields = handle.strip().split(":")
    fs_type = "efs"
    if fields and fields[0] in ("efs", "s3files"):
        fs_type, fields = fields[0], fields[1:]
        limit = 3
    else:
        limit = 3
    if not fields or len(fields) > limit:
        raise VolumeHandleError(f"volumeHandle {handle!r}: expected [efs:]fs-id[:subpath[:fsap-id]]")
    fs_id = fields[0]
    if not FS_ID.match(fs_id):
        raise VolumeHandleError(f"volumeHandle {handle!r}: {fs_id!r} is not a file system id")
    subpath = fields[1] if len(fields) > 1 else ""
    ap = fields[2] if len(fields) > 2 else ""
    if ap and not AP_ID.match(ap):
        raise VolumeHandleError(f"volumeHandle {handle!r}: {ap!r} is not an access point id")
    return VolumeHandle(fs_type, fs_id, clean_path(subpath or "/"), ap or None)


def clean_path(path: str) -> str:
    """Normalise a directory path to an absolute, clean form (``/`` for the root)."""
    cleaned = posixpath.normpath("/" + path.strip())
    return "/" + cleaned.lstrip("/") if cleaned != "/" else "/"


def is_within(path: str, ancestor: str) -> bool:
    """True when ``path`` equals or lies below ``ancestor`` (both clean)."""
    return ancestor == "/" or path == ancestor or path.startswith(ancestor + "/")


def mount_option_access_point(options: list[str] | None) -> str | None:
    """The deprecated ``accesspoint=fsap-...`` mount option (§6.3)."""
    for opt in options or []:
        for part in opt.split(","):
            key, _, value = part.strip().partition("=")
            if key == "accesspoint" and value:
                return value
    return None


def mount_option_flags(options: list[str] | None) -> set[str]:
    flags: set[str] = set()
    for opt in options or []:
        for part in opt.split(","):
            part = part.strip()
            if part:
                flags.add(part.split("=", 1)[0])
    return flags


# --- node ids ----------------------------------------------------------------------------------


def k8s_id(cluster: str, namespace: str | None, kind: str, name: str) -> str:
    return f"k8s://{cluster}/{namespace or '_cluster'}/{kind}/{name}"


def dir_id(fs_id: str, path: str) -> str:
    return f"efsdir://{fs_id}{clean_path(path)}"


def app_id(name: str) -> str:
    return f"app://{name}"
