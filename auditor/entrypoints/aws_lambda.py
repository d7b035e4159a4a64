"""AWS Lambda front door: a scheduled audit that writes its evidence bundle to S3.

Settings come from environment variables (``EFS_AUDIT_*``); the invoking event may override any of
them under the same name in lower case (``{"efs_audit_regions": "eu-west-1"}``); other event keys
(the EventBridge envelope) are ignored. Importing this module does no work and creates no client.

The steps shared with the Kubernetes CronJob entry (``auditor.entrypoints.cronjob``) live here too:
settings, collection through ``auditor.pipeline.collect`` (as ``efs-audit scan``), the exit code of
``scan``, the S3 upload and the Security Hub import.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.model.arn import Arn
from auditor.model.result import AuditRun, Severity, Status
from auditor.params import Params

# Seconds of the invocation kept back from collection for evaluation, rendering and upload.
DEFAULT_RESERVE_SECONDS = 60.0
SETTINGS = (
    "EFS_AUDIT_REGIONS",
    "EFS_AUDIT_ROLE_ARNS",
    "EFS_AUDIT_EXTERNAL_ID",
    "EFS_AUDIT_BUCKET",
    "EFS_AUDIT_PREFIX",
    "EFS_AUDIT_FORMATS",
    "EFS_AUDIT_FAIL_ON",
    "EFS_AUDIT_ALLOW_PARTIAL",
    "EFS_AUDIT_WAIVERS",
    "EFS_AUDIT_BASELINE",
    "EFS_AUDIT_SECURITY_HUB",
    "EFS_AUDIT_RESERVE_SECONDS",
    "EFS_AUDIT_MAX_WORKERS",
    "EFS_AUDIT_MAX_ATTEMPTS",
    "EFS_AUDIT_PARAMS",
    "EFS_AUDIT_OUTPUT_DIR",
    "EFS_AUDIT_K8S_CLUSTER",
    "EFS_AUDIT_KUBECONFIG",
    "EFS_AUDIT_SIGNING_KEY",
)
DEFAULT_FORMATS = ("json", "csv")


def DELIVERY_CONFIG():
    """Bounded clients for the baseline read, the upload and Security Hub, inside the reserve: botocore's
    defaults (60 s timeouts, legacy retries) could outlast it."""
    from botocore.config import Config

    return Config(connect_timeout=5, read_timeout=20, retries={"mode": "standard", "total_max_attempts": 4})


FAIL_ON_NEVER = "never"  # as `efs-audit scan --fail-on never`
SESSION_NAME = "efs-audit"
_TEXT = {
    "EFS_AUDIT_EXTERNAL_ID": "external_id",
    "EFS_AUDIT_BUCKET": "bucket",
    "EFS_AUDIT_WAIVERS": "waivers",
    "EFS_AUDIT_BASELINE": "baseline",
    "EFS_AUDIT_OUTPUT_DIR": "output_dir",
    "EFS_AUDIT_K8S_CLUSTER": "k8s_cluster",
    "EFS_AUDIT_KUBECONFIG": "kubeconfig",
    "EFS_AUDIT_SIGNING_KEY": "signing_key",
}
_FLAGS = {"EFS_AUDIT_ALLOW_PARTIAL": "allow_partial", "EFS_AUDIT_SECURITY_HUB": "security_hub"}
_INTS = {"EFS_AUDIT_MAX_WORKERS": "max_workers", "EFS_AUDIT_MAX_ATTEMPTS": "max_attempts"}


class SettingsError(ValueError):
    """A setting is missing or malformed: the message names it (exit code 2)."""


class DeliveryError(RuntimeError):
    """The bundle could not be written or delivered in full (never reported as success)."""


@dataclass(frozen=True)
class JobSettings:
    regions: tuple[str, ...] = ()  # empty: every region enabled for the account
    role_arns: tuple[str, ...] = ()  # empty: the caller's own account
    external_id: str | None = None
    bucket: str | None = None
    prefix: str = "efs-audit"
    formats: tuple[str, ...] = DEFAULT_FORMATS
    fail_on: str = Severity.HIGH.value
    allow_partial: bool = False
    waivers: str | None = None  # waiver YAML file, as `efs-audit scan --waivers`
    baseline: str | None = (
        None  # "previous" (the newest earlier bundle), an s3:// URI or a path of a run.json
    )
    security_hub: bool = False
    reserve_seconds: float = DEFAULT_RESERVE_SECONDS
    max_workers: int = 8
    max_attempts: int | None = None  # attempts per AWS call (None: the collectors' default)
    params: Params = field(default_factory=Params)
    output_dir: str | None = None
    k8s_cluster: str | None = None  # also collect this Kubernetes cluster (in-cluster credentials)
    kubeconfig: str | None = None  # ... or through this kubeconfig instead
    signing_key: str | None = None  # kms:KEY_ARN or file:KEY.pem: sign each bundle (as --sign)


def load_settings(env: Mapping[str, str], event: Mapping[str, Any] | None = None) -> JobSettings:
    """Environment first, then the event's lower-case overrides; an unknown ``efs_audit_*`` key fails."""
    raw: dict[str, Any] = {k: v for k, v in env.items() if k in SETTINGS}
    for key, value in (event or {}).items():
        if isinstance(key, str) and key.lower().startswith("efs_audit_"):
            if key.upper() not in SETTINGS or key != key.lower():
                raise SettingsError(
                    f"event: unknown setting {key!r} (known: {', '.join(s.lower() for s in SETTINGS)})"
                )
            raw[key.upper()] = value
    kw: dict[str, Any] = {
        attr: str(raw[n]).strip() for n, attr in _TEXT.items() if str(raw.get(n) or "").strip()
    }
    kw.update({attr: _bool(raw, n) for n, attr in _FLAGS.items() if n in raw})
    kw.update({attr: _number(raw, n, int, 1) for n, attr in _INTS.items() if n in raw})
    if "EFS_AUDIT_REGIONS" in raw:
        kw["regions"] = _list(raw, "EFS_AUDIT_REGIONS")
    if "EFS_AUDIT_ROLE_ARNS" in raw:
        kw["role_arns"] = _list(raw, "EFS_AUDIT_ROLE_ARNS")
        bad = [a for a in kw["role_arns"] if not ((arn := Arn.maybe(a)) and arn.resource.startswith("role/"))]
        if bad:
            raise SettingsError(f"EFS_AUDIT_ROLE_ARNS: {bad[0]!r} is not an IAM role ARN")
    if "EFS_AUDIT_PREFIX" in raw:
        kw["prefix"] = str(raw["EFS_AUDIT_PREFIX"]).strip().strip("/")
    if "EFS_AUDIT_FORMATS" in raw:
        from auditor.report import FORMATS

        kw["formats"] = _list(raw, "EFS_AUDIT_FORMATS") or DEFAULT_FORMATS
        unknown = [f for f in kw["formats"] if f not in FORMATS]
        if unknown:
            raise SettingsError(
                f"EFS_AUDIT_FORMATS: unknown format {unknown[0]!r} (known: {', '.join(FORMATS)})"
            )
    if "EFS_AUDIT_FAIL_ON" in raw:
        kw["fail_on"] = str(raw["EFS_AUDIT_FAIL_ON"]).strip().lower()
        if kw["fail_on"] != FAIL_ON_NEVER and kw["fail_on"] not in {s.value for s in Severity}:
            raise SettingsError(f"EFS_AUDIT_FAIL_ON: {kw['fail_on']!r} is not a severity or 'never'")
    if "EFS_AUDIT_RESERVE_SECONDS" in raw:
        kw["reserve_seconds"] = _number(raw, "EFS_AUDIT_RESERVE_SECONDS", float, 0)
    if str(raw.get("EFS_AUDIT_PARAMS") or "").strip():
        value = raw["EFS_AUDIT_PARAMS"]
        try:
            kw["params"] = Params.model_validate(json.loads(value) if isinstance(value, str) else value)
        except ValueError as exc:  # JSONDecodeError and pydantic's ValidationError
            raise SettingsError(f"EFS_AUDIT_PARAMS: {str(exc).splitlines()[0]}") from None
    job = JobSettings(**kw)
    if job.signing_key:
        signer(job)  # a malformed or unreadable key is a bad setting, found before collecting
    if job.security_hub and "asff" not in job.formats:  # the bundle keeps what was imported
        job = replace(job, formats=(*job.formats, "asff"))
    return job


