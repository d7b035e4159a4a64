"""The identity graph (networkx MultiDiGraph), built from an analysed snapshot by pure functions.

Node ids: ARNs for AWS resources, ``k8s://cluster/namespace/kind/name`` for Kubernetes objects,
``efsdir://fs-id/path`` for directories, ``posix://uid/N`` and ``posix://gid/N``, ``app://name``,
``principal://anonymous``, ``apclass://fs-id/N`` for a class of access points one principal's policies
cannot tell apart (auditor/graph/reach.py). Every edge has a ``kind`` and the ``field`` (snapshot field)
or ``rule`` (semantics section) it came from. One builder per source of edges; BUILDERS is the explicit
list. The graph is never persisted: it is rebuilt in every run (auditor/pipeline.py).

Result paths: consecutive nodes of a FAIL ``path`` are joined by an edge, usually in the path's
direction. The exceptions, walked against the edge's direction, are the containment edges: a
directory's ``within`` edge points from child to parent, and ``enforces_*`` / ``owned_by_*`` edges
point from an access point to its POSIX identity, so "identity -> the other access point" is read
backwards (tests/test_graph_paths.py lists the kinds that may be walked backwards).
"""

from __future__ import annotations

import networkx as nx

from auditor.analysis.access import Analysis
from auditor.analysis.mounts import csi_file_systems, csi_node_principals
from auditor.model.gc_pause import gc_paused
from auditor.model.ids import app_id, clean_path, dir_id, k8s_id, mount_target_id

ANONYMOUS = "principal://anonymous"


# Attribute dicts shared by the edges of the graph being built (cleared after its build): by their sorted
# attributes, and by their attributes in the order given (no sorting)
_SHARED: dict[tuple, dict] = {}
_AS_GIVEN: dict[tuple, dict] = {}
# id(key dict) -> [key dict, ids of its attribute dicts, its length when they were taken] (cleared after a
# build): ``add`` asks it instead of scanning key dicts of 8 edges or more; a key dict grown elsewhere
# (its length differs) is read again
_HELD: dict[int, list] = {}
# id(attribute dict) -> the key dict {0: it} shared by every pair u -> v joined by that one edge alone (cleared
# after a build): a key dict per pair was a fifth of the graph's memory at 100k access points. ``add`` gives a
# pair its own key dict when a second edge joins it.
_ALONE: dict[int, dict] = {}
_BUILDING: list = [None]  # the adjacency (``_succ``) of the graph whose build is under way
# Edges added to a graph after its build (reach's ``may_mount`` / ``includes``, directories, tests) share
# their dicts through the same three caches kept on the graph object itself, so that they go with it:
# nothing an edge added after a build is held at module level once the graph is dropped.
_AFTER = "_edge_attrs"


def _caches(g: nx.MultiDiGraph) -> tuple[dict, dict, dict, dict]:
    """(by sorted attributes, by attributes as given, held key dicts, key dicts of lone edges) for edges of
    ``g``."""
    if g._succ is _BUILDING[0]:
        return _SHARED, _AS_GIVEN, _HELD, _ALONE
    held = g.__dict__.get(_AFTER)
    if held is None:
        held = g.__dict__[_AFTER] = ({}, {}, {}, {})
    return held


def _shared_in(caches: tuple[dict, dict, dict, dict], attrs: dict) -> dict:
    key = tuple(attrs.items())
    data = caches[1].get(key)
    if data is None:
        data = caches[1][key] = caches[0].setdefault(tuple(sorted(key)), attrs)
    return data


def shared(**attrs) -> dict:
    """The one attribute dict of the edges with these attributes in the graph being built (see ``edge``):
    builders that add many edges of one kind look it up once and add them with ``add``."""
    return _shared_in((_SHARED, _AS_GIVEN, _HELD, _ALONE), attrs)


def shared_for(g: nx.MultiDiGraph, **attrs) -> dict:
    """``shared`` for a graph built already (or being built): the dict ``edge(g, ...)`` would use."""
    return _shared_in(_caches(g), attrs)


def edge(g: nx.MultiDiGraph, u: str, v: str, **attrs) -> None:
    """Add the edge u -> v unless the same edge (same attributes) is there already. Edges with equal
    attributes share one attribute dict: the graph is read, never edited, once built (at 100k access
    points this halves its memory), and is written through networkx's own adjacency dicts in the
    layout MultiDiGraph.add_edge uses (one key dict shared by _succ[u][v] and _pred[v][u])."""
    add(g, u, v, _shared_in(_caches(g), attrs))


