"""Answers the analysis keeps (a mount's connection, a grant's evidence) are the answers a fresh
evaluation gives, also when what a grant is missing changes after they were first given (§0 layer 4:
a policy that cannot be evaluated makes the connection NOT_ASSESSED, never a stale PASS)."""

from __future__ import annotations

from auditor.analysis.access import Analysis
from auditor.iam import Decision, Evaluation
from auditor.params import Params
from tests.analysis.estate import ALL, TLS_DENY, ap, fs, identity, policy, role, snapshot, task

MALFORMED = {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}


def _analysis(*statements, malformed: bool = False) -> Analysis:
    r = role("r", *statements)
    if malformed:
        r = r.model_copy(update={"inline_policies": {"p": MALFORMED}})
    snap = snapshot(
        file_systems=[fs(1, policy(TLS_DENY))],  # names nobody: IAM comes from the identity side
        access_points=[ap(1, "/a", 1001, app="a")],
        roles=[r],
        task_definitions=[task("t", ap_n=1, iam="ENABLED", task_role="r")],
    )
    return Analysis(snap, Params())


def _same(x, y) -> None:
    assert (x.mount, x.principals, x.grants, x.not_assessed) == (
        y.mount,
        y.principals,
        y.grants,
        y.not_assessed,
    )


def test_connection_is_evaluated_once_per_mount_and_equals_a_fresh_one():
    a = _analysis(identity(ALL))
    m = a.mounts[0]
    conn = a.connection(m)
    assert conn.can("mount", a.params) is True
    assert a.connection(m) is conn
    _same(conn, a._connect(m))


def test_connection_names_a_policy_that_failed_to_evaluate_after_it_was_first_given():
    """§0 layer 4: the policy error appears only once ClientMount is evaluated; the connection asked
    for after that says it, as a connection built afresh would."""
    a = _analysis(malformed=True)
    m = a.mounts[0]
    first = a.connection(m)
    assert first.not_assessed == []  # nothing evaluated yet
    assert first.can("mount", a.params) is None
    again = a.connection(m)
    assert again is not first
    assert any("could not be evaluated" in r for r in again.not_assessed)
    _same(again, a._connect(m))
    assert again.can("mount", a.params) is None


def test_released_authorization_evaluates_connections_anew():
    a = _analysis(identity(ALL))
    m = a.mounts[0]
    conn = a.connection(m)
    a.release_authorization()
    fresh = a.connection(m)
    assert fresh is not conn and fresh.grants[0] is not conn.grants[0]
    assert fresh.can("mount", a.params) is True


def test_grant_evidence_is_shared_until_what_is_missing_changes():
    a = _analysis(malformed=True)
    g = a.connection(a.mounts[0]).grants[0]
    mount_only = g.evidence(("ClientMount",))
    assert "not_collected" in mount_only  # ClientMount evaluated: the policy error is missing data
    assert g.evidence(("ClientMount",)) is mount_only
    assert g.evidence(("ClientMount",)) == {
        "ClientMount": "UNKNOWN",
        "reasons": [],
        "not_collected": list(g.missing),
    }
    assert g.evidence() is not mount_only and g.evidence() is g.evidence()


def test_grant_evidence_shows_missing_identity_data_once_a_decision_is_indeterminate():
    """Identity data not collected matters only once a decision is UNKNOWN: evidence given before that
    decision was made is built again after it."""
    a = _analysis(identity(["elasticfilesystem:ClientMount"]))
    g = a.connection(a.mounts[0]).grants[0]
    g._identity_missing = ("managed policy X was not collected",)  # as Authz.principal reports it
    before = g.evidence(("ClientMount",))
    assert g.evidence(("ClientMount",)) is before
    g._evals["ClientWrite"] = Evaluation(Decision.UNKNOWN, (), ())  # ClientWrite turned out indeterminate
    after = g.evidence(("ClientMount",))
    assert after is not before and after["not_collected"] == ["managed policy X was not collected"]


def test_a_roles_policies_are_read_once_and_an_unread_one_stays_named():
    a = _analysis(identity(ALL))
    r = a.snapshot.roles[0]
    docs, missing = a.idx.identity_policies(r)
    assert a.idx.identity_policies(r)[0] is docs and missing == []
    unread = r.model_copy(update={"attached_policy_arns": ["arn:aws:iam::aws:policy/Gone"]})
    docs2, missing2 = a.idx.identity_policies(unread)  # another role object under the same ARN
    assert docs2 is None and missing2 == ["managed policy arn:aws:iam::aws:policy/Gone was not collected"]


def test_access_point_evidence_shows_posix_user_and_creation_info_as_model_dump_does():
    from auditor.checks.baseline import _plain
    from auditor.model.aws import CreationInfo, PosixUser

    for model in (
        PosixUser(uid=0, gid=5, secondary_gids=[7, 0]),
        PosixUser.model_construct(secondary_gids=[1], gid=2, uid=3),  # fields given out of order
        CreationInfo(owner_uid=1, owner_gid=2, permissions="0755"),
    ):
        shown = _plain(model)
        assert shown == model.model_dump() and list(shown) == list(model.model_dump())
        if isinstance(model, PosixUser):
            assert shown["secondary_gids"] is not model.secondary_gids  # a copy, as model_dump gives
