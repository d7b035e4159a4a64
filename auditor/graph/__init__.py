"""The identity graph: a networkx MultiDiGraph built from the analysis, which checks, queries and pictures read."""
