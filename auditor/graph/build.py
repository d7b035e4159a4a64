"""The identity graph (networkx MultiDiGraph), built from an analysed snapshot by pure functions.

Node ids: ARNs for AWS resources, ``k8s://cluster/namespace/kind/name`` for Kubernetes objects,
``efsdir://fs-id/path`` for directories, ``posix://uid/N`` and ``posix://gid/N``, ``app://name``,
``principal://anonymous``. Every edge has a ``kind`` and the ``field`` it came from. One builder per
source of edges; BUILDERS is the explicit list. The graph is never persisted: it is rebuilt.
"""

from __future__ import annotations

import networkx as nx

from auditor.analysis.access import Analysis
from auditor.model.ids import app_id, dir_id, k8s_id, mount_target_id

ANONYMOUS = "principal://anonymous"


def _dirs(g: nx.MultiDiGraph, fs_arn: str, fs_id: str, path: str) -> str:
    """Add the directory and its ancestors that occur, linked child -> parent."""
    node = dir_id(fs_id, path)
    if node in g:
        return node
    g.add_node(node, kind="directory", file_system=fs_id, path=path)
    parent = "/" if path.count("/") <= 1 else path.rsplit("/", 1)[0]
    if path == "/":
        g.add_edge(node, fs_arn, kind="root_of", field="file system root")
    else:
        g.add_edge(node, _dirs(g, fs_arn, fs_id, parent), kind="within", field="path")
    return node


def file_systems(g: nx.MultiDiGraph, a: Analysis) -> None:
    for fs in a.snapshot.file_systems:
        g.add_node(fs.arn, kind="file_system", id=fs.file_system_id, policy=fs.policy_status.value)
        for mt in fs.mount_targets or []:
            node = mount_target_id(fs.arn, mt.mount_target_id)
            g.add_node(node, kind="mount_target")
            g.add_edge(node, fs.arn, kind="mount_target_of", field="FileSystemId")
            for sg in mt.security_group_ids or []:
                g.add_edge(node, f"sg:{sg}", kind="protected_by", field="SecurityGroups")


def roles(g: nx.MultiDiGraph, a: Analysis) -> None:
    for role in a.snapshot.roles:
        g.add_node(role.arn, kind="role", name=role.role_name)
        for arn in role.attached_policy_arns or []:
            g.add_edge(role.arn, arn, kind="attached_policy", field="AttachedManagedPolicies")


def access_points(g: nx.MultiDiGraph, a: Analysis) -> None:
    for ap in a.snapshot.access_points:
        fs = a.idx.fs_by_id.get(ap.file_system_id)
        fs_arn = fs.arn if fs else f"efs:{ap.file_system_id}"
        g.add_node(ap.arn, kind="access_point", id=ap.access_point_id)
        g.add_edge(ap.arn, fs_arn, kind="access_point_of", field="FileSystemId")
        g.add_edge(ap.arn, _dirs(g, fs_arn, ap.file_system_id, ap.path), kind="exposes", field="RootDirectory.Path")
        if ap.posix_user:
            g.add_edge(ap.arn, f"posix://uid/{ap.posix_user.uid}", kind="enforces_uid", field="PosixUser.Uid")
            g.add_edge(ap.arn, f"posix://gid/{ap.posix_user.gid}", kind="enforces_gid", field="PosixUser.Gid")
            for gid in ap.posix_user.secondary_gids:
                g.add_edge(ap.arn, f"posix://gid/{gid}", kind="enforces_group", field="PosixUser.SecondaryGids")
        for app in sorted(a.apps_by_ap.get(ap.access_point_id, ())):
            g.add_edge(ap.arn, app_id(app), kind="belongs_to", field="tag or mounting workload")


def mounts(g: nx.MultiDiGraph, a: Analysis) -> None:
    for m in a.mounts:
        w = m.workload
        g.add_node(w.id, kind="workload", platform=w.platform, app=w.app)
        g.add_edge(w.id, app_id(w.app), kind="part_of", field="tag, label or name")
        for src, dst in zip(m.path, m.path[1:]):
            g.add_edge(src, dst, kind="uses", field="volume")
        last = m.path[-1]
        fs_arn = m.fs.arn if m.fs else f"efs:{m.fs_id}"
        if m.ap is not None:
            if last != m.ap.arn:
                g.add_edge(last, m.ap.arn, kind="through_access_point", field="access point", tls=m.tls)
            if m.base_path != m.ap.path:
                g.add_edge(m.ap.arn, _dirs(g, fs_arn, m.fs_id or "", m.base_path), kind="subpath", field="subpath")
        elif m.fs_id:
            g.add_edge(last, _dirs(g, fs_arn, m.fs_id, m.base_path), kind="direct_mount", field="no access point",
                       tls=m.tls)
        for p in (m.principal_arns if m.iam else ()) or (ANONYMOUS,):
            g.add_edge(w.id, p, kind="authenticates_as", field=m.principal_note)
        for container, ident in m.identities:
            if ident.enforced_by:
                continue
            if ident.uid is not None:
                g.add_edge(w.id, f"posix://uid/{ident.uid}", kind="runs_as_uid", field=ident.source, container=container)
            if ident.gid is not None:
                g.add_edge(w.id, f"posix://gid/{ident.gid}", kind="runs_as_gid", field=ident.source, container=container)


def kubernetes(g: nx.MultiDiGraph, a: Analysis) -> None:
    for c in a.snapshot.clusters:
        for pv in c.persistent_volumes or []:
            if pv.storage_class_name:
                g.add_edge(k8s_id(c.name, None, "PersistentVolume", pv.name),
                           k8s_id(c.name, None, "StorageClass", pv.storage_class_name), kind="provisioned_by",
                           field="spec.storageClassName")
        for wl in c.workloads or []:
            sa = wl.template.service_account_name or "default"
            g.add_edge(k8s_id(c.name, wl.namespace, wl.kind, wl.name), k8s_id(c.name, wl.namespace, "ServiceAccount", sa),
                       kind="runs_with", field="serviceAccountName")
        for sa in c.service_accounts or []:
            if sa.irsa_role_arn:
                g.add_edge(k8s_id(c.name, sa.namespace, "ServiceAccount", sa.name), sa.irsa_role_arn,
                           kind="assumes", field="eks.amazonaws.com/role-arn")
        for assoc in c.pod_identity_associations or []:
            g.add_edge(k8s_id(c.name, assoc.namespace, "ServiceAccount", assoc.service_account), assoc.role_arn,
                       kind="assumes", field="pod identity association")


def grants(g: nx.MultiDiGraph, a: Analysis) -> None:
    """role/anonymous -> file system edges for the configured connections, with the decisions."""
    for m in a.mounts:
        if m.fs is None:
            continue
        conn = a.connection(m)
        for p, gr in zip(conn.principals, conn.grants):
            g.add_edge(p or ANONYMOUS, m.fs.arn, kind="can_connect", field="IAM evaluation",
                       mount=gr.mount.value, write=gr.write.value, root=gr.root.value,
                       access_point=m.ap_id, tls=m.tls)


BUILDERS = (file_systems, roles, access_points, mounts, kubernetes, grants)


def build(a: Analysis) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    for builder in BUILDERS:
        builder(g, a)
    return g
