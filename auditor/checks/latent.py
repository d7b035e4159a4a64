"""Latent cross-application exposure at the access point layer, with or without workloads.

efs_access_point_nested_root (§1.5, edge 18): an access point of one application whose root directory
equals or contains another application's directory (nested roots, a shared root, an access point at
``/`` on a file system several applications use).

efs_access_point_identity_collision (§1.2, §1.4, edges 19, 20): access points of different
applications that enforce the same uid, the same primary gid, or a secondary gid equal to another
application's uid or gid (or the group owner its CreationInfo gives its directory).

Both are FAIL: the exposure exists in the configuration even before a workload uses it. The evidence
says whether a reach path exists today (``reachable_now``) and names it (``reach_path``: a principal
that may mount without an access point, the access point itself mounted or mountable, or the other
application's access point mountable by a principal of this one); without one it says why not
(``not_reachable_because``). Applications come from tags (auditor/analysis/mounts.py ``app_name``)
or, for an untagged access point, from the workloads that mount it. Near-linear: access points are
grouped by directory and by identity per file system with dicts; nothing compares pairs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from operator import attrgetter
from typing import Any

from auditor.analysis.access import Analysis
from auditor.checks.base import FAIL, NOT_ASSESSED, PASS, Finding, Subject, scope_of
from auditor.graph import graph_of
from auditor.graph.build import dir_chain
from auditor.graph.links import walk
from auditor.graph.reach import reach
from auditor.model.aws import AccessPoint
from auditor.model.ids import dir_id
from auditor.model.scope import aws_scope, is_k8s_scope

NESTED, COLLISION = "efs_access_point_nested_root", "efs_access_point_identity_collision"
AP = "AwsEfsAccessPoint"
_NONE: frozenset[str] = frozenset()  # the applications of an access point that has none
KEEP = 6  # applications kept per directory subtree or identity: enough for 5 examples besides one's own
# Services whose data decides a PASS: access points and their tags (efs), and the workloads that give an
# untagged access point its application (ecs, lambda, k8s, eks). IAM only changes ``reachable_now``.
SERVICES = ("efs", "ecs", "lambda", "k8s", "eks")


def _merge(into: list[str], more) -> list[str]:
    """``into`` (sorted, distinct, at most KEEP: every list here is made by this function) and ``more``."""
    if not more or (len(into) >= KEEP and min(more) > into[-1]):
        return into  # nothing, or nothing that sorts among the first KEEP
    return sorted(set(into) | set(more))[:KEEP]


def _gaps(a: Analysis, ap: AccessPoint, cache: dict, scope: str | None = None) -> list[str]:
    """What could not be collected that a PASS for ``ap`` relies on: SERVICES in its account and region
    (or the account's global scope), and any Kubernetes cluster."""
    scope = scope or scope_of(ap)
    if scope not in cache:
        glob = aws_scope(ap.account_id)
        cache[scope] = sorted(
            {
                f"{svc} in {sc}"
                for (sc, svc) in a.idx.scope_issues
                if svc in SERVICES and (sc in (scope, glob) or is_k8s_scope(sc))
            }
        )
    return cache[scope]


def _pass(a: Analysis, cid: str, ap: AccessPoint, cache: dict, message: str, ev: dict[str, Any]) -> Finding:
    """PASS, or NOT_ASSESSED when data it relies on could not be collected."""
    scope = scope_of(ap)
    missing = _gaps(a, ap, cache, scope)
    on = Subject(cid, ap.arn, AP, scope)
    if missing:
        return on(
            NOT_ASSESSED,
            "could not evaluate",
            reason=[
                f"not collected: {m} (applications of untagged access points come from the workloads "
                f"that mount them)"
                for m in missing
            ],
            **ev,
        )
    return on(PASS, message, **ev)


def _mounted_by(a: Analysis) -> dict[str, list]:
    out: dict[str, list] = defaultdict(list)
    for m in a.mounts:
        if m.ap is not None:
            out[m.ap.arn].append(m)
    return out


def _mounted_or_mountable(a: Analysis, ap: AccessPoint, mounts: list) -> tuple[list[str] | None, str]:
    """A path by which someone reaches ``ap`` itself today: a workload mounting it (configured) or a
    principal that may mount it (possible)."""
    for m in mounts:
        conn = a.connection(m)
        if conn.can("mount", a.params):
            return m.path + ([ap.arn] if ap.arn not in m.path else []), f"{m.workload.id} mounts it"
    found = reach(a).may_mount(ap)
    if found:
        node, path = found[0]
        return path, f"{node} may mount it"
    return None, ""


def _reach_to(a: Analysis, ap: AccessPoint, mounts: list) -> tuple[list[str] | None, str]:
    """A path by which someone reaches ``ap`` today: a workload mounting it (configured), a principal
    that may mount it, or one that may mount its file system without an access point."""
    path, why = _mounted_or_mountable(a, ap, mounts)
    if path is not None:
        return path, why
    r = reach(a)
    opened = r.open_to(ap.file_system_id)
    if opened:
        return [opened[0]] + dir_chain(
            ap.file_system_id, "/", ap.path
        ), f"{opened[0]} may mount {ap.file_system_id} without an access point"
    return None, (
        "no workload mounts it and no evaluated principal (workload roles, the CSI driver identities, "
        "roles granted ClientRootAccess, anonymous clients) may mount it or the file system without an "
        "access point"
    )


# --- nested or shared roots --------------------------------------------------------------------


def nested_root(a: Analysis) -> Iterator[Finding]:
    mounted = _mounted_by(a)
    subtree, several = _subtree_apps(a)
    cache: dict = {}
    apps_by_ap = a.apps_by_ap
    for ap in a.snapshot.access_points:
        own = apps_by_ap.get(ap.access_point_id, _NONE)
        key = (ap.file_system_id, ap.path)
        # a root holding one application holds only its own (it is among them) when it has one
        inside = subtree.get(key, []) if key in several or not own else []
        others = [x for x in inside if x not in own]
        ev: dict[str, Any] = {"applications": sorted(own), "root_directory": key[1]}
        on = Subject(NESTED, ap.arn, AP, scope_of(ap))
        if not own and len(others) == 1:
            # an access point of no known application spans applications only when it holds two
            yield on(
                NOT_ASSESSED,
                "application unknown",
                reason=[
                    f"the access point belongs to no known application (no application tag and no "
                    f"workload mounts it): whether {others[0]}'s directory below it is another "
                    f"application's cannot be told"
                ],
                other_applications=others,
                **ev,
            )
            continue
        if not others:
            yield _pass(a, NESTED, ap, cache, "its root directory holds no other application's directory", ev)
            continue
        other = others[0]
        directory = a.app_dirs[ap.file_system_id][other]
        other_aps = [
            x.arn
            for x in a.idx.paths_by_fs[ap.file_system_id].by_path.get(directory, [])
            if other in a.apps_by_ap.get(x.access_point_id, ())
        ]
        how = "shares its root directory with" if directory == ap.path else "contains the directory of"
        path, why = _reach_to(a, ap, mounted.get(ap.arn, []))
        chain = [ap.arn] + dir_chain(ap.file_system_id, ap.path, directory)
        ev.update(
            mounted_by=sorted({m.workload.id for m in mounted.get(ap.arn, [])}),
            other_applications=others[:5],
            other_directory=directory,
            other_access_points=other_aps[:5],
            more_other_applications=len(inside) >= KEEP,
            rule="§1.5, edge 18",
        )
        if path is not None:
            ev.update(reachable_now=True, reach_path=path, reach=why)
            msg = f"{how} {other} ({directory}); reachable now: {why}"
            full = path + chain[1:] if path[-1] == ap.arn else path + chain
        else:
            ev.update(reachable_now=False, not_reachable_because=why)
            msg = f"latent: {how} {other} ({directory}); not reachable now"
            full = chain
        yield on(FAIL, msg, path=full, **ev)


def _subtree_apps(a: Analysis) -> tuple[dict[tuple[str, str], list[str]], set[tuple[str, str]]]:
    """(file system, access point root) -> up to KEEP applications owning a directory at or below it,
    and the roots holding more than one. One pass over the roots and their ancestors, deepest first."""
    keep: dict[tuple[str, str], list[str]] = {}
    several: set[tuple[str, str]] = set()
    for fs_id, dirs in a.app_dirs.items():
        del dirs
        index = a.idx.paths_by_fs.get(fs_id)
        if index is None:
            continue
        nodes: dict[str, list[str]] = {}
        for path in index.by_path:
            nodes[path] = _merge(nodes.get(path, []), a.apps_at(fs_id, path))
            cur = path
            while cur != "/":
                cur = cur.rsplit("/", 1)[0] or "/"
                nodes.setdefault(cur, [])
        for path in sorted(nodes, key=lambda p: -p.count("/") if p != "/" else 0):
            if path != "/":
                parent = path.rsplit("/", 1)[0] or "/"
                nodes[parent] = _merge(nodes[parent], nodes[path])
        for path in index.by_path:
            keep[(fs_id, path)] = held = nodes[path]
            if len(held) > 1:
                several.add((fs_id, path))
    return keep, several


# --- identity collisions -----------------------------------------------------------------------


def identity_collision(a: Analysis) -> Iterator[Finding]:
    mounted = _mounted_by(a)
    cache: dict = {}
    holders, shared_ids = _identity_holders(a)
    principals_of = _principals_by_app(a)
    r = reach(a)
    memo: dict = {}
    apps_by_ap = a.apps_by_ap
    for ap in a.snapshot.access_points:
        own = apps_by_ap.get(ap.access_point_id, _NONE)
        ev: dict[str, Any] = {"applications": sorted(own)}
        pu = ap.posix_user
        if pu is None:
            yield _pass(
                a, COLLISION, ap, cache, "enforces no identity (see efs_access_point_no_user_identity)", ev
            )
            continue
        fs_id = ap.file_system_id
        on = Subject(COLLISION, ap.arn, AP, scope_of(ap))
        if not own:
            shared = sorted(
                {
                    app
                    for key in ((fs_id, "uid", pu.uid), (fs_id, "gid", pu.gid))
                    for app, _ in holders.get(key, [])
                }
            )
            if shared:
                yield on(
                    NOT_ASSESSED,
                    "application unknown",
                    reason=[
                        f"the access point belongs to no known application (no application tag and no "
                        f"workload mounts it) and enforces the uid or gid of {shared[0]}: whether that "
                        f"is another application cannot be told"
                    ],
                    other_applications=shared[:5],
                    **ev,
                )
            else:
                yield _pass(
                    a, COLLISION, ap, cache, f"uid {pu.uid} and gid {pu.gid} are no application's", ev
                )
            continue
        found: list[dict[str, Any]] = []
        asked = [("uid", pu.uid, "uid"), ("gid", pu.gid, "gid")]
        if pu.secondary_gids:
            asked += [
                ("secondary gid", g, kind) for g in pu.secondary_gids for kind in ("uid", "gid", "owner gid")
            ]
        for k, (mine, n, theirs) in enumerate(asked):
            key = (fs_id, theirs, n)
            if k < 2 and key not in shared_ids:
                continue  # its own uid or gid: held by this access point's applications alone
            rows = holders.get(key)
            if not rows or (len(rows) == 1 and rows[0][0] in own):
                continue
            others = [(app, arn) for app, arn in rows if app not in own]
            if others:
                found.append(
                    {
                        "identity": mine,
                        "id": n,
                        "matches": theirs,
                        "other_application": others[0][0],
                        "other_access_point": others[0][1],
                        "other_applications": [x for x, _ in others[:5]],
                    }
                )
        if not found:
            yield _pass(
                a,
                COLLISION,
                ap,
                cache,
                f"uid {pu.uid}, gid {pu.gid} and its groups are not another application's",
                ev,
            )
            continue
        first = found[0]
        other_ap = a.idx.ap_by_arn[first["other_access_point"]]
        mine = f"posix://{'uid' if first['identity'] == 'uid' else 'gid'}/{first['id']}"
        theirs = f"posix://{'uid' if first['matches'] == 'uid' else 'gid'}/{first['id']}"
        path = [ap.arn, mine] + ([theirs] if theirs != mine else []) + [other_ap.arn]
        reach_path, via, why = _collision_reach(a, r, ap, other_ap, principals_of, own, mounted, memo)
        ev.update(
            collisions=found,
            collision_path=path,
            mounted_by=sorted({m.workload.id for m in mounted.get(ap.arn, [])}),
            rule="§1.2, §1.4, §10, edges 19, 20",
        )
        what = f"{first['identity']} {first['id']} is {first['other_application']}'s {first['matches']}"
        if reach_path is not None:
            ev.update(reachable_now=True, reach_path=reach_path, reach_via=via, reach=why)
            msg = f"{what}; reachable now: {why}"
            path = reach_path
        else:
            ev.update(reachable_now=False, not_reachable_because=why)
            msg = f"latent: {what}; not reachable now"
        yield on(FAIL, msg, path=path, **ev)


def _identity_holders(
    a: Analysis,
) -> tuple[dict[tuple[str, str, int], list[tuple[str, str]]], set[tuple[str, str, int]]]:
    """(file system, "uid" | "gid" | "owner gid", number) -> up to KEEP (application, access point ARN),
    and the identities held by more than one application (few: asked first, in cache)."""
    out: dict[tuple[str, str, int], list[tuple[str, str]]] = {}
    shared: set[tuple[str, str, int]] = set()
    apps_by_ap = a.apps_by_ap
    for ap in sorted(a.snapshot.access_points, key=attrgetter("arn")):
        apps = apps_by_ap.get(ap.access_point_id)
        if not apps:
            continue
        fs_id, pu = ap.file_system_id, ap.posix_user
        keys = [(fs_id, "uid", pu.uid), (fs_id, "gid", pu.gid)] if pu is not None else []
        ci = ap.root_directory.creation_info if ap.root_directory else None
        if ci is not None:
            keys.append((fs_id, "owner gid", ci.owner_gid))
        for app in sorted(apps) if len(apps) > 1 else apps:
            for key in keys:
                rows = out.get(key)
                if rows is None:
                    out[key] = [(app, ap.arn)]
                elif len(rows) < KEEP and all(x != app for x, _ in rows):
                    rows.append((app, ap.arn))
                    shared.add(key)
    return out, shared


def _principals_by_app(a: Analysis) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for m in a.mounts:
        out[m.workload.app].update(m.principal_arns if m.iam else ("principal://anonymous",))
    return out


def _collision_reach(
    a: Analysis, r, ap: AccessPoint, other: AccessPoint, principals_of, own, mounted, memo
) -> tuple[list | None, dict | None, str]:
    """§10, edges 19 and 20: the shared identity matters once someone reaches the other
    application's tree: a mount without an access point (any uid), a principal of this application that
    may mount the other access point, or an access point whose root directory is a common ancestor of
    both applications' directories, mounted or mountable. The path is walked in the identity graph and
    ends at the other application's directory (or access point); ``via`` names it by ids."""
    g = graph_of(a)
    fs_id = ap.file_system_id
    theirs = dir_id(fs_id, other.path)
    base = {"file_system": fs_id, "directory": other.path}
    for node in r.open_to(fs_id)[:1]:
        path = walk(g, node, dir_id(fs_id, "/"), theirs)
        if path is not None:
            via = {"kind": "mount_without_access_point", "principal": node, **base}
            return path, via, f"{node} may mount {fs_id} without an access point and act as any uid"
    mine = set().union(*(principals_of.get(app, set()) for app in own)) if own else set()
    for node, hops in r.may_mount(other, mine)[:1]:
        path = walk(g, *hops)
        if path is not None:
            via = {
                "kind": "principal_mounts_other_access_point",
                "principal": node,
                "access_point": other.arn,
                **base,
            }
            return path, via, f"{node}, a principal of this application, may mount {other.access_point_id}"
    found = _ancestor_access_point(a, fs_id, _common_dir(ap.path, other.path), mounted, memo)
    if found is not None:
        anc, hops, who = found
        path = walk(g, *hops, dir_id(fs_id, anc.path), theirs)
        if path is not None:
            via = {"kind": "common_ancestor_access_point", "access_point": anc.arn, "by": hops[0], **base}
            return (
                path,
                via,
                f"{who}: access point {anc.access_point_id} at {anc.path} holds both applications' directories",
            )
    return (
        None,
        None,
        "no evaluated principal may mount the file system without an access point, no principal of this "
        "application may mount the other application's access point, and no access point whose root "
        "directory holds both applications' directories is mounted or mountable",
    )


def _common_dir(p: str, q: str) -> str:
    """The deepest directory holding both ``p`` and ``q``."""
    same = []
    for x, y in zip(p.strip("/").split("/"), q.strip("/").split("/")):
        if x != y:
            break
        same.append(x)
    return "/" + "/".join(same).strip("/")


def _ancestor_access_point(a: Analysis, fs_id: str, directory: str, mounted, memo: dict):
    """The first access point at ``directory`` or above it that is mounted or mountable, with the path to
    it and who reaches it; remembered per (file system, directory), so each access point is looked at once."""
    index = a.idx.paths_by_fs.get(fs_id)
    cur = directory
    while True:
        key = (fs_id, cur)
        if key not in memo:
            memo[key] = None
            for x in index.by_path.get(cur, []) if index is not None else []:
                hops, who = _mounted_or_mountable(a, x, mounted.get(x.arn, []))
                if hops is not None:
                    memo[key] = (x, hops, who)
                    break
        if memo[key] is not None or cur == "/":
            return memo[key]
        cur = cur.rsplit("/", 1)[0] or "/"
