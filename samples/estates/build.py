"""Build each sample estate's snapshot.json from its AWS side (aws.yaml, in the snapshot's own shape)
and its Kubernetes manifests (manifests/, read by the real manifest collector).

    python samples/estates/build.py           # rewrite every snapshot.json
    python samples/estates/build.py --check   # exit 1 if any snapshot.json is out of date

tests/test_samples.py runs the check, and compares each estate's results with expected.json.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import yaml

from auditor.collectors.k8s.manifests import load_manifests
from auditor.model.snapshot import Snapshot, dumps, merge

HERE = Path(__file__).resolve().parent
ESTATES = ("wellconfigured", "production", "hostile")
FIXED_TIME = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def build(estate: str) -> Snapshot:
    root = HERE / estate
    aws = Snapshot.model_validate(yaml.safe_load((root / "aws.yaml").read_text()))
    units = [
        u.model_copy(
            update={
                "started_at": FIXED_TIME,
                "finished_at": FIXED_TIME,
                "tool_version": "sample",
                "collector": u.collector or "sample estate",
            }
        )
        for u in aws.units
    ]
    parts = [aws.model_copy(update={"units": units})]
    manifests = root / "manifests"
    if manifests.is_dir():
        for cluster in aws.clusters:
            k8s = load_manifests([manifests], cluster.name)
            k8s_units = [
                u.model_copy(
                    update={
                        "started_at": FIXED_TIME,
                        "finished_at": FIXED_TIME,
                        "tool_version": "sample",
                        "collector": f"samples/estates/{estate}/manifests",
                    }
                )
                for u in k8s.units
            ]
            parts.append(k8s.model_copy(update={"units": k8s_units}))
    return merge(*parts)


def main(argv: list[str]) -> int:
    stale = []
    for estate in ESTATES:
        text = dumps(build(estate))
        target = HERE / estate / "snapshot.json"
        if "--check" in argv:
            if not target.exists() or target.read_text() != text:
                stale.append(estate)
        else:
            target.write_text(text)
    if stale:
        print(f"out of date: {', '.join(stale)} (run python samples/estates/build.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
