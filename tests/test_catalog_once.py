"""The check catalogue's YAML is parsed once per command, however many parts of the run (evaluation,
reports, exit code) ask for it; each gets its own copy."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from auditor import catalog

ESTATES = Path(__file__).resolve().parents[1] / "samples" / "estates"


def _count_parses(monkeypatch) -> list[Path]:
    parsed: list[Path] = []
    read = catalog._read

    def counting(path: Path):
        parsed.append(path)
        return read(path)

    catalog._parsed.cache_clear()
    monkeypatch.setattr(catalog, "_read", counting)
    return parsed


def test_one_check_run_parses_each_catalogue_file_once(monkeypatch, tmp_path, capsys):
    from auditor.entrypoints.cli import main

    parsed = _count_parses(monkeypatch)
    args = ["check", str(ESTATES / "hostile" / "snapshot.json"), "--format", "json,sarif,csv"]
    args += ["--out", str(tmp_path / "out"), "--fail-on", "low", "--allow-partial"]
    monkeypatch.setattr(sys, "argv", ["efs-audit", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    capsys.readouterr()
    assert exc.value.code == 1  # the hostile estate fails at low and above: the exit code asked too
    files = sorted((catalog.ROOT / "checks").glob("*.yaml")) + sorted(
        (catalog.ROOT / "frameworks").glob("*.yaml")
    )
    assert sorted(parsed) == sorted(files)  # each file once, none twice


def test_loads_are_copies_and_a_changed_file_is_parsed_again(monkeypatch, tmp_path):
    import shutil

    parsed = _count_parses(monkeypatch)
    root = tmp_path / "policies"
    shutil.copytree(catalog.ROOT, root)
    first, second = catalog.load(root), catalog.load(root)
    assert first == second and first is not second and first.checks is not second.checks
    once = len(parsed)
    first.checks.clear()  # a caller's change stays its own
    assert catalog.load(root).checks == second.checks and len(parsed) == once
    title = root / "frameworks" / "hipaa.yaml"
    title.write_text(title.read_text().replace("title:", "title: Changed", 1))
    assert catalog.load(root).frameworks["hipaa"].title.startswith("Changed") and len(parsed) > once
