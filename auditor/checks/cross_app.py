"""efs_cross_app_reach: a workload of one application can reach a directory of another.

Channels (each named in the evidence with both applications and the directory):
nested or shared access point roots (edge 18), mounts without an access point and any principal that
may mount without one (edges 1, 8, 29), access points of other applications the workload's principals
may mount (edges 7, 9, 11), shared uid or group with another application (edges 19, 20, 31, 32),
reuseAccessPoint across namespaces (edge 30) and shared dynamic-provisioning directories (edge 31).
Every lookup is indexed, so the cost grows with mounts and access-point classes, not their product.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from auditor.analysis.access import Analysis
from auditor.analysis.mounts import Mount, csi_file_systems
from auditor.checks.base import FAIL, NOT_ASSESSED, PASS, Finding, Subject
from auditor.graph.build import csi_node, dir_chain
from auditor.graph.links import mount_ref
from auditor.graph.reach import class_node, principal_node, reach
from auditor.graph.reach import reach as reach_of
from auditor.model.aws import FileSystem
from auditor.model.ids import dir_id, k8s_id
from auditor.model.k8s import EFS_CSI_DRIVER
from auditor.model.scope import k8s_scope

CID = "efs_cross_app_reach"
LIMIT = 20


def cross_app_reach(a: Analysis) -> Iterator[Finding]:
    yield from _workloads(a)
    yield from _csi_drivers(a)


def _workloads(a: Analysis) -> Iterator[Finding]:
    ids = _identity_index(a)
    shared_sc = _storage_class_sharing(a)
    for ref, mounts in a.workloads.values():
        reached: list[dict] = []
        unknown: list[str] = []
        for m in mounts:
            if m.fs is None:
                unknown.extend(m.unresolved or [f"file system {m.fs_id} is not in the snapshot"])
                continue
            _configured(a, m, m.fs, reached, unknown)
            if (
                m.workload.platform != "k8s"
            ):  # a pod cannot choose its mount: its volumes are its reach (§6.5, §6.7)
                _possible(a, m, m.fs, reached, unknown)
            _identity(a, m, ids, reached)
            if shared_sc:
                reached.extend(shared_sc.get((m.workload.id, m.volume), []))
        ev = {
            "application": ref.app,
            "reached": reached[:LIMIT],
            "reached_total": len(reached),
            "network": "network reachability to mount targets is not evaluated: assumed reachable",
        }
        if ref.source:
            ev["source_file"], ev["source_line"] = ref.source
        on = Subject(CID, ref.id, ref.resource_type, ref.scope)
        if reached:
            r = reached[0]
            yield on(
                FAIL,
                f"{ref.app} can reach {r['other_application']}'s {r['directory']} on {r['file_system']} ({r['how']})",
                path=r.get("path", [ref.id]),
                **ev,
            )
        elif unknown:
            yield on(NOT_ASSESSED, "could not evaluate", path=[ref.id], reason=sorted(set(unknown)), **ev)
        else:
            yield on(PASS, "reaches no directory of another application", path=[ref.id], **ev)


def _mount_path(m: Mount) -> list[str]:
    """Workload -> volume declarations -> access point (or the directory a mount without one names)."""
    last = m.ap.arn if m.ap is not None else dir_id(m.fs_id or "", m.base_path)
    return m.path + ([last] if last not in m.path else [])


def _down(m: Mount, directory: str) -> list[str]:
    """From the mount's directory down to ``directory`` within it."""
    chain = dir_chain(m.fs_id or "", m.base_path, directory)
    path = _mount_path(m)
    return path + chain[1:] if path[-1] == chain[0] else path + chain


def _entry(m: Mount, other: str, directory: str, how: str, kind: str, more: int = 0, **extra) -> dict:
    fs_id = m.fs_id or ""
    row = {
        "application": m.workload.app,
        "other_application": other,
        "directory": directory,
        "file_system": fs_id,
        "how": how,
        "kind": kind,
        "path": _down(m, directory),
        **extra,
    }
    if more:
        row["other_applications_not_listed"] = more
    return row


def _whole_fs(
    a: Analysis, m: Mount, how: str, kind: str, reached: list[dict], head: list[str] | None = None, **extra
) -> None:
    """``head``: the path to the file system's root directory when it is not the mount's own."""
    own = m.workload.app
    dirs = a.app_dirs.get(m.fs_id or "", {})
    ordered = a.apps_on_fs.get(m.fs_id or "", [])
    total = len(ordered) - (1 if own in dirs else 0)
    if total:
        examples = [app for app in ordered[:6] if app != own][:5]
        row = _entry(
            m,
            examples[0],
            dirs[examples[0]],
            how,
            kind,
            total - 1,
            other_applications=examples,
            reaches="/ (the whole file system)",
            **extra,
        )
        if head is not None:
            row["path"] = head + dir_chain(m.fs_id or "", "/", dirs[examples[0]])[1:]
        reached.append(row)


