"""Pre-deploy review: audit what is about to go live, alone and laid over what already runs.

    outcome = review([Path("template.yaml")], against=load("live.json"))
    outcome.introduced   # FAIL now, not FAIL before: what deploying the files would add

The declared snapshot (auditor.review.declared) is laid over the live one (auditor.review.overlay),
and unbound PVCs of efs-ap StorageClasses get the access point the controller would create
(auditor.review.provision);
the pipeline evaluates the live estate alone and the merged one, and each result is classified by
fingerprint (check id + resource id): introduced, resolved or unchanged. Results for declared
resources carry ``source_file`` and ``source_line``; every result carries ``review_status``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from auditor.model.result import AuditRun, Result, Status
from auditor.model.snapshot import Snapshot

INTRODUCED, RESOLVED, UNCHANGED, NOT_REASSESSED = "introduced", "resolved", "unchanged", "not_reassessed"
NEW_NOT_ASSESSED = "not_assessed"  # NEW in the comparison, but NOT_ASSESSED: nothing introduced is proven


@dataclass(frozen=True, kw_only=True)
class ReviewOutcome:
    declared: Snapshot  # what the files declare, alone
    merged: Snapshot  # the live snapshot with the declared resources laid over it
    before: AuditRun  # the live snapshot alone (an empty estate without --against)
    run: AuditRun  # the merged estate; every result carries evidence review_status
    introduced: list[Result] = field(default_factory=list)
    resolved: list[Result] = field(default_factory=list)  # includes FAILs whose resource is gone
    unchanged: list[Result] = field(default_factory=list)
    not_reassessed: list[Result] = field(default_factory=list)  # FAIL before, NOT_ASSESSED now
    not_assessed: list[Result] = field(default_factory=list)  # NOT_ASSESSED now, not open before


def review(
    paths: Sequence[Path],
    against: Snapshot | None,
    params=None,
    *,
    account: str | None = None,
    region: str | None = None,
    cluster: str | None = None,
    catalogue=None,
    now: datetime | None = None,
) -> ReviewOutcome:
    from auditor.pipeline import evaluate
    from auditor.review.build import PLACEHOLDER_ACCOUNT, PLACEHOLDER_REGION
    from auditor.review.declared import load_declared
    from auditor.review.overlay import overlay, rename_task_definitions, task_family_renames
    from auditor.review.provision import provision

    live = against or Snapshot()
    default_account, default_region, default_cluster = defaults_from(live)
    declared = load_declared(
        list(paths), account or default_account, region or default_region, cluster or default_cluster, live
    )
    declared = rename_task_definitions(declared, task_family_renames(declared, live))
    merged = provision(
        overlay(live, declared),
        account or default_account or PLACEHOLDER_ACCOUNT,
        region or default_region or PLACEHOLDER_REGION,
    )
    now = now or datetime.now(UTC).replace(microsecond=0)
    before = evaluate(live, params, catalogue, now=now)
    after = evaluate(merged, params, catalogue, now=now)
    return classify(declared, merged, before, after)


def defaults_from(live: Snapshot) -> tuple[str | None, str | None, str]:
    """Account and region of a live snapshot holding exactly one, and its only cluster's name."""
    regional = {
        tuple(u.scope.split(":")[1:3])
        for u in live.units
        if u.scope.startswith("aws:") and u.scope.count(":") == 2 and not u.scope.endswith(":global")
    }
    account, region = next(iter(regional)) if len(regional) == 1 else (None, None)
    names = {c.name for c in live.clusters}
    return account, region, next(iter(names)) if len(names) == 1 else "review"


def classify(declared: Snapshot, merged: Snapshot, before: AuditRun, after: AuditRun) -> ReviewOutcome:
    """Each result by the comparison `report --baseline` uses (auditor.report.baseline.diff): the merged
    estate is the live one re-evaluated with the files laid over it, so a resource gone from it is gone
    (every scope complete). A result with no change (PASS in both) is unchanged."""
    from auditor.report import baseline as bl

    names = {
        bl.NEW: INTRODUCED,
        bl.RESOLVED: RESOLVED,
        bl.UNCHANGED: UNCHANGED,
        bl.NOT_REASSESSED: NOT_REASSESSED,
    }
    results: list[Result] = []
    buckets: dict[str, list[Result]] = {name: [] for name in (*names.values(), NEW_NOT_ASSESSED)}
    changes = {id(now): state for state, _, now in bl.diff(before.results, after.results) if now is not None}
    for r in after.results:
        status = names[changes.get(id(r), bl.UNCHANGED)]
        if status == INTRODUCED and r.status is not Status.FAIL:
            status = NEW_NOT_ASSESSED
        r = annotate(r, status, merged.declared_at)
        results.append(r)
        buckets[status].append(r)
    for state, was, now in bl.diff(before.results, after.results):
        if now is None:  # the resource itself is gone from the merged estate
            buckets[names[state]].append(annotate(was, names[state], merged.declared_at))
    run = after.model_copy(update={"results": results})
    return ReviewOutcome(
        declared=declared,
        merged=merged,
        before=before,
        run=run,
        introduced=buckets[INTRODUCED],
        resolved=buckets[RESOLVED],
        unchanged=buckets[UNCHANGED],
        not_reassessed=buckets[NOT_REASSESSED],
        not_assessed=buckets[NEW_NOT_ASSESSED],
    )


def annotate(r: Result, status: str, declared_at: dict[str, str]) -> Result:
    evidence = {**r.evidence, "review_status": status}
    where = declared_at.get(r.resource_id)
    if where and "source_file" not in evidence:
        file, _, line = where.rpartition(":")
        if file and line.isdigit():
            evidence["source_file"], evidence["source_line"] = file, int(line)
        else:
            evidence["source_file"] = where
    return r.replace(evidence=evidence)


__all__ = ["INTRODUCED", "NOT_REASSESSED", "RESOLVED", "UNCHANGED", "ReviewOutcome", "classify", "review"]
