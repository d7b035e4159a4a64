"""Terminal evidence tables (rich): what was read, a summary per check with "N of M" counts, the
open (and waived) results with their full reason, wrapped to the width, the waivers that matched
nothing, and the coverage (what was collected, when, how, and what was not).

Width: ReportOptions.width, else the terminal's (COLUMNS), else 120; wide=True never wraps. No
text is cut: long ids fold onto the next line. Display filters (ReportOptions.show_severities,
show_statuses) choose the rows shown, never the counts of the run.
"""

from __future__ import annotations

import io
import shutil
from collections import Counter

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditor.model.arn import Arn
from auditor.model.result import AuditRun
from auditor.report.view import SHOWN_STATUSES, ReportOptions, Row, View, build, scope_parts

WIDE = 100_000


def width_of(options: ReportOptions | None) -> int:
    if options is not None and options.wide:
        return WIDE
    if options is not None and options.width:
        return options.width
    return shutil.get_terminal_size((120, 24)).columns


def _console(width: int) -> Console:
    return Console(
        file=io.StringIO(),
        width=width,
        color_system=None,
        force_terminal=False,
        no_color=True,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=width >= WIDE,
        legacy_windows=False,
    )


def _table(*columns: tuple[str, dict]) -> Table:
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1), expand=False)
    for name, kw in columns:
        t.add_column(name, overflow="fold", **kw)
    return t


def render(run: AuditRun, catalogue=None, options: ReportOptions | None = None) -> str:
    options = options or ReportOptions()
    width = width_of(options)
    view = build(run, catalogue, options) if catalogue is not None else None
    con = _console(width)
    for line in header(run):
        con.print(Text(line))
    skipped = run.parameters.get("checks_skipped") if isinstance(run.parameters, dict) else None
    if skipped:
        con.print(Text(f"Skipped checks (not evaluated, --skip-checks/--checks): {', '.join(skipped)}"))
    rows = view.rows if view else tuple(Row(result=r) for r in run.results)
    c = Counter(r.shown for r in rows)
    if run.complete:
        con.print(Text(f"Collection complete: {len(run.units)} collection units, no collection issues."))
    else:
        con.print(
            Text(
                f"Collection INCOMPLETE: {len(run.issues)} collection issues; every result that depends on "
                "them is NOT_ASSESSED (see Coverage below)."
            )
        )
    con.print(
        Text(
            f"Results: {len(rows)} ({c['FAIL']} FAIL, {c['NOT_ASSESSED']} NOT_ASSESSED, {c['WAIVED']} WAIVED, "
            f"{c['PASS']} PASS)"
        )
    )
    keeps = options.keeps
    if not options.shows_everything:
        con.print(
            Text(
                "Display filtered (--severity/--status): the counts, the exit code, the JSON and the evidence "
                "bundle cover every result."
            )
        )
    _summary(con, rows, catalogue, keeps)
    _details(con, rows, view, options, keeps)
    if view is not None and view.unused_waivers:
        con.print()
        con.print(Text(f"Waivers that matched nothing: {len(view.unused_waivers)}"))
        t = _table(("waiver", {}), ("checks", {}), ("resources", {}), ("reason", {"ratio": 1}))
        for w in view.unused_waivers:
            t.add_row(w.label, ", ".join(w.checks), ", ".join(w.resources), w.reason)
        con.print(t)
    con.print()
    _coverage(con, run)
    return con.file.getvalue()


def header(run: AuditRun) -> list[str]:
    """What the run covers: accounts, regions, clusters, the caller and the collection window."""
    accounts, regions, clusters, callers = set(), set(), set(), set()
    for u in run.units:
        account, region = scope_parts(u.scope)
        if account:
            accounts.add(account)
            if region:
                regions.add(region)
            if u.collector:
                callers.add(u.collector)
        elif u.scope.startswith("k8s:"):
            clusters.add(u.scope.removeprefix("k8s:"))
    times = sorted(t for u in run.units for t in (u.started_at, u.finished_at) if t)
    window = (
        f"{times[0].isoformat(timespec='seconds')} to {times[-1].isoformat(timespec='seconds')}"
        if times
        else "unknown"
    )
    return [
        f"efs-audit {run.tool_version}, run generated {run.generated_at.isoformat(timespec='seconds')}",
        f"Accounts: {', '.join(sorted(accounts)) or 'none'}; regions: {', '.join(sorted(regions)) or 'none'}; "
        f"clusters: {', '.join(sorted(clusters)) or 'none'}",
        f"Caller: {', '.join(sorted(callers)) or 'unknown'}; collected {window}",
        "",
    ]


