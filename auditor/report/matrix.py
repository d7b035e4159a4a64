"""The terminal application x directory matrix of `efs-audit access`: which application's configured mounts
reach which directory, and how. Directories are numbered (D1, D2, ...) with a key underneath, and the
columns wrap into blocks so that every line fits the width (120 by default)."""

from __future__ import annotations

CELL = 5
NAME = 22
SYMBOLS = (
    ("#", "root (a root identity whose connection is not squashed)"),
    ("W", "read-write"),
    ("R", "read-only"),
    ("?", "not assessable"),
)


def _cell(row: dict) -> str:
    """§1.3: root when an identity may be root and the connection is allowed ClientRootAccess."""
    if row["root_access_granted"] and any(i.get("may_be_root") for i in row["identity"]):
        return "#"
    if row["can_mount"] is None or row["can_write"] is None:
        return "?"
    return "W" if row["can_write"] else "R"


RANK = {"#": 3, "W": 2, "?": 1, "R": 0}


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "~"


def render(rows: list[dict], width: int = 120) -> str:
    cells: dict[tuple[str, str], str] = {}
    for r in rows:
        if r["can_mount"] is False or not r["file_system"]:
            continue
        key = (
            r["application"],
            f"{r['file_system']}:{r['subtree'].split(' (')[0]}" + ("*" if r["access_point"] is None else ""),
        )
        s = _cell(r)
        if RANK[s] >= RANK.get(cells.get(key, "R"), 0) or key not in cells:
            cells[key] = s
    if not cells:
        return "application x directory: no configured mount reaches a directory\n"
    apps = sorted({a for a, _ in cells})
    dirs = sorted({d for _, d in cells})
    per_block = max(1, (width - NAME - 1) // CELL)
    out = ["application x directory (configured mounts; * no access point: the client may choose any path)"]
    for start in range(0, len(dirs), per_block):
        block = list(enumerate(dirs))[start : start + per_block]
        out.append("")
        out.append(f"{'':<{NAME}} " + "".join(f"{'D' + str(i + 1):>{CELL}}" for i, _ in block))
        for app in apps:
            out.append(
                f"{_clip(app, NAME):<{NAME}} "
                + "".join(f"{cells.get((app, d), '.'):>{CELL}}" for _, d in block)
            )
    out.append("")
    out.append("  ".join(f"{s} {text}" for s, text in SYMBOLS) + "  . none")
    out.extend(_clip(f"D{i + 1:<4} {d}", width) for i, d in enumerate(dirs))
    return "\n".join(line.rstrip() for line in out) + "\n"
