"""Manifest files as people have them: kubectl dumps (List, status, managedFields), multi-document
YAML with empty documents, Helm output, JSON; and one-line InputErrors naming file, document, line
and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.collectors.k8s.manifests import load_manifests
from auditor.model.snapshot import InputError

ROOT = Path(__file__).resolve().parents[2]
ESTATES = ROOT / "samples" / "estates"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def keys(cluster) -> dict[str, set]:
    return {
        "workloads": {(w.kind, w.namespace, w.name) for w in cluster.workloads},
        "pvs": {p.name for p in cluster.persistent_volumes},
        "pvcs": {(p.namespace, p.name, p.volume_name) for p in cluster.persistent_volume_claims},
        "scs": {s.name for s in cluster.storage_classes},
        "sas": {(s.namespace, s.name, s.irsa_role_arn) for s in cluster.service_accounts},
    }


def test_production_sample_reads_every_object():
    snap = load_manifests([ESTATES / "production" / "manifests"], "prod-eks")
    (c,) = snap.clusters
    role = "arn:aws:iam::123456789012:role/efs-csi-driver"
    assert keys(c) == {
        "workloads": {
            ("CronJob", "reporting", "report-builder"),
            ("DaemonSet", "kube-system", "efs-csi-node"),
            ("Deployment", "analytics", "analytics"),
            ("Deployment", "kube-system", "efs-csi-controller"),
            ("Deployment", "web", "web"),
            ("Pod", "legacy", "legacy-sync"),
        },
        "pvs": {"pvc-5d1e7c0a-8f3b-4c2e-9a61-0a11c0de0005", "reporting-billing", "web-assets"},
        "pvcs": {
            ("analytics", "analytics-data", "pvc-5d1e7c0a-8f3b-4c2e-9a61-0a11c0de0005"),
            ("reporting", "reporting-billing", "reporting-billing"),
            ("web", "web-assets", "web-assets"),
        },
        "scs": {"efs-ap"},
        "sas": {("kube-system", "efs-csi-controller-sa", role), ("kube-system", "efs-csi-node-sa", role)},
    }
    (unit,) = snap.units
    assert (unit.scope, unit.method, unit.services) == ("k8s:prod-eks", "k8s-manifests", ["k8s"])
    assert snap.issues == []
    assert (c.csi_node.service_account, c.csi_controller.service_account) == (
        "efs-csi-node-sa",
        "efs-csi-controller-sa",
    )
    assert c.csi_controller.deletes_access_point_root_dir and not c.csi_node.deletes_access_point_root_dir
    by_name = {w.name: w for w in c.workloads}
    assert (by_name["analytics"].source_file, by_name["analytics"].source_line) == (
        "manifests/analytics/analytics.yaml",
        10,
    )
    assert (by_name["efs-csi-node"].source_file, by_name["efs-csi-node"].source_line) == (
        "manifests/kube-system/aws-efs-csi-driver.yaml",
        29,
    )
    sc = by_name["analytics"].template.security_context
    assert (sc.run_as_non_root, sc.run_as_user, sc.run_as_group) == (True, 1000, None)  # edge 26
    pvs = {p.name: p for p in c.persistent_volumes}
    assert pvs["reporting-billing"].csi.volume_attributes == {"encryptInTransit": "false"}
    assert pvs["pvc-5d1e7c0a-8f3b-4c2e-9a61-0a11c0de0005"].provisioned_by == "efs.csi.aws.com"
    legacy = by_name["legacy-sync"].template
    assert (
        legacy.security_context is None
        and legacy.volumes[0].nfs.server == "fs-0a11c0de000000002.efs.eu-west-1.amazonaws.com"
    )


@pytest.mark.parametrize(
    "estate,cluster,count", [("wellconfigured", "secure-eks", 3), ("hostile", "hostile-eks", 15)]
)
def test_other_samples_load(estate, cluster, count):
    snap = load_manifests([ESTATES / estate / "manifests"], cluster)
    assert len(snap.clusters[0].workloads) == count and snap.issues == []


def test_hostile_sample_has_one_object_set_per_edge_case():
    c = load_manifests([ESTATES / "hostile" / "manifests"], "hostile-eks").clusters[0]
    pvs = {p.name: p for p in c.persistent_volumes}
    assert pvs["pass-ap-in-mount-options"].mount_options == [
        "accesspoint=fsap-0c33c0de0000000c1",
        "tls",
    ]  # edge 28
    assert pvs["pass-ap-in-mount-options"].csi.volume_handle == "fs-0c33c0de000000001"
    assert pvs["iam-node-identity"].mount_options == ["tls", "iam"]
    scs = {s.name: s.parameters for s in c.storage_classes}
    assert scs["reuse-ap"]["reuseAccessPoint"] == "true"  # edge 30
    assert scs["shared-ns-dir"]["subPathPattern"] == "/${.PVC.namespace}"  # edge 31
    pods = {w.name: w.template for w in c.workloads if w.kind == "Pod"}
    assert pods["fsgroup-2000"].security_context.fs_group == 2000  # edge 34
    assert pods["supplemental-6000"].security_context.supplemental_groups == [6000]  # edge 36
    assert pods["fail-image-default-root"].security_context is None
    assert (
        c.csi_node is not None
        and {s.name: s.irsa_role_arn for s in c.service_accounts}["efs-csi-node-sa"] is None
    )


KUBECTL_LIST = """apiVersion: v1
items:
- apiVersion: v1
  kind: PersistentVolumeClaim
  metadata:
    creationTimestamp: "2026-09-14T08:12:51Z"
    managedFields:
    - apiVersion: v1
      fieldsType: FieldsV1
      fieldsV1: {f:spec: {f:accessModes: {}}}
      manager: kubectl-client-side-apply
      operation: Update
    name: data
    namespace: team-a
    uid: 1f0e
  spec:
    accessModes: [ReadWriteMany]
    storageClassName: efs-ap
    volumeName: pvc-1f0e
  status:
    phase: Bound
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: api
    namespace: team-a
  spec:
    replicas: 0
    template:
      spec:
        initContainers:
        - name: fix-perms
          image: busybox
          securityContext: {runAsUser: 0}
          volumeMounts: [{name: data, mountPath: /data}]
        containers:
        - name: api
          image: api:1
          env: [{name: DB_PASSWORD, value: hunter2-do-not-keep}]
          securityContext:
            runAsUser: "1000"
