"""What every renderer shares: the report options and the run's results decorated with their
waiver and baseline state. Pure: no I/O."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from auditor.catalog import Catalogue, CheckMeta
from auditor.model.arn import Arn
from auditor.model.result import SEVERITY_ORDER, AuditRun, Result
from auditor.report.baseline import Comparison, compare
from auditor.report.waivers import Waiver, expired_match, match

WAIVED = "WAIVED"
SHOWN_STATUSES = ("FAIL", "NOT_ASSESSED", WAIVED, "PASS")


@dataclass(frozen=True)
class ReportOptions:
    framework: str | None = None  # also show this framework's control view
    waivers: tuple[Waiver, ...] = ()
    baseline: AuditRun | None = None  # a previous run to compare with
    include_pass: bool = False  # human formats (markdown, html, table) list PASS rows too
    today: date | None = None  # reference date for waiver expiry shown in reports
    title: str = "EFS identity audit"
    pictures: tuple = ()  # auditor.graph.picture.Picture per file system, drawn by the HTML report
    # SARIF: every result's physical location. source_uri names the file the results were evaluated
    # from (the snapshot, or the run JSON); source_text is its text, to find each resource's line.
    source_uri: str | None = None
    source_text: str | None = None
    all_results: bool = False  # SARIF lists PASS and NOT_ASSESSED results too (default: FAIL only)
    # Terminal table only: its width (None: the terminal's), no wrapping at all, and display filters
    # (severities, shown statuses) that choose rows to print, never what the run or bundle holds.
    width: int | None = None
    wide: bool = False
    show_severities: frozenset[str] | None = None
    show_statuses: frozenset[str] | None = None

    def keeps(self, severity: str, shown: str) -> bool:
        return (self.show_severities is None or severity in self.show_severities) and (
            self.show_statuses is None or shown is None or shown in self.show_statuses
        )

    @property
    def shows_everything(self) -> bool:
        return self.show_severities is None and self.show_statuses is None


@dataclass(frozen=True)
class Row:
    result: Result
    waiver: Waiver | None = None
    change: str | None = None  # NEW | UNCHANGED for open results when a baseline is given
    expired_waiver: Waiver | None = None  # an expired waiver that would have covered it (not applied)

    @property
    def note(self) -> str | None:
        """What every format that carries notes shows next to the result."""
        return self.expired_waiver.note if self.expired_waiver and not self.waiver else None

    @property
    def shown(self) -> str:
        """The status a reader sees: WAIVED for a waived result, else the raw status."""
        return WAIVED if self.waiver else self.result.status.value

    @property
    def is_open(self) -> bool:
        return self.shown in ("FAIL", "NOT_ASSESSED")


@dataclass(frozen=True)
class View:
    run: AuditRun
    catalogue: Catalogue
    options: ReportOptions
    rows: tuple[Row, ...]
    comparison: Comparison | None
    unused_waivers: tuple[Waiver, ...] = field(default=())

    def meta(self, check_id: str) -> CheckMeta | None:
        return self.catalogue.checks.get(check_id)

    def title_of(self, check_id: str) -> str:
        m = self.meta(check_id)
        return m.title if m else check_id

    def counts(self, rows: tuple[Row, ...] | list[Row] | None = None) -> dict[str, int]:
        c = Counter(r.shown for r in (self.rows if rows is None else rows))
        return {s: c.get(s, 0) for s in SHOWN_STATUSES}

    def by_check(self) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = {}
        for r in self.rows:
            out.setdefault(r.result.check_id, []).append(r)
        return dict(sorted(out.items(), key=lambda kv: (_sev_rank(kv[1][0].result), kv[0])))

    def listed(self) -> list[Row]:
        """Rows a human report lists in detail: everything not passing, PASS too on request."""
        rows = [r for r in self.rows if self.options.include_pass or r.shown != "PASS"]
        return sorted(
            rows, key=lambda r: (_shown_rank(r), _sev_rank(r.result), r.result.check_id, r.result.resource_id)
        )

    def controls(self, check_id: str) -> list[str]:
        """ "framework:control" labels of every mapping of a check, for flat formats."""
        m = self.meta(check_id)
        if not m:
            return []
        return [f"{fw}:{c}" for fw, ids in sorted(m.frameworks.items()) for c in ids]


def _sev_rank(r: Result) -> int:
    return SEVERITY_ORDER.index(r.severity.value)


def _shown_rank(row: Row) -> int:
    return SHOWN_STATUSES.index(row.shown)


def build(run: AuditRun, catalogue: Catalogue, options: ReportOptions | None = None) -> View:
    options = options or ReportOptions()
    comparison = compare(run, options.baseline) if options.baseline is not None else None
    used: set[tuple[str, int]] = set()
    rows = []
    for r in run.results:
        w = match(options.waivers, r)
        if w:
            used.add((w.source, w.index))
        gone = None if w else expired_match(options.waivers, r)
        rows.append(
            Row(result=r, waiver=w, change=comparison.state(r) if comparison else None, expired_waiver=gone)
        )
    unused = tuple(w for w in options.waivers if (w.source, w.index) not in used and not w.expired)
    return View(
        run=run,
        catalogue=catalogue,
        options=options,
        rows=tuple(rows),
        comparison=comparison,
        unused_waivers=unused,
    )


def scope_parts(scope: str) -> tuple[str | None, str | None]:
    """(account, region) of an aws:<account>:<region> scope; (None, None) otherwise."""
    parts = scope.split(":")
    if len(parts) == 3 and parts[0] == "aws":
        return parts[1], (None if parts[2] == "global" else parts[2])
    return None, None


def arn_partition(resource_id: str) -> str:
    arn = Arn.maybe(resource_id)
    return arn.partition if arn else "aws"
