"""Bad input gets one line naming the file (or option) and exit 2: never a traceback, never a hang, never
memory exhausted (auditor.inputs is the one reader every command uses)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auditor import inputs
from auditor.model.snapshot import InputError
from tests.fuzz.harness import run

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ROOT / "samples" / "estates" / "production" / "snapshot.json"
WAIVER = """waivers:
  - checks: [efs_access_point_tagged]
    resources: ["*"]
    reason: accepted
    owner: team@example.com
    expires: {expires}
"""


def _one_line(out, *names: str) -> None:
    assert out.one_line_error(), (out.code, out.stderr)
    for n in names:
        assert n in out.stderr, out.stderr


def test_integer_with_thousands_of_digits_in_a_snapshot(tmp_path):
    bad = tmp_path / "snap.json"
    bad.write_text('{"schema_version": "1", "subnets": [' + "9" * 5000 + "]}")
    _one_line(run("check", bad), str(bad), "digits")


def test_deeply_nested_json_snapshot_run_and_review(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"schema_version": "1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    _one_line(run("check", deep), str(deep), "nested")
    _one_line(run("report", deep), str(deep), "nested")
    _one_line(run("review", deep), str(deep))
    moderately = tmp_path / "policy.json"  # deep enough to break evaluation code, shallow for the parser
    snap = json.loads(PRODUCTION.read_text())
    doc = {"a": 1}
    for _ in range(900):
        doc = {"Statement": doc}
    snap["file_systems"][0]["policy"] = doc
    moderately.write_text(json.dumps(snap))
    _one_line(run("check", moderately), str(moderately), "nested more than")


def test_waiver_date_of_month_13_and_deeply_nested_waivers(tmp_path):
    bad = tmp_path / "w.yaml"
    bad.write_text(WAIVER.format(expires="2030-13-01"))
    _one_line(run("check", PRODUCTION, "--waivers", bad), str(bad))
    bad.write_text("waivers: " + "[" * 5000 + "]" * 5000 + "\n")
    _one_line(run("check", PRODUCTION, "--waivers", bad), str(bad))
    bad.write_text("waivers:\n  - checks: [" + "7" * 5000 + "]\n")
    _one_line(run("check", PRODUCTION, "--waivers", bad), str(bad))


@pytest.mark.parametrize(
    "where", ["snapshot", "waivers", "manifests-folder", "review", "review-folder", "kubeconfig"]
)
def test_a_fifo_is_refused_without_blocking(tmp_path, where):
    fifo = tmp_path / "dir" / "in.yaml"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    if where == "snapshot":
        out = run("check", fifo, seconds=20)
    elif where == "waivers":
        out = run("check", PRODUCTION, "--waivers", fifo, seconds=20)
    elif where == "manifests-folder":
        out = run(
            "collect",
            "--no-aws",
            "--manifests",
            fifo.parent,
            "--cluster-name",
            "c",
            "--out",
            tmp_path / "s.json",
            "--no-progress",
            seconds=20,
        )
    elif where == "review":
        out = run("review", fifo, seconds=20)
    elif where == "kubeconfig":
        out = run(
            "collect",
            "--no-aws",
            "--kubeconfig",
            fifo,
            "--out",
            tmp_path / "s.json",
            "--no-progress",
            seconds=20,
        )
    else:
        out = run("review", fifo.parent, seconds=20)
    _one_line(out, fifo.name, "FIFO")


def test_a_device_and_a_directory_are_refused(tmp_path):
    _one_line(run("check", "/dev/zero"), "/dev/zero", "device")
    _one_line(run("report", "/dev/null"), "/dev/null", "device")
    _one_line(run("check", tmp_path), str(tmp_path), "directory")
    _one_line(run("check", PRODUCTION, "--waivers", "/dev/zero"), "/dev/zero")


def test_the_input_size_limit_is_configurable(tmp_path, monkeypatch):
    monkeypatch.setenv(inputs.ENV_MAX_BYTES, "1000")
    _one_line(run("check", PRODUCTION), str(PRODUCTION), "larger than 1000 bytes", inputs.ENV_MAX_BYTES)
    monkeypatch.setenv(inputs.ENV_MAX_BYTES, "lots")
    _one_line(run("check", PRODUCTION), inputs.ENV_MAX_BYTES)
    monkeypatch.delenv(inputs.ENV_MAX_BYTES)
    # a 100k-access-point snapshot is about 170 MB: the default JSON limit admits it; YAML stays at 16 MiB
    assert inputs.max_bytes() == 1024 * 1024 * 1024 and inputs.max_yaml_bytes() == 16 * 1024 * 1024


def test_large_yaml_is_refused_before_parsing(tmp_path, monkeypatch):
    """A 45-60 MB YAML file took minutes in the pure-Python parser: YAML has its own, lower limit."""
    big = tmp_path / "big.yaml"
    with big.open("w") as fh:
        fh.write("waivers:\n")
        line = "  - {checks: [x], resources: [y], reason: r, owner: o, expires: 2030-01-01}\n"
        fh.write(line * (17 * 1024 * 1024 // len(line) + 1))
    out = run("check", PRODUCTION, "--waivers", big, seconds=30)
    _one_line(out, str(big), "larger than 16 MiB")
    monkeypatch.setenv(inputs.ENV_MAX_YAML_BYTES, "4096")
    manifests = tmp_path / "m.yaml"
    manifests.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n" * 200)
    out = run(
        "collect",
        "--no-aws",
        "--manifests",
        manifests,
        "--cluster-name",
        "c",
        "--out",
        tmp_path / "s.json",
        "--no-progress",
    )
    _one_line(out, str(manifests), "larger than 4096 bytes")


def test_yaml_alias_expansion_is_bounded(tmp_path):
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        bomb.append(f"{cur}: &{cur} [" + ", ".join(f"*{prev}" for _ in range(10)) + "]")
    bad = tmp_path / "w.yaml"
    bad.write_text("\n".join(bomb) + "\nwaivers: *i\n")
    _one_line(run("check", PRODUCTION, "--waivers", bad, seconds=30), str(bad), "aliases")


def test_reading_stops_at_the_limit_even_when_the_size_lies(tmp_path, monkeypatch):
    """/dev/zero-like inputs (st_size 0, endless content) stop one byte past the limit."""
    path = tmp_path / "grows.json"
    path.write_text("")
    real_read = os.read
    monkeypatch.setattr(inputs.os, "read", lambda fd, n: b"0" * n if fd > 2 else real_read(fd, n))
    with pytest.raises(InputError, match="larger than 1000 bytes"):
        inputs.read_bytes(path, "a file", limit=1000)


@pytest.mark.parametrize(
    "args, option",
    [
        (["check", str(PRODUCTION), "--format", ""], "--format"),
        (["report", str(PRODUCTION), "--format", ""], "--format"),
        (["check", str(PRODUCTION), "--app-label", ""], "--app-label"),
        (["access", str(PRODUCTION), "--app-label", " app"], "--app-label"),
        (["check", str(PRODUCTION), "--trusted-account", "12345"], "--trusted-account"),
        (
            ["check", str(PRODUCTION), "--trusted-account", "arn:aws:iam::123456789012:root"],
            "--trusted-account",
        ),
        (
            ["review", str(ROOT / "samples" / "review" / "eks-static" / "safe"), "--account", "abc"],
            "--account",
        ),
        (
            ["review", str(ROOT / "samples" / "review" / "eks-static" / "safe"), "--region", "Mars"],
            "--region",
        ),
    ],
)
def test_malformed_option_values_are_one_line_errors(args, option):
    _one_line(run(*args), option)
