"""Values as declared: known, or Unknown with the reference that could not be resolved.

An ``Unknown`` leaf travels through the conversion to the model. A field that may be absent
becomes None there; an identifier the model requires becomes a marker ``unresolved:<reason>`` that
matches no resource, so the checks depending on it report NOT_ASSESSED. Either way the builder
records a CollectionIssue (service "review", error code "Unresolved") naming the reference.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unknown:
    reason: str  # e.g. "Fn::ImportValue SharedFsId"

    @property
    def marker(self) -> str:
        return f"unresolved:{self.reason}"


class FieldError(ValueError):
    """A declared value of the wrong shape; the caller adds file, line and resource."""

    def __init__(self, where: str, message: str) -> None:
        where = where.lstrip(".")
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def first_unknown(value) -> Unknown | None:
    """The first Unknown anywhere inside a value, if any."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        for v in value.values():
            found = first_unknown(v)
            if found:
                return found
    elif isinstance(value, list):
        for v in value:
            found = first_unknown(v)
            if found:
                return found
    return None


def norm_key(key: str) -> str:
    """CloudFormation (FilesystemId), API JSON (fileSystemId) and Terraform (file_system_id) alike."""
    return str(key).replace("_", "").lower()


def get(obj, *names: str, default=None):
    """Case- and underscore-insensitive lookup; Terraform's one-element block lists are unwrapped."""
    cur = obj
    for name in names:
        if isinstance(cur, list) and len(cur) == 1 and isinstance(cur[0], dict):
            cur = cur[0]
        if not isinstance(cur, dict):
            return default
        want = norm_key(name)
        for k, v in cur.items():
            if norm_key(k) == want:
                cur = v
                break
        else:
            return default
    if isinstance(cur, list) and len(cur) == 1 and isinstance(cur[0], dict) and names and _block(names[-1]):
        return cur[0]
    return cur


_BLOCKS = {
    "efsvolumeconfiguration",
    "authorizationconfig",
    "dockervolumeconfiguration",
    "posixuser",
    "rootdirectory",
    "creationinfo",
    "vpcconfig",
    "networkconfiguration",
    "awsvpcconfiguration",
    "linuxparameters",
    "capabilities",
    "backuppolicy",
    "host",
}


def _block(name: str) -> bool:
    return norm_key(name) in _BLOCKS


def as_list(value, where: str) -> list:
    if value is None:
        return []
    if isinstance(value, Unknown):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise FieldError(where, f"expected a list, found {type(value).__name__}")


def as_dict(value, where: str) -> dict:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        return value[0]
    if isinstance(value, list) and not value:
        return {}
    raise FieldError(where, f"expected a mapping, found {type(value).__name__}")


def as_bool(value, where: str) -> bool | None:
    if value is None or isinstance(value, Unknown):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise FieldError(where, f"expected true or false, found {value!r}")


def as_int(value, where: str) -> int | None:
    if value is None or isinstance(value, Unknown):
        return None
    if isinstance(value, bool):
        raise FieldError(where, f"expected an integer, found {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise FieldError(where, f"expected an integer, found {value!r}")


def as_str(value, where: str) -> str | None:
    if value is None or isinstance(value, Unknown):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise FieldError(where, f"expected a string, found {type(value).__name__}")


def as_str_list(value, where: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, Unknown):
        return None
    out = []
    for i, item in enumerate(as_list(value, where)):
        if isinstance(item, Unknown):
            return None
        s = as_str(item, f"{where}[{i}]")
        if s is not None:
            out.append(s)
    return out


def tags_of(value, where: str) -> dict[str, str] | None:
    """CloudFormation [{Key, Value}] lists, SAM / Terraform / API maps, ECS [{key, value}]."""
    if value is None or isinstance(value, Unknown):
        return None
    if isinstance(value, dict):
        return {
            str(k): as_str(v, f"{where}.{k}") or "" for k, v in value.items() if not isinstance(v, Unknown)
        }
    out = {}
    for i, item in enumerate(as_list(value, where)):
        if isinstance(item, Unknown):
            continue
        d = as_dict(item, f"{where}[{i}]")
        key, val = get(d, "Key"), get(d, "Value")
        if isinstance(key, Unknown) or isinstance(val, Unknown):
            continue
        k = as_str(key, f"{where}[{i}].Key")
        if k is not None:
            out[k] = as_str(val, f"{where}[{i}].Value") or ""
    return out