def signer(job: JobSettings, session_factory=None):
    """The bundle signer of EFS_AUDIT_SIGNING_KEY (None when unset)."""
    from auditor.model.snapshot import InputError
    from auditor.report.signing import signer_from

    try:
        return signer_from(job.signing_key, session_factory)
    except InputError as exc:
        raise SettingsError(
            f"EFS_AUDIT_SIGNING_KEY: {str(exc).replace('--sign: ', '').replace('--sign ', '')}"
        ) from None


def _list(raw: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = raw[name]
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return tuple(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))


def _bool(raw: Mapping[str, Any], name: str) -> bool:
    value = raw[name]
    text = str(value).strip().lower()
    if value is True or text in ("1", "true", "yes", "on"):
        return True
    if value is False or text in ("", "0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}: {value!r} is not true or false")


def _number(raw: Mapping[str, Any], name: str, kind: type, minimum: float) -> Any:
    try:
        number = kind(raw[name])
    except (TypeError, ValueError):
        raise SettingsError(f"{name}: {raw[name]!r} is not a number") from None
    if number < minimum:
        raise SettingsError(f"{name}: must be at least {minimum}")
    return number


# --- the shared scheduled run ------------------------------------------------------------------


def log(milestone: str, **fields: Any) -> None:
    """One JSON line per milestone on stdout (CloudWatch Logs / kubectl logs)."""
    sys.stdout.write(
        json.dumps({"logger": "efs-audit", "milestone": milestone, **fields}, default=str, sort_keys=True)
        + "\n"
    )
    sys.stdout.flush()


