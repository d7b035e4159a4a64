"""The snapshot: everything one or more collection units observed, typed, versioned, mergeable.

A collection unit is one AWS account and region (``aws:<account>:<region>``, IAM as region
``global``) or one Kubernetes cluster (``k8s:<cluster>``). Units are independent: snapshots of
different units merge by concatenation, and resources are keyed by ARN or by cluster name.
"""

from __future__ import annotations

import gc
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import Field, ValidationError

from auditor.inputs import InputError
from auditor.model.aws import (
    AccessPoint,
    EcsService,
    FileSystem,
    IamRole,
    LambdaFunction,
    ManagedPolicy,
    SecurityGroup,
    Subnet,
    TaskDefinition,
)
from auditor.model.base import Model
from auditor.model.k8s import K8sCluster
from auditor.model.plan import Plan, ShardStamp

SCHEMA_VERSION: Final = "1"


class CollectionIssue(Model):
    """Something that could not be read. Checks turn what depends on it into NOT_ASSESSED."""

    scope: str  # collection unit, e.g. aws:111122223333:eu-west-1 or k8s:prod
    service: str  # efs, iam, ecs, lambda, ec2, eks, backup, k8s, seed
    operation: str  # the API call or list verb, e.g. DescribeFileSystemPolicy
    resource_id: str | None = None  # the resource it concerns; None: the whole service in scope
    error_code: str
    message: str


class CollectionUnit(Model):
    scope: str
    method: str  # aws-api, k8s-api, k8s-manifests, sample, declared
    started_at: datetime | None = None
    finished_at: datetime | None = None
    tool_version: str | None = None
    collector: str | None = None  # who collected: caller ARN, kube user, or the file paths read
    services: list[str] = Field(default_factory=list)  # services this unit attempted
    complete: bool = True  # False when the run stopped early (e.g. out of time)


class Snapshot(Model):
    schema_version: Literal["1"] = SCHEMA_VERSION
    units: list[CollectionUnit] = Field(default_factory=list)
    issues: list[CollectionIssue] = Field(default_factory=list)
    file_systems: list[FileSystem] = Field(default_factory=list)
    access_points: list[AccessPoint] = Field(default_factory=list)
    security_groups: list[SecurityGroup] = Field(default_factory=list)
    subnets: list[Subnet] = Field(default_factory=list)
    roles: list[IamRole] = Field(default_factory=list)
    managed_policies: list[ManagedPolicy] = Field(default_factory=list)
    task_definitions: list[TaskDefinition] = Field(default_factory=list)
    ecs_services: list[EcsService] = Field(default_factory=list)
    lambda_functions: list[LambdaFunction] = Field(default_factory=list)
    clusters: list[K8sCluster] = Field(default_factory=list)
    # Declared (pre-deploy review) resources only: resource id -> "file:line" of its declaration.
    declared_at: dict[str, str] = Field(default_factory=dict)
    # Organization collections: the plan this snapshot was collected against, and what each shard attempted.
    plan: Plan | None = None
    shards: list[ShardStamp] = Field(default_factory=list)

    # --- merging ------------------------------------------------------------------------------

    def normalised(self) -> Snapshot:
        """Every list sorted by its key, so equal estates serialise identically."""
        data = {name: sorted(getattr(self, name), key=_KEYS[name]) for name in _KEYS}
        return self.model_copy(update=data)


_KEYS = {
    "units": lambda u: u.scope,
    "issues": lambda i: (i.scope, i.service, i.operation, i.resource_id or "", i.error_code),
    "file_systems": lambda r: r.arn,
    "access_points": lambda r: r.arn,
    "security_groups": lambda r: (r.account_id, r.region, r.group_id),
    "subnets": lambda r: (r.account_id, r.region, r.subnet_id),
    "roles": lambda r: r.arn,
    "managed_policies": lambda r: r.arn,
    "task_definitions": lambda r: r.arn,
    "ecs_services": lambda r: r.arn,
    "lambda_functions": lambda r: r.arn,
    "clusters": lambda r: (r.name, r.account_id or "", r.region or ""),
}


