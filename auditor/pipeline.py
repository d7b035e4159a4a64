"""The one pipeline every front door calls: snapshot -> analysis -> results -> AuditRun."""

from __future__ import annotations

import gc
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path

from auditor import __version__
from auditor.analysis.access import Analysis
from auditor.checks import AUTHORIZATION_CHECKS, CHECKS
from auditor.checks.base import Finding
from auditor.checks.declaration import Check
from auditor.checks.facts import ENUMERATED_BY, Resolver, kind_of
from auditor.graph import drop as drop_graph
from auditor.graph import drop_reach, graph_of
from auditor.graph.links import link
from auditor.model.compact import share_fields_sets
from auditor.model.facts import Coverage, fact_of, is_listing, opens_account
from auditor.model.result import RUN_SCHEMA_VERSION, AuditRun, Result, Severity, Status, fingerprint, result
from auditor.model.snapshot import InputError, Snapshot, dumps, merge
from auditor.params import Params


def evaluate(
    snapshot: Snapshot,
    params: Params | None = None,
    catalogue=None,
    now: datetime | None = None,
    skip: frozenset[str] = frozenset(),
    snapshot_digest: str | None = None,
) -> AuditRun:
    """skip: check ids not to run (validated by the caller); the run's parameters name them.
    ``snapshot_digest``: digest(dumps(snapshot)) when the caller serialised it already (see serialised)."""
    from auditor import catalog

    params = params or Params()
    catalogue = catalogue or catalog.load()
    if snapshot.plan is not None:  # what the plan names but no shard delivered is a collection issue
        from auditor.org.gaps import with_plan_issues

        # The digest names the snapshot as given (the text a bundle holds); the gaps are derived from it.
        snapshot_digest = snapshot_digest or digest(dumps(snapshot))
        snapshot = with_plan_issues(snapshot)
    # The snapshot lives for the whole run and the results accumulate until its end; the analysis
    # builds no reference cycles, so reference counting frees what it drops. The cyclic collector
    # would only re-scan ever more live objects (measured: 40% of the analysis time at 30k access
    # points, and the part that grew faster than the estate), so it is paused for the evaluation
    # (not run first either: a full collection costs as much as the caller's whole heap).
    enabled = gc.isenabled()
    gc.disable()
    try:
        share_fields_sets(snapshot)  # memory only: about half of a large snapshot (auditor.model.compact)
        return _evaluate(snapshot, params, catalogue, now, skip, snapshot_digest)
    finally:
        if enabled:
            gc.enable()


def _evaluate(
    snapshot: Snapshot,
    params: Params,
    catalogue,
    now: datetime | None,
    skip: frozenset[str],
    snapshot_digest: str,
) -> AuditRun:
    # Digest first: the serialised snapshot is large and should not coexist with the analysis.
    snapshot_digest = snapshot_digest or digest(dumps(snapshot))
    analysis = Analysis(snapshot, params)
    coverage = Coverage(snapshot)
    facts = Resolver(analysis)
    graph_of(analysis)  # the identity graph and its reach: every FAIL's path is a walk in it
    units = _Units(snapshot.units)
    by_check: dict[str, list[Result]] = {}
    shared: dict = {}
    settled: dict = {}  # depends_on tuple -> the facts of it not read (one lookup per distinct tuple)
    # The latent checks first: their indexes are transient, and run last they stacked on the per-mount
    # authorization evidence of the others (76 MB over the run's peak at 100k access points). Results are
    # ordered by check id whatever the order they ran in.
    authorization = sorted(AUTHORIZATION_CHECKS, key=lambda c: c not in _LATENT)
    order = authorization + [c for c in CHECKS if c not in AUTHORIZATION_CHECKS]
    for n, check_id in enumerate(order):
        if n == len(AUTHORIZATION_CHECKS):
            analysis.release_authorization()
            drop_reach(analysis)  # the rows only the authorization checks read (the graph stays for paths)
        if check_id in skip:
            continue
        check = CHECKS[check_id]
        severity = catalogue.checks[check_id].severity
        results = by_check.setdefault(check_id, [])
        needs_of: dict[str, tuple] = {}  # resource type -> the facts its results rest on
        for f in check.run(analysis):
            if f.status is Status.FAIL:
                link(analysis, f)  # FAILs name what they connect to
            _share(f, shared)
            needs = needs_of.get(f.resource_type)
            if needs is None:
                needs = needs_of[f.resource_type] = tuple(check.evaluates.get(kind_of(f.resource_type), ()))
            depends_on = facts.depends_on(needs, f)
            if coverage:
                _settle(f, check, depends_on, coverage, facts, settled)
            results.append(_result(f, severity, units, depends_on))
        for f in _scope_gaps(check, snapshot) if coverage else ():
            results.append(_result(f, severity, units, tuple(f.path)))
        for f in _listing_gaps(check, coverage) if coverage else ():
            results.append(_result(f, severity, units, tuple(f.path)))
    # Ordered by (check id, resource id), generation order among equals: each check's results sorted
    # by resource id (a stable sort), the checks in id order.
    results = []
    for check_id in sorted(by_check):
        group = by_check.pop(check_id)
        group.sort(key=_RESOURCE_ID)
        results.extend(group)
    drop_graph(analysis)
    return AuditRun.model_construct(
        schema_version=RUN_SCHEMA_VERSION,
        tool_version=__version__,
        generated_at=now or datetime.now(UTC),
        snapshot_digest=snapshot_digest,
        catalogue_digest=catalogue.digest,
        parameters={**params.evidence(), **({"checks_skipped": sorted(skip)} if skip else {})},
        units=sorted(snapshot.units, key=lambda u: u.scope),
        issues=sorted(snapshot.issues, key=lambda i: (i.scope, i.service, i.operation, i.resource_id or "")),
        results=results,
    )