def add(g: nx.MultiDiGraph, u: str, v: str, data: dict) -> None:
    """``edge`` with its attribute dict from ``shared`` / ``shared_for``."""
    succ = g._succ
    out = succ.get(u)
    if out is None:
        out = succ[u] = {}
        g._pred[u] = {}
        g._node[u] = {}
    if v not in succ:
        succ[v], g._pred[v], g._node[v] = {}, {}, {}
    keydict = out.get(v)
    if keydict is None:
        alone = _caches(g)[3]
        keydict = alone.get(id(data))
        if keydict is None:
            keydict = alone[id(data)] = {0: data}  # holds ``data``: its id names no other dict meanwhile
        out[v] = g._pred[v][u] = keydict
        return
    if len(keydict) == 1:  # perhaps shared by other pairs: this pair gets its own before it grows
        if keydict[next(iter(keydict))] is data:
            return
        keydict = out[v] = g._pred[v][u] = dict(keydict)
    _append(g, keydict, data)


def _append(g: nx.MultiDiGraph, keydict: dict, data: dict) -> None:
    """Add ``data`` to the key dict of an edge u -> v that exists, unless it is there already."""
    if len(keydict) < 8:
        if any(d is data for d in keydict.values()):
            return
    else:  # many edges u -> v (one per access point mounted by one role): look the dict up, not scan
        held = _caches(g)[2]
        seen = held.get(id(keydict))
        if seen is None or seen[0] is not keydict or seen[2] != len(keydict):
            seen = held[id(keydict)] = [keydict, {id(d) for d in keydict.values()}, len(keydict)]
        if id(data) in seen[1]:
            return
        seen[1].add(id(data))
        seen[2] += 1
    k = len(keydict)
    while k in keydict:
        k += 1
    keydict[k] = data


def put(g: nx.MultiDiGraph, n: str, attrs: dict) -> None:
    """``g.add_node(n, **attrs)`` without networkx's per-call cache clearing (``build`` clears it once)."""
    data = g._node.get(n)
    if data is None:
        g._succ[n], g._pred[n] = {}, {}
        g._node[n] = attrs
    else:
        data.update(attrs)


def dir_chain(fs_id: str, top: str, bottom: str) -> list[str]:
    """Directory nodes from ``top`` down to ``bottom`` (``bottom`` within ``top``), both included."""
    top, bottom = clean_path(top), clean_path(bottom)
    rest = bottom[len(top) :].strip("/") if top != "/" else bottom.strip("/")
    out, cur = [dir_id(fs_id, top)], top
    for part in rest.split("/") if rest else []:
        cur = cur.rstrip("/") + "/" + part
        out.append(dir_id(fs_id, cur))
    return out


_CLEAN: dict[tuple[str, str], str] = {}  # (fs id, path) -> directory node id, during a build


def _dirs(g: nx.MultiDiGraph, fs_arn: str, fs_id: str, path: str) -> str:
    """Add the directory and its ancestors that occur, linked child -> parent."""
    node_id = _CLEAN.get((fs_id, path))
    if node_id is None:
        node_id = dir_id(fs_id, path)
        if g._succ is _BUILDING[0]:
            _CLEAN[(fs_id, path)] = node_id
    if node_id in g._succ:
        return node_id
    put(g, node_id, {"kind": "directory", "file_system": fs_id, "path": path})
    parent = "/" if path.count("/") <= 1 else path.rsplit("/", 1)[0]
    if path == "/":
        edge(g, node_id, fs_arn, kind="root_of", field="file system root")
    else:
        add(g, node_id, _dirs(g, fs_arn, fs_id, parent), shared_for(g, kind="within", field="path"))
    return node_id


def file_systems(g: nx.MultiDiGraph, a: Analysis) -> None:
    for fs in a.snapshot.file_systems:
        put(g, fs.arn, {"kind": "file_system", "id": fs.file_system_id, "policy": fs.policy_status.value})
        for mt in fs.mount_targets or []:
            node = mount_target_id(fs.arn, mt.mount_target_id)
            g.add_node(node, kind="mount_target")
            edge(g, node, fs.arn, kind="mount_target_of", field="FileSystemId")
            for sg in mt.security_group_ids or []:
                edge(g, node, f"sg:{sg}", kind="protected_by", field="SecurityGroups")


