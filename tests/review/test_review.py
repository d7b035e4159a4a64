"""`efs-audit review` on the bundled pre-deploy samples (samples/review/<pattern>/<safe|unsafe>): each unsafe
variant introduces exactly the findings its comments plant, each pointing at the file and line that
declares it; each safe variant introduces none; --against the production estate shows the difference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.entrypoints.cli import app
from auditor.model import snapshot as snap
from auditor.model.result import Status
from auditor.review import review

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "review"
PRODUCTION = ROOT / "samples" / "estates" / "production" / "snapshot.json"


def _introduced(outcome) -> set[tuple[str, str]]:
    return {
        (r.check_id, f"{Path(r.evidence['source_file']).name}:{r.evidence['source_line']}")
        for r in outcome.introduced
    }


UNSAFE_ALONE = {
    # a declared file system without a backup policy has automatic backups off (EFS.7)
    "ecs-fargate": {
        ("efs_automatic_backups_enabled", "template.yaml:20"),
        ("efs_encrypted_at_rest", "template.yaml:20"),
        ("efs_policy_anonymous_access", "template.yaml:20"),
        ("efs_policy_cross_account", "template.yaml:20"),
        ("efs_policy_missing", "template.yaml:20"),
        ("efs_policy_no_secure_transport", "template.yaml:20"),
        ("efs_root_squash_gap", "template.yaml:20"),
        ("efs_root_squash_gap", "template.yaml:59"),
        ("efs_unencrypted_mount", "template.yaml:59"),
        ("efs_workload_runs_as_root", "template.yaml:59"),
    },
    "ecs-taskdef-json": {
        ("efs_unencrypted_mount", "orders.json:1"),
        ("efs_workload_runs_as_root", "orders.json:1"),
    },
    "eks-static": {
        ("efs_unencrypted_mount", "uploads.yaml:33"),
        ("efs_workload_runs_as_root", "uploads.yaml:33"),
    },
    # the planned access point is declared at the StorageClass whose uid/gid 0 decide it
    "eks-dynamic": {("efs_access_point_root_identity", "teams.yaml:4")},
    "lambda-sam": {("efs_cross_app_reach", "template.yaml:81")},
    "lambda-terraform": {
        ("efs_cross_app_reach", "plan.json:154"),
        ("efs_automatic_backups_enabled", "plan.json:12"),
        ("efs_encrypted_at_rest", "plan.json:12"),
        ("efs_policy_anonymous_access", "plan.json:12"),
        ("efs_policy_cross_account", "plan.json:12"),
        ("efs_policy_missing", "plan.json:12"),
        ("efs_policy_no_secure_transport", "plan.json:12"),
        ("efs_root_squash_gap", "plan.json:12"),
        ("efs_root_squash_gap", "plan.json:121"),
    },
}


@pytest.mark.parametrize("pattern", sorted(UNSAFE_ALONE))
def test_unsafe_variant_introduces_exactly_its_planted_findings(pattern):
    outcome = review([SAMPLES / pattern / "unsafe"], None)
    assert _introduced(outcome) == UNSAFE_ALONE[pattern]
    # a new file system without automatic backups may still fall under a tag-based AWS Backup plan
    for r in outcome.run.results:
        if r.check_id == "efs_backup_enabled" and r.evidence["backup_policy_status"] == "DISABLED":
            assert r.status is Status.NOT_ASSESSED and "AWS Backup coverage was not collected" in r.message
    assert all(
        r.status is Status.FAIL and r.evidence["review_status"] == "introduced" for r in outcome.introduced
    )


@pytest.mark.parametrize("pattern", sorted(p.parent.name for p in SAMPLES.glob("*/safe")))
def test_safe_variant_introduces_nothing(pattern):
    outcome = review([SAMPLES / pattern / "safe"], None)
    assert _introduced(outcome) == set()
    # whatever cannot be decided without the live estate says why, never PASS
    for r in outcome.run.results:
        if r.status is Status.NOT_ASSESSED:
            assert r.message and (r.evidence.get("reason") or "not" in r.message)


def test_terraform_plan_states_its_own_account_so_same_account_roles_are_not_foreign():
    """A plan with known ARNs (123456789012, eu-west-1) is reviewed in that account, not the placeholder."""
    outcome = review([SAMPLES / "lambda-terraform" / "safe"], None)
    [fs] = outcome.merged.file_systems
    assert (fs.account_id, fs.region) == ("123456789012", "eu-west-1")
    cross = [r for r in outcome.run.results if r.check_id == "efs_policy_cross_account"]
    assert [(r.status, r.resource_id) for r in cross] == [(Status.PASS, fs.arn)]


def test_api_documents_state_their_scope_through_the_arns_they_name():
    """A create-function input has no FunctionArn; its role (123456789012) and access point (eu-west-1,
    where a Lambda function must be to mount it) say where it will live."""
    outcome = review([SAMPLES / "lambda-config-json" / "unsafe"], None)
    assert [f.arn for f in outcome.merged.lambda_functions] == [
        "arn:aws:lambda:eu-west-1:123456789012:function:billing-export"
    ]


# --- against the production estate -------------------------------------------------------------------


@pytest.fixture(scope="module")
def production():
    return snap.load(PRODUCTION)


def test_dynamic_unsafe_against_production_shares_one_access_point_across_namespaces(production):
    """Edge 30: reuseAccessPoint keys the access point on the PVC name, so team-a/data and team-b/data
    bind one planned access point (uid 0, gid 0) and reach each other's directory."""
    outcome = review([SAMPLES / "eks-dynamic" / "unsafe"], production)
    assert _introduced(outcome) == {
        ("efs_access_point_root_identity", "teams.yaml:4"),
        ("efs_cross_app_reach", "teams.yaml:32"),
        ("efs_cross_app_reach", "teams.yaml:73"),
    }
    planned = [ap for ap in outcome.merged.access_points if ap.name and ap.name.startswith("planned")]
    assert len(planned) == 1 and (planned[0].posix_user.uid, planned[0].posix_user.gid) == (0, 0)
    assert planned[0].arn.startswith("arn:aws:elasticfilesystem:eu-west-1:123456789012:access-point/fsap-")
    assert planned[0].path.startswith("/teams/pvc-planned-")
    cross = {r.resource_id: r for r in outcome.introduced if r.check_id == "efs_cross_app_reach"}
    a = cross["k8s://prod-eks/team-a/StatefulSet/worker"]
    assert a.evidence["application"] == "team-a"
    configured = [e for e in a.evidence["reached"] if e["kind"] == "configured"]
    assert {(e["other_application"], e["directory"]) for e in configured} == {("team-b", planned[0].path)}


