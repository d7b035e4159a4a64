"""checks.base.Subject makes the same Finding as the dataclass's own constructor, field for field, in order."""

from __future__ import annotations

import dataclasses

from auditor.checks.base import FAIL, NOT_ASSESSED, PASS, Finding, Subject


def test_subject_call_equals_the_dataclass_constructor():
    on = Subject("efs_x", "arn:aws:elasticfilesystem:eu-west-1:111122223333:access-point/fsap-1", "T", "s")
    cases = [
        (on(PASS, "ok"), {}, None),
        (on(FAIL, "bad", path=["a", "b"], root_directory="/"), {"root_directory": "/"}, ["a", "b"]),
        (on(NOT_ASSESSED, "unknown", reason=["no read"]), {"reason": ["no read"]}, None),
    ]
    for made, evidence, path in cases:
        slow = Finding(
            check_id="efs_x",
            status=made.status,
            resource_id=on.resource_id,
            resource_type="T",
            scope="s",
            message=made.message,
            evidence=evidence,
            path=path or [on.resource_id],
        )
        assert made == slow and list(vars(made).items()) == list(vars(slow).items())
        assert dataclasses.asdict(made) == dataclasses.asdict(slow)
    assert cases[2][0].message == "unknown: no read"
