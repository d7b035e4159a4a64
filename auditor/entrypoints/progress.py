"""Collection progress on stderr: a live bar on a terminal; in CI logs and pipes, plain lines at most
every INTERVAL seconds (and every plan line). Collectors call progress(message) or
progress(operation, count); a message "[DONE/TOTAL] ..." advances the bar, one starting with
"reading " is the plan (what is about to be read) and is always printed."""

from __future__ import annotations

import re
import sys
import time

INTERVAL = 5.0
_STEP = re.compile(r"^\[(\d+)/(\d+)\] (.*)$")


class Plain:
    """Periodic lines for logs: what is being collected and how far."""

    def __init__(self, stream=None, interval: float = INTERVAL, clock=time.monotonic):
        self.stream, self.interval, self.clock = stream or sys.stderr, interval, clock
        self.last = None

    def __call__(self, message, count=None) -> None:
        text = str(message) if count is None else f"{message}: {count} items"
        m = _STEP.match(text)
        now = self.clock()
        final = bool(m) and m.group(1) == m.group(2)
        if text.startswith("reading ") or final or self.last is None or now - self.last >= self.interval:
            self.stream.write(f"efs-audit: {text}\n")
            self.stream.flush()
            self.last = now

    def close(self) -> None:
        return None


class Bar:
    """A rich progress bar on the terminal; plan lines are printed above it."""

    def __init__(self):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("collecting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(file=sys.stderr),
            transient=True,
        )
        self.task = self.progress.add_task("", total=None)
        self.progress.start()

    def __call__(self, message, count=None) -> None:
        text = str(message) if count is None else f"{message}: {count} items"
        if text.startswith("reading "):
            self.progress.console.print(f"efs-audit: {text}", markup=False, highlight=False)
            return
        m = _STEP.match(text)
        if m:
            self.progress.update(
                self.task, completed=int(m.group(1)), total=int(m.group(2)), description=m.group(3)[:60]
            )
        else:
            self.progress.update(self.task, description=text[:60])

    def close(self) -> None:
        self.progress.stop()


def printer(enabled: bool, quiet: bool = False):
    """The progress callback for a run (None when disabled or quiet)."""
    if not enabled or quiet:
        return None
    return Bar() if sys.stderr.isatty() else Plain()


def plan_lines(settings) -> list[str]:
    """What a run is about to read, before the first call (the collectors add the account and caller)."""
    lines = []
    aws = getattr(settings, "aws", None)
    if aws is not None:
        regions = ", ".join(aws.regions) if aws.regions else "every enabled region"
        who = f"profile {aws.profile}" if aws.profile else "the default credential chain"
        roles = f", assuming {', '.join(t.arn for t in aws.role_targets)}" if aws.role_targets else ""
        lines.append(f"reading AWS with {who}{roles}: {regions}")
    for kubeconfig, context in settings.kube_contexts:
        lines.append(
            f"reading Kubernetes context {context or '(current)'} from {kubeconfig or 'the default kubeconfig'}"
        )
    if settings.in_cluster:
        lines.append("reading Kubernetes in-cluster (the pod's service account)")
    if settings.manifests:
        lines.append(
            f"reading manifests {', '.join(str(m) for m in settings.manifests)} as cluster "
            f"{settings.cluster_name}"
        )
    return lines
