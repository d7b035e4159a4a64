"""The organization audit on Step Functions: the template passes cfn-lint, its state machine runs under
moto's Step Functions interpreter (a Distributed Map reading its items from S3), and the function's three
modes (plan, collect-shard, reduce) run for real against moto, writing the plan, one shard per account and
a verified bundle. moto's Lambda runs no code without Docker: the state machine test queues the real
modes' outputs as the function's answers and checks the wiring (items, payloads, order, outcome)."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from auditor.entrypoints import org_lambda
from auditor.model import snapshot as snap
from tests.deploy.support import BUCKET, REGION, FakeContext, client

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "samples" / "deploy" / "stepfunctions" / "template.yaml"
MEMBER = ROOT / "samples" / "deploy" / "stepfunctions" / "member-role.yaml"
ROLE = "efs-audit-member"


class _CfnLoader(yaml.SafeLoader):
    """Safe YAML that keeps CloudFormation short-form tags as plain values."""


_CfnLoader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: (
        loader.construct_scalar(node)
        if isinstance(node, yaml.ScalarNode)
        else loader.construct_sequence(node)
        if isinstance(node, yaml.SequenceNode)
        else loader.construct_mapping(node)
    ),
)


def _template(path: Path) -> dict:
    return yaml.load(path.read_text(), Loader=_CfnLoader)


@pytest.mark.parametrize("path", [TEMPLATE, MEMBER], ids=["state-machine", "member-role"])
def test_templates_pass_cfn_lint(path):
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(path, config=ManualArgs(regions=[REGION]))
    assert [(m.rule.id, m.linenumber, m.message) for m in matches] == []


def test_member_role_grants_exactly_the_collection_actions():
    from auditor.collectors.aws.operations import required_actions

    role = _template(MEMBER)["Resources"]["MemberRole"]["Properties"]
    (statement,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert set(statement["Action"]) == required_actions()
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == "sts:AssumeRole"


def test_map_tolerates_every_failed_item_and_is_bounded():
    states = _template(TEMPLATE)["Resources"]["StateMachine"]["Properties"]["Definition"]["States"]
    accounts = states["Accounts"]
    assert accounts["ToleratedFailurePercentage"] == 100.0  # one bad account never aborts the others
    assert accounts["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert accounts["MaxConcurrency"] == "${MaxConcurrency}"
    assert [states["Plan"]["Next"], accounts["Next"]] == ["Accounts", "Reduce"]


def _org_with_members(n: int) -> list[str]:
    o = client_org()
    o.create_organization(FeatureSet="ALL")
    ids = [
        o.create_account(Email=f"m{i}@example.com", AccountName=f"m{i}")["CreateAccountStatus"]["AccountId"]
        for i in range(n)
    ]
    for account in ids:
        creds = client(_endpoint(), "sts").assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="seed"
        )["Credentials"]
        import boto3

        efs = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=REGION,
        ).client("efs")
        efs.create_file_system(CreationToken=f"fs-{account}", Encrypted=True)
    return ids


_ENDPOINT = {}


def _endpoint() -> str:
    return _ENDPOINT["url"]


def client_org():
    return client(_endpoint(), "organizations")


@pytest.fixture
def org_env(aws, monkeypatch):
    _ENDPOINT["url"] = aws
    client(aws, "s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    members = _org_with_members(2)
    for name, value in {
        "EFS_AUDIT_BUCKET": BUCKET,
        "EFS_AUDIT_REGIONS": REGION,
        "EFS_AUDIT_ORG_ROLE_NAME": ROLE,
        "EFS_AUDIT_FORMATS": "json",
    }.items():
        monkeypatch.setenv(name, value)
    return members


def test_plan_collect_shard_and_reduce_modes_end_to_end(org_env):
    planned = org_lambda.handler({"mode": "plan", "run": "run-1"}, FakeContext())
    assert planned["accounts"] == 3  # the management account and two members
    s3 = client(_endpoint(), "s3")
    items = json.loads(s3.get_object(Bucket=BUCKET, Key=planned["items_key"])["Body"].read())
    assert items == [{"shard": f"{i}/3"} for i in range(3)]
    for item in items[:2]:  # the third account's shard is lost: the reduce must say so
        out = org_lambda.handler(
            {
                "mode": "collect-shard",
                "plan_key": planned["plan_key"],
                "run_prefix": planned["run_prefix"],
                **item,
            },
            FakeContext(),
        )
        assert out["key"].startswith(planned["run_prefix"] + "shards/")
    reduced = org_lambda.handler(
        {"mode": "reduce", "plan_key": planned["plan_key"], "run_prefix": planned["run_prefix"]},
        FakeContext(),
    )
    assert reduced["planned_missing"] == 1 and reduced["complete"] is False and reduced["exit_code"] == 3
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=reduced["s3"]["prefix"])["Contents"]]
    run = json.loads(
        s3.get_object(Bucket=BUCKET, Key=next(k for k in keys if k.endswith("run.json")))["Body"].read()
    )
    assert any(i["error_code"] == "ShardMissing" for i in run["issues"])


def test_a_plan_key_outside_the_prefix_is_refused(org_env):
    with pytest.raises(org_lambda.SettingsError, match="plan_key"):
        org_lambda.handler(
            {"mode": "reduce", "plan_key": "elsewhere/plan.json", "run_prefix": "x"}, FakeContext()
        )
    with pytest.raises(org_lambda.SettingsError, match="mode"):
        org_lambda.handler({"mode": "scan-everything"}, FakeContext())


def _moto_config(endpoint: str, body: dict) -> None:
    req = urllib.request.Request(f"{endpoint}/moto-api/config", data=json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(req, timeout=30).close()


def _queue_lambda_results(endpoint: str, results: list[dict]) -> None:
    body = {"results": [json.dumps(r) for r in results], "region": REGION, "account_id": "123456789012"}
    req = urllib.request.Request(
        f"{endpoint}/moto-api/static/lambda-simple/response", data=json.dumps(body).encode(), method="POST"
    )
    urllib.request.urlopen(req, timeout=30).close()


def _definition(function_arn: str) -> str:
    props = _template(TEMPLATE)["Resources"]["StateMachine"]["Properties"]
    text = json.dumps(props["Definition"])
    text = text.replace("${FunctionArn}", function_arn).replace('"${MaxConcurrency}"', "4")
    return text


def test_state_machine_runs_the_distributed_map_under_moto(org_env, monkeypatch):
    endpoint = _endpoint()
    # moto's interpreter calls its own services on localhost:$MOTO_PORT (same process as the server thread).
    monkeypatch.setenv("MOTO_PORT", endpoint.rsplit(":", 1)[1])
    _moto_config(
        endpoint, {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    )
    try:
        iam, lam = client(endpoint, "iam"), client(endpoint, "lambda")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                }
            ],
        }
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        fn = lam.create_function(
            FunctionName="efs-audit-org",
            Runtime="python3.12",
            Role=role,
            Handler="auditor.entrypoints.org_lambda.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )["FunctionArn"]
        # The real modes' outputs, computed here, become the function's answers in the state machine.
        planned = org_lambda.handler({"mode": "plan", "run": "sfn-1"}, FakeContext())
        shards = [
            org_lambda.handler(
                {
                    "mode": "collect-shard",
                    "plan_key": planned["plan_key"],
                    "run_prefix": planned["run_prefix"],
                    "shard": f"{i}/3",
                },
                FakeContext(),
            )
            for i in range(3)
        ]
        reduced = org_lambda.handler(
            {"mode": "reduce", "plan_key": planned["plan_key"], "run_prefix": planned["run_prefix"]},
            FakeContext(),
        )
        assert reduced["planned_missing"] == 0
        _queue_lambda_results(endpoint, [planned, *shards, reduced])
        sfn = client(endpoint, "stepfunctions")
        machine = sfn.create_state_machine(
            name="efs-audit-org-audit", definition=_definition(fn), roleArn=role, type="STANDARD"
        )["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=machine, name="sfn-1")["executionArn"]
        deadline = time.monotonic() + 120
        while (status := sfn.describe_execution(executionArn=execution)["status"]) == "RUNNING":
            assert time.monotonic() < deadline, "the state machine did not finish in 120 s"
            time.sleep(0.05)
        described = sfn.describe_execution(executionArn=execution)
        failed = [
            e for e in sfn.get_execution_history(executionArn=execution)["events"] if "Failed" in e["type"]
        ]
        assert status == "SUCCEEDED", str(failed)[-1500:]
        assert json.loads(described["output"]) == reduced
        history = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
        entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
        assert entered[0] == "Plan" and entered[-1] == "Reduce" and "Accounts" in entered
        runs = sfn.list_map_runs(executionArn=execution)["mapRuns"]
        assert len(runs) == 1
        counts = sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"])["itemCounts"]
        assert (counts["total"], counts["succeeded"], counts["failed"]) == (3, 3, 0)
    finally:
        _moto_config(
            endpoint, {"stepfunctions": {"execute_state_machine": False}, "lambda": {"use_docker": True}}
        )


def test_shard_snapshots_record_their_plan(org_env):
    planned = org_lambda.handler({"mode": "plan", "run": "run-2"}, FakeContext())
    out = org_lambda.handler(
        {
            "mode": "collect-shard",
            "plan_key": planned["plan_key"],
            "run_prefix": planned["run_prefix"],
            "shard": "1/3",
        },
        FakeContext(),
    )
    body = client(_endpoint(), "s3").get_object(Bucket=BUCKET, Key=out["key"])["Body"].read().decode()
    shard = snap.loads(body)
    assert shard.plan.digest == planned["digest"] and shard.shards[0].shard == "1/3"
