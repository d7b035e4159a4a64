"""Every configured EFS mount of every workload, with its principal, transport and identities.

One pass over task definitions, Lambda functions and Kubernetes workloads; nothing here evaluates
IAM (see access.py). The rules applied are cited by section of efs-semantics.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from auditor.analysis import identity as ident
from auditor.analysis.index import Index
from auditor.model.aws import AccessPoint, FileSystem, LambdaFunction, TaskDefinition
from auditor.model.ids import (
    EFS_FS_IN_TEXT,
    VolumeHandleError,
    ap_id_of,
    clean_path,
    k8s_id,
    mount_option_access_point,
    mount_option_flags,
    parse_volume_handle,
)
from auditor.model.k8s import EFS_CSI_DRIVER, K8sCluster, NfsSource, PersistentVolume, Workload
from auditor.model.scope import aws_scope, k8s_scope
from auditor.params import Params


@dataclass(frozen=True, kw_only=True)
class WorkloadRef:
    id: str  # ARN or k8s:// reference
    resource_type: str
    platform: str  # ecs, lambda, k8s
    name: str
    app: str
    scope: str
    source: tuple[str, int] | None = None


@dataclass(kw_only=True, slots=True)
class Mount:
    workload: WorkloadRef
    volume: str  # volume name as the workload declares it
    path: list[str]  # node ids from the workload to the volume declaration (PVC, PV, ...)
    fs_id: str | None
    fs: FileSystem | None
    ap_id: str | None
    ap: AccessPoint | None
    base_path: str  # configured directory: AP root + subpath, or the client-chosen path
    tls: bool | None  # None: unknown (the volume was not resolved), never assumed
    tls_reason: str
    iam: bool
    principal_arns: tuple[str, ...]  # empty: anonymous (or unknown, see principal_note)
    principal_note: str
    identities: list[tuple[str, ident.PosixIdentity]] = field(default_factory=list)
    read_only: bool | None = None
    invalid: list[str] = field(default_factory=list)  # configurations AWS rejects or that cannot mount
    unresolved: list[str] = field(default_factory=list)  # what the auditor could not resolve


def app_name(labels: dict[str, str] | None, params: Params) -> str | None:
    """The first of ``app_label_keys`` a resource carries, the key matched exactly first and then, with
    ``app_label_ignore_case`` (the default), case-insensitively (App, app, APP). Keys are tried in
    order; among keys differing only in case the first in sorted order wins (deterministic)."""
    if not labels:
        return None
    for key in params.app_label_keys:
        if labels.get(key):
            return labels[key]
        if params.app_label_ignore_case:
            folded = key.lower()
            for k in sorted(labels):
                if k.lower() == folded and labels[k]:
                    return labels[k]
    return None


# --- ECS (§4) ----------------------------------------------------------------------------------


def ecs_mounts(
    td: TaskDefinition, idx: Index, params: Params, services: list[str], service_tags: dict
) -> list[Mount]:
    app = (
        app_name(td.tags, params)
        or app_name(service_tags, params)
        or (services[0] if services else td.family)
    )
    ref = WorkloadRef(
        id=td.arn,
        resource_type="AwsEcsTaskDefinition",
        platform="ecs",
        name=f"{td.family}:{td.revision}",
        app=app,
        scope=aws_scope(td.account_id, td.region),
    )
    out: list[Mount] = []
    for vol in td.volumes:
        users = [c for c in td.containers if any(m.source_volume == vol.name for m in c.mount_points)]
        ids = [(c.name, ident.from_ecs_user(c.user)) for c in users]
        ro = (
            all(m.read_only for c in users for m in c.mount_points if m.source_volume == vol.name)
            if users
            else None
        )
        vnode = f"{td.arn}#volume/{vol.name}"
        if vol.efs is not None:
            e = vol.efs
            tls, why = ident.ecs_tls(e)
            ap = idx.access_point(e.access_point_id)
            invalid = []
            if e.access_point_id and not tls:
                invalid.append("an access point requires transitEncryption ENABLED (§4.1, edge 23)")
            if e.iam == "ENABLED" and not tls:
                invalid.append("iam ENABLED requires transitEncryption ENABLED (§4.1)")
            if e.access_point_id and e.root_directory not in (None, "/"):
                invalid.append(
                    f"rootDirectory {e.root_directory} must be omitted or / with an access point (edge 23)"
                )
            iam = e.iam == "ENABLED"
            principals: tuple[str, ...] = ()
            note = "anonymous: authorizationConfig.iam is not ENABLED (§4.1)"
            if iam and td.task_role_arn:
                principals, note = (td.task_role_arn,), "task role (authorizationConfig.iam ENABLED)"
            elif iam:
                invalid.append("iam ENABLED without a taskRoleArn: the mount cannot authenticate (edge 24)")
                note = "no task role: the instance profile is not a fallback (edge 24)"
            base = ap.path if ap else clean_path(e.root_directory or "/")
            enforced = ident.from_access_point(ap) if ap else None
            vol_ids = [(c, enforced) for c, _ in ids] if enforced else ids
            m = Mount(
                workload=ref,
                volume=vol.name,
                path=[td.arn, vnode],
                fs_id=e.file_system_id,
                fs=idx.file_system(e.file_system_id),
                ap_id=e.access_point_id,
                ap=ap,
                base_path=base,
                tls=tls,
                tls_reason=why,
                iam=iam,
                principal_arns=principals,
                principal_note=note,
                identities=vol_ids,
                read_only=ro,
                invalid=invalid,
            )
            if e.access_point_id and ap is None:
                m.unresolved.append(f"access point {e.access_point_id} is not in the snapshot")
            out.append(m)
        elif vol.docker is not None and _docker_nfs(vol.docker.driver_opts):
            fs_id = _fs_in(vol.docker.driver_opts, idx)
            out.append(
                Mount(
                    workload=ref,
                    volume=vol.name,
                    path=[td.arn, vnode],
                    fs_id=fs_id,
                    fs=idx.file_system(fs_id),
                    ap_id=None,
                    ap=None,
                    base_path=clean_path(
                        (vol.docker.driver_opts or {}).get("device", "/").lstrip(":") or "/"
                    ),
                    tls=False,
                    tls_reason="docker local volume with NFS options: plaintext (§4.3)",
                    iam=False,
                    principal_arns=(),
                    principal_note="anonymous: plain NFS (§4.3)",
                    identities=ids,
                    read_only=ro,
                    unresolved=[] if fs_id else ["NFS server is not a known EFS file system"],
                )
            )
    return out


def _docker_nfs(opts: dict | None) -> bool:
    return opts is not None and opts.get("type", "").startswith("nfs")


def _fs_in(opts: dict | None, idx: Index) -> str | None:
    text = " ".join(f"{k}={v}" for k, v in sorted((opts or {}).items()))
    found = EFS_FS_IN_TEXT.search(text)
    if found:
        return found.group(0)
    for ip in re.findall(r"\d+\.\d+\.\d+\.\d+", text):
        if ip in idx.fs_by_ip:
            return idx.fs_by_ip[ip]
    return None


# --- Lambda (§5) -------------------------------------------------------------------------------


def lambda_mounts(fn: LambdaFunction, idx: Index, params: Params) -> list[Mount]:
    ref = WorkloadRef(
        id=fn.arn,
        resource_type="AwsLambdaFunction",
        platform="lambda",
        name=fn.name,
        app=app_name(fn.tags, params) or fn.name,
        scope=aws_scope(fn.account_id, fn.region),
    )
    out = []
    for i, cfg in enumerate(fn.file_system_configs or []):
        ap = idx.access_point(cfg.arn)
        ap_id = ap_id_of(cfg.arn)
        fs_id = ap.file_system_id if ap else None
        ids = (
            [("function", ident.from_access_point(ap) or ident.lambda_identity(params.lambda_sandbox_uid))]
            if ap
            else []
        )
        principals = (fn.role_arn,) if fn.role_arn else ()
        m = Mount(
            workload=ref,
            volume=cfg.local_mount_path or f"config{i}",
            path=[fn.arn, cfg.arn],
            fs_id=fs_id,
            fs=idx.file_system(fs_id),
            ap_id=ap_id,
            ap=ap,
            base_path=ap.path if ap else "/",
            tls=True,
            tls_reason="Lambda encrypts all traffic to EFS (§5)",
            iam=True,
            principal_arns=principals,
            principal_note="execution role (§5)",
            identities=ids,
        )
        if ap is None:
            m.unresolved.append(f"access point {cfg.arn} is not in the snapshot")
        out.append(m)
    return out


# --- Kubernetes (§6) ---------------------------------------------------------------------------


def cluster_volumes(cluster: K8sCluster) -> tuple[dict, dict]:
    """PVCs by (namespace, name) and PVs by name: build once per cluster, pass to k8s_mounts."""
    return (
        {(c.namespace, c.name): c for c in cluster.persistent_volume_claims or []},
        {p.name: p for p in cluster.persistent_volumes or []},
    )


def k8s_mounts(
    cluster: K8sCluster,
    wl: Workload,
    idx: Index,
    params: Params,
    csi_principals: tuple[tuple[str, ...], str],
    volumes: tuple[dict, dict],
) -> list[Mount]:
    wid = k8s_id(cluster.name, wl.namespace, wl.kind, wl.name)
    labels = wl.labels or wl.template.labels
    app = app_name(wl.template.labels, params) or app_name(wl.labels, params) or f"{wl.namespace}/{wl.name}"
    ref = WorkloadRef(
        id=wid,
        resource_type=f"Kubernetes{wl.kind}",
        platform="k8s",
        name=f"{wl.namespace}/{wl.name}",
        app=app,
        scope=k8s_scope(cluster.name),
        source=(wl.source_file, wl.source_line or 0) if wl.source_file else None,
    )
    del labels
    pvcs, pvs = volumes
    fargate = (wl.template.node_selector or {}).get("eks.amazonaws.com/compute-type") == "fargate"
    out = []
    for vol in wl.template.volumes:
        users = [c for c in wl.template.containers if any(v.name == vol.name for v in c.volume_mounts)]
        ids = [(c.name, ident.from_pod(wl.template, c, params.nfs_max_groups)) for c in users]
        path = [wid]
        pv: PersistentVolume | None = None
        if vol.claim_name:
            claim = pvcs.get((wl.namespace, vol.claim_name))
            path.append(k8s_id(cluster.name, wl.namespace, "PersistentVolumeClaim", vol.claim_name))
            if claim is None or not claim.volume_name:
                if cluster.persistent_volume_claims is None or _is_efs_claim(claim, cluster):
                    out.append(
                        _unresolved(
                            ref,
                            vol.name,
                            path,
                            ids,
                            f"PVC {wl.namespace}/{vol.claim_name} is not bound or was not collected",
                        )
                    )
                continue
            pv = pvs.get(claim.volume_name)
            path.append(k8s_id(cluster.name, None, "PersistentVolume", claim.volume_name))
            if pv is None:
                if cluster.persistent_volumes is None:
                    out.append(
                        _unresolved(ref, vol.name, path, ids, f"PV {claim.volume_name} was not collected")
                    )
                continue
        if pv is not None and pv.csi is not None and pv.csi.driver == EFS_CSI_DRIVER:
            version = cluster.csi_node.driver_version if cluster.csi_node else None
            out.append(
                _csi_mount(ref, vol.name, path, pv, idx, ids, csi_principals, fargate, params, version)
            )
        else:
            nfs = pv.nfs if pv is not None and pv.nfs is not None else vol.nfs
            if nfs is None:
                continue
            m = _nfs_mount(ref, vol.name, path, nfs, idx, ids)
            if m is not None:
                out.append(m)
    return out


def _is_efs_claim(claim, cluster: K8sCluster) -> bool:
    if claim is None:
        return True
    scs = {s.name: s for s in cluster.storage_classes or []}
    sc = scs.get(claim.storage_class_name or "")
    return sc is None or sc.provisioner == EFS_CSI_DRIVER


def _unresolved(ref, name, path, ids, why) -> Mount:
    return Mount(
        workload=ref,
        volume=name,
        path=path,
        fs_id=None,
        fs=None,
        ap_id=None,
        ap=None,
        base_path="/",
        tls=None,
        tls_reason=f"unknown: {why}",
        iam=False,
        principal_arns=(),
        principal_note="unknown: the volume was not resolved",
        identities=ids,
        unresolved=[why],
    )


def _csi_mount(
    ref,
    name,
    path,
    pv: PersistentVolume,
    idx: Index,
    ids,
    csi_principals,
    fargate,
    params,
    driver_version=None,
) -> Mount:
    csi = pv.csi
    assert csi is not None  # the caller passes EFS CSI volumes only
    flags = mount_option_flags(pv.mount_options)
    try:
        handle = parse_volume_handle(csi.volume_handle or "")
    except VolumeHandleError as exc:
        return _unresolved(ref, name, path, ids, f"PV {pv.name}: {exc}")
    opt_ap = mount_option_access_point(pv.mount_options)
    invalid = []
    ap_id = handle.access_point_id or opt_ap  # edge 28: the deprecated mount option counts
    if handle.access_point_id and opt_ap and opt_ap != handle.access_point_id:
        invalid.append(
            f"access point {opt_ap} in mountOptions conflicts with {handle.access_point_id} in the volumeHandle (§6.3)"
        )
    ap = idx.access_point(ap_id)
    tls, why = ident.csi_tls(csi.volume_attributes, flags, ap_id is not None, driver_version)
    if not tls and "iam" in flags:
        invalid.append("iam requires tls (§6.3)")
    if not tls and ap_id:
        invalid.append(
            "an access point requires tls, which this driver release does not add (§6.2): the mount fails"
        )
    iam = "iam" in flags
    principals, note = ((), "anonymous: no iam mount option (§6.5)")
    if iam:
        principals, note = csi_principals
        if fargate and params.fargate_iam_principal_unknown:
            principals, note = (
                (),
                (
                    "EKS Fargate iam mount: which IAM identity it presents is UNVERIFIED (§6.9, "
                    "setting fargate_iam_principal_unknown): not assessed"
                ),
            )
    identities = ids
    if ap is not None and ap.posix_user is not None:
        identities = [(c, ident.from_access_point(ap)) for c, _ in ids] or [
            ("pod", ident.from_access_point(ap))
        ]
    base = handle.subpath if ap is None else _join(ap.path, handle.subpath)
    m = Mount(
        workload=ref,
        volume=name,
        path=path + ([ap.arn] if ap else []),
        fs_id=handle.file_system_id,
        fs=idx.file_system(handle.file_system_id),
        ap_id=ap_id,
        ap=ap,
        base_path=base,
        tls=tls,
        tls_reason=why,
        iam=iam,
        principal_arns=principals,
        principal_note=note,
        identities=identities,
        read_only=csi.read_only,
        invalid=invalid,
    )
    if ap_id and ap is None:
        m.unresolved.append(f"access point {ap_id} is not in the snapshot")
    return m


def _join(base: str, sub: str) -> str:
    return clean_path(base + "/" + sub) if sub != "/" else base


def _nfs_mount(ref, name, path, nfs: NfsSource, idx: Index, ids) -> Mount | None:
    """§6.8: kubelet's kernel NFS client: no TLS, anonymous, no access point."""
    fs_id = None
    found = EFS_FS_IN_TEXT.search(nfs.server)
    if found:
        fs_id = found.group(0)
    elif nfs.server in idx.fs_by_ip:
        fs_id = idx.fs_by_ip[nfs.server]
    if fs_id is None:
        return None  # an NFS server that is not EFS is out of scope
    return Mount(
        workload=ref,
        volume=name,
        path=path,
        fs_id=fs_id,
        fs=idx.file_system(fs_id),
        ap_id=None,
        ap=None,
        base_path=clean_path(nfs.path or "/"),
        tls=False,
        tls_reason="nfs volume: kernel NFS client, plaintext (§6.8)",
        iam=False,
        principal_arns=(),
        principal_note="anonymous: plain NFS (§6.8)",
        identities=ids,
        read_only=nfs.read_only,
    )


