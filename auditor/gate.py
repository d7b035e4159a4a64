"""The exit-code gate of every front door: `check`, `scan`, `review`, the Lambda and the CronJob.

Pure: it reads results and already-loaded waivers, never a file, a catalogue or a client.

    0 clean
    1 an unwaived FAIL at or above --fail-on (``never``: no severity fails)
    2 bad usage or input (decided by the front doors, before there is a run)
    3 incomplete: collection was partial (a run) or a declared resource was NOT_ASSESSED (a review),
      unless allow-partial
    4 the scheduled job could not deliver its bundle (CronJob)

A run's incompleteness outranks its findings (an audit that did not read everything is never reported
as a mere finding); a review's introduced finding outranks its NOT_ASSESSED (the finding is certain).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING

from auditor.model.status import Severity, Status

if TYPE_CHECKING:
    from auditor.model.result import AuditRun, Result
    from auditor.report.waivers import Waiver

CLEAN, FAILING, BAD_INPUT, PARTIAL, UNDELIVERED = 0, 1, 2, 3, 4
NEVER = "never"
FAIL_ON = (*(s.value for s in Severity), NEVER)  # the values --fail-on accepts, most severe first
FailOn = Enum("FailOn", [(v, v) for v in FAIL_ON], type=str)  # the --fail-on choices


def at_or_above(results: Iterable[Result], fail_on: str) -> list[Result]:
    """The results whose severity reaches ``fail_on`` (none for ``never``)."""
    if fail_on == NEVER:
        return []
    threshold = Severity(fail_on).rank
    return [r for r in results if r.severity.rank >= threshold]


def unwaived_failures(results: Iterable[Result], waivers: Iterable[Waiver] = ()) -> list[Result]:
    """FAIL results no (unexpired) waiver covers."""
    waivers = tuple(waivers)
    return [r for r in results if r.status == Status.FAIL and not any(w.matches(r) for w in waivers)]


def failing(run: AuditRun, fail_on: str, waivers: Iterable[Waiver] = ()) -> list[Result]:
    """What makes a run exit 1: unwaived FAIL results at or above ``fail_on``."""
    if fail_on == NEVER:
        return []
    return at_or_above(unwaived_failures(run.results, waivers), fail_on)


def run_exit_code(run: AuditRun, fail_on: str, allow_partial: bool, waivers: Iterable[Waiver] = ()) -> int:
    """`check`, `scan`, the Lambda, the CronJob and the organization reduce: 3 before 1 before 0."""
    if not run.complete and not allow_partial:
        return PARTIAL
    return FAILING if failing(run, fail_on, waivers) else CLEAN


def review_exit_code(
    introduced: Iterable[Result], not_assessed: Iterable[Result], fail_on: str, allow_partial: bool
) -> int:
    """`review`: an introduced finding at or above ``fail_on`` is 1; else a NOT_ASSESSED result of a
    declared resource is 3 (never a clean 0 for what was not evaluated) unless allow_partial; else 0."""
    if at_or_above(introduced, fail_on):
        return FAILING
    if not allow_partial and any(True for _ in not_assessed):
        return PARTIAL
    return CLEAN
