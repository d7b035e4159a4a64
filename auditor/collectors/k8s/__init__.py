"""Kubernetes collectors: manifest files (manifests.py) and the live API (live.py), both through
the pure transform (transform.py). Importing this package imports neither the kubernetes client
nor anything else with side effects."""

from __future__ import annotations
