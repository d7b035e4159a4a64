"""The checks' probe principals live in the file system's own partition (aws, aws-cn, aws-us-gov), so
a China or GovCloud estate gets the verdicts a commercial one gets (semantics §2.5: a cross-account
caller needs the file system policy to allow it; §6: a root-squash gap). A policy naming the roles of
the partition (``arn:PARTITION:iam::*:role/*``) is read the same way in each."""

from __future__ import annotations

import pytest

from auditor.model import aws
from auditor.model.result import Status
from tests.analysis.estate import ACCT, MW, TLS_DENY, allow, policy, snapshot, statuses

FAIL, PASS = Status.FAIL, Status.PASS
REGIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}


def _fs(partition: str, pol: dict) -> aws.FileSystem:
    region = REGIONS[partition]
    return aws.FileSystem(
        arn=f"arn:{partition}:elasticfilesystem:{region}:{ACCT}:file-system/fs-00000001",
        file_system_id="fs-00000001",
        account_id=ACCT,
        region=region,
        policy_status=aws.PolicyStatus.PRESENT,
        policy=pol,
    )


def _roles_of(partition: str, account: str = "*", actions=None) -> dict:
    return policy(
        allow("*", actions or MW, ArnLike={"aws:PrincipalArn": f"arn:{partition}:iam::{account}:role/*"}),
        TLS_DENY,
    )


@pytest.mark.parametrize("partition", sorted(REGIONS))
def test_s2_5_cross_account_probe_is_a_role_of_the_file_systems_partition(partition):
    """Any role of any account in the partition may mount: a cross-account FAIL in every partition."""
    fs = _fs(partition, _roles_of(partition))
    assert statuses("efs_policy_cross_account", snapshot(file_systems=[fs])) == {fs.arn: FAIL}


@pytest.mark.parametrize("partition", sorted(REGIONS))
def test_s6_root_squash_probe_member_role_is_in_the_file_systems_partition(partition):
    """A policy granting ClientRootAccess to every role of the account: a member role holding only
    ClientMount in its identity policy gets root (root-squash gap) in whichever partition it lives."""
    fs = _fs(partition, _roles_of(partition, ACCT, actions=["elasticfilesystem:ClientRootAccess"]))
    assert statuses("efs_root_squash_gap", snapshot(file_systems=[fs]))[fs.arn] is FAIL
