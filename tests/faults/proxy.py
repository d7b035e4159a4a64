"""A fault-injecting HTTP proxy for the AWS API (stdlib only, 127.0.0.1).

boto3 talks to the proxy (``AWS_ENDPOINT_URL``); the proxy forwards each request to the upstream
emulator (moto's server) unless a rule matches, in which case it answers with the rule's fault:

  error     an AWS error in the service's wire protocol (Throttling, 5xx, AccessDenied, ...)
  reset     the connection is reset (RST) before any answer
  slow      the answer starts after ``delay`` seconds (past the client's read timeout)
  trickle   headers at once, then the body one byte every ``delay`` seconds
  truncate  the upstream body cut in half, Content-Length matching (well-formed HTTP, bad payload)
  short     the upstream body cut in half, Content-Length of the whole, then the connection closes
  garble    the upstream body with its bytes scrambled
  empty     200 with an empty body
  html      200 with an HTML page (a captive portal or load balancer page)
  answer    200 with the rule's ``body`` (an answer the emulator cannot give; not counted as a fault)
  replace   200 with the rule's ``body`` (a well-formed answer of the wrong shape)

A request is matched by service (the SigV4 credential scope), operation (``X-Amz-Target``, the
``Action=`` form parameter, or the REST route below), region and, optionally, a substring of the
path or body. ``times`` limits how often a rule fires in all; ``per_request`` fires on the first N
attempts of each distinct request (retries carry the same method, path and body), ``rate`` on a
seeded random share of requests. Everything is bounded: sockets time out, waits end when the proxy
stops, and threads are daemons.
"""

from __future__ import annotations

import hashlib
import http.client
import random
import re
import socket
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

SIGNING_NAMES = {"elasticfilesystem": "efs"}
JSON_SERVICES = {"efs", "ecs", "lambda", "eks", "backup"}

# REST routes of the operations the collectors call on REST services: (service, method, regex, operation).
ROUTES: tuple[tuple[str, str, str, str], ...] = (
    ("efs", "GET", r"/2015-02-01/file-systems/[^/]+/policy$", "DescribeFileSystemPolicy"),
    ("efs", "GET", r"/2015-02-01/file-systems/[^/]+/backup-policy$", "DescribeBackupPolicy"),
    ("efs", "GET", r"/2015-02-01/file-systems/?$", "DescribeFileSystems"),
    ("efs", "GET", r"/2015-02-01/mount-targets/[^/]+/security-groups$", "DescribeMountTargetSecurityGroups"),
    ("efs", "GET", r"/2015-02-01/mount-targets/?$", "DescribeMountTargets"),
    ("efs", "GET", r"/2015-02-01/access-points/?$", "DescribeAccessPoints"),
    ("lambda", "GET", r"/2015-03-31/functions/?$", "ListFunctions"),
    ("lambda", "GET", r"/2017-03-31/tags/.+$", "ListTags"),
    ("eks", "GET", r"/clusters/?$", "ListClusters"),
    ("eks", "GET", r"/clusters/[^/]+/node-groups/?$", "ListNodegroups"),
    ("eks", "GET", r"/clusters/[^/]+/node-groups/[^/]+$", "DescribeNodegroup"),
    ("eks", "GET", r"/clusters/[^/]+/pod-identity-associations/?$", "ListPodIdentityAssociations"),
    ("eks", "GET", r"/clusters/[^/]+/pod-identity-associations/[^/]+$", "DescribePodIdentityAssociation"),
    ("eks", "GET", r"/clusters/[^/]+$", "DescribeCluster"),
    ("backup", "GET", r"/resources/?$", "ListProtectedResources"),
)
HTML = (
    b"<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head>"
    b"<body><h1>Service Temporarily Unavailable</h1></body></html>"
)
UPSTREAM_TIMEOUT = 30.0
SOCKET_TIMEOUT = 30.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # a client that went away: not news
        pass


@dataclass
class Rule:
    fault: str
    service: str | None = None
    operation: str | None = None
    region: str | None = None
    contains: str | None = None  # substring of the path or body
    code: str = "ThrottlingException"
    status: int = 400
    delay: float = 0.0
    body: bytes = b""
    content_type: str = "application/json"  # of an answer or replace body
    times: int | None = None
    per_request: int | None = None
    rate: float | None = None
    used: int = 0
    seen: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes
    service: str | None
    operation: str | None
    region: str | None

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.method} {self.path} ".encode() + self.body).hexdigest()


def identify(method: str, path: str, headers, body: bytes) -> Request:
    """(service, operation, region) of one signed AWS request."""
    service = region = operation = None
    auth = headers.get("Authorization") or ""
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 4:
            region, service = scope[2], SIGNING_NAMES.get(scope[3], scope[3])
    target = headers.get("X-Amz-Target")
    if target:
        operation = target.rsplit(".", 1)[-1]
    elif method == "POST" and b"Action=" in body:
        operation = (parse_qs(body.decode("utf-8", "replace")).get("Action") or [None])[0]
    else:
        route = unquote(urlsplit(path).path)
        operation = next(
            (
                op
                for svc, verb, pattern, op in ROUTES
                if svc == service and verb == method and re.search(pattern, route)
            ),
            None,
        )
    return Request(method, path, body, service, operation, region)


