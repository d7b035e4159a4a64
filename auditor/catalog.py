"""The check catalogue: metadata in policies/checks/<check_id>.yaml, control titles in
policies/frameworks/<name>.yaml, cross-validated against the check registry.

Loading fails (InputError, one line naming the file and field) when a check has no metadata,
metadata has no check, a field is missing or malformed, a severity is unknown, or a mapping names
a control its framework file does not list. YAML is read with yaml.safe_load only.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from auditor.model.result import Severity
from auditor.model.snapshot import InputError


def data_dir(package: str, beside: str) -> Path:
    """A data directory the commands need: the installed package's copy (a wheel maps policies/ to
    auditor.policies and samples/estates/ to auditor.estates), else the directory next to auditor/
    (a checkout, the Lambda zip, the container image)."""
    from importlib.util import find_spec

    try:
        spec = find_spec(package)
    except ModuleNotFoundError:
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        if Path(location).is_dir():
            return Path(location)
    return Path(__file__).resolve().parent.parent / beside


ROOT = data_dir("auditor.policies", "policies")
REMEDIATION_KINDS = ("console", "cli", "cloudformation", "terraform", "kubernetes")
CHECK_FIELDS = (
    "check_id",
    "title",
    "severity",
    "description",
    "risk",
    "remediation",
    "references",
    "parameters",
    "frameworks",
)
FRAMEWORK_FIELDS = ("name", "title", "version", "controls")


@dataclass(frozen=True)
class CheckMeta:
    check_id: str
    title: str
    severity: Severity
    description: str
    risk: str
    remediation: dict[str, str]
    references: list[str]
    parameters: dict[str, dict]
    frameworks: dict[str, list[str]]


@dataclass(frozen=True)
class Framework:
    name: str
    title: str
    version: str
    controls: dict[str, str]
    url: str = ""


@dataclass(frozen=True)
class Catalogue:
    checks: dict[str, CheckMeta]
    frameworks: dict[str, Framework]
    digest: str  # sha256 over the files' relative names and bytes, in sorted order
    files: tuple[str, ...] = field(default=())

    def controls_of(self, check_id: str, framework: str) -> list[str]:
        meta = self.checks.get(check_id)
        return list(meta.frameworks.get(framework, [])) if meta else []


def default_check_ids() -> tuple[str, ...]:
    from auditor.checks import CHECK_IDS

    return tuple(CHECK_IDS)


def load(root: Path | None = None, check_ids: Iterable[str] | None = None) -> Catalogue:
    """The catalogue of ``root`` for ``check_ids``. The files are read on every call (their digest is
    the cache key), their YAML parsed once per distinct content: each caller gets its own copy."""
    root = Path(root) if root is not None else ROOT
    ids = frozenset(check_ids) if check_ids is not None else frozenset(default_check_ids())
    check_dir, fw_dir = root / "checks", root / "frameworks"
    for d in (check_dir, fw_dir):
        if not d.is_dir():
            raise InputError(f"{d}: catalogue directory not found")
    every = sorted(
        [*fw_dir.glob("*.yaml"), *check_dir.glob("*.yaml")], key=lambda p: p.relative_to(root).as_posix()
    )
    digest = hashlib.sha256()
    for path in every:
        digest.update(path.relative_to(root).as_posix().encode() + b"\x00")
        digest.update(path.read_bytes())
        digest.update(b"\x00")
    return copy.deepcopy(_parsed(root, ids, digest.hexdigest()))


@functools.lru_cache(maxsize=16)
def _parsed(root: Path, ids: frozenset[str], digest: str) -> Catalogue:
    """The catalogue parsed from YAML, once per root, check ids and file contents."""
    check_dir, fw_dir = root / "checks", root / "frameworks"
    check_files = sorted(check_dir.glob("*.yaml"))
    fw_files = sorted(fw_dir.glob("*.yaml"))
    every = sorted(fw_files + check_files, key=lambda p: p.relative_to(root).as_posix())
    frameworks = {fw.name: fw for fw in (_framework(p) for p in fw_files)}
    checks: dict[str, CheckMeta] = {}
    for path in check_files:
        meta = _check(path, frameworks)
        if meta.check_id not in ids:
            raise InputError(f"{path}: check_id: {meta.check_id!r} has metadata but no check in the registry")
        checks[meta.check_id] = meta
    missing = sorted(ids - set(checks))
    if missing:
        raise InputError(
            f"{check_dir / (missing[0] + '.yaml')}: no metadata for check {missing[0]!r}"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
        )
    return Catalogue(
        checks=dict(sorted(checks.items())),
        frameworks=dict(sorted(frameworks.items())),
        digest=digest,
        files=tuple(p.relative_to(root).as_posix() for p in every),
    )


# --- parsing ----------------------------------------------------------------------------------


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise InputError(f"{path}: not valid YAML{where}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: (top level): expected a mapping")
    return data


def _require(path: Path, data: dict, names: tuple[str, ...]) -> None:
    for name in names:
        if name not in data:
            raise InputError(f"{path}: {name}: missing")
    extra = sorted(set(data) - set(names) - {"url"})
    if extra:
        raise InputError(f"{path}: {extra[0]}: unknown field")


def _text(path: Path, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{path}: {where}: expected non-empty text")
    return " ".join(value.split())


def _framework(path: Path) -> Framework:
    data = _read(path)
    _require(path, data, FRAMEWORK_FIELDS)
    name = _text(path, "name", data["name"])
    if name != path.stem:
        raise InputError(f"{path}: name: {name!r} does not match the file name")
    controls = data["controls"]
    if not isinstance(controls, dict) or not controls:
        raise InputError(f"{path}: controls: expected a mapping of control id to title")
    out = {}
    for cid, title in controls.items():
        if not isinstance(cid, str):
            raise InputError(f"{path}: controls.{cid}: control id must be a string (quote it)")
        out[cid] = _text(path, f"controls.{cid}", title)
    return Framework(
        name=name,
        title=_text(path, "title", data["title"]),
        version=_text(path, "version", str(data["version"])),
        controls=out,
        url=str(data.get("url") or ""),
    )


def _check(path: Path, frameworks: dict[str, Framework]) -> CheckMeta:
    data = _read(path)
    _require(path, data, CHECK_FIELDS)
    check_id = _text(path, "check_id", data["check_id"])
    if check_id != path.stem:
        raise InputError(f"{path}: check_id: {check_id!r} does not match the file name")
    try:
        severity = Severity(data["severity"])
    except ValueError:
        raise InputError(
            f"{path}: severity: {data['severity']!r} is not one of {', '.join(s.value for s in Severity)}"
        ) from None
    remediation = data["remediation"]
    if not isinstance(remediation, dict) or not remediation:
        raise InputError(f"{path}: remediation: expected a mapping of kind to text")
    for kind in remediation:
        if kind not in REMEDIATION_KINDS:
            raise InputError(f"{path}: remediation.{kind}: unknown kind (use {', '.join(REMEDIATION_KINDS)})")
    refs = data["references"]
    if not isinstance(refs, list) or not all(isinstance(r, str) and r.startswith("https://") for r in refs):
        raise InputError(f"{path}: references: expected a list of https URLs")
    params = data["parameters"] or {}
    if not isinstance(params, dict):
        raise InputError(f"{path}: parameters: expected a mapping")
    for pname, spec in params.items():
        if not isinstance(spec, dict) or "default" not in spec or "description" not in spec:
            raise InputError(f"{path}: parameters.{pname}: expected default and description")
    mapping = data["frameworks"]
    if not isinstance(mapping, dict):
        raise InputError(f"{path}: frameworks: expected a mapping of framework to control ids")
    fw_out: dict[str, list[str]] = {}
    for fw, controls in mapping.items():
        if fw not in frameworks:
            raise InputError(f"{path}: frameworks.{fw}: no framework file policies/frameworks/{fw}.yaml")
        if not isinstance(controls, list) or not controls:
            raise InputError(f"{path}: frameworks.{fw}: expected a non-empty list of control ids")
        for cid in controls:
            if not isinstance(cid, str) or cid not in frameworks[fw].controls:
                raise InputError(f"{path}: frameworks.{fw}: control {cid!r} is not in {fw}.yaml")
        fw_out[fw] = list(controls)
    return CheckMeta(
        check_id=check_id,
        title=_text(path, "title", data["title"]),
        severity=severity,
        description=_text(path, "description", data["description"]),
        risk=_text(path, "risk", data["risk"]),
        remediation={k: _text(path, f"remediation.{k}", v) for k, v in remediation.items()},
        references=list(refs),
        parameters={k: dict(v) for k, v in params.items()},
        frameworks=fw_out,
    )
