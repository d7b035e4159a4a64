"""The CronJob deployment: every manifest validates against the Kubernetes JSON schemas (strict), the
pod is locked down, RBAC is get/list only, and the Dockerfile builds a non-root, shell-less image."""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from auditor.scheduled.settings import SETTINGS, TIME_BUDGET

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "samples" / "deploy" / "kubernetes"
K8S_HELPER_ROLE = ROOT / "samples" / "k8s" / "clusterrole.yaml"
# The oldest Kubernetes minor still in EKS standard support when written (or the oldest schema the
# installed kubernetes-validate still ships), and the newest.
_SHIPPED = kubernetes_validate.utils.all_versions()
VERSIONS = ("1.31.0" if "1.31.0" in _SHIPPED else _SHIPPED[0], kubernetes_validate.latest_version())


def _documents() -> list[tuple[str, dict]]:
    docs = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        docs += [(path.name, d) for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def _kind(kind: str) -> dict:
    (doc,) = [d for _, d in _documents() if d["kind"] == kind]
    return doc


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_validates_strictly(version):
    docs = _documents()
    assert {d["kind"] for _, d in docs} == {
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "CronJob",
    }
    for _name, doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)  # raises with the field path


def test_validation_is_not_vacuous():
    cronjob = _kind("CronJob")
    broken = {**cronjob, "spec": {**cronjob["spec"], "concurrencyPolicy": 7}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[0], strict=True)
    typo = {**cronjob, "spec": {**cronjob["spec"], "concurrency": "Forbid"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, VERSIONS[0], strict=True)


def test_cronjob_pod_is_locked_down():
    cronjob = _kind("CronJob")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    job = cronjob["spec"]["jobTemplate"]["spec"]
    pod = job["template"]["spec"]
    assert pod["serviceAccountName"] == _kind("ServiceAccount")["metadata"]["name"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    sc = container["securityContext"]
    assert sc["runAsNonRoot"] is True and isinstance(sc["runAsUser"], int) and sc["runAsUser"] > 0
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]} and sc["seccompProfile"] == {"type": "RuntimeDefault"}
    for part in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][part])
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert all(set(v) <= {"name", "emptyDir"} for v in volumes.values()), "no hostPath or other volumes"
    assert not container["image"].endswith(":latest")
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["EFS_AUDIT_OUTPUT_DIR"].startswith("/tmp/")
    assert int(env[TIME_BUDGET]) == job["activeDeadlineSeconds"]
    assert {n for n in env if n.startswith("EFS_AUDIT_")} <= set(SETTINGS) | {TIME_BUDGET}
    # findings, bad settings and partial collection are verdicts: never retried
    (fail_job,) = [r for r in job["podFailurePolicy"]["rules"] if r["action"] == "FailJob"]
    assert fail_job["onExitCodes"]["values"] == [1, 2, 3]


def test_service_account_is_annotated_for_irsa_and_documents_pod_identity():
    sa = _kind("ServiceAccount")
    role_arn = sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert re.fullmatch(r"arn:aws:iam::\d{12}:role/[\w+=,.@-]+", role_arn)
    text = (DEPLOY / "serviceaccount.yaml").read_text()
    assert "Pod Identity" in text and "create-pod-identity-association" in text


def _rules(doc: dict) -> set[tuple[str, str, str]]:
    return {
        (g, r, v)
        for rule in doc["rules"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
        for v in rule["verbs"]
    }


def test_cluster_role_reads_only_and_never_secrets():
    rules = _rules(_kind("ClusterRole"))
    assert {v for _, _, v in rules} == {"get", "list"}
    assert not {r for _, r, _ in rules} & {"secrets", "configmaps", "pods/log", "pods/exec", "*"}
    binding = _kind("ClusterRoleBinding")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": _kind("ClusterRole")["metadata"]["name"],
    }
    sa = _kind("ServiceAccount")["metadata"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": sa["name"], "namespace": sa["namespace"]}
    ]


def test_cluster_role_equals_the_kubernetes_collector_role():
    assert K8S_HELPER_ROLE.exists(), (
        "samples/k8s/clusterrole.yaml (the Kubernetes collector's role) is missing"
    )
    docs = yaml.safe_load_all(K8S_HELPER_ROLE.read_text())
    (theirs,) = [d for d in docs if d and d["kind"] == "ClusterRole"]
    assert _rules(_kind("ClusterRole")) == _rules(theirs)


def test_dockerfile_is_multi_stage_non_root_and_shell_less():
    lines = [
        ln.strip()
        for ln in (DEPLOY / "Dockerfile").read_text().splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    stages = [ln for ln in lines if ln.upper().startswith("FROM ")]
    assert len(stages) >= 2
    final = lines[lines.index(stages[-1]) :]
    assert re.search(r"distroless|-slim", stages[-1])
    (user,) = [ln for ln in final if ln.upper().startswith("USER ")]
    assert re.fullmatch(r"USER [1-9]\d*(:[1-9]\d*)?", user)
    (entry,) = [ln for ln in final if ln.upper().startswith("ENTRYPOINT ")]
    assert entry.endswith('"-m", "auditor.entrypoints.cronjob"]') and entry.split(None, 1)[1].startswith("[")
    assert not [ln for ln in final if ln.upper().startswith(("RUN ", "SHELL "))], "nothing runs a shell"
    from tests.deploy.support import load_build_module

    for name in load_build_module().PROJECT_DIRS:  # the layout the Lambda zip and the tests use
        assert f"COPY {name} /app/{name}" in lines
    assert "ENV PYTHONPATH=/app \\" in lines
