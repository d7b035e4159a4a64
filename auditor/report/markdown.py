"""A Markdown report for pull requests, tickets and wikis: summary, per-check counts, the open
findings with evidence, waivers, the baseline comparison, a framework view and the coverage."""

from __future__ import annotations

from tabulate import DataRow, TableFormat, tabulate

from auditor.report import framework as fw_view
from auditor.report.evidence import pairs
from auditor.report.table import header
from auditor.report.view import ReportOptions, Row, View, build


def _esc(text: object) -> str:
    s = " ".join(str(text).split())
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: object) -> str:
    s = str(text).replace("`", "'")
    return f"`{s}`"


# tabulate's pipe table, minus the padding of cells to their column's width: rows stay as written and the
# rule under the header stays |---| however long an id grows (small diffs between reports).
PIPE = TableFormat(
    lineabove=None,
    linebelowheader=lambda widths, _aligns: "|" + "|".join("---" for _ in widths) + "|",
    linebetweenrows=None,
    linebelow=None,
    headerrow=DataRow("|", "|", "|"),
    datarow=DataRow("|", "|", "|"),
    padding=1,
    with_header_hide=None,
)


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    """Cells are already escaped (_esc, _code) and are neither aligned nor parsed as numbers."""
    text = tabulate(rows, headers=headers, tablefmt=PIPE, stralign=None, numalign=None, disable_numparse=True)
    return text.splitlines()


def render(run, catalogue, options: ReportOptions | None = None) -> str:
    view = build(run, catalogue, options)
    lines = [f"# {_esc(view.options.title)}", ""]
    lines += _summary(view)
    lines += _checks(view)
    lines += _findings(view)
    if view.comparison:
        lines += _baseline(view)
    if view.options.waivers:
        lines += _waivers(view)
    if view.options.framework:
        lines += _framework(view, view.options.framework)
    lines += _coverage(view)
    return "\n".join(lines).rstrip() + "\n"


def _summary(view: View) -> list[str]:
    c = view.counts()
    run = view.run
    return [
        *(f"{_esc(line)}  " for line in header(run)[1:3]),
        "",
        f"Generated {run.generated_at.isoformat()} by efs-audit {run.tool_version}; "
        f"{len(run.results)} results from {len(view.by_check())} checks.",
        "",
        f"**FAIL {c['FAIL']}** · NOT_ASSESSED {c['NOT_ASSESSED']} · WAIVED {c['WAIVED']} · PASS {c['PASS']}",
        "",
        f"Collection complete: {'yes' if run.complete else '**no** (results below are partial)'}. "
        f"Snapshot `{run.snapshot_digest[:16]}`, catalogue `{run.catalogue_digest[:16]}`.",
        "",
    ]


def _checks(view: View) -> list[str]:
    rows = []
    for check_id, items in view.by_check().items():
        c, n = view.counts(items), len(items)
        rows.append(
            [
                _code(check_id),
                items[0].result.severity.value,
                _esc(view.title_of(check_id)),
                f"{c['FAIL']} of {n}",
                f"{c['NOT_ASSESSED']} of {n}",
                f"{c['WAIVED']} of {n}",
                f"{c['PASS']} of {n}",
            ]
        )
    return (
        ["## Checks", ""]
        + _table(["check", "severity", "title", "FAIL", "NOT_ASSESSED", "WAIVED", "PASS"], rows)
        + [""]
    )


def _findings(view: View) -> list[str]:
    rows = view.listed()
    out = ["## Findings", ""]
    if not rows:
        return out + ["No open findings.", ""]
    for row in rows:
        out += _finding(view, row)
    return out


