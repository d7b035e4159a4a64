"""Parsing and normalisation (parse_policy, principals_of, action_matches) and three-valued logic."""

from __future__ import annotations

import pytest

from auditor.iam import PolicyError, Tri, action_matches, and_, not_, or_, parse_policy, principals_of

T, F, U = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN


def test_tri_kleene_tables():
    assert and_(T, U) is U and and_(F, U) is F and and_() is T
    assert or_(F, U) is U and or_(T, U) is T and or_() is F
    assert not_(U) is U and not_(T) is F
    assert T.and_(F) is F and F.or_(T) is T and U.not_() is U
    with pytest.raises(TypeError):
        bool(U)


def test_parse_normalises_statements():
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Id": "x",
            "Statement": {
                "Sid": "S",
                "Effect": "Allow",
                "Principal": {"AWS": ["*"], "Service": "ecs.amazonaws.com"},
                "Action": "elasticfilesystem:ClientMount",
                "Condition": {"Bool": {"aws:SecureTransport": True}, "NumericLessThan": {"n": [1, 2.5]}},
            },
        },
        "p",
    )
    (st,) = policy.statements
    assert (st.index, st.sid, st.effect) == (0, "S", "Allow")
    assert st.principal == {"*", "Service:ecs.amazonaws.com"}
    assert st.not_principal is None
    assert st.actions == ["elasticfilesystem:ClientMount"] and st.not_actions is None
    assert st.resources is None and st.not_resources is None
    assert st.conditions == [
        ("Bool", "aws:SecureTransport", ("true",)),
        ("NumericLessThan", "n", ("1", "2.5")),
    ]


def test_principal_star_forms_are_equivalent():
    a = parse_policy({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*"}]}, "p")
    b = parse_policy({"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*"}]}, "p")
    assert a.statements[0].principal == b.statements[0].principal == {"*"}


def test_principals_of_lists_aws_principals_from_principal_and_not_principal():
    policy = parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {
                        "AWS": ["arn:aws:iam::444455556666:root", "AROAEXAMPLE123456789"],
                        "Service": "ecs.amazonaws.com",
                    },
                    "Action": "*",
                },
                {
                    "Effect": "Deny",
                    "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/admin"},
                    "Action": "*",
                },
                {"Effect": "Allow", "Principal": "*", "Action": "*"},
            ]
        },
        "p",
    )
    assert principals_of(policy) == {
        "arn:aws:iam::444455556666:root",
        "AROAEXAMPLE123456789",
        "arn:aws:iam::111122223333:role/admin",
        "*",
    }


@pytest.mark.parametrize(
    "pattern,expected",
    [
        ("elasticfilesystem:ClientMount", True),
        ("ELASTICFILESYSTEM:clientmount", True),
        ("elasticfilesystem:Client*", True),
        ("elasticfilesystem:*", True),
        ("*", True),
        ("elasticfilesystem:Client?ount", True),
        ("elasticfilesystem:ClientWrite", False),
        ("s3:*", False),
        ("elasticfilesystem:Describe*", False),
        ("ClientMount", False),
    ],
)
def test_s2_1_action_matches(pattern, expected):
    assert action_matches(pattern, "ClientMount") is expected
    assert action_matches(pattern, "elasticfilesystem:ClientMount") is expected


@pytest.mark.parametrize(
    "document,message",
    [
        (
            {"Statement": [{"Effect": "Allow", "Action": "*"}, {"Effect": "Alow", "Action": "*"}]},
            'p: Statement[1].Effect: expected Allow or Deny, found "Alow"',
        ),
        ({"Statement": [{"Effect": "Allow"}]}, "p: Statement[0]: Action or NotAction is required"),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "*"}]},
            "p: Statement[0]: Action and NotAction are mutually exclusive",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "*"}]},
            "p: Statement[0]: Resource and NotResource are mutually exclusive",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Principal": "*", "NotPrincipal": "*"}]},
            "p: Statement[0]: Principal and NotPrincipal are mutually exclusive",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": []}]},
            "p: Statement[0].Action: expected at least one value, found []",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": [1]}]},
            "p: Statement[0].Action: expected a string or a list of strings, found [1]",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Principal": "arn:aws:iam::1:root"}]},
            'p: Statement[0].Principal: expected "*" or an object, found "arn:aws:iam::1:root"',
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Principal": {"Aws": "*"}}]},
            'p: Statement[0].Principal: unknown principal type "Aws"',
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Condition": {"Bool": "true"}}]},
            'p: Statement[0].Condition.Bool: expected an object of condition keys, found "true"',
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Condition": {"Bool": {"k": None}}}]},
            "p: Statement[0].Condition.Bool.k: expected strings, numbers or booleans, found null",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Conditions": {}}]},
            'p: Statement[0]: unknown element "Conditions"',
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Sid": 3}]},
            "p: Statement[0].Sid: expected a string, found 3",
        ),
        (
            {"Version": "2012-10-18", "Statement": []},
            'p: Version: expected 2012-10-17 or 2008-10-17, found "2012-10-18"',
        ),
        ({"Version": "2012-10-17"}, "p: Statement: missing"),
        ({"Statement": "x"}, 'p: Statement: expected an object or a list, found "x"'),
        ({"Statement": ["x"]}, 'p: Statement[0]: expected an object, found "x"'),
        ({"statement": []}, 'p: unknown top-level element "statement"'),
        ([], "p: expected a JSON object, found []"),
    ],
)
def test_malformed_document_raises_one_line_policy_error(document, message):
    with pytest.raises(PolicyError) as info:
        parse_policy(document, "p")
    assert str(info.value) == message
    assert "\n" not in str(info.value)


def test_policy_error_is_one_line_even_for_keys_with_newlines():
    with pytest.raises(PolicyError) as info:
        parse_policy({"Statement": [{"Effect": "Allow", "Action": "*", "Bad\nKey": 1}]}, "p")
    assert "\n" not in str(info.value)


def test_policy_error_is_a_value_error():
    assert issubclass(PolicyError, ValueError)
