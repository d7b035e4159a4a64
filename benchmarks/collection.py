"""Collection benchmark: collect_aws against a moto server next to a raw floor.

    python benchmarks/collection.py              # 10, 100 and 500 file systems
    python benchmarks/collection.py 10 50        # chosen sizes

Its own generator seeds N file systems (one mount target each, a policy on every other one) with 5
access points each into an in-process ThreadedMotoServer on 127.0.0.1. The floor makes the same
describe/list calls, paginated, over the same thread pool shape (one task per service, per-file-system
calls on a second pool) and throws the responses away; the collector does the same calls and builds the snapshot. Both use page size 100
(AWS's default for file systems and access points; moto's own default is 10). Each figure is the best
of three runs. Target: collector <= 1.3x the floor.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

REGION = "eu-west-1"
PAGE = 100
WORKERS = 8
REPEATS = 3
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:ClientMount"}],
}


def generate(size: int, endpoint: str) -> None:
    """N file systems, 5 access points and 1 mount target each, a policy on every other one."""
    import boto3

    session = boto3.session.Session()
    ec2, efs = session.client("ec2", region_name=REGION), session.client("efs", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/20", AvailabilityZone=f"{REGION}a")["Subnet"][
        "SubnetId"
    ]
    sg = ec2.create_security_group(GroupName="efs", Description="efs", VpcId=vpc)["GroupId"]
    for i in range(size):
        fs = efs.create_file_system(CreationToken=f"bench-{i}", Tags=[{"Key": "Name", "Value": f"fs-{i}"}])[
            "FileSystemId"
        ]
        efs.create_mount_target(FileSystemId=fs, SubnetId=subnet, SecurityGroups=[sg])
        if i % 2 == 0:
            efs.put_file_system_policy(FileSystemId=fs, Policy=json.dumps(POLICY))
        for j in range(5):
            efs.create_access_point(
                FileSystemId=fs,
                PosixUser={"Uid": 1000 + j, "Gid": 1000 + j},
                RootDirectory={"Path": f"/app{j}"},
            )


def floor(max_attempts: int) -> None:
    """The collector's calls with no processing: a fresh session, clients made on first use, one
    pool task per service and the per-file-system calls spread over a second pool of the same size."""
    import threading

    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    config = Config(
        retries={"mode": "adaptive", "max_attempts": max_attempts}, max_pool_connections=2 * WORKERS
    )
    session = boto3.session.Session()
    clients: dict = {}
    lock = threading.Lock()
    pages = {"PaginationConfig": {"PageSize": PAGE}}

    def client(service):
        with lock:
            if service not in clients:
                clients[service] = session.client(service, region_name=REGION, config=config)
            return clients[service]

    def drain(service, op, **kw):
        try:
            return list(client(service).get_paginator(op).paginate(**kw, **pages))
        except ClientError:
            return []

    def call(service, op, **kw):
        try:
            return getattr(client(service), op)(**kw)
        except ClientError:
            return None

    def one_fs(fs):
        fs_id = fs["FileSystemId"]
        call("efs", "describe_file_system_policy", FileSystemId=fs_id)
        call("efs", "describe_backup_policy", FileSystemId=fs_id)
        for page in drain("efs", "describe_mount_targets", FileSystemId=fs_id):
            for mt in page["MountTargets"]:
                call("efs", "describe_mount_target_security_groups", MountTargetId=mt["MountTargetId"])

    with ThreadPoolExecutor(max_workers=WORKERS) as pool, ThreadPoolExecutor(max_workers=WORKERS) as fanout:

        def efs_task():
            systems = [fs for page in drain("efs", "describe_file_systems") for fs in page["FileSystems"]]
            list(fanout.map(one_fs, systems))
            drain("efs", "describe_access_points")

        call("sts", "get_caller_identity")
        tasks = [
            lambda: drain("iam", "get_account_authorization_details", Filter=["Role", "LocalManagedPolicy"]),
            efs_task,
            lambda: [
                drain("ec2", op)
                for op in ("describe_security_groups", "describe_subnets", "describe_route_tables")
            ],
            lambda: (
                drain("ecs", "list_clusters"),
                drain("ecs", "list_task_definition_families", status="ACTIVE"),
            ),
            lambda: drain("lambda", "list_functions"),
            lambda: drain("eks", "list_clusters"),
            lambda: drain("backup", "list_protected_resources"),
        ]
        for f in [pool.submit(t) for t in tasks]:
            f.result()


def best(fn) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(sizes: list[int]) -> None:
    from moto.server import ThreadedMotoServer

    from auditor.collectors.aws import AwsSettings, collect_aws, last_call_counts

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    settings = AwsSettings(regions=(REGION,), max_workers=WORKERS, max_attempts=2, page_size=PAGE)
    print(
        f"{'file systems':>12} {'access pts':>10} {'collector s':>11} {'floor s':>8} {'ratio':>6} {'API calls':>9}"
    )
    try:
        for size in sizes:
            urllib.request.urlopen(
                urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")
            ).read()
            generate(size, endpoint)
            snap = collect_aws(settings)
            assert len(snap.file_systems) == size and len(snap.access_points) == 5 * size
            counts = last_call_counts()
            collector = best(lambda: collect_aws(settings))
            raw = best(lambda: floor(2))
            print(
                f"{size:>12} {5 * size:>10} {collector:>11.2f} {raw:>8.2f} {collector / raw:>6.2f} {sum(counts.values()):>9}"
            )
            print("             calls: " + ", ".join(f"{s}:{o}={n}" for (s, o), n in sorted(counts.items())))
    finally:
        server.stop()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 100, 500])
