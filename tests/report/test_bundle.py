from __future__ import annotations

import hashlib
import json
import stat

import pytest

from auditor.model.snapshot import InputError
from auditor.report import bundle
from auditor.report.view import ReportOptions
from tests.report.report_fixtures import COLLECTED, make_run

SNAPSHOT = '{"schema_version": "1", "units": []}\n'


@pytest.fixture
def snap_run():
    return make_run().model_copy(update={"snapshot_digest": hashlib.sha256(SNAPSHOT.encode()).hexdigest()})


def test_write_and_verify(tmp_path, snap_run, cat, waivers):
    out = bundle.write_bundle(
        tmp_path / "ev",
        snap_run,
        SNAPSHOT,
        ["csv", "sarif", "json", "html"],
        cat,
        ReportOptions(waivers=waivers, framework="hipaa"),
    )
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "manifest.json",
        "report.html",
        "results.csv",
        "results.sarif",
        "run.json",
        "snapshot.json",
    ]
    for p in out.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    m = json.loads((out / "manifest.json").read_text())
    assert m["files"]["snapshot.json"]["sha256"] == snap_run.snapshot_digest
    assert m["files"]["run.json"]["sha256"] == hashlib.sha256((out / "run.json").read_bytes()).hexdigest()
    assert set(m["files"]) == set(names) - {"manifest.json"}
    assert (m["tool_version"], m["catalogue_digest"], m["formats"], m["framework"]) == (
        "0.1.0",
        cat.digest,
        ["csv", "sarif", "json", "html"],
        "hipaa",
    )
    assert (m["run_catalogue_digest"], m["snapshot_included"]) == (snap_run.catalogue_digest, True)
    assert "snapshot_note" not in m
    assert m["parameters"] == {"trusted_accounts": [], "squash_uid": 65534}
    assert m["collection"][0] == {
        "scope": "aws:111122223333:eu-west-1",
        "method": "aws-api",
        "collector": "arn:aws:sts::111122223333:assumed-role/audit/ci",
        "started_at": COLLECTED.isoformat(),
        "finished_at": COLLECTED.isoformat(),
        "tool_version": "0.1.0",
        "services": ["efs", "iam", "ec2"],
        "complete": True,
    }
    assert (m["waivers"][0]["owner"], m["complete"], m["collection_issues"]) == (
        "storage-team@example.com",
        False,
        1,
    )
    assert [p.name for p in tmp_path.iterdir()] == ["ev"]  # no temporary left behind
    assert bundle.verify_bundle(out) == []


def test_verify_names_changed_missing_and_extra_files(tmp_path, snap_run, cat):
    out = bundle.write_bundle(tmp_path / "ev", snap_run, SNAPSHOT, ["csv", "junit"], cat, ReportOptions())
    (out / "results.csv").chmod(0o600)
    with open(out / "results.csv", "a") as fh:
        fh.write("forged,row\n")
    (out / "junit.xml").unlink()
    (out / "notes.txt").write_text("x")
    problems = bundle.verify_bundle(out)
    assert [p.split(" (")[0] for p in problems] == [
        "junit.xml: missing",
        "results.csv: changed",
        "notes.txt: extra file not in the manifest",
    ]


def reseal(out, m):
    """What a forger who knows the format does: recompute content_sha256 and write the manifest as written."""
    m[bundle.SELF_DIGEST] = bundle.content_digest(m)
    (out / "manifest.json").write_text(bundle.manifest_text(m))


def test_verify_checks_the_files_agree(tmp_path, snap_run, cat):
    out = bundle.write_bundle(tmp_path / "ev", snap_run, SNAPSHOT, [], cat, ReportOptions())
    m = json.loads((out / "manifest.json").read_text())
    m["run_catalogue_digest"] = "0" * 64
    reseal(out, m)
    assert bundle.verify_bundle(out) == [
        "run.json: catalogue_digest differs from the manifest's run_catalogue_digest"
    ]
    (out / "manifest.json").unlink()
    assert bundle.verify_bundle(out) == ["manifest.json: missing"]


def test_nothing_half_written_on_error(tmp_path, snap_run, cat, monkeypatch):
    from auditor import report

    def boom(run, catalogue, options):
        raise RuntimeError("renderer failed")

    monkeypatch.setitem(report.FORMATS, "html", boom)
    with pytest.raises(RuntimeError):
        bundle.write_bundle(tmp_path / "ev", snap_run, SNAPSHOT, ["csv", "html"], cat, ReportOptions())
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_and_mismatched_snapshot(tmp_path, snap_run, cat):
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "old.txt").write_text("x")
    with pytest.raises(InputError, match="is not an empty directory"):
        bundle.write_bundle(tmp_path / "ev", snap_run, SNAPSHOT, [], cat, ReportOptions())
    with pytest.raises(InputError, match="snapshot does not match"):
        bundle.write_bundle(tmp_path / "ev2", snap_run, SNAPSHOT + " ", [], cat, ReportOptions())
    empty = tmp_path / "empty"
    empty.mkdir()
    assert bundle.write_bundle(empty, snap_run, None, ["markdown"], cat, ReportOptions()) == empty
    assert sorted(p.name for p in empty.iterdir()) == ["manifest.json", "report.md", "run.json"]


def test_verify_refuses_paths_outside_the_bundle(tmp_path, snap_run, cat):
    out = bundle.write_bundle(tmp_path / "ev", snap_run, SNAPSHOT, [], cat, ReportOptions())
    m = json.loads((out / "manifest.json").read_text())
    m["files"]["../secret"] = {"sha256": "0" * 64}
    reseal(out, m)
    assert bundle.verify_bundle(out) == ["manifest.json: unsafe or malformed file entry '../secret'"]


def test_bundle_without_snapshot_says_so_and_records_the_rendering_catalogue(tmp_path, snap_run, cat):
    older = snap_run.model_copy(update={"catalogue_digest": "c" * 64})  # evaluated with an older catalogue
    out = bundle.write_bundle(tmp_path / "ev", older, None, ["markdown"], cat, ReportOptions())
    m = json.loads((out / "manifest.json").read_text())
    assert "snapshot.json" not in m["files"] and m["snapshot_included"] is False
    assert m["snapshot_note"].startswith("the snapshot is not part of this bundle")
    assert m["snapshot_digest"] == older.snapshot_digest
    # titles and mappings in the rendered files come from today's catalogue: that is the digest recorded
    assert (m["catalogue_digest"], m["run_catalogue_digest"]) == (cat.digest, "c" * 64)
    assert bundle.verify_bundle(out) == []
