"""Signing in the scheduled deployments: the stack's optional SigningKeyArn gives the role exactly
kms:Sign on that key (conditional), EFS_AUDIT_SIGNING_KEY is parsed as --sign, and a Lambda run under
moto's KMS and S3 leaves a signed bundle and its index entry that `efs-audit history` verifies."""

from __future__ import annotations

import json

import pytest
import yaml

from auditor.entrypoints.aws_lambda import handler
from auditor.scheduled.settings import SettingsError, load_settings
from tests.deploy.support import BUCKET, ROOT, FakeContext, client, seed_estate
from tests.deploy.test_lambda_template import _policies, _template

CRONJOB = ROOT / "samples" / "deploy" / "kubernetes" / "cronjob.yaml"


def test_the_role_gains_exactly_kms_sign_on_the_signing_key_when_one_is_given():
    template = _template()
    param = template["Parameters"]["SigningKeyArn"]
    assert param["Default"] == "" and param["AllowedPattern"].startswith("^(arn:aws")
    assert template["Conditions"]["HasSigningKey"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "SigningKeyArn"}, ""]}]
    }
    (role,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    (conditional,) = [
        p["Fn::If"]
        for p in role["Properties"]["Policies"]
        if "Fn::If" in p and p["Fn::If"][0] == "HasSigningKey"
    ]
    assert conditional[2] == {"Ref": "AWS::NoValue"}
    assert _policies()["bundle-signing"] == [
        {
            "Sid": "SignBundleManifest",
            "Effect": "Allow",
            "Action": "kms:Sign",
            "Resource": {"Ref": "SigningKeyArn"},
        }
    ]
    every = [s.get("Action") for statements in _policies().values() for s in statements]
    assert [a for a in every if "kms:" in str(a)] == ["kms:Sign"]
    (fn,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert fn["Properties"]["Environment"]["Variables"]["EFS_AUDIT_SIGNING_KEY"] == {
        "Fn::If": ["HasSigningKey", {"Fn::Sub": "kms:${SigningKeyArn}"}, ""]
    }


def test_the_cronjob_names_the_signing_setting():
    manifest = yaml.safe_load(CRONJOB.read_text())
    (container,) = manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["EFS_AUDIT_SIGNING_KEY"] == ""


@pytest.mark.parametrize(
    "value, message",
    [
        ("gpg:me", "EFS_AUDIT_SIGNING_KEY: 'gpg:me': expected kms:arn"),
        ("file:/nonexistent/key.pem", "EFS_AUDIT_SIGNING_KEY: file:/nonexistent/key.pem: cannot read"),
    ],
)
def test_a_bad_signing_key_is_a_bad_setting(value, message):
    with pytest.raises(SettingsError) as exc:
        load_settings({"EFS_AUDIT_SIGNING_KEY": value})
    assert str(exc.value).startswith(message)
    assert load_settings({"EFS_AUDIT_SIGNING_KEY": " "}).signing_key is None


def test_a_scheduled_run_signs_with_kms_and_indexes_the_run(aws, monkeypatch, tmp_path, capsys):
    from auditor.entrypoints.cli import main

    seed_estate(aws)
    arn = client(aws, "kms").create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["Arn"]
    for name, value in {
        "EFS_AUDIT_REGIONS": "eu-west-1",
        "EFS_AUDIT_BUCKET": BUCKET,
        "EFS_AUDIT_PREFIX": "audits/prod",
        "EFS_AUDIT_MAX_ATTEMPTS": "1",
        "EFS_AUDIT_SIGNING_KEY": f"kms:{arn}",
    }.items():
        monkeypatch.setenv(name, value)
    summary = handler({}, FakeContext())
    s3 = client(aws, "s3")
    sig = json.loads(
        s3.get_object(Bucket=BUCKET, Key=summary["s3"]["prefix"] + "manifest.sig")["Body"].read()
    )
    assert (sig["method"], sig["key_id"], sig["algorithm"]) == ("kms", arn, "ECDSA_SHA_256")
    index = json.loads(s3.get_object(Bucket=BUCKET, Key=summary["s3"]["index"])["Body"].read())
    assert summary["s3"]["index"].startswith("audits/prod/index/") and index["signature"]["key_id"] == arn
    assert index["bundle"] == summary["s3"]["prefix"][len("audits/prod/") :]
    capsys.readouterr()
    monkeypatch.setattr(
        "sys.argv",
        ["efs-audit", "history", f"s3://{BUCKET}/audits/prod", "--key", f"kms:{arn}", "--format", "json"],
    )
    with pytest.raises(SystemExit) as exc:
        main()
    data = json.loads(capsys.readouterr().out)
    assert exc.value.code == 0 and data["totals"]["verified"] == 1 and data["runs"][0]["signed_by"] == arn
