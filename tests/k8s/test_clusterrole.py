"""samples/k8s/clusterrole.yaml grants get and list on exactly what live.py lists, nothing more."""

from __future__ import annotations

from pathlib import Path

import yaml

from auditor.collectors.k8s.live import LISTS

ROLE = Path(__file__).resolve().parents[2] / "samples" / "k8s" / "clusterrole.yaml"


def granted() -> set[tuple[str, str, str]]:
    (role,) = [d for d in yaml.safe_load_all(ROLE.read_text()) if d]
    assert role["kind"] == "ClusterRole" and role["apiVersion"] == "rbac.authorization.k8s.io/v1"
    assert all(
        set(rule) <= {"apiGroups", "resources", "verbs"} for rule in role["rules"]
    )  # no resourceNames, URLs
    return {
        (g, r, v)
        for rule in role["rules"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
        for v in rule["verbs"]
    }


def test_cluster_role_grants_exactly_the_collector_lists_with_get_and_list():
    listed = {(group, resource) for group, _, resource, *_ in LISTS}
    assert granted() == {(g, r, v) for g, r in listed for v in ("get", "list")}


def test_cluster_role_never_reaches_secrets_or_configmaps():
    resources = {r for _, r, _ in granted()}
    assert not resources & {"secrets", "configmaps", "pods/log", "pods/exec", "*"}
    assert {g for g, _, _ in granted()} == {"", "storage.k8s.io", "apps", "batch"}


def test_the_collector_lists_each_resource_once_with_its_client_method():
    from kubernetes import client

    assert len({(g, r) for g, _, r, *_ in LISTS}) == len(LISTS)
    for _, _, _, _, api_class, method, _ in LISTS:
        assert callable(getattr(getattr(client, api_class), method))