def _configured(a: Analysis, m: Mount, fs: FileSystem, reached: list[dict], unknown: list[str]) -> None:
    conn = a.connection(m)
    ok = conn.can("mount", a.params)
    if ok is None:
        unknown.extend(conn.not_assessed or ["authorization of the configured mount is indeterminate"])
        return
    if not ok:
        return
    own = m.workload.app
    if m.ap is None and m.base_path == "/":
        _whole_fs(a, m, "mounts the file-system root without an access point", "configured", reached)
        return
    fs_id = fs.file_system_id
    index = a.idx.paths_by_fs.get(fs_id)
    for path in index.within(m.base_path) if index is not None else ():
        apps = a.apps_at(fs_id, path)
        if not apps or (len(apps) == 1 and own in apps):
            continue
        for other in sorted(apps - {own}):
            how = (
                "shares the access point root"
                if path == m.base_path
                else "access point root nested below its mount"
            )
            reached.append(_entry(m, other, path, how, "configured", rule="edge 18"))


def _possible(a: Analysis, m: Mount, fs: FileSystem, reached: list[dict], unknown: list[str]) -> None:
    principals = dict.fromkeys((*m.principal_arns, None) if m.iam else (None,))
    for p in principals:
        who = p or "anonymous client"
        reach = a.possible_reach(p, fs)
        ok = reach.without_access_point.can_mount(a.params)
        if ok is None:
            unknown.extend(reach.without_access_point.missing)
        elif ok:
            reach_of(a).possible(p, fs)  # the may_mount edge the path walks
            _whole_fs(
                a,
                m,
                f"{who} may mount without an access point and choose any directory and uid",
                "possible",
                reached,
                [m.workload.id, principal_node(p), dir_id(m.fs_id or "", "/")],
                authorization=reach.without_access_point.evidence(),
                rule="§1.2, edges 1, 8, 29",
            )
            continue
        for cls, g in reach.through:
            ok = g.can_mount(a.params)
            if ok is None:
                unknown.extend(g.missing)
                continue
            if not ok:
                continue
            total, examples = a.other_apps(cls, m.workload.app)
            if total:
                r = reach_of(a)
                r.possible(p, fs)  # the may_mount edge the path walks
                ap = r.app_member(cls, examples[0]) or cls.rep
                row = _entry(
                    m,
                    examples[0],
                    ap.path,
                    f"{who} may mount access point {ap.access_point_id}"
                    + (f" and {cls.count() - 1} alike" if cls.count() > 1 else ""),
                    "possible",
                    total - 1,
                    other_applications=examples,
                    authorization=g.evidence(),
                    rule="§2.4, edges 7, 9, 11",
                )
                node = class_node(cls)
                row["path"] = (
                    [m.workload.id, principal_node(p), node]
                    + ([ap.arn] if node != ap.arn else [])
                    + [dir_id(m.fs_id or "", ap.path)]
                )
                reached.append(row)


def _identity_index(a: Analysis) -> dict[tuple[str, str, int], dict[str, str]]:
    """(file system, "uid"|"gid", number) -> application -> the first node (access point or workload)
    that gives it that identity, from access points and from the client identities of mounts without
    an enforced identity. Only the identities some mount acts as are kept: ``_identity`` asks for no
    other, so the index grows with the mounts' identities, not with every access point's."""
    wanted: set[tuple] = set()
    for m in a.mounts:
        if m.fs_id:
            for _, ident in m.identities:
                wanted.add((m.fs_id, "uid", ident.uid))
                wanted.update((m.fs_id, "gid", g) for g in (*ident.groups, ident.gid))
    idx: dict[tuple[str, str, int], dict[str, str]] = defaultdict(dict)
    apps_by_ap = a.apps_by_ap
    for ap in a.snapshot.access_points:
        apps = apps_by_ap.get(ap.access_point_id)
        if not apps:
            continue
        if ap.posix_user:
            key = (ap.file_system_id, "uid", ap.posix_user.uid)
            if key in wanted:
                holders = idx[key]
                for app in apps:
                    holders.setdefault(app, ap.arn)
        ci = ap.root_directory.creation_info if ap.root_directory else None
        if ci:
            key = (ap.file_system_id, "gid", ci.owner_gid)
            if key in wanted:
                holders = idx[key]
                for app in apps:
                    holders.setdefault(app, ap.arn)
    for m in a.mounts:
        if m.fs_id and not (m.ap and m.ap.posix_user):
            for _, ident in m.identities:
                if ident.uid is not None:
                    idx[(m.fs_id, "uid", ident.uid)].setdefault(m.workload.app, m.workload.id)
    return idx


