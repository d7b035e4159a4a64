"""ECS: services (with their network configuration) and task definitions.

Calls per account and region: ListClusters (pages); per cluster ListServices (pages) and
DescribeServices per 10 services; ListTaskDefinitionFamilies (pages, ACTIVE); DescribeTaskDefinition
once per family (its latest ACTIVE revision) and once per other revision a service runs.
Environment values and secrets are never read into the model.
"""

from __future__ import annotations

from auditor.collectors.aws.unit import CALL_ERRORS, Unit
from auditor.model.aws import (
    DockerVolumeConfiguration,
    EcsContainer,
    EcsMountPoint,
    EcsService,
    EcsVolume,
    EfsVolumeConfiguration,
    TaskDefinition,
)

SERVICE = "ecs"
DESCRIBE_BATCH = 10  # DescribeServices accepts at most 10 services per call


def collect(unit: Unit) -> dict:
    api = unit.api(SERVICE)
    services = _services(unit, api)
    definitions: dict[str, TaskDefinition] = {}
    try:
        families = [
            f
            for page in api.pages("ListTaskDefinitionFamilies", status="ACTIVE")
            for f in page.get("families", [])
        ]
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, "ListTaskDefinitionFamilies", exc)
        families = []
    for family in families:
        td = _describe(unit, api, family)
        if td:
            definitions[td.arn] = td
    for svc in services:
        arn = svc.task_definition_arn
        if arn and arn not in definitions:
            td = _describe(unit, api, arn)
            if td:
                definitions[td.arn] = td
    return {"ecs_services": services, "task_definitions": list(definitions.values())}


def _services(unit: Unit, api) -> list[EcsService]:
    try:
        clusters = [c for page in api.pages("ListClusters") for c in page.get("clusterArns", [])]
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, "ListClusters", exc)
        return []
    out = []
    for cluster in clusters:
        try:
            arns = [
                s for page in api.pages("ListServices", cluster=cluster) for s in page.get("serviceArns", [])
            ]
        except CALL_ERRORS as exc:
            unit.failed(SERVICE, "ListServices", exc, cluster)
            continue
        for i in range(0, len(arns), DESCRIBE_BATCH):
            batch = arns[i : i + DESCRIBE_BATCH]
            try:
                resp = api.call("DescribeServices", cluster=cluster, services=batch, include=["TAGS"])
            except CALL_ERRORS as exc:
                for arn in batch:
                    unit.failed(SERVICE, "DescribeServices", exc, arn)
                continue
            out += [service(unit.account_id, unit.region, s) for s in resp.get("services", [])]
            for failure in resp.get("failures", []):
                unit.issue(
                    SERVICE,
                    "DescribeServices",
                    failure.get("reason") or "Failure",
                    failure.get("detail") or "service could not be described",
                    failure.get("arn"),
                )
    return out


def _describe(unit: Unit, api, ref: str) -> TaskDefinition | None:
    try:
        resp = api.call("DescribeTaskDefinition", taskDefinition=ref, include=["TAGS"])
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, "DescribeTaskDefinition", exc, ref)
        return None
    return task_definition(unit.account_id, unit.region, resp["taskDefinition"], resp.get("tags"))


def service(account_id: str, region: str, s: dict) -> EcsService:
    vpc = (s.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    return EcsService(
        arn=s["serviceArn"],
        name=s["serviceName"],
        cluster_arn=s["clusterArn"],
        account_id=account_id,
        region=region,
        task_definition_arn=s.get("taskDefinition"),
        desired_count=s.get("desiredCount"),
        launch_type=s.get("launchType"),
        platform_version=s.get("platformVersion"),
        security_group_ids=list(vpc.get("securityGroups", [])) if vpc else None,
        subnet_ids=list(vpc.get("subnets", [])) if vpc else None,
        tags=_tags(s.get("tags")),
    )


def task_definition(account_id: str, region: str, td: dict, tags: list[dict] | None) -> TaskDefinition:
    return TaskDefinition(
        arn=td["taskDefinitionArn"],
        family=td["family"],
        revision=td["revision"],
        account_id=account_id,
        region=region,
        status=td.get("status"),
        task_role_arn=td.get("taskRoleArn"),
        execution_role_arn=td.get("executionRoleArn"),
        network_mode=td.get("networkMode"),
        requires_compatibilities=td.get("requiresCompatibilities"),
        volumes=[volume(v) for v in td.get("volumes", [])],
        containers=[container(c) for c in td.get("containerDefinitions", [])],
        tags=_tags(tags),
    )


def volume(v: dict) -> EcsVolume:
    efs = v.get("efsVolumeConfiguration")
    auth = (efs or {}).get("authorizationConfig") or {}
    docker = v.get("dockerVolumeConfiguration")
    return EcsVolume(
        name=v["name"],
        efs=EfsVolumeConfiguration(
            file_system_id=efs["fileSystemId"],
            root_directory=efs.get("rootDirectory"),
            transit_encryption=efs.get("transitEncryption"),
            transit_encryption_port=efs.get("transitEncryptionPort"),
            access_point_id=auth.get("accessPointId"),
            iam=auth.get("iam"),
        )
        if efs
        else None,
        docker=DockerVolumeConfiguration(
            driver=docker.get("driver"), scope=docker.get("scope"), driver_opts=docker.get("driverOpts")
        )
        if docker
        else None,
        host_source_path=(v.get("host") or {}).get("sourcePath"),
    )


def container(c: dict) -> EcsContainer:
    """Identity and mount fields only: environment, secrets and the rest are not read."""
    caps = ((c.get("linuxParameters") or {}).get("capabilities")) or {}
    return EcsContainer(
        name=c["name"],
        image=c.get("image"),
        user=c.get("user"),
        privileged=c.get("privileged"),
        capabilities_add=caps.get("add"),
        capabilities_drop=caps.get("drop"),
        mount_points=[
            EcsMountPoint(
                source_volume=m["sourceVolume"],
                container_path=m.get("containerPath"),
                read_only=m.get("readOnly"),
            )
            for m in c.get("mountPoints", [])
        ],
    )


def _tags(tags: list[dict] | None) -> dict[str, str] | None:
    return None if tags is None else {t["key"]: t.get("value", "") for t in tags}