def _summary(con: Console, rows, catalogue, keeps) -> None:
    """Per check: how many of its results are FAIL, NOT_ASSESSED, WAIVED and PASS, of how many; the
    title when the width leaves room for it (`efs-audit checks` lists them all)."""
    by: dict[str, list[Row]] = {}
    for r in rows:
        by.setdefault(r.result.check_id, []).append(r)
    with_title = con.width >= 110
    # a check id stays whole where the width leaves room for titles (those wrap instead)
    columns = [("check", {"no_wrap": with_title}), ("severity", {})] + [
        (s, {"justify": "right", "no_wrap": True}) for s in SHOWN_STATUSES
    ]
    columns.append(("of", {"justify": "right", "no_wrap": True}))
    if with_title:
        columns.append(("title", {"ratio": 1, "min_width": 12}))
    t = _table(*columns)
    for check_id in sorted(by):
        items = by[check_id]
        if not keeps(items[0].result.severity.value, None):
            continue
        c = Counter(r.shown for r in items)
        cells = [
            check_id,
            items[0].result.severity.value,
            *[str(c[s]) for s in SHOWN_STATUSES],
            str(len(items)),
        ]
        if with_title:
            cells.append(
                catalogue.checks[check_id].title if catalogue and check_id in catalogue.checks else ""
            )
        t.add_row(*cells)
    con.print(Text("Summary (results per check)"))
    con.print(t)


def _details(con: Console, rows, view: View | None, options: ReportOptions, keeps) -> None:
    by: dict[str, list[Row]] = {}
    for r in rows:
        if (options.include_pass or r.shown != "PASS") and keeps(r.result.severity.value, r.shown):
            by.setdefault(r.result.check_id, []).append(r)
    for check_id in sorted(by):
        shown = sorted(by[check_id], key=lambda r: (SHOWN_STATUSES.index(r.shown), r.result.resource_id))
        c = Counter(r.shown for r in (x for x in rows if x.result.check_id == check_id))
        total = sum(c.values())
        con.print()
        title = view.title_of(check_id) if view is not None else ""
        con.print(Text(f"{check_id} [{shown[0].result.severity.value}] {title}".rstrip()))
        con.print(
            Text(
                "results: "
                + ", ".join(f"{s} {c[s]} of {total}" for s in SHOWN_STATUSES if c[s] or s == "FAIL")
            )
        )
        t = _table(
            ("status", {"no_wrap": True}),
            ("resource", {"ratio": 2, "min_width": 16}),
            ("reason", {"ratio": 3, "min_width": 20}),
        )
        for r in shown:
            res = r.result
            resource = Text(_resource(res.resource_id))
            resource.append(f"\n{res.resource_type} in {res.scope}", style="dim")
            reason = res.message
            if r.waiver:
                w = r.waiver
                reason += f" | waived ({res.status.value}): {w.reason} (owner {w.owner}, expires {w.expires.isoformat()})"
            elif r.expired_waiver is not None:
                reason += f" | {r.expired_waiver.note}"
            t.add_row(r.shown, resource, reason)
        con.print(t)


def _resource(rid: str) -> str:
    if arn := Arn.maybe(rid):
        return arn.resource
    return rid.removeprefix("k8s://")


def coverage(run: AuditRun, width: int | None = None) -> str:
    con = _console(width or 120)
    _coverage(con, run)
    return con.file.getvalue()


def _coverage(con: Console, run: AuditRun) -> None:
    issues = Counter(i.scope for i in run.issues)
    t = _table(
        ("scope", {}), ("method", {}), ("collected at", {}), ("complete", {}), ("collected by", {"ratio": 1})
    )
    for u in run.units:
        n = issues.get(u.scope, 0)
        complete = "yes" if u.complete and not n else f"no ({n} issues)" if n else "NO (unfinished)"
        t.add_row(
            u.scope,
            u.method,
            u.finished_at.isoformat(timespec="seconds") if u.finished_at else "unknown",
            complete,
            u.collector or "",
        )
    con.print(Text("Coverage (what was collected, when and how)"))
    con.print(t)
    if not run.issues:
        con.print(Text("Collection issues: none"))
        return
    con.print()
    con.print(Text(f"Collection issues: {len(run.issues)} (what depends on them is NOT_ASSESSED)"))
    t = _table(("scope", {}), ("call", {}), ("resource", {"ratio": 1}), ("error", {"ratio": 2}))
    for i in run.issues:
        t.add_row(
            i.scope,
            f"{i.service}:{i.operation}",
            i.resource_id or "(whole service)",
            f"{i.error_code}: {i.message}",
        )
    con.print(t)


def checks_table(rows: list[dict], width: int | None = None) -> str:
    """`efs-audit checks`: id, severity, title and frameworks."""
    con = _console(width or shutil.get_terminal_size((120, 24)).columns)
    t = _table(("check", {}), ("severity", {}), ("title", {"ratio": 2}), ("frameworks", {"ratio": 1}))
    for r in rows:
        t.add_row(r["check_id"], r["severity"], r["title"], ", ".join(sorted(r["frameworks"])))
    con.print(t)
    return con.file.getvalue()
