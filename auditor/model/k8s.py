"""Kubernetes objects as the auditor records them (efs-semantics.md §6, §9).

Only the fields that decide mounts and identities are kept. Environment values, secrets and
tokens are never part of the model. ``None`` means "not observed".
"""

from __future__ import annotations

import re

from pydantic import Field

from auditor.model.base import Model

EFS_CSI_DRIVER = "efs.csi.aws.com"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


class CsiSource(Model):
    driver: str
    volume_handle: str | None = None
    volume_attributes: dict[str, str] | None = None
    fs_type: str | None = None
    read_only: bool | None = None


class NfsSource(Model):
    server: str
    path: str | None = None
    read_only: bool | None = None


class PersistentVolume(Model):
    name: str
    storage_class_name: str | None = None
    access_modes: list[str] | None = None
    mount_options: list[str] | None = None
    csi: CsiSource | None = None
    nfs: NfsSource | None = None
    claim_namespace: str | None = None
    claim_name: str | None = None
    provisioned_by: str | None = None  # pv.kubernetes.io/provisioned-by annotation
    labels: dict[str, str] | None = None


class PersistentVolumeClaim(Model):
    namespace: str
    name: str
    storage_class_name: str | None = None
    volume_name: str | None = None
    access_modes: list[str] | None = None
    labels: dict[str, str] | None = None


class StorageClass(Model):
    name: str
    provisioner: str | None = None
    parameters: dict[str, str] | None = None
    mount_options: list[str] | None = None


class SecurityContext(Model):
    """Pod- or container-level securityContext, the identity-relevant fields only."""

    run_as_user: int | None = None
    run_as_group: int | None = None
    run_as_non_root: bool | None = None
    fs_group: int | None = None  # pod level only
    supplemental_groups: list[int] | None = None  # pod level only
    supplemental_groups_policy: str | None = None  # pod level only (Merge / Strict)
    privileged: bool | None = None
    allow_privilege_escalation: bool | None = None
    capabilities_add: list[str] | None = None
    capabilities_drop: list[str] | None = None


class VolumeMount(Model):
    name: str
    mount_path: str | None = None
    sub_path: str | None = None
    read_only: bool | None = None


class Container(Model):
    name: str
    image: str | None = None
    init: bool = False  # init containers run with the same volumes and identities
    security_context: SecurityContext | None = None
    volume_mounts: list[VolumeMount] = Field(default_factory=list)


class PodVolume(Model):
    name: str
    claim_name: str | None = None  # persistentVolumeClaim.claimName
    nfs: NfsSource | None = None
    csi: CsiSource | None = None  # inline (ephemeral) CSI volume
    read_only: bool | None = None


class PodTemplate(Model):
    service_account_name: str | None = None
    security_context: SecurityContext | None = None
    containers: list[Container] = Field(default_factory=list)
    volumes: list[PodVolume] = Field(default_factory=list)
    node_selector: dict[str, str] | None = None
    labels: dict[str, str] | None = None


class Workload(Model):
    """A controller (Deployment, StatefulSet, DaemonSet, Job, CronJob) or a pod no collected
    controller owns. Pods of a collected controller are folded into it."""

    kind: str
    namespace: str
    name: str
    labels: dict[str, str] | None = None
    replicas: int | None = None
    template: PodTemplate
    source_file: str | None = None  # set when read from a manifest
    source_line: int | None = None


class ServiceAccount(Model):
    namespace: str
    name: str
    irsa_role_arn: str | None = None  # eks.amazonaws.com/role-arn annotation


class PodIdentityAssociation(Model):
    namespace: str
    service_account: str
    role_arn: str
    association_arn: str | None = None


class CsiComponent(Model):
    """The EFS CSI driver's node DaemonSet or controller Deployment."""

    kind: str
    namespace: str
    name: str
    service_account: str | None = None
    image: str | None = None
    args: list[str] | None = None

    @property
    def driver_version(self) -> tuple[int, int, int] | None:
        """The driver release from the image tag (``...:v2.1.4``, ``...:v1.7.0-eksbuild.1``); None for
        a tag that names no version (``latest``, a bare digest). Defaults changed at v1.0.0 and v3.0.0."""
        tag = (self.image or "").split("@", 1)[0].rpartition("/")[2].partition(":")[2]
        found = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", tag)
        return (int(found[1]), int(found[2]), int(found[3] or 0)) if found else None

    @property
    def deletes_access_point_root_dir(self) -> bool:
        return any(
            a.replace(" ", "") in ("--delete-access-point-root-dir=true", "--delete-access-point-root-dir")
            for a in (self.args or [])
        )


class K8sCluster(Model):
    name: str
    account_id: str | None = None
    region: str | None = None
    eks_arn: str | None = None
    persistent_volumes: list[PersistentVolume] | None = None
    persistent_volume_claims: list[PersistentVolumeClaim] | None = None
    storage_classes: list[StorageClass] | None = None
    workloads: list[Workload] | None = None
    service_accounts: list[ServiceAccount] | None = None
    pod_identity_associations: list[PodIdentityAssociation] | None = None
    csi_node: CsiComponent | None = None
    csi_controller: CsiComponent | None = None
    node_role_arns: list[str] | None = None  # worker node instance roles (the iam-mount fallback)