kind: List
metadata:
  resourceVersion: ""
"""


def test_kubectl_list_error_names_the_item_and_its_line(tmp_path):
    write(tmp_path, "dump.yaml", KUBECTL_LIST)
    with pytest.raises(InputError) as err:
        load_manifests([tmp_path / "dump.yaml"], "c")
    assert str(err.value) == (
        f"{tmp_path / 'dump.yaml'}: document 1 (line 22): items[1].spec.template.spec."
        "containers[0].securityContext.runAsUser: expected an integer, found '1000'"
    )


def test_kubectl_list_with_status_and_managed_fields(tmp_path):
    write(tmp_path, "dump.yaml", KUBECTL_LIST.replace('runAsUser: "1000"', "runAsUser: 1000"))
    snap = load_manifests([tmp_path / "dump.yaml"], "c")
    (c,) = snap.clusters
    assert keys(c)["workloads"] == {("Deployment", "team-a", "api")}
    assert keys(c)["pvcs"] == {("team-a", "data", "pvc-1f0e")}
    (api,) = c.workloads
    assert api.replicas == 0 and api.source_line == 22  # replicas 0 still counts
    init, main = api.template.containers
    assert (init.name, init.init, init.security_context.run_as_user) == ("fix-perms", True, 0)
    assert init.volume_mounts == []  # "data" is not a volume of the pod: nothing to mount
    assert (main.name, main.init) == ("api", False)
    assert "hunter2" not in snap.model_dump_json() and "DB_PASSWORD" not in snap.model_dump_json()


HELM = """---
# Source: app/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/app
---
# Source: app/templates/disabled.yaml
---
# Source: app/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      serviceAccountName: app
      containers: [{name: app, image: app:1, securityContext: {runAsUser: root}}]
