"""Fuzzing: any JSON-like document either evaluates to an Evaluation or raises PolicyError, never any
other exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as s

from auditor.iam import (
    OPERATORS,
    Decision,
    Evaluation,
    PolicyError,
    Principal,
    RequestContext,
    authorize,
    parse_policy,
)
from tests.conftest import examples

ACCT = "111122223333"
FS = f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:file-system/fs-0123456789abcdef0"
AP = f"arn:aws:elasticfilesystem:us-east-1:{ACCT}:access-point/fsap-00000000000000001"

json_scalars = s.none() | s.booleans() | s.integers() | s.floats() | s.text(max_size=12)
json_values = s.recursive(
    json_scalars,
    lambda inner: s.lists(inner, max_size=4) | s.dictionaries(s.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def maybe_list(strategy):
    return strategy | s.lists(strategy, max_size=3)


operators = s.sampled_from(
    [
        *OPERATORS,
        *(o + "IfExists" for o in OPERATORS),
        "Null",
        "Bogus",
        *(f"{p}{o}" for p in ("ForAnyValue:", "ForAllValues:") for o in OPERATORS),
    ]
)
keys = s.sampled_from(
    [
        "aws:SecureTransport",
        "elasticfilesystem:AccessPointArn",
        "AWS:SOURCEIP",
        "elasticfilesystem:AccessedViaMountTarget",
        "aws:SourceVpc",
        "aws:PrincipalArn",
    ]
)
cond_values = maybe_list(
    s.sampled_from(
        [
            "true",
            "false",
            AP,
            "arn:aws:*",
            "10.0.0.0/8",
            "5",
            "${aws:userid}",
            "2026-01-01T00:00:00Z",
            "QmluYXJ5",
        ]
    )
    | json_scalars
)
principal_names = s.sampled_from(
    [
        "*",
        ACCT,
        f"arn:aws:iam::{ACCT}:root",
        f"arn:aws:iam::{ACCT}:role/app",
        f"arn:aws:sts::{ACCT}:assumed-role/app/s1",
        "AROAEXAMPLEEXAMPLE01",
        "arn:aws:iam::444455556666:root",
    ]
)
principals = (
    s.just("*")
    | s.dictionaries(
        s.sampled_from(["AWS", "AWS", "Service", "Bad"]), maybe_list(principal_names), min_size=1, max_size=2
    )
    | json_values
)
actions = maybe_list(
    s.sampled_from(["*", "elasticfilesystem:Client*", "elasticfilesystem:ClientMount", "s3:*"])
)
conditions = s.dictionaries(operators, s.dictionaries(keys, cond_values, max_size=2), max_size=2)
well_formed = s.builds(
    lambda head, principal, action, rest: {**head, **principal, **action, **rest},
    s.fixed_dictionaries({"Effect": s.sampled_from(["Allow", "Deny"])}, optional={"Sid": s.text(max_size=5)}),
    s.sampled_from(["Principal", "Principal", "NotPrincipal", ""]).flatmap(
        lambda k: s.fixed_dictionaries({k: principals} if k else {})
    ),
    s.sampled_from(["Action", "NotAction"]).flatmap(lambda k: s.fixed_dictionaries({k: actions})),
    s.fixed_dictionaries(
        {},
        optional={
            "Resource": maybe_list(
                s.sampled_from(["*", FS, AP, "arn:aws:elasticfilesystem:*:*:file-system/${x}"])
            ),
            "Condition": conditions | conditions | json_values,
        },
    ),
)
raw_statements = s.dictionaries(
    s.sampled_from(
        [
            "Sid",
            "Effect",
            "Principal",
            "NotPrincipal",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Condition",
            "Other",
        ]
    ),
    json_values,
    max_size=6,
)
statements = s.sampled_from([0, 0, 0, 0, 0, 0, 1]).flatmap(lambda raw: raw_statements if raw else well_formed)
documents = s.fixed_dictionaries(
    {"Statement": s.lists(statements, max_size=4) | statements},
    optional={"Version": s.sampled_from(["2012-10-17"] * 4 + ["2008-10-17", "x"])},
)
contexts = s.builds(RequestContext, s.none() | s.booleans(), s.none() | s.just(AP), s.booleans())
who = s.sampled_from(
    [
        Principal.ANONYMOUS,
        Principal(kind="role", arn=f"arn:aws:iam::{ACCT}:role/app"),
        Principal(kind="role", arn="arn:aws:iam::444455556666:role/x", has_permissions_boundary=True),
        Principal(
            kind="role",
            arn=f"arn:aws:iam::{ACCT}:role/app",
            role_id="AROAEXAMPLEEXAMPLE01",
            session_arn=f"arn:aws:sts::{ACCT}:assumed-role/app/s1",
        ),
        Principal(kind="role"),
    ]
)
FUZZ = settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(json_values | documents)
def test_fuzz_parse_policy_returns_policy_or_policy_error(document):
    try:
        policy = parse_policy(document, "fuzz")
    except PolicyError as exc:
        assert "\n" not in str(exc)
        return
    assert all(st.effect in ("Allow", "Deny") for st in policy.statements)


@FUZZ
@given(
    s.sampled_from(["ClientMount", "ClientWrite", "ClientRootAccess"]),
    who,
    contexts,
    documents | json_values,
    s.none() | s.lists(documents, max_size=2),
    s.none() | s.tuples(s.just("boundary"), s.none() | documents),
)
def test_fuzz_authorize_returns_evaluation_or_policy_error(action, principal, ctx, policy, ids, boundary):
    try:
        result = authorize(
            action,
            principal,
            ctx,
            file_system_arn=FS,
            resource_policy=policy,
            identity_policies=None if ids is None else [(f"id{i}", d) for i, d in enumerate(ids)],
            permissions_boundary=boundary,
        )
    except PolicyError:
        return
    assert isinstance(result, Evaluation) and result.decision in Decision
    assert all(isinstance(r, str) for r in result.reasons + result.unknowns)
    if result.decision is Decision.ALLOW:
        assert result.reasons  # an allow always names what decided it


@FUZZ
@given(who, contexts, s.none() | s.lists(documents, max_size=2))
def test_fuzz_default_policy_always_allows(principal, ctx, ids):
    result = authorize(
        "ClientRootAccess",
        principal,
        ctx,
        file_system_arn=FS,
        resource_policy=None,
        identity_policies=None if ids is None else [(f"id{i}", d) for i, d in enumerate(ids)],
    )
    assert result.decision is Decision.ALLOW
