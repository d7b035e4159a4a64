"""`review` refuses what it cannot read, with one line naming the file, the resource and the field, exit 2
(never exit 0 or 1 on a file it did not understand)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fuzz.harness import run

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "review"
HEAD = "AWSTemplateFormatVersion: '2010-09-09'\n"
FS = "  Fs:\n    Type: AWS::EFS::FileSystem\n    Properties:\n      Encrypted: true\n"


def cfn_lint(path: Path) -> list[str]:
    """What `cfn-lint PATH` reports (the same rules, defaults and configuration files; exit 0 when
    empty), run in process: "RULE_ID message (file:line)" per finding."""
    from cfnlint.api import lint_file

    return [f"{m.rule.id} {m.message} ({m.filename}:{m.linenumber})" for m in lint_file(path)]


def _review(tmp_path: Path, name: str, text: str, *names: str):
    path = tmp_path / name
    path.write_text(text)
    out = run("review", path)
    assert out.one_line_error(), (out.code, out.stdout[-300:], out.stderr)
    for n in (path.name, *names):
        assert n in out.stderr, out.stderr
    return out.stderr


def test_an_empty_file_is_refused(tmp_path):
    _review(tmp_path, "empty.yaml", "", "empty")
    _review(tmp_path, "blank.yaml", "---\n# nothing\n", "empty")


@pytest.mark.parametrize(
    "plan, field",
    [
        ({"format_version": "1.2", "planned_values": 5}, "planned_values"),
        ({"format_version": "1.2", "resource_changes": []}, "planned_values"),
        ({"format_version": "1.2", "planned_values": {"root_module": []}}, "planned_values.root_module"),
        (
            {"format_version": "1.2", "planned_values": {"root_module": {"resources": [7]}}},
            "planned_values.root_module.resources[0]",
        ),
        (
            {
                "format_version": "1.2",
                "planned_values": {"root_module": {"resources": [{"type": "aws_iam_role"}]}},
            },
            "planned_values.root_module.resources[0].address",
        ),
        (
            {
                "format_version": "1.2",
                "planned_values": {
                    "root_module": {
                        "resources": [{"address": "aws_iam_role.r", "type": "aws_iam_role", "values": [1]}]
                    }
                },
            },
            "aws_iam_role.r.values",
        ),
        (
            {"format_version": "1.2", "planned_values": {"root_module": {}}, "resource_changes": ["x"]},
            "resource_changes[0]",
        ),
        (
            {
                "format_version": "1.2",
                "planned_values": {"root_module": {}},
                "configuration": {"root_module": {"module_calls": [1]}},
            },
            "module_calls",
        ),
    ],
)
def test_a_terraform_plan_of_the_wrong_shape_is_refused(tmp_path, plan, field):
    _review(tmp_path, "plan.json", json.dumps(plan), field)


def test_cloudformation_reference_cycles_are_refused_like_cfn_lint_e3004(tmp_path):
    text = (
        HEAD
        + """Resources:
  Fs:
    Type: AWS::EFS::FileSystem
    Properties:
      FileSystemPolicy:
        Statement:
          - Effect: Allow
            Principal: {AWS: "*"}
            Action: elasticfilesystem:ClientMount
            Condition: {StringEquals: {elasticfilesystem:AccessPointArn: !GetAtt Ap.Arn}}
  Ap:
    Type: AWS::EFS::AccessPoint
    Properties:
      FileSystemId: !Ref Fs
"""
    )
    err = _review(
        tmp_path,
        "cycle.yaml",
        text,
        "Resources.Fs.Properties.FileSystemPolicy.Statement[0].Condition",
        "circular dependency Fs -> Ap -> Fs",
    )
    assert "cycle.yaml:4:" in err  # the line the resource's mapping starts on, as every declared location
    lint = cfn_lint(tmp_path / "cycle.yaml")
    assert any(m.startswith("E3004 ") for m in lint), (
        lint
    )  # the same template, refused by cfn-lint for the same reason
    _review(
        tmp_path,
        "depends.yaml",
        HEAD + "Resources:\n  A:\n    Type: AWS::EFS::FileSystem\n    DependsOn: B\n"
        "  B:\n    Type: AWS::EFS::FileSystem\n    DependsOn: [A]\n",
        "Resources.A.DependsOn",
        "A -> B -> A",
    )


@pytest.mark.parametrize(
    "body, field, what",
    [
        (
            "      KmsKeyId: !Select [3, [a, b]]\n",
            "Fs.Properties.KmsKeyId",
            "Fn::Select index 3 is out of range",
        ),
        (
            "      KmsKeyId: !FindInMap [Keys, eu-west-1, Id]\n",
            "Fs.Properties.KmsKeyId",
            "Fn::FindInMap: mapping Keys has no key eu-west-1",
        ),
        (
            "      KmsKeyId: !FindInMap [Nope, a, b]\n",
            "Fs.Properties.KmsKeyId",
            "Fn::FindInMap: no mapping Nope",
        ),
        (
            "      KmsKeyId: !Ref Missing\n",
            "Fs.Properties.KmsKeyId",
            "Ref Missing: no such resource or parameter",
        ),
        ("      KmsKeyId: !Join [x]\n", "Fs.Properties.KmsKeyId", "Fn::Join"),
        (
            "      FileSystemTags: [{Key: a, Value: !If [Nope, x, y]}]\n",
            "Fs.Properties.FileSystemTags[0].Value",
            "Condition Nope is not declared",
        ),
    ],
)
def test_unresolvable_intrinsics_are_refused(tmp_path, body, field, what):
    text = HEAD + "Mappings:\n  Keys:\n    us-east-1: {Id: k}\nResources:\n" + FS + body
    _review(tmp_path, "t.yaml", text, field, what)


def test_a_findinmap_default_value_is_used_when_the_key_is_missing(tmp_path):
    from auditor.review import review

    path = tmp_path / "t.yaml"
    path.write_text(
        HEAD
        + "Mappings:\n  Keys:\n    us-east-1: {Id: k}\nResources:\n"
        + FS
        + "      KmsKeyId: !FindInMap [Keys, eu-west-1, Id, {DefaultValue: dflt}]\n"
    )
    outcome = review([path], None)
    assert [fs.kms_key_id for fs in outcome.merged.file_systems] == ["dflt"]


def test_duplicate_keys_and_bad_yaml_name_the_line(tmp_path):
    _review(tmp_path, "dup.yaml", HEAD + "Resources:\n" + FS + FS, "dup.yaml:")
    _review(tmp_path, "bad.yaml", HEAD + "Resources:\n  A: [unclosed\n", "bad.yaml")


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for p in SAMPLES.rglob("*")
        if p.suffix in (".yaml", ".json") and "AWSTemplateFormatVersion" in p.read_text()
    ),
    ids=lambda p: str(p.relative_to(SAMPLES)),
)
def test_every_cloudformation_sample_passes_cfn_lint(path):
    """Samples that are real: CloudFormation would accept every template (cfn-lint, E3004 included)."""
    assert cfn_lint(path) == []
