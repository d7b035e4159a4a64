"""Linked evidence: every FAIL names the resources on the other layers it connects to, as ids.

- a principal (IAM role) FAIL names the workloads that carry it and which of their mounts it makes
  (``workloads``, ``mounts``); the EFS CSI node role is carried by every pod whose volume it mounts;
- an access point FAIL names the workloads that mount it (``mounted_by``);
- a workload FAIL names its principals and access points (``principals``, ``access_points``).

One index per analysis, built in one pass over the mounts; each FAIL costs a dictionary lookup.
Keys a check already set are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.model.result import Status

ROLE, AP = "AwsIamRole", "AwsEfsAccessPoint"


@dataclass
class Links:
    by_principal: dict[str, list[dict]] = field(default_factory=dict)
    by_access_point: dict[str, list[str]] = field(default_factory=dict)
    by_workload: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)


def mount_ref(m) -> dict:
    """One mount as ids: workload, volume name, file system id, access point ARN (or id if not collected)."""
    return {
        "workload": m.workload.id,
        "volume": m.volume,
        "file_system": m.fs_id,
        "access_point": m.ap.arn if m.ap is not None else m.ap_id,
    }


def links_of(a) -> Links:
    got = a.__dict__.get("links")
    if got is None:
        got = a.__dict__["links"] = _index(a)
    return got


def _index(a) -> Links:
    out = Links()
    for m in a.mounts:
        wid = m.workload.id
        principals = list(m.principal_arns) if m.iam else ["anonymous"]
        ref = mount_ref(m)
        for p in m.principal_arns if m.iam else ():
            out.by_principal.setdefault(p, []).append(ref)
        if m.ap is not None:
            mounted = out.by_access_point.setdefault(m.ap.arn, [])
            if wid not in mounted:
                mounted.append(wid)
        ps, aps = out.by_workload.setdefault(wid, ([], []))
        ps.extend(p for p in principals if p not in ps)
        if ref["access_point"] and ref["access_point"] not in aps:
            aps.append(ref["access_point"])
    return out


def link(a, f):
    """Add the linked ids to a FAIL's evidence (in place) and return it (an auditor.checks.base.Finding)."""
    if f.status is not Status.FAIL:
        return f
    idx = links_of(a)
    ev = f.evidence
    if f.resource_type == ROLE:
        mounts = idx.by_principal.get(f.resource_id, [])
        ev.setdefault("workloads", sorted({m["workload"] for m in mounts}))
        ev.setdefault("mounts", mounts)
    elif f.resource_type == AP:
        ev.setdefault("mounted_by", sorted(idx.by_access_point.get(f.resource_id, [])))
    elif f.resource_id in idx.by_workload:
        principals, aps = idx.by_workload[f.resource_id]
        ev.setdefault("principals", principals)
        ev.setdefault("access_points", aps)
    return f


# --- result paths: walks in the identity graph ------------------------------------------------------

# Containment edges a path may follow against their direction (a directory's ``within`` points to its
# parent, an access point's ``enforces_*`` / ``owned_by_*`` and a workload's ``runs_as_*`` to the POSIX
# identity): tests/test_graph_paths.py walks result paths with the same set.
BACKWARD = frozenset(
    {
        "within",
        "enforces_uid",
        "enforces_gid",
        "enforces_group",
        "owned_by_gid",
        "runs_as_uid",
        "runs_as_gid",
        "runs_with_group",
        "same_id",
    }
)


def walk(g, *stops: str, kinds=None) -> list[str] | None:
    """The path of node ids from the first stop to the last, through the stops in between, that exists
    in the graph ``g``: consecutive nodes are joined by an edge in the path's direction or, for a kind
    in BACKWARD, against it. ``kinds`` (a set of edge kinds) limits the edges followed. One stop: that
    node, if it is in the graph. None when some stop is missing or no walk joins two stops.

    Each leg is a breadth-first search from both ends that always grows the side whose frontier has
    fewer edges, so a leg costs about the edges around its shorter end (a file system with 100k access
    points is not scanned to find the one edge from its root directory)."""
    if not stops or any(s not in g for s in stops):
        return None
    out = [stops[0]]
    for u, v in zip(stops, stops[1:]):
        leg = _leg(g, u, v, kinds)
        if leg is None:
            return None
        out.extend(leg[1:])
    return out


def _ok(data: dict, kinds, backward: bool) -> bool:
    kind = data.get("kind")
    if backward and kind not in BACKWARD:
        return False
    return kinds is None or kind in kinds


def _steps(g, node: str, kinds, forward: bool):
    """Neighbours reachable in one step from ``node`` (forward: along the walk; else: against it)."""
    ahead, behind = (g._succ, g._pred) if forward else (g._pred, g._succ)
    for nbr, keyed in ahead[node].items():
        if any(_ok(d, kinds, False) for d in keyed.values()):
            yield nbr
    for nbr, keyed in behind[node].items():
        if any(_ok(d, kinds, True) for d in keyed.values()):
            yield nbr


def _leg(g, start: str, end: str, kinds) -> list[str] | None:
    if start == end:
        return [start]
    direct = g._succ[start].get(end)
    if direct and any(_ok(d, kinds, False) for d in direct.values()):
        return [start, end]  # one hop: the common case, whatever the two nodes' degrees
    back_edge = g._pred[start].get(end)
    if back_edge and any(_ok(d, kinds, True) for d in back_edge.values()):
        return [start, end]
    before: dict[str, str | None] = {start: None}  # reached from the start: node -> previous
    after: dict[str, str | None] = {end: None}  # reaching the end: node -> next
    fwd, back = [start], [end]
    while fwd and back:
        grow_fwd = _size(g, fwd) <= _size(g, back)
        frontier, seen, other = (fwd, before, after) if grow_fwd else (back, after, before)
        nxt = []
        for node in frontier:
            for nbr in _steps(g, node, kinds, grow_fwd):
                if nbr in seen:
                    continue
                seen[nbr] = node
                if nbr in other:
                    return _join(before, after, nbr)
                nxt.append(nbr)
        if grow_fwd:
            fwd = nxt
        else:
            back = nxt
    return None


def _size(g, frontier: list[str]) -> int:
    succ, pred = g._succ, g._pred
    return sum(len(succ[n]) + len(pred[n]) for n in frontier)


def _join(before: dict, after: dict, meet: str) -> list[str]:
    head, n = [], meet
    while n is not None:
        head.append(n)
        n = before[n]
    head.reverse()
    n = after[meet]
    while n is not None:
        head.append(n)
        n = after[n]
    return head


def path_in_graph(a, *stops: str, kinds=None, alone: str | None = None) -> list[str]:
    """``walk`` in the analysis's graph; when no walk joins the stops, ``alone`` (default: the first
    stop) by itself, if it is a node of the graph (every result's resource is one)."""
    from auditor.graph import graph_of

    g = graph_of(a)
    return walk(g, *stops, kinds=kinds) or walk(g, alone or stops[0]) or []


def mount_path(a, m) -> list[str]:
    """Workload -> its volume declarations -> the access point, or the directory a mount without one
    names -> the file system, as walked in the graph."""
    from auditor.model.ids import dir_id

    stops = list(m.path)
    if m.ap is not None:
        stops.append(m.ap.arn)
    elif m.fs_id:
        stops.append(dir_id(m.fs_id, m.base_path))
    if m.fs_id:
        stops.append(m.fs.arn if m.fs is not None else f"efs:{m.fs_id}")
    return path_in_graph(a, *dict.fromkeys(stops))
