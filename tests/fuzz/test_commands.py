"""Property-based fuzzing of every reader and every command that takes a file: check, report, access,
review, verify, check --waivers, collect --manifests and snapshot load, each fed generated files (random
bytes and text, random JSON and YAML values, mutated real inputs, extreme nesting and integers). Each run
must end with exit 0, 1 or 3, or exit 2 with one line on stderr: zero tracebacks, and no hang (every
example runs under an alarm; a hang fails the example).

Example counts: EFS_AUDIT_FUZZ_EXAMPLES examples per test (default 10) in every Hypothesis profile;
set it higher for a longer campaign, e.g. EFS_AUDIT_FUZZ_EXAMPLES=300. Statistics:
``pytest tests/fuzz --hypothesis-show-statistics``.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.model import snapshot as snap
from auditor.model.snapshot import InputError
from auditor.review.loader import plain, yaml_documents
from tests.fuzz.harness import run

ROOT = Path(__file__).resolve().parents[2]
ESTATES = ROOT / "samples" / "estates"
SNAPSHOT = ESTATES / "wellconfigured" / "snapshot.json"
MANIFEST_SEEDS = sorted((ESTATES / "production" / "manifests").rglob("*.yaml"))
REVIEW_SEEDS = sorted(p for p in (ROOT / "samples" / "review").rglob("*") if p.suffix in (".yaml", ".json"))
SECONDS = 60  # per command run; far above any real run of these inputs

# Each example runs a whole command (in process): few examples, the same in every profile.
COMMANDS = settings(
    max_examples=int(os.environ.get("EFS_AUDIT_FUZZ_EXAMPLES", "10")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["1", "FAIL", "PASS", "2030-01-01", "*", "arn:aws:iam::1:role/x"]),
)
keys = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        [
            "schema_version",
            "units",
            "issues",
            "file_systems",
            "access_points",
            "roles",
            "results",
            "status",
            "waivers",
            "checks",
            "resources",
            "expires",
            "files",
            "sha256",
            "kind",
            "apiVersion",
            "metadata",
            "spec",
            "items",
            "Resources",
            "Type",
            "Properties",
            "format_version",
            "planned_values",
            "root_module",
            "family",
            "containerDefinitions",
            "FunctionName",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=30,
)


def _mutate(doc, rnd: random.Random, replacement):
    """Replace, delete or retype one node."""
    nodes = []
    stack = [doc]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in list(items):
            nodes.append((node, k))
            stack.append(v)
    if nodes:
        parent, key = rnd.choice(nodes)
        if isinstance(parent, dict) and rnd.random() < 0.3:
            del parent[key]
        else:
            parent[key] = replacement
    return doc


@st.composite
def contents(draw, seeds: list[Path], kind: str) -> bytes:
    """A file's bytes: garbage, a random value, a mutated seed, or an extreme shape."""
    choice = draw(st.sampled_from(["bytes", "text", "json", "yaml", "mutated", "mutated", "extreme"]))
    if choice == "bytes":
        return draw(st.binary(max_size=200))
    if choice == "text":
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    if choice == "json":
        return json.dumps(draw(values)).encode()
    if choice == "yaml":
        return yaml.safe_dump(draw(values)).encode()
    if choice == "mutated":
        seed = draw(st.sampled_from(seeds))
        text = seed.read_text()
        rnd = random.Random(draw(st.integers(0, 2**32)))
        if seed.suffix == ".json":
            doc = json.loads(text)
            for _ in range(draw(st.integers(1, 3))):
                doc = _mutate(doc, rnd, draw(values))
            return json.dumps(doc).encode()
        docs = [plain(d) for d in yaml_documents(text, str(seed)) if d is not None] or [
            {}
        ]  # short tags expanded
        i = rnd.randrange(len(docs))
        docs[i] = _mutate(docs[i], rnd, draw(values))
        return yaml.safe_dump_all(docs).encode()
    depth = draw(st.sampled_from([150, 5000, 200_000]))
    return draw(
        st.sampled_from(
            [
                ("[" * depth + "]" * depth).encode(),
                ('{"a":' * depth + "1" + "}" * depth).encode(),
                ("a:\n" + "".join("  " * i + "- \n" for i in range(min(depth, 3000)))).encode(),
                ('{"schema_version": "1", "subnets": [' + "7" * depth + "]}").encode(),
                (b"waivers:\n  - {checks: [x], resources: [y], reason: r, owner: o, expires: 2030-13-45}\n"),
                (
                    "x: &a [1, 1, 1, 1, 1, 1, 1, 1]\n"
                    + "".join(
                        f"{c}: &{c} [" + ", ".join([f"*{p}"] * 8) + "]\n"
                        for p, c in zip("abcdefgh", "bcdefghi")
                    )
                ).encode(),
            ]
        )
    )


