"""Evidence over time: the run index a scheduled deployment keeps, and the history read back from it.

Next to each bundle a scheduled run writes ``index/<run-id>.json`` under its prefix (one object per
run, so concurrent writers never rewrite one file): run id, times, where the bundle is, the manifest's
content digest, the signature's key, completeness and counts per check. ``history()`` lists the index
entries and the bundles (directories with a manifest.json) under a folder or an S3 prefix, verifies
every bundle in the period (the manifest's own digest, every file, the signature with ``key``), and
counts per check, from the verified run.json only, in how many runs it passed, failed, was not
assessed, or had no result. The index is a listing, never trusted for counts: an entry whose bundle
is gone, or that disagrees with its bundle, is a run failing verification.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from auditor.model.snapshot import InputError

INDEX_DIR = "index"
INDEX_VERSION = "1"
STATUSES = ("PASS", "FAIL", "NOT_ASSESSED")
SCHEDULES = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(weeks=1)}
GAP_FACTOR = 1.5  # without --schedule, a gap longer than this many usual intervals is reported


def per_check(run: dict) -> dict[str, dict[str, int]]:
    """check id -> {PASS, FAIL, NOT_ASSESSED: results} of one run.json document."""
    out: dict[str, Counter] = {}
    for result in run.get("results", []):
        out.setdefault(result["check_id"], Counter())[result["status"]] += 1
    return {c: {s: n.get(s, 0) for s in STATUSES} for c, n in sorted(out.items())}


def run_status(counts: dict[str, int] | None) -> str:
    """A check's status in one run: FAIL if any result failed, else NOT_ASSESSED if any was not
    assessed, PASS if every result passed, NO_RESULT when the check had nothing to evaluate."""
    if not counts or not any(counts.values()):
        return "NO_RESULT"
    return "FAIL" if counts["FAIL"] else "NOT_ASSESSED" if counts["NOT_ASSESSED"] else "PASS"


def index_entry(bundle_dir: Path, bundle_location: str) -> tuple[str, dict]:
    """(key under the prefix, document) of the index entry of a verified bundle."""
    from auditor.report.bundle import SELF_DIGEST, SIGNATURE, manifest_digest, read_manifest

    manifest, problems = read_manifest(bundle_dir)
    if manifest is None or problems:
        raise InputError(f"{bundle_dir}: cannot index: {problems[0]}")
    signature = None
    if (bundle_dir / SIGNATURE).is_file():
        sig = json.loads((bundle_dir / SIGNATURE).read_text(encoding="utf-8"))
        signature = {k: sig.get(k) for k in ("method", "algorithm", "key_id", "signer", "signed_at")}
    run = json.loads((bundle_dir / "run.json").read_text(encoding="utf-8"))
    doc = {
        "index_version": INDEX_VERSION,
        "run_id": manifest["run_id"],
        "generated_at": manifest["run_generated_at"],
        "written_at": manifest["written_at"],
        "bundle": bundle_location.strip("/") + "/",
        "manifest_content_sha256": manifest[SELF_DIGEST],
        "manifest_sha256": manifest_digest(bundle_dir),
        "signature": signature,
        "complete": manifest["complete"],
        "collection_issues": manifest["collection_issues"],
        "result_counts": manifest["result_counts"],
        "checks": per_check(run),
    }
    return f"{INDEX_DIR}/{manifest['run_id']}.json", doc


# --- where runs are kept --------------------------------------------------------------------------


class LocalStore:
    def __init__(self, root: Path):
        if not root.is_dir():
            raise InputError(f"{root}: not a directory")
        self.root, self.name = root, str(root)

    def keys(self) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def bundle(self, directory: str, keys: list[str]) -> Path:
        return self.root / directory


class S3Store:
    def __init__(self, uri: str, s3=None):
        import boto3

        bucket, _, prefix = uri[5:].partition("/")
        if not bucket:
            raise InputError(f"{uri}: expected s3://BUCKET/PREFIX")
        self.bucket, self.prefix, self.name = (
            bucket,
            prefix.strip("/") + "/" if prefix.strip("/") else "",
            uri,
        )
        self.s3 = s3 or boto3.Session().client("s3")
        self.tmp = Path(tempfile.mkdtemp(prefix="efs-audit-history-"))

    def _call(self, what, fn, **kw):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(**kw)
        except (ClientError, BotoCoreError) as exc:
            raise InputError(f"{self.name}: cannot {what}: {exc}") from None

    def keys(self) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        listed = self._call("list", lambda: [o["Key"] for page in pages for o in page.get("Contents", [])])
        return sorted(k[len(self.prefix) :] for k in listed)

    def read(self, key: str) -> bytes:
        answer = self._call("read " + key, self.s3.get_object, Bucket=self.bucket, Key=self.prefix + key)
        return answer["Body"].read()

    def bundle(self, directory: str, keys: list[str]) -> Path:
        target = self.tmp / directory
        target.mkdir(parents=True, exist_ok=True)
        for key in keys:
            (target / PurePosixPath(key).name).write_bytes(self.read(key))
        return target

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def open_store(location: str, s3=None):
    return S3Store(location, s3) if location.startswith("s3://") else LocalStore(Path(location))


# --- the history ----------------------------------------------------------------------------------


@dataclass
class RunRecord:
    run_id: str | None
    generated_at: datetime | None
    bundle: str
    indexed: bool
    problems: list[str] = field(default_factory=list)
    signature: str | None = None
    complete: bool | None = None
    checks: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return not self.problems


def _time(text, where: str) -> datetime:
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{where}: {text!r} is not a date or time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _bundles(keys: list[str]) -> dict[str, list[str]]:
    dirs: dict[str, list[str]] = {}
    for key in keys:
        parent = str(PurePosixPath(key).parent)
        dirs.setdefault("" if parent == "." else parent, []).append(key)
    return {
        d: files
        for d, files in dirs.items()
        if any(f.endswith("/manifest.json") or f == "manifest.json" for f in files)
        and not d.startswith(INDEX_DIR)
    }


def _verify(store, directory: str, files: list[str], key: str | None, record: RunRecord) -> dict | None:
    from auditor.report.bundle import read_manifest, verify_bundle
    from auditor.report.signing import check

    path = store.bundle(directory, files)
    record.problems += verify_bundle(path)
    manifest = read_manifest(path)[0]
    if manifest is None:
        return None
    outcome = check(path, manifest, key) if key and not record.problems else None
    if outcome is not None and not outcome.ok:
        record.problems.append(outcome.line)
    if (path / "manifest.sig").is_file():
        record.signature = (manifest.get("signing") or {}).get("key_id")
    record.run_id = record.run_id or manifest.get("run_id")
    record.generated_at = record.generated_at or _time(
        manifest.get("run_generated_at"), f"{directory}/manifest.json"
    )
    record.complete = manifest.get("complete")
    try:
        record.checks = per_check(json.loads((path / "run.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        record.problems.append("run.json: missing or not a run")
    return manifest


def history(
    location: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    schedule: str | None = None,
    key: str | None = None,
    s3=None,
    now: datetime | None = None,
) -> dict:
    store = open_store(location, s3)
    try:
        return _history(store, since, until, schedule, key, now or datetime.now(UTC))
    finally:
        getattr(store, "close", lambda: None)()


def _history(store, since, until, schedule, key, now) -> dict:
    from auditor.report.bundle import SELF_DIGEST

    interval = parse_schedule(schedule) if schedule else None
    keys = store.keys()
    bundles = _bundles(keys)
    records: list[RunRecord] = []
    seen: set[str] = set()
    for name in (k for k in keys if k.startswith(f"{INDEX_DIR}/") and k.endswith(".json")):
        try:
            entry = json.loads(store.read(name).decode("utf-8"))
            generated = _time(entry["generated_at"], name)
            directory = str(entry["bundle"]).strip("/")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, InputError):
            records.append(
                RunRecord(PurePosixPath(name).stem, None, name, True, [f"{name}: not an index entry"])
            )
            continue
        if not _in_period(generated, since, until):
            seen.add(directory)
            continue
        record = RunRecord(entry.get("run_id"), generated, directory, True)
        seen.add(directory)
        if directory not in bundles:
            record.problems.append(
                f"bundle missing: the index names {directory}/, which holds no manifest.json"
            )
        else:
            manifest = _verify(store, directory, bundles[directory], key, record)
            if manifest is not None and not record.problems:
                if entry.get("manifest_content_sha256") != manifest.get(SELF_DIGEST):
                    record.problems.append(f"{name}: names another manifest than the bundle's")
                elif entry.get("checks") != record.checks:
                    record.problems.append(f"{name}: its counts differ from the bundle's run.json")
        records.append(record)
    for directory in sorted(set(bundles) - seen):
        record = RunRecord(None, None, directory, False)
        _verify(store, directory, bundles[directory], key, record)
        if record.generated_at is None or _in_period(record.generated_at, since, until):
            records.append(record)
    records.sort(key=lambda r: (r.generated_at or datetime.min.replace(tzinfo=UTC), r.bundle))
    return _summary(records, since, until or (now if interval else None), interval, schedule)


def _in_period(when: datetime, since, until) -> bool:
    return (since is None or when >= since) and (until is None or when < until)


def parse_schedule(text: str) -> timedelta:
    """hourly, daily, weekly, or a number with h or d (12h, 2d), or rate(N hours|days)."""
    if text in SCHEDULES:
        return SCHEDULES[text]
    match = re.fullmatch(r"(?:rate\()?\s*(\d+)\s*(h|hours?|d|days?)\s*\)?", text.strip())
    if not match or int(match.group(1)) == 0:
        raise InputError(
            f"--schedule: {text!r}: expected hourly, daily, weekly, Nh, Nd or rate(N hours|days)"
        )
    n = int(match.group(1))
    return timedelta(hours=n) if match.group(2).startswith("h") else timedelta(days=n)


def _missing(times: list[datetime], since, until, interval, schedule) -> list[dict]:
    if interval is not None:
        if not times and since is None:
            return []
        start = since or min(times).replace(hour=0, minute=0, second=0, microsecond=0)
        end = until or max(times)
        slots = set()
        for t in times:
            slots.add(int((t - start) / interval))
        out, k = [], 0
        while start + (k + 1) * interval <= end:  # whole slots of the period only
            if k not in slots:
                out.append(
                    {
                        "from": (start + k * interval).isoformat(),
                        "until": (start + (k + 1) * interval).isoformat(),
                        "reason": f"no run in this {schedule} slot",
                    }
                )
            k += 1
        return out
    if len(times) < 3:
        return []
    gaps = [b - a for a, b in zip(times, times[1:])]
    usual = statistics.median(gaps)
    return [
        {
            "from": a.isoformat(),
            "until": b.isoformat(),
            "reason": f"gap of {_span(b - a)} between runs (usual interval {_span(usual)})",
        }
        for a, b, gap in zip(times, times[1:], gaps)
        if usual and gap > usual * GAP_FACTOR
    ]


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:g}d" if hours >= 48 else f"{hours:g}h"


def _summary(records: list[RunRecord], since, until, interval, schedule) -> dict:
    from auditor import catalog

    catalogue = catalog.load()
    verified = [r for r in records if r.verified]
    checks = sorted(set(catalogue.checks) | {c for r in verified for c in r.checks})
    per: dict[str, dict] = {}
    for check_id in checks:
        counts = Counter(run_status(r.checks.get(check_id)) for r in verified)
        meta = catalogue.checks.get(check_id)
        per[check_id] = {
            **{s: counts.get(s, 0) for s in (*STATUSES, "NO_RESULT")},
            "controls": sorted(
                f"{fw} {c}" for fw, cs in (meta.frameworks if meta else {}).items() for c in cs
            ),
        }
    times = [r.generated_at for r in records if r.generated_at is not None]
    return {
        "period": {
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "schedule": schedule,
        },
        "runs": [
            {
                "run_id": r.run_id,
                "generated_at": r.generated_at.isoformat() if r.generated_at else None,
                "bundle": r.bundle,
                "indexed": r.indexed,
                "verified": r.verified,
                "problems": r.problems,
                "signed_by": r.signature,
                "complete": r.complete,
            }
            for r in records
        ],
        "totals": {
            "runs": len(records),
            "verified": len(verified),
            "failing_verification": len(records) - len(verified),
            "complete": sum(1 for r in verified if r.complete),
        },
        "checks": per,
        "missing": _missing(sorted(times), since, until, interval, schedule),
    }


# --- writing the index (scheduled runs) -----------------------------------------------------------


def write_index_local(root: Path, bundle_dir: Path) -> Path:
    """``<root>/index/<run-id>.json`` for a bundle under root; never overwrites (O_EXCL)."""
    import os

    key, doc = index_entry(bundle_dir, bundle_dir.resolve().relative_to(root.resolve()).as_posix())
    path = root / key
    path.parent.mkdir(exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return path


def put_index_s3(s3, bucket: str, prefix: str, bundle_dir: Path, bundle_key_prefix: str) -> str:
    """``<prefix>/index/<run-id>.json`` for a bundle uploaded under bundle_key_prefix; returns the key."""
    base = prefix.strip("/") + "/" if prefix.strip("/") else ""
    key, doc = index_entry(bundle_dir, bundle_key_prefix[len(base) :])
    s3.put_object(
        Bucket=bucket,
        Key=base + key,
        Body=(json.dumps(doc, indent=1, sort_keys=True) + "\n").encode(),
        ContentType="application/json",
    )
    return base + key
