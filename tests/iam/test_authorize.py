"""authorize(): the rules of semantics §2 and the edge cases of §10 the evaluator decides."""

from __future__ import annotations

import pytest

from auditor.iam import Decision, PolicyError, Principal, RequestContext, authorize

ALLOW, DENY, UNKNOWN = Decision.ALLOW, Decision.DENY, Decision.UNKNOWN
ACCT, OTHER = "111122223333", "444455556666"
FS = f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:file-system/fs-0123456789abcdef0"
FS_OTHER = f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:file-system/fs-0000000000000000f"
AP1 = f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:access-point/fsap-00000000000000001"
AP2 = f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:access-point/fsap-00000000000000002"
APP1_ARN = f"arn:aws:iam::{ACCT}:role/app/app1"
APP1 = Principal(kind="role", arn=APP1_ARN, role_id="AROAAPP1EXAMPLE000001")
NODE = Principal(kind="role", arn=f"arn:aws:iam::{ACCT}:role/eks-node")
ADMIN = Principal(kind="role", arn=f"arn:aws:iam::{ACCT}:role/admin")
FOREIGN = Principal(kind="role", arn=f"arn:aws:iam::{OTHER}:role/client")
ANON = Principal.ANONYMOUS
TLS, PLAIN = RequestContext(True, None), RequestContext(False, None)
VIA_AP1, VIA_AP2 = RequestContext(True, AP1), RequestContext(True, AP2)
ACTIONS = ("ClientMount", "ClientWrite", "ClientRootAccess")
CLIENT_ALL = [
    "elasticfilesystem:ClientMount",
    "elasticfilesystem:ClientWrite",
    "elasticfilesystem:ClientRootAccess",
]
VIA_MT = {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}
AP_IS = {"StringEquals": {"elasticfilesystem:AccessPointArn": AP1}}
# AWS managed AmazonElasticFileSystemClientFullAccess (§2.1, MP-CLIENTFULL)
CLIENT_FULL = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Resource": "*",
            "Action": [*CLIENT_ALL, "elasticfilesystem:DescribeMountTargets"],
        }
    ],
}
CSI_DRIVER = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Resource": "*",
            "Action": ["elasticfilesystem:DescribeAccessPoints", "elasticfilesystem:DescribeFileSystems"],
        }
    ],
}


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def st(effect: str, principal, action, condition: dict | None = None, **extra) -> dict:
    out = {"Effect": effect, "Principal": principal, "Action": action, **extra}
    if condition:
        out["Condition"] = condition
    return out


def identity(action, resource="*", effect="Allow", condition: dict | None = None) -> dict:
    s = {"Effect": effect, "Action": action, "Resource": resource}
    if condition:
        s["Condition"] = condition
    return doc(s)


def run(action, who, ctx, policy, ids=(), boundary=None):
    return authorize(
        action,
        who,
        ctx,
        file_system_arn=FS,
        resource_policy=policy,
        identity_policies=None if ids is None else [(f"identity policy {i}", d) for i, d in enumerate(ids)],
        permissions_boundary=boundary,
    )


def decide(action, who, ctx, policy, ids=(), boundary=None) -> Decision:
    return run(action, who, ctx, policy, ids, boundary).decision


def decisions(who, ctx, policy, ids=(), boundary=None) -> tuple[Decision, ...]:
    return tuple(decide(a, who, ctx, policy, ids, boundary) for a in ACTIONS)


# --- §2.2 default policy ------------------------------------------------------------------------------


def test_edge_01_no_policy_full_access_for_every_client():
    for who in (ANON, APP1, FOREIGN):
        for ctx in (TLS, PLAIN, VIA_AP1, RequestContext(None, None)):
            assert decisions(who, ctx, None) == (ALLOW, ALLOW, ALLOW)
    reasons = run("ClientRootAccess", ANON, PLAIN, None).reasons
    assert reasons == (
        "no file system policy: the default policy grants mount, write and root to every client "
        "that can reach a mount target (§2.2)",
    )


def test_s2_2_identity_deny_not_applied_under_default_policy():
    deny_all = identity("elasticfilesystem:*", effect="Deny")
    result = run("ClientMount", APP1, TLS, None, [deny_all])
    assert result.decision is ALLOW
    assert any("conservative rule §2.2" in r for r in result.reasons)