def test_dynamic_safe_against_production_gets_its_own_identities(production):
    """One planned access point per PVC; the gids come from the default range, skipping every gid that an
    access point of the file system already holds (§6.4, edge 32)."""
    outcome = review([SAMPLES / "eks-dynamic" / "safe"], production)
    fs_id = "fs-0a11c0de000000001"
    live_gids = {
        ap.posix_user.gid
        for ap in production.access_points
        if ap.file_system_id == fs_id and ap.posix_user is not None
    }
    planned = sorted(
        (ap for ap in outcome.merged.access_points if ap.name and ap.name.startswith("planned")),
        key=lambda ap: ap.posix_user.gid,
    )
    assert len(planned) == 2
    expected = [g for g in range(50000, 60001) if g not in live_gids][:2]
    assert [(ap.posix_user.uid, ap.posix_user.gid) for ap in planned] == [(g, g) for g in expected]
    assert len({ap.path for ap in planned}) == 2
    # the safe driver file drops --delete-access-point-root-dir: the controller's whole-FS root goes away
    assert {(r.check_id, r.resource_id) for r in outcome.resolved} == {
        ("efs_root_squash_gap", "k8s://prod-eks/kube-system/Deployment/efs-csi-controller")
    }
    assert not [r for r in outcome.introduced if r.check_id != "efs_cross_app_reach"]
    # what is introduced is the live file system's open policy reaching the new workloads, named as such
    for r in outcome.introduced:
        assert {e["kind"] for e in r.evidence["reached"]} == {"possible"}
        assert all("without an access point" in e["how"] for e in r.evidence["reached"])


def test_task_definition_revision_against_production_resolves_the_live_findings(production):
    outcome = review([SAMPLES / "ecs-taskdef-json" / "safe"], production)
    assert _introduced(outcome) == set()
    assert {(r.check_id, r.resource_id) for r in outcome.resolved} == {
        ("efs_unencrypted_mount", "arn:aws:ecs:eu-west-1:123456789012:task-definition/billing-batch:7"),
        ("efs_workload_runs_as_root", "arn:aws:ecs:eu-west-1:123456789012:task-definition/billing-batch:7"),
    }


