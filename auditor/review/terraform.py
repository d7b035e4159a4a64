"""Terraform plan JSON (``terraform show -json plan``) -> declared resources.

Values come from ``planned_values`` (every resource as it will be after apply); values Terraform only
knows after apply are filled from the configuration's references to other planned resources
(``aws_efs_file_system.shared.id`` -> that resource's synthetic id). A value the configuration sets
from anything else (a data source, an expression over unknowns, a JSON document built with
``jsonencode`` over unknown ARNs) stays Unknown; an attribute the configuration does not set is
absent, and the AWS default applies (an EFS file system without ``encrypted`` is not encrypted).
Resources being destroyed are not declared.
"""

from __future__ import annotations

import re

from auditor.model.arn import Arn
from auditor.model.aws import FileSystem, IamRole, MountTarget, PolicyStatus, SecurityGroup
from auditor.model.snapshot import InputError
from auditor.review import build
from auditor.review.build import Sink
from auditor.review.cfn import access_point, replace
from auditor.review.loader import line_of
from auditor.review.values import FieldError, Unknown, as_dict, as_list, get, tags_of

INDEX = re.compile(r"\[[^\]]*\]$")
DOCUMENT_FIELDS = {"policy", "assume_role_policy", "container_definitions"}
# Set-typed attributes: a reference in ``[aws_x.y.id]`` fills them with a one-element list.
LIST_FIELDS = {
    "security_group_ids",
    "subnet_ids",
    "security_groups",
    "subnets",
    "secondary_gids",
    "managed_policy_arns",
    "cidr_blocks",
    "ipv6_cidr_blocks",
    "prefix_list_ids",
    "requires_compatibilities",
}


