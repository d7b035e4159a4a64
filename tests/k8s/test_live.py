"""The live collector through the official client against a local API server (fake_api.py):
pagination, Forbidden and unreachable servers, and equality with the manifest collector."""

from __future__ import annotations

import copy
import socket
from pathlib import Path

import pytest
import yaml

from auditor.collectors.k8s.live import LISTS, collect_cluster
from auditor.collectors.k8s.manifests import load_manifests, manifest_files, read_objects
from auditor.model.snapshot import InputError
from tests.k8s.fake_api import FakeApi, kubeconfig, list_path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ROOT / "samples" / "estates" / "production" / "manifests"

# Running pods and the ReplicaSet between them and their Deployment, as the API returns them.
RUNNING = """
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: analytics-6d4cf56db6
  namespace: analytics
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: analytics, controller: true, uid: u1}]
spec:
  replicas: 2
  template:
    metadata: {labels: {app: analytics, pod-template-hash: 6d4cf56db6}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000}
      containers:
        - {name: analytics, image: x, volumeMounts: [{name: data, mountPath: /data}]}
      volumes: [{name: data, persistentVolumeClaim: {claimName: analytics-data}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: analytics-6d4cf56db6-7xk2p
  namespace: analytics
  labels: {app: analytics, pod-template-hash: 6d4cf56db6}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: analytics-6d4cf56db6, controller: true, uid: u2}]
spec:
  serviceAccountName: default
  securityContext: {runAsNonRoot: true, runAsUser: 1000}
  containers:
    - name: analytics
      image: x
      volumeMounts:
        - {name: data, mountPath: /data}
        - {name: kube-api-access-9zq4v, mountPath: /var/run/secrets/kubernetes.io/serviceaccount, readOnly: true}
  volumes:
    - {name: data, persistentVolumeClaim: {claimName: analytics-data}}
    - {name: kube-api-access-9zq4v, projected: {sources: [{serviceAccountToken: {path: token}}]}}
status: {phase: Running, podIP: 10.0.1.23}
"""


def sample_objects() -> list[dict]:
    objs = [obj for path, label in manifest_files([PRODUCTION]) for obj, *_ in read_objects(path, label)]
    return objs + [d for d in yaml.safe_load_all(RUNNING) if d]


def without_sources(cluster):
    return cluster.model_copy(
        update={
            "workloads": [
                w.model_copy(update={"source_file": None, "source_line": None}) for w in cluster.workloads
            ]
        }
    )


@pytest.fixture
def api():
    with FakeApi(sample_objects()) as server:
        yield server


def test_live_equals_manifests_for_the_same_objects(api, tmp_path):
    snap = collect_cluster(kubeconfig=kubeconfig(tmp_path, api.url), page_size=2)
    manifests_dir = tmp_path / "same"
    manifests_dir.mkdir()
    (manifests_dir / "all.yaml").write_text(yaml.safe_dump_all(copy.deepcopy(sample_objects())))
    offline = load_manifests([manifests_dir], "prod-eks")
    assert snap.issues == [] and offline.issues == []
    assert without_sources(snap.clusters[0]) == without_sources(offline.clusters[0])
    assert {(w.kind, w.namespace, w.name) for w in snap.clusters[0].workloads} == {
        ("CronJob", "reporting", "report-builder"),
        ("DaemonSet", "kube-system", "efs-csi-node"),
        ("Deployment", "analytics", "analytics"),
        ("Deployment", "kube-system", "efs-csi-controller"),
        ("Deployment", "web", "web"),
        ("Pod", "legacy", "legacy-sync"),
    }  # the running pod folded into analytics
    unit = snap.units[0]
    assert (unit.scope, unit.method, unit.collector) == ("k8s:prod-eks", "k8s-api", "kubeconfig context prod")


