"""The organization audit on AWS Step Functions: one Lambda function, three modes, run by a Standard
state machine (samples/deploy/stepfunctions/template.yaml) whose Distributed Map does the fan-out.

    {"mode": "plan", "run": NAME}              -> writes plan.json and items.json under the run's prefix
    {"mode": "collect-shard", "shard": "I/N", "plan_key": K, "run_prefix": P}  -> writes shards/shard-I.json
    {"mode": "reduce", "plan_key": K, "run_prefix": P}   -> merges against the plan, evaluates, and writes
                                                            the same verified bundle as the scheduled Lambda
    any other event                             -> the single-account scheduled audit (aws_lambda.handler)

The modes and their settings are auditor.scheduled.org's.
"""

from __future__ import annotations

import os
from typing import Any

from auditor.entrypoints import aws_lambda
from auditor.scheduled import org
from auditor.scheduled.settings import SettingsError

__all__ = ["SettingsError", "handler"]


def handler(event: Any, context: Any, env: dict[str, str] | None = None) -> dict[str, Any]:
    mode = event.get("mode") if isinstance(event, dict) else None
    if mode is None:
        return aws_lambda.handler(event, context)
    return org.run(mode, event, context, dict(os.environ if env is None else env))
