"""The geometry of the HTML report's inline SVG pictures: the graph path behind a finding, the status
bar and the estate per file system. The templates (auditor/report/templates/*.svg.j2) draw them: no
external assets, no script, plain SVG text."""

from __future__ import annotations

import hashlib

from auditor.model.arn import Arn

BOX_W, BOX_H, GAP = 620, 36, 22
KIND_COLOURS = {
    "workload": "#dbeafe",
    "identity": "#fde68a",
    "role": "#fbcfe8",
    "volume": "#e9d5ff",
    "access point": "#bbf7d0",
    "file system": "#a7f3d0",
    "directory": "#d9f99d",
    "application": "#fed7aa",
    "scope": "#e5e7eb",
    "resource": "#f3f4f6",
}
STATUS_COLOURS = {"FAIL": "#dc2626", "NOT_ASSESSED": "#d97706", "WAIVED": "#6b7280", "PASS": "#16a34a"}


def node_kind(node: str) -> str:
    if node.startswith("posix://"):
        return "identity"
    if node.startswith("efsdir://"):
        return "directory"
    if node.startswith("app://"):
        return "application"
    if node.startswith("k8s://"):
        kind = node.split("/")[4].lower() if len(node.split("/")) > 4 else ""
        if kind in ("persistentvolume", "persistentvolumeclaim", "pv", "pvc", "storageclass"):
            return "volume"
        if kind == "serviceaccount":
            return "identity"
        return "workload"
    if node.startswith("arn:"):
        arn = Arn.maybe(node)
        rest, service = (arn.resource, arn.service) if arn else ("", "")
        if service == "elasticfilesystem":
            return "access point" if rest.startswith("access-point") else "file system"
        if service == "iam":
            return "role"
        if service in ("ecs", "lambda"):
            return "workload"
        return "resource"
    if node.startswith(("aws:", "k8s:")):
        return "scope"
    return "resource"


def _label(node: str, width: int = 84) -> str:
    text = node
    if arn := Arn.maybe(node):
        text = f"{arn.service}:{arn.resource}"
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def path_picture(path: list[str], title: str = "") -> dict | None:
    """The geometry of a top-down chain of the path's nodes, each box named by kind, the full id in a
    tooltip (templates/path.svg.j2 draws it)."""
    if not path:
        return None
    boxes = []
    for i, node in enumerate(path):
        y = i * (BOX_H + GAP) + 2
        kind = node_kind(node)
        boxes.append(
            {
                "node": node,
                "kind": kind,
                "label": _label(node),
                "colour": KIND_COLOURS.get(kind, "#f3f4f6"),
                "y": y,
                "text_y": y + BOX_H / 2 + 4,
                "arrow": (y + BOX_H, y + BOX_H + GAP - 3) if i + 1 < len(path) else None,
            }
        )
    return {
        "title": title or "graph path",
        "marker": "arrow-" + hashlib.sha256((title + "\x00".join(path)).encode()).hexdigest()[:12],
        "width": BOX_W + 140,
        "height": len(path) * (BOX_H + GAP) - GAP + 4,
        "box_w": BOX_W,
        "box_h": BOX_H,
        "arrow_x": 130 + BOX_W / 2,
        "boxes": boxes,
    }


def status_bar(counts: dict[str, int], width: int = 640, height: int = 22) -> dict:
    """The geometry of one horizontal bar split by status, with a legend underneath."""
    total = sum(counts.values()) or 1
    x, segments = 0.0, []
    for status, n in counts.items():
        if n:
            w = width * n / total
            segments.append({"status": status, "n": n, "x": x, "w": w, "colour": _status_colour(status)})
            x += w
    legend = [
        {"status": status, "n": n, "x": 150 * i, "text_x": 150 * i + 14, "colour": _status_colour(status)}
        for i, (status, n) in enumerate(counts.items())
    ]
    return {
        "width": width,
        "height": height,
        "svg_height": height + 22,
        "legend_y": height + 8,
        "legend_text_y": height + 17,
        "segments": segments,
        "legend": legend,
    }


