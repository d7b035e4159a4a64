"""Organization benchmark: sharded collection of many accounts on moto through a latency proxy.

    python benchmarks/organization.py                 # 50 and 200 accounts, 2 regions, 1 / 4 / 16 workers
    python benchmarks/organization.py 20 --workers 1 4 --latency-ms 40

Its own generator creates an organization in an in-process moto server (127.0.0.1) with N member
accounts, each holding one encrypted file system with an access point in each of two regions. The
collectors reach moto through a small proxy on 127.0.0.1 that holds every request for --latency-ms
(AWS API latency is what dominates a real organization). For each worker count the plan is collected
with `collect --plan --workers K` (K shard processes over the same contract), and the merged snapshot is
evaluated. Then the merge of one shard per account is timed. Printed: wall time, time per account, and
speed-up over one worker.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REGIONS = ("eu-west-1", "us-east-1")
ROLE = "efs-audit-member"


class _Delay(BaseHTTPRequestHandler):
    upstream: tuple[str, int] = ("127.0.0.1", 0)
    delay: float = 0.04
    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        time.sleep(self.delay)
        conn = http.client.HTTPConnection(*self.upstream, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

    def log_message(self, *_args) -> None:
        pass


def start_proxy(upstream: str, delay: float) -> tuple[ThreadingHTTPServer, str]:
    host, port = upstream.rsplit("/", 1)[-1].split(":")
    handler = type("Delay", (_Delay,), {"upstream": (host, int(port)), "delay": delay})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def generate(accounts: int) -> list[str]:
    import boto3

    org = boto3.client("organizations", region_name=REGIONS[0])
    org.create_organization(FeatureSet="ALL")
    ids = []
    for n in range(accounts):
        account = org.create_account(Email=f"m{n}@example.com", AccountName=f"m{n}")["CreateAccountStatus"][
            "AccountId"
        ]
        creds = boto3.client("sts", region_name=REGIONS[0]).assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="seed"
        )["Credentials"]
        session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        for region in REGIONS:
            efs = session.client("efs", region_name=region)
            fs = efs.create_file_system(CreationToken=f"fs-{account}-{region}", Encrypted=True)[
                "FileSystemId"
            ]
            efs.create_access_point(
                FileSystemId=fs, PosixUser={"Uid": 1000, "Gid": 1000}, RootDirectory={"Path": "/a"}
            )
        ids.append(account)
    return ids


def split_by_account(merged, plan):
    """One shard snapshot per planned account, cut from a merged snapshot (for the merge benchmark)."""
    from auditor.model.plan import ShardStamp
    from auditor.model.snapshot import Snapshot

    def account_of(item) -> str:
        for attr in ("account_id",):
            if getattr(item, attr, None):
                return getattr(item, attr)
        scope = getattr(item, "scope", "") or ""
        if scope.startswith("aws:"):
            return scope.split(":")[1]
        arn = getattr(item, "arn", "") or ""
        return arn.split(":")[4] if arn.count(":") >= 5 else ""

    fields = (
        "units",
        "issues",
        "file_systems",
        "access_points",
        "security_groups",
        "subnets",
        "roles",
        "managed_policies",
        "task_definitions",
        "ecs_services",
        "lambda_functions",
    )
    count = len(plan.accounts)
    shards = []
    for i, account in enumerate(plan.accounts):
        data = {f: [x for x in getattr(merged, f) if account_of(x) == account.account_id] for f in fields}
        data["managed_policies"] = merged.managed_policies if i == 0 else []
        shards.append(
            Snapshot(
                **data,
                plan=plan,
                shards=[
                    ShardStamp(plan_digest=plan.digest, shard=f"{i}/{count}", accounts=[account.account_id])
                ],
            )
        )
    return shards


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[50, 200])
    parser.add_argument("--workers", nargs="*", type=int, default=[1, 4, 16])
    parser.add_argument("--latency-ms", type=float, default=40.0)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    from auditor.org import plan as plans
    from auditor.org.collect import ShardSettings, collect_with_workers, merge_shards
    from auditor.pipeline import evaluate

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        AWS_DEFAULT_REGION=REGIONS[0],
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ENDPOINT_URL=endpoint,
    )
    os.environ.pop("AWS_PROFILE", None)
    proxy, proxied = start_proxy(endpoint, args.latency_ms / 1000.0)
    print(f"latency {args.latency_ms:.0f} ms per call, regions {', '.join(REGIONS)}, {os.cpu_count()} cores")
    print(
        f"{'accounts':>8} {'workers':>7} {'wall s':>8} {'s/account':>10} {'speed-up':>9} {'issues':>7} "
        f"{'evaluate s':>10}"
    )
    try:
        for size in args.sizes:
            import urllib.request

            urllib.request.urlopen(
                urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
            ).close()
            os.environ["AWS_ENDPOINT_URL"] = endpoint
            members = generate(size)
            plan = plans.make_plan(
                "role-arns",
                [
                    plans.PlannedAccount(account_id=a, role_arn=f"arn:aws:iam::{a}:role/{ROLE}")
                    for a in members
                ],
                regions=list(REGIONS),
            )
            os.environ["AWS_ENDPOINT_URL"] = proxied
            base = None
            merged = None
            for workers in args.workers:
                t0 = time.perf_counter()
                merged = collect_with_workers(plan, workers, ShardSettings(max_workers=8))
                wall = time.perf_counter() - t0
                base = base or wall
                t1 = time.perf_counter()
                evaluate(merged)
                ev = time.perf_counter() - t1
                print(
                    f"{size:>8} {workers:>7} {wall:>8.1f} {wall / size:>10.3f} {base / wall:>8.1f}x "
                    f"{len(merged.issues):>7} {ev:>10.2f}"
                )
            shards = split_by_account(merged, plan)
            t2 = time.perf_counter()
            merge_shards(plan, shards)
            print(f"{size:>8} merge of {len(shards)} shards: {time.perf_counter() - t2:.2f} s")
    finally:
        proxy.shutdown()
        moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
