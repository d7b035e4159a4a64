#!/usr/bin/env python3
"""Build the Lambda deployment zip for samples/deploy/lambda/template.yaml.

    python3 samples/deploy/lambda/build.py                 # -> build/lambda/efs-audit-lambda.zip
    python3 samples/deploy/lambda/build.py --arch arm64    # for Architectures: [arm64]
    python3 samples/deploy/lambda/build.py --waivers my-waivers.yaml   # then Waivers=waivers.yaml

Layout of the zip (its root is on the Lambda's sys.path):

    auditor/            the package (handler: auditor.entrypoints.aws_lambda.handler)
    policies/           the check catalogue, next to auditor/ as in the repository
    waivers.yaml        only with --waivers (EFS_AUDIT_WAIVERS=waivers.yaml; Lambda's cwd is the zip root)
    boto3/, pydantic/, ...   runtime dependencies, wheels for the Lambda's Python and CPU

Decisions:
  * every dependency is pinned by constraints.txt (the versions the tests ran against).
  * boto3 and botocore ARE bundled, pinned to what `pip` resolves from pyproject.toml. The runtime's
    own copy is upgraded by AWS on its own schedule; bundling keeps the API models (EKS Pod Identity,
    AWS Backup) the ones the collectors were tested with. Cost: about 25 MB unzipped.
  * the `kubernetes` client is NOT bundled: the Lambda collects AWS only, and the client (with its
    dependencies, well over 100 MB unzipped) would bring the package near Lambda's 250 MB limit.
    The CronJob image has it. Kubernetes collection from Lambda is not supported.
  * `cfn-lint` (about 40 MB: the CloudFormation decoder `efs-audit review` uses) is NOT bundled: the
    scheduled audit never reviews templates.
  * dependencies are installed as binary wheels for the target platform (--only-binary), so the
    build host's OS and Python do not leak into the zip. Needs Python 3.11+ and pip on the host.
  * the zip is reproducible: sorted entries, fixed timestamps and permissions.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RUNTIME_PYTHON = "3.12"  # template.yaml: Runtime: python3.12
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
EXCLUDED = {"kubernetes", "cfn-lint"}  # see the module docstring
PROJECT_DIRS = ("auditor", "policies")  # copied side by side; the CronJob image uses the same layout
ZIP_NAME = "efs-audit-lambda.zip"
CONSTRAINTS = ROOT / "constraints.txt"  # exact versions; samples/deploy/constraints.py writes it
FIXED_TIME = (2020, 1, 1, 0, 0, 0)
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".pytest_cache")


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The project's [project].dependencies, less the excluded distributions."""
    deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    return [d for d in deps if _name(d) not in EXCLUDED]


def _name(requirement: str) -> str:
    for i, ch in enumerate(requirement):
        if not (ch.isalnum() or ch in "-_."):
            return requirement[:i].lower().replace("_", "-")
    return requirement.lower().replace("_", "-")


def stage_project(dest: Path, root: Path = ROOT) -> None:
    """Copy the package and the check catalogue side by side into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_DIRS:
        if (dest / name).exists():
            shutil.rmtree(dest / name)
        shutil.copytree(root / name, dest / name, ignore=JUNK)


def install_dependencies(dest: Path, requirements: list[str], arch: str, python_version: str) -> None:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(dest),
        "--platform",
        PLATFORMS[arch],
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--only-binary=:all:",
        "--upgrade",
        "-c",
        str(CONSTRAINTS),
        *requirements,
    ]
    subprocess.run(cmd, check=True)
    shutil.rmtree(dest / "bin", ignore_errors=True)
    for cache in list(dest.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)


def write_zip(src: Path, zip_path: Path) -> int:
    """A reproducible zip of ``src``; returns the number of files."""
    files = sorted(p for p in src.rglob("*") if p.is_file())
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(src).as_posix(), FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return len(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "lambda", help="output directory")
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="x86_64")
    parser.add_argument("--python-version", default=RUNTIME_PYTHON)
    parser.add_argument("--waivers", type=Path, help="waiver YAML to ship as waivers.yaml")
    args = parser.parse_args(argv)
    stage = args.out / "package"
    shutil.rmtree(stage, ignore_errors=True)
    install_dependencies(stage, runtime_requirements(), args.arch, args.python_version)
    stage_project(stage)
    if args.waivers:
        shutil.copyfile(args.waivers, stage / "waivers.yaml")
    count = write_zip(stage, args.out / ZIP_NAME)
    size = (args.out / ZIP_NAME).stat().st_size
    print(
        f"{args.out / ZIP_NAME}: {count} files, {size / 1e6:.1f} MB "
        f"(python{args.python_version}, {args.arch})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
