"""JUnit XML for CI gates: one testsuite per check, one testcase per result.

FAIL -> <failure>; NOT_ASSESSED -> <skipped> (unknown is not a pass, but not a test failure
either; gate on it with --fail-on or the exit code); a waived result -> <skipped> with the waiver,
so an accepted risk does not break the build; PASS -> an empty testcase.

The document follows the Jenkins (Ant/Surefire) JUnit schema, junit-10.xsd: <testsuites> carries
name, time, tests, failures and errors only (its skipped count lives on each <testsuite>).
"""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

from auditor.model.result import Status
from auditor.report.view import ReportOptions, Row, View, build

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters from collected data)."""
    return _NOT_XML.sub("\ufffd", text)


def _case(view: View, row: Row) -> ET.Element:
    r = row.result
    case = ET.Element("testcase", {"classname": r.check_id, "name": _x(r.resource_id), "time": "0"})
    detail = json.dumps(
        {"resource_type": r.resource_type, "scope": r.scope, "path": r.path, "evidence": r.evidence},
        indent=1,
        sort_keys=True,
        default=str,
    )
    if row.waiver:
        w = row.waiver
        el = ET.SubElement(case, "skipped", {"message": _x(f"WAIVED ({r.status.value}): {w.reason}")})
        el.text = _x(f"owner {w.owner}, expires {w.expires.isoformat()}, {w.label}\n{r.message}")
    elif r.status is Status.FAIL:
        el = ET.SubElement(case, "failure", {"message": _x(r.message), "type": r.severity.value})
        el.text = _x(f"{row.note}\n{detail}" if row.note else detail)
    elif r.status is Status.NOT_ASSESSED:
        el = ET.SubElement(case, "skipped", {"message": _x(f"NOT_ASSESSED: {r.message}")})
        el.text = _x(detail)
    return case


def render(run, catalogue, options: ReportOptions | None = None) -> str:
    view = build(run, catalogue, options)
    root = ET.Element("testsuites", {"name": "efs-audit"})
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for check_id, rows in view.by_check().items():
        suite = ET.SubElement(root, "testsuite", {"name": check_id})
        failures = sum(1 for r in rows if r.shown == "FAIL")
        skipped = sum(1 for r in rows if r.shown in ("NOT_ASSESSED", "WAIVED"))
        for key, value in (
            ("tests", len(rows)),
            ("failures", failures),
            ("errors", 0),
            ("skipped", skipped),
            ("time", 0),
            ("timestamp", run.generated_at.isoformat()),
        ):
            suite.set(key, str(value))
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", {"name": "title", "value": _x(view.title_of(check_id))})
        ET.SubElement(props, "property", {"name": "severity", "value": rows[0].result.severity.value})
        for row in rows:
            suite.append(_case(view, row))
        totals["tests"] += len(rows)
        totals["failures"] += failures
        totals["skipped"] += skipped
    for key in ("tests", "failures"):
        root.set(key, str(totals[key]))
    root.set("errors", "0")
    root.set("time", "0")
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
