"""The organization path end to end on moto's server: Organizations discovery, a deterministic plan,
sharded collection of whole accounts through AssumeRole, the merge against the plan, and local workers.

moto answers Backup ListProtectedResources with 404 in every account, so every moto-backed collection
carries that issue (exit 3); the assertions compare exact issue sets rather than exit 0.
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from auditor.entrypoints.cli import app
from auditor.model import snapshot as snap
from auditor.model.result import Status
from auditor.org import plan as plans
from auditor.org.collect import ShardSettings, collect_shard, collect_with_workers, merge_shards
from auditor.pipeline import evaluate
from tests.collectors.conftest import REGION

ROLE = "EfsAuditReadOnly"
MOTO_ONLY = {("backup", "ListProtectedResources", "404")}  # calls moto 5.2.5 does not serve


def _org(members: int = 3) -> dict:
    """An organization: the management account, `members` member accounts (one in an OU), one suspended."""
    o = boto3.client("organizations", region_name=REGION)
    o.create_organization(FeatureSet="ALL")
    ids = [
        o.create_account(Email=f"m{n}@example.com", AccountName=f"member-{n}")["CreateAccountStatus"][
            "AccountId"
        ]
        for n in range(members + 1)
    ]
    suspended = ids.pop()
    o.close_account(AccountId=suspended)
    root = o.list_roots()["Roots"][0]["Id"]
    ou = o.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]["Id"]
    child = o.create_organizational_unit(ParentId=ou, Name="prod-eu")["OrganizationalUnit"]["Id"]
    o.move_account(AccountId=ids[0], SourceParentId=root, DestinationParentId=child)
    return {"members": ids, "suspended": suspended, "root": root, "ou": ou}


def _session(account: str):
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


def _seed_member(account: str) -> str:
    """One encrypted file system with an access point of its own in the member account."""
    efs = _session(account).client("efs")
    fs = efs.create_file_system(CreationToken=f"fs-{account}", Encrypted=True)["FileSystemId"]
    efs.create_access_point(
        FileSystemId=fs,
        PosixUser={"Uid": 1000, "Gid": 1000},
        RootDirectory={"Path": "/data"},
        Tags=[{"Key": "app", "Value": f"app-{account}"}],
    )
    return fs


@pytest.fixture(scope="module")
def org(aws_module, tmp_path_factory):
    """The organization seeded once for the module. Tests read it (plans, collections) and never
    change it; the tests here that need no estate share the module's environment instead of
    resetting the server under it."""
    made = _org()
    made["fs"] = {a: _seed_member(a) for a in made["members"]}
    runner = CliRunner()
    out = tmp_path_factory.mktemp("org") / "plan.json"
    res = runner.invoke(
        app,
        [
            "plan",
            "--organization",
            "--role-name",
            ROLE,
            "--region",
            REGION,
            "--exclude-account",
            made["members"][2],
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    made["plan_file"] = out
    made["plan"] = plans.load(out)
    return made


@pytest.fixture(scope="module")
def three_shards(org) -> list[snap.Snapshot]:
    """Shards 0/3, 1/3 and 2/3 of the plan, collected once; merges never change their inputs."""
    return [collect_shard(org["plan"], i, 3) for i in range(3)]


def _issues(s: snap.Snapshot) -> set[tuple]:
    return {(i.scope, i.service, i.operation, i.error_code) for i in s.issues}


def test_plan_lists_active_accounts_sorted_and_skips_suspended_and_excluded(org):
    p = org["plan"]
    members, excluded = org["members"], org["members"][2]
    management = boto3.client("organizations", region_name=REGION).describe_organization()["Organization"][
        "MasterAccountId"
    ]
    expected = sorted(set(members[:2]) | {management})
    assert p.account_ids() == expected
    assert all(a.role_arn == f"arn:aws:iam::{a.account_id}:role/{ROLE}" for a in p.accounts)
    assert {(s.account_id, s.reason.split(":")[0]) for s in p.skipped} == {
        (excluded, "excluded by --exclude-account"),
        (org["suspended"], "account status SUSPENDED"),
    }
    assert p.regions == [REGION] and p.source == "organization"


def test_plan_is_deterministic_and_its_digest_detects_edits(org, tmp_path):
    again = tmp_path / "again.json"
    res = CliRunner().invoke(
        app,
        [
            "plan",
            "--organization",
            "--role-name",
            ROLE,
            "--region",
            REGION,
            "--exclude-account",
            org["members"][2],
            "--out",
            str(again),
        ],
    )
    assert res.exit_code == 0
    assert again.read_text() == org["plan_file"].read_text()
    data = json.loads(again.read_text())
    data["regions"].append("us-east-1")
    again.write_text(json.dumps(data))
    with pytest.raises(snap.InputError, match="digest"):
        plans.load(again)


def test_plan_under_an_ou_reads_its_child_ous(org, tmp_path):
    out = tmp_path / "ou.json"
    res = CliRunner().invoke(
        app, ["plan", "--organization", "--role-name", ROLE, "--ou", org["ou"], "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert plans.load(out).account_ids() == [org["members"][0]]  # moved into the OU's child


def test_role_arn_list_is_also_a_plan(aws_module, tmp_path):
    out = tmp_path / "p.json"
    arns = ["arn:aws:iam::222222222222:role/a,ext", "arn:aws:iam::111111111111:role/b"]
    res = CliRunner().invoke(app, ["plan", "--role-arn", arns[0], "--role-arn", arns[1], "--out", str(out)])
    assert res.exit_code == 0, res.output
    p = plans.load(out)
    assert [(a.account_id, a.external_id) for a in p.accounts] == [
        ("111111111111", None),
        ("222222222222", "ext"),
    ]


def test_shards_merge_to_the_single_process_collection(org, three_shards):
    p = org["plan"]
    whole = collect_shard(p, 0, 1)
    parts = three_shards
    merged = merge_shards(p, parts)
    assert _normalised(merged) == _normalised(whole.model_copy(update={"shards": merged.shards}))
    # Every planned account was collected: only moto's gaps remain.
    assert {(svc, op, code) for _s, svc, op, code in _issues(merged)} == MOTO_ONLY
    assert {fs.file_system_id for fs in merged.file_systems} == {
        org["fs"][a] for a in p.account_ids() if a in org["fs"]
    }


def _normalised(s: snap.Snapshot) -> dict:
    data = json.loads(snap.dumps(s))
    for u in data["units"]:
        u["started_at"] = u["finished_at"] = None
    return data


def test_a_missing_shard_is_not_assessed_and_exits_3(org, tmp_path):
    org["plan"]
    files = []
    for i in range(3):
        path = tmp_path / f"shard-{i}.json"
        res = CliRunner().invoke(
            app,
            [
                "collect",
                "--plan",
                str(org["plan_file"]),
                "--shard",
                f"{i}/3",
                "--out",
                str(path),
                "--no-progress",
            ],
        )
        assert res.exit_code in (0, 3), res.output  # 3: moto's backup gap (or an empty shard's nothing)
        files.append(path)
    lost = snap.load(files[1]).shards[0].accounts
    assert lost, "the plan has three accounts: shard 1 of 3 holds one"
    out = tmp_path / "merged.json"
    res = CliRunner().invoke(
        app, ["merge", "--plan", str(org["plan_file"]), str(files[0]), str(files[2]), "--out", str(out)]
    )
    assert res.exit_code == 3, res.output
    merged = snap.load(out)
    assert {(i.scope, i.error_code) for i in merged.issues if i.operation == "Plan"} == {
        (f"aws:{a}:global", "ShardMissing") for a in lost
    }
    run = evaluate(merged)
    gone = set(lost)
    for r in run.results:
        if any(a in r.resource_id or a in r.scope for a in gone):
            assert r.status is Status.NOT_ASSESSED, (r.check_id, r.resource_id)
    assert {r.scope for r in run.results if r.resource_type == "CollectionScope"} >= {
        f"aws:{a}:global" for a in gone
    }
    res = CliRunner().invoke(app, ["check", str(out), "--format", "json"])
    assert res.exit_code == 3


def test_shards_of_another_plan_are_refused(org, tmp_path):
    p = org["plan"]
    other = plans.make_plan("role-arns", p.accounts[:1], regions=[REGION])
    shard = collect_shard(other, 0, 1)
    path = tmp_path / "other.json"
    snap.save(shard, path)
    res = CliRunner().invoke(
        app, ["merge", "--plan", str(org["plan_file"]), str(path), "--out", str(tmp_path / "m.json")]
    )
    assert res.exit_code != 0 and "another plan" in str(res.exception or res.output)


def test_local_workers_collect_every_shard(org):
    merged = collect_with_workers(org["plan"], 2, ShardSettings())
    assert sorted(a for s in merged.shards for a in s.accounts) == org["plan"].account_ids()
    assert not [i for i in merged.issues if i.operation == "Plan"]


def test_dropping_any_shard_never_yields_a_pass_for_its_accounts(org, three_shards):
    p = org["plan"]
    parts = three_shards

    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sets(st.integers(0, 2), max_size=3))
    def check(kept):
        merged = merge_shards(p, [parts[i] for i in sorted(kept)])
        lost = {a for i in set(range(3)) - kept for a in parts[i].shards[0].accounts}
        for r in evaluate(merged).results:
            if r.status is Status.PASS:
                assert not any(a in r.resource_id or a in r.scope for a in lost), (r.check_id, r.resource_id)

    check()


def test_an_empty_snapshot_is_never_complete():
    run = evaluate(snap.Snapshot())
    assert not run.complete


def test_region_shards_of_one_account_merge_their_global_unit():
    from datetime import datetime

    from auditor.model.snapshot import CollectionUnit, Snapshot, merge

    t = [datetime(2026, 1, 1, h, tzinfo=UTC) for h in range(4)]
    a = Snapshot(
        units=[
            CollectionUnit(
                scope="aws:111111111111:global",
                method="aws-api",
                started_at=t[0],
                finished_at=t[1],
                services=["iam"],
            ),
            CollectionUnit(scope="aws:111111111111:eu-west-1", method="aws-api"),
        ]
    )
    b = Snapshot(
        units=[
            CollectionUnit(
                scope="aws:111111111111:global",
                method="aws-api",
                started_at=t[2],
                finished_at=t[3],
                services=["iam", "ec2"],
                complete=False,
            ),
            CollectionUnit(scope="aws:111111111111:us-east-1", method="aws-api"),
        ]
    )
    m = merge(a, b)
    g = next(u for u in m.units if u.scope.endswith("global"))
    assert (g.started_at, g.finished_at, g.services, g.complete) == (t[0], t[3], ["ec2", "iam"], False)


def test_clusters_sharing_a_name_in_two_accounts_merge():
    from auditor.model.k8s import K8sCluster
    from auditor.model.snapshot import InputError, Snapshot, merge

    a = K8sCluster(
        name="eks-00",
        account_id="111111111111",
        region="eu-west-1",
        eks_arn="arn:aws:eks:eu-west-1:111111111111:cluster/eks-00",
        node_role_arns=[],
    )
    b = K8sCluster(
        name="eks-00",
        account_id="222222222222",
        region="us-east-1",
        eks_arn="arn:aws:eks:us-east-1:222222222222:cluster/eks-00",
        node_role_arns=[],
    )
    m = merge(Snapshot(clusters=[a]), Snapshot(clusters=[b]))
    assert sorted(c.account_id for c in m.clusters) == ["111111111111", "222222222222"]
    # The Kubernetes side joins the cluster its ARN names; by a shared bare name it is ambiguous.
    k = K8sCluster(name=b.eks_arn, workloads=[])
    joined = merge(Snapshot(clusters=[a, b]), Snapshot(clusters=[k]))
    assert next(c for c in joined.clusters if c.account_id == "222222222222").workloads == []
    with pytest.raises(InputError, match="share this name"):
        merge(Snapshot(clusters=[a, b]), Snapshot(clusters=[K8sCluster(name="eks-00", workloads=[])]))


@pytest.mark.parametrize(
    "args,needle",
    [
        (["plan", "--out", "p.json"], "either --organization"),
        (["plan", "--organization", "--out", "p.json"], "--role-name is required"),
        (["plan", "--organization", "--role-name", "r", "--account", "12", "--out", "p.json"], "12-digit"),
        (["collect", "--shard", "0/2", "--out", "s.json"], "go with --plan"),
    ],
)
def test_bad_organization_input_is_one_line(aws_module, tmp_path, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, args)
    assert res.exit_code != 0
    assert needle in str(res.exception)


def test_shard_parser():
    assert plans.parse_shard("2/5") == (2, 5)
    for bad in ("5/5", "a/b", "1", "-1/2", "0/0"):
        with pytest.raises(snap.InputError):
            plans.parse_shard(bad)


def test_the_management_policy_statement_grants_exactly_the_discovery_calls():
    from auditor.org.discover import DISCOVERY_ACTIONS

    doc = json.loads(
        (Path(__file__).resolve().parents[2] / "samples" / "iam" / "auditor-policy.json").read_text()
    )
    stmt = next(s for s in doc["Statement"] if s["Sid"] == "EfsAuditOrganizationsDiscovery")
    assert sorted(stmt["Action"]) == sorted(DISCOVERY_ACTIONS)