def test_not_assessed_alone_becomes_assessed_against_the_live_estate(production):
    """Without the live file system the static PV's reach is NOT_ASSESSED with the reason; laid over
    production it is evaluated (the root-mounting PV reaches analytics' directory)."""
    alone = review([SAMPLES / "eks-static" / "unsafe"], None)
    na = {
        r.check_id: r
        for r in alone.run.results
        if r.status is Status.NOT_ASSESSED and r.resource_id.endswith("/web-thumbnailer")
    }
    assert set(na) == {"efs_cross_app_reach", "efs_root_squash_gap", "efs_workload_volume_unmountable"}
    assert "fs-0a11c0de000000001 is not in the snapshot" in na["efs_cross_app_reach"].message
    against = review([SAMPLES / "eks-static" / "unsafe"], production)
    assert ("efs_cross_app_reach", "uploads.yaml:33") in _introduced(against)


# --- dynamic provisioning rules ---------------------------------------------------------------------


def _claims(tmp_path: Path, params: str, pvcs: list[tuple[str, str]]) -> Path:
    docs = [
        f"""apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {{name: efs-dyn}}
provisioner: efs.csi.aws.com
parameters:
  provisioningMode: efs-ap
{params}"""
    ]
    for ns, name in pvcs:
        docs.append(f"""apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: {name}, namespace: {ns}}}
spec: {{accessModes: [ReadWriteMany], storageClassName: efs-dyn, resources: {{requests: {{storage: 1Gi}}}}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: use-{name}, namespace: {ns}, labels: {{app: {ns}}}}}
spec:
  containers: [{{name: c, image: x, volumeMounts: [{{name: v, mountPath: /d}}]}}]
  volumes: [{{name: v, persistentVolumeClaim: {{claimName: {name}}}}}]""")
    path = tmp_path / "dyn.yaml"
    path.write_text("\n---\n".join(docs))
    return path


def test_edge31_fixed_identity_and_namespace_pattern_share_one_directory(tmp_path, production):
    path = _claims(
        tmp_path,
        """  fileSystemId: fs-0a11c0de000000001
  directoryPerms: "700"
  uid: "1500"
  gid: "1500"
  subPathPattern: /${.PVC.namespace}
  ensureUniqueDirectory: "false"
""",
        [("ns-a", "one"), ("ns-a", "two")],
    )
    outcome = review([path], production)
    planned = [ap for ap in outcome.merged.access_points if ap.name and ap.name.startswith("planned")]
    assert sorted(ap.path for ap in planned) == ["/ns-a", "/ns-a"]
    assert {(ap.posix_user.uid, ap.posix_user.gid) for ap in planned} == {(1500, 1500)}
    assert {ap.root_directory.creation_info.permissions for ap in planned} == {"700"}


def test_a_declared_claim_that_is_bound_live_keeps_its_volume(tmp_path, production):
    """Re-applying a PVC manifest (which carries no volumeName) does not re-provision it: the binding is
    the live one, and only claims the files declare are ever planned."""
    path = tmp_path / "pvc.yaml"
    path.write_text("""apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: analytics-data, namespace: analytics}
spec: {accessModes: [ReadWriteMany], storageClassName: efs-ap, resources: {requests: {storage: 5Gi}}}
""")
    outcome = review([path], production)
    (claim,) = [
        c
        for c in outcome.merged.clusters[0].persistent_volume_claims
        if (c.namespace, c.name) == ("analytics", "analytics-data")
    ]
    assert claim.volume_name == "pvc-5d1e7c0a-8f3b-4c2e-9a61-0a11c0de0005"
    assert not [ap for ap in outcome.merged.access_points if ap.name and ap.name.startswith("planned")]
    assert _introduced(outcome) == set() and outcome.resolved == []


def test_gid_allocation_needs_the_file_system_access_points(tmp_path, production):
    """Edge 32: the allocator avoids the gids of every access point on the file system; when those were
    not collected the gid it would pick is unknown, so nothing is planned (never a guessed unique gid)."""
    from auditor.model.snapshot import CollectionIssue

    live = production.model_copy(
        update={
            "issues": [
                *production.issues,
                CollectionIssue(
                    scope="aws:123456789012:eu-west-1",
                    service="efs",
                    operation="DescribeAccessPoints",
                    error_code="AccessDeniedException",
                    message="denied",
                ),
            ]
        }
    )
    params = '  fileSystemId: fs-0a11c0de000000001\n  directoryPerms: "700"\n'
    outcome = review([_claims(tmp_path, params, [("ns-a", "one")])], live)
    assert not [ap for ap in outcome.merged.access_points if ap.name and ap.name.startswith("planned")]
    assert any("were not collected, so the gid" in i.message for i in outcome.merged.issues)
    fixed = review([_claims(tmp_path, params + '  uid: "1500"\n  gid: "1500"\n', [("ns-a", "one")])], live)
    assert [
        ap.posix_user.gid for ap in fixed.merged.access_points if ap.name and ap.name.startswith("planned")
    ] == [1500]


