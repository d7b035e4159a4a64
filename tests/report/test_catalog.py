from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from auditor import catalog
from auditor.model.result import Severity
from auditor.model.snapshot import InputError
from tests.report.report_fixtures import CHECK_IDS

POLICIES = Path(catalog.__file__).resolve().parent.parent / "policies"

SEVERITIES = {
    "efs_root_squash_gap": "critical",
    "efs_cross_app_reach": "high",
    "efs_unencrypted_mount": "high",
    "efs_policy_missing": "high",
    "efs_policy_anonymous_access": "high",
    "efs_policy_no_secure_transport": "medium",
    "efs_policy_cross_account": "high",
    "efs_policy_unenforced_condition": "medium",
    "efs_policy_dangling_principal": "low",
    "efs_access_point_no_user_identity": "medium",
    "efs_access_point_root_identity": "high",
    "efs_access_point_root_directory": "medium",
    "efs_access_point_world_writable": "medium",
    "efs_access_point_tagged": "low",
    "efs_encrypted_at_rest": "high",
    "efs_backup_enabled": "medium",
    "efs_mount_target_public_subnet": "medium",
    "efs_mount_target_nfs_open": "high",
    "efs_workload_runs_as_root": "high",
    "efs_ecs_invalid_volume": "low",
    "efs_workload_volume_unmountable": "low",
    "efs_automatic_backups_enabled": "medium",
    "efs_access_point_nested_root": "high",
    "efs_access_point_identity_collision": "medium",
}


def test_every_check_has_metadata_with_the_specified_severity(cat):
    assert set(cat.checks) == set(CHECK_IDS) == set(SEVERITIES)
    assert {c: m.severity.value for c, m in cat.checks.items()} == SEVERITIES
    for meta in cat.checks.values():
        assert meta.title and meta.description and meta.risk and meta.references
        assert set(meta.remediation) <= set(catalog.REMEDIATION_KINDS) and "console" in meta.remediation


# Titles state the control's desired state, so that a PASS row reads as good news.
TITLES = {
    "efs_access_point_no_user_identity": "EFS access points enforce a user identity",
    "efs_access_point_root_directory": "EFS access points do not expose the file system root directory",
    "efs_access_point_root_identity": "EFS access points do not enforce a root identity",
    "efs_access_point_tagged": "EFS access points are tagged",
    "efs_access_point_world_writable": "EFS access points do not create a world-writable root directory",
    "efs_backup_enabled": "EFS file systems are in an AWS Backup plan",
    "efs_cross_app_reach": "Workloads cannot reach another application's directory",
    "efs_ecs_invalid_volume": "ECS EFS volume configurations are valid and can mount",
    "efs_encrypted_at_rest": "EFS file systems are encrypted at rest",
    "efs_mount_target_nfs_open": "EFS mount targets do not accept NFS from broad address ranges",
    "efs_mount_target_public_subnet": "EFS mount targets are not in public subnets",
    "efs_policy_anonymous_access": "EFS file system policies do not let anonymous clients mount",
    "efs_policy_cross_account": "EFS file system policies grant access only within the account or to trusted accounts",
    "efs_policy_dangling_principal": "EFS file system policies name no deleted principal",
    "efs_policy_missing": "EFS file systems have a file system policy",
    "efs_policy_no_secure_transport": "EFS file system policies require TLS",
    "efs_policy_unenforced_condition": "EFS file system policies rely on no condition EFS ignores for NFS clients",
    "efs_root_squash_gap": "No workload or principal acts as root on an EFS file system",
    "efs_unencrypted_mount": "Workloads mount EFS with TLS",
    "efs_workload_runs_as_root": "Workloads do not run as root on EFS mounts that enforce no identity",
    "efs_workload_volume_unmountable": "Every workload EFS volume can mount",
    "efs_automatic_backups_enabled": "EFS file systems have automatic backups enabled",
    "efs_access_point_nested_root": "EFS access points of one application contain no other application's directory",
    "efs_access_point_identity_collision": "EFS access points of different applications share no POSIX identity",
}


def test_titles_state_the_desired_state(cat):
    assert {c: m.title for c, m in cat.checks.items()} == TITLES


