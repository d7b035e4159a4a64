"""The bundled estates stay in step with their sources and with their golden results.

samples/estates/<estate>/expected.json holds {check_id: {resource_id: status}} for every result;
regenerate with `python samples/estates/build.py && python -m tests.test_samples --write` after a
deliberate change, and review the diff like code.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from auditor.model.result import Status
from auditor.model.snapshot import load
from auditor.pipeline import evaluate

ROOT = Path(__file__).resolve().parent.parent
ESTATES = ROOT / "samples" / "estates"
NAMES = ("wellconfigured", "production", "hostile")


def results_of(name: str) -> dict[str, dict[str, str]]:
    run = evaluate(load(ESTATES / name / "snapshot.json"))
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for r in run.results:
        assert r.resource_id not in out[r.check_id], f"two results for {r.check_id} {r.resource_id}"
        out[r.check_id][r.resource_id] = r.status.value
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


def test_snapshots_are_built_from_their_sources():
    import importlib.util

    spec = importlib.util.spec_from_file_location("sample_estates_build", ESTATES / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert build.main(["--check"]) == 0


@pytest.mark.parametrize("name", NAMES)
def test_golden_results(name):
    expected = json.loads((ESTATES / name / "expected.json").read_text())
    assert results_of(name) == expected


def test_wellconfigured_passes_everything():
    got = results_of("wellconfigured")
    bad = {(c, r): s for c, rs in got.items() for r, s in rs.items() if s != Status.PASS.value}
    assert bad == {}


def test_every_check_runs_on_every_estate():
    from auditor.checks import CHECK_IDS

    for name in NAMES:
        assert set(results_of(name)) == set(CHECK_IDS), name


if __name__ == "__main__":
    if "--write" in sys.argv:
        for n in NAMES:
            (ESTATES / n / "expected.json").write_text(json.dumps(results_of(n), indent=1) + "\n")
