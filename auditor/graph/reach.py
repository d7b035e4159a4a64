"""Reach on the identity graph (semantics §0): which directory subtrees each workload and each
principal reaches, as which POSIX identity, squashed or not, writable or not, configured or only
possible, and the graph path that explains it.

    from auditor.graph.reach import reach
    r = reach(analysis)              # or reach(graph): the same object, computed once per run
    for row in r.of("arn:aws:iam::111122223333:role/app"):
        row.file_system, row.directory, row.uid, row.squashed, row.writable, row.kind, row.path

Subjects: workload ids (ARNs, ``k8s://`` ids) for configured reach (their volumes, §0 layers 2-6;
a pod reaches only what its volumes give it, §6.5, §6.7); principal ARNs, ``principal://anonymous``
and the EFS CSI node / controller ids for possible reach (what the principal's permissions let it
mount, without an access point or through each class of access points, §2.4, §6.5, edge 33).

Computing it adds the edges it found to the graph: ``may_mount`` from a principal to the file
system's root directory (no access point) or to an access point or ``apclass://`` node (a class of
access points the principal's policies cannot tell apart, auditor/analysis/authz.py), and
``includes`` from a class to one member of each application. Cost: one evaluation per (principal,
file system) and per class, as the analysis caches them; no loop over pairs of access points.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass

import networkx as nx

from auditor.analysis.authz import APClass
from auditor.graph.build import _dirs as directory_node
from auditor.graph.build import add, shared_for
from auditor.iam.queries import allowed_resources, glob_match, resource_matches, widen_variables
from auditor.model.aws import AccessPoint, FileSystem
from auditor.model.ids import dir_id

ANONYMOUS = "principal://anonymous"


@dataclass(frozen=True, kw_only=True)
class Reached:
    subject: str  # workload id, principal ARN, principal://anonymous or a CSI driver id
    file_system: str  # file system id
    directory: str  # root of the reachable subtree
    access_point: str | None  # access point id, or None (a mount without one: any directory)
    uid: int | None  # None: the client chooses (no access point PosixUser) or not known
    gid: int | None
    groups: tuple[int, ...]
    squashed: bool | None  # root squashed (None: cannot be assessed)
    writable: bool | None
    kind: str  # "configured" or "possible"
    path: tuple[str, ...]
    principal: str | None = None  # for configured rows: the mount's principal (None = anonymous)


_new = object.__new__


def row(
    subject: str,
    file_system: str,
    directory: str,
    access_point: str | None,
    uid: int | None,
    gid: int | None,
    groups: tuple[int, ...],
    squashed: bool | None,
    writable: bool | None,
    kind: str,
    path: tuple[str, ...],
    principal: str | None = None,
) -> Reached:
    """``Reached(...)``: the same (equal) object with its fields in the same order, filled in one dict update
    instead of the frozen dataclass's one ``object.__setattr__`` per field (a seventh of the cost; reach
    makes one per configured mount and identity and per principal, file system and class)."""
    r = _new(Reached)
    r.__dict__.update(
        subject=subject,
        file_system=file_system,
        directory=directory,
        access_point=access_point,
        uid=uid,
        gid=gid,
        groups=groups,
        squashed=squashed,
        writable=writable,
        kind=kind,
        path=path,
        principal=principal,
    )
    return r


def class_node(cls: APClass) -> str:
    """The node of an access point class: the access point itself when the class holds one literal."""
    if cls.key[0] == "literal":
        return cls.rep.arn
    (fs_id, wildcards), sig = cls.key
    digest = hashlib.sha1(repr((sorted(wildcards), sig)).encode()).hexdigest()[:12]
    return f"apclass://{fs_id}/{digest}"


def principal_node(principal: str | None) -> str:
    return principal or ANONYMOUS


class Reach:
    """Reach rows by subject. ``possible(principal, fs)`` answers for any pair, computing (and adding
    to the graph) on first use; everything the checks report is computed by ``compute``."""

    def __init__(self, analysis, graph: nx.MultiDiGraph) -> None:
        # weak references: the analysis holds the graph and the graph holds this object, and a
        # run must leave no reference cycles (the pipeline pauses the cyclic collector)
        self._a = weakref.proxy(analysis)
        self._g = weakref.proxy(graph) if graph is not None else None  # None: rows only (the pipeline)
        self.by_subject: dict[str, list[Reached]] = {}
        self._pairs: dict[tuple[str | None, str], list[Reached]] = {}
        self._classes: set[tuple] = set()
        # who may mount what, for the latent checks: file system id -> principals mounting without an
        # access point; access point ARN -> principals naming it; class key -> (principal, class);
        # file system id -> the wildcard sets its classes were cut by, with their patterns
        self._open: dict[str, list[str]] = {}
        self._literal: dict[str, list[str]] = {}
        self._by_class: dict[tuple, list[tuple[str, APClass]]] = {}
        self._cuts: dict[str, dict[tuple, list[str]]] = {}
        self._may_mount: dict[tuple, dict] = {}  # may_mount attributes by (mount, write, root)

    def of(self, subject: str) -> list[Reached]:
        return self.by_subject.get(subject, [])

    # --- configured: a workload's volumes --------------------------------------------------------------

    def configured(self) -> None:
        a = self._a
        for m in a.mounts:
            if m.fs is None:
                continue
            conn = a.connection(m)
            if conn.can("mount", a.params) is False:
                continue
            write = conn.can("write", a.params)
            gid0 = a.params.gid0_is_root
            root = conn.can("root", a.params) if any(i.may_be_root(gid0) for _, i in m.identities) else None
            last = m.ap.arn if m.ap is not None else dir_id(m.fs_id, m.base_path)
            path = tuple(m.path) + ((last,) if last not in m.path else ())
            writable = False if m.read_only else write
            principal = conn.principals[0] if conn.principals else None
            for _, ident in m.identities or [(None, None)]:
                rooty = ident is not None and ident.may_be_root(a.params.gid0_is_root)
                self._add(
                    row(
                        subject=m.workload.id,
                        file_system=m.fs_id,
                        directory=m.base_path,
                        access_point=m.ap_id,
                        uid=ident.uid if ident else None,
                        gid=ident.gid if ident else None,
                        groups=tuple(ident.groups) if ident else (),
                        squashed=(None if root is None else not root) if rooty else False,
                        writable=writable,
                        kind="configured",
                        path=path,
                        principal=principal,
                    )
                )

    # --- possible: what a principal's permissions let it mount -----------------------------------------

    def possible(self, principal: str | None, fs: FileSystem) -> list[Reached]:
        key = (principal, fs.arn)
        if key in self._pairs:
            return self._pairs[key]
        a, p = self._a, self._a.params
        rows: list[Reached] = []
        node = principal_node(principal)
        pr = a.possible_reach(principal, fs)
        g = pr.without_access_point
        if g.can_mount(p):
            root = (
                directory_node(self._g, fs.arn, fs.file_system_id, "/")
                if self._g is not None
                else dir_id(fs.file_system_id, "/")
            )
            self._edge(node, root, g, None)
            self._open.setdefault(fs.file_system_id, []).append(node)
            rows.append(
                row(
                    subject=node,
                    file_system=fs.file_system_id,
                    directory="/",
                    access_point=None,
                    uid=None,
                    gid=None,
                    groups=(),
                    squashed=_not(g.can_root(p)),
                    writable=g.can_write(p),
                    kind="possible",
                    path=(node, root),
                )
            )
        for cls, cg in pr.through:
            if not cg.can_mount(p):
                continue
            target = class_node(cls)
            self._edge(node, target, cg, cls)
            if cls.key[0] == "literal":
                self._literal.setdefault(cls.rep.arn, []).append(node)
            else:
                self._by_class.setdefault(cls.key, []).append((node, cls))
                cuts = self._cuts.setdefault(fs.file_system_id, {})
                if cls.key[0] not in cuts:
                    cuts[cls.key[0]] = [widen_variables(w) for w in sorted(cls.key[0][1])]
            ap = cls.rep
            posix = ap.posix_user
            rooty = posix is None or 0 in (posix.uid, posix.gid)
            path = (
                (node, target)
                + ((ap.arn,) if target != ap.arn else ())
                + (dir_id(fs.file_system_id, ap.path),)
            )
            rows.append(
                row(
                    subject=node,
                    file_system=fs.file_system_id,
                    directory=ap.path,
                    access_point=ap.access_point_id,
                    uid=posix.uid if posix else None,
                    gid=posix.gid if posix else None,
                    groups=tuple(posix.secondary_gids) if posix else (),
                    squashed=_not(cg.can_root(p)) if rooty else False,
                    writable=cg.can_write(p),
                    kind="possible",
                    path=path,
                )
            )
        self._pairs[key] = rows
        self.by_subject.setdefault(node, []).extend(rows)
        return rows

    # --- who may mount what (answered from the possible reach computed so far) --------------------------

    def open_to(self, fs_id: str) -> list[str]:
        """Principals that may mount the file system without an access point (any directory, any uid)."""
        return self._open.get(fs_id, [])

    def may_mount(self, ap: AccessPoint, principals: set[str] | None = None) -> list[tuple[str, list[str]]]:
        """(principal, graph path principal -> access point) for the evaluated principals (or those in
        ``principals``) that may mount ``ap``. Cost: one signature per wildcard set of its file system."""
        out = []
        for node in self._literal.get(ap.arn, []):
            if principals is None or node in principals:
                out.append((node, [node, ap.arn]))
        for part, pats in self._cuts.get(ap.file_system_id, {}).items():
            key = (part, tuple(glob_match(p, ap.arn) for p in pats))
            for node, cls in self._by_class.get(key, []):
                if ap.arn not in cls.excluded and (principals is None or node in principals):
                    cnode = self.include(cls, ap)
                    out.append((node, [node, cnode] + ([ap.arn] if cnode != ap.arn else [])))
        return out

    def app_member(self, cls: APClass, app: str) -> AccessPoint | None:
        """The class's first access point of ``app`` that the principal reaches through the class."""
        first = self._a.class_first_ap(cls).get(app)
        if first is not None and first.arn in cls.excluded:  # named on its own for this principal: rare
            first = next(
                (
                    ap
                    for ap in cls.members
                    if ap.arn not in cls.excluded and app in self._a.apps_by_ap.get(ap.access_point_id, ())
                ),
                None,
            )
            if first is not None and class_node(cls) != first.arn and self._g is not None:
                add(self._g, class_node(cls), first.arn, self._includes())
        return first

    def include(self, cls: APClass, ap: AccessPoint) -> str:
        """The class's node, with an ``includes`` edge to ``ap`` (a member) when the class is not ``ap`` itself."""
        node = class_node(cls)
        if node != ap.arn and self._g is not None:
            add(self._g, node, ap.arn, self._includes())
        return node

    def _edge(self, node: str, target: str, grant, cls: APClass | None) -> None:
        if self._g is None:
            return
        values = (grant.mount.value, grant.write.value, grant.root.value)
        data = self._may_mount.get(values)
        if data is None:  # the graph's one dict of these attributes (build.shared_for), looked up once
            data = self._may_mount[values] = shared_for(
                self._g,
                kind="may_mount",
                rule="§2.4, §2.5 (IAM evaluation)",
                field="file system policy and identity policies",
                mount=values[0],
                write=values[1],
                root=values[2],
                possible=True,
            )
        add(self._g, node, target, data)
        if cls is not None and cls.key not in self._classes:
            self._classes.add(cls.key)
            if target != cls.rep.arn:
                g = self._g
                g.add_node(
                    target,
                    kind="access_point_class",
                    file_system=cls.rep.file_system_id,
                    members=len(cls.members),
                    rule="access points the policies cannot tell apart",
                )
                for arn in dict.fromkeys(
                    [cls.rep.arn, *(ap.arn for ap in self._a.class_first_ap(cls).values())]
                ):
                    add(g, target, arn, self._includes())

    def _includes(self) -> dict:
        """The attribute dict of ``includes`` edges (class -> member)."""
        return shared_for(self._g, kind="includes", field="elasticfilesystem:AccessPointArn conditions")

    def _add(self, row: Reached) -> None:
        self.by_subject.setdefault(row.subject, []).append(row)

    def compute(self) -> Reach:
        """Configured reach of every workload, possible reach of every principal that mounts (and of
        the anonymous client) on the file systems it mounts, of the EFS CSI identities on their
        cluster's file systems, of every role whose identity policy grants ClientRootAccess, and of the
        anonymous client on every file system."""
        self.configured()
        for principal, fs in possible_pairs(self._a):
            self.possible(principal, fs)
        return self