def test_edge_40_cross_account_no_policy_needs_no_iam():
    assert decisions(FOREIGN, PLAIN, None, ids=[]) == (ALLOW, ALLOW, ALLOW)
    assert decisions(FOREIGN, TLS, None, ids=None) == (ALLOW, ALLOW, ALLOW)


# --- §2.1 actions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["elasticfilesystem:*", "*", "elasticfilesystem:Client*", CLIENT_ALL])
def test_s2_1_wildcards_grant_all_three_actions(action):
    assert decisions(
        APP1, TLS, doc(st("Allow", {"AWS": "arn:aws:iam::111122223333:role/nobody"}, "*")), [identity(action)]
    ) == (ALLOW, ALLOW, ALLOW)


def test_s2_1_actions_are_evaluated_independently():
    write_only = doc(st("Allow", "*", "elasticfilesystem:ClientWrite"))
    assert decisions(ANON, TLS, write_only) == (DENY, ALLOW, DENY)
    mount_only = doc(st("Allow", "*", "elasticfilesystem:ClientMount"))
    assert decisions(ANON, TLS, mount_only) == (ALLOW, DENY, DENY)


def test_s2_1_not_action():
    policy = doc({"Effect": "Allow", "Principal": "*", "NotAction": "elasticfilesystem:ClientRootAccess"})
    assert decisions(ANON, TLS, policy) == (ALLOW, ALLOW, DENY)


def test_edge_03_prevent_root_preset_identity_full_access_gets_root():
    preset = doc(
        st("Allow", {"AWS": "*"}, ["elasticfilesystem:ClientWrite", "elasticfilesystem:ClientMount"], VIA_MT)
    )
    assert decisions(APP1, TLS, preset, [CLIENT_FULL]) == (ALLOW, ALLOW, ALLOW)
    assert decisions(APP1, TLS, preset, []) == (ALLOW, ALLOW, DENY)
    assert decisions(ANON, PLAIN, preset) == (ALLOW, ALLOW, DENY)
    result = run("ClientRootAccess", APP1, TLS, preset, [CLIENT_FULL])
    assert "identity policy 0 statement 0: Allow elasticfilesystem:ClientRootAccess" in result.reasons


def test_edge_14_identity_allow_on_access_point_resource_grants_nothing():
    policy = doc(st("Allow", {"AWS": f"arn:aws:iam::{ACCT}:role/other"}, "elasticfilesystem:Client*"))
    on_ap = identity("elasticfilesystem:ClientMount", resource=AP1)
    assert decide("ClientMount", APP1, VIA_AP1, policy, [on_ap]) is DENY
    on_fs = identity("elasticfilesystem:ClientMount", resource=FS)
    assert decide("ClientMount", APP1, VIA_AP1, policy, [on_fs]) is ALLOW


# --- resources ----------------------------------------------------------------------------------------


def test_s2_5_omitted_resource_in_file_system_policy_means_the_file_system():
    assert decide("ClientMount", ANON, TLS, doc(st("Allow", "*", "*"))) is ALLOW


@pytest.mark.parametrize(
    "resource,expected",
    [
        (FS, ALLOW),
        ("*", ALLOW),
        (f"arn:aws:elasticfilesystem:*:{ACCT}:file-system/*", ALLOW),
        (FS_OTHER, DENY),
        (AP1, DENY),
        (f"arn:aws:elasticfilesystem:us-east-1:{OTHER}:file-system/*", DENY),
    ],
)
def test_s2_5_resource_wildcards(resource, expected):
    assert decide("ClientMount", ANON, TLS, doc(st("Allow", "*", "*", Resource=resource))) is expected


def test_s2_5_not_resource():
    assert decide("ClientMount", ANON, TLS, doc(st("Allow", "*", "*", NotResource=FS_OTHER))) is ALLOW
    assert decide("ClientMount", ANON, TLS, doc(st("Allow", "*", "*", NotResource=FS))) is DENY


def test_s2_5_policy_variable_in_identity_resource_is_unknown():
    ident = identity(
        "elasticfilesystem:*", resource="arn:aws:elasticfilesystem:*:*:file-system/${aws:PrincipalTag/fs}"
    )
    assert decide("ClientMount", APP1, TLS, doc(st("Allow", {"AWS": ADMIN.arn}, "*")), [ident]) is UNKNOWN


# --- §2.3 anonymous -------------------------------------------------------------------------------------