def test_every_list_is_cluster_wide_and_paginated(api, tmp_path):
    collect_cluster(kubeconfig=kubeconfig(tmp_path, api.url), page_size=2)
    paths = [p for p, _ in api.requests]
    assert set(paths) == {list_path(g, v, r) for g, v, r, *_ in LISTS}
    assert all(q.get("limit") == "2" for _, q in api.requests)
    pv_pages = [q for p, q in api.requests if p == "/api/v1/persistentvolumes"]
    assert [q.get("continue") for q in pv_pages] == [None, "2"]  # 3 PVs in pages of 2
    assert len([p for p, _ in api.requests if p == "/apis/apps/v1/deployments"]) == 2  # 3 Deployments


# One more object of every kind the sample has fewer than two of, so every list spans pages of one.
MORE = """
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: efs-static}
provisioner: efs.csi.aws.com
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: log-agent, namespace: kube-system}
spec:
  template:
    metadata: {labels: {app: log-agent}}
    spec:
      containers: [{name: agent, image: x}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-7c9f8d6b5
  namespace: web
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true, uid: u3}]
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: x}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cleanup, namespace: reporting}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: cleanup, image: x}]
""" + "".join(
    f"""
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: db-{n}, namespace: data}}
spec:
  serviceName: db-{n}
  template:
    metadata: {{labels: {{app: db-{n}}}}}
    spec:
      containers: [{{name: db, image: x}}]
---
apiVersion: batch/v1
kind: Job
metadata: {{name: migrate-{n}, namespace: web}}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{{name: migrate, image: x}}]
"""
    for n in (1, 2)
)


def test_every_list_follows_continue_tokens_to_its_last_page(tmp_path):
    objects = sample_objects() + [d for d in yaml.safe_load_all(MORE) if d]
    with FakeApi(objects) as api:
        snap = collect_cluster(kubeconfig=kubeconfig(tmp_path, api.url), page_size=1)
        sizes = {path: len(items) for path, items in api.items.items()}
    sent: dict[str, list] = {}
    for path, query in api.requests:
        sent.setdefault(path, []).append(query.get("continue"))
    assert set(sent) == set(sizes) == {list_path(g, v, r) for g, v, r, *_ in LISTS}
    assert min(sizes.values()) == 2
    # page k (k >= 1) is asked for with the token the server gave on page k - 1
    assert sent == {path: [None] + [str(k) for k in range(1, n)] for path, n in sizes.items()}
    assert all(q.get("limit") == "1" for _, q in api.requests)
    manifests_dir = tmp_path / "same"
    manifests_dir.mkdir()
    (manifests_dir / "all.yaml").write_text(yaml.safe_dump_all(copy.deepcopy(objects)))
    offline = load_manifests([manifests_dir], "prod-eks")
    assert snap.issues == [] and offline.issues == []
    assert without_sources(snap.clusters[0]) == without_sources(offline.clusters[0])
    c = snap.clusters[0]
    assert {s.name for s in c.storage_classes} == {"efs-ap", "efs-static"}
    assert {(w.kind, w.namespace, w.name) for w in c.workloads} == {
        ("CronJob", "reporting", "cleanup"),
        ("CronJob", "reporting", "report-builder"),
        ("DaemonSet", "kube-system", "efs-csi-node"),
        ("DaemonSet", "kube-system", "log-agent"),
        ("Deployment", "analytics", "analytics"),
        ("Deployment", "kube-system", "efs-csi-controller"),
        ("Deployment", "web", "web"),
        ("Job", "web", "migrate-1"),
        ("Job", "web", "migrate-2"),
        ("Pod", "legacy", "legacy-sync"),
        ("StatefulSet", "data", "db-1"),
        ("StatefulSet", "data", "db-2"),
    }


