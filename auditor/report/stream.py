"""The run as JSON, written result by result instead of as one string.

``chunks(run)`` yields the exact bytes of ``run.model_dump_json(indent=1) + "\\n"`` (the `json` format,
docs/run-schema.md) in pieces of a few hundred results, so that writing a run of a million results never
holds the whole document (hundreds of MB) in memory. The run without its results is serialised once by
pydantic, and the results in batches by the same list serializer, re-indented by one level: JSON strings
never hold a raw newline, so prefixing every line is exact. tests/report/test_stream.py holds the equality.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from pydantic import TypeAdapter

from auditor.model.gc_pause import gc_paused
from auditor.model.result import AuditRun, Result

BATCH = 500
_RESULTS = TypeAdapter(list[Result])  # the serializer of AuditRun.results
_MARKER = '\n "results": []'


def chunks(run: AuditRun) -> Iterator[bytes]:
    results = run.results
    head = run.model_copy(update={"results": []}).model_dump_json(indent=1)
    before, marker, after = head.partition(_MARKER)
    if not marker or _MARKER in after:  # a layout this writer does not know: one piece, still exact
        yield (run.model_dump_json(indent=1) + "\n").encode("utf-8")
        return
    yield (before + '\n "results": [').encode("utf-8")
    sep = b"\n"
    for start in range(0, len(results), BATCH):
        # '[\n {\n  "check_id": ...\n },\n {...}\n]' one level deeper, without its brackets
        body = _RESULTS.dump_json(results[start : start + BATCH], indent=1)
        yield sep + b" " + body[2:-2].replace(b"\n", b"\n ")
        sep = b",\n"
    yield (("\n ]" if results else "]") + after + "\n").encode("utf-8")


def write_text(run: AuditRun, out: IO[str]) -> None:
    """Stream the run to a text stream (stdout). Serialising builds no reference cycles: the cyclic
    collector, which would re-scan the whole run and snapshot, stays paused (auditor.model.gc_pause)."""
    with gc_paused():
        for piece in chunks(run):
            out.write(piece.decode("utf-8"))
    out.flush()


def write_file(directory: Path, name: str, run: AuditRun) -> dict:
    """Write the run as a new file (0600, never overwriting) and return its sha256 and size."""
    digest, size = hashlib.sha256(), 0
    fd = os.open(Path(directory) / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh, gc_paused():
        for piece in chunks(run):
            fh.write(piece)
            digest.update(piece)
            size += len(piece)
        fh.flush()
        os.fsync(fh.fileno())
    return {"sha256": digest.hexdigest(), "bytes": size}