def merge(*snapshots: Snapshot) -> Snapshot:
    """Merge snapshots of independent collection units.

    The same resource may appear in two pieces only when both observed it identically (for
    example an AWS managed policy read in two accounts); two different records under one key
    mean two collections overlapped, which is an error rather than a silent choice. An account's
    global unit (IAM) read by two region-shards of that account is one unit: the pieces combine.
    Shards of different plans never merge.
    """
    merged: dict[str, dict] = {name: {} for name in _KEYS}
    for snap in snapshots:
        for name, key in _KEYS.items():
            bucket = merged[name]
            for item in getattr(snap, name):
                k = key(item)
                if k in bucket and bucket[k] != item:
                    if name == "units" and k.endswith(":global"):
                        bucket[k] = _combine_global(bucket[k], item)
                        continue
                    if name == "units":
                        raise InputError(f"merge: collection unit {k} appears in two snapshots")
                    if name == "clusters":
                        bucket[k] = _combine_cluster(bucket[k], item)
                        continue
                    raise InputError(f"merge: {name} {k} differs between snapshots")
                bucket[k] = item
    declared_at = {k: v for snap in snapshots for k, v in snap.declared_at.items()}
    plans = {s.plan.digest: s.plan for s in snapshots if s.plan is not None}
    if len(plans) > 1:
        raise InputError(
            "merge: the snapshots were collected against different plans "
            f"(digests {', '.join(sorted(d[:12] for d in plans))})"
        )
    shards = sorted(
        {
            (s.plan_digest, s.shard or "", tuple(s.accounts)): s for snap in snapshots for s in snap.shards
        }.values(),
        key=lambda s: (s.shard or "", s.accounts),
    )
    clusters = _join_cluster_sides(list(merged.pop("clusters").values()))
    records: dict[str, Any] = {name: list(bucket.values()) for name, bucket in merged.items()}
    return Snapshot(
        **records,
        clusters=clusters,
        declared_at=dict(sorted(declared_at.items())),
        plan=next(iter(plans.values()), None),
        shards=shards,
    ).normalised()


def _combine_global(a: CollectionUnit, b: CollectionUnit) -> CollectionUnit:
    """One account's IAM unit read twice (by two region-shards): the earliest start, the latest end,
    complete only when both were."""
    if a.method != b.method:
        raise InputError(f"merge: collection unit {a.scope} appears in two snapshots with different methods")
    starts = [t for t in (a.started_at, b.started_at) if t is not None]
    ends = [t for t in (a.finished_at, b.finished_at) if t is not None]
    collectors = sorted({c for c in (a.collector, b.collector) if c})
    return a.model_copy(
        update={
            "started_at": min(starts) if starts else None,
            "finished_at": max(ends) if ends else None,
            "services": sorted(set(a.services) | set(b.services)),
            "complete": a.complete and b.complete,
            "collector": " + ".join(collectors) or None,
        }
    )


def _join_cluster_sides(clusters: list[K8sCluster]) -> list[K8sCluster]:
    """Clusters are keyed by account, region and name. A Kubernetes-side record (no account: read from the
    API server or manifests) joins the one EKS record it names: by the cluster ARN, or by a name no other
    EKS cluster of the snapshot shares."""
    eks = [c for c in clusters if c.account_id is not None]
    out = list(eks)
    for k in (c for c in clusters if c.account_id is None):
        matches = [c for c in eks if c.eks_arn == k.name] or [c for c in eks if c.name == k.name]
        if len(matches) > 1:
            raise InputError(
                f"merge: cluster {k.name}: {len(matches)} EKS clusters of different accounts or "
                "regions share this name; name the Kubernetes collection by the cluster's ARN "
                "(--cluster-name arn:aws:eks:REGION:ACCOUNT:cluster/NAME)"
            )
        if matches:
            joined = _combine_cluster(matches[0], k.model_copy(update={"name": matches[0].name}))
            out[out.index(matches[0])] = joined
            eks[eks.index(matches[0])] = joined
        else:
            out.append(k)
    return out


def _combine_cluster(a: K8sCluster, b: K8sCluster) -> K8sCluster:
    """The AWS side (EKS: account, pod identity associations, node roles) and the Kubernetes side
    (objects) of one cluster arrive from different collection units: combine field by field."""
    data = {}
    for field in K8sCluster.model_fields:
        x, y = getattr(a, field), getattr(b, field)
        if x is not None and y is not None and x != y:
            raise InputError(f"merge: cluster {a.name}: {field} differs between snapshots")
        data[field] = x if x is not None else y
    return K8sCluster(**data)


