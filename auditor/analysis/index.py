"""Lookup tables over a snapshot, built once in linear time and shared by the analysis."""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

from auditor.model.aws import AccessPoint, FileSystem, IamRole, ManagedPolicy, SecurityGroup, Subnet
from auditor.model.ids import account_of, role_name_of
from auditor.model.snapshot import CollectionIssue, CollectionUnit, Snapshot


@dataclass
class PathIndex:
    """Access point roots of one file system, sorted, for subtree and ancestor queries."""

    paths: list[str] = field(default_factory=list)
    by_path: dict[str, list[AccessPoint]] = field(default_factory=lambda: defaultdict(list))

    def add(self, ap: AccessPoint) -> None:
        self.by_path[ap.path].append(ap)

    def freeze(self) -> None:
        self.paths = sorted(self.by_path)

    def within(self, root: str) -> list[str]:
        """AP root paths equal to or below ``root``."""
        if root == "/":
            return list(self.paths)
        lo = bisect.bisect_left(self.paths, root)
        out = []
        for p in self.paths[lo:]:
            if p == root or p.startswith(root + "/"):
                out.append(p)
            elif not p.startswith(root):
                break
        return out


class Index:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.fs_by_id: dict[str, FileSystem] = {}
        self.fs_by_arn: dict[str, FileSystem] = {}
        self.fs_by_ip: dict[str, str] = {}
        for fs in snapshot.file_systems:
            self.fs_by_id[fs.file_system_id] = fs
            self.fs_by_arn[fs.arn] = fs
            for mt in fs.mount_targets or []:
                if mt.ip_address:
                    self.fs_by_ip[mt.ip_address] = fs.file_system_id
        self.ap_by_id: dict[str, AccessPoint] = {}
        self.ap_by_arn: dict[str, AccessPoint] = {}
        self.aps_by_fs: dict[str, list[AccessPoint]] = defaultdict(list)
        self.paths_by_fs: dict[str, PathIndex] = defaultdict(PathIndex)
        for ap in snapshot.access_points:
            self.ap_by_id[ap.access_point_id] = ap
            self.ap_by_arn[ap.arn] = ap
            self.aps_by_fs[ap.file_system_id].append(ap)
            self.paths_by_fs[ap.file_system_id].add(ap)
        for pi in self.paths_by_fs.values():
            pi.freeze()
        self.role_by_arn: dict[str, IamRole] = {r.arn: r for r in snapshot.roles}
        # Sessions and references may omit a role's path: also index by account and name.
        self.role_by_name: dict[tuple[str, str], IamRole] = {
            (r.account_id, r.role_name): r for r in snapshot.roles
        }
        self.policy_by_arn: dict[str, ManagedPolicy] = {p.arn: p for p in snapshot.managed_policies}
        self.sg: dict[tuple[str, str], SecurityGroup] = {
            (g.account_id, g.group_id): g for g in snapshot.security_groups
        }
        self.subnet: dict[tuple[str, str], Subnet] = {
            (s.account_id, s.subnet_id): s for s in snapshot.subnets
        }
        self.units: dict[str, CollectionUnit] = {u.scope: u for u in snapshot.units}
        self.issues_by_resource: dict[str, list[CollectionIssue]] = defaultdict(list)
        self.scope_issues: dict[tuple[str, str], list[CollectionIssue]] = defaultdict(list)
        for issue in snapshot.issues:
            if issue.resource_id:
                self.issues_by_resource[issue.resource_id].append(issue)
            else:
                self.scope_issues[(issue.scope, issue.service)].append(issue)
        self.clusters = {c.name: c for c in snapshot.clusters}
        self._identity_policies: dict[str, tuple[IamRole, list | None, list[str]]] = {}

    # --- lookups --------------------------------------------------------------------------------

    def role(self, arn: str | None) -> IamRole | None:
        if not arn:
            return None
        found = self.role_by_arn.get(arn)
        if found is None:
            name, account = role_name_of(arn), account_of(arn)
            if name and account:
                found = self.role_by_name.get((account, name))
        return found

    def access_point(self, ref: str | None) -> AccessPoint | None:
        if not ref:
            return None
        return self.ap_by_arn.get(ref) or self.ap_by_id.get(ref)

    def file_system(self, ref: str | None) -> FileSystem | None:
        if not ref:
            return None
        return self.fs_by_arn.get(ref) or self.fs_by_id.get(ref)

    def identity_policies(self, role: IamRole) -> tuple[list[tuple[str, dict]] | None, list[str]]:
        """The role's policy documents as (label, document); None plus the reasons when any is unreadable.
        Read once per role (roles are frozen): callers share the lists and never change them."""
        got = self._identity_policies.get(role.arn)
        if got is None or got[0] is not role:
            got = self._identity_policies[role.arn] = (role, *self._read_identity_policies(role))
        return got[1], got[2]

    def _read_identity_policies(self, role: IamRole) -> tuple[list[tuple[str, dict]] | None, list[str]]:
        # a declared change a review could not place on this role says so first
        missing: list[str] = [
            i.message for i in self.issues_by_resource.get(role.arn, ()) if i.service == "review"
        ]
        docs: list[tuple[str, dict]] = []
        if role.inline_policies is None:
            missing.append(f"inline policies of {role.arn} were not collected")
        else:
            for name, doc in sorted(role.inline_policies.items()):
                docs.append((f"inline policy {name} of {role.role_name}", doc))
        if role.attached_policy_arns is None:
            missing.append(f"attached policies of {role.arn} were not collected")
        else:
            for arn in role.attached_policy_arns:
                pol = self.policy_by_arn.get(arn)
                if pol is None or pol.document is None:
                    missing.append(f"managed policy {arn} was not collected")
                else:
                    docs.append((f"managed policy {pol.name or arn}", pol.document))
        return (None if missing else docs), missing

    def boundary(self, role: IamRole) -> tuple[str, dict | None] | None:
        if not role.permissions_boundary_arn:
            return None
        pol = self.policy_by_arn.get(role.permissions_boundary_arn)
        return (f"permissions boundary {role.permissions_boundary_arn}", pol.document if pol else None)
