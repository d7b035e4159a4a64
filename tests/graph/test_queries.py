"""who-can and reach on the bundled estates: exact (principal, identity, via, kind, workload) sets for chosen
directories, every row's path a walk in the identity graph, and one-line errors (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.analysis.access import Analysis
from auditor.entrypoints.cli import app
from auditor.graph.export import estate_graph
from auditor.graph.query import possible_edges, reach, who_can
from auditor.model import snapshot as snap
from auditor.model.snapshot import InputError

ESTATES = Path(__file__).resolve().parents[2] / "samples" / "estates"
P = "123456789012"


def analysis(estate: str) -> Analysis:
    return Analysis(snap.load(ESTATES / estate / "snapshot.json"))


def rows(estate: str, target: str, **kw) -> set[tuple]:
    return {
        (r.principal.split("/")[-1], r.identity, r.via, r.kind, (r.workload or "").split("/")[-1], r.reaches)
        for r in who_can(analysis(estate), target, **kw)
    }


def test_s1_4_access_point_enforces_its_identity_on_every_principal_that_reaches_it():
    """§1.4: through an access point with PosixUser every principal acts as its uid/gid, configured or possible."""
    assert rows("wellconfigured", "fs-0b22c0de000000001:/ledger") == {
        ("ledger-task", "uid=1201 gid=1201", "fsap-0b22c0de0000000b1", "possible", "", "all"),
        ("ledger-task", "uid=1201 gid=1201", "fsap-0b22c0de0000000b1", "configured", "ledger:12", "all"),
    }


def test_s6_5_the_csi_node_role_mounts_for_pods():
    """§6.5: an `iam` CSI mount authenticates as the node plugin's role, never the pod's own."""
    found = rows("wellconfigured", "fs-0b22c0de000000001:/k8s/payments")
    assert (
        "efs-csi-node",
        "uid=1101 gid=1101",
        "fsap-0b22c0de0000000b3",
        "configured",
        "payments",
        "all",
    ) in found
    assert {r[0] for r in found} == {"efs-csi-node"}


def test_s1_3_root_only_where_client_root_access_is_allowed():
    """§1.3: root squash is per connection; --root keeps those not squashed: the principals allowed
    ClientRootAccess that may choose uid 0 without an access point (§1.2)."""
    assert rows("production", "fs-0a11c0de000000001:/billing/reports", root=True) == {
        ("efs-csi-driver", "client-chosen", "no access point", "possible", "", "all"),
        ("orders-task", "client-chosen", "no access point", "possible", "", "all"),
    }


def test_s0_layer6_ancestor_and_descendant_subtrees_reach_a_directory():
    """§0 layer 6: /billing is reached by mounts of / and /billing ("all") and of /billing/reports ("part")."""
    a = analysis("production")
    got = who_can(a, "fs-0a11c0de000000001:/billing", write=True)
    configured = {
        (r.principal, r.identity, r.via, r.workload.split("/")[-1], r.squashed)
        for r in got
        if r.kind == "configured"
    }
    assert configured == {
        ("anonymous", "uid=unknown gid=unknown", "no access point", "billing-batch:7", True),
        ("anonymous", "uid=2000 gid=2000", "no access point", "report-builder", False),
    }
    assert {r.subtree for r in got if r.reaches == "part"} == {"/billing/reports"}
    assert {r.subtree for r in got if r.reaches == "all"} == {"/", "/billing"}
    anonymous_root = [
        r for r in got if r.principal == "anonymous" and r.via == "no access point" and r.kind == "possible"
    ]
    assert [(r.root, r.squashed) for r in anonymous_root] == [(False, True)]


def test_s1_3_root_by_identity_policy_and_squashed_impersonation():
    """§1.3 (edges 3, 4): uid 0 with ClientRootAccess from an identity policy is root; without it squashed."""
    assert rows("hostile", "fs-0c33c0de000000014:/", root=True) == {
        ("admin", "client-chosen", "no access point", "possible", "", "all"),
        ("edge03-task", "client-chosen", "no access point", "possible", "", "all"),
        (
            "edge03-task",
            "uid=0 gid=0",
            "no access point",
            "configured",
            "fail-edge03-root-by-identity-policy:1",
            "all",
        ),
        ("admin", "client-chosen", "fsap-0c33c0de0000000c14a", "possible", "", "part"),
        ("edge03-task", "client-chosen", "fsap-0c33c0de0000000c14a", "possible", "", "part"),
    }
    everyone = who_can(analysis("hostile"), "fs-0c33c0de000000014:/")
    edge04 = [r for r in everyone if r.workload and "fail-edge04" in r.workload]
    assert [(r.identity, r.root, r.squashed) for r in edge04] == [("uid=0 gid=unknown", False, True)]


def test_reach_of_an_application_a_role_and_a_workload():
    a = analysis("production")
    orders = reach(a, "orders")
    assert reach(a, "app://orders") == orders
    assert {(r.via, r.kind) for r in orders if r.kind == "configured"} == {
        ("fsap-0a11c0de0000000a1", "configured")
    }
    role = reach(a, f"arn:aws:iam::{P}:role/orders-task")
    assert {r.key() for r in orders} <= {r.key() for r in role} | {
        r.key() for r in orders if r.kind == "configured"
    }
    td = reach(a, f"arn:aws:ecs:eu-west-1:{P}:task-definition/orders:3")
    assert {r.key() for r in td} == {r.key() for r in orders}
    anonymous = reach(a, "anonymous")
    assert {r.file_system for r in anonymous} == {"fs-0a11c0de000000001", "fs-0a11c0de000000002"}


@pytest.mark.parametrize("estate", ["wellconfigured", "production", "hostile"])
def test_every_row_path_is_a_walk_in_the_identity_graph(estate):
    a = analysis(estate)
    g = estate_graph(a)
    found = [r for fs in a.snapshot.file_systems for r in who_can(a, fs.file_system_id)]
    assert found
    for u, v, attrs in possible_edges(a, found):
        g.add_edge(u, v, **attrs)
    for r in found:
        assert r.path[-1].startswith(f"efsdir://{r.file_system}")
        for x, y in zip(r.path, r.path[1:]):
            assert g.has_edge(x, y) or g.has_edge(y, x), (r.path, x, y)
    for name in {m.workload.app for m in a.mounts}:
        assert reach(a, f"app://{name}")


def test_a_directory_with_a_colon_is_one_path_after_an_id_or_an_arn():
    """A POSIX directory name may hold ':'. FS_ID[:PATH] splits at the first colon after the id; a
    file system ARN has exactly five colons of its own (arn:partition:service:region:account:resource),
    so its PATH starts after the sixth, never at the last colon."""
    from auditor.graph.query import parse_target

    a = analysis("production")
    fs = a.idx.file_system("fs-0a11c0de000000001")
    assert parse_target(a, "fs-0a11c0de000000001:/data/a:b") == (fs, "/data/a:b")
    assert parse_target(a, f"{fs.arn}:/data/a:b") == (fs, "/data/a:b")
    assert parse_target(a, f"{fs.arn}:/billing") == (fs, "/billing")
    assert parse_target(a, fs.arn) == (fs, "/")


@pytest.mark.parametrize(
    "target, message",
    [
        ("fs-00000000000000000", "fs-00000000000000000: no such file system in the snapshot"),
        ("fs-0a11c0de000000001:billing", "PATH must be an absolute directory path"),
        ("fs-0a11c0de000000001:/a/../b", "PATH must be an absolute directory path"),
    ],
)
def test_who_can_bad_target_is_one_line_exit_2(target, message, capsys):
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        who_can(analysis("production"), target)
    from auditor.entrypoints.cli import main

    with pytest.raises(SystemExit) as exc:
        import sys

        sys.argv = ["efs-audit", "who-can", str(ESTATES / "production" / "snapshot.json"), target]
        main()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_reach_unknown_target_is_one_line_exit_2(capsys):
    import sys

    from auditor.entrypoints.cli import main

    sys.argv = ["efs-audit", "reach", str(ESTATES / "production" / "snapshot.json"), "nobody"]
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    assert (
        capsys.readouterr().err
        == "efs-audit: nobody: no such role, workload or application in the snapshot\n"
    )


@pytest.mark.parametrize("estate", ["wellconfigured", "production", "hostile"])
def test_cli_json_is_deterministic(estate):
    runner = CliRunner()
    path = str(ESTATES / estate / "snapshot.json")
    fs = analysis(estate).snapshot.file_systems[0].file_system_id
    first = runner.invoke(app, ["who-can", path, fs, "--format", "json"])
    second = runner.invoke(app, ["who-can", path, fs, "--format", "json"])
    assert first.exit_code == 0 and first.stdout == second.stdout
    table = runner.invoke(app, ["who-can", path, fs])
    assert table.exit_code == 0 and "principal" in table.stdout.splitlines()[0]
