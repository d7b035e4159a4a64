"""The run a scheduled audit compares with (``EFS_AUDIT_BASELINE``): read before collecting."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from auditor.model.result import AuditRun
from auditor.model.snapshot import InputError
from auditor.scheduled.aws import listing
from auditor.scheduled.settings import JobSettings, SettingsError

PREVIOUS = "previous"
NO_EARLIER_RUN = "no earlier run to compare with"
PREVIOUS_TRIES = 30  # earlier runs read at most, newest first, looking for a complete one


def needs_s3(job: JobSettings) -> bool:
    """Whether load_baseline reads S3 (an s3:// baseline, or earlier bundles in the bucket)."""
    return bool(job.baseline) and (
        job.baseline.startswith("s3://") or (job.baseline == PREVIOUS and bool(job.bucket))
    )


def load_baseline(job: JobSettings, s3=None) -> tuple[AuditRun | None, str | None, str | None]:
    """(run, where it came from, why there is none) for ``EFS_AUDIT_BASELINE``, read before collecting.

    ``previous``: the newest earlier bundle's ``run.json`` under the prefix in the bucket (else in
    ``EFS_AUDIT_OUTPUT_DIR``) whose collection was complete, so that what one incomplete run could not
    reassess is still compared the next time; bundle prefixes are date-stamped, so keys sort by time.
    An earlier run that cannot be read is passed over with a note: it must not stop every later audit.
    An explicit ``s3://bucket/key`` or path must be readable and a run, else a SettingsError naming it.
    """
    from botocore.exceptions import BotoCoreError, ClientError

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
            listed = listing(s3, job.bucket, f"{job.prefix}/" if job.prefix else "")
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
