"""The Lambda deployment template: cfn-lint clean, least privilege, and the same collection actions
as the published IAM policy (samples/iam/auditor-policy.json)."""

from __future__ import annotations

import json
from pathlib import Path

from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "samples" / "deploy" / "lambda" / "template.yaml"
IAM_POLICY = ROOT / "samples" / "iam" / "auditor-policy.json"
LINT = ManualArgs(regions=["us-east-1", "eu-west-1"], include_checks=["I"])


def _template() -> dict:
    template, matches = decode(str(TEMPLATE))
    assert not matches, matches
    return template


def _resources(kind: str) -> dict[str, dict]:
    return {k: v for k, v in _template()["Resources"].items() if v["Type"] == kind}


def _policies() -> dict[str, list[dict]]:
    """Policy name -> statements of the execution role (conditional policies unwrapped)."""
    (role,) = _resources("AWS::IAM::Role").values()
    out = {}
    for policy in role["Properties"]["Policies"]:
        if "Fn::If" in policy:
            policy = policy["Fn::If"][1]
        out[policy["PolicyName"]] = policy["PolicyDocument"]["Statement"]
    return out


def _actions(statement: dict) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_cfn_lint_reports_nothing():
    matches = lint_file(TEMPLATE, config=LINT)
    assert [(m.rule.id, m.linenumber, m.message) for m in matches] == []


def test_cfn_lint_is_not_vacuous(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(TEMPLATE.read_text().replace("Runtime: python3.12", "Runtime: python2.7"))
    assert any(m.rule.id.startswith("E") for m in lint_file(broken, config=LINT))


def test_function_runs_the_handler_on_a_schedule():
    (fn,) = _resources("AWS::Lambda::Function").values()
    props = fn["Properties"]
    assert props["Handler"] == "auditor.entrypoints.aws_lambda.handler"
    assert props["Runtime"] in ("python3.11", "python3.12")
    params = _template()["Parameters"]
    assert 120 <= params["TimeoutSeconds"]["Default"] <= 900 and params["MemorySize"]["Default"] >= 512
    variables = props["Environment"]["Variables"]
    from auditor.scheduled.settings import SETTINGS

    assert set(variables) <= set(SETTINGS)
    (rule,) = _resources("AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == {"Ref": "ScheduleExpression"}
    assert params["ScheduleExpression"]["AllowedPattern"].startswith("^(rate|cron)")
    (permission,) = _resources("AWS::Lambda::Permission").values()
    assert permission["Properties"]["Principal"] == "events.amazonaws.com"
    assert permission["Properties"]["SourceArn"] == {"Fn::GetAtt": ["Schedule", "Arn"]}


def test_collection_actions_are_read_only_and_on_nothing_else():
    (statement,) = _policies()["collect-read-only"]
    actions = _actions(statement)
    assert actions == sorted(actions) and len(actions) == len(set(actions))
    verbs = ("Describe", "List", "Get")
    assert all(a.split(":", 1)[1].startswith(verbs) for a in actions), actions
    assert statement["Effect"] == "Allow" and "Condition" not in statement


def test_collection_actions_equal_the_collectors_operations():
    from auditor.collectors.aws.operations import required_actions

    (statement,) = _policies()["collect-read-only"]
    assert set(_actions(statement)) == required_actions()


def test_collection_actions_equal_the_published_policy():
    assert IAM_POLICY.exists(), (
        "samples/iam/auditor-policy.json (the published least-privilege policy) is missing"
    )
    published = json.loads(IAM_POLICY.read_text())
    expected = set()
    for statement in published["Statement"]:
        # Organizations discovery runs where `efs-audit plan --organization` runs, not in the collecting role.
        if statement["Effect"] == "Allow" and statement.get("Sid") != "EfsAuditOrganizationsDiscovery":
            expected.update(_actions(statement))
    (statement,) = _policies()["collect-read-only"]
    assert set(_actions(statement)) == expected


def test_writes_are_scoped_to_the_evidence_prefix():
    policies = _policies()
    upload = {s["Sid"]: s for s in policies["evidence-upload"]}
    assert _actions(upload["PutBundle"]) == ["s3:PutObject"]
    assert upload["PutBundle"]["Resource"] == {"Fn::Sub": "${EvidenceBucket.Arn}/${EvidencePrefix}/*"}
    assert _actions(upload["ReadEarlierRunForBaseline"]) == ["s3:GetObject"]  # EFS_AUDIT_BASELINE=previous
    assert upload["ReadEarlierRunForBaseline"]["Resource"] == upload["PutBundle"]["Resource"]
    assert _actions(upload["ListBundleToVerifyUpload"]) == ["s3:ListBucket"]
    assert upload["ListBundleToVerifyUpload"]["Condition"]["StringLike"]["s3:prefix"]
    assert upload["WriteOwnLogs"]["Resource"] == {"Fn::GetAtt": ["AuditLogGroup", "Arn"]}
    assert _actions(policies["assume-target-roles"][0]) == ["sts:AssumeRole"]
    assert policies["assume-target-roles"][0]["Resource"] == {"Ref": "TargetRoleArns"}
    assert _actions(policies["security-hub-import"][0]) == ["securityhub:BatchImportFindings"]
    every = [a for statements in policies.values() for s in statements for a in _actions(s)]
    assert not [a for a in every if "*" in a], "no wildcard actions"


def test_evidence_bucket_is_private_encrypted_versioned_and_tls_only():
    (bucket,) = _resources("AWS::S3::Bucket").values()
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["SSEAlgorithm"] in ("AES256", "aws:kms")
    block = props["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    (policy,) = _resources("AWS::S3::BucketPolicy").values()
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert len(deny["Resource"]) == 2
