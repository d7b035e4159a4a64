"""The organization audit's three modes, for the Step Functions function (auditor.entrypoints.org_lambda)
and the Kubernetes Jobs (auditor.entrypoints.org_job):

    plan           writes plan.json and items.json under the run's prefix
    collect-shard  collects shard I of N of the plan into shards/shard-I.json
    reduce         merges the shards against the plan and runs the scheduled job's delivery on them
                   (auditor.scheduled.job.deliver: the same verified bundle as the scheduled Lambda)

Settings are the scheduled audit's ``EFS_AUDIT_*`` variables plus, for plan mode,
``EFS_AUDIT_ORG_ROLE_NAME`` (discover the organization's accounts and assume this role in each; else
``EFS_AUDIT_ROLE_ARNS`` is the plan), ``EFS_AUDIT_ORG_OUS`` and ``EFS_AUDIT_ORG_EXCLUDE`` (comma separated).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.scheduled import job as scheduled
from auditor.scheduled.aws import client
from auditor.scheduled.settings import SESSION_NAME, SettingsError, collection_budget, load_settings

MODES = ("plan", "collect-shard", "reduce")
_RUN = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


def run(mode: str, event: dict, context: Any, env: Mapping[str, str]) -> dict[str, Any]:
    """One mode of the organization audit; ``context``: what is left of the time budget (a Lambda
    context or anything with ``get_remaining_time_in_millis``)."""
    if mode not in MODES:
        raise SettingsError(f"event: mode {mode!r} is not one of {', '.join(MODES)}")
    org_env = {k: v for k, v in env.items() if k.startswith("EFS_AUDIT_ORG_")}
    job = load_settings({k: v for k, v in env.items() if k not in org_env})
    if not job.bucket:
        raise SettingsError("EFS_AUDIT_BUCKET: required (the bucket that receives plans, shards and bundles)")
    import boto3

    session = boto3.Session()
    s3 = client(session, "s3")
    if mode == "plan":
        return plan_mode(job, org_env, event, s3)
    if mode == "collect-shard":
        return shard_mode(job, event, s3, context)
    return reduce_mode(job, event, s3, session)


def plan_mode(job, org_env: dict[str, str], event: dict, s3) -> dict[str, Any]:
    import boto3

    from auditor.org import plan as plans

    run = str(event.get("run") or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    if not _RUN.match(run):
        raise SettingsError(f"event: run {run!r} is not a plain name")
    role_name = org_env.get("EFS_AUDIT_ORG_ROLE_NAME", "").strip()
    if role_name:
        from auditor.org.discover import discover

        made = discover(
            boto3.Session(),
            role_name,
            _csv(org_env.get("EFS_AUDIT_ORG_OUS")),
            (),
            _csv(org_env.get("EFS_AUDIT_ORG_EXCLUDE")),
            job.external_id,
            SESSION_NAME,
            job.regions,
        )
    elif job.role_arns:
        from auditor.collectors.aws.run import RoleTarget
        from auditor.model.ids import parse_arn
        from auditor.model.plan import PlannedAccount

        targets = [RoleTarget.parse(a, job.external_id, SESSION_NAME) for a in job.role_arns]
        made = plans.make_plan(
            "role-arns",
            [
                PlannedAccount(
                    account_id=parse_arn(t.arn).account,
                    role_arn=t.arn,
                    external_id=t.external_id,
                    session_name=t.session_name,
                )
                for t in targets
            ],
            [],
            job.regions,
        )
    else:
        raise SettingsError("EFS_AUDIT_ORG_ROLE_NAME or EFS_AUDIT_ROLE_ARNS: one is required in plan mode")
    run_prefix = f"{job.prefix}/org-runs/{run}/"
    plan_key, items_key = run_prefix + "plan.json", run_prefix + "items.json"
    count = len(made.accounts)
    import json

    s3.put_object(
        Bucket=job.bucket, Key=plan_key, Body=plans.dumps(made).encode(), ContentType="application/json"
    )
    items = [{"shard": f"{i}/{count}"} for i in range(count)]  # one account per item
    s3.put_object(
        Bucket=job.bucket, Key=items_key, Body=json.dumps(items).encode(), ContentType="application/json"
    )
    scheduled.log(
        "planned", accounts=count, skipped=len(made.skipped), digest=made.digest, run_prefix=run_prefix
    )
    return {
        "bucket": job.bucket,
        "plan_key": plan_key,
        "items_key": items_key,
        "run_prefix": run_prefix,
        "accounts": count,
        "digest": made.digest,
    }


def _load_plan(job, event: dict, s3):
    from auditor.model.snapshot import InputError
    from auditor.org import plan as plans

    key = str(event.get("plan_key") or "")
    if not key.startswith(f"{job.prefix}/org-runs/"):
        raise SettingsError(f"event: plan_key {key!r} is not under {job.prefix}/org-runs/")
    with tempfile.TemporaryDirectory(prefix="efs-audit-plan-") as tmp:
        path = Path(tmp) / "plan.json"
        path.write_bytes(s3.get_object(Bucket=job.bucket, Key=key)["Body"].read())
        try:
            return plans.load(path), key.rsplit("/", 1)[0] + "/"
        except InputError as exc:
            raise SettingsError(f"s3://{job.bucket}/{key}: {exc}") from None


def shard_mode(job, event: dict, s3, context) -> dict[str, Any]:
    from auditor.model import snapshot as snap
    from auditor.org import plan as plans
    from auditor.org.collect import ShardSettings, collect_shard

    the_plan, run_prefix = _load_plan(job, event, s3)
    index, count = plans.parse_shard(str(event.get("shard") or ""))
    budget = collection_budget(context, job.reserve_seconds)
    got = collect_shard(
        the_plan, index, count, ShardSettings(max_workers=job.max_workers, time_budget=budget)
    )
    key = f"{run_prefix}shards/shard-{index}.json"
    s3.put_object(Bucket=job.bucket, Key=key, Body=snap.dumps(got).encode(), ContentType="application/json")
    scheduled.log(
        "shard",
        shard=f"{index}/{count}",
        accounts=got.shards[0].accounts,
        units=len(got.units),
        issues=len(got.issues),
    )
    return {"shard": f"{index}/{count}", "key": key, "issues": len(got.issues)}


def reduce_mode(job, event: dict, s3, session) -> dict[str, Any]:
    from auditor.model import snapshot as snap
    from auditor.org.collect import merge_shards

    started = datetime.now(UTC).replace(microsecond=0)
    prepared = scheduled.prepare(job, session)
    the_plan, run_prefix = _load_plan(job, event, s3)
    shards, names = [], []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=job.bucket, Prefix=f"{run_prefix}shards/"):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=job.bucket, Key=obj["Key"])["Body"].read().decode()
            shards.append(snap.loads(body, f"s3://{job.bucket}/{obj['Key']}"))
            names.append(obj["Key"])
    merged = merge_shards(the_plan, shards, names)
    out = scheduled.deliver(prepared, merged, session, started)
    missing = sum(1 for i in merged.issues if i.operation == "Plan")
    summary = {
        "counts": out.counts,
        "complete": out.run.complete,
        "issues": len(out.run.issues),
        "planned_missing": missing,
        "shards": len(shards),
        "exit_code": out.exit_code,
        "s3": {k: out.s3[k] for k in ("bucket", "prefix", "objects", "index")},
    }
    scheduled.log("reduced", **summary)
    return summary


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]
