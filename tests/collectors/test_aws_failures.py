"""Failures travel the real client path: a botocore ``before-send`` hook (conftest.Faults) answers
chosen requests with AWS error responses in each service's wire protocol, so botocore parses them
and its adaptive retry handler decides, exactly as with AWS."""

from __future__ import annotations

import time

from auditor.checks import CHECKS
from auditor.collectors.aws import AwsSettings, collect_aws, last_call_counts
from auditor.entrypoints.cli import exit_code
from auditor.model.aws import PolicyStatus
from auditor.model.result import Status
from auditor.pipeline import evaluate

from .conftest import ACCOUNT, REGION, client, seed_small_estate

SCOPE = f"aws:{ACCOUNT}:{REGION}"
OTHER = "us-east-2"
MOTO_GAPS = {("backup", "ListProtectedResources"), ("eks", "ListPodIdentityAssociations")}


def _issues(snap, skip=MOTO_GAPS):
    return {
        (i.scope, i.service, i.operation, i.resource_id, i.error_code)
        for i in snap.issues
        if (i.service, i.operation) not in skip
    }


def test_throttling_storm_is_retried_and_the_run_completes(small_estate, estate_faults, no_backoff):
    ids = small_estate
    # Every first two attempts of these calls are throttled; 4 attempts are allowed.
    estate_faults.add("efs", "ThrottlingException", operation="DescribeFileSystemPolicy", times=4)
    estate_faults.add("efs", "ThrottlingException", operation="DescribeAccessPoints", times=2)
    estate_faults.add("ec2", "RequestLimitExceeded", operation="DescribeSubnets", times=3, status=503)
    estate_faults.add("iam", "Throttling", operation="GetAccountAuthorizationDetails", times=2)
    estate_faults.add("ecs", "ThrottlingException", operation="DescribeTaskDefinition", times=2)
    snap = collect_aws(AwsSettings(regions=(REGION,), max_attempts=4))
    assert sum(estate_faults.injected.values()) == 13
    assert _issues(snap) == set()
    assert all(u.complete for u in snap.units)
    assert {(f.file_system_id, f.policy_status) for f in snap.file_systems} == {
        (ids["fs_shared"], PolicyStatus.PRESENT),
        (ids["fs_open"], PolicyStatus.ABSENT),
    }
    assert {a.access_point_id for a in snap.access_points} == {ids["ap_app"], ids["ap_root"]}
    assert len(snap.task_definitions) == 1 and {r.role_name for r in snap.roles} >= {"task-role"}
    # Retries are not extra logical calls: the counts still follow the formula.
    assert last_call_counts()[("efs", "DescribeFileSystemPolicy")] == 2


def test_throttling_past_the_retry_budget_becomes_an_issue(small_estate, estate_faults, no_backoff):
    ids = small_estate
    estate_faults.add("efs", "ThrottlingException", operation="DescribeFileSystemPolicy")
    snap = collect_aws(AwsSettings(regions=(REGION,), max_attempts=2))
    arns = {f.file_system_id: f.arn for f in snap.file_systems}
    assert {(f.file_system_id, f.policy_status) for f in snap.file_systems} == {
        (ids["fs_shared"], PolicyStatus.UNKNOWN),
        (ids["fs_open"], PolicyStatus.UNKNOWN),
    }
    assert _issues(snap) == {
        (SCOPE, "efs", "DescribeFileSystemPolicy", arns[i], "ThrottlingException")
        for i in (ids["fs_shared"], ids["fs_open"])
    }


def test_policy_not_found_is_absent_but_access_denied_is_unknown(small_estate, estate_faults):
    ids = small_estate
    arn_open = f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{ids['fs_open']}"
    # fs_open has no policy (PolicyNotFound); deny reading fs_shared's policy only.
    estate_faults.add(
        "efs", "AccessDeniedException", operation="DescribeFileSystemPolicy", times=1, status=403
    )
    snap = collect_aws(AwsSettings(regions=(REGION,), max_attempts=2, max_workers=1))
    status = {f.file_system_id: f.policy_status for f in snap.file_systems}
    # Which file system is described first is moto's order: the denied one is UNKNOWN, the other
    # keeps its true status.
    denied = [i for i, s in status.items() if s is PolicyStatus.UNKNOWN]
    assert len(denied) == 1
    expected = {
        ids["fs_shared"]: PolicyStatus.PRESENT,
        ids["fs_open"]: PolicyStatus.ABSENT,
        denied[0]: PolicyStatus.UNKNOWN,
    }
    assert status == expected
    denied_arn = next(f.arn for f in snap.file_systems if f.file_system_id == denied[0])
    assert _issues(snap) == {(SCOPE, "efs", "DescribeFileSystemPolicy", denied_arn, "AccessDeniedException")}
    assert arn_open  # PolicyNotFound itself never produces an issue
    assert not any(i.resource_id == arn_open for i in snap.issues if denied_arn != arn_open)