def test_forbidden_list_leaves_its_field_none_and_the_rest_collected(tmp_path):
    with FakeApi(sample_objects(), errors={"storageclasses": (403, "Forbidden")}) as api:
        snap = collect_cluster(kubeconfig=kubeconfig(tmp_path, api.url), page_size=2)
    c = snap.clusters[0]
    assert c.storage_classes is None
    assert [(i.scope, i.service, i.operation, i.resource_id, i.error_code) for i in snap.issues] == [
        ("k8s:prod-eks", "k8s", "list storageclasses", None, "Forbidden")
    ]
    assert 'cannot list resource "storageclasses"' in snap.issues[0].message
    assert {p.name for p in c.persistent_volumes} == {
        "pvc-5d1e7c0a-8f3b-4c2e-9a61-0a11c0de0005",
        "reporting-billing",
        "web-assets",
    }
    assert len(c.workloads) == 6 and c.csi_node is not None and len(c.service_accounts) == 2


def test_a_forbidden_workload_kind_makes_workloads_unknown_not_partial(tmp_path):
    with FakeApi(
        sample_objects(), errors={"cronjobs": (403, "Forbidden"), "daemonsets": (403, "Forbidden")}
    ) as api:
        snap = collect_cluster(kubeconfig=kubeconfig(tmp_path, api.url))
    c = snap.clusters[0]
    assert c.workloads is None and c.csi_node is None
    assert c.csi_controller is not None and c.csi_controller.deletes_access_point_root_dir
    assert {(i.operation, i.error_code) for i in snap.issues} == {
        ("list cronjobs", "Forbidden"),
        ("list daemonsets", "Forbidden"),
    }


def test_expired_continue_token_restarts_the_list(tmp_path):
    with FakeApi(sample_objects(), expire={"persistentvolumes"}) as api:
        snap = collect_cluster(kubeconfig=kubeconfig(tmp_path, api.url), page_size=2)
        pv_pages = [q.get("continue") for p, q in api.requests if p == "/api/v1/persistentvolumes"]
    assert pv_pages == [None, "2", None, "2"]
    assert len(snap.clusters[0].persistent_volumes) == 3 and snap.issues == []


def test_a_slow_list_times_out_alone(tmp_path, monkeypatch):
    monkeypatch.setattr("auditor.collectors.k8s.live.REQUEST_TIMEOUT", (5, 0.3))
    with FakeApi(sample_objects(), slow={"pods": 1.0}) as api:
        snap = collect_cluster(kubeconfig=kubeconfig(tmp_path, api.url))
    c = snap.clusters[0]
    assert c.workloads is None and c.persistent_volumes is not None and c.service_accounts is not None
    assert [(i.operation, i.error_code) for i in snap.issues] == [("list pods", "Timeout")]


def test_unreachable_server_gives_issues_and_no_data(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    snap = collect_cluster(
        kubeconfig=kubeconfig(tmp_path, f"http://127.0.0.1:{port}"), cluster_name="prod-eks"
    )
    c = snap.clusters[0]
    assert (
        c.persistent_volumes,
        c.persistent_volume_claims,
        c.storage_classes,
        c.workloads,
        c.service_accounts,
        c.csi_node,
        c.csi_controller,
    ) == (None,) * 7
    assert [i.operation for i in snap.issues] == [f"list {r}" for _, _, r, *_ in LISTS]
    assert {i.error_code for i in snap.issues} == {"Unreachable"}


def test_cluster_name_comes_from_the_context(api, tmp_path):
    config = kubeconfig(tmp_path, api.url)
    assert collect_cluster(kubeconfig=config).clusters[0].name == "prod-eks"  # EKS ARN -> name
    assert collect_cluster(kubeconfig=config, context="other").clusters[0].name == "staging"
    assert collect_cluster(kubeconfig=config, cluster_name="given").units[0].scope == "k8s:given"


def test_bad_kubeconfig_is_one_line_input_error(tmp_path):
    with pytest.raises(InputError) as err:
        collect_cluster(kubeconfig=str(tmp_path / "missing"))
    assert str(err.value).startswith("kubeconfig: ") and "\n" not in str(err.value)


def test_in_cluster_is_chosen_when_the_service_host_is_set(monkeypatch):
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.100.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    with pytest.raises(InputError) as err:  # no service account token here: the in-cluster loader says so
        collect_cluster(cluster_name="prod-eks")
    assert "token" in str(err.value).lower()
