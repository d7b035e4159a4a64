"""Synthetic estates of any size for the benchmarks, shaped like a large shared-EFS platform.

``estate(access_points)``: 1,000 access points per file system (EFS allows 10,000), one workload for
every two access points (ECS 40 %, Kubernetes 40 %, Lambda 20 %), one IAM role per application of
two workloads, identity policies pinned to the application's access points, a file-system policy that
enforces TLS and requires an access point (one in ten file systems has no policy), and a sprinkling
of the risks the checks look for (root identities, nested roots, plaintext mounts).
"""

from __future__ import annotations

from auditor.model import aws, k8s
from auditor.model.snapshot import CollectionUnit, Snapshot

ACCOUNT, REGION = "210987654321", "us-east-1"
PER_FS = 1000


def _fs_policy(fs_arn: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": fs_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                "Resource": fs_arn,
                "Condition": {
                    "StringLike": {
                        "elasticfilesystem:AccessPointArn": f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:access-point/*"
                    }
                },
            },
        ],
    }


def estate(access_points: int) -> Snapshot:
    n_fs = max(1, access_points // PER_FS)
    fss, aps, roles, tds, fns, wls, pvs, pvcs = [], [], [], [], [], [], [], []
    for f in range(n_fs):
        fs_id = f"fs-{f:017x}"
        fs_arn = f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{fs_id}"
        no_policy = f % 10 == 9
        fss.append(
            aws.FileSystem(
                arn=fs_arn,
                file_system_id=fs_id,
                account_id=ACCOUNT,
                region=REGION,
                encrypted=f % 7 != 3,
                policy_status=aws.PolicyStatus.ABSENT if no_policy else aws.PolicyStatus.PRESENT,
                policy=None if no_policy else _fs_policy(fs_arn),
                backup_policy_status="ENABLED" if f % 5 else "DISABLED",
                mount_targets=[],
                tags={"Name": f"fs{f}"},
            )
        )
    for i in range(access_points):
        f = min(i // PER_FS, n_fs - 1)
        fs_id = f"fs-{f:017x}"
        ap_id = f"fsap-{i:017x}"
        app = f"app{i // 2}"
        nested = i % 50 == 1  # every 50th application's second directory is nested in its first
        path = f"/{app}" + ("/sub" if nested else "") if i % 2 else f"/{app}"
        uid = 0 if i % 997 == 0 else 10000 + i
        aps.append(
            aws.AccessPoint(
                arn=f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:access-point/{ap_id}",
                access_point_id=ap_id,
                file_system_id=fs_id,
                account_id=ACCOUNT,
                region=REGION,
                posix_user=None if i % 101 == 0 else aws.PosixUser(uid=uid, gid=uid),
                root_directory=aws.RootDirectory(
                    path=path,
                    creation_info=aws.CreationInfo(
                        owner_uid=uid, owner_gid=uid, permissions="750" if i % 89 else "777"
                    ),
                ),
                tags={"app": app},
            )
        )
    for w in range(access_points // 2):
        ap = aps[w * 2]
        app = f"app{w}"
        role_arn = f"arn:aws:iam::{ACCOUNT}:role/{app}"
        fs_arn = f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{ap.file_system_id}"
        roles.append(
            aws.IamRole(
                arn=role_arn,
                role_name=app,
                account_id=ACCOUNT,
                role_id=f"AROA{w:017d}",
                trust_policy={},
                attached_policy_arns=[],
                inline_policies={
                    "efs": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                                "Resource": fs_arn,
                                "Condition": {
                                    "StringEquals": {
                                        "elasticfilesystem:AccessPointArn": [
                                            aps[w * 2].arn,
                                            aps[w * 2 + 1].arn,
                                        ]
                                    }
                                },
                            }
                        ],
                    }
                },
            )
        )
        kind = w % 5
        if kind in (0, 1):
            tds.append(
                aws.TaskDefinition(
                    arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{app}:1",
                    family=app,
                    revision=1,
                    account_id=ACCOUNT,
                    region=REGION,
                    task_role_arn=role_arn,
                    tags={"app": app},
                    volumes=[
                        aws.EcsVolume(
                            name="data",
                            efs=aws.EfsVolumeConfiguration(
                                file_system_id=ap.file_system_id,
                                access_point_id=ap.access_point_id,
                                iam="ENABLED",
                                transit_encryption="DISABLED" if w % 97 == 0 else "ENABLED",
                            ),
                        )
                    ],
                    containers=[
                        aws.EcsContainer(
                            name="app",
                            user=None if w % 13 == 0 else f"{1000 + w}:{1000 + w}",
                            mount_points=[aws.EcsMountPoint(source_volume="data")],
                        )
                    ],
                )
            )
        elif kind == 2:
            fns.append(
                aws.LambdaFunction(
                    arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{app}",
                    name=app,
                    account_id=ACCOUNT,
                    region=REGION,
                    role_arn=role_arn,
                    tags={"app": app},
                    file_system_configs=[
                        aws.LambdaFileSystemConfig(arn=ap.arn, local_mount_path="/mnt/data")
                    ],
                )
            )
        else:
            ns = f"ns{w % 200}"
            pv = f"pv-{app}"
            pvs.append(
                k8s.PersistentVolume(
                    name=pv,
                    storage_class_name="efs",
                    csi=k8s.CsiSource(
                        driver=k8s.EFS_CSI_DRIVER, volume_handle=f"{ap.file_system_id}::{ap.access_point_id}"
                    ),
                    mount_options=["tls", "iam"],
                    claim_namespace=ns,
                    claim_name=app,
                )
            )
            pvcs.append(
                k8s.PersistentVolumeClaim(namespace=ns, name=app, volume_name=pv, storage_class_name="efs")
            )
            wls.append(
                k8s.Workload(
                    kind="Deployment",
                    namespace=ns,
                    name=app,
                    labels={"app": app},
                    template=k8s.PodTemplate(
                        labels={"app": app},
                        service_account_name=app,
                        security_context=k8s.SecurityContext(run_as_user=2000 + w, run_as_group=2000 + w),
                        containers=[
                            k8s.Container(
                                name="app", volume_mounts=[k8s.VolumeMount(name="data", mount_path="/data")]
                            )
                        ],
                        volumes=[k8s.PodVolume(name="data", claim_name=app)],
                    ),
                )
            )
    cluster = k8s.K8sCluster(
        name="bench",
        account_id=ACCOUNT,
        region=REGION,
        persistent_volumes=pvs,
        persistent_volume_claims=pvcs,
        storage_classes=[k8s.StorageClass(name="efs", provisioner=k8s.EFS_CSI_DRIVER, parameters={})],
        workloads=wls,
        service_accounts=[
            k8s.ServiceAccount(
                namespace="kube-system",
                name="efs-csi-node-sa",
                irsa_role_arn=f"arn:aws:iam::{ACCOUNT}:role/app0",
            )
        ],
        pod_identity_associations=[],
        node_role_arns=[],
    )
    units = [
        CollectionUnit(scope=f"aws:{ACCOUNT}:{REGION}", method="synthetic"),
        CollectionUnit(scope=f"aws:{ACCOUNT}:global", method="synthetic"),
        CollectionUnit(scope="k8s:bench", method="synthetic"),
    ]
    return Snapshot(
        units=units,
        file_systems=fss,
        access_points=aps,
        roles=roles,
        task_definitions=tds,
        lambda_functions=fns,
        clusters=[cluster],
    )