def digest(snapshot_json: str) -> str:
    """The run's snapshot_digest: sha256 of the snapshot's canonical serialisation (model.snapshot.dumps)."""
    return hashlib.sha256(snapshot_json.encode("utf-8")).hexdigest()


def serialised(snapshot: Snapshot, keep: bool) -> tuple[str | None, str]:
    """(dumps(snapshot) if ``keep`` else None, its digest): one serialisation per run serves the digest
    and the evidence bundle; without a bundle the text is not kept alive through the analysis."""
    from auditor.model.heap import give_back

    text = dumps(snapshot)
    found = digest(text)
    if keep:
        return text, found
    del text
    give_back()  # the serialisation's freed pages: not carried through the analysis (auditor.model.heap)
    return None, found


def _settle(
    f: Finding,
    check: Check,
    depends_on: tuple[str, ...],
    coverage: Coverage,
    facts: Resolver,
    settled: dict,
) -> None:
    """A verdict rests on facts that were read: a PASS with any fact not read is NOT_ASSESSED, and so
    is a FAIL with a fact not read that could overturn it (Check.fail_rests_on). A FAIL proven from
    what was read stands; it, and every NOT_ASSESSED, names what was not read."""
    missing = settled.get(depends_on)  # the facts of this set not read, looked up once per set
    if missing is None:
        missing = settled[depends_on] = [
            (fact, why) for fact in depends_on if (why := coverage.why_not_read(fact))
        ]
    if not missing:
        return
    if f.status is Status.FAIL:
        refuting = set(
            facts.depends_on(
                [x for x in check.fail_rests_on if x in check.evaluates.get(kind_of(f.resource_type), ())], f
            )
        )
        demote = [m for m in missing if m[0] in refuting]
    else:
        demote = missing if f.status is Status.PASS else []
    f.evidence["facts_not_read"] = [{"fact": fact, "why": why} for fact, why in missing]
    if demote:
        f.evidence["verdict_on_facts_read"] = {"status": f.status.value, "message": f.message}
        f.status = Status.NOT_ASSESSED
        fact, why = demote[0]
        f.message = f"{fact} was not read ({why[0]})"


def _scope_gaps(check: Check, snapshot: Snapshot):
    """A listing that failed in a scope (the whole service, or a member it could not read) leaves every
    check needing that service NOT_ASSESSED there: one row per (scope, service), never silence."""
    services = check.services
    by_scope: dict[tuple[str, str], list] = {}
    every: set[tuple[str, str]] = set()
    for issue in snapshot.issues:
        if is_listing(issue):
            by_scope.setdefault((issue.scope, issue.service), []).append(issue)
        if opens_account(issue):
            every.add((issue.scope, issue.service))
    for (scope, service), issues in sorted(by_scope.items()):
        # A role that could not be assumed (sts), regions that could not be listed, or an account or
        # region no shard delivered (plan) mean nothing (regional) of that scope was collected: every
        # check's row.
        if service in services or (scope, service) in every:
            first = issues[0]
            yield Finding(
                check_id=check.id,
                status=Status.NOT_ASSESSED,
                resource_id=f"{scope}/{service}",
                resource_type="CollectionScope",
                scope=scope,
                message=f"{service} could not be collected in {scope}: {first.error_code}",
                evidence={"issues": [i.model_dump() for i in issues]},
                path=sorted({fact_of(i) for i in issues}),
            )


