"""Account discovery through AWS Organizations (read-only: the three calls in DISCOVERY_ACTIONS), run in
the management account or a delegated administrator account."""

from __future__ import annotations

from collections.abc import Iterable

from botocore.exceptions import BotoCoreError, ClientError

from auditor.model.ids import parse_arn
from auditor.model.snapshot import InputError
from auditor.org.plan import (
    Plan,
    PlannedAccount,
    SkippedAccount,
    check_account,
    check_role_name,
    make_plan,
    role_arn,
)

# The only Organizations calls the auditor makes; samples/iam/auditor-policy.json grants exactly these
# in their own statement, needed only where `efs-audit plan --organization` runs.
DISCOVERY_ACTIONS = (
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListOrganizationalUnitsForParent",
)


def discover(
    session,
    role_name: str,
    ous: Iterable[str] = (),
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    external_id: str | None = None,
    session_name: str = "efs-audit",
    regions: Iterable[str] = (),
    clusters: Iterable[str] = (),
) -> Plan:
    """Every ACTIVE account of the organization (or of the given OUs and their children) becomes a
    planned account; suspended or closing accounts, and excluded ones, are listed as skipped with why."""
    check_role_name(role_name)
    include = {check_account(a, "--account") for a in include}
    exclude = {check_account(a, "--exclude-account") for a in exclude}
    client = session.client("organizations", region_name=session.region_name or "us-east-1")
    try:
        found = _accounts_under(client, list(ous)) if ous else _paginate(client, "list_accounts", "Accounts")
    except (ClientError, BotoCoreError) as exc:
        code = (
            exc.response["Error"].get("Code", "Error") if isinstance(exc, ClientError) else type(exc).__name__
        )
        raise InputError(
            f"plan --organization: cannot list the organization's accounts ({code}): run it with "
            "credentials of the management account or a delegated administrator that may call "
            + ", ".join(DISCOVERY_ACTIONS)
        ) from None
    planned: list[PlannedAccount] = []
    skipped: list[SkippedAccount] = []
    seen: set[str] = set()
    for acct in found:
        account_id = str(acct.get("Id", ""))
        if account_id in seen:
            continue
        seen.add(account_id)
        name = acct.get("Name")
        state = acct.get("State") or acct.get("Status")
        if include and account_id not in include:
            continue
        if account_id in exclude:
            skipped.append(
                SkippedAccount(account_id=account_id, name=name, reason="excluded by --exclude-account")
            )
        elif state != "ACTIVE":
            skipped.append(
                SkippedAccount(
                    account_id=account_id,
                    name=name,
                    reason=f"account status {state or 'unknown'}: not collected",
                )
            )
        else:
            arn = parse_arn(acct.get("Arn") or "")
            planned.append(
                PlannedAccount(
                    account_id=account_id,
                    name=name,
                    role_arn=role_arn(arn.partition if arn else "aws", account_id, role_name),
                    external_id=external_id,
                    session_name=session_name,
                )
            )
    for account_id in sorted(include - seen):
        skipped.append(
            SkippedAccount(account_id=account_id, reason="not found in the organization units read")
        )
    return make_plan("organization", planned, skipped, list(regions), list(clusters))


def _accounts_under(client, roots: list[str]) -> list[dict]:
    """Accounts of each OU and of every OU below it (breadth first, each OU read once)."""
    out: list[dict] = []
    queue, seen = list(roots), set()
    while queue:
        parent = queue.pop(0)
        if parent in seen:
            continue
        seen.add(parent)
        out += _paginate(client, "list_accounts_for_parent", "Accounts", ParentId=parent)
        queue += [
            ou["Id"]
            for ou in _paginate(
                client, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent
            )
        ]
    return out


def _paginate(client, method: str, key: str, **kwargs) -> list[dict]:
    items: list[dict] = []
    for page in client.get_paginator(method).paginate(**kwargs):
        got = page.get(key)
        if not isinstance(got, list):
            raise InputError(f"plan --organization: {method} returned no {key} list (malformed response)")
        items += got
    return items
