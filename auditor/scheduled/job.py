"""The scheduled audit, written once for every front door (the Lambda, the CronJob, the organization
reduce):

    prepare   settings that can be refused are refused before collecting (waivers, baseline)
    collect   AWS, and the cluster when configured, through the pipeline (as `efs-audit scan`)
              -- or a snapshot the caller loaded (the organization's merged shards)
    deliver   evaluate -> exit code (auditor.gate) -> verified bundle (a local directory and/or S3,
              with its index entry) -> Security Hub

Every step logs one JSON line per milestone on stdout (CloudWatch Logs / kubectl logs). Clients come
from the one session the caller passes in.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from auditor import gate
from auditor.model.result import AuditRun, Status
from auditor.scheduled import sinks
from auditor.scheduled.aws import client
from auditor.scheduled.baseline import load_baseline, needs_s3, with_baseline
from auditor.scheduled.settings import SESSION_NAME, JobSettings, signer
from auditor.scheduled.sinks import DeliveryError


def log(milestone: str, **fields: Any) -> None:
    """One JSON line per milestone on stdout."""
    sys.stdout.write(
        json.dumps({"logger": "efs-audit", "milestone": milestone, **fields}, default=str, sort_keys=True)
        + "\n"
    )
    sys.stdout.flush()


@dataclass(frozen=True)
class Prepared:
    """What is read before collecting: the catalogue, the report options (waivers), the baseline."""

    job: JobSettings
    catalogue: Any
    options: Any
    previous: AuditRun | None = None
    baseline_source: str | None = None
    baseline_note: str | None = None


@dataclass(frozen=True)
class Outcome:
    run: AuditRun
    counts: dict[str, int]
    exit_code: int
    failing: int  # unwaived FAIL results at or above fail-on
    baseline: dict | None  # the comparison's summary (None without EFS_AUDIT_BASELINE)
    location: str  # the S3 URI when uploaded, else the local bundle directory
    s3: dict | None  # bucket, prefix, uri, objects, index
    security_hub: dict | None


def prepare(job: JobSettings, session) -> Prepared:
    """A bad waiver file or an unreadable explicit baseline is bad input, found before collecting."""
    from auditor import catalog
    from auditor.report.output import options_from

    catalogue = catalog.load()
    options = options_from(catalogue, waivers=Path(job.waivers) if job.waivers else None)
    previous, source, note = load_baseline(job, client(session, "s3") if needs_s3(job) else None)
    return Prepared(job, catalogue, options, previous, source, note)


def collect(job: JobSettings, deadline: float | None):
    """AWS (and the cluster, when configured) through the pipeline's collect, as `efs-audit scan`."""
    from auditor.collectors.aws import AwsSettings, RoleTarget
    from auditor.model.snapshot import merge
    from auditor.pipeline import CollectSettings
    from auditor.pipeline import collect as run_collect

    targets = tuple(RoleTarget(arn, job.external_id, SESSION_NAME) for arn in job.role_arns)
    extra = {"max_attempts": job.max_attempts} if job.max_attempts else {}
    aws = AwsSettings(
        regions=job.regions, role_targets=targets, max_workers=job.max_workers, deadline=deadline, **extra
    )
    snapshot = run_collect(CollectSettings(aws=aws))
    if job.k8s_cluster:
        snapshot = merge(snapshot, collect_cluster(job.k8s_cluster, deadline, job.kubeconfig))
    log(
        "collected",
        units=len(snapshot.units),
        issues=len(snapshot.issues),
        timeouts=sum(1 for i in snapshot.issues if i.error_code == "Timeout"),
    )
    return snapshot


