"""Files are written safely: an unpredictable temporary name in the destination folder, created
exclusively (never through a planted link), replaced atomically, 0600 for snapshots and bundles and 0700
for folders whatever the umask, and nothing half-written on failure."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from auditor.model import snapshot as snap
from auditor.model.snapshot import InputError
from tests.fuzz.harness import run

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ROOT / "samples" / "estates" / "production" / "snapshot.json"
MANIFESTS = ROOT / "samples" / "review" / "eks-static" / "safe"


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_collect_out_never_follows_a_planted_link_and_writes_0600(tmp_path, umask_022):
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "precious.txt"
    victim.write_text("keep me")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "snap.json"
    (out_dir / ".snap.json.tmp").symlink_to(victim)  # the name the old writer used
    result = run(
        "collect", "--no-aws", "--manifests", MANIFESTS, "--cluster-name", "c", "--out", out, "--no-progress"
    )
    assert result.code == 0, result.stderr
    assert victim.read_text() == "keep me"
    assert _mode(out) == 0o600 and not out.is_symlink()
    assert snap.load(out).clusters[0].name == "c"
    assert sorted(p.name for p in out_dir.iterdir()) == [".snap.json.tmp", "snap.json"]  # no temporary left


def test_a_link_at_the_destination_is_replaced_not_followed(tmp_path, umask_022):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    dest = tmp_path / "snap.json"
    dest.symlink_to(victim)
    snap.write_atomic(dest, "{}\n")
    assert victim.read_text() == "keep me"
    assert not dest.is_symlink() and dest.read_text() == "{}\n" and _mode(dest) == 0o600


def test_missing_folders_are_created_0700(tmp_path, umask_022):
    dest = tmp_path / "a" / "b" / "snap.json"
    snap.write_atomic(dest, "x")
    assert _mode(tmp_path / "a") == 0o700 and _mode(tmp_path / "a" / "b") == 0o700 and _mode(dest) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    dest = tmp_path / "snap.json"
    dest.write_text("old")

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(InputError, match=r"snap\.json: cannot write: No space left on device"):
        snap.write_atomic(dest, "new")
    assert dest.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["snap.json"]


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_bundle_files_are_0600_and_the_folder_0700(tmp_path, umask):
    old = os.umask(umask)
    try:
        result = run(
            "check", PRODUCTION, "--out", tmp_path / "bundle", "--format", "json,csv", "--fail-on", "never"
        )
    finally:
        os.umask(old)
    assert result.code == 0, result.stderr
    bundle = tmp_path / "bundle"
    assert _mode(bundle) == 0o700
    assert {p.name: _mode(p) for p in bundle.iterdir()} == dict.fromkeys(
        ("manifest.json", "run.json", "results.csv", "snapshot.json"), 384
    )
