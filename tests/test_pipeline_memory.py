"""What the pipeline lets go of during a run, and in what order it runs the checks for memory's sake
(auditor/pipeline.py); the results never depend on either."""

from __future__ import annotations

import pytest

from auditor import pipeline
from auditor.analysis.access import Analysis
from auditor.checks import AUTHORIZATION_CHECKS
from auditor.graph import drop_reach, graph_of
from auditor.graph.reach import reach


def test_the_latent_checks_run_first_among_the_authorization_checks():
    assert set(pipeline._LATENT) <= set(AUTHORIZATION_CHECKS)


def test_reach_asked_for_after_it_was_dropped_is_an_error_not_a_rebuild(monkeypatch):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from synthetic import estate

    a = Analysis(estate(200))
    g = graph_of(a)
    assert reach(a) is g.graph["reach"]
    drop_reach(a)
    assert "reach" not in a.__dict__ and "reach" not in g.graph and graph_of(a) is g
    with pytest.raises(KeyError):
        reach(a)


def test_a_run_computes_reach_once(monkeypatch):
    """No check asks for reach after the authorization checks (it would raise); and none rebuilds it."""
    import sys
    from pathlib import Path

    from auditor.graph.reach import Reach

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from synthetic import estate

    calls = []
    compute = Reach.compute
    monkeypatch.setattr(Reach, "compute", lambda self: calls.append(1) or compute(self))
    run = pipeline.evaluate(estate(200))
    assert calls == [1] and len(run.results) > 1000
