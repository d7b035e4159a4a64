"""Reviewed files -> one declared Snapshot.

Each file is recognised by its content: a CloudFormation/SAM template (YAML or JSON), a Terraform
plan (``terraform show -json``), an ECS task definition JSON, a Lambda function configuration JSON,
or Kubernetes manifests / Helm output (read by the manifest collector). Every declared resource's
file and line is recorded in ``Snapshot.declared_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from auditor.model.ids import k8s_id
from auditor.model.snapshot import InputError, Snapshot, describe_validation_error
from auditor.review import api_json, cfn, terraform
from auditor.review.build import Sink
from auditor.review.loader import documents, input_files, kind_of, line_of, read_text
from auditor.review.values import FieldError

READERS = {
    "cloudformation": lambda docs, label, sink: [
        cfn.read(d, label, sink) for d in docs if isinstance(d, dict)
    ],
    "terraform": lambda docs, label, sink: terraform.read(docs[0], label, sink),
    "ecs-task-definition": lambda docs, label, sink: api_json.read_task_definition(docs[0], label, sink),
    "lambda": lambda docs, label, sink: api_json.read_lambda(docs[0], label, sink),
}
CLUSTER_SCOPED = {
    "PersistentVolume",
    "StorageClass",
    "Namespace",
    "CSIDriver",
    "ClusterRole",
    "ClusterRoleBinding",
}


def load_declared(
    paths: Sequence[Path],
    account: str | None = None,
    region: str | None = None,
    cluster: str = "review",
    live: Snapshot | None = None,
) -> Snapshot:
    """The resources the files declare, as deploying them would create them; a change to a resource of the
    live snapshot (a policy on a live role) declares that resource as changed."""
    sink = Sink(account, region, live)
    k8s_files: list[tuple[Path, str, list]] = []
    for path, label in input_files(paths):
        text = read_text(path, label)
        docs = documents(path, label, text)
        kind = kind_of(docs)
        if kind is None:
            if all(d is None for d in docs):
                raise InputError(
                    f"{label}:1: empty: no template, plan, task definition, function configuration "
                    "or manifest in this file"
                )
            raise InputError(
                f"{label}:1: not a CloudFormation template, Terraform plan JSON, ECS task definition, "
                "Lambda function configuration or Kubernetes manifest"
            )
        sink.sources.append(label)
        if kind == "kubernetes":
            k8s_files.append((path, label, docs))
            continue
        try:
            READERS[kind](docs, label, sink)
        except FieldError as exc:  # a shape error outside any one resource
            raise InputError(f"{label}: {exc}") from None
        except ValidationError as exc:
            raise InputError(f"{label}: {describe_validation_error(exc)}") from None
    snap = sink.snapshot()
    if k8s_files:
        snap = _with_kubernetes(snap, k8s_files, cluster)
    return snap


def _with_kubernetes(snap: Snapshot, files: list[tuple[Path, str, list]], cluster: str) -> Snapshot:
    from auditor.collectors.k8s.manifests import load_manifests

    k8s = load_manifests([p for p, _, _ in files], cluster)
    labels = {str(p): label for p, label, _ in files}
    declared = dict(snap.declared_at)
    for _path, label, docs in files:
        for doc in docs:
            for obj in _objects(doc):
                meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
                kind, name = obj.get("kind"), meta.get("name")
                if not isinstance(kind, str) or not isinstance(name, str):
                    continue
                ns = None if kind in CLUSTER_SCOPED else str(meta.get("namespace") or "default")
                declared.setdefault(k8s_id(cluster, ns, kind, name), f"{label}:{line_of(obj, 1)}")
    for c in k8s.clusters:
        for wl in c.workloads or []:
            if wl.source_file:
                source = labels.get(wl.source_file, wl.source_file)
                declared[k8s_id(c.name, wl.namespace, wl.kind, wl.name)] = f"{source}:{wl.source_line or 1}"
    units = (
        snap.units
        if snap.file_systems
        or snap.roles
        or snap.task_definitions
        or snap.lambda_functions
        or snap.access_points
        or snap.security_groups
        or snap.ecs_services
        else []
    )
    units = list(units) + [u.model_copy(update={"method": "declared"}) for u in k8s.units]
    return snap.model_copy(
        update={
            "units": units,
            "issues": [*snap.issues, *k8s.issues],
            "clusters": k8s.clusters,
            "declared_at": dict(sorted(declared.items())),
        }
    )


def _objects(doc):
    if not isinstance(doc, dict):
        return
    if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
        for item in doc["items"]:
            if isinstance(item, dict):
                yield item
    else:
        yield doc