def csi_node_principals(cluster: K8sCluster) -> tuple[tuple[str, ...], str]:
    """§6.5: the node plugin's Pod Identity / IRSA role, else the worker nodes' instance roles.
    The application pod's own role is never the mount principal."""
    node = cluster.csi_node
    ns, sa = (
        (node.namespace, node.service_account)
        if node and node.service_account
        else ("kube-system", "efs-csi-node-sa")
    )
    for assoc in cluster.pod_identity_associations or []:
        if (assoc.namespace, assoc.service_account) == (ns, sa):
            return (assoc.role_arn,), f"EFS CSI node plugin ({ns}/{sa}) via EKS Pod Identity (§6.5)"
    for acct in cluster.service_accounts or []:
        if (acct.namespace, acct.name) == (ns, sa) and acct.irsa_role_arn:
            return (acct.irsa_role_arn,), f"EFS CSI node plugin ({ns}/{sa}) via IRSA (§6.5)"
    if cluster.node_role_arns:
        return tuple(
            cluster.node_role_arns
        ), "worker node instance role: the CSI node plugin has no Pod Identity or IRSA role (§6.5)"
    return (
        (),
        "EFS CSI node plugin identity unknown: no Pod Identity, IRSA annotation or node role collected (§6.5)",
    )


def csi_file_systems(cluster: K8sCluster) -> set[str]:
    """File systems the cluster's EFS CSI driver mounts: from its PVs' volume handles and its
    StorageClasses' fileSystemId."""
    fs_ids = set()
    for pv in cluster.persistent_volumes or []:
        if pv.csi and pv.csi.driver == EFS_CSI_DRIVER and pv.csi.volume_handle:
            fs_ids.add(pv.csi.volume_handle.removeprefix("efs:").split(":")[0])
    for sc in cluster.storage_classes or []:
        fs_id = (sc.parameters or {}).get("fileSystemId")
        if sc.provisioner == EFS_CSI_DRIVER and fs_id:
            fs_ids.add(fs_id)
    return fs_ids
