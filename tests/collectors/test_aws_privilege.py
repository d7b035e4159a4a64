"""Least privilege: samples/iam/auditor-policy.json grants exactly the actions of OPERATIONS, all of
them read-only, and a full moto run calls nothing outside the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.collectors.aws import OPERATIONS, AwsSettings, collect_aws, last_call_counts
from auditor.collectors.aws.operations import EXTRA_ACTIONS, Api, OperationNotAllowed, required_actions

from .conftest import REGION, seed_small_estate

POLICY = Path(__file__).resolve().parents[2] / "samples" / "iam" / "auditor-policy.json"
READ_ONLY_PREFIXES = ("Describe", "List", "Get")


def _granted() -> set[str]:
    """Every action but the Organizations discovery statement, which only the management account needs
    (tests/collectors/test_org.py holds it to exactly the discovery calls)."""
    doc = json.loads(POLICY.read_text())
    actions: set[str] = set()
    for st in doc["Statement"]:
        if st.get("Sid") == "EfsAuditOrganizationsDiscovery":
            continue
        assert st["Effect"] == "Allow" and st["Resource"] == "*" and "NotAction" not in st
        actions.update([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    return actions


def test_policy_grants_exactly_the_table():
    assert _granted() == required_actions()


def test_extra_actions_the_api_reference_requires():
    """DescribeMountTargetSecurityGroups also needs ec2:DescribeNetworkInterfaceAttribute on the mount
    target's network interface (EFS API reference); without it every mount target's groups are AccessDenied."""
    assert EXTRA_ACTIONS == {
        ("efs", "DescribeMountTargetSecurityGroups"): ("ec2:DescribeNetworkInterfaceAttribute",)
    }
    for extra in EXTRA_ACTIONS.values():
        assert all(a.split(":")[1].startswith(READ_ONLY_PREFIXES) for a in extra)


def test_every_action_is_read_only_and_matches_its_operation():
    for (service, operation), action in OPERATIONS.items():
        prefix, name = action.split(":")
        assert name == operation and name.startswith(READ_ONLY_PREFIXES)
        assert "*" not in action
        assert prefix == {"efs": "elasticfilesystem"}.get(service, service)


def test_calls_outside_the_table_are_refused():
    with pytest.raises(OperationNotAllowed):
        Api(object(), "efs").call("DeleteFileSystem", FileSystemId="fs-1")
    with pytest.raises(OperationNotAllowed):
        Api(object(), "lambda").pages("GetFunction")


def test_end_to_end_calls_are_a_subset_of_the_table(aws):
    seed_small_estate()
    collect_aws(AwsSettings(regions=(REGION, "us-east-2"), max_attempts=1))
    counted = set(last_call_counts())
    assert counted and counted <= set(OPERATIONS)
    # The run exercised every region and global operation except those only an estate with AWS
    # managed policies or pod identity details needs (covered with Stubber in test_aws_pagination).
    assert set(OPERATIONS) - counted == {
        ("iam", "GetPolicy"),
        ("iam", "GetPolicyVersion"),
        ("ec2", "DescribeRegions"),
        ("eks", "DescribePodIdentityAssociation"),
    }