def error_body(service: str | None, code: str) -> tuple[bytes, dict[str, str]]:
    message = f"injected {code}"
    if service in JSON_SERVICES:
        return (
            f'{{"__type": "{code}", "message": "{message}"}}'.encode(),
            {"x-amzn-ErrorType": code, "Content-Type": "application/x-amz-json-1.1"},
        )
    if service == "ec2":
        return (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            "<RequestID>injected</RequestID></Response>".encode(),
            {"Content-Type": "text/xml"},
        )
    return (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
        "</Error><RequestId>injected</RequestId></ErrorResponse>".encode(),
        {"Content-Type": "text/xml"},
    )


class FaultProxy:
    """``with FaultProxy(upstream) as proxy: proxy.add("error", service="efs", ...)``; ``proxy.url``."""

    def __init__(self, upstream: str, seed: int = 7, max_threads: int = 64) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.rules: list[Rule] = []
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.slots = threading.BoundedSemaphore(max_threads)
        self.log: list[tuple[str | None, str | None, str]] = []  # (service, operation, outcome)
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, fault: str, **kw) -> Rule:
        rule = Rule(fault, **kw)
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()
            self.log.clear()

    def injected(self, outcome: str | None = None) -> int:
        with self.lock:
            return sum(1 for _, _, o in self.log if o not in ("forwarded", "answer") and outcome in (None, o))

    def requests(self) -> int:
        with self.lock:
            return len(self.log)

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def _choose(self, req: Request) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if rule.service not in (None, req.service) or rule.operation not in (None, req.operation):
                    continue
                if rule.region not in (None, req.region):
                    continue
                if rule.contains and rule.contains not in req.path and rule.contains.encode() not in req.body:
                    continue
                if rule.times is not None and rule.used >= rule.times:
                    continue
                if rule.per_request is not None:
                    n = rule.seen.get(req.key, 0)
                    if n >= rule.per_request:
                        continue
                    rule.seen[req.key] = n + 1
                if rule.rate is not None and self.random.random() >= rule.rate:
                    continue
                rule.used += 1
                return rule
            return None

    def _record(self, req: Request, outcome: str) -> None:
        with self.lock:
            self.log.append((req.service, req.operation, outcome))

    def _forward(self, req: Request, headers) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self.upstream, timeout=UPSTREAM_TIMEOUT)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in ("connection", "keep-alive")}
            conn.request(req.method, req.path, body=req.body or None, headers=sent)
            resp = conn.getresponse()
            body = resp.read()
            kept = [
                (k, v)
                for k, v in resp.getheaders()
                if k.lower()
                not in ("content-length", "transfer-encoding", "connection", "keep-alive", "date", "server")
            ]
            return resp.status, kept, body
        finally:
            conn.close()

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = SOCKET_TIMEOUT

            def log_message(self, *args) -> None:
                pass

            def _any(self) -> None:
                if not proxy.slots.acquire(timeout=SOCKET_TIMEOUT):
                    self.close_connection = True
                    return
                try:
                    self._serve()
                except (TimeoutError, BrokenPipeError, ConnectionResetError, OSError):
                    self.close_connection = True
                finally:
                    proxy.slots.release()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = identify(self.command, self.path, self.headers, body)
                rule = proxy._choose(req)
                proxy._record(req, rule.fault if rule else "forwarded")
                if rule is None:
                    self._send(*proxy._forward(req, self.headers))
                    return
                fault = rule.fault
                if fault == "error":
                    data, headers = error_body(req.service, rule.code)
                    return self._send(rule.status, list(headers.items()), data)
                if fault == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                if fault in ("answer", "replace"):
                    return self._send(200, [("Content-Type", rule.content_type)], rule.body)
                if fault == "slow":
                    if proxy.stopping.wait(rule.delay):
                        return
                    self._send(*proxy._forward(req, self.headers))
                    return
                status, headers, data = proxy._forward(req, self.headers)
                if fault == "trickle":
                    return self._trickle(status, headers, data, rule.delay)
                if fault == "truncate":
                    data = data[: len(data) // 2]
                elif fault == "short":
                    return self._send(status, headers, data[: len(data) // 2], length=len(data), close=True)
                elif fault == "garble":
                    scrambled = bytearray(data)
                    proxy.random.shuffle(scrambled)
                    data = bytes(b ^ 0x5A for b in scrambled)
                elif fault == "empty":
                    status, data = 200, b""
                elif fault == "html":
                    status, data = 200, HTML
                    headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
                    headers.append(("Content-Type", "text/html"))
                else:
                    raise ValueError(f"unknown fault {fault!r}")
                self._send(status, headers, data)

            def _send(
                self, status, headers, data: bytes, length: int | None = None, close: bool = False
            ) -> None:
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data) if length is None else length))
                if close:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()

            def _trickle(self, status, headers, data: bytes, delay: float) -> None:
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.flush()
                for i in range(len(data)):
                    if proxy.stopping.wait(delay):
                        break
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                self.close_connection = True

        return Handler
