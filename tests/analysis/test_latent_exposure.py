"""Latent exposure at the access point layer, with or without workloads (§1.5 edge 18, §10.19, §10.20)."""

from __future__ import annotations

from auditor.analysis.mounts import app_name
from auditor.model.result import Status
from auditor.params import Params
from tests.analysis.estate import (
    MW,
    TLS_DENY,
    allow,
    ap,
    ap_arn,
    fs,
    policy,
    role,
    role_arn,
    run,
    snapshot,
    statuses,
    task,
)

FAIL, PASS = Status.FAIL, Status.PASS
NESTED, COLLISION = "efs_access_point_nested_root", "efs_access_point_identity_collision"
CLOSED = policy(TLS_DENY)  # a policy with no Allow: nobody may mount (§2.2, §2.5)


def test_edge_18_nested_root_without_any_workload_is_a_latent_fail_with_the_reason():
    snap = snapshot(
        file_systems=[fs(1, CLOSED)],
        access_points=[ap(1, "/app", 1001, app="outer"), ap(2, "/app/tenant1", 1002, app="inner")],
    )
    got = run(NESTED, snap)
    status, ev = got[ap_arn(1)]
    assert status is FAIL
    assert ev["other_applications"] == ["inner"] and ev["other_directory"] == "/app/tenant1"
    assert ev["reachable_now"] is False and "no workload mounts it" in ev["not_reachable_because"]
    assert got[ap_arn(2)][0] is PASS


def test_edge_18_nested_root_reachable_now_names_the_principal_and_its_path():
    # No file system policy: the default policy lets any client mount without an access point (§2.2).
    snap = snapshot(
        file_systems=[fs(1)],
        access_points=[ap(1, "/app", 1001, app="outer"), ap(2, "/app/tenant1", 1002, app="inner")],
    )
    status, ev = run(NESTED, snap)[ap_arn(1)]
    assert status is FAIL and ev["reachable_now"] is True
    assert ev["reach_path"][0] == "principal://anonymous"


def test_edge_18_workload_mounting_the_outer_access_point_is_the_reach_path_and_is_named():
    pol = policy(TLS_DENY, allow(role_arn("r"), MW))
    snap = snapshot(
        file_systems=[fs(1, pol)],
        roles=[role("r")],
        access_points=[ap(1, "/app", 1001, app="outer"), ap(2, "/app/tenant1", 1002, app="inner")],
        task_definitions=[task("outer", ap_n=1, app="outer", iam="ENABLED", task_role="r")],
    )
    status, ev = run(NESTED, snap)[ap_arn(1)]
    td = "arn:aws:ecs:eu-west-1:111122223333:task-definition/outer:1"
    assert status is FAIL and ev["reachable_now"] is True and ev["reach_path"][0] == td
    assert ev["mounted_by"] == [td]


def test_s1_5_shared_root_and_an_access_point_at_slash_spanning_applications():
    snap = snapshot(
        file_systems=[fs(1, CLOSED)],
        access_points=[
            ap(1, "/data", 1001, app="a"),
            ap(2, "/data", 1002, app="b"),
            ap(3, "/", 0),
            ap(4, "/c", 1004, app="c"),
        ],
    )
    got = statuses(NESTED, snap)
    assert got[ap_arn(1)] is FAIL and got[ap_arn(2)] is FAIL  # shared root
    assert got[ap_arn(3)] is FAIL  # untagged access point at / holding several applications
    assert got[ap_arn(4)] is PASS


def test_s1_5_untagged_access_point_over_one_application_is_not_assessed_never_pass():
    snap = snapshot(
        file_systems=[fs(1, CLOSED)],
        access_points=[ap(1, "/", 0), ap(2, "/a", 1002, app="a"), ap(3, "/x", 5), ap(4, "/x/y", 6)],
    )
    got = run(NESTED, snap)
    assert (
        got[ap_arn(1)][0] is Status.NOT_ASSESSED and "no known application" in got[ap_arn(1)][1]["reason"][0]
    )
    assert got[ap_arn(3)][0] is PASS  # holds no application's directory


def test_s10_19_untagged_access_point_sharing_an_applications_uid_is_not_assessed_never_pass():
    snap = snapshot(
        file_systems=[fs(1, CLOSED)],
        access_points=[ap(1, "/x", 1000), ap(2, "/a", 1000, app="a"), ap(3, "/y", 7)],
    )
    got = statuses(COLLISION, snap)
    assert got[ap_arn(1)] is Status.NOT_ASSESSED and got[ap_arn(3)] is PASS