def _identity_path(m: Mount, kind: str, n: int, other_node: str) -> list[str]:
    """Mount -> the POSIX identity it acts as -> the other application's access point or workload."""
    node = f"posix://{kind}/{n}"
    head = _mount_path(m) if m.ap is not None and m.ap.posix_user is not None else [m.workload.id]
    return head + [node, other_node]


def _identity(a: Analysis, m: Mount, idx, reached: list[dict]) -> None:
    own = m.workload.app
    seen: set[tuple[str, int]] = set()
    for _, ident in m.identities:
        if ident.uid is not None and ident.uid != 0 and ("uid", ident.uid) not in seen:
            seen.add(("uid", ident.uid))
            holders = idx.get((m.fs_id, "uid", ident.uid))
            others = _others(holders, own)
            if others:
                row = _entry(
                    m,
                    others[0],
                    f"files owned by uid {ident.uid}",
                    f"shares uid {ident.uid} (identity collision)",
                    "identity",
                    len(others) - 1,
                    rule="§1.2, edges 19, 31, 32",
                )
                row["path"] = _identity_path(m, "uid", ident.uid, holders[others[0]])
                reached.append(row)
        for gid in sorted(set(ident.groups) | ({ident.gid} if ident.gid else set())):
            if ("gid", gid) in seen:
                continue
            seen.add(("gid", gid))
            holders = idx.get((m.fs_id, "gid", gid))
            others = _others(holders, own)
            if others:
                row = _entry(
                    m,
                    others[0],
                    f"directories group-owned by gid {gid}",
                    f"holds gid {gid}, the group owner of another application's directory",
                    "identity",
                    len(others) - 1,
                    rule="edges 20, 34",
                )
                row["path"] = _identity_path(m, "gid", gid, holders[others[0]])
                reached.append(row)


def _others(holders: dict[str, str] | None, own: str) -> list[str]:
    """The applications holding an identity besides ``own``, sorted."""
    if not holders or (len(holders) == 1 and own in holders):
        return []
    return sorted(app for app in holders if app != own)


def _storage_class_sharing(a: Analysis) -> dict[tuple[str, str], list[dict]]:
    """Edges 30 and 31: dynamic provisioning settings that make PVCs of different applications share
    an access point or a directory."""
    out: dict[tuple[str, str], list[dict]] = defaultdict(list)
    by_volume: dict[tuple[str, str], list[Mount]] = defaultdict(list)
    for m in a.mounts:
        if m.workload.platform == "k8s":
            by_volume[(m.workload.id, m.volume)].append(m)
    for cluster in a.snapshot.clusters:
        by_claim: dict[tuple[str, str], list[Mount]] = defaultdict(list)  # (namespace, PVC name)
        for wl in cluster.workloads or []:
            wid = k8s_id(cluster.name, wl.namespace, wl.kind, wl.name)
            for vol in wl.template.volumes:
                if vol.claim_name:
                    by_claim[(wl.namespace, vol.claim_name)].extend(by_volume.get((wid, vol.name), []))
        scs = {s.name: s for s in cluster.storage_classes or [] if s.provisioner == EFS_CSI_DRIVER}
        # (StorageClass, edge, PVC name for edge 30 or the shared directory for edge 31) -> PVCs
        groups: dict[tuple[str, int, str], list] = defaultdict(list)
        for pvc in cluster.persistent_volume_claims or []:
            sc = scs.get(pvc.storage_class_name or "")
            if sc is None:
                continue
            params = sc.parameters or {}
            if params.get("reuseAccessPoint", "").lower() == "true":
                groups[(sc.name, 30, pvc.name)].append(pvc)
            if params.get("ensureUniqueDirectory", "true").lower() == "false":
                pattern = params.get("subPathPattern", "${.PV.name}")
                if "${.PV.name}" not in pattern:
                    directory = (
                        params.get("basePath", "").rstrip("/")
                        + "/"
                        + pattern.replace("${.PVC.namespace}", pvc.namespace)
                        .replace("${.PVC.name}", pvc.name)
                        .lstrip("/")
                    )
                    groups[(sc.name, 31, directory)].append(pvc)
        for (sc_name, edge, shared), pvcs in groups.items():
            if edge == 30:
                how = f"access point reused for every PVC named {shared} (edge 30)"
            else:
                how = f"directory {shared} shared by design (edge 31)"
            mounts = [m for pvc in pvcs for m in by_claim.get((pvc.namespace, pvc.name), [])]
            apps = sorted({m.workload.app for m in mounts})
            for m in mounts:
                others = [x for x in apps if x != m.workload.app]
                if others:
                    out[(m.workload.id, m.volume)].append(
                        _entry(
                            m,
                            others[0],
                            shared if edge == 31 else m.base_path,
                            f"StorageClass {sc_name}: {how}",
                            "configured",
                            len(others) - 1,
                            path=m.path[:2] + [k8s_id(cluster.name, None, "StorageClass", sc_name)],
                        )
                    )
    return out


