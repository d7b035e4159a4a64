"""One CSV row per result, every result (PASS too): the spreadsheet an auditor filters.

Columns are fixed (CSV_COLUMNS). `status` is the raw verdict; `shown_status` is WAIVED when a
waiver covers the result. Text cells that a spreadsheet would run as a formula (starting with
= + - @ or a tab) are prefixed with a single quote.
"""

from __future__ import annotations

import csv
import io
import json

from auditor.report.view import ReportOptions, build

CSV_COLUMNS = (
    "check_id",
    "title",
    "severity",
    "status",
    "shown_status",
    "resource_id",
    "resource_type",
    "scope",
    "message",
    "controls",
    "waiver_reason",
    "waiver_owner",
    "waiver_expires",
    "baseline",
    "fingerprint",
    "collected_at",
    "collection_method",
    "evidence",
    "path",
    "note",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def render(run, catalogue, options: ReportOptions | None = None) -> str:
    view = build(run, catalogue, options)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in view.rows:
        r, w = row.result, row.waiver
        writer.writerow(
            [
                _cell(v)
                for v in (
                    r.check_id,
                    view.title_of(r.check_id),
                    r.severity.value,
                    r.status.value,
                    row.shown,
                    r.resource_id,
                    r.resource_type,
                    r.scope,
                    r.message,
                    ";".join(view.controls(r.check_id)),
                    w.reason if w else "",
                    w.owner if w else "",
                    w.expires.isoformat() if w else "",
                    row.change or "",
                    r.fingerprint,
                    r.collected_at.isoformat() if r.collected_at else "",
                    r.collection_method or "",
                    json.dumps(r.evidence, sort_keys=True, default=str),
                    " -> ".join(r.path),
                    row.note or "",
                )
            ]
        )
    return out.getvalue()