@pytest.mark.parametrize(
    "params, reason",
    [
        (
            '  fileSystemIdConfigRef: kube-system/efs-config/id\n  directoryPerms: "700"\n',
            "fileSystemIdConfigRef",
        ),
        ("  fileSystemId: fs-0a11c0de000000001\n", "directoryPerms None is not 3 or 4 octal digits"),
        ('  fileSystemId: fs-0a11c0de000000001\n  directoryPerms: "700"\n  uid: "-1"\n', "uid '-1'"),
        (
            '  fileSystemId: fs-0a11c0de000000001\n  directoryPerms: "700"\n  gid: "4294967296"\n',
            "gid '4294967296'",
        ),
        (
            '  fileSystemId: fs-0a11c0de000000001\n  fileSystemIdConfigRef: kube-system/efs/id\n  directoryPerms: "700"\n',
            "fileSystemId and fileSystemIdConfigRef are both set",
        ),
        (
            '  fileSystemId: fs-0a11c0de000000001\n  directoryPerms: "700"\n  basePath: /a/b/c/d\n',
            "has more than 4 components",
        ),
        (
            '  fileSystemId: fs-0a11c0de000000001\n  directoryPerms: "700"\n  gidRangeStart: "7000"\n',
            "gidRangeStart and gidRangeEnd go together",
        ),
    ],
)
def test_a_claim_the_controller_cannot_provision_stays_not_assessed_with_the_reason(
    tmp_path, production, params, reason
):
    path = _claims(tmp_path, params, [("ns-a", "one")])
    outcome = review([path], production)
    rows = [
        r
        for r in outcome.run.results
        if r.resource_id.endswith("/ns-a/Pod/use-one") and r.check_id == "efs_unencrypted_mount"
    ]
    assert [r.status for r in rows] == [Status.NOT_ASSESSED]
    assert any(reason in i.message for i in outcome.merged.issues if i.operation == "provision")
    shown = CliRunner().invoke(app, ["review", str(path), "--against", str(PRODUCTION)])
    assert "UNRESOLVED OR UNSUPPORTED IN THE FILES" in shown.stdout and reason in shown.stdout


# --- command line ----------------------------------------------------------------------------------


def test_cli_exit_codes_and_sarif_locations():
    runner = CliRunner()
    unsafe = runner.invoke(app, ["review", str(SAMPLES / "eks-static" / "unsafe"), "--format", "sarif"])
    assert unsafe.exit_code == 1, unsafe.output
    sarif = json.loads(unsafe.stdout)
    locations = {
        (
            loc["physicalLocation"]["artifactLocation"]["uri"].rsplit("/", 1)[-1],
            loc["physicalLocation"]["region"]["startLine"],
        )
        for res in sarif["runs"][0]["results"]
        for loc in res["locations"]
    }
    assert locations == {("uploads.yaml", 33)}
    # alone, the safe variant's mounts of the live access point cannot be assessed: exit 3, never a clean 0
    safe = runner.invoke(app, ["review", str(SAMPLES / "eks-static" / "safe")])
    assert safe.exit_code == 3, safe.output
    assert (
        runner.invoke(app, ["review", str(SAMPLES / "eks-static" / "safe"), "--allow-partial"]).exit_code == 0
    )


def test_the_unsafe_sample_that_needs_the_live_estate_never_passes_alone():
    """lambda-config-json/unsafe mounts a live access point: alone it shows what it could not assess and
    exits 3; against the live estate it shows its findings and exits 1."""
    runner = CliRunner()
    alone = runner.invoke(app, ["review", str(SAMPLES / "lambda-config-json" / "unsafe")])
    assert alone.exit_code == 3 and "NOT ASSESSED (declared resources): 3" in alone.stdout
    against = runner.invoke(
        app, ["review", str(SAMPLES / "lambda-config-json" / "unsafe"), "--against", str(PRODUCTION)]
    )
    assert against.exit_code == 1 and "INTRODUCED" in against.stdout


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources:\n  A: [unclosed\n")
    result = CliRunner().invoke(app, ["review", str(bad)])
    assert result.exit_code == 2
    assert (
        result.stderr.strip().count("\n") == 0
        and "bad.yaml" in result.stderr
        and "Traceback" not in result.stderr
    )
