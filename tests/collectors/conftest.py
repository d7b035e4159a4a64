"""Shared fixtures for the collector tests: the suite's moto server (tests/conftest.py, 127.0.0.1),
fake credentials, and a reset between tests. Nothing here reaches beyond 127.0.0.1."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from tests.conftest import reset_moto

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account


def fake_credentials(mp: pytest.MonkeyPatch, endpoint: str, empty_file) -> None:
    """Point boto3 at ``endpoint`` with fake credentials and no profile or config file."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        mp.delenv(name, raising=False)
    empty_file.write_text("")
    mp.setenv("AWS_CONFIG_FILE", str(empty_file))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty_file))
    mp.setenv("AWS_ACCESS_KEY_ID", "testing")
    mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    mp.setenv("AWS_SESSION_TOKEN", "testing")
    mp.setenv("AWS_DEFAULT_REGION", REGION)
    mp.setenv("AWS_ENDPOINT_URL", endpoint)
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws(moto_endpoint, monkeypatch, tmp_path):
    """Point boto3 at the moto server with fake credentials; moto is reset before each test."""
    fake_credentials(monkeypatch, moto_endpoint, tmp_path / "aws-empty")
    reset(moto_endpoint)
    return moto_endpoint


@pytest.fixture(scope="module")
def aws_module(moto_endpoint, tmp_path_factory):
    """:func:`aws` for a module's shared fixtures: the environment holds for the module; moto is
    reset once, when the fixture is set up (a module-scoped estate is read at once, before another
    module's test can reset the server)."""
    with pytest.MonkeyPatch.context() as mp:
        fake_credentials(mp, moto_endpoint, tmp_path_factory.mktemp("aws") / "aws-empty")
        reset(moto_endpoint)
        yield moto_endpoint


def reset(endpoint: str) -> None:
    reset_moto(endpoint)


def client(service: str, region: str = REGION):
    """A seeding client (few retries: moto answers unimplemented calls with HTTP 500)."""
    return boto3.session.Session().client(
        service, region_name=region, config=Config(retries={"mode": "standard", "max_attempts": 1})
    )


# --- fault injection on the real client path ---------------------------------------------------
# A botocore ``before-send`` handler answers chosen requests with an AWS error response in the
# service's own wire protocol, so the error goes through botocore's parser and retry handler.

JSON_SERVICES = {"efs", "ecs", "lambda", "eks", "backup"}


class Faults:
    def __init__(self) -> None:
        self.rules: list[dict] = []
        self.injected: dict[tuple[str, str, str], int] = {}

    def add(
        self,
        service: str,
        code: str,
        *,
        operation: str | None = None,
        region: str | None = None,
        times: int | None = None,
        status: int = 400,
    ) -> None:
        """Fail matching calls with ``code``; ``times`` limits how often (None: always)."""
        self.rules.append(
            {
                "service": service,
                "operation": operation,
                "region": region,
                "code": code,
                "times": times,
                "status": status,
                "used": 0,
            }
        )

    def attach(self, session) -> None:
        session.events.register("before-send.*.*", self._on_send)

    def _on_send(self, request, event_name, **_kwargs):
        _, service, operation = event_name.split(".", 2)
        region = _region_of(request.headers.get("Authorization"))
        for rule in self.rules:
            if rule["service"] != service or rule["operation"] not in (None, operation):
                continue
            if rule["region"] not in (None, region) or (
                rule["times"] is not None and rule["used"] >= rule["times"]
            ):
                continue
            rule["used"] += 1
            key = (service, operation, rule["code"])
            self.injected[key] = self.injected.get(key, 0) + 1
            return error_response(service, rule["code"], rule["status"], request.url)
        return None


def _region_of(authorization) -> str | None:
    text = authorization.decode() if isinstance(authorization, bytes) else (authorization or "")
    marker = "Credential="
    if marker not in text:
        return None
    scope = text.split(marker, 1)[1].split(",", 1)[0].split("/")
    return scope[2] if len(scope) > 3 else None


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_kwargs):
        yield self.body


def error_response(service: str, code: str, status: int, url: str):
    from botocore.awsrequest import AWSResponse

    message = f"injected {code}"
    if service in JSON_SERVICES:
        body = (f'{{"__type": "{code}", "message": "{message}"}}').encode()
        headers = {"x-amzn-ErrorType": code, "Content-Type": "application/json"}
    elif service == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            "<RequestID>injected</RequestID></Response>"
        ).encode()
        headers = {"Content-Type": "text/xml"}
    else:  # query protocol: iam, sts
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
            "</Error><RequestId>injected</RequestId></ErrorResponse>"
        ).encode()
        headers = {"Content-Type": "text/xml"}
    return AWSResponse(url, status, headers, _Raw(body))


