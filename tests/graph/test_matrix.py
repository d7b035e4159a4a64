"""The `access` command's application x directory matrix: fits 120 columns, wraps many directories into
blocks, and marks root only where §1.3 says root is not squashed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.analysis.access import Analysis, effective_access
from auditor.entrypoints.cli import app
from auditor.model import snapshot as snap
from auditor.report.matrix import render

ESTATES = Path(__file__).resolve().parents[2] / "samples" / "estates"


def matrix(estate: str) -> str:
    return render(effective_access(Analysis(snap.load(ESTATES / estate / "snapshot.json"))))


@pytest.mark.parametrize("estate", ["wellconfigured", "production", "hostile"])
def test_fits_120_columns_and_is_printed_by_access(estate):
    text = matrix(estate)
    assert all(len(line) <= 120 for line in text.splitlines())
    out = CliRunner().invoke(app, ["access", str(ESTATES / estate / "snapshot.json")])
    assert out.exit_code == 0 and text in out.stdout


def test_s1_3_root_cell_only_when_client_root_access_is_allowed():
    lines = matrix("hostile").splitlines()
    key = {
        line.split()[0]: line.split(None, 1)[1]
        for line in lines
        if line.startswith("D") and line[1].isdigit()
    }
    d12 = next(k for k, v in key.items() if v == "fs-0c33c0de000000014:/*")
    header = next(line for line in lines if line.strip().startswith("D1 "))
    col = header.split().index(d12)
    cells = {line[:22].strip(): line[23:].split() for line in lines if line.startswith("fail-edge0")}
    assert cells["fail-edge03-root-by-i~"][col] == "#"  # ClientRootAccess from an identity policy
    assert cells["fail-edge04-squashed-~"][col] == "W"  # uid 0 squashed: an ordinary writer


def test_many_directories_wrap_into_blocks():
    rows = [
        {
            "application": f"application-with-a-long-name-{i % 3}",
            "file_system": "fs-1",
            "subtree": f"/d{i}",
            "access_point": "fsap-1",
            "can_mount": True,
            "can_write": i % 2 == 0,
            "root_access_granted": False,
            "identity": [{"may_be_root": False}],
        }
        for i in range(45)
    ]
    text = render(rows)
    assert all(len(line) <= 120 for line in text.splitlines())
    headers = [line for line in text.splitlines() if line.strip().startswith("D") and "  D" in line]
    assert len(headers) == 3 and "D45" in headers[-1]
    assert "application-with-a-lo~" in text
