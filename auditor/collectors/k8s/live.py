"""Collect a cluster's objects from the Kubernetes API with the official client.

Read-only, cluster-wide list calls with pagination (limit / continue), one per row of ``LISTS``;
the ClusterRole in samples/k8s/clusterrole.yaml grants exactly these (a test keeps them equal).
Items come back as raw JSON (camelCase, as ``kubectl get -o json`` shows them) and go through the
same transform as manifest files. A list that fails (Forbidden, unreachable, ...) becomes a
CollectionIssue and the model fields it feeds stay None; the other lists are still read.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from auditor.collectors.k8s.transform import cluster_from_objects
from auditor.model.arn import Arn
from auditor.model.scope import k8s_scope
from auditor.model.snapshot import CollectionIssue, CollectionUnit, InputError, Snapshot

# (API group, version, resource, kind, client API class, list method, K8sCluster fields it feeds)
LISTS: tuple[tuple[str, str, str, str, str, str, tuple[str, ...]], ...] = (
    (
        "",
        "v1",
        "persistentvolumes",
        "PersistentVolume",
        "CoreV1Api",
        "list_persistent_volume",
        ("persistent_volumes",),
    ),
    (
        "",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        "CoreV1Api",
        "list_persistent_volume_claim_for_all_namespaces",
        ("persistent_volume_claims",),
    ),
    (
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "StorageClass",
        "StorageV1Api",
        "list_storage_class",
        ("storage_classes",),
    ),
    (
        "",
        "v1",
        "serviceaccounts",
        "ServiceAccount",
        "CoreV1Api",
        "list_service_account_for_all_namespaces",
        ("service_accounts",),
    ),
    ("", "v1", "pods", "Pod", "CoreV1Api", "list_pod_for_all_namespaces", ("workloads",)),
    (
        "apps",
        "v1",
        "deployments",
        "Deployment",
        "AppsV1Api",
        "list_deployment_for_all_namespaces",
        ("workloads", "csi_controller"),
    ),
    (
        "apps",
        "v1",
        "statefulsets",
        "StatefulSet",
        "AppsV1Api",
        "list_stateful_set_for_all_namespaces",
        ("workloads",),
    ),
    (
        "apps",
        "v1",
        "daemonsets",
        "DaemonSet",
        "AppsV1Api",
        "list_daemon_set_for_all_namespaces",
        ("workloads", "csi_node"),
    ),
    (
        "apps",
        "v1",
        "replicasets",
        "ReplicaSet",
        "AppsV1Api",
        "list_replica_set_for_all_namespaces",
        ("workloads",),
    ),
    ("batch", "v1", "jobs", "Job", "BatchV1Api", "list_job_for_all_namespaces", ("workloads",)),
    ("batch", "v1", "cronjobs", "CronJob", "BatchV1Api", "list_cron_job_for_all_namespaces", ("workloads",)),
)
REQUEST_TIMEOUT = (10, 120)  # connect, read seconds
LIST_TIMEOUT = 180.0  # wall-clock seconds for one page, body included (a trickling answer is cut)
CHUNK = 65536


class Unreachable(Exception):
    pass


def collect_cluster(
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    cluster_name: str | None = None,
    in_cluster: bool | None = None,
    page_size: int = 500,
    progress: Callable[[str, int], None] | None = None,
    deadline: float | None = None,
) -> Snapshot:
    """``deadline`` (a ``time.monotonic()`` value) ends the collection, also a list in flight: what was
    not read by then is a ``Timeout`` issue and its fields stay None."""
    from kubernetes import client

    if in_cluster is None:
        in_cluster = bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and not kubeconfig
    configuration, name, who = _configure(kubeconfig, context, cluster_name, in_cluster)
    scope = k8s_scope(name)
    started = datetime.now(UTC).replace(microsecond=0)
    objects: list[tuple[dict, None, None]] = []
    issues: list[CollectionIssue] = []
    failed: set[str] = set()
    unreachable: str | None = None
    with client.ApiClient(configuration) as api_client:
        apis: dict[str, Any] = {}
        for group, version, resource, kind, api_class, method, fields in LISTS:
            operation = f"list {resource}"
            if unreachable is not None:
                issues.append(
                    CollectionIssue(
                        scope=scope,
                        service="k8s",
                        operation=operation,
                        error_code="Unreachable",
                        message=f"not attempted: {unreachable}",
                    )
                )
                failed.update(fields)
                continue
            api = apis.setdefault(api_class, getattr(client, api_class)(api_client))
            try:
                items = list_all(getattr(api, method), page_size, deadline)
            except Unreachable as exc:
                unreachable = str(exc)
                code, message = "Unreachable", unreachable
            except _api_exception() as exc:
                code, message = _describe(exc)
            else:
                api_version = f"{group}/{version}" if group else version
                for item in items:
                    if isinstance(item, dict):
                        item.setdefault("kind", kind)
                        item.setdefault("apiVersion", api_version)
                        objects.append((item, None, None))
                if progress is not None:
                    progress(operation, len(items))
                continue
            issues.append(
                CollectionIssue(
                    scope=scope, service="k8s", operation=operation, error_code=code, message=message
                )
            )
            failed.update(fields)
    cluster, more = cluster_from_objects(name, objects)
    cluster = cluster.model_copy(update=dict.fromkeys(failed))
    unit = CollectionUnit(
        scope=scope,
        method="k8s-api",
        started_at=started,
        finished_at=datetime.now(UTC).replace(microsecond=0),
        collector=who,
        services=["k8s"],
    )
    return Snapshot(units=[unit], issues=issues + more, clusters=[cluster])


def list_all(method: Callable[..., Any], page_size: int, deadline: float | None = None) -> list:
    """Every item of one list call, page by page. An expired continue token (410) restarts the
    list once, so the pages belong to one consistent snapshot. Each page is bounded by LIST_TIMEOUT
    and the run's ``deadline``, body included."""
    for attempt in (1, 2):
        items: list = []
        token: str | None = None
        try:
            while True:
                end = time.monotonic() + LIST_TIMEOUT
                end = min(end, deadline) if deadline is not None else end
                left = end - time.monotonic()
                if left <= 0:
                    raise _api_exception()(status=504, reason="deadline reached before this list was read")
                kwargs: dict[str, Any] = {
                    "limit": page_size,
                    "_preload_content": False,
                    "_request_timeout": (REQUEST_TIMEOUT[0], min(REQUEST_TIMEOUT[1], left)),
                }
                if token:
                    kwargs["_continue"] = token
                page = _read(method(**kwargs), end)
                batch = page.get("items")
                if not isinstance(batch, list):
                    raise _api_exception()(
                        status=0, reason=f"the list answer has no items list ({_keys(page)})"
                    )
                if not all(isinstance(item, dict) for item in batch):
                    raise _api_exception()(status=0, reason="an item of the list answer is not an object")
                meta = page.get("metadata", {})
                if not isinstance(meta, dict):
                    raise _api_exception()(status=0, reason="the list answer's metadata is not an object")
                items.extend(batch)
                token = meta.get("continue") or None
                if not token:
                    return items
        except _api_exception() as exc:
            if exc.status == 410 and attempt == 1:
                continue
            raise
        except Exception as exc:  # connection refused, TLS, DNS, timeouts
            if _is_read_timeout(exc):
                raise _api_exception()(
                    status=504, reason=f"read timed out after {REQUEST_TIMEOUT[1]} s"
                ) from None
            if _is_transport_error(exc):
                raise Unreachable(f"{type(exc).__name__}: {_short(str(exc))}") from None
            raise
    return []  # not reached