def collect_cluster(cluster_name: str, deadline: float | None = None, kubeconfig: str | None = None):
    """The live Kubernetes collector, from the pod's service account (or ``kubeconfig``). Past the
    deadline it is not started: the cluster becomes an incomplete unit with a Timeout issue, so its
    checks are NOT_ASSESSED."""
    from auditor.model.scope import k8s_scope
    from auditor.model.snapshot import CollectionIssue, CollectionUnit, Snapshot, merge

    if deadline is not None and time.monotonic() >= deadline:
        scope = k8s_scope(cluster_name)
        return Snapshot(
            units=[CollectionUnit(scope=scope, method="k8s-api", services=["k8s"], complete=False)],
            issues=[
                CollectionIssue(
                    scope=scope,
                    service="k8s",
                    operation="*",
                    error_code="Timeout",
                    message="deadline reached before this cluster was collected",
                )
            ],
        )
    from auditor.collectors.k8s.live import collect_cluster as list_cluster

    # Started before the deadline, the lists are still bounded by it (a list in flight is cut).
    if kubeconfig:
        return merge(list_cluster(kubeconfig=kubeconfig, cluster_name=cluster_name, deadline=deadline))
    return merge(list_cluster(in_cluster=True, cluster_name=cluster_name, deadline=deadline))


def status_counts(run: AuditRun) -> dict[str, int]:
    counts = Counter(r.status.value for r in run.results)
    return {s.value: counts.get(s.value, 0) for s in Status}


def deliver(
    prepared: Prepared, snapshot, session, started: datetime, local_dir: str | None = None
) -> Outcome:
    """Evaluate, gate, write the verified bundle (under ``local_dir/<run-timestamp>/`` when given, and
    to ``s3://bucket/<prefix>/<YYYY>/<MM>/<DD>/<run-id>/`` when a bucket is set), then import into
    Security Hub when asked. Anything not delivered in full raises DeliveryError."""
    from auditor.model.snapshot import dumps
    from auditor.pipeline import evaluate
    from auditor.report.bundle import verify_bundle, write_bundle
    from auditor.report.history import write_index_local

    job, catalogue, options = prepared.job, prepared.catalogue, prepared.options
    run = evaluate(snapshot, job.params, catalogue)
    counts = status_counts(run)
    code = gate.run_exit_code(run, job.fail_on, job.allow_partial, options.waivers)
    compared = None
    if job.baseline:
        options, compared = with_baseline(
            options, run, prepared.previous, prepared.baseline_source, prepared.baseline_note
        )
    log("evaluated", counts=counts, complete=run.complete, exit_code=code, baseline=compared)
    s3_summary = None
    with tempfile.TemporaryDirectory(prefix="efs-audit-") as tmp:
        if local_dir:
            try:
                Path(local_dir).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DeliveryError(f"{local_dir}: cannot create: {exc.strerror or exc}") from None
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        target = Path(local_dir) / stamp if local_dir else Path(tmp) / "bundle"
        sign = signer(job, lambda: session)
        bundle = write_bundle(target, run, dumps(snapshot), list(job.formats), catalogue, options, sign)
        problems = verify_bundle(bundle)
        if problems:
            where = f"{bundle}: " if local_dir else ""
            raise DeliveryError(f"{where}bundle failed verification: {problems[0]}")
        location = str(bundle)
        if local_dir:
            write_index_local(Path(local_dir), bundle)
        if job.bucket:
            s3 = client(session, "s3")
            key_prefix = sinks.run_key_prefix(job.prefix, started, _run_id(bundle))
            keys = sinks.upload_bundle(s3, bundle, job.bucket, key_prefix)
            index_key = sinks.put_index(s3, job, bundle, key_prefix)
            location = f"s3://{job.bucket}/{key_prefix}"
            s3_summary = {
                "bucket": job.bucket,
                "prefix": key_prefix,
                "uri": location,
                "objects": len(keys),
                "index": index_key,
            }
            log("uploaded", location=location, objects=len(keys))
    hub = None
    if job.security_hub:
        hub = sinks.import_security_hub(session, run, catalogue, options)
        log("imported", security_hub=hub)
    failing = len(gate.failing(run, job.fail_on, options.waivers))
    return Outcome(run, counts, code, failing, compared, location, s3_summary, hub)


def _run_id(bundle: Path) -> str:
    return str(json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))["run_id"])
