"""Random and mutated documents through the whole review (readers, overlay, planned provisioning,
evaluation): a review outcome or an InputError, nothing else."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.model.snapshot import InputError, Snapshot
from auditor.review import ReviewOutcome, review
from auditor.review.loader import json_document, plain, yaml_documents
from tests.conftest import examples

ROOT = Path(__file__).resolve().parents[2] / "samples" / "review"
SEEDS = sorted(p for p in ROOT.rglob("*") if p.suffix in (".yaml", ".json"))
SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", 0)) or examples(150),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 70000),
    st.text(max_size=12),
    st.sampled_from(
        [
            "fs-0123456789abcdef0",
            "fsap-0123456789abcdef0",
            "ENABLED",
            "tcp",
            "-1",
            "arn:aws:iam::123456789012:role/x",
            "AWS::NoValue",
            "Condition",
            "Ref",
        ]
    ),
)
keys = st.sampled_from(
    [
        "Ref",
        "Fn::Sub",
        "Fn::Join",
        "Fn::If",
        "Fn::GetAtt",
        "Fn::ImportValue",
        "Fn::Select",
        "Fn::FindInMap",
        "Fn::Split",
        "Fn::Equals",
        "Condition",
        "Type",
        "Properties",
        "Resources",
        "FileSystemId",
        "PosixUser",
        "Uid",
        "Volumes",
        "EFSVolumeConfiguration",
        "values",
        "containerDefinitions",
        "family",
        "FunctionName",
        "FileSystemConfigs",
        "Arn",
        "x",
    ]
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=25,
)


def _check(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    try:
        outcome = review([path], None, account="123456789012", region="eu-west-1", cluster="c")
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(outcome, ReviewOutcome) and isinstance(outcome.merged, Snapshot)


def _mutate(doc, data):
    """Replace, delete or retype one node of a document."""
    nodes = []

    def walk(node):
        if isinstance(node, dict):
            for k in list(node):
                nodes.append((node, k))
                walk(node[k])
        elif isinstance(node, list):
            for i in range(len(node)):
                nodes.append((node, i))
                walk(node[i])

    walk(doc)
    if not nodes:
        return doc
    parent, key = nodes[data.draw(st.integers(0, len(nodes) - 1))]
    action = data.draw(st.sampled_from(["replace", "delete"]))
    if action == "delete" and isinstance(parent, dict):
        del parent[key]
    else:
        parent[key] = data.draw(values)
    return doc


@SETTINGS
@given(data=st.data())
def test_mutated_samples(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("fuzz")
    seed = data.draw(st.sampled_from(SEEDS))
    text = seed.read_text()
    if seed.suffix == ".json":
        doc = plain(json_document(text, str(seed)))
        for _ in range(data.draw(st.integers(1, 3))):
            doc = _mutate(doc, data)
        _check(tmp, "doc.json", json.dumps(doc))
    else:
        docs = [plain(d) for d in yaml_documents(text, str(seed))]
        i = data.draw(st.integers(0, len(docs) - 1))
        for _ in range(data.draw(st.integers(1, 3))):
            docs[i] = _mutate(copy.deepcopy(docs[i]), data)
        _check(tmp, "doc.yaml", yaml.safe_dump_all(docs))


@SETTINGS
@given(
    doc=st.dictionaries(keys, values, max_size=5), kind=st.sampled_from(["cfn", "tf", "ecs", "lambda", "raw"])
)
def test_random_documents(tmp_path_factory, doc, kind):
    tmp = tmp_path_factory.mktemp("fuzz")
    if kind == "cfn":
        doc = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": doc}
    elif kind == "tf":
        doc = {
            "format_version": "1.2",
            "planned_values": {
                "root_module": {
                    "resources": [
                        {"address": "aws_efs_file_system.a", "type": "aws_efs_file_system", "values": doc}
                    ]
                }
            },
            "resource_changes": [{"address": "aws_efs_file_system.a", "change": {"after_unknown": doc}}],
        }
    elif kind == "ecs":
        doc = {"family": "f", "containerDefinitions": doc.get("Volumes", []), "volumes": doc.get("x", [])}
    elif kind == "lambda":
        doc = {"FunctionName": "fn", **doc}
    _check(tmp, "doc.json", json.dumps(doc))


@SETTINGS
@given(text=st.text(max_size=300))
def test_random_text(tmp_path_factory, text):
    tmp = tmp_path_factory.mktemp("fuzz")
    _check(tmp, "doc.yaml", text)
    _check(tmp, "doc.json", text)