def _csi_drivers(a: Analysis) -> Iterator[Finding]:
    """§6.5, §6.7: the EFS CSI node identity mounts for every pod; what it may mount (and whoever can
    create a PersistentVolume naming any path or access point then reaches) is its own finding."""
    mounts_by_cluster: dict[str, list[Mount]] = defaultdict(list)
    for m in a.mounts:
        if m.workload.platform == "k8s" and not _is_nfs(m):
            mounts_by_cluster[m.workload.scope].append(m)
    r = reach(a)
    for cluster in a.snapshot.clusters:
        rid, principals, note = csi_node(cluster)
        if rid is None:
            continue
        scope = k8s_scope(cluster.name)
        carried = mounts_by_cluster.get(scope, [])
        fs_ids = sorted(csi_file_systems(cluster))
        ev = {
            "principals": list(principals),
            "identity_source": note,
            "file_systems_evaluated": fs_ids,
            "workloads": sorted({m.workload.id for m in carried}),
            "mounts": [mount_ref(m) for m in carried],
            "why_it_matters": "every pod's EFS volume is mounted by this identity; whoever can create a "
            "PersistentVolume chooses the path or access point it mounts (§6.5, §6.7)",
        }
        on = Subject(CID, rid, "KubernetesEfsCsiDriver", scope)
        if not principals:
            yield on(NOT_ASSESSED, note, path=[rid], reason=[note], **ev)
            continue
        reached: list[dict] = []
        unknown: list[str] = []
        for p in principals:
            for fs_id in fs_ids:
                fs = a.idx.fs_by_id.get(fs_id)
                if fs is None:
                    unknown.append(f"file system {fs_id} is not in the snapshot")
                    continue
                _driver_reach(a, r, rid, p, fs, reached, unknown)
        if reached:
            first = reached[0]
            yield on(
                FAIL,
                f"{first['principal']} {first['how']} on {first['file_system']}: reaches "
                f"{first['other_application']}'s {first['directory']}",
                path=first["path"],
                reached=reached[:LIMIT],
                reached_total=len(reached),
                rule="§6.5, §6.7, §2.4",
                **ev,
            )
        elif unknown:
            yield on(NOT_ASSESSED, "could not evaluate", path=[rid], reason=sorted(set(unknown)), **ev)
        else:
            yield on(
                PASS,
                "the CSI node identity cannot mount a file system of several applications without an access point",
                path=[rid],
                **ev,
            )


def _is_nfs(m: Mount) -> bool:
    return m.principal_note.startswith("anonymous: plain NFS")


def _driver_reach(a: Analysis, r, rid: str, p: str, fs, reached: list[dict], unknown: list[str]) -> None:
    pr = a.possible_reach(p, fs)
    ok = pr.without_access_point.can_mount(a.params)
    if ok is None:
        unknown.extend(pr.without_access_point.missing)
    dirs = a.app_dirs.get(fs.file_system_id, {})
    ordered = a.apps_on_fs.get(fs.file_system_id, [])
    if ok and len(ordered) > 1:
        r.possible(p, fs)
        reached.append(
            {
                "principal": p,
                "file_system": fs.file_system_id,
                "other_application": ordered[0],
                "other_applications": ordered[:5],
                "applications_total": len(ordered),
                "directory": dirs[ordered[0]],
                "how": "may mount without an access point (any directory, any uid)",
                "kind": "possible",
                "authorization": pr.without_access_point.evidence(),
                "path": [rid, p] + dir_chain(fs.file_system_id, "/", dirs[ordered[0]]),
            }
        )
        # Through access points it mounts what the pods' volumes name: that it may mount every
        # application's access point is how EKS works (§6.5); PV creation rights decide who picks.
