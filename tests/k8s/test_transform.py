"""cluster_from_objects: folding pods into their controllers, CSI driver detection, what is kept
and what never is, and issues instead of exceptions for objects read from the API."""

from __future__ import annotations

import yaml

from auditor.collectors.k8s.transform import cluster_from_objects

OBJECTS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 0
  template:
    spec:
      securityContext: {runAsUser: 1000, runAsGroup: 1000}
      containers: [{name: web, image: web:1, volumeMounts: [{name: d, mountPath: /d}]}]
      volumes: [{name: d, persistentVolumeClaim: {claimName: web-data}}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-7f9c
  namespace: shop
  ownerReferences: [{kind: Deployment, name: web, controller: true}]
spec: {template: {spec: {containers: [{name: web}]}}}
---
# runs what the Deployment says (plus an injected sidecar and token volume): folded
apiVersion: v1
kind: Pod
metadata:
  name: web-7f9c-a
  namespace: shop
  ownerReferences: [{kind: ReplicaSet, name: web-7f9c, controller: true}]
spec:
  serviceAccountName: default
  securityContext: {runAsUser: 1000, runAsGroup: 1000}
  containers:
    - {name: web, image: web:1, volumeMounts: [{name: d, mountPath: /d}, {name: tok, mountPath: /t}]}
    - {name: istio-proxy, image: proxy, securityContext: {runAsUser: 1337}}
  volumes: [{name: d, persistentVolumeClaim: {claimName: web-data}}, {name: tok, projected: {}}]
---
# a webhook changed its identity: kept as its own workload
apiVersion: v1
kind: Pod
metadata:
  name: web-7f9c-b
  namespace: shop
  ownerReferences: [{kind: ReplicaSet, name: web-7f9c, controller: true}]
spec:
  securityContext: {runAsUser: 0}
  containers: [{name: web, image: web:1, volumeMounts: [{name: d, mountPath: /d}]}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: web-data}}]
---
# owner not collected
apiVersion: v1
kind: Pod
metadata:
  name: orphan
  namespace: shop
  ownerReferences: [{kind: ReplicaSet, name: gone-123, controller: true}]
spec:
  containers: [{name: c}]
  volumes: [{name: scratch, ephemeral: {volumeClaimTemplate: {spec: {storageClassName: efs-ap}}}}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: ops}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: job, volumeMounts: [{name: n, mountPath: /n}]}]
          volumes: [{name: n, nfs: {server: fs-0123456789abcdef0.efs.eu-west-1.amazonaws.com, path: /}}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: nightly-29000000
  namespace: ops
  ownerReferences: [{kind: CronJob, name: nightly, controller: true}]
spec: {template: {spec: {containers: [{name: job}]}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: nightly-29000000-x
  namespace: ops
  ownerReferences: [{kind: Job, name: nightly-29000000, controller: true}]
spec:
  containers: [{name: job, volumeMounts: [{name: n, mountPath: /n}]}]
  volumes: [{name: n, nfs: {server: fs-0123456789abcdef0.efs.eu-west-1.amazonaws.com, path: /}}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: one-off, namespace: ops}
spec: {template: {spec: {containers: [{name: job}]}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  replicas: 3
  volumeClaimTemplates: [{metadata: {name: data}, spec: {storageClassName: efs-ap}}]
  template:
    spec:
      containers: [{name: db, volumeMounts: [{name: data, mountPath: /var/lib/db}]}]
---
apiVersion: v1
kind: Pod
metadata:
  name: db-1
  namespace: shop
  ownerReferences: [{kind: StatefulSet, name: db, controller: true}]
spec:
  containers: [{name: db, volumeMounts: [{name: data, mountPath: /var/lib/db}]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data-db-1}}]
---
# the driver under other names (an operator-managed install), found by image and argument
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: storage-efs-node, namespace: storage}
spec:
  template:
    spec:
      serviceAccountName: efs-node
      containers:
        - {name: registrar, image: csi-node-driver-registrar:v2}
        - {name: plugin, image: public.ecr.aws/efs-csi-driver/amazon/aws-efs-csi-driver:v3.0.1, args: [node, --v=2],
           env: [{name: AWS_SECRET_ACCESS_KEY, value: never-in-the-model}]}
---
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: efs.csi.aws.com}
spec: {attachRequired: false}
"""


def build():
    return cluster_from_objects("c1", [(d, None, None) for d in yaml.safe_load_all(OBJECTS) if d])


def test_pods_fold_into_their_top_controller_unless_they_run_differently():
    cluster, issues = build()
    assert issues == []
    assert {(w.kind, w.namespace, w.name) for w in cluster.workloads} == {
        ("Deployment", "shop", "web"),
        ("Pod", "shop", "web-7f9c-b"),
        ("Pod", "shop", "orphan"),
        ("CronJob", "ops", "nightly"),
        ("Job", "ops", "one-off"),
        ("StatefulSet", "shop", "db"),
        ("DaemonSet", "storage", "storage-efs-node"),
    }
    wl = {w.name: w for w in cluster.workloads}
    assert wl["web"].replicas == 0
    assert wl["web-7f9c-b"].template.security_context.run_as_user == 0
    assert [(v.name, v.claim_name) for v in wl["orphan"].template.volumes] == [("scratch", "orphan-scratch")]
    assert [(v.name, v.claim_name) for v in wl["db"].template.volumes] == [("data", "data-db-0")]
    assert wl["nightly"].template.volumes[0].nfs.server == "fs-0123456789abcdef0.efs.eu-west-1.amazonaws.com"


def test_csi_node_found_by_image_and_argument_and_secrets_never_kept():
    cluster, _ = build()
    node = cluster.csi_node
    assert (node.kind, node.namespace, node.name, node.service_account, node.args) == (
        "DaemonSet",
        "storage",
        "storage-efs-node",
        "efs-node",
        ["node", "--v=2"],
    )
    assert node.image == "public.ecr.aws/efs-csi-driver/amazon/aws-efs-csi-driver:v3.0.1"
    assert cluster.csi_controller is None
    text = cluster.model_dump_json()
    assert "never-in-the-model" not in text and "AWS_SECRET_ACCESS_KEY" not in text


def test_bad_objects_from_the_api_become_issues_and_the_rest_is_read():
    good = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a", "namespace": "x"}}
    bad = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "x"},
        "spec": {"securityContext": {"runAsUser": "root"}},
    }
    cluster, issues = cluster_from_objects("c1", [(good, None, None), (bad, None, None), (bad, None, None)])
    assert [s.name for s in cluster.service_accounts] == ["a"]
    assert cluster.workloads == []
    assert [(i.scope, i.service, i.operation, i.resource_id, i.error_code, i.message) for i in issues] == [
        (
            "k8s:c1",
            "k8s",
            "read Pod",
            "k8s://c1/x/Pod/p",
            "InvalidObject",
            "spec.securityContext.runAsUser: expected an integer, found 'root'",
        )
    ] * 2


def test_unknown_kinds_and_empty_input():
    cluster, issues = cluster_from_objects("c1", [({"kind": "ConfigMap", "data": {"k": "v"}}, None, None)])
    assert (cluster.workloads, cluster.persistent_volumes, cluster.csi_node, issues) == ([], [], None, [])
