"""Container / Kubernetes CronJob front door: ``python -m auditor.entrypoints.cronjob``.

Reads the same ``EFS_AUDIT_*`` environment variables as the Lambda handler, runs the scheduled audit
(auditor.scheduled.job), writes the bundle under ``$EFS_AUDIT_OUTPUT_DIR/<run-timestamp>/`` and/or
uploads it to ``s3://$EFS_AUDIT_BUCKET/<prefix>/<YYYY>/<MM>/<DD>/<run-id>/``, and exits with
scan's codes (auditor.gate):

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
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime

from auditor.gate import BAD_INPUT, UNDELIVERED
from auditor.model.snapshot import InputError
from auditor.scheduled import job as scheduled
from auditor.scheduled.settings import TIME_BUDGET, SettingsError, deadline_from, load_settings
from auditor.scheduled.sinks import DeliveryError

__all__ = ["TIME_BUDGET", "main", "run"]


def run(env: Mapping[str, str]) -> int:
    import boto3

    started = datetime.now(UTC).replace(microsecond=0)
    try:
        job = load_settings(env)
        if not job.output_dir and not job.bucket:
            raise SettingsError("set EFS_AUDIT_OUTPUT_DIR, EFS_AUDIT_BUCKET or both")
        deadline = deadline_from(env, job)
        session = boto3.Session()
        prepared = scheduled.prepare(job, session)
    except (SettingsError, InputError) as exc:
        return _failed(exc, BAD_INPUT)
    scheduled.log(
        "start",
        regions=list(job.regions),
        role_arns=list(job.role_arns),
        bucket=job.bucket,
        output_dir=job.output_dir,
        k8s_cluster=job.k8s_cluster,
    )
    try:
        snapshot = scheduled.collect(job, deadline)
        out = scheduled.deliver(prepared, snapshot, session, started, local_dir=job.output_dir)
    except (DeliveryError, InputError) as exc:
        return _failed(exc, UNDELIVERED)
    except Exception as exc:
        return _failed(exc, UNDELIVERED, trace=True)
    scheduled.log(
        "done",
        counts=out.counts,
        complete=out.run.complete,
        issues=len(out.run.issues),
        failing=out.failing,
        fail_on=job.fail_on,
        exit_code=out.exit_code,
        location=out.location,
        security_hub=out.security_hub,
        baseline=out.baseline,
        run_timestamp=started.isoformat(),
    )
    return out.exit_code


def _failed(exc: Exception, code: int, trace: bool = False) -> int:
    scheduled.log("failed", error=type(exc).__name__, message=str(exc))
    if trace:
        traceback.print_exc(file=sys.stderr)
    else:
        print(f"efs-audit: {exc}", file=sys.stderr)
    return code


def main() -> None:
    sys.exit(run(os.environ))


if __name__ == "__main__":
    main()
