"""No PASS without proof (issue "results carry their dependencies"): every bundled estate is evaluated
once as collected and once per injected fault. A fault is what a collector records when one read
fails: a CollectionIssue for one service and operation (for one resource where the collector reads per
resource), the data that read would have produced dropped as the collector drops it, or a collection
unit marked incomplete. The two runs are compared result by result:

- a result is PASS under the fault only if it is PASS without it, on the same evidence, and none of
  the facts it rests on (its fault-free ``depends_on``) was touched by the fault;
- a result resting on a touched fact is never PASS: it is NOT_ASSESSED, or a FAIL proven from what
  was read, and says what was not read (``facts_not_read``, or the check's own ``reason``);
- a result the fault made disappear (its resource could no longer be listed) is replaced by a
  NOT_ASSESSED row of the same check for its scope or account.

Every (service, operation) of auditor/collectors/aws/operations.py and every Kubernetes list is
injected; a test keeps that list complete.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from auditor.checks import AUTHORIZATION_CHECKS, CHECKS, DECLARED, PATH_CHECKS
from auditor.checks.facts import KINDS, kind_of
from auditor.collectors.aws.operations import OPERATIONS
from auditor.collectors.k8s.live import LISTS
from auditor.model.aws import PolicyStatus
from auditor.model.facts import ESTATE_WORKLOADS, Coverage
from auditor.model.result import Status
from auditor.model.snapshot import CollectionIssue, Snapshot, load
from auditor.pipeline import evaluate

ESTATES = Path(__file__).resolve().parent.parent / "samples" / "estates"
NAMES = ("wellconfigured", "production", "hostile")
DENIED = "AccessDenied"
PER_OPERATION = 3  # resources per per-resource operation and scope (the hostile estate has 15 file systems)


@cache
def _base(name: str) -> Snapshot:
    return load(ESTATES / name / "snapshot.json")


@cache
def _clean(name: str):
    return {(r.check_id, r.resource_id): r for r in evaluate(_base(name)).results}


def _issue(scope: str, service: str, operation: str, resource_id: str | None = None) -> CollectionIssue:
    return CollectionIssue(
        scope=scope,
        service=service,
        operation=operation,
        resource_id=resource_id,
        error_code=DENIED,
        message="injected fault",
    )


def _regions(snap: Snapshot) -> list[str]:
    return sorted(
        u.scope for u in snap.units if u.scope.startswith("aws:") and not u.scope.endswith(":global")
    )


def _in(scope: str, r) -> bool:
    return f"aws:{r.account_id}:{r.region}" == scope


def _with(snap: Snapshot, issue: CollectionIssue, **lists) -> Snapshot:
    return snap.model_copy(update={"issues": [*snap.issues, issue], **lists})


# --- one fault per (service, operation): the issue a collector records and the data it drops ----------


def _aws_faults(snap: Snapshot):
    """(label, faulty snapshot) for every operation, in every scope (and for one resource) it applies to."""
    for scope in _regions(snap):
        account = scope.split(":")[1]
        fss = [fs for fs in snap.file_systems if _in(scope, fs)]
        mts = [(fs, mt) for fs in fss for mt in fs.mount_targets or []]
        yield (
            ("sts", "GetCallerIdentity", scope),
            Snapshot(
                units=[
                    u
                    for u in snap.units
                    if u.scope.split(":")[1] != account or not u.scope.startswith("aws:")
                ],
                issues=[_issue(f"aws:{account}:global", "sts", "GetCallerIdentity")],
                clusters=snap.clusters,
                managed_policies=snap.managed_policies,
                **{
                    k: [r for r in getattr(snap, k) if r.account_id != account]
                    for k in (
                        "file_systems",
                        "access_points",
                        "security_groups",
                        "subnets",
                        "roles",
                        "task_definitions",
                        "ecs_services",
                        "lambda_functions",
                    )
                },
            ),
        )
        yield (
            ("ec2", "DescribeRegions", scope),
            snap.model_copy(
                update={
                    "units": [
                        u
                        for u in snap.units
                        if u.scope.split(":")[1] != account
                        or u.scope.endswith(":global")
                        or not u.scope.startswith("aws:")
                    ],
                    "issues": [*snap.issues, _issue(f"aws:{account}:global", "ec2", "DescribeRegions")],
                    **{
                        k: [r for r in getattr(snap, k) if r.account_id != account]
                        for k in (
                            "file_systems",
                            "access_points",
                            "security_groups",
                            "subnets",
                            "task_definitions",
                            "ecs_services",
                            "lambda_functions",
                        )
                    },
                }
            ),
        )
        yield (
            ("ec2", "DescribeSecurityGroups", scope),
            _with(
                snap,
                _issue(scope, "ec2", "DescribeSecurityGroups"),
                security_groups=[g for g in snap.security_groups if not _in(scope, g)],
            ),
        )
        yield (
            ("ec2", "DescribeSubnets", scope),
            _with(
                snap,
                _issue(scope, "ec2", "DescribeSubnets"),
                subnets=[s for s in snap.subnets if not _in(scope, s)],
            ),
        )
        yield (
            ("ec2", "DescribeRouteTables", scope),
            _with(
                snap,
                _issue(scope, "ec2", "DescribeRouteTables"),
                subnets=[
                    s.model_copy(update={"routes_to_internet_gateway": None, "route_table_id": None})
                    if _in(scope, s)
                    else s
                    for s in snap.subnets
                ],
            ),
        )
        yield (
            ("efs", "DescribeFileSystems", scope),
            _with(
                snap,
                _issue(scope, "efs", "DescribeFileSystems"),
                file_systems=[fs for fs in snap.file_systems if not _in(scope, fs)],
            ),
        )
        yield (
            ("efs", "DescribeAccessPoints", scope),
            _with(
                snap,
                _issue(scope, "efs", "DescribeAccessPoints"),
                access_points=[ap for ap in snap.access_points if not _in(scope, ap)],
            ),
        )
        for fs in fss[:PER_OPERATION]:
            for op, update in (
                ("DescribeFileSystemPolicy", {"policy_status": PolicyStatus.UNKNOWN, "policy": None}),
                ("DescribeBackupPolicy", {"backup_policy_status": None}),
                ("DescribeMountTargets", {"mount_targets": None}),
            ):
                yield (
                    ("efs", op, fs.file_system_id),
                    _with(
                        snap,
                        _issue(scope, "efs", op, fs.arn),
                        file_systems=[
                            x.model_copy(update=update) if x.arn == fs.arn else x for x in snap.file_systems
                        ],
                    ),
                )
        for fs, mt in mts[:PER_OPERATION]:
            changed = fs.model_copy(
                update={
                    "mount_targets": [
                        m.model_copy(update={"security_group_ids": None})
                        if m.mount_target_id == mt.mount_target_id
                        else m
                        for m in fs.mount_targets
                    ]
                }
            )
            yield (
                ("efs", "DescribeMountTargetSecurityGroups", mt.mount_target_id),
                _with(
                    snap,
                    _issue(scope, "efs", "DescribeMountTargetSecurityGroups", mt.mount_target_id),
                    file_systems=[changed if x.arn == fs.arn else x for x in snap.file_systems],
                ),
            )
        yield (
            ("backup", "ListProtectedResources", scope),
            _with(
                snap,
                _issue(scope, "backup", "ListProtectedResources"),
                file_systems=[
                    fs.model_copy(update={"backup_protected": None}) if _in(scope, fs) else fs
                    for fs in snap.file_systems
                ],
            ),
        )
        yield (
            ("ecs", "ListClusters", scope),
            _with(
                snap,
                _issue(scope, "ecs", "ListClusters"),
                ecs_services=[s for s in snap.ecs_services if not _in(scope, s)],
            ),
        )
        for svc in [s for s in snap.ecs_services if _in(scope, s)]:
            for op, rid in (("ListServices", svc.cluster_arn), ("DescribeServices", svc.arn)):
                yield (
                    ("ecs", op, rid),
                    _with(
                        snap,
                        _issue(scope, "ecs", op, rid),
                        ecs_services=[
                            s
                            for s in snap.ecs_services
                            if (s.cluster_arn if op == "ListServices" else s.arn) != rid
                        ],
                    ),
                )
        run_by_services = {s.task_definition_arn for s in snap.ecs_services}
        yield (
            ("ecs", "ListTaskDefinitionFamilies", scope),
            _with(
                snap,
                _issue(scope, "ecs", "ListTaskDefinitionFamilies"),
                task_definitions=[
                    t for t in snap.task_definitions if not _in(scope, t) or t.arn in run_by_services
                ],
            ),
        )
        for td in [t for t in snap.task_definitions if _in(scope, t)][:PER_OPERATION]:
            yield (
                ("ecs", "DescribeTaskDefinition", td.family),
                _with(
                    snap,
                    _issue(scope, "ecs", "DescribeTaskDefinition", td.family),
                    task_definitions=[t for t in snap.task_definitions if t.arn != td.arn],
                ),
            )
        yield (
            ("lambda", "ListFunctions", scope),
            _with(
                snap,
                _issue(scope, "lambda", "ListFunctions"),
                lambda_functions=[f for f in snap.lambda_functions if not _in(scope, f)],
            ),
        )
        for fn in [f for f in snap.lambda_functions if _in(scope, f)][:PER_OPERATION]:
            yield (
                ("lambda", "ListTags", fn.name),
                _with(
                    snap,
                    _issue(scope, "lambda", "ListTags", fn.arn),
                    lambda_functions=[
                        f.model_copy(update={"tags": None}) if f.arn == fn.arn else f
                        for f in snap.lambda_functions
                    ],
                ),
            )
        eks_half = {
            "account_id": None,
            "region": None,
            "eks_arn": None,
            "node_role_arns": None,
            "pod_identity_associations": None,
        }
        yield (
            ("eks", "ListClusters", scope),
            _with(
                snap,
                _issue(scope, "eks", "ListClusters"),
                clusters=[c.model_copy(update=eks_half) if _in(scope, c) else c for c in snap.clusters],
            ),
        )
        for cl in [c for c in snap.clusters if c.account_id and _in(scope, c)]:
            for op, update in (
                ("DescribeCluster", {"eks_arn": None}),
                ("ListNodegroups", {"node_role_arns": None}),
                ("DescribeNodegroup", {"node_role_arns": None}),
                ("ListPodIdentityAssociations", {"pod_identity_associations": None}),
                ("DescribePodIdentityAssociation", {"pod_identity_associations": None}),
            ):
                rid = (
                    cl.name
                    if op == "DescribeCluster"
                    else f"{cl.eks_arn or cl.name}" + ("/nodegroup/ng" if op == "DescribeNodegroup" else "")
                )
                yield (
                    ("eks", op, cl.name),
                    _with(
                        snap,
                        _issue(scope, "eks", op, rid),
                        clusters=[
                            c.model_copy(update=update) if c.name == cl.name else c for c in snap.clusters
                        ],
                    ),
                )
    for account in sorted({u.scope.split(":")[1] for u in snap.units if u.scope.endswith(":global")}):
        glob = f"aws:{account}:global"
        yield (
            ("iam", "GetAccountAuthorizationDetails", glob),
            _with(
                snap,
                _issue(glob, "iam", "GetAccountAuthorizationDetails"),
                roles=[r for r in snap.roles if r.account_id != account],
                managed_policies=[],
            ),
        )
        for policy in snap.managed_policies:
            for op in ("GetPolicy", "GetPolicyVersion"):
                yield (
                    ("iam", op, policy.arn),
                    _with(
                        snap,
                        _issue(glob, "iam", op, policy.arn),
                        managed_policies=[
                            p.model_copy(update={"document": None}) if p.arn == policy.arn else p
                            for p in snap.managed_policies
                        ],
                    ),
                )


def _k8s_faults(snap: Snapshot):
    for cl in snap.clusters:
        scope = f"k8s:{cl.name}"
        for _, _, resource, _, _, _, fields in LISTS:
            yield (
                ("k8s", f"list {resource}", cl.name),
                _with(
                    snap,
                    _issue(scope, "k8s", f"list {resource}"),
                    clusters=[
                        c.model_copy(update=dict.fromkeys(fields)) if c.name == cl.name else c
                        for c in snap.clusters
                    ],
                ),
            )


def _unit_faults(snap: Snapshot):
    for unit in snap.units:
        yield (
            ("unit", "incomplete", unit.scope),
            snap.model_copy(
                update={
                    "units": [
                        u.model_copy(update={"complete": False}) if u.scope == unit.scope else u
                        for u in snap.units
                    ]
                }
            ),
        )


def faults(name: str):
    snap = _base(name)
    yield from _aws_faults(snap)
    yield from _k8s_faults(snap)
    yield from _unit_faults(snap)


CASES = [(name, label) for name in NAMES for label, _ in faults(name)]


# --- the comparison -----------------------------------------------------------------------------------


def _account(scope: str) -> str:
    return scope.split(":")[1] if scope.startswith("aws:") else scope


def _compare(name: str, faulty: Snapshot) -> list[str]:
    clean = _clean(name)
    got = {(r.check_id, r.resource_id): r for r in evaluate(faulty).results}
    coverage = Coverage(faulty)
    gaps = {
        (r.check_id, r.scope)
        for r in got.values()
        if r.resource_type == "CollectionScope" and r.status is Status.NOT_ASSESSED
    }
    gap_accounts = {(c, _account(s)) for c, s in gaps}
    problems = []
    for key, r in got.items():
        before = clean.get(key)
        if r.status is Status.PASS and (
            before is None or before.status is not Status.PASS or before.message != r.message
        ):
            problems.append(
                f"{key}: PASS under the fault, {before.status.value if before else 'absent'} "
                "or passed for another reason without it"
            )
    for key, before in clean.items():
        if before.resource_type == "CollectionScope":
            continue
        touched = [fact for fact in before.depends_on if coverage.why_not_read(fact)]
        r = got.get(key)
        if r is None:
            # a resource evaluated because some workload uses it (a role) is explained by any listing row
            anywhere = ESTATE_WORKLOADS in touched and any(c == key[0] for c, _ in gaps)
            if (
                (key[0], before.scope) not in gaps
                and (key[0], _account(before.scope)) not in gap_accounts
                and not anywhere
            ):
                problems.append(f"{key}: disappeared without a NOT_ASSESSED row for its scope")
            continue
        if not touched:
            continue
        if r.status is Status.PASS:
            problems.append(f"{key}: PASS although {touched[0]} was not read")
        elif not r.evidence.get("facts_not_read") and not r.evidence.get("reason"):
            problems.append(f"{key}: {r.status.value} does not say what was not read ({touched[0]})")
    return problems


@pytest.mark.parametrize(
    "name,label", CASES, ids=[f"{n}-{'-'.join(str(x) for x in lab)}" for n, lab in CASES]
)
def test_no_pass_rests_on_a_fact_that_was_not_read(name, label):
    faulty = dict(faults(name))[label]
    assert _compare(name, faulty) == []


def test_every_operation_the_collectors_call_is_injected():
    injected = {(svc, op) for name in NAMES for (svc, op, _) in dict(faults(name))}
    assert set(OPERATIONS) <= injected
    assert {("k8s", f"list {row[2]}") for row in LISTS} <= injected


def test_a_denied_access_point_listing_makes_workload_passes_not_assessed():
    """The reported flip: DescribeAccessPoints denied turned efs_cross_app_reach and
    efs_root_squash_gap FAILs and PASSes of workloads mounting through access points into PASS."""
    snap = _base("production")
    scope = _regions(snap)[0]
    faulty = dict(faults("production"))[("efs", "DescribeAccessPoints", scope)]
    run = {(r.check_id, r.resource_id): r for r in evaluate(faulty).results}
    workloads = [
        k
        for k, r in _clean("production").items()
        if k[0] in ("efs_cross_app_reach", "efs_root_squash_gap") and kind_of(r.resource_type) == "workload"
    ]
    assert workloads
    for key in workloads:
        assert run[key].status is not Status.PASS, key
    assert any(
        f"{scope}/efs/DescribeAccessPoints" in run[k].message
        for k in workloads
        if run[k].status is Status.NOT_ASSESSED
    )


def test_a_fail_proven_from_facts_read_stands_and_names_what_was_not_read():
    """Anonymous clients mount without an access point (no policy, §2.2, edge 1): the access points
    of the file system, not read, cannot undo that; the FAIL stands and says what was not read."""
    snap = _base("hostile")
    clean = _clean("hostile")
    fs = next(
        f
        for f in snap.file_systems
        if f.policy_status is PolicyStatus.ABSENT
        and clean[("efs_policy_anonymous_access", f.arn)].status is Status.FAIL
        and any(ap.file_system_id == f.file_system_id for ap in snap.access_points)
    )
    scope = f"aws:{fs.account_id}:{fs.region}"
    faulty = _with(
        snap,
        _issue(scope, "efs", "DescribeAccessPoints", fs.arn),
        access_points=[ap for ap in snap.access_points if ap.file_system_id != fs.file_system_id],
    )
    run = {(r.check_id, r.resource_id): r for r in evaluate(faulty).results}
    fact = f"{scope}/efs/DescribeAccessPoints/{fs.file_system_id}"
    r = run[("efs_policy_anonymous_access", fs.arn)]
    assert r.status is Status.FAIL and fact in r.depends_on
    assert [row["fact"] for row in r.evidence["facts_not_read"]] == [fact]
    # the access points it would have listed get a row per access point check
    gap = run[("efs_access_point_root_directory", fact)]
    assert gap.status is Status.NOT_ASSESSED and fs.file_system_id in gap.message


# --- the declarations ---------------------------------------------------------------------------------


def test_every_check_declares_the_facts_of_every_kind_it_evaluates():
    for name in NAMES:
        for r in evaluate(_base(name)).results:
            if r.resource_type == "CollectionScope":
                continue
            facts = CHECKS[r.check_id].evaluates.get(kind_of(r.resource_type))
            assert facts, (r.check_id, r.resource_type)
            assert r.depends_on, (r.check_id, r.resource_id)
    for check in DECLARED:
        assert check.evaluates and all(check.evaluates.values()), check.id
        assert set(check.evaluates) <= set(KINDS.values()), check.id
        assert set(check.fail_rests_on) <= set(check.facts), check.id


def test_the_registry_lists_are_derived_from_the_declarations():
    from auditor.report import html

    assert [c.id for c in DECLARED] == list(CHECKS)
    assert tuple(c.id for c in DECLARED if c.authorization) == AUTHORIZATION_CHECKS
    assert html.PATH_CHECKS is PATH_CHECKS == tuple(c.id for c in DECLARED if c.draws_path)
    assert set(PATH_CHECKS) == {
        "efs_root_squash_gap",
        "efs_cross_app_reach",
        "efs_workload_runs_as_root",
        "efs_access_point_root_identity",
        "efs_access_point_nested_root",
        "efs_access_point_identity_collision",
    }


def test_depends_on_tuples_are_shared_between_results():
    run = evaluate(_base("production"))
    tuples = [r.depends_on for r in run.results]
    assert len({id(t) for t in tuples}) == len(set(tuples))
