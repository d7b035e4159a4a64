"""AWS Security Hub EFS.7 (AWS Config efs-automatic-backups-enabled) is the file system's automatic backup
policy alone; EFS.2 (AWS Config efs-in-backup-plan) is AWS Backup plan coverage. A file system in an AWS
Backup plan with automatic backups disabled passes EFS.2 and fails EFS.7."""

import pytest

from auditor.catalog import load
from auditor.model.result import Status
from tests.analysis.estate import fs, fs_arn, run, snapshot


@pytest.mark.parametrize(
    "policy,protected,efs7,efs2",
    [
        ("DISABLED", True, Status.FAIL, Status.PASS),
        ("ENABLED", False, Status.PASS, Status.PASS),  # automatic backups are the default AWS Backup plan
        ("DISABLED", False, Status.FAIL, Status.FAIL),
        (None, True, Status.NOT_ASSESSED, Status.PASS),
        ("DISABLED", None, Status.FAIL, Status.NOT_ASSESSED),
    ],
)
def test_efs_7_is_the_backup_policy_alone_and_efs_2_the_backup_plan(policy, protected, efs7, efs2):
    snap = snapshot(file_systems=[fs(1, backup_policy_status=policy, backup_protected=protected)])
    assert run("efs_automatic_backups_enabled", snap)[fs_arn(1)][0] is efs7
    assert run("efs_backup_enabled", snap)[fs_arn(1)][0] is efs2


def test_efs_7_and_efs_2_map_to_the_check_that_checks_them():
    cat = load()
    assert cat.controls_of("efs_automatic_backups_enabled", "aws-fsbp") == ["EFS.7"]
    assert cat.controls_of("efs_backup_enabled", "aws-fsbp") == ["EFS.2"]
