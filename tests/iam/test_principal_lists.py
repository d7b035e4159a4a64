"""Principal lists in file system policies (§2.5, IAM-PRINCIPAL): a list is the OR of its entries, so adding
an entry to an Allow never narrows the decision and splitting a statement into one statement per principal
never changes it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as s

from auditor.iam import Decision, Principal, RequestContext, authorize
from tests.conftest import examples

ALLOW, DENY, UNKNOWN = Decision.ALLOW, Decision.DENY, Decision.UNKNOWN
ACCT, OTHER = "111122223333", "444455556666"
FS = f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:file-system/fs-0123456789abcdef0"
AP1 = f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:access-point/fsap-00000000000000001"
APP1_ARN = f"arn:aws:iam::{ACCT}:role/app/app1"
SESSION_1 = f"arn:aws:sts::{ACCT}:assumed-role/app1/task-1"
SESSION_2 = f"arn:aws:sts::{ACCT}:assumed-role/app1/task-2"
APP1 = Principal(kind="role", arn=APP1_ARN, role_id="AROAAPP1EXAMPLE000001")  # session name unknown
APP1_TASK1 = Principal(kind="role", arn=APP1_ARN, session_arn=SESSION_1, role_id="AROAAPP1EXAMPLE000001")
NODE = Principal(kind="role", arn=f"arn:aws:iam::{ACCT}:role/eks-node")
FOREIGN = Principal(kind="role", arn=f"arn:aws:iam::{OTHER}:role/client")
FOREIGN_SESSION = Principal(kind="role", session_arn=f"arn:aws:sts::{OTHER}:assumed-role/client/s")
CALLERS = [APP1, APP1_TASK1, NODE, FOREIGN, FOREIGN_SESSION, Principal.ANONYMOUS]
ORDER = {DENY: 0, UNKNOWN: 1, ALLOW: 2}
CLIENT_FULL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Resource": "*", "Action": "elasticfilesystem:Client*"}],
}
NAMES = [
    "*",
    ACCT,
    f"arn:aws:iam::{ACCT}:root",
    OTHER,
    f"arn:aws:iam::{OTHER}:root",
    APP1_ARN,
    NODE.arn,
    FOREIGN.arn,
    SESSION_1,
    SESSION_2,
    f"arn:aws:sts::{ACCT}:assumed-role/eks-node/i-0abc",
    f"arn:aws:sts::{OTHER}:assumed-role/client/s",
    "AROAAPP1EXAMPLE000001",
    "AROAOLDROLEEXAMPLE0001",
]
CONDITIONS = [
    None,
    {"Bool": {"aws:SecureTransport": "true"}},
    {"StringEquals": {"elasticfilesystem:AccessPointArn": AP1}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},  # indeterminate for NFS clients (§2.4)
]
OTHER_STATEMENTS = [
    {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    },
    {"Effect": "Allow", "Principal": {"AWS": NODE.arn}, "Action": "elasticfilesystem:ClientMount"},
    {"Effect": "Deny", "Principal": {"AWS": SESSION_2}, "Action": "elasticfilesystem:ClientRootAccess"},
]


def decide(statements: list[dict], who: Principal, ctx: RequestContext, ids, action: str) -> Decision:
    return authorize(
        action,
        who,
        ctx,
        file_system_arn=FS,
        resource_policy={"Version": "2012-10-17", "Statement": statements},
        identity_policies=ids,
        permissions_boundary=None,
    ).decision


def statement(effect: str, names: list[str], condition: dict | None) -> dict:
    out = {"Effect": effect, "Principal": {"AWS": names}, "Action": "elasticfilesystem:Client*"}
    if condition:
        out["Condition"] = condition
    return out


def test_s2_5_account_and_session_of_the_callers_role_is_unknown_not_deny():
    """Allow naming the caller's account and a session of the caller's role: for a same-account caller whose
    session name is unknown the session entry may name it (UNKNOWN); the account entry only delegates to
    identity policies, which do not allow here. Adding the account entry must not turn UNKNOWN into DENY."""
    for account in (ACCT, f"arn:aws:iam::{ACCT}:root"):
        both = [statement("Allow", [account, SESSION_1], None)]
        assert decide(both, APP1, RequestContext(True, None), [], "ClientMount") is UNKNOWN
        assert decide(both, APP1_TASK1, RequestContext(True, None), [], "ClientMount") is ALLOW
        # the account entry still delegates: with an identity Allow every role of the account is allowed
        assert decide(both, NODE, RequestContext(True, None), [("id", CLIENT_FULL)], "ClientMount") is ALLOW
        assert decide(both, NODE, RequestContext(True, None), [], "ClientMount") is DENY
    session_only = [statement("Allow", [SESSION_1], None)]
    assert decide(session_only, APP1, RequestContext(True, None), [], "ClientMount") is UNKNOWN


callers = s.sampled_from(CALLERS)
contexts = s.sampled_from(
    [RequestContext(True, None), RequestContext(False, None), RequestContext(True, AP1)]
)
identities = s.sampled_from([[], [("identity policy", CLIENT_FULL)]])
actions = s.sampled_from(["ClientMount", "ClientWrite", "ClientRootAccess"])
name_lists = s.lists(s.sampled_from(NAMES), min_size=1, max_size=4, unique=True)
others = s.lists(s.sampled_from(OTHER_STATEMENTS), max_size=2, unique_by=lambda d: repr(d))


@settings(max_examples=examples(400), deadline=None)
@given(
    names=name_lists,
    extra=s.sampled_from(NAMES),
    condition=s.sampled_from(CONDITIONS),
    background=others,
    who=callers,
    ctx=contexts,
    ids=identities,
    action=actions,
)
def test_s2_5_adding_a_principal_to_an_allow_never_narrows(
    names, extra, condition, background, who, ctx, ids, action
):
    before = decide([statement("Allow", names, condition), *background], who, ctx, ids, action)
    wider = sorted({*names, extra})
    after = decide([statement("Allow", wider, condition), *background], who, ctx, ids, action)
    assert ORDER[after] >= ORDER[before], (names, extra, who, before, after)


@settings(max_examples=examples(400), deadline=None)
@given(
    names=name_lists,
    extra=s.sampled_from(NAMES),
    condition=s.sampled_from(CONDITIONS),
    who=callers,
    ctx=contexts,
    ids=identities,
    action=actions,
)
def test_s2_5_adding_a_principal_to_a_deny_never_widens(names, extra, condition, who, ctx, ids, action):
    allow_all = {"Effect": "Allow", "Principal": "*", "Action": "*"}
    before = decide([allow_all, statement("Deny", names, condition)], who, ctx, ids, action)
    after = decide([allow_all, statement("Deny", sorted({*names, extra}), condition)], who, ctx, ids, action)
    assert ORDER[after] <= ORDER[before], (names, extra, who, before, after)


@settings(max_examples=examples(400), deadline=None)
@given(
    names=name_lists,
    effect=s.sampled_from(["Allow", "Deny"]),
    condition=s.sampled_from(CONDITIONS),
    background=others,
    who=callers,
    ctx=contexts,
    ids=identities,
    action=actions,
)
def test_s2_5_splitting_a_statement_per_principal_never_changes_the_decision(
    names, effect, condition, background, who, ctx, ids, action
):
    whole = decide([statement(effect, names, condition), *background], who, ctx, ids, action)
    split = decide([*(statement(effect, [n], condition) for n in names), *background], who, ctx, ids, action)
    assert whole is split, (names, effect, who, whole, split)
