"""What the HTML report draws per file system: principals -> workloads (with their application) -> access
points -> directories, the edges between them, and which nodes and edges lie on FAIL paths of the
cross-application and root checks. Pure data (no SVG here: auditor/report/svg.py lays it out)."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.analysis.access import Analysis
from auditor.model.arn import Arn
from auditor.model.gc_pause import gc_paused
from auditor.model.ids import dir_id

CAP = 12  # nodes per column and file system; the rest become one "+N more" node
NO_AP = "no-access-point"
HIGHLIGHT_CHECKS = {"efs_cross_app_reach": "cross", "efs_root_squash_gap": "root"}


@dataclass(frozen=True)
class Picture:
    file_system: str  # fs id
    fs_arn: str
    columns: tuple[
        tuple[tuple[str, str, str], ...], ...
    ]  # per column: (node id, label, highlight "" | cross | root)
    edges: tuple[tuple[str, str, str], ...]  # (from, to, highlight)
    more: tuple[int, ...]  # nodes left out per column


@gc_paused()  # it builds the analysis's mounts and grants: no cycles (auditor.model.gc_pause)
def pictures(a: Analysis) -> tuple[Picture, ...]:
    out = []
    for fs in sorted(a.snapshot.file_systems, key=lambda f: f.file_system_id):
        cols: list[dict[str, str]] = [{}, {}, {}, {}]
        edges: set[tuple[str, str]] = set()
        no_ap = f"{NO_AP}:{fs.file_system_id}"
        for m in a.mounts:
            if m.fs is not fs:
                continue
            w = m.workload
            cols[1][w.id] = f"{w.name} [{w.app}]"
            for p in (m.principal_arns if m.iam else ()) or ("principal://anonymous",):
                cols[0][p] = arn.name if (arn := Arn.maybe(p)) else "anonymous"
                edges.add((p, w.id))
            d = dir_id(fs.file_system_id, m.base_path)
            cols[3][d] = m.base_path
            if m.ap is not None:
                cols[2][m.ap.arn] = f"{m.ap.access_point_id} {m.ap.path}"
                edges.add((w.id, m.ap.arn))
                edges.add((m.ap.arn, d))
            else:
                cols[2][no_ap] = "(no access point)"
                edges.add((w.id, no_ap))
                edges.add((no_ap, d))
        for ap in sorted(
            a.idx.aps_by_fs.get(fs.file_system_id, []), key=lambda x: (x.path, x.access_point_id)
        ):
            apps = ",".join(sorted(a.apps_by_ap.get(ap.access_point_id, ()))) or "untagged"
            cols[2].setdefault(ap.arn, f"{ap.access_point_id} {ap.path}")
            cols[2][ap.arn] += f" [{apps}]" if "[" not in cols[2][ap.arn] else ""
            d = dir_id(fs.file_system_id, ap.path)
            cols[3][d] = ap.path
            edges.add((ap.arn, d))
        out.append((fs, cols, edges, no_ap))
    return tuple(_finish(fs, cols, edges) for fs, cols, edges, _ in out)


def _finish(fs, cols, edges) -> Picture:
    columns, more = [], []
    for col in cols:
        ids = sorted(col, key=lambda n: (col[n].lower(), n))
        kept = ids[:CAP]
        columns.append(tuple((n, col[n], "") for n in kept))
        more.append(len(ids) - len(kept))
    drawn = {n for c in columns for n, _, _ in c}
    return Picture(
        fs.file_system_id,
        fs.arn,
        tuple(columns),
        tuple(sorted((u, v, "") for u, v in edges if u in drawn and v in drawn)),
        tuple(more),
    )


def highlight(pics: tuple[Picture, ...], run) -> tuple[Picture, ...]:
    """Mark the nodes and edges of FAIL paths of efs_cross_app_reach (cross) and efs_root_squash_gap (root);
    a cross-application path also gets an edge from its workload to the directory it reaches, and a root
    path from a principal to the file system marks the principal. Principals of root paths that are not
    drawn yet are added."""
    paths: list[tuple[str, list[str]]] = [
        (HIGHLIGHT_CHECKS[r.check_id], list(r.path or []))
        for r in run.results
        if r.check_id in HIGHLIGHT_CHECKS and r.status.value == "FAIL"
    ]
    out = []
    for pic in pics:
        marks: dict[str, str] = {}
        extra: set[tuple[str, str, str]] = set()
        columns = [list(c) for c in pic.columns]
        drawn = {n for c in columns for n, _, _ in c}
        for kind, path in paths:
            on_fs = [
                n
                for n in path
                if n == pic.fs_arn
                or n.startswith(f"efsdir://{pic.file_system}/")
                or n.startswith(f"efsdir://{pic.file_system}")
            ]
            if not on_fs:
                continue
            if (
                kind == "root"
                and (arn := Arn.maybe(path[0]))
                and arn.service == "iam"
                and path[0] not in drawn
                and len(columns[0]) < CAP
            ):
                columns[0].append((path[0], arn.name, ""))
                drawn.add(path[0])
            for n in path:
                if n in drawn:
                    marks[n] = "root" if "root" in (kind, marks.get(n)) else kind  # root is the graver
            first = next((n for n in path if n in drawn), None)
            if kind == "cross" and first and path[-1] in drawn and first != path[-1]:
                extra.add((first, path[-1], "cross"))
        edges = []
        for u, v, _ in pic.edges:
            both = [k for k, p in paths if u in p and v in p]
            edges.append((u, v, "cross" if "cross" in both else both[0] if both else ""))
        cols = tuple(tuple((n, label, marks.get(n, "")) for n, label, _ in c) for c in columns)
        out.append(Picture(pic.file_system, pic.fs_arn, cols, tuple(sorted(set(edges) | extra)), pic.more))
    return tuple(out)