def _read(response: Any, end: float) -> dict:
    page = _body(response, end)
    try:
        page = json.loads(page)
    except (ValueError, UnicodeDecodeError):
        raise _api_exception()(
            status=0, reason=f"the answer is not JSON ({_short(repr(page[:60]))})"
        ) from None
    if not isinstance(page, dict):
        raise _api_exception()(status=0, reason="the answer is not a JSON object")
    return page


def _body(response: Any, end: float) -> bytes:
    """The whole body, read against the clock: a body that trickles past ``end`` is cut (504)."""
    read1 = getattr(response, "read1", None)
    if read1 is None:  # already read (preloaded): nothing left to bound
        return response.data
    sock = getattr(getattr(response, "connection", None), "sock", None)
    chunks = []
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise _api_exception()(status=504, reason="the answer did not arrive in time (cut)")
            if sock is not None:
                sock.settimeout(min(REQUEST_TIMEOUT[1], left))
            chunk = read1(CHUNK)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except _api_exception():
        response.close()
        raise


def _keys(page: dict) -> str:
    keys = sorted(str(k) for k in page)[:5]
    return "keys: " + ", ".join(keys) if keys else "empty object"


def _api_exception():
    from kubernetes.client.exceptions import ApiException

    return ApiException


def _is_read_timeout(exc: Exception) -> bool:
    """A slow answer to one list (a very large one, say): that list fails, the server is still usable."""
    import urllib3.exceptions

    reason = getattr(exc, "reason", None)
    return isinstance(exc, urllib3.exceptions.ReadTimeoutError) or isinstance(
        reason, urllib3.exceptions.ReadTimeoutError
    )


