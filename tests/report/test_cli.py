"""`report` and `verify` registered on a Typer app, as the lead's cli.py does."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
import typer
from typer.testing import CliRunner

from auditor.entrypoints.report_cmds import register
from auditor.model.snapshot import InputError
from auditor.report.json import dumps
from auditor.report.output import emit, parse_formats
from tests.report.report_fixtures import CHECK_IDS, WAIVER_YAML, make_run


@pytest.fixture
def app(monkeypatch):
    from auditor import catalog

    # the lead's registry may be mid-change; the public list of check ids stands in for it
    monkeypatch.setattr(catalog, "default_check_ids", lambda: CHECK_IDS)
    app = typer.Typer(add_completion=False)
    register(app)
    return app


@pytest.fixture
def run_file(tmp_path):
    p = tmp_path / "run.json"
    p.write_text(dumps(make_run()))
    return p


def invoke(app, *args):
    return CliRunner().invoke(app, list(args))


def test_report_csv_with_waivers(app, run_file, tmp_path):
    w = tmp_path / "w.yaml"
    w.write_text(WAIVER_YAML)
    r = invoke(app, "report", str(run_file), "--format", "csv", "--waivers", str(w))
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [x["shown_status"] for x in rows if x["check_id"] == "efs_access_point_tagged"] == ["WAIVED"]


def test_report_markdown_framework_and_baseline(app, run_file):
    r = invoke(
        app,
        "report",
        str(run_file),
        "--format",
        "markdown",
        "--framework",
        "soc2",
        "--baseline",
        str(run_file),
    )
    assert r.exit_code == 0, r.output
    assert "## SOC 2 Trust Services Criteria" in r.stdout
    assert "0 new, 6 unchanged, 0 resolved." in r.stdout


def test_report_bundle_then_verify(app, run_file, tmp_path):
    out = tmp_path / "ev"
    r = invoke(app, "report", str(run_file), "--format", "sarif,html,ocsf", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert (
        f"Evidence bundle written to {out} (5 files: findings.ocsf.json, manifest.json, report.html, "
        f"results.sarif, run.json)" in r.stdout
    )
    m = json.loads((out / "manifest.json").read_text())
    assert m["snapshot_included"] is False and "efs-audit check" in m["snapshot_note"]
    ok = invoke(app, "verify", str(out))
    assert ok.exit_code == 0 and "bundle intact (5 files" in ok.stdout
    (out / "report.html").chmod(0o600)
    (out / "report.html").write_text("<html>forged</html>")
    bad = invoke(app, "verify", str(out))
    assert bad.exit_code == 1 and f"{out}: report.html: changed" in bad.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["report", "missing.json"], "efs-audit: missing.json: no such file"),
        (["report", "RUN", "--format", "pdf"], "efs-audit: --format: unknown format 'pdf'"),
        (["report", "RUN", "--format", "json,csv"], "efs-audit: --format: several formats need --out DIR"),
        (["report", "RUN", "--framework", "sox"], "efs-audit: --framework: unknown framework 'sox'"),
        (["report", "RUN", "--waivers", "nope.yaml"], "efs-audit: nope.yaml: no such file"),
        (["verify", "no-such-dir"], "efs-audit: no-such-dir: not a directory"),
    ],
)
def test_bad_input_exits_2_with_one_line(app, run_file, args, message):
    r = invoke(app, *[str(run_file) if a == "RUN" else a for a in args])
    assert r.exit_code == 2
    assert r.stderr.startswith(message) and r.stderr.count("\n") == 1
    assert "Traceback" not in r.output


def test_emit_for_check(tmp_path, cat):
    snapshot_json = '{"schema_version": "1"}\n'
    run = make_run().model_copy(
        update={"snapshot_digest": hashlib.sha256(snapshot_json.encode()).hexdigest()}
    )
    text = emit(
        run,
        cat,
        formats=["json"],
        out_dir=None,
        waivers=None,
        baseline=None,
        framework=None,
        snapshot_json=snapshot_json,
    )
    assert json.loads(text)["results"][0]["check_id"] == "efs_access_point_root_identity"
    out = tmp_path / "bundle"
    text = emit(
        run,
        cat,
        formats=["junit"],
        out_dir=out,
        waivers=None,
        baseline=None,
        framework=None,
        snapshot_json=snapshot_json,
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "junit.xml",
        "manifest.json",
        "run.json",
        "snapshot.json",
    ]
    assert text.startswith(f"Evidence bundle written to {out}")


def test_parse_formats():
    assert parse_formats("table, json,table") == ["table", "json"]
    assert parse_formats(["sarif,csv", "html"]) == ["sarif", "csv", "html"]
    assert parse_formats(None) == ["table"]
    for bad in ("xml", "", " ", "table,,json"):  # an empty --format is a mistake, not the default
        with pytest.raises(InputError):
            parse_formats(bad)


def test_failing_ignores_waived(tmp_path, cat):
    from auditor.report.output import failing
    from tests.report.report_fixtures import TODAY

    w = tmp_path / "w.yaml"
    w.write_text(WAIVER_YAML)
    run = make_run()
    assert len(failing(run, cat, today=TODAY)) == 5
    assert sorted(r.check_id for r in failing(run, cat, waivers=w, today=TODAY)) == [
        "efs_access_point_root_identity",
        "efs_cross_app_reach",
        "efs_encrypted_at_rest",
        "efs_unencrypted_mount",
    ]


def test_baseline_from_another_estate_exits_2(app, run_file, tmp_path):
    run = make_run()
    other = tmp_path / "other.json"
    other.write_text(
        dumps(
            run.model_copy(
                update={"units": [u.model_copy(update={"scope": "k8s:elsewhere"}) for u in run.units[1:]]}
            )
        )
    )
    r = invoke(app, "report", str(run_file), "--baseline", str(other))
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert (
        r.stderr.startswith(f"efs-audit: --baseline {other}: the baseline run (generated ")
        and r.stderr.count("\n") == 1
    )
    assert "shares no collection scope with this run (baseline: k8s:elsewhere; this run: " in r.stderr


def test_report_help_is_honest(app):
    r = CliRunner().invoke(app, ["report", "--help"], env={"COLUMNS": "200", "TERM": "dumb", "NO_COLOR": "1"})
    assert r.exit_code == 0
    text = " ".join(r.stdout.split())
    assert "RUN_JSON" in text and "{run_json}" not in text.lower()
    assert "(snapshot, run" not in text
    assert "run, formats and manifest; no snapshot" in text


def test_report_on_a_snapshot_says_so_in_one_line(app):
    from pathlib import Path

    snap = Path(__file__).resolve().parents[2] / "samples" / "estates" / "production" / "snapshot.json"
    r = invoke(app, "report", str(snap))
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert r.stderr == (
        f"efs-audit: {snap}: this is a snapshot, not a run: evaluate it with "
        f"`efs-audit check {snap}` (add --format json to save a run)\n"
    )
