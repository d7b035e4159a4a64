"""collect_aws: open each account, fan (unit, service) tasks out over one bounded thread pool, and
assemble the Snapshot. Units never depend on one another's success."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime

import boto3
from botocore.exceptions import BotoCoreError

from auditor import __version__
from auditor.collectors.aws import backup, bounds, ec2, ecs, efs, eks, iam, lambda_
from auditor.collectors.aws.credentials import profile_error
from auditor.collectors.aws.operations import Api, CallCounter
from auditor.collectors.aws.unit import CALL_ERRORS, Account, Unit, error_of, one_line
from auditor.model.ids import account_of, parse_arn
from auditor.model.scope import UNKNOWN_ACCOUNT, aws_scope
from auditor.model.snapshot import CollectionIssue, CollectionUnit, InputError, Snapshot

# Explicit registry of region services, in the order their results are assembled.
REGION_SERVICES: dict[str, Callable[[Unit], dict]] = {
    "efs": efs.collect,
    "ec2": ec2.collect,
    "ecs": ecs.collect,
    "lambda": lambda_.collect,
    "eks": eks.collect,
    "backup": backup.collect,
}
DEFAULT_API_REGION = "us-east-1"


@dataclass(frozen=True)
class RoleTarget:
    arn: str
    external_id: str | None = None
    session_name: str = "efs-audit"

    @classmethod
    def parse(cls, value: str, external_id: str | None = None, session_name: str = "efs-audit") -> RoleTarget:
        """``ARN[,EXTERNAL_ID[,SESSION_NAME]]``; an empty or missing part takes the given default."""
        parts = [p.strip() for p in value.split(",")]
        arn = parse_arn(parts[0])
        if (
            len(parts) > 3
            or arn is None
            or arn.service != "iam"
            or arn.region
            or not arn.account.isdigit()
            or len(arn.account) != 12
            or not arn.resource.startswith("role/")
            or arn.resource == "role/"
        ):
            raise InputError(
                f"--role-arn: {value!r} is not ARN[,EXTERNAL_ID[,SESSION_NAME]] with an IAM "
                "role ARN (arn:aws:iam::<12-digit account>:role/<name>)"
            )
        parts += ["", ""]
        return cls(parts[0], parts[1] or external_id, parts[2] or session_name)


@dataclass(frozen=True)
class AwsSettings:
    profile: str | None = None
    regions: tuple[str, ...] = ()  # empty: every region enabled for the account (ec2 DescribeRegions)
    role_targets: tuple[RoleTarget, ...] = ()  # empty: the caller's own account only
    max_workers: int = 8
    deadline: float | None = None  # time.monotonic() value: the run's end, enforced on calls in flight too
    max_attempts: int = bounds.Limits.max_attempts  # botocore standard-mode attempts per call
    page_size: int | None = None  # PaginationConfig PageSize for every paginated call (None: AWS default)
    connect_timeout: float = bounds.Limits.connect_timeout  # seconds, per attempt
    read_timeout: float = bounds.Limits.read_timeout  # seconds of silence, per attempt
    call_timeout: float = bounds.Limits.call_timeout  # wall-clock seconds per attempt, body included
    retry_quota: int = bounds.Limits.retry_quota  # retry tokens per client (botocore's default: 500)
    throttle_base: float = bounds.Limits.throttle_base  # seconds, first back-off after a throttle (x rand)
    retry_mode: str = bounds.Limits.retry_mode  # "standard"; "adaptive" only to measure botocore's own

    def limits(self) -> bounds.Limits:
        return bounds.Limits(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            call_timeout=self.call_timeout,
            max_attempts=self.max_attempts,
            retry_quota=self.retry_quota,
            throttle_base=self.throttle_base,
            retry_mode=self.retry_mode,
            max_pool_connections=max(10, self.max_workers * 2),
        )


_last = {"counter": CallCounter()}
_last_lock = threading.Lock()


def last_call_counts() -> dict[tuple[str, str], int]:
    """API calls per (service, operation) made by the most recent collect_aws in this process."""
    with _last_lock:
        return _last["counter"].counts()


@dataclass
class _Run:
    settings: AwsSettings
    counter: CallCounter
    limits: bounds.Limits
    units: list[Unit] = field(default_factory=list)
    failed_units: list[CollectionUnit] = field(default_factory=list)
    issues: list[CollectionIssue] = field(default_factory=list)


def collect_aws(settings: AwsSettings, progress: Callable[[str], None] | None = None) -> Snapshot:
    say = progress or (lambda _msg: None)
    counter = CallCounter()
    with _last_lock:
        _last["counter"] = counter
    run = _Run(settings, counter, settings.limits())
    try:
        base = boto3.Session(profile_name=settings.profile)
    except BotoCoreError as exc:  # ProfileNotFound, an unreadable config file: bad input, one line
        raise profile_error(settings.profile, exc) from None
    counter.attach(base)
    # Accounts open concurrently (AssumeRole, GetCallerIdentity, DescribeRegions are latency-bound) and
    # every account's session shares the base session's botocore loader, so service models are read once.
    targets = list(settings.role_targets or (None,))
    with ThreadPoolExecutor(max_workers=max(1, min(settings.max_workers, len(targets)))) as opener:
        accounts = list(opener.map(lambda t: _open_account(run, base, t), targets))
    for account in accounts:
        if account is not None:
            _plan_units(run, account)
            regions = [u.region for u in run.units if u.account is account and u.region != "global"]
            say(
                f"reading account {account.account_id} as {account.caller_arn}: "
                f"{', '.join(regions) or 'no region'}"
            )
    tasks = [
        (unit, svc) for unit in run.units for svc in unit.services if svc in REGION_SERVICES or svc == "iam"
    ]
    results: dict[tuple[int, str], object] = {}
    # Two bounded pools: one runs (unit, service) tasks, the other the per-resource calls those tasks
    # fan out (per file system). Fan-out work never submits further work, so the pools cannot deadlock.
    with (
        ThreadPoolExecutor(max_workers=max(1, settings.max_workers)) as pool,
        ThreadPoolExecutor(max_workers=max(1, settings.max_workers)) as fanout,
    ):
        for unit in run.units:
            unit.fanout = fanout
        futures = {pool.submit(_run_task, unit, svc): (unit, svc) for unit, svc in tasks}
        for future in as_completed(futures):
            unit, svc = futures[future]
            results[(id(unit), svc)] = future.result()
            say(f"[{len(results)}/{len(futures)}] {unit.scope}: {svc} done")
    return _assemble(run, results)


def _identity_deadline(run: _Run) -> float | None:
    """Who the caller is and which account it reads are asked even at the deadline (a run that names
    no account names nothing it missed), bounded by one attempt's time past it."""
    end = run.settings.deadline
    return None if end is None else max(end, time.monotonic() + run.limits.call_timeout)


