"""The check registry: one declaration per check (auditor.checks.declaration.Check).

A check id is a public interface and never changes. Metadata (title, severity, remediation,
framework mappings) lives in policies/checks/<check_id>.yaml; auditor.catalog keeps both in step.
Every list the pipeline and the reports need is derived from the declarations below.
"""

from __future__ import annotations

from auditor.checks import baseline, cross_app, latent, policy, root_squash, workloads
from auditor.checks.declaration import Check
from auditor.checks.facts import (
    ACCESS_POINT,
    ACCESS_POINTS,
    APP_IDENTITY,
    BACKUP_COVERAGE,
    BACKUP_POLICY,
    CLUSTER_IDENTITY,
    CSI_DRIVER,
    ECS_TASK_DEFINITIONS,
    FILE_SYSTEM,
    FS_POLICY,
    FS_RECORD,
    MOUNT_TARGET,
    MOUNT_TARGET_SGS,
    MOUNT_TARGETS,
    OTHER_WORKLOADS,
    OWN_WORKLOAD,
    ROLE,
    ROLE_POLICIES,
    SECURITY_GROUPS,
    SUBNETS,
    WORKLOAD,
    WORKLOAD_VOLUMES,
)

# What a workload's configured mounts rest on: its definition, its volumes, the file systems'
# policies and access points, and the principals (their policies, or the CSI driver's identity).
_MOUNTS = (*OWN_WORKLOAD, WORKLOAD_VOLUMES, FS_POLICY, ACCESS_POINTS, ROLE_POLICIES, CLUSTER_IDENTITY)

