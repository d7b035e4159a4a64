"""build.py: what goes into the Lambda zip, and that the zip is reproducible. (Installing the wheels needs
the package index, so the dependency step is exercised by running build.py by hand, not here.)"""

from __future__ import annotations

import tomllib
import zipfile

from cfnlint.decode import decode

from tests.deploy.support import ROOT, load_build_module

build = load_build_module()


def _template_function() -> dict:
    template, _ = decode(str(ROOT / "samples" / "deploy" / "lambda" / "template.yaml"))
    (fn,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    return fn["Properties"]


def test_requirements_are_the_projects_less_the_kubernetes_client_and_cfn_lint():
    """The Lambda collects AWS only and never reviews templates: no Kubernetes client, no cfn-lint."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    chosen = build.runtime_requirements()
    assert [d for d in declared if d not in chosen] == [
        d for d in declared if d.startswith(("kubernetes", "cfn-lint"))
    ]
    assert any(d.startswith("boto3") for d in chosen)  # bundled on purpose: see build.py


def test_zip_carries_the_handler_and_the_catalogue_and_is_reproducible(tmp_path):
    stage = tmp_path / "package"
    build.stage_project(stage)
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    count = build.write_zip(stage, first)
    build.write_zip(stage, second)
    assert first.read_bytes() == second.read_bytes()
    names = zipfile.ZipFile(first).namelist()
    assert len(names) == count and not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    handler = _template_function()["Handler"]
    module, _, function = handler.rpartition(".")
    assert module.replace(".", "/") + ".py" in names and function == "handler"
    checks = sorted(p.name for p in (ROOT / "policies" / "checks").glob("*.yaml"))
    assert checks and sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("policies/checks/")) == checks
    templates = sorted(p.name for p in (ROOT / "auditor" / "report" / "templates").iterdir())
    assert "report.html.j2" in templates  # the HTML report (bundle format) renders from these
    assert (
        sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("auditor/report/templates/")) == templates
    )


def test_build_targets_the_templates_runtime():
    assert _template_function()["Runtime"] == f"python{build.RUNTIME_PYTHON}"
    assert _template_function()["Architectures"] == ["x86_64"] and "x86_64" in build.PLATFORMS
