"""Raw Kubernetes objects -> the ``K8sCluster`` model. Pure: no I/O.

Used by both collectors: the manifest reader (files) and the live collector (API list calls), so
the same objects give the same cluster whichever way they were read.

Folding (efs-semantics.md §6, §9): pods owned by a collected controller (directly, or through a
ReplicaSet owned by a Deployment, or a Job owned by a CronJob) are folded into that controller
when they run the controller's identities; a pod whose identity-relevant spec differs from its
controller's template (a mutating webhook changed a securityContext, an old revision still
running) is kept as its own ``Workload(kind="Pod")`` so what actually runs is audited. Bare pods
and pods whose owner was not collected are ``Workload(kind="Pod")``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from auditor.collectors.k8s.fields import (
    FieldError,
    Node,
    controller_owner,
    csi_source,
    meta,
    nfs_source,
    pod_template,
)
from auditor.model.ids import k8s_id
from auditor.model.k8s import (
    IRSA_ANNOTATION,
    CsiComponent,
    K8sCluster,
    PersistentVolume,
    PersistentVolumeClaim,
    PodTemplate,
    ServiceAccount,
    StorageClass,
    Workload,
)
from auditor.model.scope import k8s_scope
from auditor.model.snapshot import CollectionIssue, InputError

DRIVER_IMAGE = "aws-efs-csi-driver"
CSI_NODE_NAME = "efs-csi-node"
CSI_CONTROLLER_NAME = "efs-csi-controller"

# (API group, kind) read; apiVersion "v1" is the core group "". Other groups' kinds of the same
# name (a CRD called Job, say) are not these objects and are ignored. CSIDriver is recognised but
# the model keeps nothing of it (no field for fsGroupPolicy), so it is read and dropped.
KINDS = {
    ("", "PersistentVolume"),
    ("", "PersistentVolumeClaim"),
    ("", "Pod"),
    ("", "ServiceAccount"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("apps", "ReplicaSet"),
    ("extensions", "Deployment"),
    ("extensions", "DaemonSet"),
    ("extensions", "ReplicaSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
}
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")


@dataclass
class Draft:
    """A workload before folding, with what CSI detection needs (container images and args)."""

    workload: Workload
    owner: tuple[str, str] | None
    images_args: list[tuple[str | None, list[str]]] = field(default_factory=list)


def api_group(obj: dict) -> str | None:
    version = obj.get("apiVersion")
    if not isinstance(version, str):
        return None
    return version.split("/", 1)[0] if "/" in version else ""


def recognised(obj: dict) -> bool:
    kind = obj.get("kind")
    if not isinstance(kind, str):
        return False
    group = api_group(obj)
    return (group, kind) in KINDS if group is not None else any(k == kind for _, k in KINDS)


def parse_object(obj: dict) -> object | None:
    """One object -> its model (or a ``Draft`` for workloads); None for kinds not read.
    Raises ``FieldError`` naming the field when a read field has the wrong type."""
    if not isinstance(obj, dict) or not recognised(obj):
        return None
    kind = obj["kind"]
    root = Node(obj)
    spec = root.get("spec").mapping()
    if kind == "PersistentVolume":
        _, name, labels, ann = meta(root, namespaced=False)
        claim = spec.get("claimRef").mapping()
        return PersistentVolume(
            name=name,
            storage_class_name=spec.get("storageClassName").str(),
            access_modes=spec.get("accessModes").str_list(),
            mount_options=spec.get("mountOptions").str_list(),
            csi=csi_source(spec.get("csi"), with_handle=True),
            nfs=nfs_source(spec.get("nfs")),
            claim_namespace=claim.get("namespace").str(),
            claim_name=claim.get("name").str(),
            provisioned_by=ann.mapping().get("pv.kubernetes.io/provisioned-by").str(),
            labels=labels,
        )
    if kind == "PersistentVolumeClaim":
        ns, name, labels, _ = meta(root, namespaced=True)
        return PersistentVolumeClaim(
            namespace=ns,
            name=name,
            storage_class_name=spec.get("storageClassName").str(),
            volume_name=spec.get("volumeName").str(),
            access_modes=spec.get("accessModes").str_list(),
            labels=labels,
        )
    if kind == "StorageClass":
        _, name, _, _ = meta(root, namespaced=False)
        return StorageClass(
            name=name,
            provisioner=root.get("provisioner").str(),
            parameters=root.get("parameters").str_map(),
            mount_options=root.get("mountOptions").str_list(),
        )
    if kind == "ServiceAccount":
        ns, name, _, ann = meta(root, namespaced=True)
        return ServiceAccount(namespace=ns, name=name, irsa_role_arn=ann.mapping().get(IRSA_ANNOTATION).str())
    if kind == "CSIDriver":
        meta(root, namespaced=False)
        return None
    return _workload(kind, root, spec)


def _workload(kind: str, root: Node, spec: Node) -> Draft:
    ns, name, labels, _ = meta(root, namespaced=True)
    replicas = None
    claims: list[tuple[str, str]] = []
    if kind == "Pod":
        template_node = root
    elif kind == "CronJob":
        template_node = spec.get("jobTemplate").mapping().get("spec").mapping().get("template").mapping()
    else:
        template_node = spec.get("template").mapping()
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        replicas = spec.get("replicas").int(0, 2**31 - 1)
    if kind == "StatefulSet":
        for ct in spec.get("volumeClaimTemplates").items():
            cname = ct.get("metadata").mapping().get("name").str(required=True)
            claims.append((cname, f"{cname}-{name}-0"))  # type: ignore[arg-type]
    template = pod_template(template_node, pod_name=name if kind == "Pod" else None, claim_templates=claims)
    images_args = []
    for c in template_node.get("spec").mapping().get("containers").items():
        images_args.append((c.get("image").str(), c.get("args").str_list() or []))
    wl = Workload(kind=kind, namespace=ns, name=name, labels=labels, replicas=replicas, template=template)
    return Draft(wl, controller_owner(root), images_args)


# --- assembling the cluster --------------------------------------------------------------------


def cluster_from_objects(
    name: str, objects: Iterable[tuple[dict, str | None, int | None]]
) -> tuple[K8sCluster, list[CollectionIssue]]:
    """Objects with their source (file, line; None, None from the API) -> the cluster and issues.

    A malformed object read from a file raises ``InputError``; one from the API becomes a
    ``CollectionIssue`` (the rest of the cluster is still read).
    """
    scope = k8s_scope(name)
    issues: list[CollectionIssue] = []
    found: dict[tuple[str, str, str], tuple[object, str | None, int | None]] = {}
    for obj, source, line in objects:
        try:
            parsed = parse_object(obj)
        except FieldError as exc:
            kind, ns, oname = _names(obj)
            if source is not None:
                at = f" (line {line})" if line else ""
                raise InputError(f"{source}{at}: {kind} {_label((kind, ns, oname))}: {exc}") from None
            issues.append(
                CollectionIssue(
                    scope=scope,
                    service="k8s",
                    operation=f"read {kind}",
                    resource_id=k8s_id(name, ns or None, kind, oname),
                    error_code="InvalidObject",
                    message=str(exc),
                )
            )
            continue
        if parsed is None:
            continue
        key = _key(parsed)
        if key in found:
            first = found[key][1:]
            if source is not None:
                raise InputError(
                    f"{source}{f' (line {line})' if line else ''}: {key[0]} {_label(key)} is defined "
                    f"twice (first in {first[0]}{f' line {first[1]}' if first[1] else ''})"
                )
            issues.append(
                CollectionIssue(
                    scope=scope,
                    service="k8s",
                    operation=f"read {key[0]}",
                    resource_id=k8s_id(name, key[1] or None, key[0], key[2]),
                    error_code="Duplicate",
                    message="listed twice; the first copy was kept",
                )
            )
            continue
        if isinstance(parsed, Draft):
            parsed.workload = parsed.workload.model_copy(update={"source_file": source, "source_line": line})
        found[key] = (parsed, source, line)
    by_kind: dict[str, list] = {}
    for (kind, _, _), (parsed, _, _) in sorted(found.items()):
        by_kind.setdefault(kind, []).append(parsed)
    drafts = [d for k in WORKLOAD_KINDS for d in by_kind.get(k, [])]
    cluster = K8sCluster(
        name=name,
        persistent_volumes=by_kind.get("PersistentVolume", []),
        persistent_volume_claims=by_kind.get("PersistentVolumeClaim", []),
        storage_classes=by_kind.get("StorageClass", []),
        workloads=fold(drafts),
        service_accounts=by_kind.get("ServiceAccount", []),
        csi_node=_csi_component(by_kind.get("DaemonSet", []), CSI_NODE_NAME, "node"),
        csi_controller=_csi_component(by_kind.get("Deployment", []), CSI_CONTROLLER_NAME, "controller"),
    )
    return cluster, issues


def _key(parsed: object) -> tuple[str, str, str]:
    if isinstance(parsed, Draft):
        w = parsed.workload
        return (w.kind, w.namespace, w.name)
    ns = getattr(parsed, "namespace", "")
    return (type(parsed).__name__, ns, parsed.name)  # type: ignore[attr-defined]


def _label(key: tuple[str, str, str]) -> str:
    return f"{key[1]}/{key[2]}" if key[1] else key[2]


def _names(obj: dict) -> tuple[str, str, str]:
    md = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return str(obj.get("kind")), str(md.get("namespace") or ""), str(md.get("name") or "?")


def fold(drafts: list[Draft]) -> list[Workload]:
    """Controllers become workloads; owned ReplicaSets, Jobs and pods fold into their top owner."""
    index = {(d.workload.kind, d.workload.namespace, d.workload.name): d for d in drafts}

    def top(kind: str, ns: str, name: str) -> Draft | None:
        d = index.get((kind, ns, name))
        if d is not None and kind in ("ReplicaSet", "Job") and d.owner:
            parent = index.get((d.owner[0], ns, d.owner[1]))
            if parent is not None and (kind, parent.workload.kind) in (
                ("ReplicaSet", "Deployment"),
                ("Job", "CronJob"),
            ):
                return parent
        return d

    out = []
    for d in drafts:
        w = d.workload
        if d.owner is None:
            out.append(w)
            continue
        owner = top(d.owner[0], w.namespace, d.owner[1])
        if w.kind in ("ReplicaSet", "Job"):
            if owner is None or (w.kind, owner.workload.kind) not in (
                ("ReplicaSet", "Deployment"),
                ("Job", "CronJob"),
            ):
                out.append(w)
        elif w.kind == "Pod":
            if owner is None or identity_of(owner.workload.template) != identity_of(w.template):
                out.append(w)
        else:
            out.append(w)
    return out


def identity_of(t: PodTemplate) -> tuple:
    """What decides the identities a pod runs with: service account, pod and container security
    contexts and which containers mount which EFS-capable volumes. Images, labels, claim names
    (StatefulSet replicas, ephemeral volumes) and containers that mount nothing are left out."""
    containers = sorted(
        (c.name, c.init, c.security_context, tuple(sorted(m.name for m in c.volume_mounts)))
        for c in t.containers
        if c.volume_mounts
    )
    return (t.service_account_name or "default", t.security_context, tuple(containers))


def _csi_component(drafts: list[Draft], wanted: str, mode: str) -> CsiComponent | None:
    """The EFS CSI node DaemonSet / controller Deployment: by its usual name, else by a container
    that runs the driver image with the ``node`` / ``controller`` argument."""

    def runs_driver(d: Draft) -> tuple[str | None, list[str]] | None:
        for image, args in d.images_args:
            if image and DRIVER_IMAGE in image and (mode in args or not args):
                return image, args
        return None

    named = [d for d in drafts if d.workload.name == wanted]
    by_image = [d for d in drafts if runs_driver(d)]
    chosen = (named or by_image or [None])[0]
    if chosen is None:
        return None
    image, args = runs_driver(chosen) or (chosen.images_args[0] if chosen.images_args else (None, []))
    w = chosen.workload
    return CsiComponent(
        kind=w.kind,
        namespace=w.namespace,
        name=w.name,
        service_account=w.template.service_account_name,
        image=image,
        args=args or None,
    )
