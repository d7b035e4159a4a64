"""The policy questions asked outside auditor/iam go through auditor/iam/queries.py, with IAM's
wildcard rules (§2.1): ``*`` and ``?`` only (``[`` is a literal, unlike fnmatch), resources
case-sensitive, actions case-insensitive, policy variables widened to ``*``."""

from __future__ import annotations

from pathlib import Path

from auditor.iam.queries import (
    access_point_condition_values,
    allowed_resources,
    condition_keys,
    named_principals,
    resource_matches,
    statements,
)

FS = "arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-0123"
ROOT = Path(__file__).resolve().parents[2]


def test_s2_1_resource_wildcards_are_iam_not_fnmatch():
    assert resource_matches("arn:aws:elasticfilesystem:*:111122223333:file-system/*", FS)
    assert resource_matches("arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-012?", FS)
    assert not resource_matches(
        "arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-012[0-9]", FS
    )
    assert resource_matches("a[b", "a[b")  # a literal bracket, never a character class
    assert not resource_matches("ARN:AWS:ELASTICFILESYSTEM:*", FS)  # ARNs compare case-sensitively


def test_s2_1_policy_variables_are_widened_to_any_value():
    assert resource_matches("arn:aws:elasticfilesystem:eu-west-1:${aws:PrincipalAccount}:file-system/*", FS)


def test_s2_5_allowed_resources_match_actions_case_insensitively_with_wildcards():
    doc = {
        "Statement": [
            {"Effect": "Allow", "Action": "ELASTICFILESYSTEM:client*", "Resource": FS},
            {"Effect": "Allow", "Action": ["elasticfilesystem:ClientMount"], "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "other"},
        ]
    }
    assert allowed_resources(doc, "ClientRootAccess") == [FS]
    assert allowed_resources(doc, "ClientMount") == [FS, "*"]


def test_s2_4_condition_keys_and_access_point_values_are_read_from_every_statement_form():
    one = {
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::1:role/a"]},
            "Condition": {
                "ArnLike": {"ElasticFileSystem:AccessPointArn": "arn:*:access-point/*"},
                "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
            },
        }
    }
    assert len(statements(one)) == 1
    assert access_point_condition_values(one) == ["arn:*:access-point/*"]
    assert [c["key"] for c in condition_keys(one)] == ["ElasticFileSystem:AccessPointArn", "aws:SourceIp"]
    assert named_principals(one, "Allow") == {"arn:aws:iam::1:role/a"}
    assert statements({"Statement": "nonsense"}) == [] and statements(None) == []


def test_s2_1_no_module_outside_auditor_iam_matches_iam_patterns_with_fnmatch():
    for part in ("analysis", "checks", "graph"):
        for path in (ROOT / "auditor" / part).glob("*.py"):
            assert "fnmatch" not in path.read_text(), path
