"""Kubernetes collectors: manifest files (manifests.py) and the live API (live.py), both through
the pure transform (transform.py). Importing this package imports neither the kubernetes client
nor anything else with side effects."""

from __future__ import annotations


def collect_live(**kwargs):
    """``live.collect_cluster`` (imported on first use: the kubernetes client is heavy)."""
    from auditor.collectors.k8s.live import collect_cluster

    return collect_cluster(**kwargs)
