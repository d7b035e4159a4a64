"""The organization audit as Kubernetes Jobs: the Indexed Job and the reduce Job validate strictly, failed
indexes never stop the others, the pods are locked down like the CronJob's, and the entry point runs
the shard and reduce modes against moto."""

from __future__ import annotations

import json
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from auditor.entrypoints import org_job, org_lambda
from tests.deploy.support import BUCKET, REGION, FakeContext, client

ROOT = Path(__file__).resolve().parents[2]
ORG = ROOT / "samples" / "deploy" / "kubernetes" / "organization"
VERSIONS = (kubernetes_validate.latest_version(),)


def _jobs() -> dict[str, dict]:
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted(ORG.glob("*.yaml"))}


@pytest.mark.parametrize("version", VERSIONS)
def test_jobs_validate_strictly(version):
    jobs = _jobs()
    assert set(jobs) == {"org-shards-job.yaml", "org-reduce-job.yaml"}
    for doc in jobs.values():
        kubernetes_validate.validate(doc, version, strict=True)


def test_indexed_job_tolerates_failed_indexes():
    spec = _jobs()["org-shards-job.yaml"]["spec"]
    assert spec["completionMode"] == "Indexed"
    assert spec["maxFailedIndexes"] == spec["completions"] and spec["backoffLimitPerIndex"] >= 1
    env = {e["name"]: e["value"] for e in spec["template"]["spec"]["containers"][0]["env"]}
    assert int(env["EFS_AUDIT_SHARD_COUNT"]) == spec["completions"]


def test_job_pods_are_locked_down():
    for doc in _jobs().values():
        pod = doc["spec"]["template"]["spec"]
        (c,) = pod["containers"]
        assert pod["securityContext"]["runAsNonRoot"] and c["securityContext"]["readOnlyRootFilesystem"]
        assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert not c["securityContext"]["allowPrivilegeEscalation"]


def test_entry_point_refuses_missing_index(capsys):
    assert org_job.main(["collect-shard"], {"EFS_AUDIT_BUCKET": BUCKET}) == 2
    assert "JOB_COMPLETION_INDEX" in capsys.readouterr().err
    assert org_job.main(["scan"], {}) == 2


def test_indexed_shards_then_reduce_against_moto(aws, monkeypatch):
    s3 = client(aws, "s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    env = {
        "EFS_AUDIT_BUCKET": BUCKET,
        "EFS_AUDIT_REGIONS": REGION,
        "EFS_AUDIT_FORMATS": "json",
        "EFS_AUDIT_ROLE_ARNS": "arn:aws:iam::111111111111:role/r,arn:aws:iam::222222222222:role/r,"
        "arn:aws:iam::333333333333:role/r",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    planned = org_lambda.handler({"mode": "plan", "run": "k8s-1"}, FakeContext())
    env.update({"EFS_AUDIT_PLAN_KEY": planned["plan_key"], "EFS_AUDIT_SHARD_COUNT": "2"})
    for index in ("0", "1"):
        assert org_job.main(["collect-shard"], {**env, "JOB_COMPLETION_INDEX": index}) == 0
    code = org_job.main(["reduce"], env)
    assert code == 3  # moto serves no AWS Backup coverage: the collection is incomplete, and says so
    shards = s3.list_objects_v2(Bucket=BUCKET, Prefix=planned["run_prefix"] + "shards/")["Contents"]
    assert sorted(o["Key"].rsplit("/", 1)[1] for o in shards) == ["shard-0.json", "shard-1.json"]
    body = json.loads(
        s3.get_object(Bucket=BUCKET, Key=planned["run_prefix"] + "shards/shard-1.json")["Body"].read()
    )
    assert body["shards"][0]["accounts"] == ["222222222222"]
