"""Reading review inputs with line numbers: YAML (CloudFormation short tags included) and JSON.

Every mapping comes back as a ``Node`` (a dict that knows the line it starts on), so each declared
resource can name its file and line. YAML is read with a ``SafeLoader`` subclass: only the
CloudFormation short-form tags are added (each becomes its long form, ``!Ref X`` -> ``{"Ref": "X"}``);
every other tag, ``!!python/object`` included, stays rejected.
"""

from __future__ import annotations

import bisect
import json
from json import decoder as json_decoder
from json import scanner as json_scanner
from pathlib import Path

import yaml

from auditor.model.snapshot import InputError

SUFFIXES = (".yaml", ".yml", ".json", ".template")
MAX_BYTES = 50 * 1024 * 1024


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

# Short tag -> long form. Fn::GetAtt's short form is "Resource.Attribute" (split on the first dot).
SHORT_TAGS = ("Ref", "Condition", "Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join",
              "Select", "Split", "Sub", "Transform", "And", "Equals", "If", "Not", "Or", "Length", "ToJsonString")


class CfnLoader(yaml.SafeLoader):
    """SafeLoader plus the CloudFormation short-form tags. Mappings become ``Node`` with lines."""


def _construct_mapping(loader: CfnLoader, node: yaml.MappingNode) -> Node:
    loader.flatten_mapping(node)
    out = Node()
    out.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(None, None, "a mapping key must be a plain value",
                                                    key_node.start_mark) from None
        out[key] = loader.construct_object(value_node, deep=True)
    return out


def _short_tag(name: str):
    long = name if name in ("Ref", "Condition") else f"Fn::{name}"

    def construct(loader: CfnLoader, node: yaml.Node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = _construct_mapping(loader, node)
        out = Node({long: value})
        out.line = node.start_mark.line + 1
        return out

    return construct


CfnLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
for _name in SHORT_TAGS:
    CfnLoader.add_constructor(f"!{_name}", _short_tag(_name))
del _name


def yaml_documents(text: str, label: str) -> list:
    """Every document of a YAML stream (None for empty ones)."""
    try:
        loader = CfnLoader(text)
        try:
            docs = []
            while loader.check_data():
                docs.append(loader.get_data())
            return docs
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" line {mark.line + 1}" if mark else ""
        raise InputError(f"{label}:{where}: not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{label}: not valid YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    except RecursionError:
        raise InputError(f"{label}: YAML nested too deeply") from None


# --- JSON ------------------------------------------------------------------------------------------


def json_document(text: str, label: str):
    """Parse JSON with the pure-Python scanner, recording each object's line."""
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    dec = json.JSONDecoder()

    def parse_object(s_and_end, *args):
        start = s_and_end[1]
        obj, end = json_decoder.JSONObject(s_and_end, *args)
        node = Node(obj)
        node.line = bisect.bisect_left(newlines, start - 1) + 1
        return node, end

    dec.parse_object = parse_object
    dec.scan_once = json_scanner.py_make_scanner(dec)
    try:
        return dec.decode(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{label}: line {exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{label}: JSON nested too deeply") from None


# --- files -----------------------------------------------------------------------------------------


def input_files(paths) -> list[tuple[Path, str]]:
    """(file, label) for every input: files as given, folders searched recursively (sorted)."""
    out: list[tuple[Path, str]] = []
    if not paths:
        raise InputError("review: no files or folders given")
    for given in paths:
        given = Path(given)
        if given.is_dir():
            found = sorted(p for p in given.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not found:
                raise InputError(f"{given}: no *.yaml, *.yml, *.json or *.template files in this folder")
            out += [(p, str(p)) for p in found]
        elif given.is_file():
            out.append((given, str(given)))
        else:
            raise InputError(f"{given}: no such file or folder")
    return out


def read_text(path: Path, label: str) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(f"{label}: larger than {MAX_BYTES // (1024 * 1024)} MiB")
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{label}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot read: {exc.strerror or exc}") from None


def documents(path: Path, label: str, text: str | None = None) -> list:
    text = read_text(path, label) if text is None else text
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")) and _is_json(text):
        return [json_document(text, label)]
    return yaml_documents(text, label)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except (ValueError, RecursionError):
        return False


def kind_of(docs: list) -> str | None:
    """cloudformation | terraform | ecs-task-definition | lambda | kubernetes | None (unknown)."""
    first = next((d for d in docs if d is not None), None)
    if not isinstance(first, dict):
        return None
    if "AWSTemplateFormatVersion" in first or "Transform" in first or isinstance(first.get("Resources"), dict):
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
