"""Every AWS call has a bound: the clients the collectors use, with their timeouts and retries.

* ``connect_timeout`` / ``read_timeout``: botocore's, per attempt (silence on the socket).
* ``call_timeout``: wall-clock limit of one attempt, from sending to the last byte of the body. A body
  that trickles in (bytes arriving just often enough to beat the read timeout) is cut when it runs
  out and the attempt fails with :class:`CallTimeout` (a retryable transport error).
* the run's ``deadline`` (a ``time.monotonic()`` value) bounds calls already in flight: an attempt's
  header wait and body read end at it, no retry sleeps past it, and no attempt starts after it
  (:class:`~auditor.collectors.aws.operations.DeadlineReached`, not retried).
* retries: botocore's standard mode (exponential back-off with jitter, 1 s base for throttling, 50 ms
  otherwise) with ``max_attempts`` attempts and a retry quota of ``retry_quota`` tokens per client
  (botocore's default of 500 runs dry after about 100 transient errors and then fails every call that
  needs a retry; see README.md for the measurements behind the defaults).

The body is read by :func:`_bounded_send`, a ``before-send`` handler that sends through the client's
own HTTP session and returns the response with its body already read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from botocore.config import Config
from botocore.exceptions import ConnectionClosedError, ConnectTimeoutError, HTTPClientError, ReadTimeoutError
from botocore.retries import quota, standard

from auditor.collectors.aws.operations import DeadlineReached

CHUNK = 65536
TIMEOUTS = (ReadTimeoutError, ConnectTimeoutError)  # CallTimeout is added below


@dataclass(frozen=True)
class Limits:
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    call_timeout: float = 30.0
    max_attempts: int = 8
    timeout_attempts: int = 2  # attempts of a call whose answer timed out (a slow endpoint stays slow)
    retry_quota: int = 5000
    throttle_base: float = 0.1  # seconds: first back-off after a throttle is rand(0, 1) x this, then doubling
    retry_mode: str = "standard"  # "adaptive": botocore's own adaptive mode, quota and all (measured only)
    max_pool_connections: int = 16

    def config(self) -> Config:
        return Config(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={"mode": self.retry_mode, "total_max_attempts": self.max_attempts},
            max_pool_connections=self.max_pool_connections,
        )


class CallTimeout(HTTPClientError):
    """One attempt ran past its wall-clock limit (a trickling or endless body): retried like a read
    timeout, recorded as ``Timeout`` when no attempt is left."""

    fmt = "no complete answer from {endpoint_url} within {seconds:.0f} s (attempt cut)"


TIMEOUTS = (*TIMEOUTS, CallTimeout)


def client(session, service: str, region: str, limits: Limits, deadline: float | None):
    """A boto3 client whose every attempt is bounded (see the module docstring)."""
    made = session.client(service, region_name=region, config=limits.config())
    name = made.meta.service_model.service_id.hyphenize()
    if limits.retry_mode == "standard":
        _install_retries(made, name, limits, deadline)
    http = made._endpoint.http_session  # the client's own session: its pool, proxies and TLS settings

    def send(request, **_kwargs):
        return _bounded_send(http, request, limits, deadline)

    made.meta.events.register(f"before-send.{name}", send, unique_id=f"efs-audit-bounded-send-{name}")
    return made


def _install_retries(made, name: str, limits: Limits, deadline: float | None) -> None:
    """botocore's standard retry handler, with our quota, and no back-off sleep past the deadline."""
    adapter = standard.RetryEventAdapter()
    detector = standard.ThrottlingErrorDetector(adapter)
    checker = standard.RetryQuotaChecker(quota.RetryQuota(limits.retry_quota), detector)
    handler = standard.RetryHandler(
        retry_policy=standard.RetryPolicy(
            retry_checker=standard.StandardRetryConditions(max_attempts=limits.max_attempts),
            retry_backoff=_Backoff(limits.throttle_base, service_name=name, throttling_detector=detector),
        ),
        retry_event_adapter=adapter,
        retry_quota=checker,
        service_name=name,
    )

    def needs_retry(**kwargs):
        delay = handler.needs_retry(**kwargs)
        if delay is None:
            return None
        if (
            isinstance(kwargs.get("caught_exception"), TIMEOUTS)
            and kwargs["attempts"] >= limits.timeout_attempts
        ):
            return None
        if deadline is not None and time.monotonic() + delay >= deadline:
            return None  # the last answer stands; no sleep past the run's end
        return delay

    made.meta.events.unregister(f"needs-retry.{name}", unique_id=f"retry-config-{name}")
    made.meta.events.register(f"needs-retry.{name}", needs_retry, unique_id=f"efs-audit-retry-{name}")
    made.meta.events.register(
        f"after-call.{name}", checker.release_retry_quota, unique_id=f"efs-audit-retry-quota-{name}"
    )


class _Backoff(standard.ExponentialBackoff):
    """botocore's truncated exponential back-off with jitter, with our base for throttling errors."""

    def __init__(self, throttle_base: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self._DEFAULT_BACKOFF_CONFIG = {
            **self._DEFAULT_BACKOFF_CONFIG,
            "throttling_base_scale": throttle_base,
        }


def _bounded_send(http, request, limits: Limits, deadline: float | None):
    start = time.monotonic()
    end = start + limits.call_timeout
    if deadline is not None:
        if deadline <= start:
            raise DeadlineReached(operation=request.url)
        end = min(end, deadline)
    # botocore applies a per-request read timeout from the request context: the header wait ends at `end`
    request.context["read_timeout"] = max(0.001, min(limits.read_timeout, end - start))
    streaming = request.stream_output
    request.stream_output = True  # headers only: the body is read below, against the clock
    try:
        response = http.send(request)
    finally:
        request.stream_output = streaming
    if streaming:
        return response
    response._content = _read_body(response.raw, request.url, limits, end, start)
    return response


def _read_body(raw, url: str, limits: Limits, end: float, start: float) -> bytes:
    import urllib3.exceptions

    sock = getattr(getattr(raw, "connection", None), "sock", None)
    chunks: list[bytes] = []
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise CallTimeout(endpoint_url=url, seconds=end - start)
            if sock is not None:
                sock.settimeout(min(limits.read_timeout, left))
            chunk = raw.read1(CHUNK)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as exc:
        raw.close()
        if time.monotonic() >= end - 0.001:
            raise CallTimeout(endpoint_url=url, seconds=end - start) from None
        raise ReadTimeoutError(endpoint_url=url, error=exc) from None
    except CallTimeout:
        raw.close()
        raise
    except (urllib3.exceptions.ProtocolError, OSError) as exc:
        raw.close()
        raise ConnectionClosedError(endpoint_url=url, error=exc) from None
