"""Condition operators, three-valued (semantics §2.4, IAM-CONDOPS): every operator positive and negated,
with IfExists, on an absent key, and with the ForAnyValue: / ForAllValues: set prefixes."""

from __future__ import annotations

import pytest

from auditor.iam import OPERATORS, Tri, evaluate_condition, evaluate_conditions
from auditor.iam.conditions import ABSENT, Indeterminate, efs_request_values

T, F, U = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN
AP1 = "arn:aws:elasticfilesystem:us-east-1:111122223333:access-point/fsap-00000000000000001"
AP2 = "arn:aws:elasticfilesystem:us-east-1:111122223333:access-point/fsap-00000000000000002"


def ev(op: str, values: list[str], request, expand: bool = True) -> Tri:
    return evaluate_condition(op, "k", values, request, expand)[0]


# (operator, policy values, request value that matches, request value that does not match)
POSITIVE_CASES = [
    ("StringEquals", ["abc"], "abc", "ABC"),
    ("StringEqualsIgnoreCase", ["abc"], "ABC", "abd"),
    ("StringLike", ["a*c?"], "abbbcd", "abc"),
    ("ArnEquals", [AP1], AP1, AP2),
    ("ArnLike", ["arn:aws:elasticfilesystem:*:*:access-point/*"], AP1, "arn:aws:s3:::bucket"),
    ("Bool", ["true"], "true", "false"),
    ("NumericEquals", ["5"], "5.0", "6"),
    ("NumericLessThan", ["5"], "4", "5"),
    ("NumericLessThanEquals", ["5"], "5", "6"),
    ("NumericGreaterThan", ["5"], "6", "5"),
    ("NumericGreaterThanEquals", ["5"], "5", "4"),
    ("DateEquals", ["2026-01-01T00:00:00Z"], "2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00Z"),
    ("DateLessThan", ["2026-01-01T00:00:00Z"], "2025-12-31T23:59:59Z", "2026-01-01T00:00:00Z"),
    ("DateLessThanEquals", ["2026-01-01T00:00:00Z"], "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z"),
    ("DateGreaterThan", ["2026-01-01T00:00:00Z"], "1767225601", "2025-01-01T00:00:00Z"),
    ("DateGreaterThanEquals", ["2026-01-01T00:00:00Z"], "2026-01-01T00:00:00Z", "2025-12-31T00:00:00Z"),
    ("IpAddress", ["203.0.113.0/24"], "203.0.113.7", "198.51.100.7"),
    ("BinaryEquals", ["QmluYXJ5"], "QmluYXJ5", "T3RoZXI="),
]
NEGATED_CASES = [
    ("StringNotEquals", ["abc"], "abd", "abc"),
    ("StringNotEqualsIgnoreCase", ["abc"], "abd", "ABC"),
    ("StringNotLike", ["a*"], "bcd", "abc"),
    ("ArnNotEquals", [AP1], AP2, AP1),
    ("ArnNotLike", ["arn:aws:elasticfilesystem:*:*:access-point/*"], "arn:aws:s3:::b", AP1),
    ("NumericNotEquals", ["5"], "6", "5"),
    ("DateNotEquals", ["2026-01-01T00:00:00Z"], "2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"),
    ("NotIpAddress", ["203.0.113.0/24"], "198.51.100.7", "203.0.113.7"),
]


def test_s2_4_operator_table_covers_every_operator():
    assert len(OPERATORS) == len(POSITIVE_CASES) + len(NEGATED_CASES)
    assert {c[0] for c in POSITIVE_CASES + NEGATED_CASES} == set(OPERATORS)


@pytest.mark.parametrize("op,values,yes,no", POSITIVE_CASES + NEGATED_CASES, ids=lambda v: str(v)[:24])
def test_s2_4_operator_matches_and_mismatches(op, values, yes, no):
    assert ev(op, values, yes) is T
    assert ev(op, values, no) is F
    assert ev(op + "IfExists", values, yes) is T  # IfExists on a present key = the base operator
    assert ev(op + "IfExists", values, no) is F


@pytest.mark.parametrize("op", [c[0] for c in POSITIVE_CASES])
def test_s2_4_absent_key_positive_operator_is_false(op):
    assert ev(op, ["x"], ABSENT) is F


@pytest.mark.parametrize("op", [c[0] for c in NEGATED_CASES])
def test_s2_4_absent_key_negated_operator_is_true(op):
    assert ev(op, ["x"], ABSENT) is T


@pytest.mark.parametrize("op", list(OPERATORS))
def test_s2_4_absent_key_ifexists_is_true(op):
    assert ev(op + "IfExists", ["x"], ABSENT) is T


def test_s2_4_operator_names_are_case_insensitive():
    assert ev("stringequals", ["a"], "a") is T


def test_s2_4_several_values_are_ored_and_negated_values_nored():
    assert ev("StringEquals", [AP1, AP2], AP2) is T
    assert ev("StringNotEquals", [AP1, AP2], AP2) is F
    assert ev("StringNotEquals", [AP1, AP2], "arn:other") is T


