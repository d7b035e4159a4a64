"""The CronJob entry with the manifest's environment, a read-only-ish HOME, writing only under TMPDIR
(the pod's emptyDir), against moto on 127.0.0.1. The first test runs it the way the container does:
`python -m auditor.entrypoints.cronjob` from the image's layout (auditor/ and policies/ side by side on
PYTHONPATH), in its own process; the others call the module's main in process with that environment
and working directory (tests/clirun.py), which returns what the process would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from auditor.entrypoints.cli import exit_code as scan_exit_code
from auditor.model.result import AuditRun
from tests.clirun import in_process
from tests.deploy.support import (
    BUCKET,
    ROOT,
    aws_env,
    client,
    download_prefix,
    load_build_module,
    milestones,
    seed_estate,
)

CRONJOB = ROOT / "samples" / "deploy" / "kubernetes" / "cronjob.yaml"


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.fixture
def container(aws, tmp_path):
    """The image's filesystem, in miniature: /app (read-only), /tmp (emptyDir), HOME=/tmp."""
    seed_estate(aws)
    app, tmp = tmp_path / "app", tmp_path / "tmp"
    load_build_module().stage_project(app)
    tmp.mkdir()
    manifest = yaml.safe_load(CRONJOB.read_text())
    (spec,) = manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in spec["env"]}
    env = {k: v.replace("/tmp", str(tmp)) if v.startswith("/tmp") else v for k, v in env.items()}
    env.update(aws_env(aws))
    env.update(
        {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(app),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "EFS_AUDIT_BUCKET": BUCKET,
            "EFS_AUDIT_K8S_CLUSTER": "",
            "EFS_AUDIT_MAX_ATTEMPTS": "1",
        }
    )
    return {"app": app, "tmp": tmp, "env": env, "endpoint": aws, "before": _files(app)}


ENTRY = [sys.executable, "-m", "auditor.entrypoints.cronjob"]


def _process(container, **overrides):
    """The container's command in its own interpreter, from the staged image layout."""
    env = {**container["env"], **overrides}
    return subprocess.run(ENTRY, env=env, cwd=container["tmp"], check=False, capture_output=True, text=True)


def _run(container, **overrides):
    from auditor.entrypoints import cronjob

    env = {**container["env"], **overrides}
    return in_process(cronjob.main, ENTRY, env=env, cwd=container["tmp"])


def _run_document(bundle: Path) -> AuditRun:
    return AuditRun.model_validate_json((bundle / "run.json").read_text())


def test_container_run_writes_the_bundle_and_exits_like_scan(container):
    from auditor.report.bundle import verify_bundle

    done = _process(container)
    assert done.returncode in (0, 1, 3), done.stderr[-3000:]
    lines = milestones(done.stdout)
    assert [m["milestone"] for m in lines] == ["start", "collected", "evaluated", "uploaded", "done"]
    out_root = Path(container["env"]["EFS_AUDIT_OUTPUT_DIR"])
    (bundle,) = [p for p in out_root.iterdir() if p.is_dir() and p.name != "index"]
    assert verify_bundle(bundle) == []
    run = _run_document(bundle)
    (index,) = (out_root / "index").iterdir()  # the run's index entry next to the bundles
    assert json.loads(index.read_text())["bundle"] == bundle.name + "/"
    env = container["env"]
    assert done.returncode == scan_exit_code(run, env["EFS_AUDIT_FAIL_ON"], False) == lines[-1]["exit_code"]
    # the same files landed in S3
    prefix = lines[-1]["location"].split(f"s3://{BUCKET}/", 1)[1]
    keys = download_prefix(container["endpoint"], BUCKET, prefix, container["tmp"].parent / "s3")
    assert {k[len(prefix) :] for k in keys} == {
        p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()
    }
    # it wrote nothing outside the output directory: not in /app, not in HOME, no temp leftovers
    assert _files(container["app"]) == container["before"]
    assert {p.name for p in container["tmp"].iterdir()} == {out_root.name}


def test_partial_collection_is_exit_3_unless_allowed(container):
    timed_out = _run(container, EFS_AUDIT_TIME_BUDGET_SECONDS="1", EFS_AUDIT_RESERVE_SECONDS="30")
    assert timed_out.returncode == 3, timed_out.stderr[-3000:]
    lines = milestones(timed_out.stdout)
    assert lines[1]["timeouts"] > 0 and lines[-1]["counts"]["PASS"] == 0
    # its own output place: both runs may start within the same second (bundles are never overwritten)
    allowed = _run(
        container,
        EFS_AUDIT_TIME_BUDGET_SECONDS="1",
        EFS_AUDIT_RESERVE_SECONDS="30",
        EFS_AUDIT_ALLOW_PARTIAL="true",
        EFS_AUDIT_FAIL_ON="never",
        EFS_AUDIT_OUTPUT_DIR=str(container["tmp"] / "allowed"),
        EFS_AUDIT_PREFIX="allowed",
    )
    assert allowed.returncode == 0, allowed.stderr[-3000:]