def test_security_hub_and_cis_mappings(cat):
    fsbp = {c: m.frameworks.get("aws-fsbp", []) for c, m in cat.checks.items()}
    assert fsbp["efs_encrypted_at_rest"] == ["EFS.1", "EFS.8"]
    assert fsbp["efs_backup_enabled"] == ["EFS.2"]  # efs-in-backup-plan
    assert fsbp["efs_automatic_backups_enabled"] == [
        "EFS.7"
    ]  # efs-automatic-backups-enabled: the policy alone
    assert fsbp["efs_access_point_root_directory"] == ["EFS.3"]
    assert fsbp["efs_access_point_no_user_identity"] == ["EFS.4"]
    assert fsbp["efs_access_point_tagged"] == ["EFS.5"]
    assert fsbp["efs_mount_target_public_subnet"] == ["EFS.6"]
    assert fsbp["efs_workload_runs_as_root"] == ["ECS.20"]
    assert "ECS.1" not in cat.frameworks["aws-fsbp"].controls  # network modes are not evaluated
    assert cat.checks["efs_encrypted_at_rest"].frameworks["cis-aws"] == ["2.3.1"]
    assert set(cat.frameworks) == {
        "aws-fsbp",
        "cis-aws",
        "nist-800-53",
        "pci-dss-4",
        "hipaa",
        "soc2",
        "iso27001-2022",
    }
    # every control listed in a framework file is backed by at least one check
    used = {(fw, c) for m in cat.checks.values() for fw, ids in m.frameworks.items() for c in ids}
    assert {(fw, c) for fw, f in cat.frameworks.items() for c in f.controls} == used


def test_parameter_defaults_agree_with_params():
    from auditor.params import Params

    defaults = Params().model_dump()
    cat = catalog.load(check_ids=CHECK_IDS)
    for meta in cat.checks.values():
        for name, spec in meta.parameters.items():
            assert name in defaults, (meta.check_id, name)
            assert spec["default"] == defaults[name], (meta.check_id, name)


def test_digest_is_stable_and_changes_with_any_file(tmp_path):
    root = tmp_path / "policies"
    shutil.copytree(POLICIES, root)
    a = catalog.load(root, CHECK_IDS).digest
    assert a == catalog.load(root, CHECK_IDS).digest == catalog.load(POLICIES, CHECK_IDS).digest
    p = root / "frameworks" / "soc2.yaml"
    p.write_text(p.read_text() + "\n# comment\n")
    assert catalog.load(root, CHECK_IDS).digest != a


def _broken(tmp_path, name: str, old: str, new: str) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(POLICIES, root)
    p = root / name
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new, 1))
    return root


@pytest.mark.parametrize(
    "name,old,new,expect",
    [
        (
            "checks/efs_backup_enabled.yaml",
            "severity: medium",
            "severity: urgent",
            "efs_backup_enabled.yaml: severity:",
        ),
        ("checks/efs_backup_enabled.yaml", "risk: >-", "riskk: >-", "efs_backup_enabled.yaml: risk: missing"),
        (
            "checks/efs_backup_enabled.yaml",
            "nist-800-53: [CP-9, CP-10]",
            "nist-800-53: [CP-9, CP-99]",
            "efs_backup_enabled.yaml: frameworks.nist-800-53: control 'CP-99' is not in nist-800-53.yaml",
        ),
        (
            "checks/efs_backup_enabled.yaml",
            "soc2: [A1.2]",
            "sox: [A1.2]",
            "efs_backup_enabled.yaml: frameworks.sox:",
        ),
        (
            "checks/efs_backup_enabled.yaml",
            "check_id: efs_backup_enabled",
            "check_id: efs_backups",
            "efs_backup_enabled.yaml: check_id:",
        ),
        (
            "checks/efs_backup_enabled.yaml",
            "title:",
            "title: !!python/object/apply:os.system ['true']\nx:",
            "efs_backup_enabled.yaml: not valid YAML",
        ),
        (
            "frameworks/iso27001-2022.yaml",
            '"8.13": Information backup',
            "8.13: Information backup",
            "iso27001-2022.yaml: controls.8.13: control id must be a string",
        ),
    ],
)
def test_bad_metadata_names_file_and_field(tmp_path, name, old, new, expect):
    root = _broken(tmp_path, name, old, new)
    with pytest.raises(InputError) as err:
        catalog.load(root, CHECK_IDS)
    assert expect in str(err.value)
    assert "\n" not in str(err.value)


def test_check_without_metadata_and_metadata_without_check(tmp_path):
    with pytest.raises(InputError, match=r"efs_new_check\.yaml: no metadata for check 'efs_new_check'"):
        catalog.load(POLICIES, [*CHECK_IDS, "efs_new_check"])
    with pytest.raises(
        InputError,
        match=r"efs_backup_enabled\.yaml: check_id: 'efs_backup_enabled' has metadata "
        r"but no check",
    ):
        catalog.load(POLICIES, [c for c in CHECK_IDS if c != "efs_backup_enabled"])


def test_severity_is_the_model_enum(cat):
    assert cat.checks["efs_root_squash_gap"].severity is Severity.CRITICAL
    assert cat.controls_of("efs_encrypted_at_rest", "hipaa") == ["164.312(a)(2)(iv)"]
