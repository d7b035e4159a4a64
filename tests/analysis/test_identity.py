"""POSIX identity and transport resolution (efs-semantics.md §1.4, §3.2, §4.1-4.2, §5, §6.2, §6.6)."""

import pytest

from auditor.analysis import identity as ident
from auditor.model.aws import AccessPoint, EfsVolumeConfiguration, PosixUser, RootDirectory
from auditor.model.k8s import Container, PodTemplate, SecurityContext


def _ap(posix=None):
    return AccessPoint(
        arn="arn:aws:elasticfilesystem:eu-west-1:1:access-point/fsap-0000000000000000a",
        access_point_id="fsap-0000000000000000a",
        file_system_id="fs-00000001",
        account_id="1",
        region="eu-west-1",
        posix_user=posix,
        root_directory=RootDirectory(path="/a"),
    )


def test_s1_4_access_point_posix_user_replaces_client_identity():
    got = ident.from_access_point(_ap(PosixUser(uid=1000, gid=1000, secondary_gids=[3000])))
    assert (got.uid, got.gid, got.groups, got.enforced_by) == (1000, 1000, (3000,), "fsap-0000000000000000a")
    assert not got.may_be_root()


def test_s1_4_access_point_without_posix_user_enforces_nothing():
    assert ident.from_access_point(_ap()) is None


def test_edge_16_access_point_enforcing_root_is_root():
    assert ident.from_access_point(_ap(PosixUser(uid=0, gid=0))).may_be_root()
    assert ident.from_access_point(_ap(PosixUser(uid=1, gid=0))).may_be_root(gid0_is_root=True)
    assert not ident.from_access_point(_ap(PosixUser(uid=1, gid=0))).may_be_root(gid0_is_root=False)


@pytest.mark.parametrize(
    "user, uid, gid, uid_root, gid_root",
    [
        (None, None, None, True, True),  # §4.2: image USER, root when none
        ("0", 0, None, True, True),
        ("root", 0, None, True, True),  # root's primary group is 0
        ("1000", 1000, None, False, True),  # edge 25: numeric uid without group -> gid 0
        ("1000:1000", 1000, 1000, False, False),
        ("1000:0", 1000, 0, False, True),
        ("app", None, None, False, False),
        ("app:root", None, 0, False, True),
    ],
)
def test_s4_2_ecs_container_user_resolution(user, uid, gid, uid_root, gid_root):
    got = ident.from_ecs_user(user)
    assert (got.uid, got.gid, got.uid_may_be_root, got.gid_may_be_root) == (uid, gid, uid_root, gid_root)


def _pod(pod_sc=None, ctr_sc=None):
    c = Container(name="app", security_context=ctr_sc)
    return PodTemplate(security_context=pod_sc, containers=[c]), c


def test_edge_26_run_as_non_root_does_not_prevent_gid_0():
    tpl, c = _pod(SecurityContext(run_as_non_root=True, run_as_user=1000))
    got = ident.from_pod(tpl, c)
    assert got.uid == 1000 and got.gid is None
    assert not got.uid_may_be_root and got.gid_may_be_root


def test_s6_6_container_context_overrides_pod_context():
    tpl, c = _pod(
        SecurityContext(run_as_user=1, run_as_group=1), SecurityContext(run_as_user=2, run_as_group=3)
    )
    got = ident.from_pod(tpl, c)
    assert (got.uid, got.gid) == (2, 3)


def test_s6_6_no_security_context_is_image_default_root():
    tpl, c = _pod()
    got = ident.from_pod(tpl, c)
    assert got.uid is None and got.uid_may_be_root


def test_edge_34_36_fs_group_and_supplemental_groups_are_groups_and_image_groups_noted():
    tpl, c = _pod(SecurityContext(run_as_user=1, run_as_group=1, fs_group=2000, supplemental_groups=[6000]))
    got = ident.from_pod(tpl, c)
    assert got.groups == (2000, 6000)
    assert any("edge 36" in n for n in got.notes)
    strict = ident.from_pod(
        *_pod(SecurityContext(run_as_user=1, run_as_group=1, supplemental_groups_policy="Strict"))
    )
    assert not any("edge 36" in n for n in strict.notes)


def test_edge_35_more_than_16_groups_is_noted():
    tpl, c = _pod(SecurityContext(run_as_user=1, run_as_group=1, supplemental_groups=list(range(100, 120))))
    assert any("edge 35" in n for n in ident.from_pod(tpl, c).notes)


def test_edge_42_lambda_sandbox_user_is_never_root():
    got = ident.lambda_identity(None)
    assert not got.may_be_root() and got.uid is None


@pytest.mark.parametrize(
    "transit, tls",
    [(None, False), ("DISABLED", False), ("ENABLED", True)],
)
def test_s4_1_ecs_transit_encryption_defaults_to_disabled(transit, tls):
    vol = EfsVolumeConfiguration(file_system_id="fs-00000001", transit_encryption=transit)
    assert ident.ecs_tls(vol)[0] is tls


@pytest.mark.parametrize(
    "attrs, flags, has_ap, tls",
    [
        (None, set(), False, True),  # §6.2 default true
        ({"encryptInTransit": "false"}, set(), False, False),
        ({"encryptInTransit": "FALSE"}, set(), False, False),
        ({"encryptInTransit": "false"}, set(), True, True),  # edge 27: an access point forces tls
        ({"encryptInTransit": "false"}, {"tls"}, False, True),
        ({"encryptInTransit": "true"}, set(), False, True),
    ],
)
def test_s6_2_csi_encrypt_in_transit(attrs, flags, has_ap, tls):
    assert ident.csi_tls(attrs, flags, has_ap)[0] is tls


@pytest.mark.parametrize(
    "image, version",
    [
        ("public.ecr.aws/efs-csi-driver/amazon/aws-efs-csi-driver:v2.1.4", (2, 1, 4)),
        ("602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/aws-efs-csi-driver:v1.7.0-eksbuild.1", (1, 7, 0)),
        ("amazon/aws-efs-csi-driver:v0.3.0", (0, 3, 0)),
        ("amazon/aws-efs-csi-driver:v3.4@sha256:" + "0" * 64, (3, 4, 0)),
        ("amazon/aws-efs-csi-driver:latest", None),
        ("amazon/aws-efs-csi-driver@sha256:" + "0" * 64, None),
        (None, None),
    ],
)
def test_s9_csi_driver_version_is_read_from_the_image_tag(image, version):
    from auditor.model.k8s import CsiComponent

    assert (
        CsiComponent(
            kind="DaemonSet", namespace="kube-system", name="efs-csi-node", image=image
        ).driver_version
        == version
    )


@pytest.mark.parametrize(
    "attrs, flags, has_ap, tls",
    [
        (None, set(), False, False),  # before v1.0.0 there is no encryptInTransit: plaintext by default
        ({"encryptInTransit": "true"}, set(), False, False),  # the attribute does not exist yet
        (None, {"tls"}, False, True),
        (None, set(), True, False),  # nor does the driver add tls for an access point (the mount fails)
    ],
)
def test_s6_2_csi_before_v1_uses_tls_only_from_mount_options(attrs, flags, has_ap, tls):
    assert ident.csi_tls(attrs, flags, has_ap, (0, 3, 0))[0] is tls
    assert ident.csi_tls(attrs, flags, has_ap, (1, 0, 0))[0] is True  # from v1.0.0 each of these is TLS
