"""Collection against a plan: one shard (``collect --plan P --shard I/N``), or every shard on a local
process pool (``collect --plan P --workers K``) merged against the plan. Step Functions' Distributed
Map and Kubernetes Indexed Jobs run the same shard contract; nothing here schedules anything else."""

from __future__ import annotations

import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from auditor.model.plan import Plan, ShardStamp
from auditor.model.snapshot import Snapshot, merge
from auditor.org.gaps import with_plan_issues


@dataclass(frozen=True)
class ShardSettings:
    profile: str | None = None
    max_workers: int = 8
    page_size: int | None = None
    time_budget: float | None = None  # seconds from the shard's start; None: no deadline


def collect_shard(
    plan: Plan, index: int, count: int, settings: ShardSettings = ShardSettings(), progress=None
) -> Snapshot:
    """Whole accounts of one shard (global unit plus every planned region), stamped with the plan."""
    import time

    from auditor.collectors.aws import AwsSettings, RoleTarget, collect_aws

    accounts = plan.shard(index, count)
    stamp = ShardStamp(
        plan_digest=plan.digest, shard=f"{index}/{count}", accounts=[a.account_id for a in accounts]
    )
    if not accounts:
        return Snapshot(plan=plan, shards=[stamp])
    aws = AwsSettings(
        profile=settings.profile,
        regions=tuple(plan.regions),
        role_targets=tuple(RoleTarget(a.role_arn, a.external_id, a.session_name) for a in accounts),
        max_workers=settings.max_workers,
        page_size=settings.page_size,
        deadline=None if settings.time_budget is None else time.monotonic() + settings.time_budget,
    )
    collected = collect_aws(aws, progress=progress)
    return collected.model_copy(update={"plan": plan, "shards": [stamp]})


def merge_shards(plan: Plan, shards: list[Snapshot], sources: list[str] | None = None) -> Snapshot:
    """Shards of this plan merged, with every planned account, region or service no shard delivered
    recorded as a collection issue. A shard of another plan is refused."""
    from auditor.model.snapshot import InputError

    for n, shard in enumerate(shards):
        name = sources[n] if sources else f"shard {n}"
        if shard.plan is None or shard.plan.digest != plan.digest:
            found = shard.plan.digest[:12] if shard.plan else "none"
            raise InputError(
                f"{name}: collected against another plan (digest {found}, expected {plan.digest[:12]})"
            )
    merged = merge(Snapshot(plan=plan), *shards)
    return with_plan_issues(merged)


def _shard_worker(plan_json: str, index: int, count: int, settings: ShardSettings, folder: str) -> str:
    from auditor.model import snapshot as snap
    from auditor.model.plan import Plan as PlanModel

    got = collect_shard(PlanModel.model_validate_json(plan_json), index, count, settings)
    path = Path(folder) / f"shard-{index}.json"
    snap.save(got, path)
    return str(path)


def collect_with_workers(
    plan: Plan, workers: int, settings: ShardSettings = ShardSettings(), progress=None
) -> Snapshot:
    """K shard processes over the same contract, merged against the plan. A shard whose process
    failed is simply missing: the merge records its accounts as ShardMissing."""
    from auditor.model import snapshot as snap

    say = progress or (lambda _m: None)
    workers = max(1, workers)
    shards: list[Snapshot] = []
    with (
        tempfile.TemporaryDirectory(prefix="efs-audit-shards-") as folder,
        ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool,
    ):
        futures = [
            pool.submit(_shard_worker, plan.model_dump_json(), i, workers, settings, folder)
            for i in range(workers)
        ]
        for i, future in enumerate(futures):
            try:
                shards.append(snap.load(future.result()))
                say(f"shard {i}/{workers} collected")
            except Exception as exc:
                say(f"shard {i}/{workers} failed: {type(exc).__name__}: {exc}")
    return merge_shards(plan, shards)
