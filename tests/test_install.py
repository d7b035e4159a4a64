"""The built wheel, installed outside the checkout, runs every main command from any directory:
the catalogue and the demo's estates travel inside the package (auditor.policies, auditor.estates)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SKIP = shutil.ignore_patterns(
    ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "out"
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(efs-audit script, venv python): a fresh virtualenv with the wheel and nothing of the checkout.
    The runtime dependencies come from this test interpreter's site-packages, linked by a path file
    (no download); a plain path line does not run the checkout's editable-install hooks."""
    base = tmp_path_factory.mktemp("install")
    src, wheels, venv = base / "src", base / "wheels", base / "venv"
    shutil.copytree(ROOT, src, ignore=SKIP)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(src)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("efs_identity_auditor-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return venv / "bin" / "efs-audit", python, wheel


def run(installed, *args, cwd):
    script, *_ = installed
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run([str(script), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


@pytest.mark.slow
def test_the_wheel_carries_the_catalogue_and_the_estates(installed):
    names = zipfile.ZipFile(installed[2]).namelist()
    checks = sorted(p.name for p in (ROOT / "policies" / "checks").glob("*.yaml"))
    assert sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("auditor/policies/checks/")) == checks
    assert "auditor/estates/production/snapshot.json" in names
    assert "auditor/report/schema/run.schema.json" in names


@pytest.mark.slow
def test_the_installed_package_is_not_the_checkout(installed, tmp_path):
    _, python, _ = installed
    out = subprocess.run(
        [str(python), "-c", "import auditor, auditor.catalog as c; print(auditor.__file__); print(c.ROOT)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    module, root = out.stdout.split()
    assert str(ROOT) not in module and str(ROOT) not in root
    assert root.endswith("auditor/policies")


@pytest.mark.slow
def test_check_report_review_and_demo_from_another_directory(installed, tmp_path):
    shutil.copyfile(ROOT / "samples" / "estates" / "production" / "snapshot.json", tmp_path / "snapshot.json")
    check = run(installed, "check", "snapshot.json", "--format", "json", cwd=tmp_path)
    assert check.returncode == 1, check.stderr  # the production estate has high findings
    (tmp_path / "run.json").write_text(check.stdout)
    report = run(installed, "report", "run.json", "--format", "markdown", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "## Findings" in report.stdout
    shutil.copytree(ROOT / "samples" / "review" / "eks-static" / "unsafe", tmp_path / "unsafe")
    review = run(installed, "review", "unsafe", cwd=tmp_path)
    assert review.returncode == 1, review.stderr
    version = run(installed, "--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("efs-audit ")
    demo = run(installed, "demo", "--format", "json", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert '"results"' in demo.stdout


@pytest.mark.parametrize("builder", ["lambda/build.py", "kubernetes/Dockerfile"])
def test_the_lambda_zip_and_the_image_install_from_the_constraints(builder):
    text = (ROOT / "samples" / "deploy" / builder).read_text()
    assert "constraints.txt" in text and ("-c constraints.txt" in text or '"-c", str(CONSTRAINTS)' in text)


def test_constraints_pin_every_runtime_dependency_within_its_bounds():
    import tomllib

    from packaging.requirements import Requirement

    pins = dict(
        line.split("==")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )
    for spec in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        req = Requirement(spec)
        assert req.specifier.filter([pins[req.name.lower()]]), f"{spec}: pinned {pins[req.name.lower()]}"
        assert any(s.operator == "<" for s in req.specifier), f"{spec}: no upper bound"