def _open_account(run: _Run, base, target: RoleTarget | None) -> Account | None:
    home = base.region_name or DEFAULT_API_REGION
    deadline = _identity_deadline(run)
    session = base
    if target is not None:
        scope = aws_scope(account_of(target.arn) or UNKNOWN_ACCOUNT)
        params = {"RoleArn": target.arn, "RoleSessionName": target.session_name}
        if target.external_id:
            params["ExternalId"] = target.external_id
        try:  # the one call outside OPERATIONS: granted by the target role's trust policy (see operations.py)
            sts = bounds.client(base, "sts", home, run.limits, deadline)
            answer = Api(sts, "sts", deadline=deadline)._checked(
                "AssumeRole", lambda: sts.assume_role(**params)
            )
            creds = answer["Credentials"]
        except CALL_ERRORS as exc:
            _unit_failure(run, scope, "sts", "AssumeRole", exc, target.arn)
            return None
        session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=home,
            botocore_session=_sharing_loader(base),
        )
        run.counter.attach(session)
    else:
        scope = aws_scope(UNKNOWN_ACCOUNT)
    try:
        sts = bounds.client(session, "sts", home, run.limits, deadline)
        ident = Api(sts, "sts", deadline=deadline).call("GetCallerIdentity")
    except CALL_ERRORS as exc:
        _unit_failure(run, scope, "sts", "GetCallerIdentity", exc, target.arn if target else None)
        return None
    arn = parse_arn(ident["Arn"])
    return Account(
        session=session,
        account_id=ident["Account"],
        partition=arn.partition if arn else "aws",
        caller_arn=ident["Arn"],
        config=None,
        page_size=run.settings.page_size,
        limits=run.limits,
        deadline=run.settings.deadline,
    )


def _sharing_loader(base):
    """A new botocore session that reuses the base session's data loader (parsed service models)."""
    import botocore.session

    session = botocore.session.Session()
    session.register_component("data_loader", base._session.get_component("data_loader"))
    return session


