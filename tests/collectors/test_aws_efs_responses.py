"""EFS answers moto 5.2.5 cannot give, with botocore's Stubber (conftest.stubbed) on response shapes
from the AWS API reference: a backup policy DISABLED or ENABLING (moto does not implement
PutBackupPolicy), and a DescribeFileSystemPolicy ``Policy`` string that is not a JSON object (moto
validates the policy on PutFileSystemPolicy)."""

from __future__ import annotations

from datetime import UTC, datetime

from auditor.collectors.aws import efs
from auditor.model.aws import PolicyStatus
from auditor.model.result import Status
from auditor.model.snapshot import Snapshot
from auditor.pipeline import evaluate

from .conftest import ACCOUNT, FS_POLICY, REGION

SCOPE = f"aws:{ACCOUNT}:{REGION}"
POLICY_CHECKS = (
    "efs_policy_missing",
    "efs_policy_anonymous_access",
    "efs_policy_no_secure_transport",
    "efs_policy_cross_account",
    "efs_policy_unenforced_condition",
    "efs_policy_dangling_principal",
)


def _fs_id(n: int) -> str:
    return f"fs-0123456789abcdef{n}"


def _arn(n: int) -> str:
    return f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{_fs_id(n)}"


def _description(n: int) -> dict:
    """One FileSystemDescription as DescribeFileSystems returns it."""
    return {
        "OwnerId": ACCOUNT,
        "CreationToken": f"token-{n}",
        "FileSystemId": _fs_id(n),
        "FileSystemArn": _arn(n),
        "CreationTime": datetime(2026, 1, 1, tzinfo=UTC),
        "LifeCycleState": "available",
        "Name": f"fs{n}",
        "NumberOfMountTargets": 0,
        "SizeInBytes": {"Value": 6144, "ValueInStandard": 6144},
        "PerformanceMode": "generalPurpose",
        "Encrypted": True,
        "KmsKeyId": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0d3c7a2e-1111-2222-3333-444455556666",
        "ThroughputMode": "elastic",
        "Tags": [{"Key": "Name", "Value": f"fs{n}"}],
        "FileSystemProtection": {"ReplicationOverwriteProtection": "ENABLED"},
    }


def _collect(stubbed, answers: dict[int, tuple[str | None, str]]):
    """Collect EFS with ``answers``: file system number -> (Policy string or None for PolicyNotFound,
    BackupPolicy.Status). Returns the unit (for its issues) and the collected file systems by id."""
    make, unit = stubbed
    s = make("efs")
    s.add_response("describe_file_systems", {"FileSystems": [_description(n) for n in answers]}, {})
    for n, (policy, backup) in answers.items():
        if policy is None:
            s.add_client_error(
                "describe_file_system_policy",
                "PolicyNotFound",
                "No such file system policy",
                404,
                expected_params={"FileSystemId": _fs_id(n)},
            )
        else:
            s.add_response(
                "describe_file_system_policy",
                {"FileSystemId": _fs_id(n), "Policy": policy},
                {"FileSystemId": _fs_id(n)},
            )
        s.add_response(
            "describe_backup_policy", {"BackupPolicy": {"Status": backup}}, {"FileSystemId": _fs_id(n)}
        )
        s.add_response("describe_mount_targets", {"MountTargets": []}, {"FileSystemId": _fs_id(n)})
    s.add_response("describe_access_points", {"AccessPoints": []}, {})
    u = unit()
    with s:
        got = efs.collect(u)
    return u, {f.file_system_id: f for f in got["file_systems"]}


def test_backup_policy_disabled_and_enabling_are_recorded_as_returned(stubbed):
    u, fs = _collect(stubbed, {1: (None, "DISABLED"), 2: (None, "ENABLING")})
    assert {(i, f.backup_policy_status, f.policy_status) for i, f in fs.items()} == {
        (_fs_id(1), "DISABLED", PolicyStatus.ABSENT),
        (_fs_id(2), "ENABLING", PolicyStatus.ABSENT),
    }
    assert u.issues == []


