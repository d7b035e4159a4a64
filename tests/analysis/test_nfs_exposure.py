"""§7, edge 39: NFS exposure beyond the whole internet. TCP 2049 (or all traffic, or a port range holding
2049) open to a range wider than the named prefix threshold (Params.nfs_open_max_prefix, /16 by default)
or to a whole RFC 1918 block is a FAIL; the evidence names the CIDRs and the security groups admitted."""

import pytest

from auditor.model import aws
from auditor.model.result import Status
from tests.analysis.estate import ACCT, fs, run, snapshot

MT = "arn:aws:elasticfilesystem:eu-west-1:111122223333:mount-target/fsmt-1"


def estate(*rules: aws.IngressRule):
    mt = aws.MountTarget(
        mount_target_id="fsmt-1",
        file_system_id="fs-00000001",
        subnet_id="subnet-1",
        security_group_ids=["sg-1"],
    )
    return snapshot(
        file_systems=[fs(1, mount_targets=[mt])],
        security_groups=[
            aws.SecurityGroup(group_id="sg-1", account_id=ACCT, region="eu-west-1", ingress=list(rules))
        ],
    )


def nfs(*cidrs, groups=(), protocol="tcp", ports=(2049, 2049)):
    return aws.IngressRule(
        protocol=protocol, from_port=ports[0], to_port=ports[1], cidrs=list(cidrs), source_groups=list(groups)
    )


@pytest.mark.parametrize(
    "rule,status",
    [
        (nfs("0.0.0.0/0"), Status.FAIL),
        (nfs("::/0"), Status.FAIL),
        (nfs("10.0.0.0/8"), Status.FAIL),  # the whole RFC 1918 10/8
        (nfs("172.16.0.0/12"), Status.FAIL),
        (nfs("192.168.0.0/16"), Status.FAIL),  # not wider than /16, but a whole RFC 1918 block
        (nfs("100.64.0.0/10"), Status.FAIL),  # wider than /16
        (nfs("10.1.0.0/16"), Status.PASS),
        (nfs("10.1.2.0/24", groups=["sg-app"]), Status.PASS),
        (nfs("10.0.0.0/8", protocol="-1", ports=(None, None)), Status.FAIL),  # all traffic
        (nfs("10.0.0.0/8", ports=(2000, 3000)), Status.FAIL),  # a range holding 2049
        (nfs("10.0.0.0/8", ports=(22, 22)), Status.PASS),
        (nfs("10.0.0.0/8", protocol="udp"), Status.PASS),
    ],
)
def test_s7_edge_39_broad_ranges_admitted_to_nfs(rule, status):
    assert run("efs_mount_target_nfs_open", estate(rule))[MT][0] is status


def test_s7_evidence_names_cidrs_and_security_groups_admitted():
    status, ev = run(
        "efs_mount_target_nfs_open", estate(nfs("10.0.0.0/8", "10.9.9.0/24", groups=["sg-app"]))
    )[MT]
    assert status is Status.FAIL
    assert ev["rules"][0]["broad_cidrs"] == ["10.0.0.0/8"]
    assert ev["admitted_cidrs"] == ["10.0.0.0/8", "10.9.9.0/24"]
    assert ev["admitted_security_groups"] == ["sg-app"]
    assert ev["broad_prefix_threshold"] == 16
    status, ev = run("efs_mount_target_nfs_open", estate(nfs("10.1.2.0/24", groups=["sg-app"])))[MT]
    assert status is Status.PASS and ev["admitted_security_groups"] == ["sg-app"]


def test_s7_prefix_threshold_is_a_named_parameter():
    snap = estate(nfs("10.1.0.0/16"))
    assert run("efs_mount_target_nfs_open", snap)[MT][0] is Status.PASS
    assert run("efs_mount_target_nfs_open", snap, nfs_open_max_prefix=20)[MT][0] is Status.FAIL
