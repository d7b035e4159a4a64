"""Container / Kubernetes CronJob front door: ``python -m auditor.entrypoints.cronjob``.

Reads the same ``EFS_AUDIT_*`` environment variables as the Lambda handler, runs the pipeline of
``efs-audit scan`` (collect, evaluate, evidence bundle), writes the bundle under
``$EFS_AUDIT_OUTPUT_DIR/<run-timestamp>/`` and/or uploads it to ``s3://$EFS_AUDIT_BUCKET/<prefix>/
<YYYY>/<MM>/<DD>/<run-timestamp>/``, and exits with scan's codes:

  0 clean, 1 findings at or above EFS_AUDIT_FAIL_ON, 2 bad settings,
  3 incomplete collection (unless EFS_AUDIT_ALLOW_PARTIAL), 4 the bundle could not be delivered.

``EFS_AUDIT_TIME_BUDGET_SECONDS`` (set it to the Job's activeDeadlineSeconds) stops starting collection
work ``EFS_AUDIT_RESERVE_SECONDS`` before the budget ends, so the pod is not killed while writing; what
was skipped is NOT_ASSESSED. ``EFS_AUDIT_K8S_CLUSTER`` also collects the cluster the pod runs in
(in-cluster service account, or ``EFS_AUDIT_KUBECONFIG``) under that name.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from auditor.entrypoints.aws_lambda import (
    DELIVERY_CONFIG,
    DeliveryError,
    JobSettings,
    SettingsError,
    collect,
    exit_code,
    failing,
    import_security_hub,
    load_baseline,
    load_settings,
    log,
    put_index,
    report_options,
    run_key_prefix,
    s3_for_baseline,
    signer,
    status_counts,
    upload_bundle,
    with_baseline,
)

EXIT_BAD_INPUT = 2
EXIT_UNDELIVERED = 4
TIME_BUDGET = "EFS_AUDIT_TIME_BUDGET_SECONDS"


def collect_cluster(cluster_name: str, deadline: float | None = None, kubeconfig: str | None = None):
    """The live Kubernetes collector through the pipeline, from the pod's service account (or
    ``kubeconfig``). Past the deadline it is not started: the cluster becomes an incomplete unit with a
    Timeout issue, so its checks are NOT_ASSESSED."""
    from auditor.model.scope import k8s_scope
    from auditor.model.snapshot import CollectionIssue, CollectionUnit, Snapshot

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
    from auditor.model.snapshot import merge

    # Started before the deadline, the lists are still bounded by it (a list in flight is cut).
    if kubeconfig:
        return merge(list_cluster(kubeconfig=kubeconfig, cluster_name=cluster_name, deadline=deadline))
    return merge(list_cluster(in_cluster=True, cluster_name=cluster_name, deadline=deadline))


def deadline_from(env: Mapping[str, str], job: JobSettings) -> float | None:
    text = env.get(TIME_BUDGET, "").strip()
    if not text:
        return None
    try:
        budget = float(text)
    except ValueError:
        raise SettingsError(f"{TIME_BUDGET}: {text!r} is not a number of seconds") from None
    if budget <= 0:
        raise SettingsError(f"{TIME_BUDGET}: must be positive")
    return time.monotonic() + max(0.0, budget - job.reserve_seconds)


def run(env: Mapping[str, str]) -> int:
    import boto3

    from auditor import catalog
    from auditor.model.snapshot import InputError, dumps
    from auditor.pipeline import evaluate
    from auditor.report.bundle import verify_bundle, write_bundle
    from auditor.report.history import write_index_local

    started = datetime.now(UTC).replace(microsecond=0)
    try:
        job = load_settings(env)
        if not job.output_dir and not job.bucket:
            raise SettingsError("set EFS_AUDIT_OUTPUT_DIR, EFS_AUDIT_BUCKET or both")
        deadline = deadline_from(env, job)
        catalogue = catalog.load()
        options = report_options(catalogue, job)
        previous, baseline_source, baseline_note = load_baseline(job, s3_for_baseline(job, boto3.Session))
    except (SettingsError, InputError) as exc:
        log("failed", error=type(exc).__name__, message=str(exc))
        print(f"efs-audit: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    log(
        "start",
        regions=list(job.regions),
        role_arns=list(job.role_arns),
        bucket=job.bucket,
        output_dir=job.output_dir,
        k8s_cluster=job.k8s_cluster,
    )
    try:
        snapshot = collect(job, deadline)
        log(
            "collected",
            units=len(snapshot.units),
            issues=len(snapshot.issues),
            timeouts=sum(1 for i in snapshot.issues if i.error_code == "Timeout"),
        )
        result = evaluate(snapshot, job.params, catalogue)
        counts, code = status_counts(result), exit_code(result, job)
        compared = None
        if job.baseline:
            options, compared = with_baseline(options, result, previous, baseline_source, baseline_note)
        log("evaluated", counts=counts, complete=result.complete, exit_code=code, baseline=compared)
        stamp = run_key_prefix("", started).strip("/").rsplit("/", 1)[-1]
        with tempfile.TemporaryDirectory(prefix="efs-audit-") as tmp:
            if job.output_dir:
                try:
                    Path(job.output_dir).mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise DeliveryError(f"{job.output_dir}: cannot create: {exc.strerror or exc}") from None
            target = Path(job.output_dir) / stamp if job.output_dir else Path(tmp) / "bundle"
            bundle = write_bundle(
                target, result, dumps(snapshot), list(job.formats), catalogue, options, signer(job)
            )
            problems = verify_bundle(bundle)
            if problems:
                raise DeliveryError(f"{bundle}: bundle failed verification: {problems[0]}")
            location = str(bundle)
            if job.output_dir:
                write_index_local(Path(job.output_dir), bundle)
            if job.bucket:
                key_prefix = run_key_prefix(job.prefix, started)
                s3 = boto3.Session().client("s3", config=DELIVERY_CONFIG())
                keys = upload_bundle(s3, bundle, job.bucket, key_prefix)
                put_index(s3, job, bundle, key_prefix)
                location = f"s3://{job.bucket}/{key_prefix}"
                log("uploaded", location=location, objects=len(keys))
        hub = None
        if job.security_hub:
            hub = import_security_hub(boto3.Session(), result, catalogue, options)
            log("imported", security_hub=hub)
    except (DeliveryError, InputError) as exc:
        log("failed", error=type(exc).__name__, message=str(exc))
        print(f"efs-audit: {exc}", file=sys.stderr)
        return EXIT_UNDELIVERED
    except Exception as exc:
        log("failed", error=type(exc).__name__, message=str(exc))
        traceback.print_exc(file=sys.stderr)
        return EXIT_UNDELIVERED
    log(
        "done",
        counts=counts,
        complete=result.complete,
        issues=len(result.issues),
        failing=failing(result, catalogue, job),
        fail_on=job.fail_on,
        exit_code=code,
        location=location,
        security_hub=hub,
        baseline=compared,
        run_timestamp=started.isoformat(),
    )
    return code


def main() -> None:
    sys.exit(run(os.environ))


if __name__ == "__main__":
    main()
