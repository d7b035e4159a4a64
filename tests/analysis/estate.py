"""Small estates for analysis tests: builders whose names say the verdict they should get."""

from __future__ import annotations

from auditor.analysis.access import Analysis
from auditor.checks import CHECKS
from auditor.model import aws, k8s
from auditor.model.result import Status
from auditor.model.snapshot import Snapshot
from auditor.params import Params

ACCT, REGION = "111122223333", "eu-west-1"
ALL = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"]
MW = ALL[:2]
TLS_DENY = {
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
MT_TRUE = {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}


def fs_arn(n: int = 1) -> str:
    return f"arn:aws:elasticfilesystem:{REGION}:{ACCT}:file-system/fs-{n:08x}"


def ap_arn(n: int) -> str:
    return f"arn:aws:elasticfilesystem:{REGION}:{ACCT}:access-point/fsap-{n:017x}"


def role_arn(name: str, account: str = ACCT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def policy(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal, actions=None, **condition) -> dict:
    st = {
        "Effect": "Allow",
        "Principal": principal if principal == "*" else {"AWS": principal},
        "Action": actions or ALL,
    }
    if condition:
        st["Condition"] = condition
    return st


def fs(n: int = 1, pol: dict | None = None, status: str | None = None, **kw) -> aws.FileSystem:
    status = status or ("present" if pol is not None else "absent")
    return aws.FileSystem(
        arn=fs_arn(n),
        file_system_id=f"fs-{n:08x}",
        account_id=ACCT,
        region=REGION,
        policy_status=aws.PolicyStatus(status),
        policy=pol,
        **kw,
    )


def ap(
    n: int,
    path: str,
    uid: int | None = None,
    gid: int | None = None,
    fs_n: int = 1,
    app: str | None = None,
    secondary=(),
    creation=None,
) -> aws.AccessPoint:
    posix = (
        aws.PosixUser(uid=uid, gid=gid if gid is not None else uid, secondary_gids=list(secondary))
        if uid is not None
        else None
    )
    ci = (
        aws.CreationInfo(owner_uid=creation[0], owner_gid=creation[1], permissions=creation[2])
        if creation
        else None
    )
    return aws.AccessPoint(
        arn=ap_arn(n),
        access_point_id=f"fsap-{n:017x}",
        file_system_id=f"fs-{fs_n:08x}",
        account_id=ACCT,
        region=REGION,
        posix_user=posix,
        root_directory=aws.RootDirectory(path=path, creation_info=ci),
        tags={"app": app} if app else {},
    )


def role(name: str, *statements, attached=(), account: str = ACCT) -> aws.IamRole:
    inline = {"p": {"Version": "2012-10-17", "Statement": list(statements)}} if statements else {}
    return aws.IamRole(
        arn=role_arn(name, account),
        role_name=name,
        account_id=account,
        role_id=f"AROA{name.upper():0<17}"[:21],
        trust_policy={},
        inline_policies=inline,
        attached_policy_arns=list(attached),
    )


def identity(actions=None, resource="*", **condition) -> dict:
    st = {"Effect": "Allow", "Action": actions or ALL, "Resource": resource}
    if condition:
        st["Condition"] = condition
    return st


def task(
    name: str,
    fs_n: int = 1,
    *,
    user: str | None = "1000:1000",
    ap_n: int | None = None,
    tls: str | None = "ENABLED",
    iam: str | None = None,
    task_role: str | None = None,
    root_dir: str | None = None,
    app: str | None = None,
):
    vol = aws.EfsVolumeConfiguration(
        file_system_id=f"fs-{fs_n:08x}",
        transit_encryption=tls,
        iam=iam,
        access_point_id=f"fsap-{ap_n:017x}" if ap_n is not None else None,
        root_directory=root_dir,
    )
    return aws.TaskDefinition(
        arn=f"arn:aws:ecs:{REGION}:{ACCT}:task-definition/{name}:1",
        family=name,
        revision=1,
        account_id=ACCT,
        region=REGION,
        task_role_arn=role_arn(task_role) if task_role else None,
        volumes=[aws.EcsVolume(name="data", efs=vol)],
        tags={"app": app or name},
        containers=[
            aws.EcsContainer(name="app", user=user, mount_points=[aws.EcsMountPoint(source_volume="data")])
        ],
    )


def function(name: str, ap_n: int, role_name: str, app: str | None = None) -> aws.LambdaFunction:
    return aws.LambdaFunction(
        arn=f"arn:aws:lambda:{REGION}:{ACCT}:function:{name}",
        name=name,
        account_id=ACCT,
        region=REGION,
        role_arn=role_arn(role_name),
        tags={"app": app or name},
        file_system_configs=[aws.LambdaFileSystemConfig(arn=ap_arn(ap_n), local_mount_path="/mnt/d")],
    )


def cluster(
    name="c1",
    *,
    pvs=(),
    pvcs=(),
    workloads=(),
    scs=(),
    sas=(),
    node_roles=(),
    csi_node=None,
    csi_controller=None,
):
    return k8s.K8sCluster(
        name=name,
        account_id=ACCT,
        region=REGION,
        persistent_volumes=list(pvs),
        persistent_volume_claims=list(pvcs),
        storage_classes=list(scs),
        workloads=list(workloads),
        service_accounts=list(sas),
        pod_identity_associations=[],
        node_role_arns=list(node_roles),
        csi_node=csi_node,
        csi_controller=csi_controller,
    )


def csi_pv(name: str, handle: str, *, options=None, attrs=None, ns="ns", claim=None) -> k8s.PersistentVolume:
    return k8s.PersistentVolume(
        name=name,
        mount_options=options,
        claim_namespace=ns,
        claim_name=claim or name,
        csi=k8s.CsiSource(driver=k8s.EFS_CSI_DRIVER, volume_handle=handle, volume_attributes=attrs),
    )


def pvc(name: str, ns="ns", volume: str | None = None, sc: str | None = None) -> k8s.PersistentVolumeClaim:
    return k8s.PersistentVolumeClaim(
        namespace=ns, name=name, volume_name=volume if volume is not None else name, storage_class_name=sc
    )


def deployment(
    name: str,
    claim: str | None = None,
    ns="ns",
    *,
    run_as_user=1000,
    run_as_group=1000,
    non_root=None,
    nfs: k8s.NfsSource | None = None,
    fs_group=None,
    supplemental=None,
    app=None,
) -> k8s.Workload:
    vol = k8s.PodVolume(name="data", claim_name=claim, nfs=nfs)
    sc = k8s.SecurityContext(
        run_as_user=run_as_user,
        run_as_group=run_as_group,
        run_as_non_root=non_root,
        fs_group=fs_group,
        supplemental_groups=supplemental,
    )
    return k8s.Workload(
        kind="Deployment",
        namespace=ns,
        name=name,
        template=k8s.PodTemplate(
            labels={"app": app or name},
            security_context=sc,
            volumes=[vol],
            containers=[
                k8s.Container(name="app", volume_mounts=[k8s.VolumeMount(name="data", mount_path="/d")])
            ],
        ),
    )


def reuse_access_point_estate(claim: str = "data") -> Snapshot:
    """Edge 30: two namespaces' claims (named ``claim``) bound through one StorageClass with
    reuseAccessPoint to the same access point, mounted by applications a and b."""
    sc = k8s.StorageClass(
        name="reuse",
        provisioner=k8s.EFS_CSI_DRIVER,
        parameters={"provisioningMode": "efs-ap", "fileSystemId": "fs-00000001", "reuseAccessPoint": "true"},
    )
    c = cluster(
        scs=[sc],
        pvs=[
            csi_pv("pv-a", "fs-00000001::fsap-00000000000000001", ns="a", claim=claim),
            csi_pv("pv-b", "fs-00000001::fsap-00000000000000001", ns="b", claim=claim),
        ],
        pvcs=[pvc(claim, "a", "pv-a", "reuse"), pvc(claim, "b", "pv-b", "reuse")],
        workloads=[deployment("a", claim, "a", app="a"), deployment("b", claim, "b", app="b")],
    )
    return snapshot(
        file_systems=[fs(1, policy(TLS_DENY))], access_points=[ap(1, "/dyn/data", 50000)], clusters=[c]
    )


def snapshot(**lists) -> Snapshot:
    return Snapshot(**{k: list(v) for k, v in lists.items()})


def run(check_id: str, snap: Snapshot, **params) -> dict[str, tuple[Status, dict]]:
    """resource id -> (status, evidence) for one check."""
    fn = CHECKS[check_id].run
    out = {}
    for f in fn(Analysis(snap, Params(**params))):
        assert f.resource_id not in out, f"two results for {f.resource_id}"
        out[f.resource_id] = (f.status, f.evidence)
    return out


def statuses(check_id: str, snap: Snapshot, **params) -> dict[str, Status]:
    return {k: v[0] for k, v in run(check_id, snap, **params).items()}
