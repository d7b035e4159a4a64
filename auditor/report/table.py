"""Terminal evidence tables: a summary per check with "N of M" counts, the failing and unassessed
resources with a short reason, and the coverage (what was collected, when, how, and what was not)."""

from __future__ import annotations

from collections import Counter, defaultdict

from tabulate import tabulate

from auditor.model.result import AuditRun, Result, Status

WIDTH = 70


def _short(text: str, width: int = WIDTH) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _resource(r: Result) -> str:
    rid = r.resource_id
    if rid.startswith("arn:"):
        parts = rid.split(":", 5)
        return _short(parts[5] if len(parts) == 6 else rid, 48)
    return _short(rid.removeprefix("k8s://"), 48)


def render(run: AuditRun, catalogue=None, options=None) -> str:
    by_check: dict[str, list[Result]] = defaultdict(list)
    for r in run.results:
        by_check[r.check_id].append(r)
    show_pass = bool(getattr(options, "include_pass", False))
    out: list[str] = []
    rows = []
    for check_id in sorted(by_check):
        results = by_check[check_id]
        n = len(results)
        c = Counter(r.status for r in results)
        title = catalogue.checks[check_id].title if catalogue and check_id in catalogue.checks else ""
        rows.append([check_id, results[0].severity.value, f"{c[Status.PASS]} of {n}", f"{c[Status.FAIL]} of {n}",
                     f"{c[Status.NOT_ASSESSED]} of {n}", _short(title, 50)])
    status = Counter(r.status for r in run.results)
    if run.complete:
        out.append(f"Collection complete: {len(run.units)} collection units, no collection issues.")
    else:
        out.append(f"Collection INCOMPLETE: {len(run.issues)} collection issues; every result that depends on them "
                   "is NOT_ASSESSED (see Coverage below).")
    out.append(f"Results: {len(run.results)} ({status[Status.FAIL]} FAIL, {status[Status.NOT_ASSESSED]} NOT_ASSESSED, "
               f"{status[Status.PASS]} PASS)")
    out.append("")
    out.append("Summary")
    out.append(tabulate(rows, headers=["check", "severity", "PASS", "FAIL", "NOT_ASSESSED", "title"], tablefmt="simple"))
    for check_id in sorted(by_check):
        results = by_check[check_id]
        shown = [r for r in results if show_pass or r.status is not Status.PASS]
        if not shown:
            continue
        c = Counter(r.status for r in results)
        out.append("")
        out.append(f"{check_id} [{results[0].severity.value}]  FAIL {c[Status.FAIL]} of {len(results)}, "
                   f"NOT_ASSESSED {c[Status.NOT_ASSESSED]} of {len(results)}")
        body = [[r.status.value, r.resource_type, _resource(r), r.scope, _short(r.message)] for r in shown]
        out.append(tabulate(body, headers=["status", "type", "resource", "scope", "reason"], tablefmt="simple"))
    out.extend(_expired_waivers(run, getattr(options, "waivers", ()) or ()))
    out.append("")
    out.append(coverage(run))
    return "\n".join(out) + "\n"


def _expired_waivers(run: AuditRun, waivers) -> list[str]:
    """Results an expired waiver would have covered: shown with their raw status and the note."""
    from auditor.report.waivers import expired_match, match

    rows = []
    for r in run.results:
        w = None if match(waivers, r) else expired_match(waivers, r)
        if w is not None:
            rows.append([r.status.value, r.check_id, _resource(r), _short(w.note, 90)])
    if not rows:
        return []
    return ["", "Expired waivers (not applied)",
            tabulate(rows, headers=["status", "check", "resource", "note"], tablefmt="simple")]


def coverage(run: AuditRun) -> str:
    rows = [[u.scope, u.method, u.finished_at.isoformat(timespec="seconds") if u.finished_at else "unknown",
             "yes" if u.complete else "NO", _short(u.collector or "", 40)] for u in run.units]
    text = "Coverage (what was collected, when and how)\n" + tabulate(
        rows, headers=["scope", "method", "collected at", "complete", "collected by"], tablefmt="simple")
    if run.issues:
        issues = [[i.scope, i.service, i.operation, _short(i.resource_id or "(whole service)", 40), i.error_code,
                   _short(i.message, 50)] for i in run.issues]
        text += f"\n\nCollection issues: {len(run.issues)} (what depends on them is NOT_ASSESSED)\n" + tabulate(
            issues, headers=["scope", "service", "operation", "resource", "error", "message"], tablefmt="simple")
    else:
        text += "\n\nCollection issues: none"
    return text
