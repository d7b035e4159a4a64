"""efs_root_squash_gap: who acts as root (uid 0 or gid 0, not squashed) on a file system.

Four kinds of resource are evaluated, each with its own result: the file system (root granted to
anonymous clients or to any principal holding ClientMount, §2.2, §2.7, edges 1, 2, 5), each workload
(its configured mounts, edges 3, 16), each IAM role that mounts or holds root-capable permissions
(possible reach, edge 3, §2.5) and the EFS CSI driver identities of each cluster (§6.5, edge 33).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.analysis.access import Analysis
from auditor.analysis.authz import APClass, Grant
from auditor.analysis.mounts import Mount, csi_file_systems
from auditor.checks.base import FAIL, NOT_ASSESSED, PASS, Finding, Subject, scope_of
from auditor.graph.build import csi_controller, csi_node
from auditor.graph.links import mount_path, mount_ref, path_in_graph
from auditor.graph.reach import principal_node, reach, root_capable
from auditor.iam import Principal
from auditor.model.arn import Arn
from auditor.model.aws import AccessPoint, FileSystem, PolicyStatus
from auditor.model.ids import account_of, arn_partition, dir_id
from auditor.model.scope import UNKNOWN_ACCOUNT, aws_scope, k8s_scope

CID = "efs_root_squash_gap"
MOUNT_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "elasticfilesystem:ClientMount", "Resource": "*"}],
}


def root_squash_gap(a: Analysis) -> Iterator[Finding]:
    yield from _file_systems(a)
    yield from _workloads(a)
    yield from _roles(a)
    yield from _csi(a)


def _file_systems(a: Analysis) -> Iterator[Finding]:
    for fs in a.snapshot.file_systems:
        on = Subject(CID, fs.arn, "AwsEfsFileSystem", scope_of(fs))
        if fs.policy_status is PolicyStatus.UNKNOWN:
            yield on(NOT_ASSESSED, "file system policy could not be read")
            continue
        anon_root, anon_missing = _root_contexts(a, None, fs)
        probe = (
            Principal(
                kind="role", arn=str(Arn(arn_partition(fs.arn), "iam", "", fs.account_id, "role/any-role"))
            ),
            [("identity policy allowing only elasticfilesystem:ClientMount", MOUNT_ONLY)],
            None,
            (),
        )
        member = a.authz.grant(fs, f"probe:{fs.account_id}", True, None, probe)
        member_root = member.can_mount(a.params) and member.can_root(a.params)
        if anon_root:
            yield on(
                FAIL,
                f"anonymous clients mount with root access ({anon_root[0]['connection']})",
                path=anon_root[0]["path"],
                anonymous_root_connections=anon_root,
                rule="§1.3, §2.2, edges 1, 2, 9, 16",
            )
        elif member_root and fs.policy_status is PolicyStatus.PRESENT:
            yield on(
                FAIL,
                "any principal of the account that holds ClientMount also gets ClientRootAccess from this policy",
                path=path_in_graph(a, fs.arn),
                principal_with_client_mount=member.evidence(),
                rule="§2.7, edge 5",
            )
        elif anon_missing or member_root is None:
            yield on(
                NOT_ASSESSED, "could not evaluate", reason=sorted(set(anon_missing + list(member.missing)))
            )
        else:
            yield on(
                PASS,
                "root is squashed for anonymous clients and for principals without their own ClientRootAccess",
                principal_with_client_mount=member.evidence(),
            )


def _workloads(a: Analysis) -> Iterator[Finding]:
    gid0 = a.params.gid0_is_root
    for ref, mounts in a.workloads.values():
        rows, roots, unknown = [], [], []
        for m in mounts:
            conn = a.connection(m)
            rooty = [(c, i) for c, i in m.identities if i.may_be_root(gid0)]
            mount_ok = conn.can("mount", a.params)
            root_ok = conn.can("root", a.params) if rooty and mount_ok is not False else None
            actions = ("ClientMount", "ClientRootAccess") if rooty else ("ClientMount",)
            row: dict[str, Any] = {
                "volume": m.volume,
                "file_system": m.fs_id,
                "access_point": m.ap_id,
                "principal": m.principal_note,
                "root_identities": [{"container": c, **i.evidence()} for c, i in rooty],
                "authorization": conn.grant_evidence(actions),
            }
            if conn.not_assessed:
                row["not_assessed"] = conn.not_assessed
            rows.append(row)
            if m.invalid or mount_ok is False:  # efs_workload_volume_unmountable reports it
                row["cannot_mount"] = (
                    "cannot mount: " + m.invalid[0]
                    if m.invalid
                    else "cannot mount: ClientMount is denied to the mount's principal"
                )
                continue
            if not rooty:
                continue
            if mount_ok is None or root_ok is None:
                unknown.append(m)
            elif root_ok:
                roots.append((m, rooty[0]))
            else:
                row["squashed"] = (
                    f"root is squashed to uid {a.params.squash_uid} (target UNVERIFIED, setting squash_uid); "
                    "a root client can still switch to any other uid (edge 4)"
                )
        ev: dict[str, Any] = {"application": ref.app, "mounts": rows}
        if ref.source:
            ev["source_file"], ev["source_line"] = ref.source
        on = Subject(CID, ref.id, ref.resource_type, ref.scope)
        if roots:
            m, (c, i) = roots[0]
            via = (
                f"access point {m.ap_id} enforcing uid {i.uid} gid {i.gid}"
                if i.enforced_by
                else f"container {c} ({i.source})"
            )
            yield on(
                FAIL,
                f"acts as root on {m.fs_id} via {via}: ClientRootAccess is granted",
                path=mount_path(a, m),
                rule="§1.3, §1.4, §2.5, edges 3, 16",
                principals=a.connection(m).principal_names(),
                access_point=m.ap_id,
                **ev,
            )
        elif unknown:
            reason = sorted({r for m in unknown for r in a.connection(m).not_assessed}) or [
                "authorization indeterminate"
            ]
            yield on(
                NOT_ASSESSED, "could not evaluate root access", path=unknown[0].path, reason=reason, **ev
            )
        else:
            yield on(PASS, "no mount acts as unsquashed root", path=[ref.id], **ev)


def _root_contexts(a: Analysis, principal: str | None, fs: FileSystem) -> tuple[list[dict], list[str]]:
    """Connections through which ``principal`` gets root on ``fs``: no access point (client uid 0),
    an access point without PosixUser, or one enforcing uid/gid 0. Each found one carries its graph
    path from the principal to the file system."""
    pr = a.possible_reach(principal, fs)
    p = a.params
    found: list[dict] = []
    missing: list[str] = []
    node = principal_node(principal)
    candidates: list[tuple[str, Grant, APClass | None, AccessPoint | None]] = [
        ("no access point", pr.without_access_point, None, None)
    ]
    for group, grant in pr.through:
        rootish = a.first_root_ap(group)
        if rootish is not None:
            candidates.append((f"access point {rootish.access_point_id}", grant, group, rootish))
    for label, g, cls, ap in candidates:
        m = g.can_mount(p)
        r = g.can_root(p) if m is not False else False
        if m and r:
            rows = reach(a)
            rows.possible(principal, fs)  # adds the may_mount edges the path walks
            if cls is None or ap is None:
                via = [dir_id(fs.file_system_id, "/")]
            else:
                via = list(dict.fromkeys([rows.include(cls, ap), ap.arn]))
            path = path_in_graph(a, node, *via, fs.arn)
            found.append(
                {
                    "file_system": fs.file_system_id,
                    "connection": label,
                    **g.evidence(("ClientMount", "ClientRootAccess")),
                    "path": path,
                }
            )
        elif m is None or r is None:
            missing.extend(g.missing)
    return found, missing


def _roles(a: Analysis) -> Iterator[Finding]:
    candidates: dict[str, set[str]] = {}
    carried: dict[str, list[Mount]] = {}
    for m in a.mounts:
        for p in m.principal_arns:
            if m.fs is not None:
                candidates.setdefault(p, set()).add(m.fs.arn)
            carried.setdefault(p, []).append(m)
    unreadable: dict[str, list[str]] = {}  # a policy not read may grant root anywhere: never a PASS
    for known in a.snapshot.roles:
        docs, not_read = a.idx.identity_policies(known)
        if docs is None:
            unreadable[known.arn] = not_read
            candidates.setdefault(known.arn, set())
    for arn, fs in root_capable(a):
        candidates.setdefault(arn, set()).add(fs.arn)
    for principal in sorted(candidates):
        role = a.idx.role(principal)
        rid = role.arn if role else principal
        scope = aws_scope(role.account_id if role else account_of(principal) or UNKNOWN_ACCOUNT)
        found: list[dict] = []
        missing: list[str] = []
        evaluated = sorted(candidates[principal])
        for fs_arn in evaluated:
            f, miss = _root_contexts(a, principal, a.idx.fs_by_arn[fs_arn])
            found.extend(f)
            missing.extend(miss)
        on = Subject(CID, rid, "AwsIamRole", scope)
        if found:
            mounts = carried.get(principal, [])
            yield on(
                FAIL,
                f"can mount {found[0]['file_system']} as root ({found[0]['connection']})",
                path=[rid] + found[0]["path"][1:],
                root_on=found,
                kind="possible reach",
                rule="§2.5, edge 3",
                file_systems_evaluated=evaluated,
                workloads=sorted({m.workload.id for m in mounts}),
                mounts=[mount_ref(m) for m in mounts],
            )
        elif missing or principal in unreadable:
            yield on(
                NOT_ASSESSED,
                "could not evaluate",
                reason=sorted(set(missing + unreadable.get(principal, []))),
                file_systems_evaluated=evaluated,
                kind="possible reach",
            )
        else:
            yield on(
                PASS,
                "cannot mount any file system as root",
                file_systems_evaluated=evaluated,
                kind="possible reach",
            )


def _csi(a: Analysis) -> Iterator[Finding]:
    by_scope: dict[str, list[Mount]] = {}
    for m in a.mounts:
        if m.principal_arns:
            by_scope.setdefault(m.workload.scope, []).append(m)
    for cluster in a.snapshot.clusters:
        rid, principals, note = csi_node(cluster)
        if rid is None:
            continue
        fs_ids = csi_file_systems(cluster)
        carried = by_scope.get(k8s_scope(cluster.name), [])
        yield _csi_result(
            a,
            cluster.name,
            rid,
            principals,
            note,
            fs_ids,
            "the EFS CSI node plugin identity mounts for every pod on the cluster (§6.5)",
            carried,
        )
        cid, principals = csi_controller(cluster)
        if cid is not None:
            yield _csi_result(
                a,
                cluster.name,
                cid,
                principals,
                "EFS CSI controller with --delete-access-point-root-dir",
                fs_ids,
                "the controller mounts the file-system root as uid 0 to delete access point "
                "directories: a whole-file-system root principal (edge 33)",
                [],
            )


def _csi_result(a, cluster, rid, principals, note, fs_ids, why, carried) -> Finding:
    scope = k8s_scope(cluster)
    on = Subject(CID, rid, "KubernetesEfsCsiDriver", scope)
    if not principals:
        return on(NOT_ASSESSED, note, reason=[note])
    found: list[dict] = []
    missing: list[str] = []
    for p in principals:
        for fs_id in sorted(fs_ids):
            fs = a.idx.fs_by_id.get(fs_id)
            if fs is None:
                missing.append(f"file system {fs_id} is not in the snapshot")
                continue
            f, m = _root_contexts(a, p, fs)
            found.extend({"principal": p, **x} for x in f)
            missing.extend(m)
    ev = {
        "principals": list(principals),
        "identity_source": note,
        "why_it_matters": why,
        "workloads": sorted({m.workload.id for m in carried}),
        "mounts": [mount_ref(m) for m in carried],
    }
    if found:
        return on(
            FAIL,
            f"{found[0]['principal']} holds ClientRootAccess on {found[0]['file_system']} for the whole cluster",
            path=[rid] + found[0]["path"],
            root_on=found,
            file_systems_evaluated=sorted(fs_ids),
            **ev,
        )
    if missing:
        return on(
            NOT_ASSESSED,
            "could not evaluate",
            reason=sorted(set(missing)),
            file_systems_evaluated=sorted(fs_ids),
            **ev,
        )
    return on(
        PASS, "the CSI driver identity cannot mount as root", file_systems_evaluated=sorted(fs_ids), **ev
    )
