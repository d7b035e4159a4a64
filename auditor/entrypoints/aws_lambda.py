"""AWS Lambda front door: a scheduled audit that writes its evidence bundle to S3.

Settings are ``EFS_AUDIT_*`` environment variables, overridable by the event (auditor.scheduled.settings);
the run is auditor.scheduled.job. Importing this module does no work and creates no client.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from auditor.scheduled import job as scheduled
from auditor.scheduled.settings import SettingsError, collection_budget, load_settings


def handler(event: Any, context: Any) -> dict[str, Any]:
    import boto3

    started = datetime.now(UTC).replace(microsecond=0)
    request_id = getattr(context, "aws_request_id", None)
    try:
        job = load_settings(os.environ, event if isinstance(event, Mapping) else None)
        if not job.bucket:
            raise SettingsError("EFS_AUDIT_BUCKET: required (the bucket that receives the bundle)")
        if job.k8s_cluster and importlib.util.find_spec("kubernetes") is None:
            raise SettingsError(
                "EFS_AUDIT_K8S_CLUSTER: the Lambda package has no Kubernetes client; collect "
                "clusters with the CronJob (samples/deploy/kubernetes) instead"
            )
        budget = collection_budget(context, job.reserve_seconds)
        deadline = None if budget is None else time.monotonic() + budget
        session = boto3.Session()
        prepared = scheduled.prepare(job, session)
        scheduled.log(
            "start",
            request_id=request_id,
            regions=list(job.regions),
            role_arns=list(job.role_arns),
            bucket=job.bucket,
            reserve_seconds=job.reserve_seconds,
            collection_seconds=budget,
        )
        snapshot = scheduled.collect(job, deadline)
        out = scheduled.deliver(prepared, snapshot, session, started)
        summary = {
            "counts": out.counts,
            "complete": out.run.complete,
            "issues": len(out.run.issues),
            "failing": out.failing,
            "fail_on": job.fail_on,
            "exit_code": out.exit_code,
            "s3": out.s3,
            "security_hub": out.security_hub,
            "baseline": out.baseline,
            "run_timestamp": started.isoformat(),
        }
        scheduled.log("done", **summary)
        return summary
    except Exception as exc:  # logged as one line, then raised: the invocation fails, loudly
        scheduled.log("failed", error=type(exc).__name__, message=str(exc), request_id=request_id)
        raise