def possible_pairs(a) -> list[tuple[str | None, FileSystem]]:
    """(principal, file system) pairs whose possible reach is evaluated, in a stable order: every
    principal of a non-Kubernetes mount and the anonymous client on that mount's file system (a
    pod cannot choose its mount, §6.5), the CSI identities on their cluster's file systems, the roles
    whose identity policies grant ClientRootAccess on a file system of their account (§2.5), and the
    anonymous client on every file system (any host on the network may try, §2.3)."""
    from auditor.graph.build import csi_controller, csi_node

    pairs: dict[tuple[str | None, str], FileSystem] = {}
    for m in a.mounts:
        if m.fs is None:
            continue
        if m.workload.platform != "k8s":
            for p in [*(m.principal_arns if m.iam else ()), None]:
                pairs.setdefault((p, m.fs.arn), m.fs)
    for c in a.snapshot.clusters:
        for principals in (csi_node(c)[1], csi_controller(c)[1]):
            for fs_id in sorted(_fs_ids(c)):
                fs = a.idx.fs_by_id.get(fs_id)
                for p in principals if fs is not None else ():
                    pairs.setdefault((p, fs.arn), fs)
    for p, fs in root_capable(a):
        pairs.setdefault((p, fs.arn), fs)
    for fs in a.snapshot.file_systems:  # any client on the network may try an anonymous mount (§2.3)
        pairs.setdefault((None, fs.arn), fs)
    return [(p, fs) for (p, _), fs in pairs.items()]