def test_s2_3_anonymous_matched_only_by_star():
    for principal in (
        {"AWS": f"arn:aws:iam::{ACCT}:root"},
        ACCT,
        {"AWS": APP1_ARN},
        {"Service": "ecs.amazonaws.com"},
        {"Federated": "cognito-identity.amazonaws.com"},
        {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
    ):
        p = principal if isinstance(principal, dict) else {"AWS": principal}
        assert decide("ClientMount", ANON, TLS, doc(st("Allow", p, "*"))) is DENY
    assert decide("ClientMount", ANON, TLS, doc(st("Allow", "*", "*"))) is ALLOW
    assert decide("ClientMount", ANON, TLS, doc(st("Allow", {"AWS": "*"}, "*"))) is ALLOW


def test_s2_3_anonymous_ignores_identity_policies():
    assert decide("ClientMount", ANON, TLS, doc(st("Allow", "*", "*")), ids=None) is ALLOW


def test_s2_3_service_principal_matches_no_role():
    policy = doc(st("Allow", {"Service": "ecs-tasks.amazonaws.com"}, "*"))
    assert decide("ClientMount", APP1, TLS, policy, []) is DENY


# --- §2.4 condition keys ---------------------------------------------------------------------------------


def test_s2_4_unenforced_key_is_unknown():
    policy = doc(st("Allow", "*", "*", {"StringEquals": {"aws:SourceVpc": "vpc-1"}}))
    result = run("ClientMount", ANON, TLS, policy)
    assert result.decision is UNKNOWN
    assert (
        "file system policy statement 0: condition key aws:SourceVpc is not enforced for NFS clients (§2.4)"
        in result.unknowns
    )


@pytest.mark.parametrize(
    "condition",
    [
        {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        {"StringEquals": {"aws:SourceVpc": "vpc-0abc"}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
        {"ArnLike": {"aws:PrincipalArn": APP1_ARN}},
        {"StringEquals": {"aws:ResourceTag/team": "a"}},
    ],
)
def test_edge_15_unenforced_or_private_ip_conditions_are_indeterminate(condition):
    allow_cond = doc(st("Allow", "*", "*", condition))
    assert decisions(ANON, TLS, allow_cond) == (UNKNOWN,) * 3  # Allow may apply
    deny_cond = doc(st("Allow", "*", "*"), st("Deny", "*", "*", condition))
    assert decisions(ANON, TLS, deny_cond) == (UNKNOWN,) * 3  # Deny may not apply
    only_deny = doc(st("Deny", "*", "*", condition))
    assert decisions(ANON, TLS, only_deny) == (DENY,) * 3  # nothing allows anyway


def test_s2_4_unknown_transport_is_unknown_for_tls_conditions():
    policy = doc(st("Allow", "*", "*"), st("Deny", "*", "*", {"Bool": {"aws:SecureTransport": "false"}}))
    assert decide("ClientMount", ANON, RequestContext(None, None), policy) is UNKNOWN


def test_s2_4_accessed_via_mount_target_is_true_for_nfs():
    policy = doc(st("Allow", "*", "*", VIA_MT))
    assert decide("ClientMount", ANON, PLAIN, policy) is ALLOW
    assert (
        decide("ClientMount", ANON, RequestContext(False, None, accessed_via_mount_target=False), policy)
        is DENY
    )


def test_s2_4_unknown_operator_never_matches():
    policy = doc(st("Allow", "*", "*", {"StringMaybe": {"elasticfilesystem:AccessPointArn": AP1}}))
    assert decide("ClientMount", ANON, VIA_AP1, policy) is UNKNOWN


def test_s2_4_policy_variable_unknown_under_2012_literal_under_2008():
    cond = {"StringEquals": {"elasticfilesystem:AccessPointArn": "${aws:PrincipalTag/ap}"}}
    assert decide("ClientMount", ANON, VIA_AP1, doc(st("Allow", "*", "*", cond))) is UNKNOWN
    old = {"Version": "2008-10-17", "Statement": [st("Allow", "*", "*", cond)]}
    assert decide("ClientMount", ANON, VIA_AP1, old) is DENY


# --- access point conditions (edges 7-11, 41, 44) -----------------------------------------------------


def test_edge_07_allow_star_stringequals_accesspoint_only_through_ap1():
    policy = doc(st("Allow", "*", "elasticfilesystem:Client*", AP_IS))
    assert decisions(ANON, VIA_AP1, policy) == (ALLOW, ALLOW, ALLOW)
    assert decisions(ANON, VIA_AP2, policy) == (DENY, DENY, DENY)
    assert decisions(ANON, TLS, policy) == (DENY, DENY, DENY)


def test_edge_08_stringequalsifexists_allows_non_ap_mounts():
    policy = doc(
        st(
            "Allow",
            "*",
            "elasticfilesystem:Client*",
            {"StringEqualsIfExists": {"elasticfilesystem:AccessPointArn": AP1}},
        )
    )
    assert decisions(ANON, PLAIN, policy) == (ALLOW, ALLOW, ALLOW)
    assert decisions(ANON, VIA_AP1, policy) == (ALLOW, ALLOW, ALLOW)
    assert decisions(ANON, VIA_AP2, policy) == (DENY, DENY, DENY)


def test_edge_09_stringlike_any_access_point_qualifies():
    policy = doc(
        st(
            "Allow",
            "*",
            "elasticfilesystem:Client*",
            {
                "StringLike": {
                    "elasticfilesystem:AccessPointArn": "arn:aws:elasticfilesystem:*:*:access-point/*"
                }
            },
        )
    )
    assert decide("ClientRootAccess", ANON, VIA_AP1, policy) is ALLOW
    assert decide("ClientRootAccess", ANON, VIA_AP2, policy) is ALLOW
    assert decide("ClientRootAccess", ANON, TLS, policy) is DENY


def test_edge_10_deny_stringnotequals_enforces_access_points():
    policy = doc(
        st("Allow", "*", "elasticfilesystem:Client*"),
        st("Deny", "*", "*", {"StringNotEquals": {"elasticfilesystem:AccessPointArn": [AP1, AP2]}}),
    )
    assert decisions(ANON, TLS, policy) == (DENY, DENY, DENY)
    assert decisions(ANON, VIA_AP2, policy) == (ALLOW, ALLOW, ALLOW)
    ap3 = RequestContext(True, AP1.replace("01", "03"))
    assert decisions(ANON, ap3, policy) == (DENY, DENY, DENY)
    assert (
        "file system policy statement 1: Deny AWS:* elasticfilesystem:ClientMount (with conditions)"
        in run("ClientMount", ANON, TLS, policy).reasons
    )


def test_edge_11_broad_allow_makes_access_point_restriction_moot():
    policy = doc(
        {"Sid": "App1ViaAp", **st("Allow", {"AWS": APP1_ARN}, "elasticfilesystem:Client*", AP_IS)},
        {"Sid": "AllowApp", **st("Allow", {"AWS": "*"}, "elasticfilesystem:Client*")},
    )
    assert decisions(ANON, PLAIN, policy) == (ALLOW, ALLOW, ALLOW)
    result = run("ClientMount", ANON, PLAIN, policy)
    assert (
        'file system policy statement 1 (Sid "AllowApp"): Allow AWS:* elasticfilesystem:ClientMount'
        in result.reasons
    )


def test_edge_41_access_point_arn_with_client_account_never_matches():
    wrong = AP1.replace(ACCT, OTHER)
    policy = doc(
        st(
            "Allow",
            "*",
            "elasticfilesystem:Client*",
            {"StringEquals": {"elasticfilesystem:AccessPointArn": wrong}},
        )
    )
    assert decisions(FOREIGN, VIA_AP1, policy, [CLIENT_FULL]) == (DENY, DENY, DENY)
    assert decisions(ANON, VIA_AP1, policy) == (DENY, DENY, DENY)


def test_edge_44_recreated_access_point_fails_closed_for_allow_open_for_deny():
    old = AP1
    new = RequestContext(True, AP1.replace("fsap-00000000000000001", "fsap-0000000000000abcd"))
    allow_old = doc(st("Allow", "*", "*", {"StringEquals": {"elasticfilesystem:AccessPointArn": old}}))
    assert decide("ClientMount", ANON, new, allow_old) is DENY
    deny_old = doc(
        st("Allow", "*", "*"),
        st("Deny", "*", "*", {"StringEquals": {"elasticfilesystem:AccessPointArn": old}}),
    )
    assert decide("ClientMount", ANON, new, deny_old) is ALLOW
    assert decide("ClientMount", ANON, VIA_AP1, deny_old) is DENY


def test_edge_16_root_through_access_point_needs_client_root_access():
    policy = doc(st("Allow", "*", ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"], AP_IS))
    assert decisions(ANON, VIA_AP1, policy) == (ALLOW, ALLOW, DENY)


# --- §2.5 principals and account combination --------------------------------------------------------------


def test_edge_02_allow_star_client_with_accessed_via_mount_target_is_open():
    policy = doc(st("Allow", "*", "elasticfilesystem:Client*", VIA_MT))
    assert decisions(ANON, PLAIN, policy) == (ALLOW, ALLOW, ALLOW)
    assert decisions(FOREIGN, TLS, policy, []) == (
        DENY,
        DENY,
        DENY,
    )  # cross account needs its identity allow too
    assert decisions(FOREIGN, TLS, policy, [CLIENT_FULL]) == (ALLOW, ALLOW, ALLOW)


def test_edge_05_prevent_anonymous_preset():
    preset = doc(
        st(
            "Allow",
            {"AWS": "*"},
            ["elasticfilesystem:ClientRootAccess", "elasticfilesystem:ClientWrite"],
            VIA_MT,
        )
    )
    assert decisions(ANON, TLS, preset) == (DENY, ALLOW, ALLOW)  # no mount: write/root are moot
    mount_only = identity("elasticfilesystem:ClientMount")
    assert decisions(APP1, TLS, preset, [mount_only]) == (ALLOW, ALLOW, ALLOW)
    assert decisions(APP1, TLS, preset, []) == (DENY, ALLOW, ALLOW)
    # another account needs ClientMount from the file system policy as well as its own identity policy
    assert decisions(FOREIGN, TLS, preset, [CLIENT_FULL]) == (DENY, ALLOW, ALLOW)
    granted = doc(
        *preset["Statement"],
        st("Allow", {"AWS": f"arn:aws:iam::{OTHER}:root"}, "elasticfilesystem:ClientMount"),
    )
    assert decisions(FOREIGN, TLS, granted, [mount_only]) == (ALLOW, DENY, DENY)
    assert decisions(FOREIGN, TLS, granted, [CLIENT_FULL]) == (ALLOW, ALLOW, ALLOW)


def test_edge_06_app_role_is_not_the_principal_of_a_csi_mount():
    policy = doc(st("Allow", {"AWS": APP1_ARN}, "elasticfilesystem:Client*", AP_IS))
    assert decisions(NODE, VIA_AP1, policy, [CSI_DRIVER]) == (DENY, DENY, DENY)
    assert decisions(ANON, VIA_AP1, policy) == (DENY, DENY, DENY)
    assert decisions(APP1, VIA_AP1, policy, []) == (ALLOW, ALLOW, ALLOW)
    assert decisions(APP1, TLS, policy, []) == (DENY, DENY, DENY)


def test_s2_5_same_account_identity_allow_suffices():
    policy = doc(st("Allow", {"AWS": ADMIN.arn}, "*"))
    assert decide("ClientMount", APP1, TLS, policy, [identity("elasticfilesystem:ClientMount")]) is ALLOW
    assert decide("ClientMount", APP1, TLS, policy, []) is DENY


def test_s2_5_explicit_deny_anywhere_wins():
    open_policy = doc(st("Allow", "*", "*"))
    assert (
        decide("ClientMount", APP1, TLS, open_policy, [identity("elasticfilesystem:*", effect="Deny")])
        is DENY
    )
    boundary = ("permissions boundary pb", identity("elasticfilesystem:ClientMount", effect="Deny"))
    assert decide("ClientMount", APP1, TLS, open_policy, [CLIENT_FULL], boundary) is DENY
    fs_deny = doc(st("Allow", "*", "*"), st("Deny", {"AWS": APP1_ARN}, "*"))
    assert decide("ClientMount", APP1, TLS, fs_deny, [CLIENT_FULL]) is DENY
    assert decide("ClientMount", ADMIN, TLS, fs_deny, []) is ALLOW


def test_s2_5_cross_account_needs_both_sides():
    policy = doc(st("Allow", {"AWS": FOREIGN.arn}, "elasticfilesystem:ClientMount"))
    assert decide("ClientMount", FOREIGN, TLS, policy, []) is DENY
    assert decide("ClientMount", FOREIGN, TLS, policy, [CLIENT_FULL]) is ALLOW
    assert (
        decide("ClientMount", FOREIGN, TLS, doc(st("Allow", {"AWS": ADMIN.arn}, "*")), [CLIENT_FULL]) is DENY
    )


def test_s2_5_account_principal_delegates_and_does_not_grant():
    own = doc(st("Allow", {"AWS": f"arn:aws:iam::{ACCT}:root"}, "elasticfilesystem:Client*"))
    assert decide("ClientMount", APP1, TLS, own, []) is DENY
    assert decide("ClientMount", APP1, TLS, own, [CLIENT_FULL]) is ALLOW
    foreign = doc(st("Allow", {"AWS": OTHER}, "elasticfilesystem:Client*"))
    assert decide("ClientMount", FOREIGN, TLS, foreign, []) is DENY
    assert decide("ClientMount", FOREIGN, TLS, foreign, [CLIENT_FULL]) is ALLOW
    assert decide("ClientMount", ANON, TLS, foreign) is DENY


def test_s2_5_account_principal_in_deny_applies_to_every_principal_of_the_account():
    policy = doc(st("Allow", "*", "*"), st("Deny", {"AWS": f"arn:aws:iam::{OTHER}:root"}, "*"))
    assert decide("ClientMount", FOREIGN, TLS, policy, [CLIENT_FULL]) is DENY
    assert decide("ClientMount", APP1, TLS, policy, []) is ALLOW


def test_s2_5_role_arn_matches_its_sessions_and_session_arn_only_that_session():
    session = f"arn:aws:sts::{ACCT}:assumed-role/app1/task-1"
    with_session = Principal(kind="role", arn=APP1_ARN, session_arn=session)
    other_session = Principal(kind="role", arn=APP1_ARN, session_arn=session.replace("task-1", "task-2"))
    assert decide("ClientMount", with_session, TLS, doc(st("Allow", {"AWS": APP1_ARN}, "*")), []) is ALLOW
    by_session = doc(st("Allow", {"AWS": session}, "*"))
    assert decide("ClientMount", with_session, TLS, by_session, []) is ALLOW
    assert decide("ClientMount", other_session, TLS, by_session, []) is DENY
    assert decide("ClientMount", APP1, TLS, by_session, []) is UNKNOWN  # session name not known
    assert decide("ClientMount", NODE, TLS, by_session, []) is DENY


def test_edge_13_unique_id_principal_is_dangling():
    policy = doc(st("Allow", {"AWS": "AROAOLDROLEEXAMPLE0001"}, "elasticfilesystem:Client*"))
    assert decisions(APP1, TLS, policy, []) == (DENY, DENY, DENY)  # recreated role: locked out
    same_id = Principal(kind="role", arn=APP1_ARN, role_id="AROAOLDROLEEXAMPLE0001")
    assert decisions(same_id, TLS, policy, []) == (ALLOW, ALLOW, ALLOW)
    assert decisions(ANON, TLS, policy) == (DENY, DENY, DENY)


def test_edge_12_deny_not_principal_role_only():
    policy = doc(
        st("Allow", "*", "elasticfilesystem:Client*"),
        {"Effect": "Deny", "NotPrincipal": {"AWS": ADMIN.arn}, "Action": "*"},
    )
    assert decisions(ANON, TLS, policy) == (DENY, DENY, DENY)
    assert decisions(APP1, TLS, policy, [CLIENT_FULL]) == (DENY, DENY, DENY)
    result = run("ClientMount", ADMIN, TLS, policy, [CLIENT_FULL])
    assert result.decision is UNKNOWN
    assert any("possible lockout" in u for u in result.unknowns)
    assert any("EFS support for NotPrincipal is UNVERIFIED" in u for u in result.unknowns)
    bounded = Principal(kind="role", arn=ADMIN.arn, has_permissions_boundary=True)
    assert (
        decide("ClientMount", bounded, TLS, policy, [CLIENT_FULL], ("permissions boundary pb", CLIENT_FULL))
        is DENY
    )


def test_edge_12_not_principal_with_account_listed_excludes_the_role():
    policy = doc(
        st("Allow", "*", "elasticfilesystem:Client*"),
        {"Effect": "Deny", "NotPrincipal": {"AWS": [ADMIN.arn, f"arn:aws:iam::{ACCT}:root"]}, "Action": "*"},
    )
    assert decisions(ADMIN, TLS, policy, []) == (ALLOW, ALLOW, ALLOW)
    assert decisions(APP1, TLS, policy, [CLIENT_FULL]) == (DENY, DENY, DENY)  # account alone does not exclude
    assert decisions(ANON, TLS, policy) == (DENY, DENY, DENY)


def test_s2_5_identity_policies_unreadable():
    open_policy = doc(st("Allow", "*", "*"))
    result = run("ClientMount", APP1, TLS, open_policy, ids=None)
    assert result.decision is UNKNOWN  # an identity Deny may exist
    assert any("could not be read" in u for u in result.unknowns)
    assert decide("ClientMount", FOREIGN, TLS, open_policy, ids=None) is UNKNOWN
    assert decide("ClientMount", FOREIGN, TLS, doc(st("Allow", {"AWS": ADMIN.arn}, "*")), ids=None) is DENY
    assert decide("ClientMount", APP1, TLS, doc(st("Allow", {"AWS": ADMIN.arn}, "*")), ids=None) is UNKNOWN
    assert (
        decide("ClientMount", APP1, TLS, doc(st("Allow", "*", "*"), st("Deny", "*", "*")), ids=None) is DENY
    )


def test_s2_5_permissions_boundary_limits_identity_allow():
    policy = doc(st("Allow", {"AWS": ADMIN.arn}, "*"))
    mount_boundary = ("permissions boundary pb", identity("elasticfilesystem:ClientMount"))
    assert decisions(APP1, TLS, policy, [CLIENT_FULL], mount_boundary) == (ALLOW, DENY, DENY)
    assert decisions(APP1, TLS, policy, [CLIENT_FULL], ("permissions boundary pb", None)) == (UNKNOWN,) * 3
    assert decisions(FOREIGN, TLS, doc(st("Allow", "*", "*")), [CLIENT_FULL], mount_boundary) == (
        ALLOW,
        DENY,
        DENY,
    )


def test_s2_5_malformed_policy_raises_policy_error():
    with pytest.raises(PolicyError):
        run("ClientMount", ANON, TLS, doc({"Effect": "Allow", "Action": "*"}))  # no Principal
    with pytest.raises(PolicyError):
        run("ClientMount", APP1, TLS, doc(st("Allow", "*", "*")), [doc({"Effect": "Allow", "Action": "*"})])
    with pytest.raises(PolicyError):
        run("ClientMount", APP1, TLS, doc(st("Allow", "*", "*")), [doc(st("Allow", "*", "*", Resource="*"))])


def test_s2_5_reason_names_policy_statement_and_sid():
    policy = doc(
        st("Deny", "*", "s3:*"), {"Sid": "AllowApp", **st("Allow", {"AWS": "*"}, "elasticfilesystem:Client*")}
    )
    result = run("ClientMount", ANON, TLS, policy)
    assert result.decision is ALLOW
    assert (
        result.reasons[0]
        == 'file system policy statement 1 (Sid "AllowApp"): Allow AWS:* elasticfilesystem:ClientMount'
    )
    assert result.unknowns == ()


# --- §2.7 console presets and TLS enforcement ------------------------------------------------------


def preset(*removed: str, tls: bool = False) -> dict:
    actions = [
        a
        for a in (
            "elasticfilesystem:ClientRootAccess",
            "elasticfilesystem:ClientWrite",
            "elasticfilesystem:ClientMount",
        )
        if a.split(":")[1] not in removed
    ]
    statements = [{"Sid": "efs-statement-1", **st("Allow", {"AWS": "*"}, actions, VIA_MT)}]
    if tls:
        statements.append(st("Deny", {"AWS": "*"}, "*", {"Bool": {"aws:SecureTransport": "false"}}))
    return {"Version": "2012-10-17", "Id": "efs-policy-wizard-1", "Statement": statements}


@pytest.mark.parametrize(
    "policy,ctx,expected",
    [
        (preset("ClientRootAccess"), PLAIN, (ALLOW, ALLOW, DENY)),  # prevent root: mount + write, squashed
        (preset("ClientWrite"), PLAIN, (ALLOW, DENY, ALLOW)),  # read-only: mount, root allowed
        (preset("ClientMount"), TLS, (DENY, ALLOW, ALLOW)),  # prevent anonymous: no mount
        (preset(tls=True), PLAIN, (DENY, DENY, DENY)),  # enforce TLS: plaintext rejected
        (preset(tls=True), TLS, (ALLOW, ALLOW, ALLOW)),
        (preset(tls=True), RequestContext(None, None), (UNKNOWN, UNKNOWN, UNKNOWN)),
        (preset("ClientRootAccess", "ClientMount", tls=True), TLS, (DENY, ALLOW, DENY)),
    ],
    ids=["prevent-root", "read-only", "prevent-anonymous", "tls-plain", "tls-tls", "tls-unknown", "combined"],
)
def test_s2_7_console_preset_anonymous_capability(policy, ctx, expected):
    assert decisions(ANON, ctx, policy) == expected


def test_s2_7_combined_preset_iam_client_with_client_mount():
    policy = preset("ClientRootAccess", "ClientMount", tls=True)
    assert decisions(APP1, TLS, policy, [identity("elasticfilesystem:ClientMount")]) == (ALLOW, ALLOW, DENY)


def test_s2_7_whitepaper_allow_secure_transport_alone_enforces_tls():
    policy = doc(st("Allow", "*", "elasticfilesystem:Client*", {"Bool": {"aws:SecureTransport": "true"}}))
    assert decisions(ANON, PLAIN, policy) == (DENY, DENY, DENY)
    assert decisions(ANON, TLS, policy) == (ALLOW, ALLOW, ALLOW)


def test_edge_38_allow_based_tls_enforcement_defeated_by_second_allow():
    policy = doc(
        st("Allow", "*", "elasticfilesystem:Client*", {"Bool": {"aws:SecureTransport": "true"}}),
        st("Allow", "*", "elasticfilesystem:ClientMount"),
    )
    assert decisions(ANON, PLAIN, policy) == (ALLOW, DENY, DENY)


# --- explanations ---------------------------------------------------------------------------------------


def test_edge_12_not_principal_note_present_even_when_caller_is_excluded():
    policy = doc(
        st("Allow", "*", "*"),
        {"Effect": "Deny", "NotPrincipal": {"AWS": [ADMIN.arn, f"arn:aws:iam::{ACCT}:root"]}, "Action": "*"},
    )
    result = run("ClientMount", ADMIN, TLS, policy, [])
    assert result.decision is ALLOW
    assert result.unknowns == (
        "file system policy statement 1: EFS support for NotPrincipal is UNVERIFIED (§2.5)",
    )


def test_s2_5_implicit_deny_reasons_name_the_missing_side():
    policy = doc(st("Allow", {"AWS": FOREIGN.arn}, "elasticfilesystem:ClientMount"))
    mount = "implicit deny of elasticfilesystem:ClientMount: "
    assert run("ClientMount", FOREIGN, TLS, policy, []).reasons == (
        mount + "the identity policies do not allow it (cross account: "
        "the file system policy and the identity policies must both allow (§2.5, §8))",
    )
    write = run("ClientWrite", FOREIGN, TLS, policy, [CLIENT_FULL]).reasons[0]
    assert write.startswith(
        "implicit deny of elasticfilesystem:ClientWrite: the file system policy does not allow"
    )
    anon = run("ClientMount", ANON, TLS, policy).reasons[0]
    assert anon.startswith(mount + "no file system policy statement allows it for anonymous clients")


def test_s2_4_source_ip_condition_is_noted_as_indeterminate():
    policy = doc(st("Allow", "*", "*", {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))
    result = run("ClientMount", ANON, TLS, policy)
    assert result.decision is UNKNOWN
    assert any("aws:SourceIp is indeterminate for NFS clients" in u for u in result.unknowns)


def test_s2_5_boundary_and_file_system_policy_grant_same_account_is_noted():
    policy = doc(st("Allow", {"AWS": APP1_ARN}, "*"))
    boundary = ("permissions boundary pb", identity("s3:*"))
    result = run("ClientMount", APP1, TLS, policy, [], boundary)
    assert result.decision is ALLOW
    assert any("permissions boundary" in u and "UNVERIFIED" in u for u in result.unknowns)


def test_s2_5_unknown_account_uses_both_rules():
    nameless = Principal(kind="role")
    open_policy = doc(st("Allow", "*", "*"))
    assert decide("ClientMount", nameless, TLS, open_policy, [CLIENT_FULL]) is ALLOW  # both rules allow
    result = run("ClientMount", nameless, TLS, open_policy, [])
    assert result.decision is UNKNOWN  # same account would allow, cross account would not
    assert any("account is unknown" in u for u in result.unknowns)


def test_principal_account_and_anonymous():
    assert APP1.account == ACCT
    assert Principal(kind="role", session_arn=f"arn:aws:sts::{OTHER}:assumed-role/r/s").account == OTHER
    assert Principal(kind="anonymous") == Principal.ANONYMOUS and Principal.ANONYMOUS.account is None