def _finding(view: View, row: Row) -> list[str]:
    r = row.result
    head = f"### {row.shown} · {r.severity.value} · {_code(r.check_id)}"
    if row.change:
        head += f" · {row.change}"
    out = [
        head,
        "",
        f"- Resource: {_code(r.resource_id)} ({_esc(r.resource_type)}, scope {_code(r.scope)})",
        f"- Finding: {_esc(r.message)}",
    ]
    if row.waiver:
        w = row.waiver
        out.append(
            f"- Waived: {_esc(w.reason)} (owner {_esc(w.owner)}, expires {w.expires.isoformat()}, "
            f"{_esc(w.label)})"
        )
    if row.note:
        out.append(f"- Note: {_esc(row.note)}")
    if r.path:
        out.append("- Path: " + " → ".join(_code(p) for p in r.path))
    meta = view.meta(r.check_id)
    if meta and row.is_open:
        out.append(f"- Risk: {_esc(meta.risk)}")
        for kind, text in meta.remediation.items():
            out.append(f"- Fix ({kind}): {_esc(text)}")
    if r.collected_at:
        out.append(f"- Collected: {r.collected_at.isoformat()} via {_esc(r.collection_method or 'unknown')}")
    out.append(f"- Fingerprint: {_code(r.fingerprint)}")
    if r.evidence:
        out += ["", "Evidence:", ""] + [f"- `{_code_text(k)}`: {_esc(v)}" for k, v in pairs(r.evidence)]
    return out + [""]


def _code_text(text: str) -> str:
    return str(text).replace("`", "'")


def _baseline(view: View) -> list[str]:
    cmp = view.comparison
    c = cmp.counts()
    out = [
        "## Compared with the baseline",
        "",
        f"Baseline generated {cmp.previous_generated_at}: {c['NEW']} new, {c['UNCHANGED']} unchanged, "
        f"{c['RESOLVED']} resolved"
        + (
            f", {c['NOT_REASSESSED']} not reassessed (FAIL before, now "
            "NOT_ASSESSED or absent from a scope not collected completely)"
            if cmp.not_reassessed
            else ""
        )
        + ".",
        "",
    ]
    for label, items in (("resolved check", cmp.resolved), ("not reassessed check", cmp.not_reassessed)):
        if items:
            out += _table(
                [label, "resource", "was"],
                [[_code(r.check_id), _code(r.resource_id), r.status.value] for r in items],
            )
            out.append("")
    return out


def _waivers(view: View) -> list[str]:
    used = {(w.source, w.index) for w in view.options.waivers} - {
        (w.source, w.index) for w in view.unused_waivers
    }
    rows = [
        [
            _esc(w.label),
            ", ".join(_code(c) for c in w.checks),
            ", ".join(_code(p) for p in w.resources),
            _esc(w.reason),
            _esc(w.owner),
            w.expires.isoformat(),
            "**expired: not applied**"
            if w.expired
            else "yes"
            if (w.source, w.index) in used
            else "**no (matches nothing)**",
        ]
        for w in view.options.waivers
    ]
    return (
        ["## Waivers", ""]
        + _table(["waiver", "checks", "resources", "reason", "owner", "expires", "used"], rows)
        + [""]
    )


def _framework(view: View, name: str) -> list[str]:
    fw = fw_view.framework(view.catalogue, name)
    rows = fw_view.rows(view, name)
    s = fw_view.summary(rows)
    table = [
        [
            _code(r.control_id),
            _esc(r.title),
            f"**{r.status}**" if r.status != "PASS" else r.status,
            r.resources,
            r.passed,
            r.failed,
            r.not_assessed,
            r.waived,
            ", ".join(_code(c) for c in r.checks),
        ]
        for r in rows
    ]
    return (
        [
            f"## {_esc(fw.title)} {_esc(fw.version)}",
            "",
            f"{s['PASS']} controls PASS, {s['FAIL']} FAIL, {s['NOT_ASSESSED']} NOT_ASSESSED.",
            "",
        ]
        + _table(
            ["control", "title", "status", "resources", "PASS", "FAIL", "NOT_ASSESSED", "WAIVED", "checks"],
            table,
        )
        + [""]
    )


def _coverage(view: View) -> list[str]:
    run = view.run
    units = [
        [
            _code(u.scope),
            u.method,
            u.finished_at.isoformat() if u.finished_at else "unknown",
            "yes" if u.complete else "**no**",
            _esc(u.collector or ""),
        ]
        for u in run.units
    ]
    out = ["## Coverage", ""] + _table(["scope", "method", "collected at", "complete", "collected by"], units)
    out.append("")
    if run.issues:
        out += [f"{len(run.issues)} collection issues (what depends on them is NOT_ASSESSED):", ""]
        out += _table(
            ["scope", "service", "operation", "resource", "error"],
            [
                [
                    _code(i.scope),
                    i.service,
                    i.operation,
                    _code(i.resource_id or "(whole service)"),
                    _esc(i.error_code),
                ]
                for i in run.issues
            ],
        )
    else:
        out.append("No collection issues.")
    return out + [""]