def test_s2_4_different_keys_are_anded():
    request = {"a": "1", "b": "2"}
    assert (
        evaluate_conditions([("StringEquals", "a", ("1",)), ("StringEquals", "b", ("2",))], request)[0] is T
    )
    assert (
        evaluate_conditions([("StringEquals", "a", ("1",)), ("StringEquals", "b", ("3",))], request)[0] is F
    )


def test_s2_4_null_tests_presence():
    assert ev("Null", ["true"], ABSENT) is T
    assert ev("Null", ["false"], ABSENT) is F
    assert ev("Null", ["true"], AP1) is F
    assert ev("Null", ["false"], AP1) is T
    assert ev("Null", ["maybe"], AP1) is U


def test_s2_4_bool_accepts_strings_and_json_booleans_case_insensitively():
    assert ev("Bool", ["TRUE"], "true") is T
    assert ev("Bool", ["yes"], "true") is U  # not a boolean: undecided, never a match


def test_s2_4_for_any_value_and_for_all_values():
    tags = ["a1", "b2"]
    assert ev("ForAnyValue:StringLike", ["a*"], tags) is T
    assert ev("ForAllValues:StringLike", ["a*"], tags) is F
    assert ev("ForAllValues:StringLike", ["a*", "b*"], tags) is T
    assert ev("ForAnyValue:StringLike", ["c*"], tags) is F
    assert ev("ForAnyValue:StringNotLike", ["a*"], tags) is T  # b2 is not like a*
    assert ev("ForAllValues:StringNotLike", ["a*"], tags) is F
    # single-valued keys are one-element sets
    assert ev("ForAnyValue:StringEquals", [AP1], AP1) is T
    assert ev("ForAllValues:StringEquals", [AP1], AP2) is F


def test_s2_4_set_operators_on_absent_key():
    assert ev("ForAllValues:StringEquals", [AP1], ABSENT) is T
    assert ev("ForAnyValue:StringEquals", [AP1], ABSENT) is F
    assert ev("ForAllValues:StringNotEquals", [AP1], ABSENT) is T
    assert ev("ForAnyValue:StringNotEquals", [AP1], ABSENT) is F


def test_s2_4_policy_variable_is_unknown_under_2012_and_literal_under_2008():
    assert ev("StringEquals", ["${aws:username}"], "alice") is U
    assert ev("StringEquals", ["${aws:username}"], "alice", expand=False) is F
    assert ev("StringEquals", ["${aws:username}"], "${aws:username}", expand=False) is T
    # a literal value next to the variable can still decide
    assert ev("StringEquals", ["${aws:username}", "alice"], "alice") is T


def test_s2_4_unknown_operator_is_unknown_never_a_match():
    result, note = evaluate_condition("StringSortOfEquals", "k", ["a"], "a")
    assert result is U and "unknown condition operator StringSortOfEquals" in note


def test_s2_4_uncomparable_value_is_unknown():
    assert ev("NumericEquals", ["5"], AP1) is U
    assert ev("IpAddress", ["10.0.0.0/8"], "not-an-ip") is U
    assert ev("DateEquals", ["yesterday"], "2026-01-01T00:00:00Z") is U
    assert ev("BinaryEquals", ["***"], "QmluYXJ5") is U


def test_s2_4_indeterminate_value_is_unknown_and_null_uses_presence():
    secure = Indeterminate("transport unknown")
    assert ev("Bool", ["false"], secure) is U
    assert ev("Null", ["true"], secure) is F  # the key exists, its value is unknown
    source_ip = Indeterminate("source ip", present=U)
    assert ev("Null", ["true"], source_ip) is U
    assert ev("NotIpAddressIfExists", ["10.0.0.0/8"], source_ip) is U


def test_s2_4_efs_request_has_only_the_four_enforced_keys():
    request = efs_request_values(True, None, True)
    assert set(request) == {
        "aws:securetransport",
        "elasticfilesystem:accesspointarn",
        "elasticfilesystem:accessedviamounttarget",
        "aws:sourceip",
    }
    assert request["elasticfilesystem:accesspointarn"] is ABSENT
    assert request["aws:securetransport"] == "true"
    assert isinstance(efs_request_values(None, AP1, True)["aws:securetransport"], Indeterminate)


def test_s2_4_unenforced_key_is_unknown_with_note():
    request = efs_request_values(True, None, True)
    result, notes = evaluate_conditions([("StringEquals", "aws:SourceVpc", ("vpc-1",))], request)
    assert result is U
    assert notes == ["condition key aws:SourceVpc is not enforced for NFS clients (§2.4)"]


def test_s2_4_condition_keys_are_case_insensitive():
    request = efs_request_values(False, None, True)
    assert evaluate_conditions([("Bool", "AWS:SECURETRANSPORT", ("false",))], request) == (T, [])


def test_s2_4_false_condition_wins_over_unknown_and_drops_notes():
    request = efs_request_values(True, None, True)
    conds = [("StringEquals", "aws:SourceVpc", ("vpc-1",)), ("Bool", "aws:SecureTransport", ("false",))]
    assert evaluate_conditions(conds, request) == (F, [])
