"""API-shaped JSON: an ECS task definition (register-task-definition input, or describe-task-definition
output) and a Lambda function configuration (create-function input, or get-function(-configuration)
output). These carry literal values only: nothing to resolve, so identifiers are taken as written."""

from __future__ import annotations

from auditor.model.arn import Arn
from auditor.model.snapshot import InputError
from auditor.review import build
from auditor.review.build import Sink
from auditor.review.loader import line_of
from auditor.review.values import FieldError, as_int, as_str, get, tags_of


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)


def read_task_definition(doc: dict, label: str, sink: Sink) -> None:
    sink.adopt_arns(_strings(doc))
    body = doc["taskDefinition"] if isinstance(doc.get("taskDefinition"), dict) else doc
    line = line_of(body, 1)
    try:
        family = as_str(get(body, "family"), "family")
        if not family:
            raise FieldError("family", "required")
        revision = as_int(get(body, "revision"), "revision") or 1
        arn = as_str(get(body, "taskDefinitionArn"), "taskDefinitionArn") or sink.arn(
            "ecs", f"task-definition/{family}:{revision}"
        )
        tags = tags_of(get(doc, "tags") if get(doc, "tags") is not None else get(body, "tags"), "tags")
        td = build.task_definition(
            sink,
            arn,
            family=family,
            revision=revision,
            task_role=get(body, "taskRoleArn"),
            execution_role=get(body, "executionRoleArn"),
            network_mode=get(body, "networkMode"),
            compatibilities=get(body, "requiresCompatibilities"),
            volumes=get(body, "volumes"),
            containers=get(body, "containerDefinitions"),
            tags=tags,
            where="",
        )
    except FieldError as exc:
        raise InputError(f"{label}:{line}: {exc.where.lstrip('.')}: {exc.message}") from None
    if td is not None:
        sink.add("task_definitions", td, label, line, "ecs")


def read_lambda(doc: dict, label: str, sink: Sink) -> None:
    sink.adopt_arns(_strings(doc))
    body = doc["Configuration"] if isinstance(doc.get("Configuration"), dict) else doc
    line = line_of(body, 1)
    try:
        name = as_str(get(body, "FunctionName"), "FunctionName")
        if not name:
            raise FieldError("FunctionName", "required")
        arn = as_str(get(body, "FunctionArn"), "FunctionArn")
        if name.startswith("arn:"):
            parsed = Arn.maybe(name)
            arn, name = arn or name, parsed.name if parsed and ":" in parsed.resource else name
        arn = arn or sink.arn("lambda", f"function:{name}")
        vpc = get(body, "VpcConfig") or {}
        tags = doc.get("Tags") if isinstance(doc.get("Tags"), dict) else get(body, "Tags")
        fn = build.lambda_function(
            sink,
            arn,
            name=name,
            role=get(body, "Role"),
            fs_configs=get(body, "FileSystemConfigs"),
            security_groups=get(vpc, "SecurityGroupIds"),
            subnets=get(vpc, "SubnetIds"),
            tags=tags_of(tags, "Tags"),
            where="",
        )
    except FieldError as exc:
        raise InputError(f"{label}:{line}: {exc.where.lstrip('.')}: {exc.message}") from None
    sink.add("lambda_functions", fn, label, line, "lambda")