def attach_faults(monkeypatch: pytest.MonkeyPatch) -> Faults:
    """Fault rules attached to every boto3 session the collectors open while ``monkeypatch`` holds."""
    injector = Faults()
    real_session = boto3.Session

    def session(*args, **kwargs):
        made = real_session(*args, **kwargs)
        injector.attach(made)
        return made

    monkeypatch.setattr("auditor.collectors.aws.run.boto3.Session", session)
    return injector


@pytest.fixture
def faults(aws, monkeypatch):
    """Fault rules attached to every boto3 session the collectors open during the test."""
    return attach_faults(monkeypatch)


@pytest.fixture
def estate_faults(aws_module, monkeypatch):
    """:func:`faults` without a reset of the server: for tests on :func:`small_estate`."""
    return attach_faults(monkeypatch)


@pytest.fixture(scope="module")
def _small_estate_of_module(aws_module) -> dict:
    return {"ids": seed_small_estate()}


@pytest.fixture
def small_estate(_small_estate_of_module, aws_module) -> dict:
    """The ids of :func:`seed_small_estate`, seeded once for the module, for tests that only read the
    estate. When a test in between reset the server (its file system is gone), the server is reset
    and the estate seeded again, so the estate is always exactly what the seeding made."""
    from botocore.exceptions import ClientError

    held = _small_estate_of_module
    try:
        client("efs").describe_file_systems(FileSystemId=held["ids"]["fs_shared"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "FileSystemNotFound":
            raise
        reset(aws_module)
        held["ids"] = seed_small_estate()
    return held["ids"]


# --- a small estate seeded through the AWS API -------------------------------------------------

TRUST = {
    "ecs": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    },
    "lambda": {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    },
    "glue": {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    },
}
FS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "pass-anon-readonly",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "elasticfilesystem:ClientMount",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        }
    ],
}
EFS_CLIENT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            "Resource": "*",
        }
    ],
}
S3_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def seed_small_estate(region: str = REGION) -> dict:
    """Two file systems (one with a policy, one without), mount targets in a public and a private
    subnet, two access points, three roles (one irrelevant), an ECS service, a Lambda function and an
    EKS cluster. Returns the ids moto generated."""
    import json

    ec2, efs, iam = client("ec2", region), client("efs", region), client("iam", region)
    ids: dict = {}
    vpc = ids["vpc"] = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ids["public"] = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{region}a")[
        "Subnet"
    ]["SubnetId"]
    ids["private"] = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone=f"{region}b")[
        "Subnet"
    ]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=ids["public"], MapPublicIpOnLaunch={"Value": True})
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rtb = ids["public_rtb"] = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=ids["public"])
    client_sg = ids["client_sg"] = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)[
        "GroupId"
    ]
    sg = ids["efs_sg"] = ec2.create_security_group(GroupName="efs", Description="efs", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 2049,
                "ToPort": 2049,
                "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
                "UserIdGroupPairs": [{"GroupId": client_sg}],
            }
        ],
    )
    shared = ids["fs_shared"] = efs.create_file_system(
        CreationToken="shared", Encrypted=True, Tags=[{"Key": "Name", "Value": "shared"}]
    )["FileSystemId"]
    ids["fs_open"] = efs.create_file_system(CreationToken="open", Backup=True)["FileSystemId"]
    efs.put_file_system_policy(FileSystemId=shared, Policy=json.dumps(FS_POLICY))
    ids["mt_public"] = efs.create_mount_target(
        FileSystemId=shared, SubnetId=ids["public"], SecurityGroups=[sg]
    )["MountTargetId"]
    ids["mt_private"] = efs.create_mount_target(
        FileSystemId=shared, SubnetId=ids["private"], SecurityGroups=[sg]
    )["MountTargetId"]
    ids["ap_app"] = efs.create_access_point(
        FileSystemId=shared,
        PosixUser={"Uid": 1001, "Gid": 1001, "SecondaryGids": [2000]},
        RootDirectory={
            "Path": "/app",
            "CreationInfo": {"OwnerUid": 1001, "OwnerGid": 1001, "Permissions": "750"},
        },
        Tags=[{"Key": "Name", "Value": "app"}],
    )["AccessPointId"]
    ids["ap_root"] = efs.create_access_point(FileSystemId=ids["fs_open"])["AccessPointId"]
    iam.create_policy(PolicyName="efs-client", PolicyDocument=json.dumps(EFS_CLIENT))
    ids["efs_client_policy"] = f"arn:aws:iam::{ACCOUNT}:policy/efs-client"
    for name, trust in (("task-role", "ecs"), ("fn-role", "lambda"), ("unrelated", "glue")):
        ids[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST[trust]))["Role"][
            "Arn"
        ]
    iam.attach_role_policy(RoleName="task-role", PolicyArn=ids["efs_client_policy"])
    iam.put_role_policy(RoleName="unrelated", PolicyName="s3", PolicyDocument=json.dumps(S3_ONLY))
    ecs = client("ecs", region)
    ids["cluster"] = ecs.create_cluster(clusterName="prod")["cluster"]["clusterArn"]
    ids["taskdef"] = ecs.register_task_definition(
        family="app",
        taskRoleArn=ids["task-role"],
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        volumes=[
            {
                "name": "data",
                "efsVolumeConfiguration": {
                    "fileSystemId": shared,
                    "transitEncryption": "ENABLED",
                    "authorizationConfig": {"accessPointId": ids["ap_app"], "iam": "ENABLED"},
                },
            },
            {"name": "scratch", "host": {"sourcePath": "/mnt/efs"}},
            {
                "name": "nfs",
                "dockerVolumeConfiguration": {
                    "driver": "local",
                    "scope": "task",
                    "driverOpts": {"type": "nfs", "o": "addr=10.0.1.4"},
                },
            },
        ],
        containerDefinitions=[
            {
                "name": "api",
                "image": "app:1",
                "user": "1001:1001",
                "privileged": False,
                "environment": [{"name": "DB_PASSWORD", "value": "hunter2-env"}],
                "secrets": [
                    {"name": "TOKEN", "valueFrom": "arn:aws:secretsmanager:x:y:secret:hunter2-secret"}
                ],
                "linuxParameters": {"capabilities": {"add": ["SYS_ADMIN"], "drop": ["ALL"]}},
                "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": True}],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ids["service"] = ecs.create_service(
        cluster="prod",
        serviceName="app",
        taskDefinition=ids["taskdef"],
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": [ids["private"]], "securityGroups": [client_sg]}
        },
        tags=[{"key": "app", "value": "app"}],
    )["service"]["serviceArn"]
    lam = client("lambda", region)
    ids["function"] = lam.create_function(
        FunctionName="thumbs",
        Runtime="python3.12",
        Role=ids["fn-role"],
        Handler="h.h",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        Environment={"Variables": {"API_KEY": "hunter2-lambda"}},
        VpcConfig={"SubnetIds": [ids["private"]], "SecurityGroupIds": [client_sg]},
        Tags={"app": "thumbs"},
    )["FunctionArn"]
    eks = client("eks", region)
    ids["eks"] = eks.create_cluster(
        name="prod-eks", roleArn=ids["unrelated"], resourcesVpcConfig={"subnetIds": [ids["private"]]}
    )["cluster"]["arn"]
    ids["node_role"] = iam.create_role(
        RoleName="prod-eks-node", AssumeRolePolicyDocument=json.dumps(TRUST["glue"])
    )["Role"]["Arn"]
    eks.create_nodegroup(
        clusterName="prod-eks", nodegroupName="ng", nodeRole=ids["node_role"], subnets=[ids["private"]]
    )
    return ids


# --- botocore Stubber on collector units (response shapes from the AWS API reference) -----------


class _Session:
    def __init__(self, clients):
        self.clients = clients

    def client(self, service, region_name=None, config=None):
        return self.clients[service]


@pytest.fixture
def stubbed():
    """``(make, unit)``: ``make(service)`` returns a Stubber on a fresh client; ``unit()`` a collector
    Unit whose account uses those clients. Every queued response must be consumed."""
    import botocore.session
    from botocore.stub import Stubber

    from auditor.collectors.aws.unit import Account, Unit

    made = {}

    def make(service):
        c = botocore.session.get_session().create_client(
            service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
        )
        stub = Stubber(c)
        made[service] = (c, stub)
        return stub

    def unit():
        account = Account(
            session=_Session({s: c for s, (c, _) in made.items()}),
            account_id=ACCOUNT,
            partition="aws",
            caller_arn=f"arn:aws:iam::{ACCOUNT}:user/t",
            config=None,
        )
        return Unit(account, REGION, REGION)

    yield make, unit
    for _, stub in made.values():
        stub.assert_no_pending_responses()
