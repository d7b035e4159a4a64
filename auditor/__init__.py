"""efs-identity-auditor: joins EFS policies, access points, IAM roles and runtime identities."""

__version__ = "0.1.0"
