"""Reading review inputs with line numbers: YAML (CloudFormation short tags included) and JSON.

Every mapping comes back as a ``Node`` (a dict that knows the line it starts on), so each declared
resource can name its file and line. Files are read through auditor.inputs (regular files only, size,
integer, nesting and alias limits). A CloudFormation template in YAML is decoded by cfn-lint's template
decoder (``cfnlint.decode``: short-form tags become their long form, ``!Ref X`` -> ``{"Ref": "X"}``,
with line numbers, duplicate keys refused, alias expansion bounded); any other YAML (Kubernetes
manifests, Helm output) is read with PyYAML's safe loader, so no tag beyond the YAML core schema is
accepted, ``!!python/object`` included.
"""

from __future__ import annotations

import bisect
import json
import re
from json import decoder as json_decoder
from json import scanner as json_scanner
from pathlib import Path

import yaml

from auditor import inputs
from auditor.model.snapshot import InputError

SUFFIXES = (".yaml", ".yml", ".json", ".template")
CFN_TOP = re.compile(r"^(AWSTemplateFormatVersion|Resources|Transform)\s*:", re.MULTILINE)


class Node(dict):
    """A mapping that remembers the line (1-based) it starts on; 0 when unknown."""

    line: int = 0


def line_of(value, default: int = 0) -> int:
    return getattr(value, "line", 0) or default


def plain(value):
    """Strip Node wrappers (for values stored in the model, e.g. policy documents)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# --- YAML ------------------------------------------------------------------------------------------


class NodeLoader(yaml.SafeLoader):
    """SafeLoader whose mappings are ``Node`` with their lines."""


def _construct_mapping(loader: NodeLoader, node: yaml.MappingNode) -> Node:
    loader.flatten_mapping(node)
    out = Node()
    out.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        out[key] = loader.construct_object(value_node, deep=True)
    return out


NodeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def yaml_documents(text: str, label: str) -> list:
    """Every document of a YAML stream (None for empty ones); a CloudFormation template through cfn-lint."""
    if CFN_TOP.search(text):
        return [cfn_template(text, label)]
    return inputs.yaml_documents(text, label, loader=NodeLoader)


def cfn_template(text: str, label: str) -> Node:
    """A CloudFormation YAML template decoded by cfn-lint, as ``Node`` / list / str values."""
    from cfnlint.decode import decode_str

    template, matches = decode_str(text)
    if matches or not isinstance(template, dict):
        m = matches[0] if matches else None
        message = " ".join(str(m.message).split()) if m else "not a template"
        message = message.split(' in "<unicode string>"')[0]
        line = f":{m.linenumber}" if m and m.linenumber else ""
        raise InputError(f"{label}{line}: not a valid CloudFormation template: {message[:200]}")
    if inputs.expanded_size(template) > inputs.MAX_YAML_VALUES:
        raise InputError(f"{label}: YAML aliases expand to more than {inputs.MAX_YAML_VALUES} values")
    inputs.check_depth(template, label)
    return _nodes(template)


def _nodes(value):
    """cfn-lint's dict_node / list_node / str_node -> Node (with its 1-based line) / list / str."""
    if isinstance(value, dict):
        out = Node((str(k), _nodes(v)) for k, v in value.items())
        mark = getattr(value, "start_mark", None)
        out.line = mark.line + 1 if mark is not None else 0
        return out
    if isinstance(value, list):
        return [_nodes(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


# --- JSON ------------------------------------------------------------------------------------------


def json_document(text: str, label: str):
    """Parse JSON with the pure-Python scanner, recording each object's line."""
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    dec = json.JSONDecoder(parse_int=inputs._parse_int)

    def parse_object(s_and_end, *args):
        start = s_and_end[1]
        obj, end = json_decoder.JSONObject(s_and_end, *args)
        node = Node(obj)
        node.line = bisect.bisect_left(newlines, start - 1) + 1
        return node, end

    dec.parse_object = parse_object
    dec.scan_once = json_scanner.py_make_scanner(dec)
    try:
        value = dec.decode(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{label}: line {exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{label}: not accepted: nested more than {inputs.MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise InputError(f"{label}: not accepted: {' '.join(str(exc).split())[:120]}") from None
    inputs.check_depth(value, label)
    return value


# --- files -----------------------------------------------------------------------------------------


def input_files(paths) -> list[tuple[Path, str]]:
    """(file, label) for every input: files as given, folders searched recursively (sorted). A name with
    an input suffix that is not a regular file (a FIFO, a device) is kept, and refused when read."""
    out: list[tuple[Path, str]] = []
    if not paths:
        raise InputError("review: no files or folders given")
    for given in paths:
        given = Path(given)
        if given.is_dir():
            found = sorted(p for p in given.rglob("*") if p.suffix.lower() in SUFFIXES and not p.is_dir())
            if not found:
                raise InputError(f"{given}: no *.yaml, *.yml, *.json or *.template files in this folder")
            out += [(p, str(p)) for p in found]
        elif given.exists() or given.is_symlink():
            out.append((given, str(given)))
        else:
            raise InputError(f"{given}: no such file or folder")
    return out


def read_text(path: Path, label: str) -> str:
    return inputs.read_text(
        path,
        "a template, plan, task definition, function configuration or manifest",
        yaml_input=path.suffix.lower() != ".json",
        label=label,
        bom=True,
    )


def documents(path: Path, label: str, text: str | None = None) -> list:
    text = read_text(path, label) if text is None else text
    if path.suffix.lower() == ".json" or (text.lstrip().startswith(("{", "[")) and _is_json(text)):
        return [json_document(text, label)]
    return yaml_documents(text, label)


def _is_json(text: str) -> bool:
    try:
        inputs.json_loads(text, "")
        return True
    except InputError:
        return False


def kind_of(docs: list) -> str | None:
    """cloudformation | terraform | ecs-task-definition | lambda | kubernetes | None (unknown)."""
    first = next((d for d in docs if d is not None), None)
    if not isinstance(first, dict):
        return None
    if (
        "AWSTemplateFormatVersion" in first
        or "Transform" in first
        or isinstance(first.get("Resources"), dict)
    ):
        return "cloudformation"
    if "format_version" in first and ("planned_values" in first or "resource_changes" in first):
        return "terraform"
    body = first.get("taskDefinition") if isinstance(first.get("taskDefinition"), dict) else first
    if "containerDefinitions" in body and "family" in body:
        return "ecs-task-definition"
    body = first.get("Configuration") if isinstance(first.get("Configuration"), dict) else first
    if "FunctionName" in body:
        return "lambda"
    if "apiVersion" in first and "kind" in first:
        return "kubernetes"
    return None
