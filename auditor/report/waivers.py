"""Waivers: accepted risks applied at report time, never in the checks.

A waiver names check ids and resource patterns (fnmatch, case-sensitive), a reason, an owner and
an expiry date. A waived result keeps its raw status (FAIL stays FAIL in run.json) and shows as
WAIVED with the reason in every report. A malformed waiver is an InputError naming the file, the
entry index and the field. An expired waiver never stops the evidence: it is loaded but not applied,
and each result it would have covered shows its raw status with an "expired waiver (owner, date)"
note in every report that carries notes, so that the acceptance is renewed or removed.

File format (YAML, read with yaml.safe_load)::

    waivers:
      - checks: [efs_access_point_tagged]
        resources: ["arn:aws:elasticfilesystem:eu-west-1:111122223333:access-point/fsap-*"]
        reason: Legacy access points, retired with the migration (JIRA SEC-42)
        owner: storage-team@example.com
        expires: 2027-03-31
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path

from auditor.model.result import Result, Status
from auditor.model.snapshot import InputError

FIELDS = ("checks", "resources", "reason", "owner", "expires")
WAIVABLE = (Status.FAIL, Status.NOT_ASSESSED)


@dataclass(frozen=True)
class Waiver:
    checks: tuple[str, ...]
    resources: tuple[str, ...]
    reason: str
    owner: str
    expires: date
    source: str = ""
    index: int = 0
    expired: bool = False  # expires before the reference date: never applied, only noted

    def matches(self, result: Result) -> bool:
        """Whether the waiver applies to the result (an expired waiver never does)."""
        return not self.expired and self.covers(result)

    @property
    def note(self) -> str:
        return f"expired waiver ({self.owner}, {self.expires.isoformat()}): not applied; {self.reason}"

    def covers(self, result: Result) -> bool:
        return (
            result.status in WAIVABLE
            and result.check_id in self.checks
            and any(fnmatchcase(result.resource_id, p) for p in self.resources)
        )

    @property
    def label(self) -> str:
        return f"{self.source}#{self.index}"


def load(path: str | Path, today: date | None = None) -> tuple[Waiver, ...]:
    from auditor.inputs import read_text

    return parse(read_text(path, "a waivers YAML file", yaml_input=True, bom=True), str(path), today)


def parse(text: str, source: str = "<waivers>", today: date | None = None) -> tuple[Waiver, ...]:
    from auditor.inputs import yaml_documents

    today = today or date.today()
    docs = yaml_documents(text, source)
    if len(docs) > 1:
        raise InputError(f"{source}: expected one YAML document, found {len(docs)}")
    data = docs[0] if docs else None
    if data is None:
        return ()
    entries = data.get("waivers") if isinstance(data, dict) else data
    if isinstance(data, dict) and set(data) - {"waivers"}:
        raise InputError(f"{source}: {sorted(map(str, set(data) - {'waivers'}))[0]}: unknown top-level field")
    if not isinstance(entries, list):
        raise InputError(f"{source}: waivers: expected a list of waiver entries")
    return tuple(_entry(source, i, e, today) for i, e in enumerate(entries))


def _entry(source: str, i: int, entry: object, today: date) -> Waiver:
    where = f"{source}: waivers[{i}]"
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected a mapping")
    for name in FIELDS:
        if name not in entry or entry[name] in (None, "", []):
            raise InputError(f"{where}.{name}: missing")
    extra = sorted(map(str, set(entry) - set(FIELDS)))
    if extra:
        raise InputError(f"{where}.{extra[0]}: unknown field")
    checks = _strings(where, "checks", entry["checks"])
    resources = _strings(where, "resources", entry["resources"])
    for name in ("reason", "owner"):
        if not isinstance(entry[name], str) or not entry[name].strip():
            raise InputError(f"{where}.{name}: expected text")
    expires = entry["expires"]
    if isinstance(expires, datetime):
        expires = expires.date()
    if isinstance(expires, str):
        try:
            expires = date.fromisoformat(expires)
        except ValueError:
            raise InputError(f"{where}.expires: {expires!r} is not a date (YYYY-MM-DD)") from None
    if not isinstance(expires, date):
        raise InputError(f"{where}.expires: expected a date (YYYY-MM-DD)")
    return Waiver(
        checks=checks,
        resources=resources,
        reason=" ".join(entry["reason"].split()),
        owner=entry["owner"].strip(),
        expires=expires,
        source=source,
        index=i,
        expired=expires < today,
    )


def _strings(where: str, name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InputError(f"{where}.{name}: expected a list of strings")
    return tuple(value)


def validate(waivers: Iterable[Waiver], check_ids: Iterable[str]) -> None:
    """A waiver for a check that does not exist is a typo that would silently waive nothing."""
    known = set(check_ids)
    for w in waivers:
        for c in w.checks:
            if c not in known:
                raise InputError(f"{w.source}: waivers[{w.index}].checks: unknown check id {c!r}")


def match(waivers: Iterable[Waiver], result: Result) -> Waiver | None:
    """The first waiver (in file order) that applies to the result, if any."""
    return next((w for w in waivers if w.matches(result)), None)


def expired_match(waivers: Iterable[Waiver], result: Result) -> Waiver | None:
    """The first expired waiver that would have covered the result, if any."""
    return next((w for w in waivers if w.expired and w.covers(result)), None)