def report_options(catalogue, job: JobSettings):
    """Report options as `scan` builds them; a bad waiver file is bad input, found before collecting."""
    from auditor.report.output import options_from

    return options_from(catalogue, waivers=Path(job.waivers) if job.waivers else None)


def collect(job: JobSettings, deadline: float | None):
    """AWS (and the cluster, when configured) through the pipeline's collect, as `efs-audit scan`."""
    from auditor.collectors.aws import AwsSettings, RoleTarget
    from auditor.model.snapshot import merge
    from auditor.pipeline import CollectSettings
    from auditor.pipeline import collect as run_collect

    targets = tuple(RoleTarget(arn, job.external_id, SESSION_NAME) for arn in job.role_arns)
    extra = {"max_attempts": job.max_attempts} if job.max_attempts else {}
    aws = AwsSettings(
        regions=job.regions, role_targets=targets, max_workers=job.max_workers, deadline=deadline, **extra
    )
    snapshot = run_collect(CollectSettings(aws=aws))
    if job.k8s_cluster:
        from auditor.entrypoints.cronjob import collect_cluster

        snapshot = merge(snapshot, collect_cluster(job.k8s_cluster, deadline, job.kubeconfig))
    return snapshot


PREVIOUS = "previous"
NO_EARLIER_RUN = "no earlier run to compare with"
PREVIOUS_TRIES = 30  # earlier runs read at most, newest first, looking for a complete one


def s3_for_baseline(job: JobSettings, session_factory):
    """The S3 client load_baseline needs, or None when the baseline is not in S3."""
    if job.baseline and (job.baseline.startswith("s3://") or (job.baseline == PREVIOUS and job.bucket)):
        return session_factory().client("s3", config=DELIVERY_CONFIG())
    return None


