"""CloudFormation (and SAM) templates -> declared resources.

Resources of the same template get synthetic but stable identities from their logical ids
(``arn:aws:elasticfilesystem:<region>:<account>:file-system/<LogicalId>``; names given in the
template, such as RoleName or FunctionName, are used as AWS would). Defaults are what deploying the
template produces: CloudFormation creates file systems through the API, so an omitted ``Encrypted``
is false and an omitted ``BackupPolicy`` means automatic backups are off (semantics §3.1; the
console's defaults differ), and an omitted ``FileSystemPolicy`` means no policy (the open default).
"""

from __future__ import annotations

from auditor.model.arn import Arn
from auditor.model.aws import (
    AccessPoint,
    CreationInfo,
    FileSystem,
    IamRole,
    ManagedPolicy,
    MountTarget,
    PolicyStatus,
    PosixUser,
    RootDirectory,
    SecurityGroup,
)
from auditor.model.snapshot import InputError
from auditor.review import build, sam
from auditor.review.build import Sink
from auditor.review.intrinsics import SUB_VAR, Resolver
from auditor.review.loader import line_of
from auditor.review.values import FieldError, Unknown, as_dict, as_list, first_unknown, get, tags_of

SUPPORTED = (
    "AWS::EFS::FileSystem",
    "AWS::EFS::AccessPoint",
    "AWS::EFS::MountTarget",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::RolePolicy",
    "AWS::IAM::ManagedPolicy",
    "AWS::ECS::TaskDefinition",
    "AWS::ECS::Service",
    "AWS::ECS::Cluster",
    "AWS::Lambda::Function",
    "AWS::Serverless::Function",
)


