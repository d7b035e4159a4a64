"""Audit parameters: every assumption the semantics doc marks UNVERIFIED is a named setting here,
and every finding that relies on one says so in its evidence."""

from __future__ import annotations

from pydantic import Field

from auditor.model.base import Model


class Params(Model):
    # Applications (issue: grouping). First key found on a resource names its application.
    app_label_keys: list[str] = Field(default_factory=lambda: ["app", "app.kubernetes.io/name"])
    # Match those keys case-insensitively too (App, app, APP): tags are typed by hand.
    app_label_ignore_case: bool = True
    # Accounts whose principals efs_policy_cross_account accepts besides the file system's own.
    trusted_accounts: list[str] = Field(default_factory=list)
    # §1.3 UNVERIFIED: uid/gid a squashed root becomes (Linux NFS convention).
    squash_uid: int = 65534
    # §1.3 UNVERIFIED: EFS docs say "a user or group ID of 0" is root; conservative: gid 0 is root.
    gid0_is_root: bool = True
    # §2.4 UNVERIFIED: a statement conditioned on a key EFS does not enforce (or aws:SourceIp) may
    # apply when it allows and may not apply when it denies. True = count it as reach.
    indeterminate_allows_reach: bool = True
    # §2.5 UNVERIFIED: IAM limits a same-account resource-policy grant to a role ARN by the role's
    # permissions boundary; whether EFS does is not documented. True (conservative): the file system
    # policy's grant counts past the boundary. False: the boundary limits it too.
    fs_policy_grant_ignores_boundary: bool = True
    # §5 UNVERIFIED: the Lambda sandbox user (observed 993); never root.
    lambda_sandbox_uid: int | None = None
    # §6.9 UNVERIFIED: the IAM identity an `iam` mount of an EKS Fargate pod presents is not documented.
    # True: that principal is unknown and the mount's authorization is NOT_ASSESSED with this reason.
    # False: the EFS CSI node identity is assumed, as on EC2 nodes (§6.5).
    fargate_iam_principal_unknown: bool = True
    # §7: efs_mount_target_nfs_open reports TCP 2049 open to an IPv4 range wider than this prefix length
    # (and to any whole RFC 1918 block), or to an IPv6 range wider than nfs_open_max_prefix_v6.
    nfs_open_max_prefix: int = 16
    nfs_open_max_prefix_v6: int = 48
    # §1.2: NFS carries at most 16 groups.
    nfs_max_groups: int = 16

    def evidence(self) -> dict:
        return self.model_dump()
