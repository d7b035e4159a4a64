"""``auditor.iam.can``: the one IAM question (§2.2-§2.5): the file system policy and the identity policies
evaluated together, with the statements that decided and the facts not read that an answer rests on."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

from auditor.iam import Principal, can
from auditor.params import Params

ACCT, OTHER = "111122223333", "999988887777"
FS_ARN = f"arn:aws:elasticfilesystem:eu-west-1:{ACCT}:file-system/fs-0123"
AP_ARN = f"arn:aws:elasticfilesystem:eu-west-1:{ACCT}:access-point/fsap-0123"
ROLE = Principal(kind="role", arn=f"arn:aws:iam::{ACCT}:role/app")
FOREIGN = Principal(kind="role", arn=f"arn:aws:iam::{OTHER}:role/app")
MOUNT = ["elasticfilesystem:ClientMount"]
ROOT = Path(__file__).resolve().parents[2]


def fs(policy=None, status=None):
    status = status or ("present" if policy is not None else "absent")
    return SimpleNamespace(arn=FS_ARN, policy=policy, policy_status=status)


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal=None, action=MOUNT, resource=None, **cond):
    st = {"Effect": "Allow", "Action": action}
    if principal is not None:
        st["Principal"] = {"AWS": principal}
    if resource is not None:
        st["Resource"] = resource
    if cond:
        st["Condition"] = cond
    return st


IDENTITY_MOUNT = [("inline policy p", doc(allow(resource="*")))]


def test_s2_2_no_file_system_policy_lets_anonymous_clients_mount():
    a = can(Principal.ANONYMOUS, "ClientMount", fs(), transport_secure=False)
    assert a.allowed and not a.rests_on_unread and "§2.2" in a.reasons[0]


def test_s2_5_same_account_an_identity_allow_suffices_cross_account_needs_both():
    policy = doc(allow(f"arn:aws:iam::{ACCT}:role/other"))
    assert can(
        ROLE, "ClientMount", fs(policy), transport_secure=True, identity_policies=IDENTITY_MOUNT
    ).allowed
    foreign = can(FOREIGN, "ClientMount", fs(policy), transport_secure=True, identity_policies=IDENTITY_MOUNT)
    assert foreign.denied and "cross account" in foreign.reasons[0]
    granted = doc(allow(FOREIGN.arn))
    assert can(
        FOREIGN, "ClientMount", fs(granted), transport_secure=True, identity_policies=IDENTITY_MOUNT
    ).allowed


def test_s2_4_an_explicit_deny_on_aws_secure_transport_wins_and_names_its_statement():
    deny = {
        "Sid": "TLS",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    policy = doc(deny, allow("*"))
    plain = can(ROLE, "ClientMount", fs(policy), transport_secure=False, identity_policies=[])
    assert plain.denied and 'Sid "TLS"' in plain.reasons[0]
    assert can(ROLE, "ClientMount", fs(policy), transport_secure=True, identity_policies=[]).allowed


def test_s2_4_access_point_arn_condition_allows_through_that_access_point_only():
    policy = doc(allow("*", StringEquals={"elasticfilesystem:AccessPointArn": AP_ARN}))
    through = can(
        ROLE,
        "ClientMount",
        fs(policy),
        SimpleNamespace(arn=AP_ARN),
        transport_secure=True,
        identity_policies=[],
    )
    assert through.allowed
    assert can(ROLE, "ClientMount", fs(policy), None, transport_secure=True, identity_policies=[]).denied


def test_s2_4_accessed_via_mount_target_condition_is_decided():
    policy = doc(allow("*", Bool={"elasticfilesystem:AccessedViaMountTarget": "true"}))
    assert can(Principal.ANONYMOUS, "ClientMount", fs(policy), transport_secure=True).allowed
    assert can(
        Principal.ANONYMOUS, "ClientMount", fs(policy), transport_secure=True, via_mount_target=False
    ).denied


def test_unread_facts_make_an_unknown_answer_that_says_what_it_rests_on():
    unread_policy = can(
        ROLE, "ClientMount", fs(status="unknown"), transport_secure=True, identity_policies=[]
    )
    assert unread_policy.unknown and unread_policy.rests_on_unread
    policy = doc(allow(f"arn:aws:iam::{ACCT}:role/other"))
    unread_identity = can(ROLE, "ClientMount", fs(policy), transport_secure=True, identity_policies=None)
    assert unread_identity.unknown and "identity policies" in unread_identity.not_read[0]


def test_s2_1_a_bracket_in_a_resource_is_a_literal_never_an_fnmatch_class():
    identity = [("inline policy p", doc(allow(resource=FS_ARN[:-4] + "[f]s-0123")))]
    policy = doc(allow(f"arn:aws:iam::{ACCT}:role/other"))
    assert can(ROLE, "ClientMount", fs(policy), transport_secure=True, identity_policies=identity).denied


def test_s2_1_actions_match_case_insensitively_with_wildcards():
    identity = [("inline policy p", doc(allow(action=["ELASTICFILESYSTEM:client?ount"], resource="*")))]
    policy = doc(allow(f"arn:aws:iam::{ACCT}:role/other"))
    assert can(ROLE, "ClientMount", fs(policy), transport_secure=True, identity_policies=identity).allowed


def test_s2_5_unverified_boundary_rule_is_the_named_setting_fs_policy_grant_ignores_boundary():
    assert Params().fs_policy_grant_ignores_boundary is True  # conservative: the grant counts
    role = Principal(kind="role", arn=ROLE.arn, has_permissions_boundary=True)
    policy = doc(allow(ROLE.arn))
    boundary = ("permissions boundary", doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    kw = {"transport_secure": True, "identity_policies": [], "permissions_boundary": boundary}
    assert can(role, "ClientMount", fs(policy), **kw).allowed
    assert can(role, "ClientMount", fs(policy), fs_grant_past_boundary=False, **kw).denied


def test_checks_ask_iam_through_its_api_and_never_walk_policy_statements():
    raw = re.compile(
        r"""\[["']Statement["']\]|\.get\(["'](Statement|Effect|Action|Condition)["']\)|fnmatch"""
    )
    for rel in ("auditor/checks/policy.py", "auditor/checks/root_squash.py", "auditor/analysis/authz.py"):
        assert not raw.search((ROOT / rel).read_text()), rel
