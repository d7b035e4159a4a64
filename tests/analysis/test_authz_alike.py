"""Authz.grant answers access points on which every elasticfilesystem:AccessPointArn condition of the
policies has the same outcome with one evaluation (§2.4: the access point ARN enters the request context
only under that key), and evaluates apart every access point a condition tells apart."""

from __future__ import annotations

from auditor.analysis.access import Analysis
from auditor.iam import Decision
from auditor.model.snapshot import Snapshot
from tests.analysis.estate import ALL, ap, ap_arn, fs, identity, policy, role, role_arn

AP_KEY = "elasticfilesystem:AccessPointArn"


OTHER = policy({"Effect": "Allow", "Principal": {"AWS": role_arn("other")}, "Action": ALL})


def _analysis(*statements, fs_policy=OTHER) -> Analysis:
    aps = [ap(n, f"/d{n}", uid=1000 + n) for n in range(1, 6)]
    snap = Snapshot(
        file_systems=[fs(1, fs_policy)],
        access_points=aps,
        roles=[role("app", *statements)],
    )
    return Analysis(snap)


def _grants(a: Analysis, principal: str | None = role_arn("app")):
    f = a.snapshot.file_systems[0]
    return {n: a.authz.grant(f, principal, True, ap_arn(n)) for n in range(1, 6)}


def test_access_points_named_in_one_condition_share_one_evaluation_section_2_4():
    """Two access points in one StringEquals list: the same outcome for every condition, one evaluation."""
    a = _analysis(identity(ALL, StringEquals={AP_KEY: [ap_arn(1), ap_arn(2)]}))
    g = _grants(a)
    assert g[1] is g[2]
    assert g[1].mount is Decision.ALLOW and g[1].root is Decision.ALLOW
    assert g[3] is g[4] is g[5] and g[3] is not g[1]
    assert g[3].mount is Decision.DENY


def test_access_points_a_condition_tells_apart_are_evaluated_apart_section_2_4():
    """Each access point named in its own statement (one allows write, the other not) keeps its own answer."""
    a = _analysis(
        identity(ALL[:1], StringEquals={AP_KEY: ap_arn(1)}),
        identity(ALL[:2], StringEquals={AP_KEY: ap_arn(2)}),
    )
    g = _grants(a)
    assert g[1] is not g[2]
    assert (g[1].mount, g[1].write) == (Decision.ALLOW, Decision.DENY)
    assert (g[2].mount, g[2].write) == (Decision.ALLOW, Decision.ALLOW)


def test_shared_answer_equals_the_answer_evaluated_on_its_own_section_2_4():
    """The shared grant's decisions and evidence are those of a fresh evaluation of each access point."""
    fs_pol = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ALL,
            "Condition": {"StringLike": {AP_KEY: ["*/fsap-00000000000000001", "*/fsap-00000000000000002"]}},
        }
    )
    for principal in (None, role_arn("app")):
        shared = _grants(_analysis(identity(ALL), fs_policy=fs_pol), principal)
        for n in range(1, 6):
            alone = _grants(_analysis(identity(ALL), fs_policy=fs_pol), principal)[n]
            assert shared[n].evidence() == alone.evidence()
        assert shared[1] is shared[2] and shared[3] is shared[4] is shared[5]
        assert shared[1].mount is Decision.ALLOW and shared[3].mount is (
            Decision.DENY if principal is None else Decision.ALLOW
        )


def test_a_note_naming_the_access_point_keeps_it_apart_section_2_4():
    """A comparison that cannot be decided names the request value in its note: no sharing then."""
    a = _analysis(identity(ALL, NumericEquals={AP_KEY: "1"}))
    g = _grants(a)
    assert len({id(x) for x in g.values()}) == 5
    for n in range(1, 6):
        assert g[n].mount is Decision.UNKNOWN
        assert any(ap_arn(n) in note for note in g[n].evidence()["indeterminate"])