class Template:
    def __init__(self, doc: dict, label: str, sink: Sink) -> None:
        resources = doc.get("Resources")
        if not isinstance(resources, dict):
            raise InputError(f"{label}:{line_of(doc, 1)}: Resources: expected a mapping of logical ids")
        self.label, self.sink = label, sink
        self.resources: dict[str, dict] = {}
        for lid, res in resources.items():
            if not isinstance(res, dict) or not isinstance(res.get("Type"), str):
                raise InputError(
                    f"{label}:{line_of(res, line_of(resources))}: Resources.{lid}.Type: required"
                )
            self.resources[str(lid)] = res
        self.globals = (
            as_dict(get(doc.get("Globals") or {}, "Function"), "Globals.Function")
            if isinstance(doc.get("Globals"), dict)
            else {}
        )
        self._ids: dict[str, dict] = {}
        self._busy: set[str] = set()
        self.r = Resolver(doc, sink.account, sink.region, sink.partition, self.ref, self.getatt)
        self.refuse_cycles()

    def refuse_cycles(self) -> None:
        """CloudFormation refuses a template whose resources depend on each other in a circle (through
        Ref, Fn::GetAtt, Fn::Sub or DependsOn; cfn-lint's E3004), so a review does too: one line naming
        the file, the resource, the field and the circle."""
        import networkx as nx

        graph, where = nx.DiGraph(), {}
        for lid, res in self.resources.items():
            graph.add_node(lid)
            for target, path in _references(res, ""):
                target = target if target in self.resources else sam.implicit_role_owner(self, target)
                if target and not graph.has_edge(lid, target):
                    graph.add_edge(lid, target)
                    where[(lid, target)] = path
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return
        first, second = cycle[0]
        chain = " -> ".join([u for u, _ in cycle] + [first])
        raise InputError(
            f"{self.label}:{line_of(self.resources[first], 1)}: Resources.{first}.{where[(first, second)]}: "
            f"circular dependency {chain}; CloudFormation refuses the template"
        )

    # --- identities ---------------------------------------------------------------------------------

    def props(self, lid: str) -> dict:
        res = self.resources[lid]
        props = res.get("Properties") or {}
        if not isinstance(props, dict):
            raise InputError(f"{self.label}:{line_of(res)}: {lid}.Properties: expected a mapping")
        if res["Type"] == "AWS::Serverless::Function" and self.globals:
            props = {**self.globals, **props}
        return props

    def name(self, lid: str, prop: str, default: str):
        value = self.r.resolve(self.props(lid).get(prop)) if prop in self.props(lid) else default
        return value if isinstance(value, Unknown) else str(value)

    def identity(self, lid: str) -> dict:
        """{"Ref": value, attribute: value, ...} for a resource of this template."""
        if lid in self._ids:
            return self._ids[lid]
        if lid in self._busy:
            return {"Ref": Unknown(f"Ref {lid} (circular reference)")}
        self._busy.add(lid)
        try:
            self._ids[lid] = self._identity(lid)
        finally:
            self._busy.discard(lid)
        return self._ids[lid]

    def _identity(self, lid: str) -> dict:
        kind = self.resources[lid]["Type"]
        s = self.sink
        if kind == "AWS::EFS::FileSystem":
            return {"Ref": lid, "FileSystemId": lid, "Arn": s.arn("elasticfilesystem", f"file-system/{lid}")}
        if kind == "AWS::EFS::AccessPoint":
            return {
                "Ref": lid,
                "AccessPointId": lid,
                "Arn": s.arn("elasticfilesystem", f"access-point/{lid}"),
            }
        if kind in ("AWS::EC2::SecurityGroup", "AWS::EFS::MountTarget"):
            return {"Ref": lid, "GroupId": lid}
        if kind == "AWS::IAM::Role":
            name, path = self.name(lid, "RoleName", lid), self.name(lid, "Path", "/")
            arn = first_unknown([name, path]) or s.arn("iam", f"role{path}{name}", region="")
            return {"Ref": name, "Arn": arn}
        if kind == "AWS::IAM::ManagedPolicy":
            name, path = self.name(lid, "ManagedPolicyName", lid), self.name(lid, "Path", "/")
            arn = first_unknown([name, path]) or s.arn("iam", f"policy{path}{name}", region="")
            return {"Ref": arn, "PolicyArn": arn}
        if kind == "AWS::ECS::TaskDefinition":
            family = self.name(lid, "Family", lid)
            arn = family if isinstance(family, Unknown) else s.arn("ecs", f"task-definition/{family}:1")
            return {"Ref": arn, "TaskDefinitionArn": arn}
        if kind == "AWS::ECS::Cluster":
            name = self.name(lid, "ClusterName", lid)
            return {
                "Ref": name,
                "Arn": name if isinstance(name, Unknown) else s.arn("ecs", f"cluster/{name}"),
            }
        if kind == "AWS::ECS::Service":
            name, cluster = self.name(lid, "ServiceName", lid), self.cluster_name(lid)
            arn = first_unknown([name, cluster]) or s.arn("ecs", f"service/{cluster}/{name}")
            return {"Ref": arn, "ServiceArn": arn, "Name": name}
        if kind in ("AWS::Lambda::Function", "AWS::Serverless::Function"):
            name = self.name(lid, "FunctionName", lid)
            return {
                "Ref": name,
                "Arn": name if isinstance(name, Unknown) else s.arn("lambda", f"function:{name}"),
            }
        return {}

    def cluster_name(self, lid: str):
        value = self.r.resolve(self.props(lid).get("Cluster", "default"))
        if isinstance(value, str) and (arn := Arn.maybe(value)):
            return arn.name
        return value if isinstance(value, Unknown) else str(value)

    def ref(self, lid: str):
        if lid in self.resources:
            return self.identity(lid).get("Ref", Unknown(f"Ref {lid} ({self.resources[lid]['Type']})"))
        implicit = sam.implicit_role_owner(self, lid)
        if implicit:
            return lid
        raise FieldError(self.r.where(), f"Ref {lid}: no such resource or parameter in the template")

    def getatt(self, lid: str, attr: str):
        if lid in self.resources:
            return self.identity(lid).get(attr, Unknown(f"Fn::GetAtt {lid}.{attr}"))
        if sam.implicit_role_owner(self, lid) and attr == "Arn":
            return self.sink.arn("iam", f"role/{lid}", region="")
        raise FieldError(self.r.where(), f"Fn::GetAtt {lid}.{attr}: no such resource in the template")

    # --- conversion --------------------------------------------------------------------------------

    def read(self) -> None:
        later: list[tuple[str, dict, str, int]] = []
        for lid, res in self.resources.items():
            kind, line = res["Type"], line_of(res)
            if kind not in SUPPORTED:
                continue
            cond = res.get("Condition")
            if cond is not None:
                try:
                    truth = self.r.condition(cond)
                except FieldError as exc:
                    raise InputError(f"{self.label}:{line}: {lid}.Condition: {exc.message}") from None
                if truth is False:
                    continue
                if isinstance(truth, Unknown):
                    self.sink.unresolved(None, f"{lid}.Condition", truth)
            try:
                props = self.r.resolve(self.props(lid))
                if isinstance(props, Unknown):
                    raise FieldError("Properties", props.reason)
                if not isinstance(props, dict):
                    raise FieldError("Properties", "expected a mapping")
                if kind in (
                    "AWS::EFS::MountTarget",
                    "AWS::EC2::SecurityGroupIngress",
                    "AWS::IAM::Policy",
                    "AWS::IAM::RolePolicy",
                    "AWS::IAM::ManagedPolicy",
                ):
                    later.append((lid, props, kind, line))
                    continue
                self.convert(lid, kind, props, line)
            except FieldError as exc:
                raise InputError(f"{self.label}:{line}: {_field(lid, exc)}: {exc.message}") from None
        for lid, props, kind, line in later:
            try:
                self.attach(lid, kind, props, line)
            except FieldError as exc:
                raise InputError(f"{self.label}:{line}: {_field(lid, exc)}: {exc.message}") from None

    def convert(self, lid: str, kind: str, p: dict, line: int) -> None:
        s, ident = self.sink, self.identity(lid)
        if kind == "AWS::EFS::FileSystem":
            arn = ident["Arn"]
            policy, status = None, PolicyStatus.ABSENT
            if "FileSystemPolicy" in p:
                policy = s.document(arn, p["FileSystemPolicy"], "FileSystemPolicy")
                status = PolicyStatus.PRESENT if policy is not None else PolicyStatus.UNKNOWN
            encrypted = s.flag(arn, p.get("Encrypted", False), "Encrypted")  # API default: not encrypted
            backup = s.text(arn, get(p, "BackupPolicy", "Status", default="DISABLED"), "BackupPolicy.Status")
            tags = tags_of(p.get("FileSystemTags"), "FileSystemTags")
            fs = FileSystem(
                arn=arn,
                file_system_id=lid,
                account_id=s.account,
                region=s.region,
                name=(tags or {}).get("Name"),
                encrypted=encrypted,
                kms_key_id=s.text(arn, p.get("KmsKeyId"), "KmsKeyId"),
                availability_zone_name=s.text(arn, p.get("AvailabilityZoneName"), "AvailabilityZoneName"),
                policy_status=status,
                policy=policy,
                backup_policy_status=backup and backup.upper(),
                mount_targets=[],
                tags=tags,
            )
            s.add("file_systems", fs, self.label, line, "efs")
        elif kind == "AWS::EFS::AccessPoint":
            ap = access_point(s, ident["Arn"], lid, p)
            if ap is not None:
                s.add("access_points", ap, self.label, line, "efs")
        elif kind == "AWS::EC2::SecurityGroup":
            rid = f"{s.account}/{lid}"
            rules = [
                build.ingress_rule(s, rid, r, f"SecurityGroupIngress[{i}]")
                for i, r in enumerate(as_list(p.get("SecurityGroupIngress"), "SecurityGroupIngress"))
            ]
            sg = SecurityGroup(
                group_id=lid,
                account_id=s.account,
                region=s.region,
                vpc_id=s.text(rid, p.get("VpcId"), "VpcId"),
                name=s.text(rid, p.get("GroupName"), "GroupName"),
                ingress=None if None in rules else rules,
            )
            s.add("security_groups", sg, self.label, line, "ec2")
        elif kind == "AWS::IAM::Role":
            s.add("roles", role(s, ident["Arn"], ident["Ref"], p), self.label, line, "iam")
        elif kind == "AWS::ECS::TaskDefinition":
            family = ident["TaskDefinitionArn"]
            fam = Arn.parse(family).name if isinstance(family, str) else lid
            arn = family if isinstance(family, str) else s.arn("ecs", f"task-definition/{lid}:1")
            td = build.task_definition(
                s,
                arn,
                family=fam,
                revision=1,
                task_role=p.get("TaskRoleArn"),
                execution_role=p.get("ExecutionRoleArn"),
                network_mode=p.get("NetworkMode"),
                compatibilities=p.get("RequiresCompatibilities"),
                volumes=p.get("Volumes"),
                containers=p.get("ContainerDefinitions"),
                tags=tags_of(p.get("Tags"), "Tags"),
                where="",
            )
            if td is not None:
                s.add("task_definitions", td, self.label, line, "ecs")
        elif kind == "AWS::ECS::Service":
            arn, cluster = ident["ServiceArn"], self.cluster_name(lid)
            if isinstance(arn, Unknown):
                s.unresolved(None, f"{lid}.ServiceName", arn)
                return
            vpc = get(p, "NetworkConfiguration", "AwsvpcConfiguration")
            svc = build.ecs_service(
                s,
                arn,
                name=str(ident["Name"]),
                cluster_arn=s.arn("ecs", f"cluster/{cluster}"),
                task_definition_arn=p.get("TaskDefinition"),
                desired=p.get("DesiredCount"),
                launch_type=p.get("LaunchType"),
                platform_version=p.get("PlatformVersion"),
                security_groups=get(vpc, "SecurityGroups"),
                subnets=get(vpc, "Subnets"),
                tags=tags_of(p.get("Tags"), "Tags"),
                where="",
            )
            s.add("ecs_services", svc, self.label, line, "ecs")
        elif kind in ("AWS::Lambda::Function", "AWS::Serverless::Function"):
            arn = ident["Arn"]
            if isinstance(arn, Unknown):
                s.unresolved(None, f"{lid}.FunctionName", arn)
                return
            role_arn = p.get("Role")
            if kind == "AWS::Serverless::Function" and role_arn is None:
                role_arn = sam.implicit_role(self, lid, p, line)
            vpc = p.get("VpcConfig") or {}
            fn = build.lambda_function(
                s,
                arn,
                name=Arn.parse(arn).name,
                role=role_arn,
                fs_configs=p.get("FileSystemConfigs"),
                security_groups=get(vpc, "SecurityGroupIds"),
                subnets=get(vpc, "SubnetIds"),
                tags=tags_of(p.get("Tags"), "Tags"),
                where="",
            )
            s.add("lambda_functions", fn, self.label, line, "lambda")

    def attach(self, lid: str, kind: str, p: dict, line: int) -> None:
        """Resources that add to another one: mount targets, ingress rules, policies."""
        s = self.sink
        if kind == "AWS::EFS::MountTarget":
            fs_id = p.get("FileSystemId")
            mt = MountTarget(
                mount_target_id=lid,
                file_system_id=s.ident(None, fs_id, "FileSystemId") or "",
                subnet_id=s.text(None, p.get("SubnetId"), "SubnetId"),
                ip_address=s.text(None, p.get("IpAddress"), "IpAddress"),
                security_group_ids=s.strings(None, p.get("SecurityGroups"), "SecurityGroups"),
            )
            replace(
                s,
                "file_systems",
                lambda fs: fs.file_system_id == mt.file_system_id,
                lambda fs: fs.model_copy(update={"mount_targets": [*(fs.mount_targets or []), mt]}),
                f"{self.label}:{line}: mount target {lid} of file system {mt.file_system_id}",
                (self.label, line),
            )
        elif kind == "AWS::EC2::SecurityGroupIngress":
            gid = s.ident(None, p.get("GroupId"), "GroupId")
            rule = build.ingress_rule(s, f"{s.account}/{gid}", p, lid)
            replace(
                s,
                "security_groups",
                lambda g: g.group_id == gid,
                lambda g: g.model_copy(
                    update={"ingress": None if rule is None or g.ingress is None else [*g.ingress, rule]}
                ),
                f"{self.label}:{line}: ingress rule {lid} of security group {gid}",
                (self.label, line),
            )
        else:
            doc = p.get("PolicyDocument")
            names = p.get("Roles") if kind != "AWS::IAM::RolePolicy" else [p.get("RoleName")]
            policy_arn = self.identity(lid).get("PolicyArn") if kind == "AWS::IAM::ManagedPolicy" else None
            if isinstance(policy_arn, str):
                s.add(
                    "managed_policies",
                    ManagedPolicy(
                        arn=policy_arn,
                        name=Arn.parse(policy_arn).name,
                        document=s.document(policy_arn, doc, "PolicyDocument"),
                    ),
                    self.label,
                    line,
                    "iam",
                )
            for name in as_list(names, "Roles"):
                if isinstance(name, Unknown):
                    s.unresolved(None, f"{lid}.Roles", name)
                    continue
                pname = str(p.get("PolicyName") or lid)
                replace(
                    s,
                    "roles",
                    lambda r, n=str(name): r.role_name == n,
                    lambda r, pn=pname: _add_policy(s, r, pn, doc, policy_arn),
                    f"{self.label}:{line}: policy {lid} of role {name}",
                    (self.label, line),
                    str(name),
                )