def _listing_gaps(check: Check, coverage: Coverage):
    """Resources listed per file system (mount targets, access points) whose listing failed for one
    file system cannot have results of their own: the listing gets one NOT_ASSESSED row per check."""
    wanted = {ENUMERATED_BY[k]: k for k in check.evaluates if k in ENUMERATED_BY}
    for fact, why in coverage.unread():
        scope, _, rest = fact.partition("/")
        service, _, rest = rest.partition("/")
        name, _, resource = rest.partition("/")
        kind = wanted.get((service, name))
        if kind and resource:
            yield Finding(
                check_id=check.id,
                status=Status.NOT_ASSESSED,
                resource_id=fact,
                resource_type="CollectionScope",
                scope=scope,
                message=f"the {kind}s of {resource} could not be listed: {why[0]}",
                evidence={"facts_not_read": [{"fact": fact, "why": why}]},
                path=[fact],
            )


def _share(f: Finding, shared: dict) -> None:
    """One object per distinct scope, message and path: results repeat them (the checks of one resource
    share its path), and at 750k results each copy counts. Results are frozen; nothing mutates them."""
    f.scope = shared.setdefault(f.scope, f.scope)
    f.message = shared.setdefault(f.message, f.message)
    f.path = shared.setdefault(tuple(f.path), f.path)


def _result(f: Finding, severity: Severity, units, depends_on: tuple[str, ...]) -> Result:
    # Built without re-validation: every field comes from typed code, and at 100k results
    # validation would dominate the run. tests/test_pipeline.py validates whole runs instead.
    collected_at, method = units[f.scope]
    return result(
        f.check_id,
        f.status,
        severity,
        f.resource_id,
        f.resource_type,
        f.scope,
        f.message,
        f.evidence,
        f.path,
        depends_on,
        collected_at,
        method,
        fingerprint(f.check_id, f.resource_id),
    )


_RESOURCE_ID = attrgetter("resource_id")
_LATENT = ("efs_access_point_nested_root", "efs_access_point_identity_collision")


class _Units(dict):
    """scope -> (finished_at, method) of the unit that collected it (the account's global unit for a
    regional scope without its own), or (None, None); looked up once per scope."""

    def __init__(self, units) -> None:
        super().__init__()
        self.by_scope = {u.scope: u for u in units}

    def __missing__(self, scope: str) -> tuple:
        unit = self.by_scope.get(scope) or self.by_scope.get(_global(scope))
        got = self[scope] = (unit.finished_at, unit.method) if unit else (None, None)
        return got


def _global(scope: str) -> str:
    parts = scope.split(":")
    return ":".join(parts[:2] + ["global"]) if len(parts) == 3 else scope


# --- collection -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectSettings:
    """What to collect. Each source is an independent collection unit; the pieces are merged."""

    aws: object | None = None  # auditor.collectors.aws.AwsSettings, or None to skip AWS
    kube_contexts: tuple[tuple[str | None, str | None], ...] = ()  # (kubeconfig, context) pairs
    in_cluster: bool = False
    manifests: tuple[Path, ...] = ()
    cluster_name: str | None = None  # names the cluster the manifests describe


def collect(settings: CollectSettings, progress=None) -> Snapshot:
    parts: list[Snapshot] = []
    if settings.aws is not None:
        from auditor.collectors.aws import collect_aws

        parts.append(collect_aws(settings.aws, progress=progress))
    if settings.in_cluster or settings.kube_contexts:
        from auditor.collectors.k8s.live import collect_cluster

        for kubeconfig, context in settings.kube_contexts or ((None, None),):
            parts.append(
                collect_cluster(
                    kubeconfig=kubeconfig,
                    context=context,
                    cluster_name=settings.cluster_name if not settings.manifests else None,
                    in_cluster=settings.in_cluster or None,
                    progress=progress,
                )
            )
    if settings.manifests:
        from auditor.collectors.k8s.manifests import load_manifests

        if not settings.cluster_name:
            raise InputError("--manifests needs --cluster-name: the cluster the manifests describe")
        parts.append(load_manifests(list(settings.manifests), settings.cluster_name))
    if not parts:
        raise InputError("nothing to collect: give AWS settings, a kube context or --manifests")
    return merge(*parts)
