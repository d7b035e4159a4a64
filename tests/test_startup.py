"""`efs-audit --version` and `efs-audit --help` start without the heavy parts of the package: the
models, the checks, the graph, the reports, the collectors and their libraries are imported by the
commands that use them. What is imported is checked here, not how long it takes (benchmarks time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = (
    "auditor.analysis",
    "auditor.checks",
    "auditor.collectors",
    "auditor.graph",
    "auditor.model.result",
    "auditor.model.snapshot",
    "auditor.report",
    "boto3",
    "jinja2",
    "kubernetes",
    "networkx",
    "rich",
    "tabulate",
    "yaml",
)
SCRIPT = """
import json, sys
from auditor.entrypoints.cli import main
for argv in (["--version"], ["--help"]):
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code in (0, None), (argv, exc.code)
print(json.dumps(sorted(sys.modules)))
"""


def test_version_and_help_do_not_import_the_heavy_parts():
    """A fresh interpreter (the modules a process imports are the subject)."""
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, check=True, timeout=120
    )
    assert out.stdout.startswith("efs-audit ") and "Usage: efs-audit" in out.stdout
    loaded = json.loads(out.stdout.splitlines()[-1])
    assert [m for m in loaded if m.startswith(HEAVY)] == []
