"""A check, declared once: what it evaluates, what its verdicts rest on, how it is run and drawn."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from auditor.checks.base import Finding
from auditor.checks.facts import Fact


@dataclass(frozen=True, kw_only=True)
class Check:
    id: str  # public and stable; metadata in policies/checks/<id>.yaml
    run: Callable[..., Iterable[Finding]]  # Analysis -> findings
    evaluates: Mapping[str, tuple[Fact, ...]]  # kind of resource -> the facts each of its results rests on
    authorization: bool = False  # evaluates IAM authorization (run first; its caches are released after)
    draws_path: bool = False  # the report draws the result's path through the identity graph
    # Facts whose absence can overturn a FAIL too (not only hide one): a FAIL resting on one that was
    # not read is NOT_ASSESSED. Others can only add findings, so a FAIL proven without them stands.
    fail_rests_on: tuple[Fact, ...] = ()

    @property
    def facts(self) -> tuple[Fact, ...]:
        return tuple(dict.fromkeys(f for facts in self.evaluates.values() for f in facts))

    @property
    def services(self) -> tuple[str, ...]:
        """Services whose missing listing leaves the check's scope NOT_ASSESSED."""
        return tuple(sorted({s for f in self.facts for s in f.services}))
