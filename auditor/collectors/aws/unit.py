"""One collection unit (``aws:<account>:<region>`` or ``aws:<account>:global``) while it runs.

A unit owns its issue list and its clients. Every failed call becomes a CollectionIssue through
:meth:`Unit.failed`; nothing is swallowed.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

from auditor.collectors.aws import bounds
from auditor.collectors.aws.operations import Api, DeadlineReached
from auditor.collectors.aws.validate import MalformedResponse
from auditor.model.scope import aws_scope
from auditor.model.snapshot import CollectionIssue

# Errors an API call can raise that mean "this could not be read": recorded, never fatal.
CALL_ERRORS = (ClientError, BotoCoreError)


@dataclass
class Account:
    """Credentials and identity for one account; clients are created once per (service, region)."""

    session: object  # boto3.Session
    account_id: str
    partition: str
    caller_arn: str
    config: object  # unused (kept for callers that build an Account by hand); clients use ``limits``
    page_size: int | None = None
    limits: bounds.Limits | None = None  # None: plain clients from the session (tests with stubbed sessions)
    deadline: float | None = None  # the run's end (time.monotonic()), enforced on calls in flight
    _clients: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def api(self, service: str, region: str, deadline: float | None = None) -> Api:
        key = (service, region)
        with self._lock:  # boto3 sessions are not safe for concurrent client creation
            if key not in self._clients:
                self._clients[key] = (
                    bounds.client(self.session, service, region, self.limits, self.deadline)
                    if self.limits is not None
                    else self.session.client(service, region_name=region, config=self.config)
                )
            return Api(self._clients[key], service, self.page_size, deadline)


@dataclass
class Unit:
    account: Account
    region: str  # "global" for IAM
    api_region: str  # the region API calls go to (IAM: the session's home region)
    deadline: float | None = None
    issues: list[CollectionIssue] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    complete: bool = True
    fanout: Executor | None = None  # the run's shared pool for per-resource calls (None: sequential)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def scope(self) -> str:
        return aws_scope(self.account.account_id, self.region)

    @property
    def account_id(self) -> str:
        return self.account.account_id

    def api(self, service: str) -> Api:
        return self.account.api(
            service, self.api_region, self.deadline
        )  # no call, not even a next page, after it

    def map(self, fn, items) -> list:
        """``[fn(x) for x in items]``, spread over the run's fan-out pool when there is one."""
        if self.fanout is None:
            return [fn(x) for x in items]
        return list(self.fanout.map(fn, items))

    def mark(self) -> None:
        """Record the time a task of this unit started or ended (UTC)."""
        now = datetime.now(UTC)
        with self._lock:
            self.started_at = self.started_at or now
            self.finished_at = now

    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def issue(
        self, service: str, operation: str, error_code: str, message: str, resource_id: str | None = None
    ) -> None:
        with self._lock:
            self.issues.append(
                CollectionIssue(
                    scope=self.scope,
                    service=service,
                    operation=operation,
                    resource_id=resource_id,
                    error_code=error_code,
                    message=one_line(message),
                )
            )

    def failed(self, service: str, operation: str, exc: Exception, resource_id: str | None = None) -> str:
        """Record a failed call; returns its error code."""
        code, message = error_of(exc)
        self.issue(service, operation, code, message, resource_id)
        return code


# Transport timeouts of every kind are one code: the answer did not arrive in time.
TIMEOUTS = (DeadlineReached, bounds.CallTimeout, ReadTimeoutError, ConnectTimeoutError)


def error_of(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, TIMEOUTS):
        return "Timeout", str(exc)
    if isinstance(exc, MalformedResponse):
        return "MalformedResponse", str(exc)
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return str(err.get("Code") or "ClientError"), str(err.get("Message") or exc)
    return type(exc).__name__, str(exc)


def one_line(text: str, limit: int = 500) -> str:
    """Messages are one line (an HTML error page from a proxy is many)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def error_code(exc: Exception) -> str:
    return error_of(exc)[0]


def tag_dict(tags: list[dict] | None) -> dict[str, str]:
    """AWS ``[{"Key": k, "Value": v}]`` -> ``{k: v}``."""
    return {t["Key"]: t.get("Value", "") for t in tags or []}
