"""One safe way to read an input file: every command that reads a file goes through here.

- Only regular files: a FIFO, a device, a socket or a directory where a file is expected is refused
  before anything is read (stat first; the open is non-blocking, so a FIFO swapped in between the stat
  and the open cannot hang the read, and the opened file is checked again).
- A maximum size: ``EFS_AUDIT_MAX_INPUT_BYTES`` (default 1 GiB) for JSON: a snapshot of 100k access
  points is about 170 MB, and an organization's several times that. YAML, parsed far more slowly, gets
  16 MiB (or a quarter of a lower JSON limit; ``EFS_AUDIT_MAX_YAML_BYTES`` overrides). Reading stops one byte past the
  limit, so ``/dev/zero`` or a growing file never fills memory.
- JSON: integers of at most ``MAX_INT_DIGITS`` digits and containers nested at most ``MAX_DEPTH`` deep.
- YAML: the safe loader, nesting bounded the same way, and aliases bounded by the number of values the
  document expands to (``MAX_YAML_VALUES``): an alias bomb is refused, not expanded.

Every failure is an ``InputError`` whose message is one line naming the file and what is wrong.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class InputError(Exception):
    """Bad input: the message is one line naming the file and field or resource."""


ENV_MAX_BYTES = "EFS_AUDIT_MAX_INPUT_BYTES"
ENV_MAX_YAML_BYTES = "EFS_AUDIT_MAX_YAML_BYTES"
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024
DEFAULT_MAX_YAML_BYTES = 16 * 1024 * 1024  # the pure-Python YAML parser took minutes on 45-60 MB
MAX_INT_DIGITS = 64  # far beyond any id, port or count an input holds; Python refuses > 4300 anyway
MAX_DEPTH = 100  # containers inside containers; policies and manifests stay well under 20
MAX_YAML_VALUES = 20_000_000  # values of one YAML document with every alias expanded (a 16 MiB file holds
# far fewer distinct values: more is alias amplification)


def one_line(text: str) -> str:
    """A message for stderr as exactly one printable line: control characters (a form feed in a YAML
    key, a newline in a file name) are shown escaped, never as line breaks."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in " ".join(str(text).split()))


def _env_bytes(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value <= 0:
        raise InputError(f"{name}: expected a positive number of bytes, found {raw!r}")
    return value


def max_bytes() -> int:
    return _env_bytes(ENV_MAX_BYTES, DEFAULT_MAX_BYTES)


def max_yaml_bytes() -> int:
    return _env_bytes(ENV_MAX_YAML_BYTES, max(1, min(DEFAULT_MAX_YAML_BYTES, max_bytes() // 4)))


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 and n % (1024 * 1024) == 0 else f"{n} bytes"


def read_bytes(
    path: str | Path, what: str = "a file", limit: int | None = None, label: str | None = None
) -> bytes:
    """The whole content of a regular file of at most ``limit`` bytes."""
    path = Path(path)
    label = label or str(path)
    limit = max_bytes() if limit is None else limit
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{label}: no such file") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{label}: is {_kind(st.st_mode)}, expected {what}")
    if st.st_size > limit:
        raise InputError(
            f"{label}: larger than {_size(limit)} (the limit for {what}; raise it with {ENV_MAX_BYTES})"
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InputError(f"{label}: cannot read: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # replaced between the stat and the open
            raise InputError(f"{label}: is {_kind(mode)}, expected {what}")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1024 * 1024, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise InputError(
                    f"{label}: larger than {_size(limit)} (the limit for {what}; raise it with "
                    f"{ENV_MAX_BYTES})"
                )
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"{label}: cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def require_file(path: str | Path, what: str) -> None:
    """For files another library opens (a kubeconfig): refuse what is not a regular file up front."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: is {_kind(st.st_mode)}, expected {what}")


def read_text(
    path: str | Path,
    what: str = "a file",
    *,
    yaml_input: bool = False,
    label: str | None = None,
    bom: bool = False,
) -> str:
    """A UTF-8 file's text (a leading byte order mark dropped when ``bom``)."""
    data = read_bytes(path, what, max_yaml_bytes() if yaml_input else None, label)
    try:
        return data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{label or path}: not UTF-8 text") from None


# --- JSON ------------------------------------------------------------------------------------------


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _TooLarge(f"an integer of {digits} digits (at most {MAX_INT_DIGITS})")
    return int(text)


class _TooLarge(ValueError):
    pass


def json_loads(text: str, label: str, invalid: str = "not JSON"):
    """json.loads with the integer and nesting limits; errors name the file, line and column."""
    try:
        value = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise InputError(f"{label}: {invalid}: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except _TooLarge as exc:
        raise InputError(f"{label}: not accepted: {exc}") from None
    except RecursionError:
        raise InputError(f"{label}: not accepted: nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # e.g. Python's own integer string limit
        raise InputError(f"{label}: {invalid}: {' '.join(str(exc).split())[:120]}") from None
    check_depth(value, label)
    return value


def check_depth(value, label: str, limit: int = MAX_DEPTH) -> None:
    """Refuse containers nested deeper than ``limit`` (checked without recursion)."""
    stack = [(value, 1)]
    seen: dict[int, int] = {}  # a node shared through YAML aliases is walked again only when met deeper
    while stack:
        node, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if seen.get(id(node), 0) >= depth:
            continue
        seen[id(node)] = depth
        if depth > limit:
            raise InputError(f"{label}: not accepted: nested more than {limit} levels deep")
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))


# --- YAML ------------------------------------------------------------------------------------------


def expanded_size(value, limit: int = MAX_YAML_VALUES) -> int:
    """How many values a document holds once every alias is expanded (each shared node counted each
    time it is referenced, computed once per node); stops just past ``limit``."""
    seen: dict[int, int] = {}

    def size(node, depth: int) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        known = seen.get(id(node))
        if known is not None:
            return known
        seen[id(node)] = limit + 1  # a node that contains itself expands without end
        total = 1
        for child in node.values() if isinstance(node, dict) else node:
            total += size(child, depth + 1)
            if total > limit:
                break
        seen[id(node)] = total
        return total

    return size(value, 0)


def yaml_documents(text: str, label: str, loader=None) -> list:
    """Every document of a YAML stream (None for empty ones), read with the safe loader (``loader``:
    a subclass of it), nesting and alias expansion bounded."""
    import yaml  # here: the command line starts without the YAML parser

    loader = loader or yaml.SafeLoader
    docs: list[Any] = []
    instance = None
    try:
        instance = loader(text)
        while instance.check_data():
            doc = instance.get_data()
            if expanded_size(doc) > MAX_YAML_VALUES:  # first: the depth walk below expands aliases
                raise InputError(
                    f"{label}: document {len(docs) + 1}: YAML aliases expand to more than "
                    f"{MAX_YAML_VALUES} values"
                )
            check_depth(doc, label)
            docs.append(doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise InputError(f"{label}: not valid YAML{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{label}: not valid YAML: {' '.join(str(exc).split())[:200]}") from None
    except RecursionError:
        raise InputError(f"{label}: not accepted: nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # a timestamp or integer the constructor cannot build (month 13, 5000 digits)
        raise InputError(f"{label}: not valid YAML: {' '.join(str(exc).split())[:200]}") from None
    finally:
        if instance is not None:
            instance.dispose()
    return docs