...
---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [x.yaml]
"""


def test_helm_output_with_source_comments_and_empty_documents(tmp_path):
    write(tmp_path, "chart/out.yaml", HELM.replace("runAsUser: root", "runAsUser: 1000"))
    c = load_manifests([tmp_path / "chart"], "c").clusters[0]
    assert keys(c)["workloads"] == {("Deployment", "default", "app")}  # no namespace in the manifest: default
    assert keys(c)["sas"] == {("default", "app", "arn:aws:iam::111122223333:role/app")}
    (app,) = c.workloads
    assert (app.source_file, app.source_line, app.template.service_account_name) == (
        "chart/out.yaml",
        13,
        "app",
    )


def test_helm_error_counts_empty_documents(tmp_path):
    write(tmp_path, "chart/out.yaml", HELM)
    with pytest.raises(InputError) as err:
        load_manifests([tmp_path / "chart"], "c")
    assert str(err.value) == (
        "chart/out.yaml: document 3 (line 13): spec.template.spec.containers[0]."
        "securityContext.runAsUser: expected an integer, found 'root'"
    )


def test_json_list_from_kubectl_get_o_json(tmp_path):
    doc = {
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": ""},
        "items": [
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": "pv1"},
                "spec": {"csi": {"driver": "efs.csi.aws.com", "volumeHandle": "fs-0123456789abcdef0:/a"}},
            },
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p", "namespace": "n"},
                "spec": {"containers": [{"name": "c"}]},
            },
        ],
    }
    write(tmp_path, "all.json", json.dumps(doc, indent=4))
    c = load_manifests([tmp_path / "all.json"], "c").clusters[0]
    assert keys(c)["pvs"] == {"pv1"}
    (pod,) = c.workloads
    assert (pod.kind, pod.source_line) == ("Pod", 21)


def test_typed_list_from_the_api_gives_its_items_their_kind(tmp_path):
    doc = {
        "kind": "PodList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": "1"},
        "items": [{"metadata": {"name": "p", "namespace": "n"}, "spec": {"containers": [{"name": "c"}]}}],
    }
    write(tmp_path, "pods.json", json.dumps(doc))
    assert keys(load_manifests([tmp_path / "pods.json"], "c").clusters[0])["workloads"] == {("Pod", "n", "p")}


def test_folders_are_read_recursively_in_sorted_order_and_other_files_ignored(tmp_path):
    write(
        tmp_path, "m/b/two.yml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: b, namespace: x}\n"
    )
    write(tmp_path, "m/a.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: x}\n")
    write(tmp_path, "m/README.md", "not yaml: [")
    snap = load_manifests([tmp_path / "m"], "c")
    assert keys(snap.clusters[0])["sas"] == {("x", "a", None), ("x", "b", None)}
    assert snap.units[0].collector == str(tmp_path / "m")


@pytest.mark.parametrize(
    "name,text,message",
    [
        (
            "bad.yaml",
            "a: [1, 2\n",
            "bad.yaml: line 2 column 1: not valid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        (
            "list.yaml",
            "- 1\n- 2\n",
            "list.yaml: document 1 (line 1): expected a Kubernetes object (a mapping), found a list",
        ),
        (
            "kind.yaml",
            "kind: [Pod]\n",
            "kind.yaml: document 1 (line 1): kind: expected a string, found a list",
        ),
        (
            "name.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {namespace: x}\n",
            "name.yaml: document 1 (line 1): metadata.name: missing",
        ),
        (
            "tag.yaml",
            "!!python/object/apply:os.system ['echo owned']\n",
            "tag.yaml: line 1 column 1: not valid YAML: could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/object/apply:os.system'",
        ),
        ("bad.json", '{"kind": }', "bad.json: not valid JSON: Expecting value at line 1 column 10"),
        (
            "sg.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {securityContext: {supplementalGroups: [1, x]}}\n",
            "sg.yaml: document 1 (line 1): spec.securityContext.supplementalGroups[1]: expected an integer, found 'x'",
        ),
        (
            "attr.yaml",
            "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: p}\nspec: {csi: {driver: d, volumeHandle: "
            "h, volumeAttributes: {encryptInTransit: false}}}\n",
            "attr.yaml: document 1 (line 1): spec.csi.volumeAttributes.encryptInTransit: expected a string, found a boolean",
        ),
        (
            "neg.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {securityContext: {runAsUser: -1}}\n",
            "neg.yaml: document 1 (line 1): spec.securityContext.runAsUser: expected an integer from 0 to 2147483647, found -1",
        ),
    ],
)
def test_bad_input_is_one_input_error_line(tmp_path, monkeypatch, name, text, message):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, name, text)
    with pytest.raises(InputError) as err:
        load_manifests([Path(name)], "c")
    assert str(err.value) == message


def test_missing_paths_and_empty_folders(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        load_manifests([tmp_path / "nope"], "c")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"no \*\.yaml, \*\.yml or \*\.json files"):
        load_manifests([tmp_path / "empty"], "c")


def test_the_same_object_twice_is_an_error(tmp_path):
    sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: x}\n"
    write(tmp_path, "m/one.yaml", sa)
    write(tmp_path, "m/two.yaml", "---\n" + sa)
    with pytest.raises(InputError) as err:
        load_manifests([tmp_path / "m"], "c")
    assert (
        str(err.value)
        == "m/two.yaml (line 2): ServiceAccount x/a is defined twice (first in m/one.yaml line 1)"
    )


def test_kinds_of_other_api_groups_are_ignored(tmp_path):
    write(
        tmp_path,
        "crd.yaml",
        "apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\nmetadata: {name: j}\n"
        "spec: {tasks: [{template: {spec: {containers: 7}}}]}\n",
    )
    assert load_manifests([tmp_path / "crd.yaml"], "c").clusters[0].workloads == []
