"""The scheduled job's settings: ``EFS_AUDIT_*`` environment variables, which the invoking event may
override under the same name in lower case (``{"efs_audit_regions": "eu-west-1"}``); other event keys
(the EventBridge envelope) are ignored. Reading them does no work and creates no client."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from auditor.gate import FAIL_ON
from auditor.model.arn import Arn
from auditor.model.result import Severity
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
TIME_BUDGET = "EFS_AUDIT_TIME_BUDGET_SECONDS"  # the CronJob's; set it to activeDeadlineSeconds
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
        if kw["fail_on"] not in FAIL_ON:
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


def collection_budget(context: Any, reserve_seconds: float) -> float | None:
    """Seconds collection may take: the Lambda invocation's remaining time less ``reserve_seconds``."""
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return None
    return max(0.0, context.get_remaining_time_in_millis() / 1000.0 - reserve_seconds)


def deadline_from(env: Mapping[str, str], job: JobSettings) -> float | None:
    """The monotonic time collection stops starting work: EFS_AUDIT_TIME_BUDGET_SECONDS less the reserve."""
    text = env.get(TIME_BUDGET, "").strip()
    if not text:
        return None
    try:
        budget = float(text)
    except ValueError:
        raise SettingsError(f"{TIME_BUDGET}: {text!r} is not a number of seconds") from None
    if budget <= 0:
        raise SettingsError(f"{TIME_BUDGET}: must be positive")
    return time.monotonic() + max(0.0, budget - job.reserve_seconds)
