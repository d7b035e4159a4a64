"""Collection scopes: the unit a fact is read in and a result is reported against.

``aws:<account>:<region>`` for an AWS account and region (IAM and the other global services use the
region ``global``), ``k8s:<cluster>`` for a Kubernetes cluster. Every scope string is built here, from
the values it is made of; code that needs those values keeps them rather than parsing a scope.
"""

from __future__ import annotations

GLOBAL = "global"  # the region of an account's global services (IAM)
UNKNOWN_ACCOUNT = "unknown"  # the account of a principal whose ARN names none
K8S_PREFIX = "k8s:"


def aws_scope(account: str, region: str = GLOBAL) -> str:
    """``aws:<account>:<region>``; without a region, the account's global scope."""
    return f"aws:{account}:{region}"


def k8s_scope(cluster: str) -> str:
    """``k8s:<cluster>``."""
    return f"{K8S_PREFIX}{cluster}"


def is_k8s_scope(scope: str) -> bool:
    return scope.startswith(K8S_PREFIX)