def load_baseline(job: JobSettings, s3=None) -> tuple[AuditRun | None, str | None, str | None]:
    """(run, where it came from, why there is none) for ``EFS_AUDIT_BASELINE``, read before collecting.

    ``previous``: the newest earlier bundle's ``run.json`` under the prefix in the bucket (else in
    ``EFS_AUDIT_OUTPUT_DIR``) whose collection was complete, so that what one incomplete run could not
    reassess is still compared the next time; bundle prefixes are date-stamped, so keys sort by time.
    An earlier run that cannot be read is passed over with a note: it must not stop every later audit.
    An explicit ``s3://bucket/key`` or path must be readable and a run, else a SettingsError naming it.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from auditor.model.snapshot import InputError

    spec = job.baseline
    if not spec:
        return None, None, None
    if spec != PREVIOUS:
        try:
            return _read_run(spec, s3), spec, None
        except (ClientError, BotoCoreError, InputError) as exc:
            raise SettingsError(f"EFS_AUDIT_BASELINE: {spec}: cannot be read: {exc}") from None
    try:
        if job.bucket:
            listed = _listing(s3, job.bucket, f"{job.prefix}/" if job.prefix else "")
            sources = [
                f"s3://{job.bucket}/{k}" for k in sorted(listed, reverse=True) if k.endswith("/run.json")
            ]
        else:
            found = Path(job.output_dir).glob("*/run.json") if job.output_dir else []
            sources = [str(p) for p in sorted(found, reverse=True)]
    except (ClientError, BotoCoreError, OSError) as exc:  # the upload will tell whether the bucket works
        return None, None, f"earlier runs could not be listed: {exc}"
    skipped, newest = [], None
    for source in sources[:PREVIOUS_TRIES]:
        try:
            run = _read_run(source, s3)
        except (ClientError, BotoCoreError, InputError) as exc:
            skipped.append(f"{source}: {exc}")
            continue
        newest = newest or (run, source)
        if run.complete:
            return run, source, "; ".join(skipped) or None
    if newest:
        return (
            newest[0],
            newest[1],
            f"no complete run among the last {PREVIOUS_TRIES}: compared with the newest",
        )
    return None, None, "; ".join(skipped) or NO_EARLIER_RUN


def _read_run(source: str, s3) -> AuditRun:
    from auditor.model.snapshot import InputError
    from auditor.report.baseline import load_run, loads_run

    if not source.startswith("s3://"):
        return load_run(source)
    bucket, _, key = source[5:].partition("/")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{source}: not UTF-8 text") from None
    return loads_run(text, source)


def with_baseline(options, run: AuditRun, previous: AuditRun | None, source: str | None, note: str | None):
    """Report options comparing with the baseline, and the summary's baseline entry. A baseline that
    shares no scope with this run (the estate changed) is left out and said so, never compared."""
    from auditor.model.snapshot import InputError
    from auditor.report import baseline as baseline_mod

    if previous is None:
        return options, {"source": None, "note": note}
    try:
        cmp = baseline_mod.compare(run, previous)
    except InputError as exc:
        return options, {"source": source, "note": str(exc)}
    counts = {k.lower(): v for k, v in cmp.counts().items()}
    return replace(options, baseline=previous), {
        "source": source,
        **counts,
        **({"note": note} if note else {}),
    }


def status_counts(run: AuditRun) -> dict[str, int]:
    counts = Counter(r.status.value for r in run.results)
    return {s.value: counts.get(s.value, 0) for s in Status}


def failing(run: AuditRun, catalogue, job: JobSettings) -> int:
    """Unwaived FAIL results at or above fail-on (what makes exit code 1)."""
    from auditor.report.output import failing as unwaived_failures

    if job.fail_on == FAIL_ON_NEVER:
        return 0
    threshold = Severity(job.fail_on).rank
    waivers = Path(job.waivers) if job.waivers else None
    return sum(1 for r in unwaived_failures(run, catalogue, waivers=waivers) if r.severity.rank >= threshold)


def exit_code(run: AuditRun, job: JobSettings) -> int:
    """The codes of ``efs-audit scan``: 0 clean, 1 findings at or above fail-on, 3 incomplete."""
    from auditor.entrypoints.cli import exit_code as scan_exit_code

    return scan_exit_code(run, job.fail_on, job.allow_partial, Path(job.waivers) if job.waivers else None)


def run_key_prefix(prefix: str, started: datetime) -> str:
    """``<prefix>/<YYYY>/<MM>/<DD>/<run-timestamp>/``"""
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    return "/".join(p for p in (prefix.strip("/"), started.strftime("%Y/%m/%d"), stamp) if p) + "/"


def upload_bundle(s3, bundle_dir: Path, bucket: str, key_prefix: str) -> list[str]:
    """Upload every file of the bundle under a prefix that must be empty (bundles are never overwritten),
    then list the prefix back: every key must be there with its size, or the upload failed."""
    from botocore.exceptions import BotoCoreError, ClientError

    files = sorted(p for p in Path(bundle_dir).rglob("*") if p.is_file())
    if not files:
        raise DeliveryError(f"{bundle_dir}: the bundle is empty")
    expected = {key_prefix + p.relative_to(bundle_dir).as_posix(): p for p in files}
    try:
        if _listing(s3, bucket, key_prefix):
            raise DeliveryError(
                f"s3://{bucket}/{key_prefix}: already holds objects; bundles are never overwritten"
            )
        for key, path in expected.items():
            with path.open("rb") as body:
                s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=_content_type(path))
        found = _listing(s3, bucket, key_prefix)
    except (ClientError, BotoCoreError) as exc:
        raise DeliveryError(f"s3://{bucket}/{key_prefix}: upload failed: {exc}") from exc
    wrong = sorted(k for k, p in expected.items() if found.get(k) != p.stat().st_size)
    if wrong:
        raise DeliveryError(
            f"s3://{bucket}/{key_prefix}: {len(wrong)} of {len(expected)} objects missing "
            f"or incomplete after upload, first {wrong[0]}"
        )
    return sorted(expected)


def put_index(s3, job: JobSettings, bundle: Path, key_prefix: str) -> str:
    """The run's index entry (auditor.report.history) next to the uploaded bundle."""
    from botocore.exceptions import BotoCoreError, ClientError

    from auditor.report.history import put_index_s3

    try:
        return put_index_s3(s3, job.bucket, job.prefix, bundle, key_prefix)
    except (ClientError, BotoCoreError) as exc:
        raise DeliveryError(f"s3://{job.bucket}/{job.prefix}/index/: index upload failed: {exc}") from exc