DECLARED: tuple[Check, ...] = (
    Check(
        id="efs_root_squash_gap",
        run=root_squash.root_squash_gap,
        authorization=True,
        draws_path=True,
        evaluates={
            FILE_SYSTEM: (FS_POLICY, ACCESS_POINTS),
            WORKLOAD: _MOUNTS,
            ROLE: (ROLE_POLICIES, FS_POLICY, ACCESS_POINTS, OTHER_WORKLOADS),
            CSI_DRIVER: (CLUSTER_IDENTITY, WORKLOAD_VOLUMES, ROLE_POLICIES, FS_POLICY, ACCESS_POINTS),
        },
    ),
    Check(
        id="efs_cross_app_reach",
        run=cross_app.cross_app_reach,
        authorization=True,
        draws_path=True,
        evaluates={
            WORKLOAD: (*_MOUNTS, APP_IDENTITY, OTHER_WORKLOADS),
            CSI_DRIVER: (
                CLUSTER_IDENTITY,
                WORKLOAD_VOLUMES,
                ROLE_POLICIES,
                FS_POLICY,
                ACCESS_POINTS,
                APP_IDENTITY,
                OTHER_WORKLOADS,
            ),
        },
        fail_rests_on=(APP_IDENTITY,),
    ),  # the other application may be the same one, differently named
    Check(
        id="efs_unencrypted_mount",
        run=workloads.unencrypted_mount,
        evaluates={WORKLOAD: (*OWN_WORKLOAD, WORKLOAD_VOLUMES)},
    ),
    Check(
        id="efs_workload_runs_as_root",
        run=workloads.workload_runs_as_root,
        draws_path=True,
        evaluates={WORKLOAD: (*OWN_WORKLOAD, WORKLOAD_VOLUMES, ACCESS_POINTS)},
    ),
    Check(
        id="efs_ecs_invalid_volume",
        run=workloads.ecs_invalid_volume,
        evaluates={WORKLOAD: (ECS_TASK_DEFINITIONS,)},
    ),
    Check(
        id="efs_workload_volume_unmountable",
        run=workloads.workload_volume_unmountable,
        authorization=True,
        evaluates={WORKLOAD: _MOUNTS},
    ),
    Check(
        id="efs_policy_missing",
        run=policy.policy_missing,
        authorization=True,
        evaluates={FILE_SYSTEM: (FS_POLICY,)},
    ),
    Check(
        id="efs_policy_anonymous_access",
        run=policy.policy_anonymous_access,
        authorization=True,
        evaluates={FILE_SYSTEM: (FS_POLICY, ACCESS_POINTS)},
    ),
    Check(
        id="efs_policy_no_secure_transport",
        run=policy.policy_no_secure_transport,
        authorization=True,
        evaluates={FILE_SYSTEM: (FS_POLICY,)},
    ),
    Check(
        id="efs_policy_cross_account",
        run=policy.policy_cross_account,
        authorization=True,
        evaluates={FILE_SYSTEM: (FS_POLICY, ACCESS_POINTS)},
    ),
    Check(
        id="efs_policy_unenforced_condition",
        run=policy.policy_unenforced_condition,
        authorization=True,
        evaluates={FILE_SYSTEM: (FS_POLICY,)},
    ),
    Check(
        id="efs_policy_dangling_principal",
        run=policy.policy_dangling_principal,
        authorization=True,
        evaluates={FILE_SYSTEM: (FS_POLICY,)},
    ),
    Check(
        id="efs_access_point_no_user_identity",
        run=baseline.access_point_no_user_identity,
        evaluates={ACCESS_POINT: (ACCESS_POINTS,)},
    ),
    Check(
        id="efs_access_point_root_identity",
        run=baseline.access_point_root_identity,
        draws_path=True,
        evaluates={ACCESS_POINT: (ACCESS_POINTS,)},
    ),
    Check(
        id="efs_access_point_root_directory",
        run=baseline.access_point_root_directory,
        evaluates={ACCESS_POINT: (ACCESS_POINTS,)},
    ),
    Check(
        id="efs_access_point_world_writable",
        run=baseline.access_point_world_writable,
        evaluates={ACCESS_POINT: (ACCESS_POINTS,)},
    ),
    Check(
        id="efs_access_point_tagged",
        run=baseline.access_point_tagged,
        evaluates={ACCESS_POINT: (ACCESS_POINTS,)},
    ),
    Check(id="efs_encrypted_at_rest", run=baseline.encrypted_at_rest, evaluates={FILE_SYSTEM: (FS_RECORD,)}),
    Check(
        id="efs_backup_enabled",
        run=baseline.backup_enabled,
        evaluates={FILE_SYSTEM: (BACKUP_POLICY, BACKUP_COVERAGE)},
    ),
    Check(
        id="efs_automatic_backups_enabled",
        run=baseline.automatic_backups_enabled,
        evaluates={FILE_SYSTEM: (BACKUP_POLICY,)},
    ),
    Check(
        id="efs_mount_target_public_subnet",
        run=baseline.mount_target_public_subnet,
        evaluates={MOUNT_TARGET: (MOUNT_TARGETS, SUBNETS)},
    ),
    Check(
        id="efs_mount_target_nfs_open",
        run=baseline.mount_target_nfs_open,
        evaluates={MOUNT_TARGET: (MOUNT_TARGETS, MOUNT_TARGET_SGS, SECURITY_GROUPS)},
    ),
    # Latent exposure: the access points of the file system and the applications that own them (a PASS
    # also needs the workloads of its scope, which the check itself requires: auditor/checks/latent.py).
    Check(
        id="efs_access_point_nested_root",
        run=latent.nested_root,
        authorization=True,
        draws_path=True,
        evaluates={ACCESS_POINT: (ACCESS_POINTS, APP_IDENTITY)},
    ),
    Check(
        id="efs_access_point_identity_collision",
        run=latent.identity_collision,
        authorization=True,
        draws_path=True,
        evaluates={ACCESS_POINT: (ACCESS_POINTS, APP_IDENTITY)},
    ),
)

CHECKS: dict[str, Check] = {c.id: c for c in DECLARED}
CHECK_IDS: tuple[str, ...] = tuple(sorted(CHECKS))
# Checks that evaluate IAM authorization. The pipeline runs them first and then releases the
# authorization caches, so that large estates never hold both those caches and every result.
AUTHORIZATION_CHECKS: tuple[str, ...] = tuple(c.id for c in DECLARED if c.authorization)
# Findings whose graph path is drawn in the HTML report.
PATH_CHECKS: tuple[str, ...] = tuple(c.id for c in DECLARED if c.draws_path)
