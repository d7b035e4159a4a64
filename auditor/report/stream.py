"""The run as JSON, written result by result instead of as one string.

``chunks(run)`` yields the exact bytes of ``run.model_dump_json(indent=1) + "\\n"`` (the `json` format,
docs/run-schema.md) in pieces of a few hundred results, so that writing a run of a million results never
holds the whole document (hundreds of MB) in memory. The run without its results is serialised once by
pydantic, and each result by its own model serializer, re-indented by two levels: JSON strings never hold
a raw newline, so prefixing every line is exact. tests/report/test_stream.py holds the equality.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from auditor.model.result import AuditRun

BATCH = 500
_MARKER = '\n "results": []'


def chunks(run: AuditRun) -> Iterator[bytes]:
    results = run.results
    head = run.model_copy(update={"results": []}).model_dump_json(indent=1)
    before, marker, after = head.partition(_MARKER)
    if not marker or _MARKER in after:  # a layout this writer does not know: one piece, still exact
        yield (run.model_dump_json(indent=1) + "\n").encode("utf-8")
        return
    yield (before + '\n "results": [').encode("utf-8")
    batch: list[bytes] = []
    sep = b"\n  "
    for r in results:
        batch.append(sep + r.__pydantic_serializer__.to_json(r, indent=1).replace(b"\n", b"\n  "))
        sep = b",\n  "
        if len(batch) >= BATCH:
            yield b"".join(batch)
            batch.clear()
    if batch:
        yield b"".join(batch)
    yield (("\n ]" if results else "]") + after + "\n").encode("utf-8")


def write_text(run: AuditRun, out: IO[str]) -> None:
    """Stream the run to a text stream (stdout)."""
    for piece in chunks(run):
        out.write(piece.decode("utf-8"))
    out.flush()


def write_file(directory: Path, name: str, run: AuditRun) -> dict:
    """Write the run as a new file (0600, never overwriting) and return its sha256 and size."""
    digest, size = hashlib.sha256(), 0
    fd = os.open(Path(directory) / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        for piece in chunks(run):
            fh.write(piece)
            digest.update(piece)
            size += len(piece)
        fh.flush()
        os.fsync(fh.fileno())
    return {"sha256": digest.hexdigest(), "bytes": size}
