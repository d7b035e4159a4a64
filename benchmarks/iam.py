"""IAM evaluator micro-benchmark: microseconds per ``authorize`` call for representative policy shapes.

    python benchmarks/iam.py            # every shape, best of 3 runs
    python benchmarks/iam.py --runs 5

Each run times 25 batches of about 20 ms per shape and keeps the fastest (other processes on the machine
only ever slow a batch down).
Policies are parsed once, as ``auditor.analysis.authz`` passes them. Each shape evaluates the three Client*
actions in turn, as the analysis does for one connection.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.iam import Principal, RequestContext, authorize, parse_policy

ACCT, REGION = "210987654321", "us-east-1"
FS = f"arn:aws:elasticfilesystem:{REGION}:{ACCT}:file-system/fs-00000000000000001"
AP1 = f"arn:aws:elasticfilesystem:{REGION}:{ACCT}:access-point/fsap-00000000000000001"
AP2 = f"arn:aws:elasticfilesystem:{REGION}:{ACCT}:access-point/fsap-00000000000000002"
ROLE = Principal(kind="role", arn=f"arn:aws:iam::{ACCT}:role/app1", role_id="AROA00000000000000001")
ACTIONS = ("ClientMount", "ClientWrite", "ClientRootAccess")
TLS_DENY = {
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "*",
    "Resource": FS,
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def _doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# The synthetic estate's role: mount + write pinned to its two access points.
PINNED_ROLE = _doc(
    {
        "Effect": "Allow",
        "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        "Resource": FS,
        "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": [AP1, AP2]}},
    }
)
# The synthetic estate's file system policy: TLS enforced, account root allowed through any access point.
WILDCARD_AP = _doc(
    TLS_DENY,
    {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
        "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        "Resource": FS,
        "Condition": {
            "StringLike": {
                "elasticfilesystem:AccessPointArn": f"arn:aws:elasticfilesystem:{REGION}:{ACCT}:access-point/*"
            }
        },
    },
)
# The console's "prevent root access" + "enforce in-transit encryption" preset.
CONSOLE = {
    "Version": "2012-10-17",
    "Id": "efs-policy-wizard-1",
    "Statement": [
        {
            "Sid": "efs-statement-1",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["elasticfilesystem:ClientWrite", "elasticfilesystem:ClientMount"],
            "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
        },
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ],
}
# A file system policy that grants one role through one access point only.
AP_PINNED_FS = _doc(
    TLS_DENY,
    {
        "Effect": "Allow",
        "Principal": {"AWS": ROLE.arn},
        "Action": "elasticfilesystem:Client*",
        "Resource": FS,
        "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": AP1}},
    },
)


def _ids(*docs: dict) -> list:
    return [(f"identity policy {i}", parse_policy(d, f"identity policy {i}")) for i, d in enumerate(docs)]


SHAPES = {
    # name: (principal, context, resource policy or None, identity policies)
    "default policy + pinned role": (ROLE, RequestContext(True, AP1), None, _ids(PINNED_ROLE)),
    "console preset, anonymous": (
        Principal.ANONYMOUS,
        RequestContext(True, None),
        parse_policy(CONSOLE, "fs"),
        [],
    ),
    "console preset + pinned role": (
        ROLE,
        RequestContext(True, AP1),
        parse_policy(CONSOLE, "fs"),
        _ids(PINNED_ROLE),
    ),
    "AP-pinned role (fs + identity)": (
        ROLE,
        RequestContext(True, AP1),
        parse_policy(AP_PINNED_FS, "fs"),
        _ids(PINNED_ROLE),
    ),
    "wildcard AP condition + pinned role": (
        ROLE,
        RequestContext(True, AP1),
        parse_policy(WILDCARD_AP, "fs"),
        _ids(PINNED_ROLE),
    ),
    "wildcard AP condition, anonymous": (
        Principal.ANONYMOUS,
        RequestContext(True, AP1),
        parse_policy(WILDCARD_AP, "fs"),
        [],
    ),
}


def per_call_us(principal, ctx, policy, ids, batches: int = 25) -> float:
    """The fastest of ``batches`` timed batches of about 20 ms: the least disturbed by other processes."""

    def batch(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            for action in ACTIONS:
                authorize(
                    action, principal, ctx, file_system_arn=FS, resource_policy=policy, identity_policies=ids
                )
        return time.perf_counter() - t0

    n = 10
    while batch(n) < 0.02:
        n *= 2
    return min(batch(n) for _ in range(batches)) / (n * len(ACTIONS)) * 1e6


def main(argv: list[str]) -> int:
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 3
    best = {name: min(per_call_us(*shape) for _ in range(runs)) for name, shape in SHAPES.items()}
    width = max(map(len, best))
    for name, us in best.items():
        print(f"{name:<{width}}  {us:8.1f} µs/call")
    print(f"{'mean':<{width}}  {sum(best.values()) / len(best):8.1f} µs/call")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
