"""One self-contained HTML file: inline CSS and SVG, no script, no external asset (a
Content-Security-Policy forbids loading any). Summary, per-check counts, every framework's control
table, every open finding with its evidence and, for cross-application and root findings, an SVG
picture of the graph path. Links to AWS documentation are plain anchors, never loaded."""

from __future__ import annotations

from html import escape

from auditor.checks import PATH_CHECKS
from auditor.report import framework as fw_view
from auditor.report.evidence import pairs
from auditor.report.svg import estate_svg, path_svg, status_bar
from auditor.report.table import header
from auditor.report.view import ReportOptions, Row, View, build

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#111827;max-width:1200px}
h1{font-size:1.6em;margin-bottom:4px}h2{border-bottom:2px solid #e5e7eb;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;width:100%;margin:8px 0 16px}th,td{border:1px solid #d1d5db;padding:4px 8px;
text-align:left;vertical-align:top;font-size:13px}th{background:#f3f4f6}code,pre{font-family:ui-monospace,
monospace;font-size:12px}pre{background:#f9fafb;border:1px solid #e5e7eb;padding:8px;overflow-x:auto}
.cards{display:flex;gap:12px;margin:12px 0}.card{border-radius:8px;padding:10px 16px;color:#fff;min-width:110px}
.card b{display:block;font-size:1.8em}.FAIL{background:#dc2626}.NOT_ASSESSED{background:#d97706}
.WAIVED{background:#6b7280}.PASS{background:#16a34a}.badge{border-radius:4px;padding:1px 6px;color:#fff;
font-size:12px}.finding{border:1px solid #e5e7eb;border-left:6px solid #9ca3af;border-radius:6px;padding:8px 14px;
margin:12px 0}.finding.sFAIL{border-left-color:#dc2626}.finding.sNOT_ASSESSED{border-left-color:#d97706}
.finding.sWAIVED{border-left-color:#6b7280}.muted{color:#6b7280}svg.path{display:block;margin:8px 0}
svg.estate{display:block;margin:8px 0;max-width:100%;height:auto}@media print{svg.estate{break-inside:avoid}}
dl.evidence{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0 8px;font-size:13px}
dl.evidence dt{font-family:ui-monospace,monospace;font-size:12px;color:#374151}dl.evidence dd{margin:0;
overflow-wrap:anywhere}.scope p{margin:2px 0}
@media print{body{margin:0;max-width:none}details>summary{list-style:none}details>summary::-webkit-details-marker
{display:none}details::details-content{content-visibility:visible;display:block;height:auto}
details:not([open])>*:not(summary){display:block}.finding{break-inside:avoid-page}
a[href]::after{content:" (" attr(href) ")";font-size:11px;color:#6b7280}pre{white-space:pre-wrap}}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _badge(status: str) -> str:
    return f'<span class="badge {escape(status)}">{escape(status)}</span>'


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(run, catalogue, options: ReportOptions | None = None) -> str:
    view = build(run, catalogue, options)
    title = escape(view.options.title)
    body = [
        f"<h1>{title}</h1>",
        _scope(view),
        _summary(view),
        _checks(view),
        _frameworks(view),
        _estate(view),
        _findings(view),
    ]
    if view.comparison:
        body.append(_baseline(view))
    if view.options.waivers:
        body.append(_waivers(view))
    body.append(_coverage(view))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _scope(view: View) -> str:
    """What the evidence covers: accounts, regions, clusters, the caller and the collection window."""
    lines = header(view.run)[1:3]
    return (
        '<section class="scope" id="scope">'
        + "".join(f"<p>{escape(line)}</p>" for line in lines)
        + "</section>"
    )


def _summary(view: View) -> str:
    run, c = view.run, view.counts()
    cards = "".join(f'<div class="card {s}"><b>{c[s]}</b>{s}</div>' for s in c)
    complete = "yes" if run.complete else "<b>no: results are partial</b>"
    return (
        f'<section id="summary"><h2>Summary</h2><p>Generated {escape(run.generated_at.isoformat())} by '
        f"efs-audit {escape(run.tool_version)}: {len(run.results)} results from {len(view.by_check())} "
        f'checks.</p><div class="cards">{cards}</div>{status_bar(c)}'
        f"<p>Collection complete: {complete}. Snapshot <code>{escape(run.snapshot_digest)}</code>, "
        f"catalogue <code>{escape(run.catalogue_digest)}</code>.</p></section>"
    )


def _checks(view: View) -> str:
    rows = []
    for check_id, items in view.by_check().items():
        c, n = view.counts(items), len(items)
        rows.append(
            [
                f"<code>{escape(check_id)}</code>",
                escape(items[0].result.severity.value),
                escape(view.title_of(check_id)),
            ]
            + [f"{c[s]} of {n}" for s in c]
        )
    return (
        '<section id="checks"><h2>Checks</h2>'
        + _table(["check", "severity", "title", "FAIL", "NOT_ASSESSED", "WAIVED", "PASS"], rows)
        + "</section>"
    )


def _frameworks(view: View) -> str:
    out = ['<section id="frameworks"><h2>Frameworks</h2>']
    for name, fw in view.catalogue.frameworks.items():
        rows = fw_view.rows(view, name)
        s = fw_view.summary(rows)
        table = _table(
            ["control", "title", "status", "resources", "PASS", "FAIL", "NOT_ASSESSED", "WAIVED", "checks"],
            [
                [
                    f"<code>{escape(r.control_id)}</code>",
                    escape(r.title),
                    _badge(r.status),
                    str(r.resources),
                    str(r.passed),
                    str(r.failed),
                    str(r.not_assessed),
                    str(r.waived),
                    " ".join(f"<code>{escape(c)}</code>" for c in r.checks),
                ]
                for r in rows
            ],
        )
        is_open = " open" if name == view.options.framework else ""
        out.append(
            f"<details{is_open}><summary><b>{escape(fw.title)}</b> {escape(fw.version)}: "
            f"{s['PASS']} PASS, {s['FAIL']} FAIL, {s['NOT_ASSESSED']} NOT_ASSESSED</summary>{table}</details>"
        )
    return "".join(out) + "</section>"


def _estate(view: View) -> str:
    """Per file system, who reaches which access point and directory, FAIL paths highlighted."""
    if not view.options.pictures:
        return ""
    from auditor.graph.picture import highlight

    out = [
        '<section id="estate"><h2>Who reaches what</h2><p class="muted">Per file system: the principals '
        "configured mounts authenticate as (and those with a root finding), the workloads and their "
        "applications, the access points and the directories they expose.</p>"
    ]
    for pic in highlight(view.options.pictures, view.run):
        out.append(f"<h3>{escape(pic.file_system)}</h3>{estate_svg(pic)}")
    return "".join(out) + "</section>"


def _findings(view: View) -> str:
    rows = view.listed()
    if not rows:
        return '<section id="findings"><h2>Findings</h2><p>No open findings.</p></section>'
    return (
        '<section id="findings"><h2>Findings</h2>' + "".join(_finding(view, r) for r in rows) + "</section>"
    )


def _finding(view: View, row: Row) -> str:
    r, meta = row.result, view.meta(row.result.check_id)
    lines = [
        f"<li>Resource: <code>{escape(r.resource_id)}</code> ({escape(r.resource_type)}, scope "
        f"<code>{escape(r.scope)}</code>)</li>",
        f"<li>Finding: {escape(r.message)}</li>",
    ]
    if row.change:
        lines.append(f"<li>Baseline: <b>{escape(row.change)}</b></li>")
    if row.waiver:
        w = row.waiver
        lines.append(
            f"<li>Waived: {escape(w.reason)} (owner {escape(w.owner)}, expires "
            f"{escape(w.expires.isoformat())}; raw status {escape(r.status.value)})</li>"
        )
    if row.note:
        lines.append(f"<li>Note: {escape(row.note)}</li>")
    fix = ""
    if meta and row.is_open:
        items = [f"<li>Risk: {escape(meta.risk)}</li>"]
        items += [f"<li>Fix ({escape(k)}): {escape(v)}</li>" for k, v in meta.remediation.items()]
        items += [f'<li>Reference: <a href="{escape(u)}">{escape(u)}</a></li>' for u in meta.references]
        fix = f"<details><summary>Risk and remediation</summary><ul>{''.join(items)}</ul></details>"
    if r.collected_at:
        lines.append(
            f'<li class="muted">Collected {escape(r.collected_at.isoformat())} via '
            f"{escape(r.collection_method or 'unknown')}; fingerprint <code>{escape(r.fingerprint)}</code></li>"
        )
    picture = ""
    if r.check_id in PATH_CHECKS and r.path:
        picture = path_svg(r.path, f"{r.check_id}: {r.resource_id}")
    elif r.path:
        picture = '<p class="muted">Path: ' + " → ".join(f"<code>{escape(p)}</code>" for p in r.path) + "</p>"
    evidence = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in pairs(r.evidence))
    return (
        f'<div class="finding s{escape(row.shown)}"><h3>{_badge(row.shown)} {escape(r.severity.value)} '
        f"<code>{escape(r.check_id)}</code> {escape(view.title_of(r.check_id))}</h3><ul>{''.join(lines)}</ul>"
        f'{picture}{fix}<details><summary>Evidence</summary><dl class="evidence">{evidence}</dl></details></div>'
    )


def _baseline(view: View) -> str:
    cmp = view.comparison
    c = cmp.counts()
    tables = ""
    for label, items in (("resolved check", cmp.resolved), ("not reassessed check", cmp.not_reassessed)):
        rows = [
            [
                f"<code>{escape(r.check_id)}</code>",
                f"<code>{escape(r.resource_id)}</code>",
                escape(r.status.value),
            ]
            for r in items
        ]
        tables += _table([label, "resource", "was"], rows) if rows else ""
    gap = (
        (
            f", {c['NOT_REASSESSED']} not reassessed (FAIL before, now NOT_ASSESSED or absent from a scope "
            "not collected completely)"
        )
        if cmp.not_reassessed
        else ""
    )
    return (
        f'<section id="baseline"><h2>Compared with the baseline</h2><p>Baseline generated '
        f"{escape(cmp.previous_generated_at)}: {c['NEW']} new, {c['UNCHANGED']} unchanged, {c['RESOLVED']} "
        f"resolved{gap}.</p>" + tables + "</section>"
    )


def _waivers(view: View) -> str:
    unused = {(w.source, w.index) for w in view.unused_waivers}
    rows = [
        [
            escape(w.label),
            " ".join(f"<code>{escape(c)}</code>" for c in w.checks),
            " ".join(f"<code>{escape(p)}</code>" for p in w.resources),
            escape(w.reason),
            escape(w.owner),
            escape(w.expires.isoformat()),
            "expired: not applied"
            if w.expired
            else "no (matches nothing)"
            if (w.source, w.index) in unused
            else "yes",
        ]
        for w in view.options.waivers
    ]
    return (
        '<section id="waivers"><h2>Waivers</h2>'
        + _table(["waiver", "checks", "resources", "reason", "owner", "expires", "used"], rows)
        + "</section>"
    )


def _coverage(view: View) -> str:
    run = view.run
    units = [
        [
            f"<code>{escape(u.scope)}</code>",
            escape(u.method),
            escape(u.finished_at.isoformat() if u.finished_at else "unknown"),
            "yes" if u.complete else "<b>no</b>",
            escape(u.collector or ""),
        ]
        for u in run.units
    ]
    out = '<section id="coverage"><h2>Coverage</h2>' + _table(
        ["scope", "method", "collected at", "complete", "collected by"], units
    )
    if run.issues:
        out += f"<p>{len(run.issues)} collection issues (what depends on them is NOT_ASSESSED):</p>" + _table(
            ["scope", "service", "operation", "resource", "error", "message"],
            [
                [
                    f"<code>{escape(i.scope)}</code>",
                    escape(i.service),
                    escape(i.operation),
                    f"<code>{escape(i.resource_id or '(whole service)')}</code>",
                    escape(i.error_code),
                    escape(i.message),
                ]
                for i in run.issues
            ],
        )
    else:
        out += "<p>No collection issues.</p>"
    return out + "</section>"
