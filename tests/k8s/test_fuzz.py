"""Whatever the files hold, load_manifests returns a Snapshot or raises InputError: never another
exception. YAML tags that would build Python objects are refused (safe loader)."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.collectors.k8s.manifests import load_manifests
from auditor.model.snapshot import InputError, Snapshot
from tests.conftest import examples

BASE = list(
    yaml.safe_load_all("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      securityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000, supplementalGroups: [3000]}
      initContainers: [{name: init, image: busybox, securityContext: {runAsUser: 0}}]
      containers:
        - name: web
          image: web:1
          securityContext: {runAsNonRoot: true, capabilities: {add: [NET_ADMIN], drop: [ALL]}}
          volumeMounts: [{name: d, mountPath: /d, subPath: x, readOnly: true}]
      volumes:
        - {name: d, persistentVolumeClaim: {claimName: data}}
        - {name: n, nfs: {server: fs-0123456789abcdef0.efs.eu-west-1.amazonaws.com, path: /}}
        - {name: c, csi: {driver: efs.csi.aws.com, volumeAttributes: {encryptInTransit: "true"}}}
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: PersistentVolume
    metadata: {name: pv, annotations: {pv.kubernetes.io/provisioned-by: efs.csi.aws.com}}
    spec:
      accessModes: [ReadWriteMany]
      mountOptions: [tls, iam]
      claimRef: {namespace: shop, name: data}
      csi: {driver: efs.csi.aws.com, volumeHandle: "fs-0123456789abcdef0::fsap-0123456789abcdef0"}
  - apiVersion: v1
    kind: PersistentVolumeClaim
    metadata: {name: data, namespace: shop}
    spec: {storageClassName: efs-ap, volumeName: pv, accessModes: [ReadWriteMany]}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: efs-ap}
provisioner: efs.csi.aws.com
parameters: {provisioningMode: efs-ap, fileSystemId: fs-0123456789abcdef0}
mountOptions: [tls]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop, annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::1:role/r"}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: job, namespace: shop}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: j}]}}}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop, ownerReferences: [{kind: X, name: y, controller: true}]}
spec: {volumeClaimTemplates: [{metadata: {name: data}}], template: {spec: {containers: [{name: db}]}}}
""")
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, prefix + (i,))


ALL_PATHS = [(d, p) for d, doc in enumerate(BASE) for p in paths(doc) if p]


def mutate(docs, where, value, delete):
    docs = copy.deepcopy(docs)
    d, path = where
    node = docs[d]
    for key in path[:-1]:
        node = node[key]
    if delete and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return docs


def load_text(text: str | bytes, suffix: str = ".yaml"):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"m{suffix}"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        try:
            result = load_manifests([path], "fuzz")
        except InputError as exc:
            assert "\n" not in str(exc) and str(exc).startswith(str(path))
            return exc
        assert isinstance(result, Snapshot)
        return result


def test_the_base_documents_load():
    result = load_text(yaml.safe_dump_all(BASE))
    assert isinstance(result, Snapshot)
    assert {(w.kind, w.name) for w in result.clusters[0].workloads} == {
        ("Deployment", "web"),
        ("CronJob", "job"),
        ("StatefulSet", "db"),
    }


@settings(max_examples=examples(250), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(ALL_PATHS), values, st.booleans()), min_size=1, max_size=4),
    st.sampled_from([".yaml", ".json"]),
)
def test_mutated_documents_load_or_raise_input_error(mutations, suffix):
    docs = BASE
    for where, value, delete in mutations:
        try:
            docs = mutate(docs, where, value, delete)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced the parent
    if suffix == ".json":
        text = json.dumps({"apiVersion": "v1", "kind": "List", "items": docs})
    else:
        text = yaml.safe_dump_all(docs)
    load_text(text, suffix)


@settings(max_examples=examples(300), deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
        st.lists(
            st.sampled_from(
                [
                    "---\n",
                    "kind: Pod\n",
                    "apiVersion: v1\n",
                    "metadata:\n",
                    "  name: x\n",
                    "spec: [\n",
                    "- 1\n",
                    "items:\n",
                    "kind: List\n",
                    "&a [*a]\n",
                    "!!binary x\n",
                    "? [a]\n: b\n",
                    "\t",
                    ": ",
                    "'",
                    "{",
                    "}\n",
                    "...\n",
                    "%YAML 1.1\n",
                ]
            ),
            max_size=12,
        ).map("".join),
    )
)
def test_random_text_loads_or_raises_input_error(text):
    load_text(text)


@settings(max_examples=examples(100), deadline=None)
@given(st.binary(max_size=100))
def test_random_bytes_load_or_raise_input_error(data):
    load_text(data)
    load_text(data, ".json")


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object/apply:os.system ['touch /tmp/efs-audit-owned']\n",
        "apiVersion: v1\nkind: Pod\nmetadata: !!python/object:object {}\n",
        "kind: List\nitems:\n- !!python/name:os.system\n",
        "a: !!python/object/new:subprocess.Popen [[id]]\n",
    ],
)
def test_python_tags_are_refused(text):
    result = load_text(text)
    assert isinstance(result, InputError) and "could not determine a constructor" in str(result)
    assert not Path("/tmp/efs-audit-owned").exists()


def test_deep_nesting_and_alias_bombs():
    assert isinstance(load_text("[" * 20000), InputError)
    assert isinstance(load_text("[" * 20000, ".json"), InputError)
    bomb = "a: &a {kind: Pod, metadata: {name: p}}\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)
    )
    result = load_text(bomb + "kind: List\nitems: *j\n")  # 9**9 pods once expanded
    assert isinstance(result, InputError) and "YAML aliases expand to more than" in str(result)
    result = load_text("a: &a [*a]\n")  # a list that contains itself
    assert isinstance(result, InputError) and "YAML aliases expand" in str(result)
