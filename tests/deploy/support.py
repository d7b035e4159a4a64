"""Helpers for the scheduled-audit tests: moto clients, a small seeded estate, a fake Lambda context."""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
BUCKET = "efs-audit-evidence"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_MAX_ATTEMPTS": "1",
    "AWS_RETRY_MODE": "standard",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def aws_env(endpoint: str) -> dict[str, str]:
    return {**AWS_ENV, "AWS_ENDPOINT_URL": endpoint}


def client(endpoint: str, service: str):
    return boto3.session.Session(
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
    ).client(service, endpoint_url=endpoint)


def seed_estate(endpoint: str) -> dict[str, str]:
    """An evidence bucket, one encrypted file system with an access point, and an ECS task mounting it."""
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    efs = client(endpoint, "efs")
    app_tag = [{"Key": "app", "Value": "a"}]
    fs = efs.create_file_system(CreationToken="pass-app-a", Encrypted=True, Tags=app_tag)
    ap = efs.create_access_point(
        FileSystemId=fs["FileSystemId"],
        Tags=app_tag,
        PosixUser={"Uid": 1000, "Gid": 1000},
        RootDirectory={
            "Path": "/app-a",
            "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "750"},
        },
    )
    iam = client(endpoint, "iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            }
        ],
    }
    role = iam.create_role(RoleName="app-a-task", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    ecs = client(endpoint, "ecs")
    ecs.create_cluster(clusterName="apps")
    ecs.register_task_definition(
        family="app-a",
        taskRoleArn=role["Arn"],
        containerDefinitions=[
            {
                "name": "app",
                "image": "app:1",
                "user": "1000",
                "memory": 256,
                "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}],
            }
        ],
        volumes=[
            {
                "name": "data",
                "efsVolumeConfiguration": {
                    "fileSystemId": fs["FileSystemId"],
                    "transitEncryption": "ENABLED",
                    "authorizationConfig": {"accessPointId": ap["AccessPointId"], "iam": "ENABLED"},
                },
            }
        ],
    )
    return {
        "file_system_id": fs["FileSystemId"],
        "access_point_id": ap["AccessPointId"],
        "role_arn": role["Arn"],
    }


def download_prefix(endpoint: str, bucket: str, prefix: str, dest: Path) -> list[str]:
    s3 = client(endpoint, "s3")
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for o in page.get("Contents", [])
    ]
    for key in keys:
        target = dest / key[len(prefix) :]
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(target))
    return sorted(keys)


@dataclass
class FakeContext:
    """What the handler reads from a Lambda context object."""

    remaining_ms: int = 900_000
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def load_build_module():
    """samples/deploy/lambda/build.py (not a package): its staging is what the zip and image contain."""
    spec = importlib.util.spec_from_file_location(
        "efs_audit_lambda_build", ROOT / "samples" / "deploy" / "lambda" / "build.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def milestones(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith('{"')]
