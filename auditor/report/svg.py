"""Inline SVG pictures for the HTML report: the graph path behind a finding and the status bar.
No external assets, no script: plain SVG text."""

from __future__ import annotations

import hashlib
from html import escape

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


def path_svg(path: list[str], title: str = "") -> str:
    """A top-down chain of the path's nodes, each box named by kind, the full id in a tooltip."""
    if not path:
        return ""
    mid = "arrow-" + hashlib.sha256((title + "\x00".join(path)).encode()).hexdigest()[:12]
    height = len(path) * (BOX_H + GAP) - GAP + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="path" role="img" width="{BOX_W + 140}" '
        f'height="{height}" viewBox="0 0 {BOX_W + 140} {height}">',
        f"<title>{escape(title or 'graph path')}</title>",
        f'<defs><marker id="{mid}" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#374151"/></marker></defs>',
    ]
    for i, node in enumerate(path):
        y = i * (BOX_H + GAP) + 2
        kind = node_kind(node)
        colour = KIND_COLOURS.get(kind, "#f3f4f6")
        parts.append(
            f"<g><title>{escape(node)}</title>"
            f'<rect x="130" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{colour}" '
            f'stroke="#374151" stroke-width="1"/>'
            f'<text x="120" y="{y + BOX_H / 2 + 4}" text-anchor="end" font-size="11" '
            f'fill="#4b5563">{escape(kind)}</text>'
            f'<text x="140" y="{y + BOX_H / 2 + 4}" font-size="12" font-family="monospace" '
            f'fill="#111827">{escape(_label(node))}</text></g>'
        )
        if i + 1 < len(path):
            x = 130 + BOX_W / 2
            parts.append(
                f'<line x1="{x}" y1="{y + BOX_H}" x2="{x}" y2="{y + BOX_H + GAP - 3}" '
                f'stroke="#374151" stroke-width="1.5" marker-end="url(#{mid})"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def status_bar(counts: dict[str, int], width: int = 640, height: int = 22) -> str:
    """One horizontal bar split by status, with a legend underneath."""
    total = sum(counts.values()) or 1
    x = 0.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar" role="img" width="{width}" '
        f'height="{height + 22}" viewBox="0 0 {width} {height + 22}"><title>results by status</title>'
    ]
    for status, n in counts.items():
        if not n:
            continue
        w = width * n / total
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" '
            f'fill="{STATUS_COLOURS.get(status, "#9ca3af")}"><title>{escape(status)}: {n}</title></rect>'
        )
        x += w
    lx = 0
    for status, n in counts.items():
        parts.append(
            f'<rect x="{lx}" y="{height + 8}" width="10" height="10" '
            f'fill="{STATUS_COLOURS.get(status, "#9ca3af")}"/>'
            f'<text x="{lx + 14}" y="{height + 17}" font-size="11">{escape(status)} {n}</text>'
        )
        lx += 150
    parts.append("</svg>")
    return "".join(parts)


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


def estate_svg(pic) -> str:
    """A layered drawing of one file system: columns principals -> workloads -> access points ->
    directories, highlighted FAIL paths and a legend. Positions depend only on the (sorted) data."""
    rows = max([len(c) + (1 if m else 0) for c, m in zip(pic.columns, pic.more)] + [1])
    height = TOP + rows * ROW_H + 70
    width = COL_W * 4
    pos: dict[str, tuple[float, float]] = {}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="estate" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" data-file-system="{escape(pic.file_system)}">',
        f"<title>who reaches what on {escape(pic.file_system)}</title>",
    ]
    for i, title in enumerate(
        ("principals", "workloads [application]", "access points [application]", "directories")
    ):
        parts.append(
            f'<text x="{i * COL_W + 10}" y="18" font-size="13" font-weight="bold" fill="#111827">'
            f"{escape(title)}</text>"
        )
    nodes = []
    for i, (col, more) in enumerate(zip(pic.columns, pic.more)):
        x = i * COL_W + 10
        for j, (node, label, mark) in enumerate(col):
            y = TOP + j * ROW_H
            pos[node] = (x, y)
            colour = KIND_COLOURS.get(COLUMN_KINDS[i], "#f3f4f6")
            stroke = HIGHLIGHT.get(mark, "#374151")
            sw = 2.5 if mark else 1
            nodes.append(
                f'<g class="node{" " + mark if mark else ""}" data-id="{escape(node)}"><title>{escape(node)}'
                f'</title><rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="5" fill="{colour}" '
                f'stroke="{stroke}" stroke-width="{sw}"/><text x="{x + 6}" y="{y + 16}" font-size="11" '
                f'font-family="monospace" fill="#111827">{escape(_clip(label))}</text></g>'
            )
        if more:
            y = TOP + len(col) * ROW_H
            nodes.append(
                f'<g class="node more"><rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="5" '
                f'fill="#ffffff" stroke="#9ca3af" stroke-dasharray="4 3"/><text x="{x + 6}" y="{y + 16}" '
                f'font-size="11" fill="#4b5563">+{more} more</text></g>'
            )
    lines = []
    for u, v, mark in sorted(pic.edges, key=lambda e: (bool(e[2]), e)):  # highlighted drawn last, on top
        if u not in pos or v not in pos:
            continue
        (x1, y1), (x2, y2) = pos[u], pos[v]
        x1, y1, x2, y2 = x1 + NODE_W, y1 + NODE_H / 2, x2, y2 + NODE_H / 2
        colour = HIGHLIGHT.get(mark, "#9ca3af")
        dash = ' stroke-dasharray="6 4"' if x2 - x1 > COL_W else ""
        mid = (x1 + x2) / 2
        lines.append(
            f'<path class="edge{" " + mark if mark else ""}" d="M {x1:.0f} {y1:.0f} C {mid:.0f} {y1:.0f} '
            f'{mid:.0f} {y2:.0f} {x2:.0f} {y2:.0f}" fill="none" stroke="{colour}" '
            f'stroke-width="{2.5 if mark else 1}"{dash}/>'
        )
    ly = height - 40
    legend = ['<g class="legend">']
    for k, (mark, text) in enumerate(LEGEND):
        lx = 10 + k * 420
        legend.append(
            f'<line x1="{lx}" y1="{ly}" x2="{lx + 30}" y2="{ly}" stroke="{HIGHLIGHT[mark]}" stroke-width="3"/>'
            f'<text x="{lx + 36}" y="{ly + 4}" font-size="11" fill="#111827">{escape(text)}</text>'
        )
    legend.append(
        f'<text x="10" y="{ly + 24}" font-size="11" fill="#4b5563">grey: configured mounts and access '
        f"point roots; dashed: reaches a directory beyond the next column; a column shows at most "
        f'{CAP} boxes, the rest as "+N more"</text>'
    )
    legend.append("</g>")
    return "".join(parts + lines + nodes + legend + ["</svg>"])
