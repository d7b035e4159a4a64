"""Effective access (semantics §0): for every configured mount, who connects, over what transport,
as which POSIX identity, with which rights, reaching which subtree; and per principal the possible
reach: what it could mount with the permissions it has even where nothing is configured that way."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from auditor.analysis.authz import APClass, Authz, Grant
from auditor.analysis.index import Index
from auditor.analysis.mounts import (
    Mount,
    WorkloadRef,
    app_name,
    cluster_volumes,
    csi_node_principals,
    ecs_mounts,
    k8s_mounts,
    lambda_mounts,
)
from auditor.model.aws import AccessPoint, FileSystem
from auditor.model.gc_pause import gc_paused
from auditor.model.snapshot import Snapshot
from auditor.params import Params


@dataclass
class Connection:
    """The configured connection of one mount, evaluated."""

    mount: Mount
    principals: list[str | None]  # role ARNs; [None] = anonymous
    grants: list[Grant]  # one per principal
    not_assessed: list[str] = field(default_factory=list)
    _shown: dict = field(default_factory=dict, repr=False, compare=False)  # what results show, built once

    def can(self, what: str, params: Params) -> bool | None:
        """Any principal of the mount can do it (several for node-role fallbacks)."""
        if self.not_assessed:
            return None
        ask = _CAN[what]
        answers = [ask(g, params) for g in self.grants]
        if True in answers:  # is-compared first: answers are True, False or None
            return True
        if None in answers:
            return None
        return False

    def principal_names(self) -> list[str]:
        """The principals as results name them (``anonymous`` for none); one list per connection,
        shared by the results that show it."""
        names = self._shown.get("principals")
        if names is None:
            names = self._shown["principals"] = [p or "anonymous" for p in self.principals]
        return names

    def grant_evidence(
        self, actions: tuple[str, ...] = ("ClientMount", "ClientWrite", "ClientRootAccess")
    ) -> list[dict]:
        """One row per principal; the list is shared by the results that show the same decisions."""
        shown = [g.evidence(actions) for g in self.grants]
        got = self._shown.get(actions)
        if got is not None and all(x is y for x, y in zip(got[0], shown)):
            return got[1]
        rows = [{"principal": p or "anonymous", **ev} for p, ev in zip(self.principals, shown)]
        self._shown[actions] = (shown, rows)
        return rows


_CAN = {"mount": Grant.can_mount, "write": Grant.can_write, "root": Grant.can_root}


@dataclass(frozen=True)
class PossibleReach:
    """What one principal could mount on one file system."""

    principal: str | None
    fs: FileSystem
    without_access_point: Grant
    through: list[tuple[APClass, Grant]]  # access point classes and their grant


class Analysis:
    def __init__(self, snapshot: Snapshot, params: Params | None = None) -> None:
        self.snapshot = snapshot
        self.params = params or Params()
        self.idx = Index(snapshot)
        self.authz = Authz(self.idx, self.params)
        self._reach: dict[tuple[str | None, str], PossibleReach] = {}
        self._group_apps: dict[tuple, tuple[dict[str, int], list[str]]] = {}
        self._group_root: dict[tuple, tuple[AccessPoint, ...]] = {}
        self._group_first: dict[tuple, dict[str, AccessPoint]] = {}
        # id(mount) -> (its connection, what its grants were missing then); the connection holds the
        # mount, so the id stays its own while the entry lives
        self._connections: dict[int, tuple[Connection, list[tuple[str, ...]]]] = {}

    # --- mounts -------------------------------------------------------------------------------------

    @cached_property
    def mounts(self) -> list[Mount]:
        out: list[Mount] = []
        services_by_td: dict[str, list] = defaultdict(list)
        for svc in self.snapshot.ecs_services:
            if svc.task_definition_arn:
                services_by_td[svc.task_definition_arn].append(svc)
        for td in self.snapshot.task_definitions:
            svcs = sorted(services_by_td.get(td.arn, []), key=lambda s: s.arn)
            tags = next((s.tags for s in svcs if s.tags), None)
            out.extend(ecs_mounts(td, self.idx, self.params, [s.name for s in svcs], tags or {}))
        for fn in self.snapshot.lambda_functions:
            out.extend(lambda_mounts(fn, self.idx, self.params))
        for cluster in self.snapshot.clusters:
            principals = csi_node_principals(cluster)
            volumes = cluster_volumes(cluster)
            for wl in cluster.workloads or []:
                out.extend(k8s_mounts(cluster, wl, self.idx, self.params, principals, volumes))
        return out

    @cached_property
    def workloads(self) -> dict[str, tuple[WorkloadRef, list[Mount]]]:
        by: dict[str, tuple[WorkloadRef, list[Mount]]] = {}
        for m in self.mounts:
            by.setdefault(m.workload.id, (m.workload, []))[1].append(m)
        return by

    @cached_property
    def apps_by_ap(self) -> dict[str, set[str]]:
        """§ applications: an access point belongs to its tagged app, else to the apps that mount it."""
        out: dict[str, set[str]] = defaultdict(set)
        for ap in self.snapshot.access_points:
            tagged = app_name(ap.tags, self.params)
            if tagged:
                out[ap.access_point_id].add(tagged)
        tagged_ids = set(out)
        for m in self.mounts:
            if m.ap_id and m.ap_id not in tagged_ids:
                out[m.ap_id].add(m.workload.app)
        return out

    def apps_at(self, fs_id: str, path: str) -> set[str]:
        apps: set[str] = set()
        apps_by_ap = self.apps_by_ap
        for ap in self.idx.paths_by_fs[fs_id].by_path.get(path, ()):
            got = apps_by_ap.get(ap.access_point_id)
            if got:
                apps |= got
        return apps

    # --- connections ----------------------------------------------------------------------------------

    def connection(self, m: Mount) -> Connection:
        """The mount's connection, evaluated once per authorization cache. It is built again only when
        what a grant is missing has changed since (a policy that failed to evaluate, or an identity gap
        that an indeterminate decision made relevant), so the answer is the one a fresh build gives."""
        got = self._connections.get(id(m))
        if got is not None:
            conn, seen = got
            if m.fs is None:
                return conn
            for g, was in zip(conn.grants, seen):
                if g.missing != was:
                    break
            else:
                return conn
        conn = self._connect(m)
        self._connections[id(m)] = (conn, [g.missing for g in conn.grants])
        return conn

    def _connect(self, m: Mount) -> Connection:
        principals: list[str | None] = list(m.principal_arns) if m.iam else [None]
        not_assessed = list(m.unresolved)
        if m.iam and not m.principal_arns:
            not_assessed.append(m.principal_note)
        if m.fs is None and not m.unresolved:
            not_assessed.append(f"file system {m.fs_id} is not in the snapshot")
        ap_arn = m.ap.arn if m.ap else None
        grants = [self.authz.grant(m.fs, p, m.tls, ap_arn) for p in principals]
        for g in grants if m.fs is not None else ():  # a missing file system is said once, above
            not_assessed.extend(g.missing)
        return Connection(m, principals, grants, list(dict.fromkeys(not_assessed)))

    def possible_reach(self, principal: str | None, fs: FileSystem) -> PossibleReach:
        key = (principal, fs.arn)
        if key not in self._reach:
            no_ap = self.authz.grant(fs, principal, True, None)
            through = [
                (cls, self.authz.grant(fs, principal, True, cls.rep.arn))
                for cls in self.authz.ap_classes(fs, principal)
            ]
            self._reach[key] = PossibleReach(principal, fs, no_ap, through)
        return self._reach[key]

    def release_authorization(self) -> None:
        """Drop the authorization caches; later questions are answered again (and cached anew)."""
        self.authz = Authz(self.idx, self.params)
        self._reach.clear()
        self._connections.clear()
        self._group_apps.clear()
        self._group_root.clear()
        self._group_first.clear()

    # --- access point classes: computed once per class, shared by every principal -----------------

    def class_apps(self, cls: APClass) -> tuple[dict[str, int], list[str]]:
        """How many access points of each application the class holds, and the apps sorted."""
        got = self._group_apps.get(cls.key)
        if got is None:
            counts: dict[str, int] = {}
            apps_by_ap = self.apps_by_ap
            for ap in cls.members:
                for app in apps_by_ap.get(ap.access_point_id, ()):
                    counts[app] = counts.get(app, 0) + 1
            got = self._group_apps[cls.key] = (counts, sorted(counts))
        return got

    def class_first_ap(self, cls: APClass) -> dict[str, AccessPoint]:
        """Each application's first member of the class (member order), computed once per class."""
        if cls.key not in self._group_first:
            first: dict[str, AccessPoint] = {}
            for ap in cls.members:
                for app in self.apps_by_ap.get(ap.access_point_id, ()):
                    first.setdefault(app, ap)
            self._group_first[cls.key] = first
        return self._group_first[cls.key]

    def other_apps(self, cls: APClass, own: str, limit: int = 5) -> tuple[int, list[str]]:
        """Applications other than ``own`` with a reachable access point in the class: count, examples."""
        if len(cls.members) == 1 and not cls.excluded:  # a literal class: its one access point's apps
            apps = self.apps_by_ap.get(cls.members[0].access_point_id, ())
            if not apps or (len(apps) == 1 and own in apps):
                return 0, []
            others = sorted(app for app in apps if app != own)
            return len(others), others[:limit]
        counts, ordered = self.class_apps(cls)
        dead: set[str] = set()
        if cls.excluded:
            gone: dict[str, int] = {}
            for arn in cls.excluded:
                for app in self.apps_by_ap.get(self.idx.ap_by_arn[arn].access_point_id, ()):
                    gone[app] = gone.get(app, 0) + 1
            dead = {app for app, n in gone.items() if counts.get(app, 0) <= n}
        total = len(counts) - len(dead) - (1 if own in counts and own not in dead else 0)
        examples: list[str] = []
        if total:
            for app in ordered:
                if len(examples) >= limit:
                    break
                if app != own and app not in dead:
                    examples.append(app)
        return total, examples

    def first_root_ap(self, cls: APClass) -> AccessPoint | None:
        """The first member (member order, literal ones excluded) that lets a client act as root: no
        PosixUser, or one enforcing uid or gid 0."""
        roots = self._group_root.get(cls.key)
        if roots is None:
            roots = self._group_root[cls.key] = tuple(
                ap
                for ap in cls.members
                if ap.posix_user is None or 0 in (ap.posix_user.uid, ap.posix_user.gid)
            )
        for ap in roots:
            if ap.arn not in cls.excluded:
                return ap
        return None

    @cached_property
    def apps_on_fs(self) -> dict[str, list[str]]:
        """Applications owning a directory (an access point root) on each file system, sorted."""
        return {fs: sorted(dirs) for fs, dirs in self.app_dirs.items()}

    @cached_property
    def app_dirs(self) -> dict[str, dict[str, str]]:
        """file system -> application -> the first (sorted) access point root it owns there."""
        out: dict[str, dict[str, str]] = defaultdict(dict)
        for ap in sorted(self.snapshot.access_points, key=lambda x: x.path):
            for app in self.apps_by_ap.get(ap.access_point_id, ()):
                out[ap.file_system_id].setdefault(app, ap.path)
        return out