def test_access_denied_on_iam_keeps_region_units(small_estate, estate_faults):
    estate_faults.add("iam", "AccessDenied", status=403)
    snap = collect_aws(AwsSettings(regions=(REGION,), max_attempts=2))
    assert _issues(snap) == {
        (f"aws:{ACCOUNT}:global", "iam", "GetAccountAuthorizationDetails", None, "AccessDenied")
    }
    assert snap.roles == [] and len(snap.file_systems) == 2


def test_deadline_passed_records_timeout_per_skipped_service(small_estate):
    snap = collect_aws(AwsSettings(regions=(REGION,), max_attempts=2, deadline=time.monotonic() - 1))
    assert {(i.scope, i.service, i.error_code) for i in snap.issues} == {
        (SCOPE, s, "Timeout") for s in ("efs", "ec2", "ecs", "lambda", "eks", "backup")
    } | {(f"aws:{ACCOUNT}:global", "iam", "Timeout")}
    assert {(u.scope, u.complete) for u in snap.units} == {(SCOPE, False), (f"aws:{ACCOUNT}:global", False)}
    assert snap.file_systems == []


DENIED = {
    "efs": "AccessDeniedException",
    "ecs": "AccessDeniedException",
    "lambda": "AccessDeniedException",
    "eks": "AccessDeniedException",
    "backup": "AccessDeniedException",
    "ec2": "UnauthorizedOperation",
}


def test_access_denied_in_one_region_leaves_other_units_complete(faults):
    seed_small_estate(REGION)
    other_fs = client("efs", OTHER).create_file_system(CreationToken="other")["FileSystemArn"]
    for service, code in DENIED.items():
        faults.add(service, code, region=REGION, status=403)
    snap = collect_aws(AwsSettings(regions=(REGION, OTHER), max_attempts=2))
    denied = {(i.service, i.operation, i.error_code) for i in snap.issues if i.scope == SCOPE}
    assert denied == {
        ("efs", "DescribeFileSystems", "AccessDeniedException"),
        ("efs", "DescribeAccessPoints", "AccessDeniedException"),
        ("ec2", "DescribeSecurityGroups", "UnauthorizedOperation"),
        ("ec2", "DescribeSubnets", "UnauthorizedOperation"),
        ("ec2", "DescribeRouteTables", "UnauthorizedOperation"),
        ("ecs", "ListClusters", "AccessDeniedException"),
        ("ecs", "ListTaskDefinitionFamilies", "AccessDeniedException"),
        ("lambda", "ListFunctions", "AccessDeniedException"),
        ("eks", "ListClusters", "AccessDeniedException"),
        ("backup", "ListProtectedResources", "AccessDeniedException"),
    }
    # AccessDenied is never "no resources" in a way a check could miss: the issues say so, and the
    # other region's unit is untouched.
    assert {(f.region, f.policy_status) for f in snap.file_systems} == {(OTHER, PolicyStatus.ABSENT)}
    assert {i.operation for i in snap.issues if i.scope == f"aws:{ACCOUNT}:{OTHER}"} <= {
        "ListProtectedResources",
        "ListPodIdentityAssociations",
    }
    assert {u.scope for u in snap.units} == {SCOPE, f"aws:{ACCOUNT}:{OTHER}", f"aws:{ACCOUNT}:global"}

    # Checked: every check that needs a denied service is NOT_ASSESSED in the denied region, one row
    # per (scope, service) carrying the error; nothing there passes or fails.
    run = evaluate(snap)
    denied_rows = {(r.check_id, r.status, r.resource_id, r.message) for r in run.results if r.scope == SCOPE}
    assert denied_rows == {
        (
            check_id,
            Status.NOT_ASSESSED,
            f"{SCOPE}/{svc}",
            f"{svc} could not be collected in {SCOPE}: {DENIED[svc]}",
        )
        for check_id, check in CHECKS.items()
        for svc in check.services
        if svc in DENIED
    }
    by_row = {(r.check_id, r.resource_id): r for r in run.results}
    assert {
        r.resource_id.rsplit("/", 1)[1]
        for r in run.results
        if r.scope == SCOPE and r.check_id == "efs_mount_target_nfs_open"
    } == {"efs", "ec2"}
    ec2_row = by_row[("efs_mount_target_nfs_open", f"{SCOPE}/ec2")]
    assert {i["operation"] for i in ec2_row.evidence["issues"]} == {
        "DescribeSecurityGroups",
        "DescribeSubnets",
        "DescribeRouteTables",
    }
    # The other region's file system is assessed on what was collected there.
    other_scope = f"aws:{ACCOUNT}:{OTHER}"
    assert {r.check_id: r.status for r in run.results if r.resource_id == other_fs} == {
        "efs_encrypted_at_rest": Status.FAIL,
        "efs_policy_missing": Status.FAIL,
        "efs_policy_anonymous_access": Status.FAIL,
        "efs_policy_no_secure_transport": Status.FAIL,
        "efs_policy_cross_account": Status.FAIL,
        "efs_root_squash_gap": Status.FAIL,
        "efs_policy_unenforced_condition": Status.PASS,
        "efs_policy_dangling_principal": Status.PASS,
        # moto lacks ListProtectedResources and stores no backup policy: not collected, not a guess
        "efs_backup_enabled": Status.NOT_ASSESSED,
        "efs_automatic_backups_enabled": Status.NOT_ASSESSED,
    }
    assert by_row[("efs_backup_enabled", other_fs)].message == (
        "backup policy and AWS Backup coverage not collected"
    )
    assert {
        (r.check_id, r.resource_id, r.status)
        for r in run.results
        if r.scope == other_scope and r.resource_id != other_fs
    } == {("efs_backup_enabled", f"{other_scope}/backup", Status.NOT_ASSESSED)}
    assert exit_code(run, "high", False) == 3
    assert exit_code(run, "high", True) == 1  # the other region's high FAILs remain


