"""Lambda: functions with their EFS configs, execution role and VPC config.

Calls per account and region: ListFunctions (pages); ListTags per function. ListFunctions also
returns environment variables: they are dropped on the spot and never enter the model.
"""

from __future__ import annotations

from auditor.collectors.aws.unit import CALL_ERRORS, Unit
from auditor.model.aws import LambdaFileSystemConfig, LambdaFunction

SERVICE = "lambda"


def collect(unit: Unit) -> dict:
    api = unit.api(SERVICE)
    try:
        raw = [f for page in api.pages("ListFunctions") for f in page.get("Functions", [])]
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, "ListFunctions", exc)
        return {"lambda_functions": []}
    out = []
    for f in raw:
        try:
            tags = api.call("ListTags", Resource=f["FunctionArn"]).get("Tags", {})
        except CALL_ERRORS as exc:
            unit.failed(SERVICE, "ListTags", exc, f["FunctionArn"])
            tags = None
        out.append(function(unit.account_id, unit.region, f, tags))
    return {"lambda_functions": out}


def function(account_id: str, region: str, f: dict, tags: dict[str, str] | None) -> LambdaFunction:
    vpc = f.get("VpcConfig") or {}
    return LambdaFunction(
        arn=f["FunctionArn"],
        name=f["FunctionName"],
        account_id=account_id,
        region=region,
        role_arn=f.get("Role"),
        # Absent from the response means the function has no file system configured.
        file_system_configs=[
            LambdaFileSystemConfig(arn=c["Arn"], local_mount_path=c.get("LocalMountPath"))
            for c in f.get("FileSystemConfigs", [])
        ],
        security_group_ids=list(vpc.get("SecurityGroupIds", [])),
        subnet_ids=list(vpc.get("SubnetIds", [])),
        tags=dict(tags) if tags is not None else None,
    )