def _is_transport_error(exc: Exception) -> bool:
    import urllib3.exceptions

    return isinstance(exc, (urllib3.exceptions.HTTPError, OSError))


ERROR_CODES = {
    0: "MalformedResponse",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    410: "Expired",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def _describe(exc: Any) -> tuple[str, str]:
    """(error code, one-line message) from an ApiException and its Status body."""
    message = str(exc.reason or "")
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else exc.body
    try:
        status = json.loads(body) if body else {}
    except ValueError:
        status = {}
    if isinstance(status, dict) and isinstance(status.get("message"), str):
        message = status["message"]
    code = ERROR_CODES.get(exc.status) or (status.get("reason") if isinstance(status, dict) else None)
    return str(code or f"HTTP{exc.status}"), _short(message or f"HTTP {exc.status}")


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:297] + "..."


def _retries() -> Any:
    """urllib3's default retries (three more tries of a refused or dropped connection), except after
    a read timeout: that attempt was given all the time the list had left (LIST_TIMEOUT, the run's
    deadline), and each retry would start the wait over, past both."""
    import urllib3

    class Retry(urllib3.util.Retry):
        def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
            if isinstance(error, urllib3.exceptions.ReadTimeoutError):
                raise error
            return super().increment(method, url, response, error, _pool, _stacktrace)

    return Retry(3)


def _configure(
    kubeconfig: str | None, context: str | None, cluster_name: str | None, in_cluster: bool
) -> tuple[Any, str, str]:
    """A private client Configuration (the module-global default is never touched), the cluster
    name (given, else the kubeconfig context's cluster; an EKS ARN becomes its name) and who collects."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    configuration.retries = _retries()
    try:
        if in_cluster:
            config.load_incluster_config(client_configuration=configuration)
            if not cluster_name:
                raise InputError("in-cluster collection needs the cluster name (the EKS cluster's name)")
            return configuration, cluster_name, "in-cluster service account"
        config.load_kube_config(
            config_file=kubeconfig, context=context, client_configuration=configuration, persist_config=False
        )
        contexts, active = config.list_kube_config_contexts(config_file=kubeconfig)
    except ConfigException as exc:
        raise InputError(f"kubeconfig: {_short(str(exc))}") from None
    except OSError as exc:
        raise InputError(f"kubeconfig: cannot read: {exc.strerror or exc}") from None
    chosen = next((c for c in contexts or [] if c.get("name") == context), None) if context else active
    ctx_name = (chosen or {}).get("name", "?")
    if not cluster_name:
        cluster = ((chosen or {}).get("context") or {}).get("cluster")
        if not cluster:
            raise InputError(f"kubeconfig context {ctx_name}: names no cluster; pass the cluster name")
        arn = Arn.maybe(cluster)
        cluster_name = arn.resource_id if arn and arn.resource_type == "cluster" else cluster
    return configuration, cluster_name, f"kubeconfig context {ctx_name}"
