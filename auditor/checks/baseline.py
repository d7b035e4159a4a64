"""AWS baseline controls: encryption at rest, backups, access point hygiene, mount target exposure.
One result per file system, access point or mount target; an unobserved field is NOT_ASSESSED."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from auditor.analysis.access import Analysis
from auditor.checks.base import FAIL, NOT_ASSESSED, PASS, Finding, Subject, scope_of
from auditor.graph.links import path_in_graph
from auditor.model.aws import AccessPoint
from auditor.model.ids import dir_id, mount_target_id

FS, AP, MT = "AwsEfsFileSystem", "AwsEfsAccessPoint", "AwsEfsMountTarget"


_FIELDS: dict[type, tuple[str, ...]] = {}


def _plain(model: BaseModel) -> dict[str, Any]:
    """``model.model_dump()`` of a model whose fields are scalars or lists of scalars (PosixUser,
    CreationInfo), at a third of its cost: the same keys in field order, lists copied."""
    names = _FIELDS.get(type(model))
    if names is None:
        names = _FIELDS[type(model)] = tuple(type(model).model_fields)
    values = model.__dict__
    out: dict[str, Any] = {}
    for name in names:
        v = values[name]
        out[name] = v.copy() if type(v) is list else v
    return out


def encrypted_at_rest(a: Analysis) -> Iterator[Finding]:
    cid = "efs_encrypted_at_rest"
    for fs in a.snapshot.file_systems:
        on = Subject(cid, fs.arn, FS, scope_of(fs))
        if fs.encrypted is None:
            yield on(NOT_ASSESSED, "encryption setting not collected")
        elif fs.encrypted:
            yield on(PASS, "encrypted at rest", kms_key_id=fs.kms_key_id)
        else:
            yield on(
                FAIL,
                "not encrypted at rest (cannot be changed: copy to a new encrypted file system)",
                path=path_in_graph(a, fs.arn),
                encrypted=False,
                rule="§3.1",
            )


def backup_enabled(a: Analysis) -> Iterator[Finding]:
    cid = "efs_backup_enabled"
    for fs in a.snapshot.file_systems:
        ev: dict[str, Any] = {
            "backup_policy_status": fs.backup_policy_status,
            "aws_backup_protected": fs.backup_protected,
        }
        on = Subject(cid, fs.arn, FS, scope_of(fs))
        if fs.backup_policy_status == "ENABLED" or fs.backup_protected:
            yield on(PASS, "backed up", **ev)
        elif fs.backup_policy_status is None and fs.backup_protected is None:
            yield on(NOT_ASSESSED, "backup policy and AWS Backup coverage not collected", **ev)
        elif fs.backup_policy_status is None:
            yield on(
                NOT_ASSESSED,
                "not an AWS Backup protected resource, and the automatic backup policy was not collected",
                **ev,
            )
        elif fs.backup_protected is None:  # an AWS Backup plan may cover it: not known, so not a FAIL
            yield on(
                NOT_ASSESSED,
                f"automatic backups {fs.backup_policy_status}, and AWS Backup coverage was not collected",
                **ev,
            )
        else:
            yield on(
                FAIL,
                f"automatic backups {fs.backup_policy_status} and not protected by an AWS Backup plan",
                path=path_in_graph(a, fs.arn),
                **ev,
            )


def automatic_backups_enabled(a: Analysis) -> Iterator[Finding]:
    """AWS Security Hub EFS.7 (AWS Config efs-automatic-backups-enabled): the automatic backup policy alone;
    AWS Backup plan coverage is efs_backup_enabled (EFS.2)."""
    cid = "efs_automatic_backups_enabled"
    for fs in a.snapshot.file_systems:
        status = fs.backup_policy_status
        on = Subject(cid, fs.arn, FS, scope_of(fs))
        if status is None:
            yield on(NOT_ASSESSED, "the automatic backup policy was not collected", backup_policy_status=None)
        elif status == "ENABLED":
            yield on(PASS, "automatic backups ENABLED", backup_policy_status=status)
        else:
            yield on(
                FAIL,
                f"automatic backups {status}",
                path=path_in_graph(a, fs.arn),
                backup_policy_status=status,
                aws_backup_protected=fs.backup_protected,
            )


def _exposes(a: Analysis, ap: AccessPoint) -> list[str]:
    """Access point -> the directory it exposes."""
    return path_in_graph(a, ap.arn, dir_id(ap.file_system_id, ap.path), kinds={"exposes"})


def access_point_no_user_identity(a: Analysis) -> Iterator[Finding]:
    cid = "efs_access_point_no_user_identity"
    for ap in a.snapshot.access_points:
        on = Subject(cid, ap.arn, AP, scope_of(ap))
        if ap.posix_user is None:
            yield on(
                FAIL,
                "no PosixUser: clients keep their own uid and gid, root included (§1.4, edge 17)",
                path=_exposes(a, ap),
                root_directory=ap.path,
            )
        else:
            yield on(PASS, f"enforces uid {ap.posix_user.uid} gid {ap.posix_user.gid}")


def access_point_root_identity(a: Analysis) -> Iterator[Finding]:
    cid = "efs_access_point_root_identity"
    for ap in a.snapshot.access_points:
        pu = ap.posix_user
        on = Subject(cid, ap.arn, AP, scope_of(ap))
        if pu is None:
            yield on(PASS, "enforces no identity (see efs_access_point_no_user_identity)")
            continue
        root = [n for n, v in (("uid", pu.uid), ("gid", pu.gid)) if v == 0]
        if 0 in pu.secondary_gids:
            root.append("secondary gid")
        if root:
            yield on(
                FAIL,
                f"enforces {' and '.join(root)} 0 at {ap.path}",
                path=path_in_graph(
                    a,
                    ap.arn,
                    "posix://uid/0" if pu.uid == 0 else "posix://gid/0",
                    kinds={"enforces_uid", "enforces_gid", "enforces_group"},
                ),
                posix_user=_plain(pu),
                root_directory=ap.path,
                rule="§1.3, §1.4, edge 16",
            )
        else:
            yield on(PASS, "enforced identity is not root", posix_user=_plain(pu))


def access_point_root_directory(a: Analysis) -> Iterator[Finding]:
    cid = "efs_access_point_root_directory"
    for ap in a.snapshot.access_points:
        on = Subject(cid, ap.arn, AP, scope_of(ap))
        if ap.path == "/":
            yield on(
                FAIL,
                "root directory is / : the whole file system",
                path=path_in_graph(a, ap.arn, dir_id(ap.file_system_id, "/"), kinds={"exposes"}),
                root_directory="/",
            )
        else:
            yield on(PASS, f"root directory {ap.path}", root_directory=ap.path)


def access_point_world_writable(a: Analysis) -> Iterator[Finding]:
    cid = "efs_access_point_world_writable"
    for ap in a.snapshot.access_points:
        ci = ap.root_directory.creation_info if ap.root_directory else None
        on = Subject(cid, ap.arn, AP, scope_of(ap))
        if ci is None:
            yield on(NOT_ASSESSED, "no CreationInfo: the directory's mode is not visible through the EFS API")
            continue
        perms = ci.permissions.strip()
        if not perms.isdigit() or max(perms) > "7":
            yield on(NOT_ASSESSED, f"permissions {perms!r} are not octal")
        elif int(perms[-1]) & 2:
            yield on(
                FAIL,
                f"CreationInfo permissions {perms} are world-writable",
                path=_exposes(a, ap),
                creation_info=_plain(ci),
            )
        else:
            yield on(PASS, f"CreationInfo permissions {perms}", creation_info=_plain(ci))


def access_point_tagged(a: Analysis) -> Iterator[Finding]:
    cid = "efs_access_point_tagged"
    for ap in a.snapshot.access_points:
        on = Subject(cid, ap.arn, AP, scope_of(ap))
        if ap.tags is None:
            yield on(NOT_ASSESSED, "tags not collected")
        elif ap.tags:
            yield on(PASS, f"{len(ap.tags)} tags", tag_keys=sorted(ap.tags))
        else:
            yield on(FAIL, "no tags", path=path_in_graph(a, ap.arn))


def _mount_targets(a: Analysis):
    for fs in a.snapshot.file_systems:
        for mt in fs.mount_targets or []:
            rid = mount_target_id(fs.arn, mt.mount_target_id)
            yield fs, mt, rid


def mount_target_public_subnet(a: Analysis) -> Iterator[Finding]:
    cid = "efs_mount_target_public_subnet"
    for fs, mt, rid in _mount_targets(a):
        sn = a.idx.subnet.get((fs.account_id, mt.subnet_id or ""))
        path = [rid, fs.arn]
        on = Subject(cid, rid, MT, scope_of(fs))
        if sn is None or (sn.map_public_ip_on_launch is None and sn.routes_to_internet_gateway is None):
            yield on(NOT_ASSESSED, f"subnet {mt.subnet_id} not collected", path=path)
            continue
        ev: dict[str, Any] = {
            "subnet_id": sn.subnet_id,
            "map_public_ip_on_launch": sn.map_public_ip_on_launch,
            "routes_to_internet_gateway": sn.routes_to_internet_gateway,
            "note": "mount targets have no public IP; a public subnet is a hygiene signal, not internet exposure (edge 39)",
        }
        if sn.map_public_ip_on_launch or sn.routes_to_internet_gateway:
            yield on(
                FAIL,
                f"in public subnet {sn.subnet_id}",
                path=path_in_graph(a, rid, f"subnet:{sn.subnet_id}", kinds={"in_subnet"}),
                **ev,
            )
        elif sn.map_public_ip_on_launch is None or sn.routes_to_internet_gateway is None:
            yield on(NOT_ASSESSED, "subnet only partly collected", path=path, **ev)
        else:
            yield on(PASS, f"private subnet {sn.subnet_id}", path=path, **ev)


def _admits_nfs(rule) -> bool:
    if rule.protocol == "-1":
        return True
    if rule.protocol not in ("tcp", "6"):
        return False
    lo = rule.from_port if rule.from_port is not None else 0
    hi = rule.to_port if rule.to_port is not None else 65535
    return lo <= 2049 <= hi


RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def _broad(cidr: str, v4: int, v6: int) -> bool:
    """Wider than the prefix threshold, or a whole RFC 1918 block (or more) (§7)."""
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return True  # a source that cannot be read is not proven narrow
    if isinstance(net, ipaddress.IPv6Network):
        return net.prefixlen < v6
    return net.prefixlen < v4 or any(block.subnet_of(net) for block in RFC1918)


def mount_target_nfs_open(a: Analysis) -> Iterator[Finding]:
    """TCP 2049 (all traffic, or a port range holding 2049) open to broad ranges (§7, edge 39)."""
    cid = "efs_mount_target_nfs_open"
    v4, v6 = a.params.nfs_open_max_prefix, a.params.nfs_open_max_prefix_v6
    for fs, mt, rid in _mount_targets(a):
        on = Subject(cid, rid, MT, scope_of(fs))
        if mt.security_group_ids is None:
            yield on(NOT_ASSESSED, "mount target security groups not collected", path=[rid, fs.arn])
            continue
        open_rules, missing, cidrs, groups, lists = [], [], [], [], []
        for gid in mt.security_group_ids:
            sg = a.idx.sg.get((fs.account_id, gid))
            if sg is None or sg.ingress is None:
                missing.append(gid)
                continue
            for rule in sg.ingress:
                if not _admits_nfs(rule):
                    continue
                cidrs += rule.cidrs
                groups += rule.source_groups
                lists += rule.prefix_lists
                wide = [c for c in rule.cidrs if _broad(c, v4, v6)]
                if wide:
                    open_rules.append(
                        {
                            "security_group": gid,
                            "protocol": rule.protocol,
                            "from_port": rule.from_port,
                            "to_port": rule.to_port,
                            "broad_cidrs": wide,
                        }
                    )
        path = [rid, fs.arn]
        ev: dict[str, Any] = {
            "admitted_cidrs": sorted(set(cidrs)),
            "admitted_security_groups": sorted(set(groups)),
            "admitted_prefix_lists": sorted(set(lists)),
            "broad_prefix_threshold": v4,
            "broad_prefix_threshold_v6": v6,
            "security_groups": mt.security_group_ids,
        }
        if open_rules:
            yield on(
                FAIL,
                f"TCP 2049 open to {open_rules[0]['broad_cidrs'][0]}",
                path=path_in_graph(
                    a,
                    rid,
                    f"sg:{open_rules[0]['security_group']}",
                    f"net:{open_rules[0]['broad_cidrs'][0]}",
                    kinds={"protected_by", "admits"},
                ),
                rules=open_rules,
                rule="§7, edge 39",
                note="reachable from every peered, Transit Gateway, VPN and Direct Connect network the range "
                "admits (§7, edge 39)",
                **ev,
            )
        elif missing:
            yield on(
                NOT_ASSESSED,
                "security group rules not collected",
                path=path,
                security_groups_not_collected=missing,
                **ev,
            )
        else:
            yield on(
                PASS,
                f"TCP 2049 is open to no range wider than /{v4} (IPv6 /{v6}) and to no whole RFC 1918 block",
                path=path,
                **ev,
            )
