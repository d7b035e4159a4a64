"""The organization audit as Kubernetes Jobs: an Indexed Job whose pod I collects shard I of N into the
evidence bucket, then one reduce Job that merges against the plan, evaluates and delivers the bundle
(samples/deploy/kubernetes/org-*.yaml). The same modes as the Step Functions function (auditor.scheduled.org).

    python -m auditor.entrypoints.org_job collect-shard   # JOB_COMPLETION_INDEX and EFS_AUDIT_SHARD_COUNT
    python -m auditor.entrypoints.org_job reduce

Settings: the scheduled audit's EFS_AUDIT_* variables, plus EFS_AUDIT_PLAN_KEY (the plan written by
`efs-audit plan` and uploaded under EFS_AUDIT_PREFIX/org-runs/RUN/plan.json), EFS_AUDIT_SHARD_COUNT (the
Job's completions) and EFS_AUDIT_TIME_BUDGET_SECONDS. Exit codes: collect-shard 0 when its shard was
delivered (what it could not read is inside the shard), 2 bad settings; reduce as `efs-audit scan`
(0 clean, 1 findings, 3 incomplete, 2 bad settings).
"""

from __future__ import annotations

import json
import os
import sys
import time

from auditor.scheduled import org
from auditor.scheduled.settings import SettingsError


class _Budget:
    """What the shard step reads of a Lambda context: the time left of EFS_AUDIT_TIME_BUDGET_SECONDS."""

    def __init__(self, seconds: float | None) -> None:
        self.end = None if seconds is None else time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return 900_000_000 if self.end is None else int(max(0.0, self.end - time.monotonic()) * 1000)


def main(argv: list[str] | None = None, env: dict[str, str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    env = dict(os.environ if env is None else env)
    try:
        if len(argv) != 1 or argv[0] not in ("collect-shard", "reduce"):
            raise SettingsError("usage: python -m auditor.entrypoints.org_job collect-shard|reduce")
        event = {"mode": argv[0], "plan_key": env.get("EFS_AUDIT_PLAN_KEY", "")}
        if argv[0] == "collect-shard":
            index, count = env.get("JOB_COMPLETION_INDEX", ""), env.get("EFS_AUDIT_SHARD_COUNT", "")
            if not (index.isdigit() and count.isdigit()):
                raise SettingsError(
                    "JOB_COMPLETION_INDEX and EFS_AUDIT_SHARD_COUNT: whole numbers required "
                    "(an Indexed Job sets the first; set the second to its completions)"
                )
            event["shard"] = f"{index}/{count}"
        budget = env.get("EFS_AUDIT_TIME_BUDGET_SECONDS")
        context = _Budget(float(budget) if budget else None)
        os.environ.update({k: v for k, v in env.items() if k.startswith("EFS_AUDIT_")})
        out = org.run(argv[0], event, context, dict(os.environ))
    except (SettingsError, ValueError) as exc:
        print(f"efs-audit: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(out, sort_keys=True, default=str))
    return int(out.get("exit_code", 0)) if argv[0] == "reduce" else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