def test_assume_role_failure_is_an_incomplete_unit(faults):
    from auditor.collectors.aws import RoleTarget

    faults.add("sts", "AccessDenied", operation="AssumeRole", status=403)
    target = RoleTarget("arn:aws:iam::210987654321:role/auditor", external_id="x-1")
    snap = collect_aws(AwsSettings(regions=(REGION,), role_targets=(target,), max_attempts=1))
    assert {(u.scope, u.complete) for u in snap.units} == {("aws:210987654321:global", False)}
    assert {(i.scope, i.service, i.operation, i.resource_id, i.error_code) for i in snap.issues} == {
        ("aws:210987654321:global", "sts", "AssumeRole", target.arn, "AccessDenied")
    }


def test_role_targets_collect_each_account_separately(aws):
    """AssumeRole (with ExternalId and session name) into two accounts; moto keeps one backend per
    account, so each account sees only its own file system."""
    import boto3

    from auditor.collectors.aws import RoleTarget

    found = {}
    for account in ("111111111111", "222222222222"):
        sts = boto3.session.Session().client("sts", region_name=REGION)
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/seed", RoleSessionName="seed")[
            "Credentials"
        ]
        efs = boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        ).client("efs", region_name=REGION)
        found[account] = efs.create_file_system(CreationToken=f"in-{account}")["FileSystemId"]
    targets = tuple(
        RoleTarget(f"arn:aws:iam::{a}:role/efs-audit", external_id="ext-1", session_name="audit")
        for a in found
    )
    snap = collect_aws(AwsSettings(regions=(REGION,), role_targets=targets, max_attempts=1))
    assert {(f.account_id, f.file_system_id) for f in snap.file_systems} == set(found.items())
    assert {(u.scope, u.collector) for u in snap.units} == {
        (f"aws:{a}:{s}", f"arn:aws:sts::{a}:assumed-role/efs-audit/audit")
        for a in found
        for s in (REGION, "global")
    }
    counts = last_call_counts()
    assert (counts[("sts", "GetCallerIdentity")], counts[("sts", "AssumeRole")]) == (2, 2)
