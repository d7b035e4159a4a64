"""The identity graph: a networkx MultiDiGraph built from the analysis, which checks, queries and pictures read.

``graph_of(analysis)`` builds it once per analysis (with its reach, auditor/graph/reach.py) and keeps
it on the analysis as ``analysis.graph`` / ``analysis.reach``; the pipeline builds it in every run.
"""

from __future__ import annotations


def graph_of(analysis):
    """The analysis's graph, built and its reach computed on first use (auditor.graph.reach.graph_of)."""
    from auditor.graph.reach import graph_of as built

    return built(analysis)


def drop_reach(analysis) -> None:
    """Forget the reach rows once the checks that read them (the authorization checks) have run; the graph
    stays for the result paths. Reach asked for afterwards is an error (KeyError), never a silent rebuild."""
    r = analysis.__dict__.pop("reach", None)
    g = analysis.__dict__.get("graph")
    if g is not None and g.graph.get("reach") is r:
        g.graph.pop("reach", None)


def drop(analysis) -> None:
    """Forget the analysis's graph and reach (the pipeline does so once the checks that read them
    have run, so that a large estate never holds the graph and every result at once)."""
    from auditor.graph.build import release

    g = analysis.__dict__.pop("graph", None)
    analysis.__dict__.pop("reach", None)
    if g is not None:
        g.graph.pop("reach", None)
        release(g)