def root_capable(a) -> list[tuple[str, FileSystem]]:
    """Roles whose identity policies allow ClientRootAccess on a file system of their account; found once
    per analysis (the graph's reach and the root squash check both ask)."""
    got = a.__dict__.get("root_capable")
    if got is None:
        got = a.__dict__["root_capable"] = _root_capable(a)
    return got


def _root_capable(a) -> list[tuple[str, FileSystem]]:
    by_account: dict[str, list[FileSystem]] = {}
    for fs in a.snapshot.file_systems:
        by_account.setdefault(fs.account_id, []).append(fs)
    out = []
    for role in a.snapshot.roles:
        docs, _ = a.idx.identity_policies(role)
        patterns = sorted({r for _, d in docs or [] for r in allowed_resources(d, "ClientRootAccess")})
        for fs in by_account.get(role.account_id, []) if patterns else ():
            if any(resource_matches(pat, fs.arn) for pat in patterns):
                out.append((role.arn, fs))
    return out


def _fs_ids(c) -> set[str]:
    from auditor.analysis.mounts import csi_file_systems

    return csi_file_systems(c)


def _not(value: bool | None) -> bool | None:
    return None if value is None else not value


def reach(graph_or_analysis) -> Reach:
    """The reach of a run: from an Analysis (computed once, with its graph) or from a graph built by
    the analysis (``graph.graph["reach"]``)."""
    if isinstance(graph_or_analysis, nx.Graph):
        return graph_or_analysis.graph["reach"]
    got = graph_or_analysis.__dict__.get("reach")
    if got is not None:
        return got
    return graph_of(graph_or_analysis).graph["reach"]


def graph_of(analysis):
    """The analysis's graph, built and its reach computed on first use; kept on the analysis as
    ``analysis.graph`` / ``analysis.reach`` until auditor.graph.drop."""
    g = analysis.__dict__.get("graph")
    if g is None:
        from auditor.graph.build import build

        g = build(analysis)
        analysis.__dict__["graph"] = g
        r = Reach(analysis, g)
        analysis.__dict__["reach"] = r
        g.graph["reach"] = r
        r.compute()
    return g
