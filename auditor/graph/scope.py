"""What a `who-can` question on one file system needs from the estate, found without building every mount.

``relevant_principal(a, fs)`` is the superset test of which principals could be granted a client action on
``fs`` (the file-system policy and the principal's own policies, auditor.iam.prefilter); a principal the test
cannot decide (not in the snapshot, or a policy that was not collected) always counts, so that its
not-assessed rows are never lost. ``mounts_for(a, fs, relevant)`` builds the mounts of only those workloads
that may touch ``fs`` or may authenticate as a relevant principal (or anonymously): every mount that
`who-can` shows (configured on ``fs``) or counts (the workloads carrying a principal it shows) is among
them. Everything is one pass over the workloads, reading a few fields each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from auditor.analysis.access import Analysis
from auditor.analysis.mounts import (
    Mount,
    cluster_volumes,
    csi_node_principals,
    ecs_mounts,
    k8s_mounts,
    lambda_mounts,
)
from auditor.iam.prefilter import may_allow_client_action, named_principals, names_every_principal
from auditor.model.aws import FileSystem, PolicyStatus
from auditor.model.ids import VolumeHandleError, mount_option_flags, parse_volume_handle
from auditor.model.k8s import EFS_CSI_DRIVER


def relevant_principal(a: Analysis, fs: FileSystem) -> Callable[[str | None], bool]:
    policy = fs.policy if fs.policy_status is PolicyStatus.PRESENT else None
    everyone = fs.policy_status is not PolicyStatus.PRESENT or names_every_principal(policy)
    named = named_principals(policy) if policy else set()
    managed = {mp.arn: mp.document for mp in a.snapshot.managed_policies}
    cache: dict[str | None, bool] = {}

    def decide(arn: str | None) -> bool:
        if arn is None or everyone or arn in named:
            return True
        role = a.idx.role(arn)
        if role is None or role.inline_policies is None or role.attached_policy_arns is None:
            return True  # undecidable here: the evaluation says what is missing
        docs = list(role.inline_policies.values())
        for p in role.attached_policy_arns:
            doc = managed.get(p)
            if doc is None:
                return True
            docs.append(doc)
        return role.arn in named or any(may_allow_client_action(d, fs.arn) for d in docs)

    def relevant(arn: str | None) -> bool:
        if arn not in cache:
            cache[arn] = decide(arn)
        return cache[arn]

    return relevant


def mounts_for(a: Analysis, fs: FileSystem, relevant: Callable[[str | None], bool]) -> list[Mount]:
    """The mounts of the workloads that may touch ``fs`` or carry a relevant principal (see module doc)."""
    idx, params, fs_id = a.idx, a.params, fs.file_system_id
    out: list[Mount] = []
    services_by_td: dict[str, list] = defaultdict(list)
    for svc in a.snapshot.ecs_services:
        if svc.task_definition_arn:
            services_by_td[svc.task_definition_arn].append(svc)
    for td in a.snapshot.task_definitions:
        if any(_ecs_volume_relevant(v, td.task_role_arn, idx, fs, relevant) for v in td.volumes):
            svcs = sorted(services_by_td.get(td.arn, []), key=lambda s: s.arn)
            tags = next((s.tags for s in svcs if s.tags), None)
            out.extend(ecs_mounts(td, idx, params, [s.name for s in svcs], tags or {}))
    for fn in a.snapshot.lambda_functions:
        configs = fn.file_system_configs or []
        if configs and (
            relevant(fn.role_arn)
            or any((ap := idx.access_point(c.arn)) is None or ap.file_system_id == fs_id for c in configs)
        ):
            out.extend(lambda_mounts(fn, idx, params))
    for cluster in a.snapshot.clusters:
        principals = csi_node_principals(cluster)
        volumes = cluster_volumes(cluster)
        iam_relevant = not principals[0] or any(relevant(p) for p in principals[0])
        for wl in cluster.workloads or []:
            if _k8s_relevant(wl, volumes, idx, fs, iam_relevant):
                out.extend(k8s_mounts(cluster, wl, idx, params, principals, volumes))
    return out


def _ecs_volume_relevant(vol, task_role: str | None, idx, fs: FileSystem, relevant) -> bool:
    if vol.efs is None:
        return vol.docker is not None  # a docker volume may be NFS to any file system
    e = vol.efs
    return (
        e.iam != "ENABLED" or not task_role or idx.file_system(e.file_system_id) is fs or relevant(task_role)
    )


def _k8s_relevant(wl, volumes, idx, fs: FileSystem, iam_relevant: bool) -> bool:
    """False only when every volume surely mounts another file system with the CSI driver's iam
    option as principals that are not relevant (or is no EFS volume at all)."""
    pvcs, pvs = volumes
    if (wl.template.node_selector or {}).get("eks.amazonaws.com/compute-type") == "fargate":
        return True
    for vol in wl.template.volumes:
        if vol.nfs is not None:
            return True
        if not vol.claim_name:
            continue
        claim = pvcs.get((wl.namespace, vol.claim_name))
        pv = pvs.get(claim.volume_name) if claim is not None and claim.volume_name else None
        if pv is None:
            return True  # unbound, or not collected: an unresolved mount
        if pv.nfs is not None:
            return True
        if pv.csi is None or pv.csi.driver != EFS_CSI_DRIVER:
            continue
        if iam_relevant or "iam" not in mount_option_flags(pv.mount_options):
            return True
        try:
            if idx.file_system(parse_volume_handle(pv.csi.volume_handle or "").file_system_id) is fs:
                return True
        except VolumeHandleError:
            return True
    return False
