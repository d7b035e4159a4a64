#!/usr/bin/env python3
"""Write constraints.txt: the exact versions of the runtime dependencies (and theirs) installed in
this interpreter, which the tests ran against. The Lambda zip (samples/deploy/lambda/build.py) and
the container image (samples/deploy/kubernetes/Dockerfile) install with `-c constraints.txt`.

    .venv/bin/python samples/deploy/constraints.py      # or: make constraints
"""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def closure(requirements: list[str]) -> dict[str, str]:
    seen: dict[str, str] = {}
    todo = [_name(r) for r in requirements]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        seen[name] = dist.version
        for req in dist.requires or []:
            if "extra ==" not in req:  # only what a plain install brings
                todo.append(_name(req))
    return dict(sorted(seen.items()))


def main() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = closure(deps)
    text = (
        "# Exact runtime dependency versions the tests ran against; written by samples/deploy/constraints.py.\n"
        "# The Lambda zip and the container image install with -c constraints.txt.\n"
        + "".join(f"{name}=={version}\n" for name, version in pins.items())
    )
    (ROOT / "constraints.txt").write_text(text)
    print(f"constraints.txt: {len(pins)} pins")


if __name__ == "__main__":
    main()