def _status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "#9ca3af")


# --- the estate per file system ------------------------------------------------------------------------

COL_W, NODE_W, NODE_H, ROW_H, TOP = 290, 250, 24, 32, 46
CAP = 12  # auditor.graph.picture.CAP
HIGHLIGHT = {"cross": "#dc2626", "root": "#7c3aed"}
COLUMN_KINDS = ("role", "workload", "access point", "directory")
LEGEND = (
    ("cross", "cross-application reach (efs_cross_app_reach FAIL)"),
    ("root", "root not squashed (efs_root_squash_gap FAIL)"),
)


def _clip(text: str, width: int = 36) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def estate_picture(pic) -> dict:
    """The geometry of one file system's drawing: columns principals -> workloads -> access points ->
    directories, highlighted FAIL paths and a legend (templates/estate.svg.j2 draws it). Positions depend
    only on the (sorted) data."""
    rows = max([len(c) + (1 if m else 0) for c, m in zip(pic.columns, pic.more)] + [1])
    height = TOP + rows * ROW_H + 70
    pos: dict[str, tuple[int, int]] = {}
    nodes: list[dict] = []
    for i, (col, left_out) in enumerate(zip(pic.columns, pic.more)):
        x = i * COL_W + 10
        for j, (node, label, mark) in enumerate(col):
            pos[node] = (x, TOP + j * ROW_H)
            nodes.append(
                {
                    "node": node,
                    "label": _clip(label),
                    "mark": mark,
                    "x": x,
                    "y": TOP + j * ROW_H,
                    "text_x": x + 6,
                    "text_y": TOP + j * ROW_H + 16,
                    "colour": KIND_COLOURS.get(COLUMN_KINDS[i], "#f3f4f6"),
                    "stroke": HIGHLIGHT.get(mark, "#374151"),
                    "stroke_width": 2.5 if mark else 1,
                }
            )
        if left_out:
            y = TOP + len(col) * ROW_H
            nodes.append({"more": left_out, "x": x, "y": y, "text_x": x + 6, "text_y": y + 16})
    edges = []
    for u, v, mark in sorted(pic.edges, key=lambda e: (bool(e[2]), e)):  # highlighted drawn last, on top
        if u not in pos or v not in pos:
            continue
        (x1, y1), (x2, y2) = pos[u], pos[v]
        x1, y1, x2, y2 = x1 + NODE_W, y1 + NODE_H / 2, x2, y2 + NODE_H / 2
        edges.append(
            {
                "mark": mark,
                "points": (x1, y1, (x1 + x2) / 2, x2, y2),
                "colour": HIGHLIGHT.get(mark, "#9ca3af"),
                "stroke_width": 2.5 if mark else 1,
                "dashed": x2 - x1 > COL_W,
            }
        )
    return {
        "file_system": pic.file_system,
        "width": COL_W * 4,
        "height": height,
        "titles": [
            {"x": i * COL_W + 10, "text": t}
            for i, t in enumerate(
                ("principals", "workloads [application]", "access points [application]", "directories")
            )
        ],
        "node_w": NODE_W,
        "node_h": NODE_H,
        "edges": edges,
        "nodes": nodes,
        "legend_y": height - 40,
        "legend_text_y": height - 36,
        "note_y": height - 16,
        "legend": [
            {
                "x": 10 + k * 420,
                "x2": 40 + k * 420,
                "text_x": 46 + k * 420,
                "colour": HIGHLIGHT[mark],
                "text": text,
            }
            for k, (mark, text) in enumerate(LEGEND)
        ],
        "cap": CAP,
    }


def estate_svg(pic):
    """One file system's drawing as inline SVG markup."""
    from auditor.report.templating import macro

    return macro("estate.svg.j2", "estate")(estate_picture(pic))
