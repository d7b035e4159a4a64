"""The one table of AWS operations the collectors may call, and the counter that proves it.

Every call goes through :class:`Api` (``call`` or ``pages``), which refuses an operation that is not
in ``OPERATIONS``. ``samples/iam/auditor-policy.json`` grants exactly the IAM actions of this table;
tests/collectors/test_aws_privilege.py keeps the two in step and checks that every call counted in the
moto end-to-end run is in the table.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from botocore import xform_name
from botocore.exceptions import BotoCoreError
from botocore.parsers import ResponseParserError

from auditor.collectors.aws.validate import MalformedResponse, check

# (botocore service name, operation) -> IAM action. Read-only Describe/List/Get only.
OPERATIONS: dict[tuple[str, str], str] = {
    ("sts", "GetCallerIdentity"): "sts:GetCallerIdentity",
    ("ec2", "DescribeRegions"): "ec2:DescribeRegions",
    ("ec2", "DescribeSecurityGroups"): "ec2:DescribeSecurityGroups",
    ("ec2", "DescribeSubnets"): "ec2:DescribeSubnets",
    ("ec2", "DescribeRouteTables"): "ec2:DescribeRouteTables",
    ("efs", "DescribeFileSystems"): "elasticfilesystem:DescribeFileSystems",
    ("efs", "DescribeFileSystemPolicy"): "elasticfilesystem:DescribeFileSystemPolicy",
    ("efs", "DescribeBackupPolicy"): "elasticfilesystem:DescribeBackupPolicy",
    ("efs", "DescribeAccessPoints"): "elasticfilesystem:DescribeAccessPoints",
    ("efs", "DescribeMountTargets"): "elasticfilesystem:DescribeMountTargets",
    ("efs", "DescribeMountTargetSecurityGroups"): "elasticfilesystem:DescribeMountTargetSecurityGroups",
    ("iam", "GetAccountAuthorizationDetails"): "iam:GetAccountAuthorizationDetails",
    ("iam", "GetPolicy"): "iam:GetPolicy",
    ("iam", "GetPolicyVersion"): "iam:GetPolicyVersion",
    ("ecs", "ListClusters"): "ecs:ListClusters",
    ("ecs", "ListServices"): "ecs:ListServices",
    ("ecs", "DescribeServices"): "ecs:DescribeServices",
    ("ecs", "ListTaskDefinitionFamilies"): "ecs:ListTaskDefinitionFamilies",
    ("ecs", "DescribeTaskDefinition"): "ecs:DescribeTaskDefinition",
    ("lambda", "ListFunctions"): "lambda:ListFunctions",
    ("lambda", "ListTags"): "lambda:ListTags",
    ("eks", "ListClusters"): "eks:ListClusters",
    ("eks", "DescribeCluster"): "eks:DescribeCluster",
    ("eks", "ListNodegroups"): "eks:ListNodegroups",
    ("eks", "DescribeNodegroup"): "eks:DescribeNodegroup",
    ("eks", "ListPodIdentityAssociations"): "eks:ListPodIdentityAssociations",
    ("eks", "DescribePodIdentityAssociation"): "eks:DescribePodIdentityAssociation",
    ("backup", "ListProtectedResources"): "backup:ListProtectedResources",
}

# Actions an operation needs besides its own, as the API reference states them: AWS authorizes
# DescribeMountTargetSecurityGroups against the mount target's network interface as well.
EXTRA_ACTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("efs", "DescribeMountTargetSecurityGroups"): ("ec2:DescribeNetworkInterfaceAttribute",),
}


def required_actions() -> set[str]:
    """Every IAM action the collectors need: the policy the auditor ships grants exactly these."""
    return set(OPERATIONS.values()) | {a for extra in EXTRA_ACTIONS.values() for a in extra}


# sts:AssumeRole is used to reach RoleTarget accounts; it is a credential step, not a read, and is
# granted by the target role's trust policy rather than by auditor-policy.json (collectors/aws/run.py).


class OperationNotAllowed(RuntimeError):
    """A collector tried to call an operation that is not in OPERATIONS (a programming error)."""


class CallCounter:
    """Counts API operations per (service, operation) through botocore's ``before-call`` event.

    ``before-call`` fires once per operation call (each page of a paginator is one call); retries of
    a throttled call are not counted again, so the counts match the README formula.
    """

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def attach(self, boto_session) -> None:
        boto_session.events.register(
            "before-call.*.*", self._on_call, unique_id=f"efs-audit-count-{id(self)}"
        )

    def _on_call(self, model, **_kwargs) -> None:
        key = (model.service_model.service_name, model.name)
        with self._lock:
            self._counts[key] += 1

    def counts(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._counts)

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())


class DeadlineReached(BotoCoreError):
    """The run's time budget ended before this call: raised instead of calling, and caught wherever a
    failed call is (it is a BotoCoreError), so what it would have read is recorded as not collected."""

    fmt = "deadline reached before {operation} was called"


# What botocore raises when it cannot make sense of a body (XML that does not parse, JSON of the
# wrong types): the answer is malformed, not the program.
PARSE_ERRORS = (ResponseParserError, AttributeError, TypeError, ValueError, KeyError, IndexError)
MALFORMED_ATTEMPTS = 2  # a malformed answer is asked for once more before it is recorded


class Api:
    """Calls one service in one region through the OPERATIONS table; no call starts after ``deadline``
    (a ``time.monotonic()`` value), not even the next page of a listing already under way. Every
    answer (each page) is checked against validate.SHAPES: a malformed one is asked for again, then
    raised as MalformedResponse."""

    def __init__(
        self, client, service: str, page_size: int | None = None, deadline: float | None = None
    ) -> None:
        self.client = client
        self.service = service
        self.page_size = page_size
        self.deadline = deadline

    def _method(self, operation: str):
        if (self.service, operation) not in OPERATIONS:
            raise OperationNotAllowed(f"{self.service}:{operation} is not in OPERATIONS")
        return getattr(self.client, xform_name(operation))

    def _in_time(self, operation: str) -> None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise DeadlineReached(operation=f"{self.service}:{operation}")

    def _checked(self, operation: str, send) -> dict:
        for attempt in range(1, MALFORMED_ATTEMPTS + 1):
            self._in_time(operation)
            try:
                return check(self.service, operation, send())
            except MalformedResponse:
                if attempt == MALFORMED_ATTEMPTS:
                    raise
            except PARSE_ERRORS as exc:
                if attempt == MALFORMED_ATTEMPTS:
                    text = " ".join(str(exc).split())
                    raise MalformedResponse(
                        operation=f"{self.service}:{operation}",
                        problem=f"the answer could not be parsed: {text[:200]}",
                    ) from None
        raise AssertionError("not reached")

    def call(self, operation: str, **params) -> dict:
        method = self._method(operation)
        return self._checked(operation, lambda: method(**params))

    def pages(self, operation: str, **params):
        """Every page of a paginated operation (botocore paginator)."""
        self._method(operation)
        paginator = self.client.get_paginator(xform_name(operation))
        config = {"PageSize": self.page_size} if self.page_size else {}
        pages = paginator.paginate(**params, PaginationConfig=config)
        # botocore's PageIterator sends each page's request through _make_request, and only when a
        # next page exists: checking there never discards a listing that finished in time.
        request = pages._make_request

        def checked(kwargs, _request=request):
            return self._checked(operation, lambda: _request(kwargs))

        pages._make_request = checked
        return pages
