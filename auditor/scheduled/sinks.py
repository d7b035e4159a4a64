"""Where a scheduled run's evidence bundle goes: S3 (never over another bundle, read back after the
upload) with its index entry, and Security Hub. Clients are passed in."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from auditor.model.arn import Arn
from auditor.model.result import AuditRun
from auditor.scheduled.aws import client, listing
from auditor.scheduled.settings import JobSettings


class DeliveryError(RuntimeError):
    """The bundle could not be written or delivered in full (never reported as success)."""


def run_key_prefix(prefix: str, started: datetime, run_id: str) -> str:
    """``<prefix>/<YYYY>/<MM>/<DD>/<run id>/``: the run id (auditor.report.bundle.run_id: the run's time
    and its run.json digest) makes two runs started in the same second two prefixes, and keys still
    sort by time."""
    return "/".join(p for p in (prefix.strip("/"), started.strftime("%Y/%m/%d"), run_id) if p) + "/"


def upload_bundle(s3, bundle_dir: Path, bucket: str, key_prefix: str) -> list[str]:
    """Upload every file of the bundle under a prefix that must be empty (bundles are never overwritten),
    then list the prefix back: every key must be there with its size, or the upload failed."""
    from botocore.exceptions import BotoCoreError, ClientError

    files = sorted(p for p in Path(bundle_dir).rglob("*") if p.is_file())
    if not files:
        raise DeliveryError(f"{bundle_dir}: the bundle is empty")
    expected = {key_prefix + p.relative_to(bundle_dir).as_posix(): p for p in files}
    try:
        if listing(s3, bucket, key_prefix):
            raise DeliveryError(
                f"s3://{bucket}/{key_prefix}: already holds objects; bundles are never overwritten"
            )
        for key, path in expected.items():
            with path.open("rb") as body:
                s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=_content_type(path))
        found = listing(s3, bucket, key_prefix)
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
    account = client(session, "sts").get_caller_identity()["Account"]
    hub = client(session, "securityhub")
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
