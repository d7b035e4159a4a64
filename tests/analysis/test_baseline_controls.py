"""AWS baseline controls decide on what was observed: backups (EFS.2 / EFS.7)."""

from __future__ import annotations

from auditor.model.result import Status
from auditor.model.snapshot import Snapshot

from .estate import fs, fs_arn, run


def test_backup_verdicts_follow_what_was_collected():
    """Automatic backups off is a FAIL only when AWS Backup coverage was read and the file system is
    not in it; when coverage was not collected, a Backup plan may still protect it: NOT_ASSESSED."""
    snap = Snapshot(
        file_systems=[
            fs(1, backup_policy_status="ENABLED", backup_protected=None),
            fs(2, backup_policy_status="DISABLED", backup_protected=True),
            fs(3, backup_policy_status="DISABLED", backup_protected=False),
            fs(4, backup_policy_status="DISABLED", backup_protected=None),
            fs(5, backup_policy_status="ENABLING", backup_protected=None),
            fs(6, backup_policy_status=None, backup_protected=False),
            fs(7, backup_policy_status=None, backup_protected=None),
        ]
    )
    got = run("efs_backup_enabled", snap)
    assert {k: s for k, (s, _) in got.items()} == {
        fs_arn(1): Status.PASS,
        fs_arn(2): Status.PASS,
        fs_arn(3): Status.FAIL,
        fs_arn(4): Status.NOT_ASSESSED,
        fs_arn(5): Status.NOT_ASSESSED,
        fs_arn(6): Status.NOT_ASSESSED,
        fs_arn(7): Status.NOT_ASSESSED,
    }
    assert got[fs_arn(4)][1] == {"backup_policy_status": "DISABLED", "aws_backup_protected": None}