def roles(g: nx.MultiDiGraph, a: Analysis) -> None:
    for role in a.snapshot.roles:
        put(g, role.arn, {"kind": "role", "principal": True, "name": role.role_name})
        for arn in role.attached_policy_arns or []:
            edge(g, role.arn, arn, kind="attached_policy", field="AttachedManagedPolicies")


def access_points(g: nx.MultiDiGraph, a: Analysis) -> None:
    of = shared(kind="access_point_of", field="FileSystemId")
    exposes = shared(kind="exposes", field="RootDirectory.Path")
    uid = shared(kind="enforces_uid", field="PosixUser.Uid")
    gid = shared(kind="enforces_gid", field="PosixUser.Gid")
    group = shared(kind="enforces_group", field="PosixUser.SecondaryGids")
    owner = shared(kind="owned_by_gid", field="RootDirectory.CreationInfo.OwnerGid")
    belongs = shared(kind="belongs_to", field="tag or mounting workload")
    fs_by_id, apps_by_ap = a.idx.fs_by_id, a.apps_by_ap
    for ap in a.snapshot.access_points:
        fs = fs_by_id.get(ap.file_system_id)
        fs_arn = fs.arn if fs else f"efs:{ap.file_system_id}"
        arn = ap.arn
        put(g, arn, {"kind": "access_point", "id": ap.access_point_id})
        add(g, arn, fs_arn, of)
        add(g, arn, _dirs(g, fs_arn, ap.file_system_id, ap.path), exposes)
        user = ap.posix_user
        if user:
            add(g, arn, f"posix://uid/{user.uid}", uid)
            add(g, arn, f"posix://gid/{user.gid}", gid)
            for n in user.secondary_gids:
                add(g, arn, f"posix://gid/{n}", group)
        ci = ap.root_directory.creation_info if ap.root_directory else None
        if ci is not None:  # the group owner of the directory it creates (§10, edge 20)
            add(g, arn, f"posix://gid/{ci.owner_gid}", owner)
        for app in sorted(apps_by_ap.get(ap.access_point_id) or ()):
            add(g, arn, app_id(app), belongs)


def mounts(g: nx.MultiDiGraph, a: Analysis) -> None:
    part_of = shared(kind="part_of", field="tag, label or name")
    uses = shared(kind="uses", field="volume")
    subpath = shared(kind="subpath", field="subpath")
    anonymous_too = shared(kind="may_authenticate_as", rule="§2.3", field="any NFS client")
    # the shared attribute dicts of the edges below by their varying values, each looked up once
    through: dict[bool | None, dict] = {}
    direct: dict[bool | None, dict] = {}
    auth: dict[str, dict] = {}
    runs: dict[tuple, dict] = {}
    for m in a.mounts:
        w = m.workload
        put(g, w.id, {"kind": "workload", "platform": w.platform, "app": w.app})
        add(g, w.id, app_id(w.app), part_of)
        for src, dst in zip(m.path, m.path[1:]):
            add(g, src, dst, uses)
        last = m.path[-1]
        fs_arn = m.fs.arn if m.fs else f"efs:{m.fs_id}"
        if m.ap is not None:
            if last != m.ap.arn:
                data = through.get(m.tls)
                if data is None:
                    data = through[m.tls] = shared(
                        kind="through_access_point", field="access point", tls=m.tls
                    )
                add(g, last, m.ap.arn, data)
            if m.base_path != m.ap.path:
                add(g, m.ap.arn, _dirs(g, fs_arn, m.fs_id or "", m.base_path), subpath)
        elif m.fs_id:
            data = direct.get(m.tls)
            if data is None:
                data = direct[m.tls] = shared(kind="direct_mount", field="no access point", tls=m.tls)
            add(g, last, _dirs(g, fs_arn, m.fs_id, m.base_path), data)
        note = m.principal_note
        data = auth.get(note)
        if data is None:
            data = auth[note] = shared(kind="authenticates_as", field=note)
        for p in (m.principal_arns if m.iam else ()) or (ANONYMOUS,):
            add(g, w.id, p, data)
        if m.iam and w.platform != "k8s":
            # §2.3: the same client may leave out `iam` and connect anonymously (a pod cannot: §6.5)
            add(g, w.id, ANONYMOUS, anonymous_too)
        for container, ident in m.identities:
            if ident.enforced_by:
                continue
            for kind, ids in (
                ("runs_as_uid", () if ident.uid is None else (f"posix://uid/{ident.uid}",)),
                ("runs_as_gid", () if ident.gid is None else (f"posix://gid/{ident.gid}",)),
                ("runs_with_group", [f"posix://gid/{n}" for n in ident.groups]),
            ):
                if not ids:
                    continue
                key = (kind, ident.source, container)
                data = runs.get(key)
                if data is None:
                    data = runs[key] = shared(kind=kind, field=ident.source, container=container)
                for node in ids:
                    add(g, w.id, node, data)


