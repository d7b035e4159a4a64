"""The seeded demo: a sample estate is created in an in-process moto server (127.0.0.1) through the AWS
API, read back by the real AWS collectors, merged with the estate's Kubernetes manifests (read by the
manifest collector) and returned as a Snapshot.

Where moto 5.2.5 cannot hold or serve a field, :func:`fill_moto_gaps` copies the sample's value into
the collected snapshot; it is the only such place, and every field it touches is named in the notes.
The collectors themselves never special-case moto.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from pathlib import Path

from auditor.model.snapshot import Snapshot, load, merge

# Calls moto 5.2.5 does not implement: their issues are replaced by the sample's values.
UNIMPLEMENTED = {("backup", "ListProtectedResources"), ("eks", "ListPodIdentityAssociations")}
DEMO_ENV = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_SESSION_TOKEN": "demo",
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def seeded_snapshot(estate_dir: Path) -> tuple[Snapshot, list[str]]:
    from moto.server import ThreadedMotoServer

    from auditor.collectors.aws import AwsSettings, collect_aws, last_call_counts
    from auditor.demo.seed import seed

    estate_dir = Path(estate_dir)
    sample = load_sample(estate_dir)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log would drown the demo output
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        regions = tuple(sorted({f.region for f in sample.file_systems} | {s.region for s in sample.subnets}))
        with _environment({**DEMO_ENV, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": regions[0]}):
            _reset(endpoint)
            ids = seed(sample, endpoint)
            collected = collect_aws(AwsSettings(regions=regions, max_attempts=2))
        calls = sum(last_call_counts().values())
    finally:
        server.stop()
    collected = translate(collected, {live_id: sample_id for sample_id, live_id in ids.items()})
    collected, notes = fill_moto_gaps(collected, sample)
    notes.insert(
        0,
        f"AWS side: seeded into moto at 127.0.0.1:{port}, collected with {calls} API calls; "
        f"{len(ids)} moto-generated ids mapped back to the sample's ids",
    )
    parts = [collected]
    manifests = estate_dir / "manifests"
    if manifests.is_dir():
        from auditor.collectors.k8s.manifests import load_manifests

        parts += [load_manifests([manifests], c.name) for c in sample.clusters]
    return merge(*parts), notes


def _reset(endpoint: str) -> None:
    """Moto's backends are process-wide: start from an empty state (and let IAM load its AWS managed
    policies, which it only does when an account's backend is created)."""
    import urllib.request

    request = urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()


def load_sample(estate_dir: Path) -> Snapshot:
    """The estate's AWS side: snapshot.json (Kubernetes clusters reduced to their AWS stubs), else aws.yaml."""
    if (estate_dir / "snapshot.json").exists():
        snap = load(estate_dir / "snapshot.json")
    else:
        import yaml

        snap = Snapshot.model_validate(yaml.safe_load((estate_dir / "aws.yaml").read_text()))
    stubs = [
        c.model_copy(
            update=dict.fromkeys(
                (
                    "persistent_volumes",
                    "persistent_volume_claims",
                    "storage_classes",
                    "workloads",
                    "service_accounts",
                    "csi_node",
                    "csi_controller",
                )
            )
        )
        for c in snap.clusters
    ]
    units = [u for u in snap.units if u.scope.startswith("aws:")]
    issues = [i for i in snap.issues if i.scope.startswith("aws:")]
    return snap.model_copy(update={"clusters": stubs, "units": units, "issues": issues})


def translate(snapshot: Snapshot, mapping: dict[str, str]) -> Snapshot:
    """Replace ids throughout (ids are unique random strings; longer ones first)."""
    text = snapshot.model_dump_json()
    for old, new in sorted(mapping.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(old, new)
    return Snapshot.model_validate(json.loads(text))


def fill_moto_gaps(collected: Snapshot, sample: Snapshot) -> tuple[Snapshot, list[str]]:
    """Copy into the collected snapshot the sample's values for fields moto 5.2.5 cannot hold."""
    notes: list[str] = []
    s_fns = {f.arn: f for f in sample.lambda_functions}
    fns = [
        f.model_copy(update={"file_system_configs": s_fns[f.arn].file_system_configs})
        if f.arn in s_fns and s_fns[f.arn].file_system_configs and not f.file_system_configs
        else f
        for f in collected.lambda_functions
    ]
    if fns != collected.lambda_functions:
        notes.append("Lambda FileSystemConfigs filled in from the sample: moto drops them on CreateFunction")
    s_fs = {f.arn: f for f in sample.file_systems}
    systems = []
    for fs in collected.file_systems:
        want = s_fs.get(fs.arn)
        update = {}
        if want and fs.backup_policy_status is None and want.backup_policy_status:
            update["backup_policy_status"] = want.backup_policy_status
        if want and fs.backup_protected is None:
            update["backup_protected"] = want.backup_protected
        systems.append(fs.model_copy(update=update))
    if any(a.backup_policy_status != b.backup_policy_status for a, b in zip(systems, collected.file_systems)):
        notes.append(
            "EFS backup policy status DISABLED filled in from the sample: moto has no PutBackupPolicy"
        )
    tds = []
    s_tds = {t.arn: t for t in sample.task_definitions}
    for td in collected.task_definitions:
        want = s_tds.get(td.arn)
        vols = [
            v.model_copy(update={"efs": v.efs.model_copy(update={"root_directory": None})})
            if want and v.efs and v.efs.root_directory == "/" and _root_unset(want, v.name)
            else v
            for v in td.volumes
        ]
        tds.append(td.model_copy(update={"volumes": vols}))
    if tds != collected.task_definitions:
        notes.append(
            "ECS EFS volumes: rootDirectory '/' that moto adds to volumes which omitted it is removed"
        )
    s_mp = {p.arn: p for p in sample.managed_policies}
    policies = [
        s_mp[p.arn] if p.arn in s_mp and p.arn.startswith("arn:aws:iam::aws:") and p != s_mp[p.arn] else p
        for p in collected.managed_policies
    ]
    if policies != collected.managed_policies:
        notes.append(
            "AWS managed policy versions and documents taken from the sample: moto bundles older copies"
        )
    s_cl = {c.name: c for c in sample.clusters}
    clusters = [
        c.model_copy(update={"pod_identity_associations": s_cl[c.name].pod_identity_associations})
        if c.name in s_cl and c.pod_identity_associations is None
        else c
        for c in collected.clusters
    ]
    dropped = [i for i in collected.issues if (i.service, i.operation) in UNIMPLEMENTED]
    if dropped:
        notes.append(
            "Backup ListProtectedResources and EKS pod identity associations are not implemented by moto: "
            "their values come from the sample and their collection issues are dropped"
        )
    issues = [i for i in collected.issues if (i.service, i.operation) not in UNIMPLEMENTED]
    return collected.model_copy(
        update={
            "lambda_functions": fns,
            "file_systems": systems,
            "task_definitions": tds,
            "managed_policies": policies,
            "clusters": clusters,
            "issues": issues,
        }
    ), notes


def _root_unset(td, volume: str) -> bool:
    return any(v.name == volume and v.efs and v.efs.root_directory is None for v in td.volumes)


@contextmanager
def _environment(values: dict[str, str]):
    """Set environment variables for the seeded run and restore them afterwards. Profiles and
    credential files are masked so no real credentials are read."""
    masked = {
        "AWS_PROFILE": None,
        "AWS_DEFAULT_PROFILE": None,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    saved = {k: os.environ.get(k) for k in {**values, **masked}}
    try:
        for k, v in {**masked, **values}.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