def test_s10_19_same_uid_on_two_applications_access_points_is_a_collision_even_unreachable():
    snap = snapshot(
        file_systems=[fs(1, CLOSED)],
        access_points=[ap(1, "/a", 1000, app="a"), ap(2, "/b", 1000, gid=2000, app="b")],
    )
    status, ev = run(COLLISION, snap)[ap_arn(1)]
    assert status is FAIL and ev["reachable_now"] is False
    assert ev["collisions"][0] == {
        "identity": "uid",
        "id": 1000,
        "matches": "uid",
        "other_application": "b",
        "other_access_point": ap_arn(2),
        "other_applications": ["b"],
    }
    assert "not_reachable_because" in ev


def test_s10_19_collision_reachable_when_a_principal_of_the_application_may_mount_the_other_access_point():
    pol = policy(TLS_DENY, allow(role_arn("ra"), MW, StringLike={"elasticfilesystem:AccessPointArn": "*"}))
    snap = snapshot(
        file_systems=[fs(1, pol)],
        roles=[role("ra")],
        access_points=[ap(1, "/a", 1000, app="a"), ap(2, "/b", 1000, gid=2000, app="b")],
        task_definitions=[task("a", ap_n=1, app="a", iam="ENABLED", task_role="ra")],
    )
    status, ev = run(COLLISION, snap)[ap_arn(1)]
    assert status is FAIL and ev["reachable_now"] is True
    assert ev["reach_path"][0] == role_arn("ra") and ev["reach_path"][-1] == ap_arn(2)


def test_s10_19_same_primary_gid_is_a_collision():
    snap = snapshot(
        file_systems=[fs(1, CLOSED)],
        access_points=[ap(1, "/a", 1001, gid=5000, app="a"), ap(2, "/b", 1002, gid=5000, app="b")],
    )
    status, ev = run(COLLISION, snap)[ap_arn(1)]
    assert status is FAIL and ev["collisions"][0]["identity"] == "gid"


def test_s10_20_secondary_gid_equal_to_another_applications_directory_group_is_a_collision():
    snap = snapshot(
        file_systems=[fs(1, CLOSED)],
        access_points=[
            ap(1, "/a", 1001, app="a", secondary=[3000]),
            ap(2, "/b", 1002, app="b", creation=(0, 3000, "2770")),
        ],
    )
    got = run(COLLISION, snap)
    status, ev = got[ap_arn(1)]
    assert status is FAIL
    assert (ev["collisions"][0]["identity"], ev["collisions"][0]["matches"]) == ("secondary gid", "owner gid")
    assert got[ap_arn(2)][0] is PASS


def test_s10_19_distinct_identities_and_one_applications_own_access_points_pass():
    snap = snapshot(
        file_systems=[fs(1, CLOSED), fs(2, CLOSED)],
        access_points=[
            ap(1, "/a", 1000, app="a"),
            ap(2, "/a2", 1000, app="a"),
            ap(3, "/b", 1001, app="b"),
            ap(4, "/c", 1000, fs_n=2, app="c"),
        ],
    )
    assert set(statuses(COLLISION, snap).values()) == {PASS}


def test_applications_tag_key_matches_case_insensitively_by_default():
    assert app_name({"App": "billing"}, Params()) == "billing"
    assert app_name({"APP": "billing"}, Params()) == "billing"
    assert app_name({"app": "exact", "App": "other"}, Params()) == "exact"
    assert app_name({"App": "billing"}, Params(app_label_ignore_case=False)) is None
    assert app_name({"Team": "t", "app": "a"}, Params(app_label_keys=["team"])) == "t"


def test_latent_checks_are_near_linear_they_group_access_points_by_identity():
    """1,000 access points sharing one uid across 1,000 applications: each result names at most five
    other applications (no pairwise lists)."""
    aps = [ap(i, f"/d{i}", 4242, app=f"app{i}") for i in range(1, 1001)]
    got = run(COLLISION, snapshot(file_systems=[fs(1, CLOSED)], access_points=aps))
    assert len(got) == 1000 and all(
        s is FAIL and len(ev["collisions"][0]["other_applications"]) <= 5 for s, ev in got.values()
    )


def test_s1_5_a_pass_that_relies_on_workloads_not_collected_is_not_assessed():
    """Applications of untagged access points come from the workloads that mount them: without the
    workload services of that account and region no PASS can be proven."""
    from auditor.model.snapshot import CollectionIssue

    issue = CollectionIssue(
        scope="aws:111122223333:eu-west-1",
        service="ecs",
        operation="ListTaskDefinitions",
        error_code="AccessDenied",
        message="denied",
    )
    snap = snapshot(
        file_systems=[fs(1, CLOSED)],
        access_points=[ap(1, "/a", 1000, app="a"), ap(2, "/b", 1001)],
        issues=[issue],
    )
    for check in (NESTED, COLLISION):
        got = run(check, snap)
        assert {s for s, _ in got.values()} == {Status.NOT_ASSESSED}, check
        assert "ecs in aws:111122223333:eu-west-1" in got[ap_arn(1)][1]["reason"][0]
