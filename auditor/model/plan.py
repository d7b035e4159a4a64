"""The collection plan's model: which accounts (through which role), regions and clusters a collection
covers. Built and read by auditor.org.plan; carried by shard and merged snapshots."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field

from auditor.model.base import Model

PLAN_SCHEMA_VERSION: Final = "1"


class PlannedAccount(Model):
    account_id: str
    name: str | None = None
    role_arn: str
    external_id: str | None = None
    session_name: str = "efs-audit"


class SkippedAccount(Model):
    account_id: str
    name: str | None = None
    reason: str


class Plan(Model):
    schema_version: Literal["1"] = PLAN_SCHEMA_VERSION
    source: str  # "organization" or "role-arns"
    accounts: list[PlannedAccount]
    skipped: list[SkippedAccount] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)  # empty: every region enabled for each account
    clusters: list[str] = Field(default_factory=list)  # k8s:<name> units the plan expects
    digest: str = ""

    def account_ids(self) -> list[str]:
        return [a.account_id for a in self.accounts]

    def shard(self, index: int, count: int) -> list[PlannedAccount]:
        """Accounts of shard ``index`` (0-based) of ``count``: every ``count``-th account of the sorted plan."""
        return self.accounts[index::count]


class ShardStamp(Model):
    """What one collection of a plan attempted: the plan's digest and the accounts it set out to read."""

    plan_digest: str
    shard: str | None = None  # "I/N", or None for the whole plan
    accounts: list[str] = Field(default_factory=list)
