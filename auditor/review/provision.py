"""Dynamic provisioning, planned: the access point and PV the EFS CSI controller would create for a
declared PVC that is not bound yet (efs-semantics.md §6.4, [CSI-CONTROLLER] [CSI-GID] [CSI-CLOUD]).

A review sees a StorageClass with ``provisioningMode: efs-ap`` and a PVC, never the access point the
controller creates when the PVC is applied; without it every mount of that PVC could only be
NOT_ASSESSED. The controller's rules are deterministic enough to lay the result out in advance:

- PosixUser and CreationInfo owner: the ``uid`` / ``gid`` parameters when set; otherwise the lowest
  gid in ``gidRangeStart``-``gidRangeEnd`` (default 50000-60000, capped at start + 10000) that no
  access point on the file system uses as its PosixUser gid, and uid = that gid.
- Root directory: ``basePath`` / ``subPathPattern`` (default ``${.PV.name}``), with ``-<uuid>``
  appended unless ``ensureUniqueDirectory`` is "false"; mode ``directoryPerms``.
- ``reuseAccessPoint: "true"``: the client token is a hash of the PVC name only, so every PVC of that
  name on the file system binds one access point (edge 30).
- The PV's volumeHandle is ``<fsId>::<apId>`` and it carries the StorageClass mount options.

Names the controller draws at random (the PV name, the directory suffix, the access point id) are
replaced by stable values derived from the PVC, marked ``planned`` in their names. The access point
is declared at the StorageClass (its parameters decide it); the PV at the PVC.

Only PVCs the reviewed files declare are planned; a live PVC stays as collected. A claim the
controller would refuse (no or two file system sources, directoryPerms, uid or gid out of range, a
lone gid range bound, a root directory beyond the EFS path limits) is not planned, nor one whose gid
cannot be known (no fixed gid and the file system's access points were not collected), nor one whose
file system comes from a ConfigMap or Secret reference a review cannot read: its PVC stays unbound, its
mounts NOT_ASSESSED, and the reason is a review issue.
"""

from __future__ import annotations

import hashlib
import re

from auditor.model.aws import AccessPoint, CreationInfo, PosixUser, RootDirectory
from auditor.model.ids import ap_arn, clean_path, k8s_id, partition_of
from auditor.model.k8s import EFS_CSI_DRIVER, CsiSource, K8sCluster, PersistentVolume, PersistentVolumeClaim
from auditor.model.scope import aws_scope, k8s_scope
from auditor.model.snapshot import CollectionIssue, Snapshot

DEFAULT_GID_RANGE = (50000, 60000)  # the controller's defaults; any range is capped at start + 10000
RANGE_CAP = 10000
MAX_ID = 4294967295  # PosixUser uid and gid (§1.4)
MAX_PATH, MAX_COMPONENTS = 100, 4  # access point root directory limits (§1.5, §6.4)


def provision(snap: Snapshot, account: str, region: str) -> Snapshot:
    """The snapshot with a planned access point and PV for every declared, unbound PVC of an efs-ap
    StorageClass (a live PVC is left as collected: what it is bound to, or why not, is the estate's)."""
    fss = {fs.file_system_id: fs for fs in snap.file_systems}
    gids: dict[str, set[int]] = {}
    for ap in snap.access_points:
        if ap.posix_user is not None:
            gids.setdefault(ap.file_system_id, set()).add(ap.posix_user.gid)
    unlisted = {
        i.scope for i in snap.issues if i.service == "efs" and i.operation in ("DescribeAccessPoints", "*")
    }
    planned: dict[tuple, AccessPoint] = {}
    new_aps: list[AccessPoint] = []
    issues: list[CollectionIssue] = []
    declared = dict(snap.declared_at)
    clusters = []
    for cluster in snap.clusters:
        scs = {s.name: s for s in cluster.storage_classes or [] if s.provisioner == EFS_CSI_DRIVER}
        pvs, pvcs = list(cluster.persistent_volumes or []), []
        for pvc in cluster.persistent_volume_claims or []:
            sc = scs.get(pvc.storage_class_name or "")
            params = (sc.parameters or {}) if sc else {}
            pvc_id = k8s_id(cluster.name, pvc.namespace, "PersistentVolumeClaim", pvc.name)
            if (
                pvc.volume_name
                or sc is None
                or params.get("provisioningMode") != "efs-ap"
                or pvc_id not in snap.declared_at
            ):
                pvcs.append(pvc)
                continue
            sc_id = k8s_id(cluster.name, None, "StorageClass", sc.name)
            fs_id = params.get("fileSystemId")
            fs = fss.get(fs_id or "")
            fs_account, fs_region = (fs.account_id, fs.region) if fs else (account, region)
            reuse = params.get("reuseAccessPoint", "false").lower() == "true"
            key = (fs_id, pvc.name) if reuse else (fs_id, cluster.name, pvc.namespace, pvc.name)
            ap = planned.get(key)
            pv_name = f"pvc-planned-{_digest(cluster.name, pvc.namespace, pvc.name)[:12]}"
            if ap is None:
                try:
                    _check_file_system(params, fs_id, aws_scope(fs_account, fs_region) in unlisted)
                    ap = _access_point(
                        params,
                        fs_id,
                        fs_account,
                        fs_region,
                        pvc,
                        pv_name,
                        gids.setdefault(fs_id, set()),
                        _digest(*key),
                    )
                except Unplannable as exc:
                    issues.append(
                        CollectionIssue(
                            scope=k8s_scope(cluster.name),
                            service="review",
                            operation="provision",
                            resource_id=pvc_id,
                            error_code="Unresolved",
                            message=f"StorageClass {sc.name}: {exc}",
                        )
                    )
                    pvcs.append(pvc)
                    continue
                planned[key] = ap
                new_aps.append(ap)
                declared.setdefault(ap.arn, snap.declared_at.get(sc_id) or snap.declared_at[pvc_id])
            pv = PersistentVolume(
                name=pv_name,
                storage_class_name=sc.name,
                access_modes=pvc.access_modes,
                mount_options=sc.mount_options,
                csi=CsiSource(driver=EFS_CSI_DRIVER, volume_handle=f"{fs_id}::{ap.access_point_id}"),
                claim_namespace=pvc.namespace,
                claim_name=pvc.name,
                provisioned_by=EFS_CSI_DRIVER,
            )
            pvs.append(pv)
            pvcs.append(pvc.model_copy(update={"volume_name": pv_name}))
            declared.setdefault(
                k8s_id(cluster.name, None, "PersistentVolume", pv_name), snap.declared_at[pvc_id]
            )
        clusters.append(_with(cluster, pvs, pvcs) if new_aps or issues else cluster)
    if not new_aps and not issues:
        return snap
    return snap.model_copy(
        update={
            "access_points": [*snap.access_points, *new_aps],
            "clusters": clusters,
            "issues": [*snap.issues, *issues],
            "declared_at": {k: v for k, v in sorted(declared.items()) if v},
        }
    ).normalised()


