"""Read Kubernetes manifests from files: what a platform team commits, ``helm template`` prints or
``kubectl get -o yaml|json`` dumps.

YAML is read with PyYAML's safe loader only (the loader ``yaml.safe_load_all`` uses, driven one
document at a time so each document's line is known): tags such as ``!!python/object`` are
rejected. Bad input raises ``InputError`` with one line naming the file, the document and line,
and the field.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import yaml

from auditor.collectors.k8s.fields import FieldError, describe
from auditor.collectors.k8s.transform import cluster_from_objects, parse_object
from auditor.inputs import check_depth, json_loads
from auditor.model.scope import k8s_scope
from auditor.model.snapshot import CollectionUnit, InputError, Snapshot

SUFFIXES = (".yaml", ".yml", ".json")
MAX_OBJECTS = 1_000_000
MAX_VALUES = 20_000_000  # values of one document once YAML aliases are expanded (an alias bomb stops here)


def load_manifests(paths: Sequence[Path], cluster_name: str) -> Snapshot:
    started = datetime.now(UTC).replace(microsecond=0)
    objects: list[tuple[dict, str, int | None]] = []
    for path, label in manifest_files(paths):
        for obj, doc, line, where in read_objects(path, label):
            try:
                parse_object(obj)
            except FieldError as exc:
                at = f" (line {line})" if line else ""
                raise InputError(f"{label}: document {doc}{at}: {where}{exc}") from None
            objects.append((obj, label, line))
            if len(objects) > MAX_OBJECTS:
                raise InputError(f"{label}: more than {MAX_OBJECTS} objects")
    cluster, issues = cluster_from_objects(cluster_name, objects)
    unit = CollectionUnit(
        scope=k8s_scope(cluster_name),
        method="k8s-manifests",
        started_at=started,
        finished_at=datetime.now(UTC).replace(microsecond=0),
        collector=", ".join(str(p) for p in paths),
        services=["k8s"],
    )
    return Snapshot(units=[unit], issues=issues, clusters=[cluster])


def manifest_files(paths: Sequence[Path]) -> list[tuple[Path, str]]:
    """(file, label) for every manifest: files as given, folders searched recursively for
    *.yaml, *.yml and *.json in sorted order. A file in a folder is labelled ``<folder name>/<path
    inside it>``, so locations stay the same wherever the folder lives."""
    out: list[tuple[Path, str]] = []
    if not paths:
        raise InputError("no manifest files or folders given")
    for given in paths:
        given = Path(given)
        if given.is_dir():
            # every name with a manifest suffix: a FIFO or device among them is refused when read, not skipped
            found = sorted(p for p in given.rglob("*") if p.suffix.lower() in SUFFIXES and not p.is_dir())
            if not found:
                raise InputError(f"{given}: no *.yaml, *.yml or *.json files in this folder")
            base = given.resolve().name
            out += [
                (p, str(Path(base) / p.relative_to(given)) if base else str(p.relative_to(given)))
                for p in found
            ]
        elif given.exists() or given.is_symlink():
            out.append((given, str(given)))  # not a regular file: the reader says what it is
        else:
            raise InputError(f"{given}: no such file or folder")
    return out


def read_objects(path: Path, label: str) -> Iterator[tuple[dict, int, int | None, str]]:
    """(object, document number, line, location prefix) for each object; `List` kinds are opened."""
    from auditor.inputs import read_text

    is_json = path.suffix.lower() == ".json"
    text = read_text(path, "a manifest file", yaml_input=not is_json, label=label, bom=True)
    documents = (
        _json_documents(text, label) if path.suffix.lower() == ".json" else _yaml_documents(text, label)
    )
    for doc, (value, node) in enumerate(documents, start=1):
        if value is None:
            continue  # empty documents (Helm prints them for disabled templates)
        line = node.start_mark.line + 1 if node is not None else None
        if not isinstance(value, dict):
            raise InputError(
                f"{label}: document {doc}{f' (line {line})' if line else ''}: expected a "
                f"Kubernetes object (a mapping), found {describe(value)}"
            )
        kind = value.get("kind")
        if kind is not None and not isinstance(kind, str):
            raise InputError(
                f"{label}: document {doc}{f' (line {line})' if line else ''}: kind: expected a "
                f"string, found {describe(kind)}"
            )
        if isinstance(kind, str) and kind.endswith("List") and "items" in value:
            yield from _list_items(value, node, label, doc, line)
        else:
            yield value, doc, line, ""


def _list_items(value: dict, node, label: str, doc: int, line: int | None):
    items = value["items"]
    if items is None:
        return
    if not isinstance(items, list):
        raise InputError(
            f"{label}: document {doc}{f' (line {line})' if line else ''}: items: expected a list, "
            f"found {describe(items)}"
        )
    lines = _item_lines(node)
    # A typed list straight from the API (PodList, ...) leaves kind and apiVersion off its items.
    kind, version = value["kind"], value.get("apiVersion")
    defaults = (
        {"kind": kind[:-4], "apiVersion": version} if kind != "List" and isinstance(version, str) else {}
    )
    for i, item in enumerate(items):
        at = lines[i] if lines and i < len(lines) else line
        if not isinstance(item, dict):
            raise InputError(
                f"{label}: document {doc}{f' (line {at})' if at else ''}: items[{i}]: expected a "
                f"Kubernetes object (a mapping), found {describe(item)}"
            )
        if defaults and "kind" not in item:
            item = defaults | item
        yield item, doc, at, f"items[{i}]."


def _item_lines(node) -> list[int] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, val in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "items" and isinstance(val, yaml.SequenceNode):
            return [n.start_mark.line + 1 for n in val.value]
    return None


def _yaml_documents(text: str, label: str) -> list[tuple[object, object]]:
    """(value, node) per document, with the safe loader (no Python object construction)."""
    out = []
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # the reader rejects control characters already here
        while loader.check_node():
            node = loader.get_node()
            value = loader.construct_document(node)
            if _expanded_size(value, {}) > MAX_VALUES:
                raise InputError(
                    f"{label}: document {len(out) + 1}: YAML aliases expand to more than {MAX_VALUES} values"
                )
            check_depth(value, f"{label}: document {len(out) + 1}")
            out.append((value, node))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" line {mark.line + 1} column {mark.column + 1}:" if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise InputError(f"{label}:{at} not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{label}: not valid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise InputError(f"{label}: not valid YAML: nested too deeply") from None
    except ValueError as exc:  # a value the constructor cannot build: a date of month 13, 5000 digits
        raise InputError(f"{label}: not valid YAML: {' '.join(str(exc).split())[:200]}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return out


def _expanded_size(value: object, seen: dict[int, int]) -> int:
    """How many values the document holds with every alias expanded; shared nodes counted once
    each time they are referenced, computed once per node."""
    if not isinstance(value, (dict, list)):
        return 1
    known = seen.get(id(value))
    if known is not None:
        return known
    seen[id(value)] = MAX_VALUES + 1  # a node that contains itself expands without end
    children = value.values() if isinstance(value, dict) else value
    size = 1
    for child in children:
        size += _expanded_size(child, seen)
        if size > MAX_VALUES:
            break
    seen[id(value)] = size
    return size


def _json_documents(text: str, label: str) -> list[tuple[object, object]]:
    value = json_loads(text, label, "not valid JSON")
    node = None
    if isinstance(value, dict) and isinstance(value.get("items"), list):
        try:  # JSON is YAML: the composer (no construction) gives each List item's line
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except (yaml.YAMLError, RecursionError):
            node = None
    if node is None:
        node = yaml.ScalarNode("tag:yaml.org,2002:null", "", start_mark=yaml.Mark(label, 0, 0, 0, None, None))
    return [(value, node)]
