"""The framework view: one row per control of a framework, built from the check -> control
mappings in the catalogue.

Control status, decided on the raw statuses: FAIL if any mapped result FAILs (unwaived);
otherwise NOT_ASSESSED if any result is NOT_ASSESSED, waived or not (a waiver accepts a risk, it
does not turn an unknown into evidence); PASS only if there is at least one result and every one
is PASS or a waived FAIL. A control with no results at all is NOT_ASSESSED: nothing evaluated is
never passing.
"""

from __future__ import annotations

from dataclasses import dataclass

from tabulate import tabulate

from auditor.catalog import Catalogue, Framework
from auditor.model.result import Status
from auditor.model.snapshot import InputError
from auditor.report.view import View


@dataclass(frozen=True)
class ControlRow:
    control_id: str
    title: str
    checks: tuple[str, ...]
    resources: int  # distinct resources evaluated by the checks behind the control
    passed: int
    failed: int
    not_assessed: int
    waived: int
    status: str  # PASS | FAIL | NOT_ASSESSED
    waived_not_assessed: int = 0  # of the waived results, how many are raw NOT_ASSESSED

    @property
    def results(self) -> int:
        return self.passed + self.failed + self.not_assessed + self.waived


def framework(catalogue: Catalogue, name: str) -> Framework:
    if name not in catalogue.frameworks:
        raise InputError(
            f"--framework: unknown framework {name!r} (known: {', '.join(catalogue.frameworks)})"
        )
    return catalogue.frameworks[name]


def control_status(
    passed: int, failed: int, not_assessed: int, waived: int, waived_not_assessed: int = 0
) -> str:
    if failed:
        return "FAIL"
    if not_assessed or waived_not_assessed:
        return "NOT_ASSESSED"
    if passed + waived > 0:
        return "PASS"
    return "NOT_ASSESSED"


def rows(view: View, name: str) -> list[ControlRow]:
    fw = framework(view.catalogue, name)
    checks_of: dict[str, list[str]] = {cid: [] for cid in fw.controls}
    for check_id, meta in view.catalogue.checks.items():
        for cid in meta.frameworks.get(name, []):
            checks_of[cid].append(check_id)
    by_check = view.by_check()
    out = []
    for cid, title in fw.controls.items():
        checks = tuple(sorted(checks_of[cid]))
        results = [r for c in checks for r in by_check.get(c, [])]
        counts = view.counts(results)
        p, f, n, w = counts["PASS"], counts["FAIL"], counts["NOT_ASSESSED"], counts["WAIVED"]
        wn = sum(1 for r in results if r.waiver and r.result.status is Status.NOT_ASSESSED)
        out.append(
            ControlRow(
                control_id=cid,
                title=title,
                checks=checks,
                resources=len({r.result.resource_id for r in results}),
                passed=p,
                failed=f,
                not_assessed=n,
                waived=w,
                status=control_status(p, f, n, w, wn),
                waived_not_assessed=wn,
            )
        )
    return out


def summary(rows_: list[ControlRow]) -> dict[str, int]:
    out = {"PASS": 0, "FAIL": 0, "NOT_ASSESSED": 0}
    for r in rows_:
        out[r.status] += 1
    return out


def render_text(view: View, name: str) -> str:
    fw = framework(view.catalogue, name)
    rs = rows(view, name)
    s = summary(rs)
    table = [
        [
            r.control_id,
            _short(r.title, 48),
            r.status,
            r.resources,
            r.passed,
            r.failed,
            r.not_assessed,
            r.waived,
            ", ".join(r.checks),
        ]
        for r in rs
    ]
    head = (
        f"{fw.title} {fw.version}: {s['PASS']} controls PASS, {s['FAIL']} FAIL, "
        f"{s['NOT_ASSESSED']} NOT_ASSESSED"
    )
    return (
        head
        + "\n"
        + tabulate(
            table,
            headers=[
                "control",
                "title",
                "status",
                "resources",
                "PASS",
                "FAIL",
                "NOT_ASSESSED",
                "WAIVED",
                "checks",
            ],
            tablefmt="simple",
        )
        + "\n"
    )


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
