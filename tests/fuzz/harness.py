"""Run `efs-audit` in this process as the console script does (auditor.entrypoints.cli:main, through
tests/clirun.py), bounded in time: a hang fails the test instead of stalling the suite, and any exception
other than SystemExit is the traceback a user would have seen (exit status 1)."""

from __future__ import annotations

import signal
from dataclasses import dataclass

from tests.clirun import efs_audit


class Hang(Exception):
    pass


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str

    def one_line_error(self) -> bool:
        return (
            self.code == 2 and len(self.stderr.strip().splitlines()) == 1 and "Traceback" not in self.stderr
        )


def _alarm(signum, frame):
    raise Hang("the command did not finish in time")


def run(*args: str, seconds: int = 60) -> Outcome:
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        done = efs_audit(*map(str, args))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return Outcome(done.returncode, done.stdout, done.stderr)