def test_previous_bundle_in_the_output_dir_is_the_baseline(container):
    """Without a bucket, EFS_AUDIT_BASELINE=previous reads the newest earlier bundle in the output dir."""
    env = {"EFS_AUDIT_BUCKET": "", "EFS_AUDIT_BASELINE": "previous"}
    first = _run(container, **env)
    assert first.returncode in (0, 1, 3), first.stderr[-3000:]
    assert milestones(first.stdout)[-1]["baseline"] == {
        "source": None,
        "note": "no earlier run to compare with",
    }
    out_root = Path(container["env"]["EFS_AUDIT_OUTPUT_DIR"])
    (bundle,) = [p for p in out_root.iterdir() if p.is_dir() and p.name != "index"]
    earlier = bundle.rename(out_root / "20000101T000000Z")  # an earlier run's stamp, whatever the clock says
    second = _run(container, **env)
    done = milestones(second.stdout)[-1]
    assert done["baseline"]["source"] == str(earlier / "run.json")
    assert done["baseline"]["new"] == 0 and done["baseline"]["resolved"] == 0


def test_bad_settings_exit_2_and_write_nothing(container):
    done = _run(container, EFS_AUDIT_FAIL_ON="urgent")
    assert done.returncode == 2 and "EFS_AUDIT_FAIL_ON" in done.stderr
    assert list(container["tmp"].iterdir()) == []
    nowhere = _run(container, EFS_AUDIT_OUTPUT_DIR="", EFS_AUDIT_BUCKET="")
    assert nowhere.returncode == 2 and "EFS_AUDIT_OUTPUT_DIR" in nowhere.stderr


def test_undeliverable_bundle_exits_4(container):
    done = _run(container, EFS_AUDIT_BUCKET="no-such-bucket")
    assert done.returncode == 4 and "no-such-bucket" in done.stderr
    assert milestones(done.stdout)[-1]["milestone"] == "failed"
    assert client(container["endpoint"], "s3").list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


def _cluster_objects(fs_id: str) -> list[dict]:
    """A Deployment mounting an EFS volume through a PVC, as the Kubernetes API lists them."""
    return [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": "pv-b"},
            "spec": {
                "csi": {"driver": "efs.csi.aws.com", "volumeHandle": fs_id},
                "accessModes": ["ReadWriteMany"],
                "storageClassName": "efs",
                "claimRef": {"namespace": "apps", "name": "data"},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "apps"},
            "spec": {"volumeName": "pv-b", "storageClassName": "efs", "accessModes": ["ReadWriteMany"]},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "app-b", "namespace": "apps", "labels": {"app": "b"}},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "b"}},
                "template": {
                    "metadata": {"labels": {"app": "b"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "b",
                                "image": "b:1",
                                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                            }
                        ],
                        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
                    },
                },
            },
        },
    ]


def test_the_cluster_is_collected_and_audited_with_the_aws_estate(container, tmp_path):
    from tests.k8s.fake_api import FakeApi, kubeconfig

    fs_id = client(container["endpoint"], "efs").describe_file_systems()["FileSystems"][0]["FileSystemId"]
    with FakeApi(_cluster_objects(fs_id)) as api:
        done = _run(
            container, EFS_AUDIT_K8S_CLUSTER="test-eks", EFS_AUDIT_KUBECONFIG=kubeconfig(tmp_path, api.url)
        )
        assert api.requests, "the cluster was listed"
    assert done.returncode in (0, 1, 3), done.stderr[-3000:]
    (bundle,) = [p for p in Path(container["env"]["EFS_AUDIT_OUTPUT_DIR"]).iterdir() if p.name != "index"]
    run = _run_document(bundle)
    assert {"k8s:test-eks", "aws:123456789012:eu-west-1"} <= {u.scope for u in run.units}
    assert any(r.scope == "k8s:test-eks" and "app-b" in r.resource_id for r in run.results)


def test_past_the_deadline_the_cluster_is_not_listed_and_not_assessed(container, tmp_path):
    from tests.k8s.fake_api import FakeApi, kubeconfig

    with FakeApi([]) as api:
        done = _run(
            container,
            EFS_AUDIT_K8S_CLUSTER="test-eks",
            EFS_AUDIT_KUBECONFIG=kubeconfig(tmp_path, api.url),
            EFS_AUDIT_TIME_BUDGET_SECONDS="1",
            EFS_AUDIT_RESERVE_SECONDS="30",
        )
        assert api.requests == []
    assert done.returncode == 3, done.stderr[-3000:]
    (bundle,) = [p for p in Path(container["env"]["EFS_AUDIT_OUTPUT_DIR"]).iterdir() if p.name != "index"]
    run = _run_document(bundle)
    (unit,) = [u for u in run.units if u.scope == "k8s:test-eks"]
    assert unit.complete is False
    issues = [(i.service, i.error_code) for i in run.issues if i.scope == "k8s:test-eks"]
    assert issues == [("k8s", "Timeout")]
    assert not [r for r in run.results if r.scope == "k8s:test-eks" and r.status.value == "PASS"]


def test_an_invalid_waiver_file_is_bad_input_before_any_collection(container):
    waivers = container["tmp"].parent / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - checks: [efs_encrypted_at_rest]\n    resources: ['*']\n"
        "    reason: old\n    owner: me@example.com\n    expires: not-a-date\n"
    )
    done = _run(container, EFS_AUDIT_WAIVERS=str(waivers))
    assert done.returncode == 2 and "waivers.yaml" in done.stderr
    assert [m["milestone"] for m in milestones(done.stdout)] == ["failed"]
