"""The check registry: an explicit table from check id to its function and the services it needs.

A check id is a public interface and never changes. Metadata (title, severity, remediation,
framework mappings) lives in policies/checks/<check_id>.yaml; auditor.catalog keeps both in step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from auditor.checks import baseline, cross_app, latent, policy, root_squash, workloads
from auditor.checks.base import Finding

WORKLOAD_SERVICES = ("ecs", "lambda", "k8s", "eks", "efs", "iam")

# check id -> (function, services whose missing data leaves the check's scope NOT_ASSESSED)
CHECKS: dict[str, tuple[Callable[..., Iterable[Finding]], tuple[str, ...]]] = {
    "efs_root_squash_gap": (root_squash.root_squash_gap, WORKLOAD_SERVICES),
    "efs_cross_app_reach": (cross_app.cross_app_reach, WORKLOAD_SERVICES),
    "efs_unencrypted_mount": (workloads.unencrypted_mount, ("ecs", "lambda", "k8s")),
    "efs_workload_runs_as_root": (workloads.workload_runs_as_root, ("ecs", "lambda", "k8s", "efs")),
    "efs_ecs_invalid_volume": (workloads.ecs_invalid_volume, ("ecs",)),
    "efs_policy_missing": (policy.policy_missing, ("efs",)),
    "efs_policy_anonymous_access": (policy.policy_anonymous_access, ("efs",)),
    "efs_policy_no_secure_transport": (policy.policy_no_secure_transport, ("efs",)),
    "efs_policy_cross_account": (policy.policy_cross_account, ("efs",)),
    "efs_policy_unenforced_condition": (policy.policy_unenforced_condition, ("efs",)),
    "efs_policy_dangling_principal": (policy.policy_dangling_principal, ("efs",)),
    "efs_access_point_no_user_identity": (baseline.access_point_no_user_identity, ("efs",)),
    "efs_access_point_root_identity": (baseline.access_point_root_identity, ("efs",)),
    "efs_access_point_root_directory": (baseline.access_point_root_directory, ("efs",)),
    "efs_access_point_world_writable": (baseline.access_point_world_writable, ("efs",)),
    "efs_access_point_tagged": (baseline.access_point_tagged, ("efs",)),
    "efs_encrypted_at_rest": (baseline.encrypted_at_rest, ("efs",)),
    "efs_backup_enabled": (baseline.backup_enabled, ("efs", "backup")),
    "efs_mount_target_public_subnet": (baseline.mount_target_public_subnet, ("efs", "ec2")),
    "efs_mount_target_nfs_open": (baseline.mount_target_nfs_open, ("efs", "ec2")),
    "efs_access_point_nested_root": (latent.nested_root, latent.SERVICES),
    "efs_access_point_identity_collision": (latent.identity_collision, latent.SERVICES),
}

CHECK_IDS: tuple[str, ...] = tuple(sorted(CHECKS))

# Checks that evaluate IAM authorization. The pipeline runs them first and then releases the
# authorization caches, so that large estates never hold both those caches and every result.
AUTHORIZATION_CHECKS: tuple[str, ...] = (
    "efs_root_squash_gap", "efs_cross_app_reach", "efs_policy_missing", "efs_policy_anonymous_access",
    "efs_policy_no_secure_transport", "efs_policy_cross_account", "efs_policy_unenforced_condition",
    "efs_policy_dangling_principal", "efs_access_point_nested_root", "efs_access_point_identity_collision",
)