def kubernetes(g: nx.MultiDiGraph, a: Analysis) -> None:
    # the attribute dicts of the per-object edges, each looked up on its first use (``shared``)
    provisioned = requests = runs_with = irsa = pod_identity = None
    for c in a.snapshot.clusters:
        for pv in c.persistent_volumes or []:
            if pv.storage_class_name:
                provisioned = provisioned or shared(kind="provisioned_by", field="spec.storageClassName")
                add(
                    g,
                    k8s_id(c.name, None, "PersistentVolume", pv.name),
                    k8s_id(c.name, None, "StorageClass", pv.storage_class_name),
                    provisioned,
                )
        for claim in c.persistent_volume_claims or []:
            if claim.storage_class_name:
                requests = requests or shared(kind="requests_class", field="spec.storageClassName")
                add(
                    g,
                    k8s_id(c.name, claim.namespace, "PersistentVolumeClaim", claim.name),
                    k8s_id(c.name, None, "StorageClass", claim.storage_class_name),
                    requests,
                )
        node_id, principals, note = csi_node(c)
        if node_id:
            g.add_node(node_id, kind="csi_node", cluster=c.name)
            for p in principals:
                edge(g, node_id, p, kind="mounts_as", field=note, rule="§6.5")
            for fs_id in sorted(csi_file_systems(c)):
                fs = a.idx.fs_by_id.get(fs_id)
                edge(
                    g,
                    node_id,
                    fs.arn if fs else f"efs:{fs_id}",
                    kind="mounts_for_pods",
                    field="volumeHandle / fileSystemId",
                )
        ctrl_id, ctrl_principals = csi_controller(c)
        if ctrl_id:
            g.add_node(ctrl_id, kind="csi_controller", cluster=c.name)
            for p in ctrl_principals:
                edge(g, ctrl_id, p, kind="mounts_as", field="controller service account", rule="edge 33")
        for wl in c.workloads or []:
            sa_name = wl.template.service_account_name or "default"
            runs_with = runs_with or shared(kind="runs_with", field="serviceAccountName")
            add(
                g,
                k8s_id(c.name, wl.namespace, wl.kind, wl.name),
                k8s_id(c.name, wl.namespace, "ServiceAccount", sa_name),
                runs_with,
            )
        for sa in c.service_accounts or []:
            if sa.irsa_role_arn:
                irsa = irsa or shared(kind="assumes", field="eks.amazonaws.com/role-arn")
                add(g, k8s_id(c.name, sa.namespace, "ServiceAccount", sa.name), sa.irsa_role_arn, irsa)
        for assoc in c.pod_identity_associations or []:
            pod_identity = pod_identity or shared(kind="assumes", field="pod identity association")
            add(
                g,
                k8s_id(c.name, assoc.namespace, "ServiceAccount", assoc.service_account),
                assoc.role_arn,
                pod_identity,
            )


def csi_node(c) -> tuple[str | None, tuple[str, ...], str]:
    """The EFS CSI node plugin's node id, its IAM principals and where they come from (§6.5)."""
    fs_ids = csi_file_systems(c)
    if not fs_ids and c.csi_node is None:
        return None, (), ""
    node = c.csi_node
    principals, note = csi_node_principals(c)
    return (
        k8s_id(
            c.name,
            node.namespace if node else "kube-system",
            "DaemonSet",
            node.name if node else "efs-csi-node",
        ),
        principals,
        note,
    )


