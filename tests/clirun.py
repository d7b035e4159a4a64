"""Run `efs-audit` (or another entry point's ``main``) inside the test process and get back what a
spawned process would give: a ``subprocess.CompletedProcess`` with returncode, stdout and stderr.

A process costs about a second of imports; in process a command costs what it does. Tests whose
subject is the process itself (the installed console script, the real interpreter's exit status and
stderr, the container entry module) still spawn one; everything else goes through here.

Each run is isolated like a process: its own argv, environment (``env`` replaces os.environ, as
subprocess.run does), working directory, stdin/stdout/stderr (not terminals, as pipes), a fixed
terminal width (COLUMNS), and the logging configuration and command-line state it changes are put
back afterwards. An exception that escapes ``main`` is what the interpreter would print: a traceback
on stderr and exit status 1.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = 80  # what a pipe gets: no terminal to measure
NOISY = ("botocore", "boto3", "urllib3", "kubernetes", "werkzeug", "auditor")


def efs_audit(
    *args: str,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    columns: int = COLUMNS,
    stdin: str = "",
) -> subprocess.CompletedProcess:
    """``efs-audit ARGS...`` run in process (``cwd`` defaults to the project root)."""
    from auditor.entrypoints.cli import main

    argv = ["efs-audit", *args]
    return in_process(lambda: main(list(args)), argv, cwd=cwd or ROOT, env=env, columns=columns, stdin=stdin)


def in_process(
    main: Callable[[], object],
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    columns: int = COLUMNS,
    stdin: str = "",
) -> subprocess.CompletedProcess:
    """Call ``main()`` as the program ``argv`` would run; its exit status is what ``sys.exit`` was
    given (0 when it returns)."""
    environ = dict(os.environ if env is None else env)
    environ["COLUMNS"] = str(columns)
    out, err = _pipe(), _pipe()
    with _isolated(argv, cwd, environ, io.StringIO(stdin), out, err):
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = _status(exc.code, err)
        except Exception:
            traceback.print_exc(file=err)
            code = 1
    return subprocess.CompletedProcess(list(argv), code, _text(out), _text(err))


def _status(code, err) -> int:
    """The process exit status ``sys.exit(code)`` gives (anything but an int or None: printed, 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=err)
    return 1


def _pipe() -> io.TextIOWrapper:
    """A text stream over bytes (``.buffer`` works), not a terminal, written through."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    """What ``subprocess.run(text=True)`` reads: UTF-8 with universal newlines."""
    stream.flush()
    raw = stream.buffer.getvalue().decode("utf-8", errors="replace")  # type: ignore[attr-defined]
    return raw.replace("\r\n", "\n").replace("\r", "\n")


@contextlib.contextmanager
def _isolated(argv, cwd, environ, stdin, stdout, stderr) -> Iterator[None]:
    from auditor.entrypoints import controls

    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_streams = sys.argv, sys.stdin, sys.stdout, sys.stderr
    root = logging.getLogger()
    saved_root = root.handlers[:], root.level
    saved_levels = {name: logging.getLogger(name).level for name in NOISY}
    saved_state = (controls.STATE.quiet, controls.STATE.verbose)
    root.handlers[:] = []  # the command's logging.basicConfig(force=True) must not close the test's handlers
    os.environ.clear()
    os.environ.update(environ)
    try:
        if cwd is not None:
            os.chdir(cwd)
        sys.argv, sys.stdin, sys.stdout, sys.stderr = list(argv), stdin, stdout, stderr
        yield
    finally:
        sys.argv, sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        root.handlers[:] = saved_root[0]
        root.setLevel(saved_root[1])
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        controls.STATE.quiet, controls.STATE.verbose = saved_state