def _listing(s3, bucket: str, prefix: str) -> dict[str, int]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {o["Key"]: o["Size"] for page in pages for o in page.get("Contents", [])}


def _content_type(path: Path) -> str:
    return {
        ".json": "application/json",
        ".csv": "text/csv",
        ".html": "text/html",
        ".md": "text/markdown",
        ".sarif": "application/sarif+json",
        ".txt": "text/plain",
        ".xml": "application/xml",
    }.get(path.suffix, "application/octet-stream")


def import_security_hub(session, run: AuditRun, catalogue, options) -> dict[str, int]:
    """BatchImportFindings with the ASFF findings of every result, 100 per call; any rejected finding
    is an error. FAIL and NOT_ASSESSED arrive FAILED / NOT_AVAILABLE; PASS arrives PASSED, which turns
    the finding a previous run imported for the same check and resource PASSED.

    With the default product ARN Security Hub accepts only findings whose AwsAccountId is the caller's
    account: those are imported under this account's and region's product ARN; findings about other
    (assumed-role) accounts are counted as ``other_accounts`` and left to their own deployment.
    """
    from auditor.report import render

    # PASS results too: the import of a PASS is what turns the finding of a fixed problem PASSED
    findings = json.loads(render("asff", run, catalogue, replace(options, include_pass=True)))
    account = session.client("sts", config=DELIVERY_CONFIG()).get_caller_identity()["Account"]
    hub = session.client("securityhub", config=DELIVERY_CONFIG())
    region, partition = hub.meta.region_name, hub.meta.partition
    product = str(Arn(partition, "securityhub", region, account, f"product/{account}/default"))
    own = [{**f, "ProductArn": product} for f in findings if f.get("AwsAccountId") == account]
    imported = failed = 0
    for start in range(0, len(own), 100):
        answer = hub.batch_import_findings(Findings=own[start : start + 100])
        imported += answer.get("SuccessCount", 0)
        failed += answer.get("FailedCount", 0)
    if failed:
        raise DeliveryError(f"Security Hub rejected {failed} of {len(own)} findings")
    return {"imported": imported, "failed": failed, "other_accounts": len(findings) - len(own)}


