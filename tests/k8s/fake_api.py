"""A minimal Kubernetes API server on 127.0.0.1 for the live collector's tests: list endpoints
serving real list responses with limit/continue pagination, Status errors, and a request log."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from auditor.collectors.k8s.live import LISTS


def list_path(group: str, version: str, resource: str) -> str:
    return f"/api/{version}/{resource}" if not group else f"/apis/{group}/{version}/{resource}"


PATHS = {list_path(g, v, r): (g, v, r, k) for g, v, r, k, *_ in LISTS}


class FakeApi:
    """``objects``: raw objects with kind/apiVersion; served from the list path of their kind.
    ``errors``: resource -> (HTTP status, reason) answered instead. ``expire``: resources whose
    first continued request answers 410 Expired. ``slow``: resource -> seconds to wait first."""

    def __init__(
        self,
        objects: list[dict],
        errors: dict[str, tuple[int, str]] | None = None,
        expire: set[str] | None = None,
        slow: dict[str, float] | None = None,
    ):
        self.items: dict[str, list[dict]] = {p: [] for p in PATHS}
        for obj in objects:
            for path, (_g, _v, _r, k) in PATHS.items():
                if obj.get("kind") == k:
                    item = {key: val for key, val in obj.items() if key not in ("kind", "apiVersion")}
                    self.items[path].append(item)  # list items carry no kind/apiVersion
        self.errors = errors or {}
        self.expire = set(expire or ())
        self.slow = slow or {}
        self.requests: list[tuple[str, dict]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # shutdown() waits for the serve loop's next poll: poll often so that stopping is quick
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeApi:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                api.requests.append((url.path, query))
                if url.path not in PATHS:
                    return self._status(404, "NotFound", "the server could not find the requested resource")
                g, v, resource, kind = PATHS[url.path]
                if resource in api.errors:
                    code, reason = api.errors[resource]
                    return self._status(
                        code,
                        reason,
                        f'{resource} is forbidden: User "system:serviceaccount:'
                        f'efs-audit:efs-audit" cannot list resource "{resource}" in API group '
                        f'"{g}" at the cluster scope',
                    )
                if resource in api.slow:
                    time.sleep(api.slow[resource])
                if "continue" in query and resource in api.expire:
                    api.expire.discard(resource)
                    return self._status(410, "Expired", "The provided continue parameter is too old")
                items = api.items[url.path]
                start = int(query.get("continue") or 0)
                limit = int(query.get("limit") or len(items) or 1)
                page = items[start : start + limit]
                nxt = str(start + limit) if start + limit < len(items) else ""
                meta = {"resourceVersion": "4821"} | ({"continue": nxt} if nxt else {})
                self._send(
                    200,
                    {
                        "kind": f"{kind}List",
                        "apiVersion": f"{g}/{v}" if g else v,
                        "metadata": meta,
                        "items": page,
                    },
                )

            def _status(self, code: int, reason: str, message: str) -> None:
                self._send(
                    code,
                    {
                        "kind": "Status",
                        "apiVersion": "v1",
                        "metadata": {},
                        "status": "Failure",
                        "message": message,
                        "reason": reason,
                        "code": code,
                    },
                )

            def _send(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # the client may have timed out first (slow lists)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

        return Handler


def kubeconfig(
    tmp_path, server: str, cluster: str = "arn:aws:eks:eu-west-1:123456789012:cluster/prod-eks"
) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "prod",
                "clusters": [
                    {"name": cluster, "cluster": {"server": server}},
                    {"name": "staging", "cluster": {"server": server}},
                ],
                "users": [{"name": "auditor", "user": {"token": "test-token"}}],
                "contexts": [
                    {"name": "prod", "context": {"cluster": cluster, "user": "auditor"}},
                    {"name": "other", "context": {"cluster": "staging", "user": "auditor"}},
                ],
            }
        )
    )
    return str(path)
