"""`who-can` and `reach`: who reaches which directory, as whom, through what, and the graph path that says why.

A row (``Reach``) is one principal (with the workload that carries it, for configured mounts) reaching one
directory subtree of one file system. Two sources, as in semantics §0:

* configured: every mount of a task definition, function or pod, with the decisions of its connection
  (layer 4) for each principal the mount authenticates as (§4.1, §5, §6.5: pods mount as the CSI node's
  identity), the POSIX identity of layer 5 (§1.4: an access point's PosixUser replaces the client's), and
  the subtree of layer 6 (access point root + subpath, or the path a client without one chose);
* possible: what a principal could mount with the permissions it has (`Analysis.possible_reach`): without an
  access point (any directory, a client-chosen identity, §1.2) or through each access point it may use.

Directory rule: a row reaches ``PATH`` when its subtree is ``PATH`` or an ancestor of it ("all"), or lies
below ``PATH`` ("part": it reaches some of it). ``path`` lists node ids of the identity graph
(auditor.graph.build) in which consecutive nodes are joined by an edge in one direction or the other; a
possible row's first hop is a ``may_connect`` edge (see ``possible_edges``).

Cost: one pass over the mounts of the file systems asked about, and per principal one evaluation per
file system and access-point class (classes are shared between principals, never expanded per principal
except for the access points that match the directory).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from auditor.analysis.access import Analysis
from auditor.analysis.mounts import Mount
from auditor.graph.build import ANONYMOUS
from auditor.graph.scope import mounts_for, relevant_principal
from auditor.iam.prefilter import may_allow_client_action, named_principals, names_every_principal
from auditor.model.arn import Arn
from auditor.model.aws import AccessPoint, FileSystem, PolicyStatus
from auditor.model.gc_pause import gc_paused
from auditor.model.ids import clean_path, dir_id, is_within
from auditor.model.snapshot import InputError

CLIENT_CHOSEN = "client-chosen"
NO_ACCESS_POINT = "no access point"
CARRIED_LIMIT = 20


@dataclass(frozen=True, kw_only=True)
class Reach:
    file_system: str
    subtree: str
    principal: str  # role ARN or "anonymous"
    via: str  # access point id, or "no access point"
    identity: str  # "uid=1000 gid=1000 groups=5,6", "client-chosen", or the containers' identities
    kind: str  # configured | possible
    mount: bool | None
    write: bool | None
    root: bool | None  # may act as root: a root identity whose connection is not squashed
    squashed: bool | None  # root squashed on this connection (a root identity without ClientRootAccess)
    workload: str | None = None
    application: str | None = None
    path: tuple[str, ...] = ()
    reaches: str = "all"  # all | part (set by who-can)
    carried_by: tuple[str, ...] = ()  # possible rows: workloads that authenticate as the principal
    carried_by_total: int = 0
    notes: tuple[str, ...] = field(default=())

    def key(self) -> tuple:
        return (
            self.file_system,
            self.subtree,
            self.principal,
            self.workload or "",
            self.via,
            self.identity,
            self.kind,
        )

    def as_dict(self) -> dict:
        d = asdict(self)
        d["path"], d["carried_by"], d["notes"] = list(self.path), list(self.carried_by), list(self.notes)
        return d


def _who(p: str | None) -> str:
    return p or "anonymous"


def _node(p: str | None) -> str:
    return p or ANONYMOUS


def _enforced(ap: AccessPoint | None) -> str | None:
    if ap is None or ap.posix_user is None:
        return None
    pu = ap.posix_user
    groups = f" groups={','.join(str(g) for g in pu.secondary_gids)}" if pu.secondary_gids else ""
    return f"uid={pu.uid} gid={pu.gid}{groups}"


def _ap_is_root(ap: AccessPoint, gid0: bool) -> bool:
    pu = ap.posix_user
    return pu is not None and (pu.uid == 0 or (gid0 and pu.gid == 0))


def _root(may_be_root: bool, can_root: bool | None) -> tuple[bool | None, bool | None]:
    """(acts as root, squashed) for an identity that may be root and the ClientRootAccess answer (§1.3)."""
    if not may_be_root:
        return False, False
    if can_root is None:
        return None, None
    return can_root, not can_root


# --- configured mounts --------------------------------------------------------------------------------


def configured(a: Analysis, m: Mount) -> list[Reach]:
    if m.fs is None:
        return []
    conn, p = a.connection(m), a.params
    tail = [m.ap.arn] if m.ap is not None and m.path[-1] != m.ap.arn else []
    target = dir_id(m.fs_id or "", m.base_path)
    hops = list(m.path) + tail + [target]  # edges uses, through_access_point, exposes|subpath|direct_mount
    enforced = _enforced(m.ap)
    if enforced and m.ap is not None:
        identity, may_root = enforced, _ap_is_root(m.ap, p.gid0_is_root)
    else:
        parts = sorted({f"uid={i.evidence()['uid']} gid={i.evidence()['gid']}" for _, i in m.identities})
        identity = "; ".join(parts) or CLIENT_CHOSEN
        may_root = not m.identities or any(i.may_be_root(p.gid0_is_root) for _, i in m.identities)
    notes = tuple(m.invalid) + tuple(conn.not_assessed)
    rows = []
    for principal, grant in zip(conn.principals, conn.grants):
        mount = None if conn.not_assessed else grant.can_mount(p)
        if mount is False:
            continue
        write = False if m.read_only else (None if conn.not_assessed else grant.can_write(p))
        root, squashed = _root(may_root, None if conn.not_assessed else grant.can_root(p))
        rows.append(
            Reach(
                file_system=m.fs_id or "",
                subtree=m.base_path,
                principal=_who(principal),
                via=m.ap_id or NO_ACCESS_POINT,
                identity=identity,
                kind="configured",
                mount=mount,
                write=write,
                root=root,
                squashed=squashed,
                workload=m.workload.id,
                application=m.workload.app,
                path=tuple([_node(principal)] + hops),
                notes=notes,
            )
        )
    return rows


# --- possible reach -----------------------------------------------------------------------------------


def candidates(
    a: Analysis, fs: FileSystem, carried: dict[str | None, list[str]], relevant=None
) -> list[str | None]:
    """The principals worth evaluating on ``fs``: anonymous clients, every principal a workload carries
    (with ``relevant``, auditor.graph.scope: only those that may be granted a client action on ``fs`` or
    cannot be decided), roles the file system policy names, and roles whose own policies could allow a
    client action on it; every role when the policy is the default one or allows any principal (§2.2)."""
    out: dict[str | None, None] = {None: None}
    out.update((k, None) for k in sorted(x for x in carried if x and (relevant is None or relevant(x))))
    policy = fs.policy if fs.policy_status is PolicyStatus.PRESENT else None
    everyone = fs.policy_status is not PolicyStatus.PRESENT or names_every_principal(policy)
    named = named_principals(policy) if policy else set()
    managed = {mp.arn: mp.document for mp in a.snapshot.managed_policies}
    for role in a.snapshot.roles:
        if role.arn in out:
            continue
        if (
            everyone
            or role.arn in named
            or any(
                may_allow_client_action(d, fs.arn)
                for d in list((role.inline_policies or {}).values())
                + [managed.get(arn, {"Statement": []}) for arn in role.attached_policy_arns or []]
            )
        ):
            out[role.arn] = None
    return list(out)


def carriers(a: Analysis, mounts: list[Mount] | None = None) -> dict[str | None, list[str]]:
    """principal -> the workloads whose mounts authenticate as it (None: anonymous mounts)."""
    out: dict[str | None, list[str]] = {}
    for m in a.mounts if mounts is None else mounts:
        for p in (m.principal_arns if m.iam else ()) or (None,):
            lst = out.setdefault(p, [])
            if not lst or lst[-1] != m.workload.id:
                lst.append(m.workload.id)
    return out


def possible(
    a: Analysis,
    principal: str | None,
    fs: FileSystem,
    carried: list[str],
    wanted=None,
    app_of: dict[str, str] | None = None,
) -> list[Reach]:
    """What ``principal`` could mount on ``fs``; ``wanted(path)`` picks access points by root (default all);
    ``app_of``: workload id -> application, when the caller built only some mounts (default a.workloads)."""
    p = a.params
    reach = a.possible_reach(principal, fs)
    fs_id = fs.file_system_id
    who, node = _who(principal), _node(principal)
    by = tuple(sorted(carried)[:CARRIED_LIMIT])
    if app_of is None:
        apps = sorted({a.workloads[w][0].app for w in carried if w in a.workloads})
    else:
        apps = sorted({app_of[w] for w in carried if w in app_of})
    app = ", ".join(apps[:5]) + (f" and {len(apps) - 5} more" if len(apps) > 5 else "") if apps else None
    rows = []
    g = reach.without_access_point
    mount = g.can_mount(p)
    if mount is not False and (wanted is None or wanted("/")):
        root, squashed = _root(True, g.can_root(p))
        rows.append(
            Reach(
                file_system=fs_id,
                subtree="/",
                principal=who,
                via=NO_ACCESS_POINT,
                identity=CLIENT_CHOSEN,
                kind="possible",
                mount=mount,
                write=g.can_write(p),
                root=root,
                squashed=squashed,
                application=app,
                path=(node, fs.arn, dir_id(fs_id, "/")),
                carried_by=by,
                carried_by_total=len(carried),
                notes=tuple(g.missing),
            )
        )
    for cls, g in reach.through:
        mount = g.can_mount(p)
        if mount is False:
            continue
        write, can_root = g.can_write(p), g.can_root(p)
        for ap in cls.members:
            if ap.arn in cls.excluded or (wanted is not None and not wanted(ap.path)):
                continue
            enforced = _enforced(ap)
            root, squashed = _root(_ap_is_root(ap, p.gid0_is_root) if enforced else True, can_root)
            rows.append(
                Reach(
                    file_system=fs_id,
                    subtree=ap.path,
                    principal=who,
                    via=ap.access_point_id,
                    identity=enforced or CLIENT_CHOSEN,
                    kind="possible",
                    mount=mount,
                    write=write,
                    root=root,
                    squashed=squashed,
                    application=app,
                    path=(node, fs.arn, ap.arn, dir_id(fs_id, ap.path)),
                    carried_by=by,
                    carried_by_total=len(carried),
                    notes=tuple(g.missing),
                )
            )
    return rows


def possible_edges(a: Analysis, rows: list[Reach]) -> list[tuple[str, str, dict]]:
    """The ``may_connect`` edges (principal -> file system) behind possible rows, one per (principal, fs, via)."""
    seen, out = set(), []
    fs_arn = {fs.file_system_id: fs.arn for fs in a.snapshot.file_systems}
    for r in rows:
        if r.kind != "possible" or (r.principal, r.file_system, r.via) in seen:
            continue
        seen.add((r.principal, r.file_system, r.via))
        out.append(
            (
                r.path[0],
                fs_arn[r.file_system],
                {
                    "kind": "may_connect",
                    "field": "possible reach (IAM evaluation)",
                    "access_point": r.via,
                    "mount": _yn(r.mount),
                    "write": _yn(r.write),
                    "root": _yn(r.root),
                },
            )
        )
    return out


def _yn(v: bool | None) -> str:
    return "unknown" if v is None else "yes" if v else "no"


# --- the two questions --------------------------------------------------------------------------------


def parse_target(a: Analysis, text: str) -> tuple[FileSystem, str]:
    """``FS_ID[:PATH]`` (or a file system ARN) -> the file system and a clean absolute path."""
    ref, path = text, "/"
    if not text.startswith("arn:") and ":" in text:
        ref, _, path = text.partition(":")
    elif text.startswith("arn:") and text.count(":") > 5:  # the resource holds ":PATH"
        arn = Arn.maybe(text)
        if arn is not None:
            resource, _, path = arn.resource.partition(":")
            ref = str(replace(arn, resource=resource))
    fs = a.idx.file_system(ref)
    if fs is None:
        raise InputError(f"{ref}: no such file system in the snapshot")
    if not path.startswith("/") or any(part in (".", "..") for part in path.split("/")) or "\x00" in path:
        raise InputError(
            f"{text}: PATH must be an absolute directory path without . or .. (e.g. {ref}:/data)"
        )
    return fs, clean_path(path)


def who_can(a: Analysis, target: str, write: bool = False, root: bool = False) -> list[Reach]:
    with gc_paused():  # no reference cycles are built; the collector would re-scan the whole estate
        return _who_can(a, target, write, root)


def _who_can(a: Analysis, target: str, write: bool, root: bool) -> list[Reach]:
    fs, path = parse_target(a, target)

    def relation(subtree: str) -> str | None:
        if is_within(path, subtree):
            return "all"
        if is_within(subtree, path):
            return "part"
        return None

    rows: list[Reach] = []
    # Only the workloads that may touch fs or carry a principal that may reach it (auditor.graph.scope),
    # unless the caller has built every mount already.
    relevant = relevant_principal(a, fs)
    mounts = a.mounts if "mounts" in a.__dict__ else mounts_for(a, fs, relevant)
    for m in mounts:
        if m.fs is fs:
            rows.extend(r for r in configured(a, m) if relation(r.subtree))
    carried = carriers(a, mounts)
    app_of = {m.workload.id: m.workload.app for m in mounts}
    for principal in candidates(a, fs, carried, relevant):
        rows.extend(possible(a, principal, fs, carried.get(principal, []), wanted=relation, app_of=app_of))
    out = [_with(r, reaches=relation(r.subtree)) for r in rows]
    return _filter(out, write, root)


def reach(a: Analysis, target: str) -> list[Reach]:
    """Everything a principal (role ARN or ``anonymous``), a workload (id or name) or an application
    (``app://name`` or name) reaches, on every file system: its configured mounts and what the
    principals involved could mount."""
    with gc_paused():
        return _reach(a, target)


def _reach(a: Analysis, target: str) -> list[Reach]:
    kind, value = resolve(a, target)
    carried = carriers(a)
    rows: list[Reach] = []
    if kind == "principal":
        principals: list[str | None] = [None if value == "anonymous" else value]
        for m in a.mounts:
            rows.extend(r for r in configured(a, m) if r.principal == value)
    else:
        mounts = [m for m in a.mounts if (m.workload.id if kind == "workload" else m.workload.app) == value]
        principals = list(
            dict.fromkeys(p for m in mounts for p in ((m.principal_arns if m.iam else ()) or (None,)))
        )
        for m in mounts:
            rows.extend(configured(a, m))
    for principal in principals:
        for fs in sorted(a.snapshot.file_systems, key=lambda f: f.file_system_id):
            rows.extend(possible(a, principal, fs, carried.get(principal, [])))
    return sort(rows)


def resolve(a: Analysis, target: str) -> tuple[str, str]:
    """('principal'|'workload'|'application', id) for a reach target, or a one-line InputError."""
    roles = {r.arn for r in a.snapshot.roles}
    principals = {p for m in a.mounts for p in m.principal_arns}
    if target == "anonymous" or target in roles or target in principals:
        return "principal", target
    workloads = a.workloads
    if target in workloads:
        return "workload", target
    apps = {m.workload.app for m in a.mounts} | {x for s in a.apps_by_ap.values() for x in s}
    if target.startswith("app://") and target[6:] in apps:
        return "application", target[6:]
    named = sorted(w for w, (ref, _) in workloads.items() if ref.name == target)
    if len(named) == 1:
        return "workload", named[0]
    if target in apps:
        return "application", target
    if len(named) > 1:
        raise InputError(
            f"{target}: {len(named)} workloads have this name; give one of their ids ({named[0]}, ...)"
        )
    raise InputError(f"{target}: no such role, workload or application in the snapshot")


def _with(r: Reach, **changes) -> Reach:
    return Reach(**{**r.__dict__, **changes})


def _filter(rows: list[Reach], write: bool, root: bool) -> list[Reach]:
    """--write / --root keep rows that can (or may: unknown) write / act as root."""
    return sort(
        [r for r in rows if (not write or r.write is not False) and (not root or r.root is not False)]
    )


def sort(rows: list[Reach]) -> list[Reach]:
    unique = {r.key(): r for r in rows}
    return [unique[k] for k in sorted(unique)]
