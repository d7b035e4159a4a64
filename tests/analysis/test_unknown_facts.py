"""Unknown is not true (§0, §3.2): a fact the auditor could not read reaches the evidence as None / "unknown",
never as a default that looks like a fact."""

from auditor.analysis.access import Analysis, effective_access
from auditor.model.result import Status
from auditor.params import Params
from tests.analysis.estate import cluster, deployment, fs, pvc, run, snapshot

WL = "k8s://c1/ns/Deployment/unbound"


def unbound_claim():
    """A pod whose PVC is not bound: the PV, hence transport, access point and principal, are unknown."""
    c = cluster(pvcs=[pvc("claim", volume="")], workloads=[deployment("unbound", "claim")])
    return snapshot(file_systems=[fs(1)], clusters=[c])


def test_s3_2_unknown_transport_is_none_never_true():
    snap = unbound_claim()
    (m,) = Analysis(snap, Params()).mounts
    assert m.tls is None and m.tls_reason.startswith("unknown")
    status, ev = run("efs_unencrypted_mount", snap)[WL]
    assert status is Status.NOT_ASSESSED
    assert ev["volumes"][0]["tls"] is None and ev["volumes"][0]["why"].startswith("unknown")


def test_s0_effective_access_says_unknown_transport():
    (row,) = effective_access(Analysis(unbound_claim(), Params()))
    assert row["transport"] == "unknown"
    assert row["can_mount"] is None


def test_s1_3_squashed_is_unknown_when_root_access_is_unknown():
    """A root container on an unresolved volume: whether root is squashed is not known (None), not False."""
    c = cluster(pvcs=[pvc("claim", volume="")], workloads=[deployment("unbound", "claim", run_as_user=0)])
    (row,) = effective_access(Analysis(snapshot(file_systems=[fs(1)], clusters=[c]), Params()))
    assert row["root_access_granted"] is None and row["squashed"] is None