def csi_controller(c) -> tuple[str | None, tuple[str, ...]]:
    """The controller's node id and principals, when it mounts file systems itself (edge 33)."""
    ctrl = c.csi_controller
    if ctrl is None or not ctrl.deletes_access_point_root_dir:
        return None, ()
    role = next(
        (
            s.irsa_role_arn
            for s in c.service_accounts or []
            if (s.namespace, s.name) == (ctrl.namespace, ctrl.service_account) and s.irsa_role_arn
        ),
        None,
    )
    role = next(
        (
            p.role_arn
            for p in c.pod_identity_associations or []
            if (p.namespace, p.service_account) == (ctrl.namespace, ctrl.service_account)
        ),
        role,
    )
    return k8s_id(c.name, ctrl.namespace, ctrl.kind, ctrl.name), (role,) if role else tuple(
        c.node_role_arns or ()
    )


def principals(g: nx.MultiDiGraph, a: Analysis) -> None:
    """Principal nodes for every identity an edge names (roles not in the snapshot included)."""
    g.add_node(ANONYMOUS, kind="anonymous", principal=True)
    for node in [n for n, data in g._node.items() if not data and ":iam::" in n]:
        g.add_node(node, kind="role", principal=True, collected=False)


def grants(g: nx.MultiDiGraph, a: Analysis) -> None:
    """role/anonymous -> file system edges for the configured connections, with the decisions.
    ClientRootAccess is evaluated only where the mount may act as root (else ``root`` is
    "not evaluated": it changes nothing for that mount), so the graph costs no evaluation the checks
    would not make."""
    gid0 = a.params.gid0_is_root
    attrs: dict[tuple, dict] = {}  # the shared attribute dict by its values (``shared``, looked up once)
    for m in a.mounts:
        if m.fs is None:
            continue
        conn = a.connection(m)
        rooty = any(i.may_be_root(gid0) for _, i in m.identities)
        for p, gr in zip(conn.principals, conn.grants):
            values = (
                gr.mount.value,
                gr.write.value,
                gr.root.value if rooty else "not evaluated",
                m.ap_id,
                m.tls,
            )
            data = attrs.get(values)
            if data is None:
                data = attrs[values] = shared(
                    kind="can_connect",
                    field="IAM evaluation",
                    mount=values[0],
                    write=values[1],
                    root=values[2],
                    access_point=values[3],
                    tls=values[4],
                )
            add(g, p or ANONYMOUS, m.fs.arn, data)


_KIND_BY_PREFIX = (
    ("posix://uid/", "posix_uid"),
    ("posix://gid/", "posix_gid"),
    ("app://", "application"),
    ("sg:", "security_group"),
    ("efs:", "file_system"),
    ("k8s://", "kubernetes"),
)


def untyped(g: nx.MultiDiGraph, a: Analysis) -> None:
    """Every node says what it is: nodes only named by an edge get their kind from their id. Such a node
    has no other attribute, so the nodes of one kind share one attribute dict (POSIX identities,
    applications, volumes, Kubernetes objects: at 100k access points 60 MB less); the graph is read, never
    edited, once built."""
    alike: dict[str, dict] = {}
    nodes = g._node
    for node, data in nodes.items():
        if "kind" not in data:
            kind = next((k for prefix, k in _KIND_BY_PREFIX if node.startswith(prefix)), None)
            if kind is None:
                kind = "policy" if ":policy/" in node else "volume" if "#volume/" in node else "resource"
            if data:
                data["kind"] = kind
            else:
                shared_data = alike.get(kind)
                if shared_data is None:
                    shared_data = alike[kind] = {"kind": kind}
                nodes[node] = shared_data


def same_ids(g: nx.MultiDiGraph, a: Analysis) -> None:
    """uid N -> gid N where an access point's secondary gid N is some uid: a user's personal group
    carries its uid (the convention §10, edge 20 relies on when a secondary gid equals another application's uid)."""
    for ap in a.snapshot.access_points:
        for n in ap.posix_user.secondary_gids if ap.posix_user else ():
            if f"posix://uid/{n}" in g:
                edge(
                    g,
                    f"posix://uid/{n}",
                    f"posix://gid/{n}",
                    kind="same_id",
                    rule="§10, edge 20",
                    field="uid and gid numbers",
                )