def _squashed(enforced: bool, root_ok: bool | None, idents: list[dict]) -> bool | None:
    """A root identity without an enforced one is squashed when root access is denied; None when whether
    root access is granted is unknown (unknown is not false)."""
    if enforced or not any(i["may_be_root"] for i in idents):
        return False
    return None if root_ok is None else not root_ok


@gc_paused()  # many small objects, no cycles: the collector would re-scan the estate (auditor.model.gc_pause)
def effective_access(a: Analysis) -> list[dict]:
    """One row per configured mount (semantics §0): principal, transport, POSIX identity, rights,
    the reachable subtree and why; plus what each principal could mount beyond it (possible reach)."""
    rows = []
    for m in a.mounts:
        conn = a.connection(m)
        p = a.params
        enforced = m.ap is not None and m.ap.posix_user is not None
        idents = [
            {"container": c, **i.evidence(), "may_be_root": i.may_be_root(p.gid0_is_root)}
            for c, i in m.identities
        ]
        root_ok = conn.can("root", p)
        row = {
            "workload": m.workload.id,
            "name": m.workload.name,
            "application": m.workload.app,
            "volume": m.volume,
            "file_system": m.fs_id,
            "access_point": m.ap_id,
            "subtree": m.base_path
            if m.ap is not None
            else f"{m.base_path} (configured; without an access point any path)",
            "transport": "unknown" if m.tls is None else "TLS" if m.tls else "plaintext",
            "transport_why": m.tls_reason,
            "principal": [x or "anonymous" for x in conn.principals],
            "principal_why": m.principal_note,
            "identity": idents,
            "identity_enforced_by_access_point": enforced,
            "can_mount": conn.can("mount", p),
            "can_write": conn.can("write", p),
            "root_access_granted": root_ok,
            "squashed": _squashed(enforced, root_ok, idents),
            "kind": "configured",
            "not_assessed": conn.not_assessed,
            "authorization": conn.grant_evidence(),
        }
        if m.fs is not None and m.workload.platform == "k8s":
            # §6.5, §6.7: a pod cannot choose its mount; what the CSI node identity could mount is the
            # driver's finding (efs_cross_app_reach, efs_root_squash_gap on KubernetesEfsCsiDriver)
            row["possible_reach"] = []
            row["possible_reach_note"] = "a pod reaches only what its volumes give it (§6.5, §6.7)"
        elif m.fs is not None:
            possible = []
            for principal in dict.fromkeys(conn.principals + [None]):
                reach = a.possible_reach(principal, m.fs)
                if reach.without_access_point.can_mount(p):
                    possible.append(
                        {"principal": principal or "anonymous", "mounts": "any directory, no access point"}
                    )
                for cls, g in reach.through:
                    if g.can_mount(p) and cls.rep.access_point_id != m.ap_id:
                        possible.append(
                            {
                                "principal": principal or "anonymous",
                                "mounts": f"access point {cls.rep.access_point_id} ({cls.rep.path})"
                                + (f" and {cls.count() - 1} alike" if cls.count() > 1 else ""),
                            }
                        )
            row["possible_reach"] = possible
        rows.append(row)
    return rows
