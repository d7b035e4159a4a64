"""One self-contained HTML file: inline CSS and SVG, no script, no external asset (a
Content-Security-Policy forbids loading any). Summary, per-check counts, every framework's control
table, every open finding with its evidence and, for cross-application and root findings, an SVG
picture of the graph path. Links to AWS documentation are plain anchors, never loaded.

This module computes what the page shows; the Jinja2 templates in auditor/report/templates/ lay it
out, escaping every value (auditor.report.templating)."""

from __future__ import annotations

from auditor.checks import PATH_CHECKS
from auditor.report import framework as fw_view
from auditor.report.evidence import pairs
from auditor.report.svg import estate_picture, path_picture, status_bar
from auditor.report.table import header
from auditor.report.view import ReportOptions, Row, View, build


def render(run, catalogue, options: ReportOptions | None = None) -> str:
    from auditor.report.templating import environment

    view = build(run, catalogue, options)
    return environment().get_template("report.html.j2").render(**context(view))


def context(view: View) -> dict:
    run = view.run
    return {
        "title": view.options.title,
        "scope_lines": header(run)[1:3],
        "summary_data": _summary(view),
        "check_rows": _checks(view),
        "framework_items": _frameworks(view),
        "estates": _estates(view),
        "finding_items": [_finding(view, r) for r in view.listed()],
        "comparison": _baseline(view),
        "waiver_rows": _waivers(view),
        "units": [
            {
                "scope": u.scope,
                "method": u.method,
                "finished_at": u.finished_at.isoformat() if u.finished_at else "unknown",
                "complete": u.complete,
                "collector": u.collector or "",
            }
            for u in run.units
        ],
        "issues": list(run.issues),
    }


def _summary(view: View) -> dict:
    run, counts = view.run, view.counts()
    return {
        "generated_at": run.generated_at.isoformat(),
        "tool_version": run.tool_version,
        "results": len(run.results),
        "checks": len(view.by_check()),
        "counts": counts,
        "bar": status_bar(counts),
        "complete": run.complete,
        "snapshot_digest": run.snapshot_digest,
        "catalogue_digest": run.catalogue_digest,
    }


def _checks(view: View) -> list[dict]:
    rows = []
    for check_id, items in view.by_check().items():
        rows.append(
            {
                "check_id": check_id,
                "severity": items[0].result.severity.value,
                "title": view.title_of(check_id),
                "counts": list(view.counts(items).values()),
                "total": len(items),
            }
        )
    return rows


def _frameworks(view: View) -> list[dict]:
    out = []
    for name, fw in view.catalogue.frameworks.items():
        rows = fw_view.rows(view, name)
        out.append(
            {
                "title": fw.title,
                "version": fw.version,
                "open": name == view.options.framework,
                "summary": fw_view.summary(rows),
                "rows": rows,
            }
        )
    return out


def _estates(view: View) -> list[dict]:
    """Per file system, who reaches which access point and directory, FAIL paths highlighted."""
    if not view.options.pictures:
        return []
    from auditor.graph.picture import highlight

    return [estate_picture(pic) for pic in highlight(view.options.pictures, view.run)]


def _finding(view: View, row: Row) -> dict:
    r, meta, w = row.result, view.meta(row.result.check_id), row.waiver
    return {
        "result": r,
        "shown": row.shown,
        "title": view.title_of(r.check_id),
        "change": row.change,
        "waiver": {"reason": w.reason, "owner": w.owner, "expires": w.expires.isoformat()} if w else None,
        "note": row.note,
        "collected_at": r.collected_at.isoformat() if r.collected_at else None,
        "picture": path_picture(r.path, f"{r.check_id}: {r.resource_id}")
        if r.check_id in PATH_CHECKS and r.path
        else None,
        "fix": meta if meta and row.is_open else None,
        "evidence": pairs(r.evidence),
    }


def _baseline(view: View) -> dict | None:
    cmp = view.comparison
    if not cmp:
        return None
    return {
        "generated_at": cmp.previous_generated_at,
        "counts": cmp.counts(),
        "not_reassessed": bool(cmp.not_reassessed),
        "tables": [("resolved check", cmp.resolved), ("not reassessed check", cmp.not_reassessed)],
    }


def _waivers(view: View) -> list[dict]:
    unused = {(w.source, w.index) for w in view.unused_waivers}
    return [
        {
            "label": w.label,
            "checks": w.checks,
            "resources": w.resources,
            "reason": w.reason,
            "owner": w.owner,
            "expires": w.expires.isoformat(),
            "used": "expired: not applied"
            if w.expired
            else "no (matches nothing)"
            if (w.source, w.index) in unused
            else "yes",
        }
        for w in view.options.waivers
    ]