def _check_file_system(params: dict, fs_id: str | None, access_points_unlisted: bool) -> None:
    refs = [k for k in ("fileSystemIdConfigRef", "fileSystemIdSecretRef") if params.get(k)]
    if fs_id and refs:
        raise Unplannable(f"fileSystemId and {refs[0]} are both set: the controller takes exactly one")
    if not fs_id:
        raise Unplannable(
            f"the file system comes from {refs[0] if refs else 'no parameter'}, which a review cannot read"
            if refs
            else "no fileSystemId: the controller refuses to provision"
        )
    if access_points_unlisted and params.get("gid") in (None, ""):
        raise Unplannable(
            f"the access points of {fs_id} were not collected, so the gid the controller would "
            "allocate (the lowest its access points do not use) is unknown"
        )


class Unplannable(ValueError):
    """The controller would refuse this StorageClass and PVC: nothing is provisioned."""


def _access_point(
    params: dict,
    fs_id: str,
    account: str,
    region: str,
    pvc: PersistentVolumeClaim,
    pv_name: str,
    used: set[int],
    digest: str,
) -> AccessPoint:
    perms = params.get("directoryPerms")
    if not perms or not re.fullmatch(r"[0-7]{3,4}", perms):
        raise Unplannable(
            f"directoryPerms {perms!r} is not 3 or 4 octal digits: the controller refuses to provision"
        )
    uid, gid = _int(params.get("uid"), "uid"), _int(params.get("gid"), "gid")
    if gid is None:
        gid = _allocate(params, used)
    if uid is None:
        uid = gid
    used.add(gid)
    pattern = params.get("subPathPattern", "${.PV.name}")
    sub = (
        pattern.replace("${.PV.name}", pv_name)
        .replace("${.PVC.name}", pvc.name)
        .replace("${.PVC.namespace}", pvc.namespace)
    )
    if params.get("ensureUniqueDirectory", "true").lower() != "false":
        sub += f"-planned{digest[:8]}"
    path = clean_path("/" + params.get("basePath", "").strip("/") + "/" + sub)
    if len(path) > MAX_PATH or path.count("/") > MAX_COMPONENTS:  # the driver mirrors the EFS limits (§6.4)
        raise Unplannable(
            f"access point path {path} is longer than {MAX_PATH} characters or has more than "
            f"{MAX_COMPONENTS} components: the controller refuses to provision"
        )
    ap_id = f"fsap-{digest[:17]}"
    partition = partition_of(region)
    tags = (
        {"efs.csi.aws.com/cluster": "true"}
        if params.get("enableTagging", "true").lower() != "false"
        else None
    )
    return AccessPoint(
        arn=ap_arn(partition, region, account, ap_id),
        access_point_id=ap_id,
        file_system_id=fs_id,
        account_id=account,
        region=region,
        name=f"planned by the EFS CSI controller for PVC {pvc.namespace}/{pvc.name}",
        posix_user=PosixUser(uid=uid, gid=gid),
        root_directory=RootDirectory(
            path=path, creation_info=CreationInfo(owner_uid=uid, owner_gid=gid, permissions=perms)
        ),
        tags=tags,
    )


def _allocate(params: dict, used: set[int]) -> int:
    start = _int(params.get("gidRangeStart"), "gidRangeStart")
    end = _int(params.get("gidRangeEnd"), "gidRangeEnd")
    if (start is None) != (end is None):
        raise Unplannable("gidRangeStart and gidRangeEnd go together: the controller refuses one alone")
    if start is None or end is None:
        start, end = DEFAULT_GID_RANGE
    if start > end:
        raise Unplannable(
            f"gidRangeStart {start} is above gidRangeEnd {end}: the controller refuses to provision"
        )
    end = min(end, start + RANGE_CAP)
    for gid in range(start, end + 1):
        if gid not in used:
            return gid
    raise Unplannable(f"every gid in {start}-{end} is taken by an access point on the file system")


def _int(value: str | None, name: str) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 <= number <= MAX_ID:
        raise Unplannable(
            f"{name} {value!r} is not an integer from 0 to {MAX_ID}: the controller refuses to provision"
        )
    return number


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _with(cluster: K8sCluster, pvs: list, pvcs: list) -> K8sCluster:
    return cluster.model_copy(update={"persistent_volumes": pvs, "persistent_volume_claims": pvcs})