def _plan_units(run: _Run, account: Account) -> None:
    """One global unit (IAM) and one unit per region. When the region list cannot be read, the
    global unit records it (service ec2) and no region unit is planned."""
    home = account.session.region_name or DEFAULT_API_REGION
    glob = Unit(account, "global", home, run.settings.deadline, services=["iam"])
    run.units.append(glob)
    regions = list(run.settings.regions)
    if not regions:
        glob.mark()
        try:
            resp = account.api("ec2", home).call("DescribeRegions")
            regions = sorted(r["RegionName"] for r in resp.get("Regions", []))
        except CALL_ERRORS as exc:
            glob.failed("ec2", "DescribeRegions", exc)
            glob.services.append("ec2")
            glob.complete = False
    for region in regions:
        run.units.append(Unit(account, region, region, run.settings.deadline, services=list(REGION_SERVICES)))


def _run_task(unit: Unit, service: str):
    unit.mark()
    if unit.expired():
        unit.issue(service, "*", "Timeout", "deadline reached before this service was collected")
        unit.complete = False
        return None
    try:
        if service == "iam":
            return iam.collect(unit)
        return REGION_SERVICES[service](unit)
    except Exception as exc:
        code, message = error_of(exc)
        unit.issue(service, "*", "CollectorError", f"{code}: {message}")
        unit.complete = False
        return None
    finally:
        unit.mark()


def _assemble(run: _Run, results: dict) -> Snapshot:
    data: dict[str, list] = {
        k: []
        for k in (
            "file_systems",
            "access_points",
            "security_groups",
            "subnets",
            "task_definitions",
            "ecs_services",
            "lambda_functions",
            "clusters",
        )
    }
    referenced: dict[str, set[str]] = {}
    for unit in run.units:
        if unit.region == "global":
            continue
        part = {svc: results.get((id(unit), svc)) for svc in unit.services}
        protected = (part.get("backup") or {}).get("protected") if part.get("backup") is not None else None
        for got in part.values():
            for key, items in (got or {}).items():
                if key == "file_systems":
                    items = [_with_backup(fs, protected) for fs in items]
                if key in data:
                    data[key] += items
        refs = referenced.setdefault(unit.account_id, set())
        for td in (part.get("ecs") or {}).get("task_definitions", []):
            refs.update(a for a in (td.task_role_arn, td.execution_role_arn) if a)
        for fn in (part.get("lambda") or {}).get("lambda_functions", []):
            refs.update([fn.role_arn] if fn.role_arn else [])
        for cl in (part.get("eks") or {}).get("clusters", []):
            refs.update(cl.node_role_arns or [])
            refs.update(a.role_arn for a in cl.pod_identity_associations or [])
    roles, policies = [], {}
    for unit in run.units:
        got = results.get((id(unit), "iam")) if unit.region == "global" else None
        if got:
            kept, used = iam.select(got[0], got[1], referenced.get(unit.account_id, set()))
            roles += kept
            policies.update({p.arn: p for p in used})
    units = [_unit_record(u) for u in run.units] + run.failed_units
    issues = run.issues + [i for u in run.units for i in u.issues]
    return Snapshot(
        units=units, issues=issues, roles=roles, managed_policies=list(policies.values()), **data
    ).normalised()


def _with_backup(fs, protected: set[str] | None):
    return fs.model_copy(update={"backup_protected": None if protected is None else fs.arn in protected})


def _unit_record(unit: Unit) -> CollectionUnit:
    return CollectionUnit(
        scope=unit.scope,
        method="aws-api",
        started_at=unit.started_at,
        finished_at=unit.finished_at,
        tool_version=__version__,
        collector=unit.account.caller_arn,
        services=list(unit.services),
        complete=unit.complete,
    )


def _unit_failure(
    run: _Run, scope: str, service: str, operation: str, exc: Exception, resource_id: str | None
) -> None:
    """An account that could not be opened: one incomplete unit and the issue that explains it."""
    code, message = error_of(exc)
    run.issues.append(
        CollectionIssue(
            scope=scope,
            service=service,
            operation=operation,
            resource_id=resource_id,
            error_code=code,
            message=one_line(message),
        )
    )
    if not any(u.scope == scope for u in run.failed_units):
        now = _now()
        run.failed_units.append(
            CollectionUnit(
                scope=scope,
                method="aws-api",
                started_at=now,
                finished_at=now,
                tool_version=__version__,
                services=[service],
                complete=False,
            )
        )


def _now() -> datetime:
    return datetime.now(UTC)
