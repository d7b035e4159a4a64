"""The collection plan of an organization: which accounts (through which role), which regions and
clusters. A plan is deterministic (sorted, digested) so that shards collected anywhere can be merged
against it and everything it names but no shard delivered is known to be missing.

Shard contract: accounts are the atomic unit (the IAM unit of an account decides which roles matter
for all its regions), sorted by account id, and account k of the sorted list belongs to shard k mod N.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from pydantic import ValidationError

from auditor.model.arn import Arn
from auditor.model.plan import Plan, PlannedAccount, SkippedAccount
from auditor.model.snapshot import InputError, describe_validation_error, read_text, write_atomic

_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@/-]{1,512}$")
_SHARD = re.compile(r"^(\d+)/(\d+)$")


def canonical_digest(plan: Plan) -> str:
    body = plan.model_dump(mode="json", exclude={"digest"})
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def make_plan(
    source: str,
    accounts: list[PlannedAccount],
    skipped: list[SkippedAccount] = (),
    regions: list[str] = (),
    clusters: list[str] = (),
) -> Plan:
    seen: dict[str, PlannedAccount] = {}
    for a in accounts:
        if a.account_id in seen and seen[a.account_id] != a:
            raise InputError(f"plan: account {a.account_id} is named twice with different roles")
        seen[a.account_id] = a
    plan = Plan(
        source=source,
        accounts=sorted(seen.values(), key=lambda a: a.account_id),
        skipped=sorted(skipped, key=lambda s: s.account_id),
        regions=sorted(set(regions)),
        clusters=sorted(set(clusters)),
    )
    return plan.model_copy(update={"digest": canonical_digest(plan)})


def parse_shard(value: str) -> tuple[int, int]:
    m = _SHARD.match(value.strip())
    if not m:
        raise InputError(f"--shard: expected I/N (for example 0/4), found {value!r}")
    index, count = int(m.group(1)), int(m.group(2))
    if count < 1 or index >= count:
        raise InputError(f"--shard: expected I/N with 0 <= I < N, found {value!r}")
    return index, count


def role_arn(partition: str, account_id: str, role_name: str) -> str:
    return str(Arn(partition, "iam", "", account_id, f"role/{role_name.strip('/')}"))


def check_role_name(name: str) -> str:
    if not _ROLE_NAME.match(name or ""):
        raise InputError(f"--role-name: {name!r} is not an IAM role name (or path/name)")
    return name


def check_account(value: str, option: str) -> str:
    if not _ACCOUNT.match(value or ""):
        raise InputError(f"{option}: {value!r} is not a 12-digit account id")
    return value


# --- files -------------------------------------------------------------------------------------


def dumps(plan: Plan) -> str:
    return plan.model_dump_json(indent=1) + "\n"


def save(plan: Plan, path: Path) -> None:
    write_atomic(path, dumps(plan))


def load(path: str | Path) -> Plan:
    text = read_text(path, "a plan JSON file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a plan is a JSON object, found {type(data).__name__}")
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{path}: {describe_validation_error(exc)}") from None
    if plan.digest != canonical_digest(plan):
        raise InputError(f"{path}: digest: does not match the plan's content (edited after it was written?)")
    return plan