class Plan:
    def __init__(self, doc: dict, label: str, sink: Sink) -> None:
        self.label, self.sink = label, sink
        self.resources: dict[str, dict] = {}  # address -> planned resource (type, values, line)
        planned = doc.get("planned_values")
        if not isinstance(planned, dict):
            raise FieldError(
                "planned_values", "required: a mapping (the output of `terraform show -json PLAN`)"
            )
        root = planned.get("root_module")
        if not isinstance(root, dict):
            raise FieldError("planned_values.root_module", "required: a mapping")
        self._walk(root, "planned_values.root_module")
        self.unknown: dict[str, object] = {}
        for i, rc in enumerate(as_list(doc.get("resource_changes"), "resource_changes")):
            if not isinstance(rc, dict) or not isinstance(rc.get("change"), dict):
                raise FieldError(f"resource_changes[{i}]", "expected a mapping with a change")
            self.unknown[str(rc.get("address"))] = rc["change"].get("after_unknown") or {}
        self.expressions: dict[str, dict] = {}
        config = get(doc, "configuration", "root_module")
        self._config(config if isinstance(config, dict) else {}, "")
        self._ids: dict[str, dict] = {}
        sink.adopt_arns(_values(r).get("arn") for r in self.resources.values())

    def _walk(self, module: dict, where: str) -> None:
        for i, r in enumerate(as_list(module.get("resources"), f"{where}.resources")):
            at = f"{where}.resources[{i}]"
            if not isinstance(r, dict):
                raise FieldError(at, "expected a planned resource (a mapping)")
            for key in ("address", "type"):
                if not isinstance(r.get(key), str) or not r[key]:
                    raise FieldError(f"{at}.{key}", "required: a string")
            if r.get("values") is not None and not isinstance(r["values"], dict):
                raise FieldError(f"{r['address']}.values", "expected a mapping")
            if r.get("mode", "managed") == "managed":
                self.resources[r["address"]] = r
        for i, child in enumerate(as_list(module.get("child_modules"), f"{where}.child_modules")):
            if not isinstance(child, dict):
                raise FieldError(f"{where}.child_modules[{i}]", "expected a module (a mapping)")
            self._walk(child, f"{where}.child_modules[{i}]")

    def _config(self, module: dict, prefix: str) -> None:
        for r in as_list(module.get("resources"), "configuration.resources"):
            if isinstance(r, dict) and isinstance(r.get("address"), str):
                expressions = r.get("expressions")
                self.expressions[prefix + r["address"]] = expressions if isinstance(expressions, dict) else {}
        calls = module.get("module_calls") or {}
        if not isinstance(calls, dict):
            raise FieldError(f"configuration.{prefix}module_calls", "expected a mapping")
        for name, call in calls.items():
            if isinstance(call, dict) and isinstance(call.get("module"), dict):
                self._config(call["module"], f"{prefix}module.{name}.")

    # --- values ----------------------------------------------------------------------------------

    def values(self, address: str) -> dict:
        r = self.resources[address]
        config = self.expressions.get(INDEX.sub("", address), {})
        filled = self._fill(_values(r), self.unknown.get(address, {}), config, address)
        return filled if isinstance(filled, dict) else {}

    def _fill(self, value, unknown, expr, where: str):
        if unknown is True:
            if expr is None or expr == {} or expr == []:
                return None  # not set in the configuration: computed by AWS, the default applies
            return self._reference(expr, where)
        if isinstance(unknown, dict):
            out = dict(value) if isinstance(value, dict) else {}
            for k, u in unknown.items():
                sub = expr.get(k) if isinstance(expr, dict) else None
                out[k] = self._fill(out.get(k), u, sub, f"{where}.{k}")
            return out
        if isinstance(unknown, list):
            out = list(value) if isinstance(value, list) else []
            out += [None] * (len(unknown) - len(out))
            for i, u in enumerate(unknown):
                sub = expr[min(i, len(expr) - 1)] if isinstance(expr, list) and expr else None
                out[i] = self._fill(out[i], u, sub, f"{where}[{i}]")
            return out
        return value

    def _reference(self, expr, where: str):
        refs = expr.get("references") if isinstance(expr, dict) else None
        refs = [r for r in refs if isinstance(r, str)] if isinstance(refs, list) else []
        field = where.rsplit(".", 1)[-1]
        if not refs:
            return Unknown(f"Terraform value {where} (known only after apply)")
        if field in DOCUMENT_FIELDS or len({r.rsplit(".", 1)[0] for r in refs if "." in r}) > 2:
            return Unknown(f"Terraform value {where} (built from {', '.join(refs[:3])})")
        module = where.split("aws_", 1)[0] if where.startswith("module.") else ""
        for ref in refs:
            for address in (module + ref, ref):
                base, _, attr = address.rpartition(".")
                matches = (
                    [base]
                    if base in self.resources
                    else [a for a in self.resources if INDEX.sub("", a) == base]
                )
                if len(matches) == 1:
                    value = self.attribute(matches[0], attr)
                    return [value] if field in LIST_FIELDS and not isinstance(value, list) else value
        return Unknown(f"Terraform reference {refs[0]}")

    # --- identities ------------------------------------------------------------------------------

    def identity(self, address: str) -> dict:
        if address not in self._ids:
            r, s = self.resources[address], self.sink
            v = _values(r)
            kind = r.get("type")
            known = {k: v[k] for k in ("id", "arn", "name") if isinstance(v.get(k), str)}
            if kind == "aws_efs_file_system":
                fid = known.get("id", address)
                ident = {
                    "id": fid,
                    "arn": known.get("arn") or s.arn("elasticfilesystem", f"file-system/{fid}"),
                }
            elif kind == "aws_efs_access_point":
                aid = known.get("id", address)
                ident = {
                    "id": aid,
                    "arn": known.get("arn") or s.arn("elasticfilesystem", f"access-point/{aid}"),
                }
            elif kind == "aws_iam_role":
                name = known.get("name", address)
                path = v.get("path") if isinstance(v.get("path"), str) else "/"
                ident = {
                    "id": name,
                    "name": name,
                    "arn": known.get("arn") or s.arn("iam", f"role{path}{name}", region=""),
                }
            elif kind == "aws_ecs_task_definition":
                family = v.get("family") if isinstance(v.get("family"), str) else address
                arn = known.get("arn") or s.arn("ecs", f"task-definition/{family}:{v.get('revision') or 1}")
                unqualified = str(parsed.unqualified()) if (parsed := Arn.maybe(arn)) else arn
                ident = {"id": family, "arn": arn, "arn_without_revision": unqualified}
            elif kind == "aws_lambda_function":
                name = v.get("function_name") if isinstance(v.get("function_name"), str) else address
                ident = {"id": name, "arn": known.get("arn") or s.arn("lambda", f"function:{name}")}
            elif kind == "aws_ecs_service":
                name = known.get("name", address)
                cluster = v.get("cluster") if isinstance(v.get("cluster"), str) else "default"
                ident = {
                    "id": known.get("id") or s.arn("ecs", f"service/{cluster.rsplit('/', 1)[-1]}/{name}"),
                    "name": name,
                }
                ident["arn"] = ident["id"]
            else:
                ident = {"id": known.get("id", address), "arn": known.get("arn", address)}
            self._ids[address] = ident
        return self._ids[address]

    def attribute(self, address: str, attr: str):
        ident = self.identity(address)
        if attr in ident:
            return ident[attr]
        v = _values(self.resources[address]).get(attr)
        return v if v is not None else Unknown(f"Terraform reference {address}.{attr}")

    # --- conversion --------------------------------------------------------------------------------

    def read(self) -> None:
        order = (
            "aws_efs_file_system",
            "aws_efs_access_point",
            "aws_security_group",
            "aws_iam_role",
            "aws_ecs_task_definition",
            "aws_ecs_service",
            "aws_lambda_function",
            "aws_efs_file_system_policy",
            "aws_efs_backup_policy",
            "aws_efs_mount_target",
            "aws_security_group_rule",
            "aws_vpc_security_group_ingress_rule",
            "aws_iam_role_policy",
            "aws_iam_role_policy_attachment",
        )
        for kind in order:
            for address, r in self.resources.items():
                if r.get("type") != kind:
                    continue
                line = line_of(r)
                try:
                    self.convert(address, kind, self.values(address), line)
                except FieldError as exc:
                    raise InputError(f"{self.label}:{line}: {address}.{exc.where}: {exc.message}") from None

    def convert(self, address: str, kind: str, v: dict, line: int) -> None:
        s, ident, label = self.sink, self.identity(address), self.label
        if kind == "aws_efs_file_system":
            arn, tags = ident["arn"], tags_of(v.get("tags"), "tags")
            fs = FileSystem(
                arn=arn,
                file_system_id=ident["id"],
                account_id=s.account,
                region=s.region,
                name=(tags or {}).get("Name"),
                encrypted=s.flag(
                    arn, v.get("encrypted") if v.get("encrypted") is not None else False, "encrypted"
                ),  # not set: the API default, not encrypted (§3.1)
                kms_key_id=s.text(arn, v.get("kms_key_id"), "kms_key_id"),
                availability_zone_name=s.text(arn, v.get("availability_zone_name"), "availability_zone_name"),
                policy_status=PolicyStatus.ABSENT,
                backup_policy_status="DISABLED",
                mount_targets=[],
                tags=tags,
            )
            s.add("file_systems", fs, label, line, "efs")
        elif kind == "aws_efs_access_point":
            ap = access_point(s, ident["arn"], ident["id"], v)
            if ap is not None:
                s.add("access_points", ap, label, line, "efs")
        elif kind == "aws_security_group":
            gid = ident["id"]
            rid = f"{s.account}/{gid}"
            rules = [
                build.ingress_rule(s, rid, r, f"ingress[{i}]", gid)
                for i, r in enumerate(as_list(v.get("ingress"), "ingress"))
            ]
            s.add(
                "security_groups",
                SecurityGroup(
                    group_id=gid,
                    account_id=s.account,
                    region=s.region,
                    vpc_id=s.text(rid, v.get("vpc_id"), "vpc_id"),
                    name=s.text(rid, v.get("name"), "name"),
                    ingress=None if None in rules else rules,
                ),
                label,
                line,
                "ec2",
            )
        elif kind == "aws_iam_role":
            arn = ident["arn"]
            inline: dict | None = {}
            for i, pol in enumerate(as_list(v.get("inline_policy"), "inline_policy")):
                doc = (
                    s.document(arn, get(pol, "policy"), f"inline_policy[{i}].policy")
                    if get(pol, "policy")
                    else None
                )
                if doc is None and get(pol, "policy"):
                    inline = None
                elif doc is not None and inline is not None:
                    inline[str(get(pol, "name") or f"policy{i}")] = doc
            trust = v.get("assume_role_policy")
            role = IamRole(
                arn=arn,
                role_name=ident["name"],
                account_id=s.account,
                path=s.text(arn, v.get("path") or "/", "path"),
                trust_policy=s.document(arn, trust, "assume_role_policy") if trust else None,
                inline_policies=inline,
                attached_policy_arns=s.strings(
                    arn, v.get("managed_policy_arns") or [], "managed_policy_arns"
                ),
                permissions_boundary_arn=s.text(arn, v.get("permissions_boundary"), "permissions_boundary"),
                tags=tags_of(v.get("tags"), "tags"),
            )
            s.add("roles", role, label, line, "iam")
        elif kind == "aws_ecs_task_definition":
            containers = v.get("container_definitions")
            if isinstance(containers, str):
                import json

                try:
                    containers = json.loads(containers)
                except ValueError:
                    raise FieldError(
                        "container_definitions", "not a JSON list of container definitions"
                    ) from None
            parsed = Arn.maybe(ident["arn"])
            td = build.task_definition(
                s,
                ident["arn"],
                family=ident["id"],
                revision=int(parsed.qualifier) if parsed and (parsed.qualifier or "").isdigit() else 1,
                task_role=v.get("task_role_arn"),
                execution_role=v.get("execution_role_arn"),
                network_mode=v.get("network_mode"),
                compatibilities=v.get("requires_compatibilities"),
                volumes=v.get("volume"),
                containers=containers,
                tags=tags_of(v.get("tags"), "tags"),
                where="",
            )
            if td is not None:
                s.add("task_definitions", td, label, line, "ecs")
        elif kind == "aws_ecs_service":
            net = get(v, "network_configuration")
            cluster = v.get("cluster") if isinstance(v.get("cluster"), str) else "default"
            svc = build.ecs_service(
                s,
                ident["arn"],
                name=ident["name"],
                cluster_arn=cluster if cluster.startswith("arn:") else s.arn("ecs", f"cluster/{cluster}"),
                task_definition_arn=v.get("task_definition"),
                desired=v.get("desired_count"),
                launch_type=v.get("launch_type"),
                platform_version=v.get("platform_version"),
                security_groups=get(net, "security_groups"),
                subnets=get(net, "subnets"),
                tags=tags_of(v.get("tags"), "tags"),
                where="",
            )
            s.add("ecs_services", svc, label, line, "ecs")
        elif kind == "aws_lambda_function":
            vpc = get(v, "vpc_config")
            fn = build.lambda_function(
                s,
                ident["arn"],
                name=ident["id"],
                role=v.get("role"),
                fs_configs=v.get("file_system_config"),
                security_groups=get(vpc, "security_group_ids"),
                subnets=get(vpc, "subnet_ids"),
                tags=tags_of(v.get("tags"), "tags"),
                where="",
            )
            s.add("lambda_functions", fn, label, line, "lambda")
        else:
            self.attach(address, kind, v, line)

    def attach(self, address: str, kind: str, v: dict, line: int) -> None:
        s, where = self.sink, f"{self.label}:{line}: {address}"
        if kind in ("aws_efs_file_system_policy", "aws_efs_backup_policy", "aws_efs_mount_target"):
            fs_id = s.ident(None, v.get("file_system_id"), f"{address}.file_system_id")
            if kind == "aws_efs_file_system_policy":

                def change(fs):
                    doc = s.document(fs.arn, v.get("policy"), f"{address}.policy")
                    status = PolicyStatus.PRESENT if doc is not None else PolicyStatus.UNKNOWN
                    return fs.model_copy(update={"policy": doc, "policy_status": status})
            elif kind == "aws_efs_backup_policy":

                def change(fs):
                    status = s.text(
                        fs.arn, get(v, "backup_policy", "status"), f"{address}.backup_policy.status"
                    )
                    return fs.model_copy(update={"backup_policy_status": status.upper() if status else None})
            else:
                mt = MountTarget(
                    mount_target_id=str(v.get("id") or address),
                    file_system_id=fs_id or "",
                    subnet_id=s.text(None, v.get("subnet_id"), "subnet_id"),
                    ip_address=s.text(None, v.get("ip_address"), "ip_address"),
                    security_group_ids=s.strings(None, v.get("security_groups"), "security_groups"),
                )

                def change(fs):
                    return fs.model_copy(update={"mount_targets": [*(fs.mount_targets or []), mt]})

            replace(
                s, "file_systems", lambda fs: fs.file_system_id == fs_id, change, where, (self.label, line)
            )
        elif kind in ("aws_security_group_rule", "aws_vpc_security_group_ingress_rule"):
            if kind == "aws_security_group_rule" and v.get("type") != "ingress":
                return
            gid = s.ident(None, v.get("security_group_id"), f"{address}.security_group_id")
            rule = build.ingress_rule(s, f"{s.account}/{gid}", as_dict(v, address), address, gid)
            replace(
                s,
                "security_groups",
                lambda g: g.group_id == gid,
                lambda g: g.model_copy(
                    update={"ingress": None if rule is None or g.ingress is None else [*g.ingress, rule]}
                ),
                where,
                (self.label, line),
            )
        elif kind in ("aws_iam_role_policy", "aws_iam_role_policy_attachment"):
            name = v.get("role")
            if isinstance(name, Unknown):
                s.unresolved(None, f"{address}.role", name)
                return
            name = str(name).rsplit("/", 1)[-1]

            def change(r):
                if kind == "aws_iam_role_policy_attachment":
                    arn = s.text(r.arn, v.get("policy_arn"), f"{address}.policy_arn")
                    if arn is None:
                        return r.model_copy(update={"attached_policy_arns": None})
                    return r.model_copy(
                        update={"attached_policy_arns": [*(r.attached_policy_arns or []), arn]}
                    )
                doc = s.document(r.arn, v.get("policy"), f"{address}.policy")
                inline = (
                    None
                    if doc is None or r.inline_policies is None
                    else {**r.inline_policies, str(v.get("name") or address): doc}
                )
                return r.model_copy(update={"inline_policies": inline})

            replace(s, "roles", lambda r: r.role_name == name, change, where, (self.label, line), name)


def _values(resource: dict) -> dict:
    values = resource.get("values")
    return dict(values) if isinstance(values, dict) else {}


def read(doc: dict, label: str, sink: Sink) -> None:
    Plan(doc, label, sink).read()