def _assert_clean(out, what: str) -> None:
    assert out.code in (0, 1, 2, 3), (what, out.code, out.stderr[-500:])
    if out.code == 2:
        assert out.one_line_error(), (what, out.stderr[-2000:])


def _write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


FUZZ = pytest.mark.filterwarnings("ignore")


@FUZZ
@COMMANDS
@given(data=contents([SNAPSHOT], "snapshot"), command=st.sampled_from(["check", "access", "load"]))
def test_snapshot_readers(tmp_path_factory, data, command):
    path = _write(tmp_path_factory.mktemp("f"), "snap.json", data)
    if command == "load":
        try:
            snap.load(path)
        except InputError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc)
        return
    _assert_clean(run(command, path, seconds=SECONDS), command)


@pytest.fixture(scope="module")
def run_json(tmp_path_factory) -> Path:
    out = run("check", SNAPSHOT, "--format", "json", "--fail-on", "never")
    path = tmp_path_factory.mktemp("run") / "run.json"
    path.write_text(out.stdout)
    return path


@FUZZ
@COMMANDS
@given(data=st.data())
def test_report_and_baseline(tmp_path_factory, run_json, data):
    path = _write(tmp_path_factory.mktemp("f"), "run.json", data.draw(contents([run_json], "run")))
    as_baseline = data.draw(st.booleans())
    args = ("report", run_json, "--baseline", path) if as_baseline else ("report", path)
    _assert_clean(run(*args, seconds=SECONDS), "report")


@FUZZ
@COMMANDS
@given(data=contents([ROOT / "tests" / "fuzz" / "seeds" / "waivers.yaml"], "waivers"))
def test_waivers(tmp_path_factory, data):
    path = _write(tmp_path_factory.mktemp("f"), "waivers.yaml", data)
    _assert_clean(run("check", SNAPSHOT, "--waivers", path, "--fail-on", "never", seconds=SECONDS), "waivers")


@FUZZ
@COMMANDS
@given(data=contents(MANIFEST_SEEDS, "manifests"), suffix=st.sampled_from([".yaml", ".json"]))
def test_manifests(tmp_path_factory, data, suffix):
    tmp = tmp_path_factory.mktemp("f")
    path = _write(tmp, "m" + suffix, data)
    out = run(
        "collect",
        "--no-aws",
        "--manifests",
        path,
        "--cluster-name",
        "c",
        "--out",
        tmp / "s.json",
        "--no-progress",
        seconds=SECONDS,
    )
    _assert_clean(out, "collect --manifests")


@FUZZ
@COMMANDS
@given(data=contents(REVIEW_SEEDS, "review"), suffix=st.sampled_from([".yaml", ".json"]))
def test_review(tmp_path_factory, data, suffix):
    path = _write(tmp_path_factory.mktemp("f"), "in" + suffix, data)
    _assert_clean(
        run("review", path, "--account", "123456789012", "--region", "eu-west-1", seconds=SECONDS), "review"
    )


@FUZZ
@COMMANDS
@given(
    manifest=contents([ROOT / "tests" / "fuzz" / "seeds" / "manifest.json"], "manifest"),
    run_file=st.one_of(st.none(), contents([ROOT / "tests" / "fuzz" / "seeds" / "manifest.json"], "run")),
)
def test_verify(tmp_path_factory, manifest, run_file):
    tmp = tmp_path_factory.mktemp("bundle")
    _write(tmp, "manifest.json", manifest)
    if run_file is not None:
        _write(tmp, "run.json", run_file)
    _assert_clean(run("verify", tmp, seconds=SECONDS), "verify")