def test_policy_that_is_not_a_json_object_is_an_issue_and_unknown(stubbed):
    import json

    u, fs = _collect(
        stubbed,
        {1: ("{not json", "ENABLED"), 2: ('["Allow"]', "ENABLED"), 3: (json.dumps(FS_POLICY), "ENABLED")},
    )
    assert {(i, f.policy_status, f.policy) for i, f in fs.items() if i != _fs_id(3)} == {
        (_fs_id(1), PolicyStatus.UNKNOWN, None),
        (_fs_id(2), PolicyStatus.UNKNOWN, None),
    }
    assert (fs[_fs_id(3)].policy_status, fs[_fs_id(3)].policy) == (PolicyStatus.PRESENT, FS_POLICY)
    assert {(i.scope, i.service, i.operation, i.resource_id, i.error_code, i.message) for i in u.issues} == {
        (
            SCOPE,
            "efs",
            "DescribeFileSystemPolicy",
            _arn(1),
            "InvalidPolicyDocument",
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (
            SCOPE,
            "efs",
            "DescribeFileSystemPolicy",
            _arn(2),
            "InvalidPolicyDocument",
            "policy is not a JSON object",
        ),
    }

    run = evaluate(Snapshot(file_systems=list(fs.values()), issues=u.issues))
    got = {(r.check_id, r.resource_id): r for r in run.results if r.check_id in POLICY_CHECKS}
    for n, reason in (
        (1, "InvalidPolicyDocument: Expecting property name"),
        (2, "InvalidPolicyDocument: policy is not a JSON object"),
    ):
        for check in POLICY_CHECKS:
            r = got[(check, _arn(n))]
            assert r.status is Status.NOT_ASSESSED, (check, n)
            assert r.message.startswith(f"file system policy could not be read: {reason}"), (check, r.message)
    # The readable policy is assessed (FS_POLICY allows anonymous ClientMount over TLS only).
    assert {c: got[(c, _arn(3))].status for c in POLICY_CHECKS} == {
        "efs_policy_missing": Status.PASS,
        "efs_policy_anonymous_access": Status.FAIL,
        "efs_policy_no_secure_transport": Status.PASS,
        "efs_policy_cross_account": Status.FAIL,
        "efs_policy_unenforced_condition": Status.PASS,
        "efs_policy_dangling_principal": Status.PASS,
    }
    assert not run.complete


def test_deadline_mid_listing_stops_before_the_next_page(stubbed, monkeypatch):
    """The deadline is checked before every call and every next page, not only when a service starts:
    a listing under way when it passes makes no further call, and what it would have read is a
    Timeout issue (so the checks that need it are NOT_ASSESSED), never a partial list taken as whole."""
    from types import SimpleNamespace

    from auditor.collectors.aws import operations

    efs_stub = stubbed[0]("efs")
    efs_stub.add_response(
        "describe_file_systems", {"FileSystems": [_description(1)], "NextMarker": "page-2"}, {}
    )
    unit = stubbed[1]()
    unit.deadline = 100.0
    clock = iter([99.0])  # in time when the listing starts; past the deadline from page 1 on
    monkeypatch.setattr(operations, "time", SimpleNamespace(monotonic=lambda: next(clock, 101.0)))
    with efs_stub:
        got = efs.collect(unit)
    assert got == {"file_systems": [], "access_points": []}  # with their issues: NOT_ASSESSED, not empty
    assert {(i.operation, i.error_code) for i in unit.issues} == {
        ("DescribeFileSystems", "Timeout"),
        ("DescribeAccessPoints", "Timeout"),
    }
    assert all("deadline reached" in i.message for i in unit.issues)


def test_a_listing_that_ended_in_time_is_kept(stubbed, monkeypatch):
    """The deadline is checked before a request, never after the last page: a listing whose final page
    arrived in time stands, and only the calls that were not made are Timeout issues."""
    from types import SimpleNamespace

    from auditor.collectors.aws import operations

    efs_stub = stubbed[0]("efs")
    efs_stub.add_response("describe_file_systems", {"FileSystems": [_description(1)]}, {})
    unit = stubbed[1]()
    unit.deadline = 100.0
    clock = iter([99.0])
    monkeypatch.setattr(operations, "time", SimpleNamespace(monotonic=lambda: next(clock, 101.0)))
    with efs_stub:
        got = efs.collect(unit)
    assert [f.file_system_id for f in got["file_systems"]] == [_fs_id(1)]
    assert {(i.operation, i.error_code) for i in unit.issues} == {
        ("DescribeFileSystemPolicy", "Timeout"),
        ("DescribeBackupPolicy", "Timeout"),
        ("DescribeMountTargets", "Timeout"),
        ("DescribeAccessPoints", "Timeout"),
    }
    assert got["file_systems"][0].policy_status is PolicyStatus.UNKNOWN