# --- files ------------------------------------------------------------------------------------


def dumps(snapshot: Snapshot) -> str:
    # A snapshot of no plan serialises as before plans existed (same bytes, same digest).
    unplanned = {"plan", "shards"} if snapshot.plan is None and not snapshot.shards else None
    return snapshot.normalised().model_dump_json(indent=1, exclude_none=False, exclude=unplanned) + "\n"


def save(snapshot: Snapshot, path: Path) -> None:
    write_atomic(path, dumps(snapshot))


def write_atomic(path: Path, text: str, mode: int = 0o600) -> None:
    """Write a whole file or nothing, never through a link: a temporary file with an unpredictable name
    is created exclusively in the destination folder (tempfile.mkstemp: O_EXCL, so an existing name or
    link is never opened), given ``mode`` whatever the umask (0600 by default: a snapshot holds every
    policy of the estate), synced, then renamed over the destination (os.replace replaces a link at the
    destination instead of following it). Missing parent folders are created 0700."""
    import os
    import tempfile

    path = Path(path)
    tmp = None
    try:
        _make_parents(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with open(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _make_parents(folder: Path) -> None:
    import os

    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for d in reversed(missing):
        os.mkdir(d, 0o700)
        os.chmod(d, 0o700)


MAX_DIGITS_RUN = 64  # auditor.inputs allows integers of at most 64 digits
_DIGITS_AS_NUL = bytes.maketrans(b"0123456789", bytes(10))


def _long_digit_run(text: str) -> bool:
    """Whether the text holds more than MAX_DIGITS_RUN ASCII digits in a row (as a JSON integer may).
    The digits are mapped to NUL bytes and the run searched as a substring: at 10k access points this
    took 0.75 s as a regular expression search (twice json.loads of the same text), a few hundredths
    this way."""
    return bytes(MAX_DIGITS_RUN + 1) in text.encode("utf-8", "surrogatepass").translate(_DIGITS_AS_NUL)


_FREEZE_FROM = 1 << 20  # bytes of snapshot text from which its objects are frozen (gc.freeze)


def loads(text: str, source: str = "<snapshot>") -> Snapshot:
    # Parse and validate in one pass (pydantic's JSON mode, no tree of Python dicts first): within 1.5x of
    # json.loads at 100k access points, where the two-step path took 3x. Text with an integer longer than
    # the safe reader allows, or anything the fast path refuses, takes the two-step path through the safe
    # parser (auditor.inputs: digit and nesting limits), which names the problem in one line.
    from auditor.inputs import json_loads
    from auditor.model.compact import share_fields_sets
    from auditor.model.gc_pause import gc_paused
    from auditor.model.heap import give_back

    if not _long_digit_run(text):
        try:
            with gc_paused():  # a snapshot has no reference cycles: the collector would triple the time
                snapshot = Snapshot.model_validate_json(text)
                if len(text) >= _FREEZE_FROM:
                    # The new objects would otherwise be scanned by the first collections after the
                    # pause, three times over (measured: 0.7 s at 10k access points, a third of a
                    # who-can). Frozen, the collector ignores them; reference counting still frees them.
                    share_fields_sets(snapshot)  # auditor.model.compact: one walk, here rather than per run
                    gc.freeze()
                    give_back()  # the parse's freed pages (auditor.model.heap)
            if "schema_version" in snapshot.model_fields_set:  # the version must be stated, not defaulted
                return snapshot
        except ValidationError:
            pass
    data = json_loads(text, source)
    if not isinstance(data, dict):
        raise InputError(f"{source}: a snapshot is a JSON object, found {type(data).__name__}")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise InputError(f"{source}: schema_version: expected {SCHEMA_VERSION!r}, found {version!r}")
    try:
        return Snapshot.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{source}: {describe_validation_error(exc)}") from None


def read_text(path: str | Path, what: str) -> str:
    """A UTF-8 input file's text, or an InputError naming the file and what is wrong (auditor.inputs:
    regular files only, size-limited)."""
    from auditor.inputs import read_text as safe_read_text

    return safe_read_text(path, what)


def load(path: str | Path) -> Snapshot:
    return loads(read_text(path, "a snapshot JSON file"), str(path))


def describe_validation_error(exc: ValidationError) -> str:
    """The first error as one line: dotted field path, then what is wrong."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(top level)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {err['msg']}{more}"
