"""The run as one JSON document: exactly the AuditRun, so `efs-audit report run.json` and
baselines read it back. Its contract is schema/run.schema.json (docs/run-schema.md).

Waivers and baselines are report-time views and never change this document: a waived FAIL is
still FAIL here. The other formats show the WAIVED state.
"""

from __future__ import annotations

from pathlib import Path

from auditor.model.result import AuditRun

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "run.schema.json"


def dumps(run: AuditRun) -> str:
    return run.model_dump_json(indent=1) + "\n"


def render(run: AuditRun, catalogue=None, options=None) -> str:
    return dumps(run)
