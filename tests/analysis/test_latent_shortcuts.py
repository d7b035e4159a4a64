"""The latent checks answer the common case (a root or an identity held by one application) without
reading the per-directory lists; the uncommon cases still get the full answer (§1.5 edge 18, §1.2
edges 19 and 20)."""

from __future__ import annotations

from auditor.model.result import Status
from tests.analysis.estate import TLS_DENY, ap, ap_arn, fs, policy, run, snapshot

FAIL, PASS, NOT_ASSESSED = Status.FAIL, Status.PASS, Status.NOT_ASSESSED
NESTED, COLLISION = "efs_access_point_nested_root", "efs_access_point_identity_collision"
CLOSED = policy(TLS_DENY)


def test_edge_18_a_full_list_of_applications_below_a_root_still_takes_one_that_sorts_first():
    """Directories are merged deepest first: an application met late that sorts before a full list's
    last one must still be named among the first five."""
    aps = [ap(1, "/", 1, app="owner")]
    aps += [ap(n, f"/d/{name}", 100 + n, app=name) for n, name in enumerate("ghijklm", start=2)]
    aps.append(ap(20, "/a", 200, app="b-early"))  # a sibling subtree merged after /d's
    got = run(NESTED, snapshot(file_systems=[fs(1, CLOSED)], access_points=aps))
    status, ev = got[ap_arn(1)]
    assert status is FAIL
    assert ev["other_applications"] == ["b-early", "g", "h", "i", "j"]
    assert ev["more_other_applications"] is True


def test_edge_18_a_root_of_one_application_passes_and_an_untagged_one_is_not_assessed():
    snap = snapshot(
        file_systems=[fs(1, CLOSED)],
        access_points=[ap(1, "/one", 1, app="one"), ap(2, "/two", 2), ap(3, "/two/x", 3, app="x")],
    )
    got = run(NESTED, snap)
    assert got[ap_arn(1)][0] is PASS
    assert got[ap_arn(2)][0] is NOT_ASSESSED  # no application: whether x is another's cannot be told
    assert got[ap_arn(2)][1]["other_applications"] == ["x"]


def test_edges_19_20_an_access_point_of_two_applications_is_checked_against_each_other():
    """One access point tagged for one application and mounted by another holds its uid for both:
    the uid is shared, and the other application holding it is found."""
    snap = snapshot(
        file_systems=[fs(1, CLOSED)],
        access_points=[
            ap(1, "/a", 7000, app="a"),
            ap(2, "/b", 7000, gid=9, app="b"),
            ap(3, "/c", 8000, app="c"),
        ],
    )
    got = run(COLLISION, snap)
    assert got[ap_arn(1)][0] is FAIL and got[ap_arn(1)][1]["collisions"][0]["other_application"] == "b"
    assert got[ap_arn(2)][0] is FAIL and got[ap_arn(2)][1]["collisions"][0]["matches"] == "uid"
    assert got[ap_arn(3)][0] is PASS


def test_edge_20_a_secondary_gid_matching_another_applications_only_uid_is_found():
    snap = snapshot(
        file_systems=[fs(1, CLOSED)],
        access_points=[ap(1, "/a", 7000, app="a", secondary=(8000,)), ap(2, "/b", 8000, gid=8001, app="b")],
    )
    status, ev = run(COLLISION, snap)[ap_arn(1)]
    assert status is FAIL
    assert ev["collisions"][0] | {"other_applications": None} == {
        "identity": "secondary gid",
        "id": 8000,
        "matches": "uid",
        "other_application": "b",
        "other_access_point": ap_arn(2),
        "other_applications": None,
    }