def _field(lid: str, exc: FieldError) -> str:
    return f"{lid}.Properties.{exc.where}" if exc.where and exc.where != "Properties" else f"{lid}.Properties"


def _references(value, path: str):
    """(logical id, field path) for every Ref, Fn::GetAtt, Fn::Sub variable and DependsOn in a resource."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" and isinstance(arg, str):
                yield arg, path
                return
            if key == "Fn::GetAtt":
                name = (
                    arg.split(".", 1)[0]
                    if isinstance(arg, str)
                    else arg[0]
                    if isinstance(arg, list) and arg
                    else None
                )
                if isinstance(name, str):
                    yield name, path
            if key == "Fn::Sub":
                text, local = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
                for var in SUB_VAR.findall(text) if isinstance(text, str) else ():
                    if not var.startswith("!") and not (isinstance(local, dict) and var in local):
                        yield var.split(".", 1)[0], path
        for k, v in value.items():
            if k == "DependsOn" and not path:
                for name in [v] if isinstance(v, str) else v if isinstance(v, list) else []:
                    if isinstance(name, str):
                        yield name, "DependsOn"
                continue
            yield from _references(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _references(v, f"{path}[{i}]")


def _add_policy(s: Sink, r: IamRole, name: str, doc, policy_arn) -> IamRole:
    if policy_arn:
        return r.model_copy(update={"attached_policy_arns": [*(r.attached_policy_arns or []), policy_arn]})
    document = s.document(r.arn, doc, f"PolicyDocument of {name}")
    inline = None if r.inline_policies is None or document is None else {**r.inline_policies, name: document}
    return r.model_copy(update={"inline_policies": inline})


def replace(
    s: Sink, kind: str, match, change, what: str, site: tuple[str, int], role_name: str | None = None
) -> None:
    """Apply a declared change to its target: a resource the files declare, else the one live in the
    --against snapshot (which the files now change: it is declared at ``site``). A change that cannot be
    placed is never dropped: a role known nowhere gets a stand-in whose policies are unknown (every result
    resting on it is NOT_ASSESSED), and the review issue names the change."""
    items = s.data[kind]
    for i, item in enumerate(items):
        if match(item):
            items[i] = change(item)
            return
    live = [item for item in s.live_items(kind) if match(item)]
    if len(live) == 1:
        s.add(kind, change(live[0]), site[0], site[1], build.SERVICES[kind])
        return
    reason = (
        f"{what}: its target is neither declared in the reviewed files nor in the --against snapshot; "
        "what it could affect is NOT_ASSESSED"
    )
    if len(live) > 1:
        reason = f"{what}: its target matches {len(live)} resources of the --against snapshot; NOT_ASSESSED"
    target = None
    if kind == "roles" and role_name:
        target = s.arn("iam", f"role/{role_name}", region="")
        stand_in = IamRole(arn=target, role_name=role_name, account_id=s.account)  # policies unknown (None)
        s.add("roles", stand_in, site[0], site[1], "iam")
    s.unsupported(target, reason)


def access_point(s: Sink, arn: str, ap_id: str, p: dict) -> AccessPoint | None:
    pu, rd = get(p, "PosixUser"), get(p, "RootDirectory")
    bad = first_unknown([pu, rd])
    if bad:  # an unknown identity or path would be a guess either way: leave the access point out
        s.unresolved(arn, "PosixUser/RootDirectory (access point not evaluated)", bad)
        return None
    posix = None
    if pu:
        pu = as_dict(pu, "PosixUser")
        posix = PosixUser(
            uid=_required_int(pu, "Uid", "PosixUser"),
            gid=_required_int(pu, "Gid", "PosixUser"),
            secondary_gids=[
                build.as_int(g, "PosixUser.SecondaryGids")
                for g in as_list(get(pu, "SecondaryGids"), "PosixUser.SecondaryGids")
            ],
        )
    root = None
    if rd:
        rd = as_dict(rd, "RootDirectory")
        ci = get(rd, "CreationInfo")
        info = None
        if ci:
            ci = as_dict(ci, "RootDirectory.CreationInfo")
            info = CreationInfo(
                owner_uid=_required_int(ci, "OwnerUid", "CreationInfo"),
                owner_gid=_required_int(ci, "OwnerGid", "CreationInfo"),
                permissions=str(get(ci, "Permissions") or ""),
            )
        root = RootDirectory(path=build.as_str(get(rd, "Path"), "RootDirectory.Path"), creation_info=info)
    tags = tags_of(
        get(p, "AccessPointTags") if get(p, "AccessPointTags") is not None else get(p, "Tags"), "Tags"
    )
    fs_id = get(p, "FileSystemId")
    if fs_id is None:
        raise FieldError("FileSystemId", "required")
    return AccessPoint(
        arn=arn,
        access_point_id=ap_id,
        file_system_id=s.ident(arn, fs_id, "FileSystemId"),
        account_id=s.account,
        region=s.region,
        name=(tags or {}).get("Name"),
        posix_user=posix,
        root_directory=root,
        tags=tags,
    )


def _required_int(d: dict, key: str, where: str) -> int:
    value = build.as_int(get(d, key), f"{where}.{key}")
    if value is None:
        raise FieldError(f"{where}.{key}", "required")
    return value


def role(s: Sink, arn, name, p: dict) -> IamRole:
    inline: dict | None = {}
    for i, pol in enumerate(as_list(p.get("Policies"), "Policies")):
        pol = as_dict(pol, f"Policies[{i}]")
        doc = s.document(arn, get(pol, "PolicyDocument"), f"Policies[{i}].PolicyDocument")
        if doc is None or inline is None:
            inline = None
            continue
        inline[str(get(pol, "PolicyName") or f"policy{i}")] = doc
    trust = p.get("AssumeRolePolicyDocument")
    return IamRole(
        arn=arn,
        role_name=str(name),
        account_id=s.account,
        path=s.text(arn, p.get("Path", "/"), "Path"),
        trust_policy=s.document(arn, trust, "AssumeRolePolicyDocument") if trust is not None else None,
        inline_policies=inline,
        attached_policy_arns=s.strings(arn, p.get("ManagedPolicyArns", []), "ManagedPolicyArns"),
        permissions_boundary_arn=s.text(arn, p.get("PermissionsBoundary"), "PermissionsBoundary"),
        tags=tags_of(p.get("Tags"), "Tags"),
    )


def read(doc: dict, label: str, sink: Sink) -> None:
    Template(doc, label, sink).read()