def network(g: nx.MultiDiGraph, a: Analysis) -> None:
    """Mount target -> subnet (``in_subnet``), and security group -> the sources its ingress rules admit
    (``admits``: ``net:CIDR``, ``sg:ID``, ``pl:ID``), each with the snapshot field it came from (§7)."""
    for fs in a.snapshot.file_systems:
        for mt in fs.mount_targets or []:
            if not mt.subnet_id:
                continue
            node = f"subnet:{mt.subnet_id}"
            sn = a.idx.subnet.get((fs.account_id, mt.subnet_id))
            g.add_node(
                node,
                kind="subnet",
                id=mt.subnet_id,
                collected=sn is not None,
                map_public_ip_on_launch=sn.map_public_ip_on_launch if sn else None,
                routes_to_internet_gateway=sn.routes_to_internet_gateway if sn else None,
                field="DescribeSubnets, DescribeRouteTables",
            )
            edge(g, mount_target_id(fs.arn, mt.mount_target_id), node, kind="in_subnet", field="SubnetId")
    for sg in a.snapshot.security_groups:
        node = f"sg:{sg.group_id}"
        g.add_node(node, kind="security_group", id=sg.group_id, collected=sg.ingress is not None)
        for rule in sg.ingress or []:
            ports = {"protocol": rule.protocol, "from_port": rule.from_port, "to_port": rule.to_port}
            for src in (
                [f"net:{c}" for c in rule.cidrs]
                + [f"sg:{x}" for x in rule.source_groups]
                + [f"pl:{x}" for x in rule.prefix_lists]
            ):
                edge(g, node, src, kind="admits", field="IpPermissions", **ports)


def file_system_facts(g: nx.MultiDiGraph, a: Analysis) -> None:
    """The file system's own settings on its node, each named by the snapshot field it came from; and
    principal -> file system ``named_in_policy`` edges for the AWS principals its policy names."""
    from auditor.iam.queries import named_principals

    for fs in a.snapshot.file_systems:
        g.nodes[fs.arn].update(
            encrypted=fs.encrypted,
            kms_key_id=fs.kms_key_id,
            backup_policy_status=fs.backup_policy_status,
            backup_protected=fs.backup_protected,
            fields="Encrypted, KmsKeyId, BackupPolicy.Status, AWS Backup protected resources",
        )
        if fs.policy is None:
            continue
        for effect in ("Allow", "Deny"):
            for p in sorted(named_principals(fs.policy, effect) - {"*"}):
                if p not in g:
                    g.add_node(p, kind="policy_principal", principal=True, collected=False)
                edge(g, p, fs.arn, kind="named_in_policy", effect=effect, field="FileSystemPolicy Principal")


BUILDERS = (
    file_systems,
    roles,
    access_points,
    mounts,
    kubernetes,
    grants,
    network,
    file_system_facts,
    principals,
    same_ids,
    untyped,
)


def build(a: Analysis) -> nx.MultiDiGraph:
    """The graph of the analysis. Built with the cyclic collector paused (auditor/model/gc_pause.py): the
    build allocates hundreds of thousands of dicts and no cycles, and the collector re-scanning the growing
    graph cost half the build at 10k access points."""
    g = nx.MultiDiGraph()
    _SHARED.clear()
    _AS_GIVEN.clear()
    _HELD.clear()
    _ALONE.clear()
    _BUILDING[0] = g._succ
    try:
        with gc_paused():
            for builder in BUILDERS:
                builder(g, a)
    finally:
        _BUILDING[0] = None
        _SHARED.clear()
        _AS_GIVEN.clear()
        _HELD.clear()
        _ALONE.clear()
        _CLEAN.clear()
    nx._clear_cache(g)
    return g


def release(g: nx.MultiDiGraph) -> None:
    """Drop networkx's cached views (they refer back to the graph): the pipeline runs with the
    cyclic garbage collector paused and must leave no reference cycles behind."""
    for name in [
        k for k, v in g.__dict__.items() if getattr(v, "_graph", None) is g or k in _VIEWS or k == _AFTER
    ]:
        g.__dict__.pop(name, None)


_VIEWS = {
    "nodes",
    "edges",
    "adj",
    "succ",
    "pred",
    "degree",
    "in_edges",
    "out_edges",
    "in_degree",
    "out_degree",
}
