"""The identity graph: a networkx MultiDiGraph built from the analysis, which checks, queries and pictures read.

``graph_of(analysis)`` builds it once per analysis (with its reach, auditor/graph/reach.py) and keeps
it on the analysis as ``analysis.graph`` / ``analysis.reach``; the pipeline builds it in every run.
"""

from __future__ import annotations


def graph_of(analysis):
    """The analysis's graph, built and its reach computed on first use."""
    g = analysis.__dict__.get("graph")
    if g is None:
        from auditor.graph.build import build
        from auditor.graph.reach import Reach

        g = build(analysis)
        analysis.__dict__["graph"] = g
        r = Reach(analysis, g)
        analysis.__dict__["reach"] = r
        g.graph["reach"] = r
        r.compute()
    return g


def reach_of(analysis):
    """The analysis's reach without the graph (what the checks read: ``check`` never reads the graph
    itself, and building it cost a third of the analysis). The rows are those ``graph_of`` computes;
    only the edges they would add to a graph are not recorded. A later ``graph_of`` builds both."""
    r = analysis.__dict__.get("reach")
    if r is None:
        from auditor.graph.reach import Reach

        r = analysis.__dict__["reach"] = Reach(analysis, None)
        r.compute()
    return r


def drop(analysis) -> None:
    """Forget the analysis's graph and reach (the pipeline does so once the checks that read them
    have run, so that a large estate never holds the graph and every result at once)."""
    from auditor.graph.build import release

    g = analysis.__dict__.pop("graph", None)
    analysis.__dict__.pop("reach", None)
    if g is not None:
        g.graph.pop("reach", None)
        release(g)
