"""A declared change to another resource (a role policy, a policy attachment, a file system policy, a
mount target, an ingress rule) is applied to its target wherever the target is: declared in the files,
or live in the --against snapshot. One that cannot be placed anywhere makes what it could affect
NOT_ASSESSED with the reason: review never passes what it did not evaluate (no PASS without proof)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.model import snapshot as snap
from auditor.model.result import Status
from auditor.review import review

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ROOT / "samples" / "estates" / "production" / "snapshot.json"
FS = "fs-0a11c0de000000001"
FS_ARN = f"arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/{FS}"
ROOT_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "elasticfilesystem:ClientMount",
                "elasticfilesystem:ClientWrite",
                "elasticfilesystem:ClientRootAccess",
            ],
            "Resource": FS_ARN,
        }
    ],
}


@pytest.fixture(scope="module")
def production():
    return snap.load(PRODUCTION)


def _task(tmp_path: Path, role: str) -> Path:
    """A task that mounts the file system as root with IAM authorization and no access point."""
    path = tmp_path / "export.json"
    path.write_text(
        json.dumps(
            {
                "family": "reports-export",
                "taskRoleArn": f"arn:aws:iam::123456789012:role/{role}",
                "networkMode": "awsvpc",
                "requiresCompatibilities": ["FARGATE"],
                "containerDefinitions": [
                    {
                        "name": "export",
                        "image": "x",
                        "user": "0",
                        "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}],
                    }
                ],
                "volumes": [
                    {
                        "name": "data",
                        "efsVolumeConfiguration": {
                            "fileSystemId": FS,
                            "transitEncryption": "ENABLED",
                            "authorizationConfig": {"iam": "ENABLED"},
                        },
                    }
                ],
            }
        )
    )
    return path


def _plan(tmp_path: Path, kind: str, values: dict) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(
        json.dumps(
            {
                "format_version": "1.2",
                "planned_values": {
                    "root_module": {
                        "resources": [
                            {
                                "address": f"{kind}.x",
                                "mode": "managed",
                                "type": kind,
                                "name": "x",
                                "values": values,
                            }
                        ]
                    }
                },
                "resource_changes": [
                    {"address": f"{kind}.x", "change": {"actions": ["create"], "after_unknown": {}}}
                ],
            },
            indent=1,
        )
    )
    return path


def _root_squash(outcome):
    return [
        r
        for r in outcome.run.results
        if r.check_id == "efs_root_squash_gap" and "task-definition/reports-export" in r.resource_id
    ]


def test_a_role_policy_on_a_live_role_is_applied_to_it(tmp_path, production):
    """The defect: the policy on a live role that the files do not declare was dropped ("not evaluated")
    and the task it makes an unsquashed root passed (§1.3: ClientRootAccess lifts root squashing)."""
    task = _task(tmp_path, "thumbs-lambda")
    without = review([task], production)
    assert [r.status for r in _root_squash(without)] == [Status.PASS]
    plan = _plan(
        tmp_path,
        "aws_iam_role_policy",
        {"name": "efs-root", "role": "thumbs-lambda", "policy": json.dumps(ROOT_POLICY)},
    )
    outcome = review([task, plan], production)
    assert [r.status for r in _root_squash(outcome)] == [Status.FAIL]
    role = next(r for r in outcome.merged.roles if r.role_name == "thumbs-lambda")
    assert set(role.inline_policies) == {"efs-client", "efs-root"}
    assert outcome.merged.declared_at[role.arn] == f"{plan}:6"  # the policy resource's line
    assert not [i for i in outcome.merged.issues if i.service == "review" and "not evaluated" in i.message]


def test_a_policy_attachment_to_a_live_role_is_applied_to_it(tmp_path, production):
    task = _task(tmp_path, "thumbs-lambda")
    plan = _plan(
        tmp_path,
        "aws_iam_role_policy_attachment",
        {
            "role": "thumbs-lambda",
            "policy_arn": "arn:aws:iam::aws:policy/AmazonElasticFileSystemClientFullAccess",
        },
    )
    outcome = review([task, plan], production)
    assert [r.status for r in _root_squash(outcome)] == [Status.FAIL]


def test_a_policy_on_a_role_known_nowhere_makes_its_results_not_assessed(tmp_path, production):
    """Neither declared nor in the --against snapshot: what the role may do is unknown, so every result
    that rests on the role is NOT_ASSESSED and names the policy that could not be placed."""
    task = _task(tmp_path, "ghost")
    plan = _plan(
        tmp_path,
        "aws_iam_role_policy",
        {"name": "efs-root", "role": "ghost", "policy": json.dumps(ROOT_POLICY)},
    )
    for live in (production, None):
        outcome = review([task, plan], live)
        rows = _root_squash(outcome)
        assert [r.status for r in rows] == [Status.NOT_ASSESSED]
        if live is not None:  # alone, the file system is missing too and is named first
            assert "aws_iam_role_policy.x" in rows[0].message
        assert any(
            "neither declared in the reviewed files nor in the --against snapshot" in i.message
            for i in outcome.merged.issues
        )


def test_a_file_system_policy_on_a_live_file_system_is_applied_to_it(tmp_path, production):
    open_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:*", "Resource": "*"}
        ],
    }
    plan = _plan(
        tmp_path, "aws_efs_file_system_policy", {"file_system_id": FS, "policy": json.dumps(open_policy)}
    )
    outcome = review([plan], production)
    fs = next(f for f in outcome.merged.file_systems if f.file_system_id == FS)
    assert fs.policy == open_policy
    assert ("efs_root_squash_gap", FS_ARN) in {(r.check_id, r.resource_id) for r in outcome.introduced}
