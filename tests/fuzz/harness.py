"""Run `efs-audit` in this process as the console script does (auditor.entrypoints.cli:main), bounded in
time: a hang fails the test instead of stalling the suite, and any exception other than SystemExit is the
traceback a user would have seen."""

from __future__ import annotations

import contextlib
import io
import signal
import sys
from dataclasses import dataclass


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
    from auditor.entrypoints.cli import main

    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    argv = sys.argv
    sys.argv = ["efs-audit", *map(str, args)]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        sys.argv = argv
    return Outcome(code, out.getvalue(), err.getvalue())
