"""Snapshot model: versioned JSON round trip, honest optionals, one-line errors, merging."""

import json

import pytest

from auditor.model.aws import FileSystem, PolicyStatus
from auditor.model.snapshot import CollectionUnit, InputError, Snapshot, dumps, loads, merge


def _fs(fs_id: str, **kw) -> FileSystem:
    return FileSystem(
        arn=f"arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/{fs_id}",
        file_system_id=fs_id,
        account_id="111122223333",
        region="eu-west-1",
        policy_status=PolicyStatus.ABSENT,
        **kw,
    )


def test_round_trip_is_exact_and_sorted():
    snap = Snapshot(file_systems=[_fs("fs-0000000b"), _fs("fs-0000000a", encrypted=True)])
    again = loads(dumps(snap))
    assert [f.file_system_id for f in again.file_systems] == ["fs-0000000a", "fs-0000000b"]
    assert dumps(again) == dumps(snap)


def test_unobserved_fields_stay_none():
    fs = loads(dumps(Snapshot(file_systems=[_fs("fs-0000000a")]))).file_systems[0]
    assert fs.encrypted is None and fs.backup_policy_status is None and fs.mount_targets is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("not json", "<snapshot>: not JSON"),
        ("[]", "a snapshot is a JSON object"),
        ('{"schema_version": "9"}', "schema_version: expected '1', found '9'"),
        ('{"file_systems": []}', "schema_version: expected '1', found None"),
        (
            json.dumps({"schema_version": "1", "file_systems": [{"arn": "x"}]}),
            "file_systems.0.file_system_id",
        ),
        (json.dumps({"schema_version": "1", "surprise": 1}), "surprise: Extra inputs are not permitted"),
    ],
)
def test_bad_snapshot_is_one_line_naming_the_field(text, expected):
    with pytest.raises(InputError) as err:
        loads(text)
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_merge_of_independent_units_and_conflicts():
    a = Snapshot(
        units=[CollectionUnit(scope="aws:1:eu-west-1", method="aws-api")], file_systems=[_fs("fs-0000000a")]
    )
    b = Snapshot(
        units=[CollectionUnit(scope="aws:1:us-east-1", method="aws-api")], file_systems=[_fs("fs-0000000b")]
    )
    merged = merge(b, a)
    assert [u.scope for u in merged.units] == ["aws:1:eu-west-1", "aws:1:us-east-1"]
    assert len(merged.file_systems) == 2
    assert merge(a, a) == merge(a)
    with pytest.raises(InputError, match="differs between snapshots"):
        merge(a, Snapshot(file_systems=[_fs("fs-0000000a", encrypted=False)]))