def collection_budget(context: Any, reserve_seconds: float) -> float | None:
    """Seconds collection may take: the invocation's remaining time less ``reserve_seconds``."""
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return None
    return max(0.0, context.get_remaining_time_in_millis() / 1000.0 - reserve_seconds)


# --- the handler ---------------------------------------------------------------------------------


def handler(event: Any, context: Any) -> dict[str, Any]:
    import boto3

    from auditor import catalog
    from auditor.model.snapshot import dumps
    from auditor.pipeline import evaluate
    from auditor.report.bundle import verify_bundle, write_bundle

    started = datetime.now(UTC).replace(microsecond=0)
    request_id = getattr(context, "aws_request_id", None)
    try:
        job = load_settings(os.environ, event if isinstance(event, Mapping) else None)
        if not job.bucket:
            raise SettingsError("EFS_AUDIT_BUCKET: required (the bucket that receives the bundle)")
        if job.k8s_cluster and importlib.util.find_spec("kubernetes") is None:
            raise SettingsError(
                "EFS_AUDIT_K8S_CLUSTER: the Lambda package has no Kubernetes client; collect "
                "clusters with the CronJob (samples/deploy/kubernetes) instead"
            )
        budget = collection_budget(context, job.reserve_seconds)
        deadline = None if budget is None else time.monotonic() + budget
        catalogue = catalog.load()
        options = report_options(catalogue, job)
        session = boto3.Session()
        previous, baseline_source, baseline_note = load_baseline(job, s3_for_baseline(job, lambda: session))
        log(
            "start",
            request_id=request_id,
            regions=list(job.regions),
            role_arns=list(job.role_arns),
            bucket=job.bucket,
            reserve_seconds=job.reserve_seconds,
            collection_seconds=budget,
        )
        snapshot = collect(job, deadline)
        log(
            "collected",
            units=len(snapshot.units),
            issues=len(snapshot.issues),
            timeouts=sum(1 for i in snapshot.issues if i.error_code == "Timeout"),
        )
        run = evaluate(snapshot, job.params, catalogue)
        counts, code = status_counts(run), exit_code(run, job)
        compared = None
        if job.baseline:
            options, compared = with_baseline(options, run, previous, baseline_source, baseline_note)
        log("evaluated", counts=counts, complete=run.complete, exit_code=code, baseline=compared)
        key_prefix = run_key_prefix(job.prefix, started)
        with tempfile.TemporaryDirectory(prefix="efs-audit-") as tmp:
            bundle = write_bundle(
                Path(tmp) / "bundle",
                run,
                dumps(snapshot),
                list(job.formats),
                catalogue,
                options,
                signer(job, lambda: session),
            )
            problems = verify_bundle(bundle)
            if problems:
                raise DeliveryError(f"bundle failed verification: {problems[0]}")
            s3 = session.client("s3", config=DELIVERY_CONFIG())
            keys = upload_bundle(s3, bundle, job.bucket, key_prefix)
            index_key = put_index(s3, job, bundle, key_prefix)
        location = f"s3://{job.bucket}/{key_prefix}"
        log("uploaded", location=location, objects=len(keys))
        hub = None
        if job.security_hub:
            hub = import_security_hub(session, run, catalogue, options)
            log("imported", security_hub=hub)
        summary = {
            "counts": counts,
            "complete": run.complete,
            "issues": len(run.issues),
            "failing": failing(run, catalogue, job),
            "fail_on": job.fail_on,
            "exit_code": code,
            "s3": {
                "bucket": job.bucket,
                "prefix": key_prefix,
                "uri": location,
                "objects": len(keys),
                "index": index_key,
            },
            "security_hub": hub,
            "baseline": compared,
            "run_timestamp": started.isoformat(),
        }
        log("done", **summary)
        return summary
    except Exception as exc:  # logged as one line, then raised: the invocation fails, loudly
        log("failed", error=type(exc).__name__, message=str(exc), request_id=request_id)
        raise
