"""Collection under faults, through the fault-injecting proxy (tests/faults/proxy.py) in front of moto.

    python benchmarks/throttling.py               # 40 file systems, every scenario
    python benchmarks/throttling.py 80 throttle20 # chosen size and scenarios

Seeds N file systems (benchmarks/collection.py's generator: a mount target and 5 access points each,
a policy on every other one) into a ThreadedMotoServer on 127.0.0.1, then runs the real collector
(collect_aws) through the proxy once without faults and once per scenario, and prints for each: the
time, its ratio to the fault-free run, the requests the proxy saw, the faults it injected, the
collection issues, and whether the snapshot equals the fault-free one (nothing lost).

Scenarios (retry settings compared: ours = standard mode, 6 attempts, retry quota 5000; botocore =
standard mode with its default quota of 500; adaptive = botocore's adaptive mode, 10 attempts, the
collectors' former setting):
  throttle20   20% of all requests throttled (seeded)
  throttle2x   every request throttled twice, then answered
  5xx2x        every request answered 500 twice, then answered
  reset20      20% of all connections reset
  slow         one DescribeMountTargets answers after 2x the read timeout, every attempt; run budget 20 s
  trickle      one DescribeMountTargets body drips a byte every 0.5 s; run budget 20 s
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REGION = "eu-west-1"
SIZE = 40
RETRY_VARIANTS = {
    "ours": {},
    "base.25s": {"throttle_base": 0.25},
    "base1s": {"throttle_base": 1.0},
    "botocore": {"retry_quota": 500, "throttle_base": 1.0, "max_attempts": 3},
    "adaptive": {"retry_mode": "adaptive", "max_attempts": 10},
}
NO_ADAPTIVE = {k: v for k, v in RETRY_VARIANTS.items() if k != "adaptive"}
SCENARIOS = {
    "throttle20": ("error", {"rate": 0.2, "code": "ThrottlingException", "status": 400}, RETRY_VARIANTS),
    "throttle2x": ("error", {"per_request": 2, "code": "ThrottlingException", "status": 400}, NO_ADAPTIVE),
    "5xx2x": ("error", {"per_request": 2, "code": "InternalError", "status": 500}, NO_ADAPTIVE),
    "reset20": ("reset", {"rate": 0.2}, {"ours": {}}),
    "slow": ("slow", {"operation": "DescribeMountTargets", "times": None}, {"ours": {}}),
    "trickle": ("trickle", {"operation": "DescribeMountTargets", "delay": 0.5}, {"ours": {}}),
}
BUDGET = 20.0  # seconds: the run deadline of the slow and trickle scenarios
SHORT = {"read_timeout": 3.0, "call_timeout": 6.0}  # the slow and trickle scenarios' per-attempt bounds


def comparable(snap) -> dict:
    data = snap.model_dump(mode="json")
    data.pop("units")
    data.pop("issues")
    return data


def run(settings_kw: dict):
    from auditor.collectors.aws import AwsSettings, collect_aws

    start = time.monotonic()
    deadline = start + settings_kw.pop("budget") if "budget" in settings_kw else None
    snap = collect_aws(AwsSettings(regions=(REGION,), page_size=100, deadline=deadline, **settings_kw))
    return snap, time.monotonic() - start


def main(size: int, chosen: list[str]) -> None:
    from moto.server import ThreadedMotoServer

    from benchmarks.collection import generate
    from tests.faults.proxy import FaultProxy

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    upstream = f"http://{host}:{port}"
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": upstream,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    generate(size, upstream)
    try:
        with FaultProxy(upstream) as proxy:
            os.environ["AWS_ENDPOINT_URL"] = proxy.url
            clean, base = min((run({}) for _ in range(2)), key=lambda r: r[1])
            requests = proxy.requests() // 2
            print(
                f"{size} file systems, fault-free: {base:.2f} s, {requests} requests, "
                f"{len(clean.issues)} issues (moto gaps)"
            )
            print(
                f"{'scenario':<11} {'retries':<9} {'seconds':>8} {'ratio':>6} {'requests':>9} {'injected':>9} "
                f"{'issues':>7} {'lost':>5}"
            )
            for name in chosen:
                fault, rule, variants = SCENARIOS[name]
                for variant, kw in variants.items():
                    proxy.clear()
                    rule = dict(rule)
                    if name == "slow":
                        rule["delay"] = 2 * SHORT["read_timeout"]
                    proxy.random.seed(7)
                    proxy.add(fault, **rule)
                    kw = dict(kw)
                    if name in ("slow", "trickle"):
                        kw.update(SHORT, budget=BUDGET)
                    snap, took = run(kw)
                    extra = len(snap.issues) - len(clean.issues)
                    lost = "no" if comparable(snap) == comparable(clean) and extra == 0 else "YES"
                    print(
                        f"{name:<11} {variant:<9} {took:8.2f} {took / base:6.1f} {proxy.requests():9d} "
                        f"{proxy.injected():9d} {extra:7d} {lost:>5}"
                    )
    finally:
        server.stop()
    print(
        f"(slow and trickle: read timeout {SHORT['read_timeout']} s, attempt limit {SHORT['call_timeout']} s, "
        f"run budget {BUDGET} s; 'lost' there is expected and named in the issues)"
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    size = int(args.pop(0)) if args and args[0].isdigit() else SIZE
    main(size, args or list(SCENARIOS))
