"""One headless Chromium for several renders, driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: commands on the child's fd 3, answers and events on its fd 4, each a JSON
message ended by NUL). Each render opens a fresh tab with the window size set, loads the page, waits
for its load event, takes a screenshot and reads the DOM the page built. Every wait is bounded."""

from __future__ import annotations

import base64
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

TIMEOUT = 120.0  # seconds for any one answer or event
TRAMPOLINE = (  # argv: read end, write end, program, arguments...
    "import fcntl, os, sys\n"
    "ends = [fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3]]\n"
    "[os.close(int(fd)) for fd in sys.argv[1:3]]\n"
    "os.dup2(ends[0], 3)\n"
    "os.dup2(ends[1], 4)\n"
    "[os.close(fd) for fd in ends]\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


class Browser:
    def __init__(self, chromium: Path, flags: list[str], profile: Path) -> None:
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()
        # The pipe ends become the child's fds 3 and 4 in a small exec trampoline (no preexec_fn: it
        # is not safe in a process with threads, such as the moto server's).
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-S",
                "-c",
                TRAMPOLINE,
                str(to_child),
                str(from_child),
                str(chromium),
                *flags,
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(to_child, from_child),
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._last_id = 0
        self._events: list[dict] = []

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise RuntimeError(f"Chromium closed its pipe (exit code {self.proc.poll()})")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: str | None = None, **params) -> dict:
        self._last_id += 1
        message = {"id": self._last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            got = self._read(deadline)
            if got.get("id") == self._last_id:
                if "error" in got:
                    raise RuntimeError(f"{method}: {got['error']}")
                return got["result"]
            self._events.append(got)

    def _wait_for(self, event: str, session: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while True:
            for n, got in enumerate(self._events):
                if got.get("method") == event and got.get("sessionId") == session:
                    del self._events[n]
                    return
            self._events.append(self._read(deadline))

    def render(self, url: str, width: int, height: int) -> tuple[bytes, str]:
        """(PNG screenshot of the window, ``document.documentElement.outerHTML``) once ``url`` loaded."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        try:
            self.call("Page.enable", session)
            self.call(
                "Emulation.setDeviceMetricsOverride",
                session,
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
            self.call("Page.navigate", session, url=url)
            self._wait_for("Page.loadEventFired", session)
            png = base64.b64decode(self.call("Page.captureScreenshot", session, format="png")["data"])
            dom = self.call(
                "Runtime.evaluate",
                session,
                expression="document.documentElement.outerHTML",
                returnByValue=True,
            )["result"]["value"]
        finally:
            self.call("Target.closeTarget", targetId=target)
        self._events.clear()
        return png, dom

    def close(self) -> None:
        try:
            self.call("Browser.close")
            self.proc.wait(30)
        except Exception:
            self.proc.kill()
            self.proc.wait(30)
        finally:
            os.close(self._out)
            os.close(self._in)
