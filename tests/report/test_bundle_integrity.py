"""The manifest covers itself: content_sha256 is the sha256 of the canonical JSON of every other field,
so every edit of any manifest field, and every change, deletion or addition of a file, is detected.
The edits are generated from the manifest itself (every leaf, every key removed, a key added to every
object), written back exactly as a manifest is written, so only the content digest can catch them."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from auditor.report import bundle
from auditor.report.view import ReportOptions
from tests.report.report_fixtures import make_run

SNAPSHOT = '{"schema_version": "1", "units": []}\n'


@pytest.fixture
def written(tmp_path, cat, waivers):
    run = make_run().model_copy(update={"snapshot_digest": hashlib.sha256(SNAPSHOT.encode()).hexdigest()})
    out = bundle.write_bundle(
        tmp_path / "ev",
        run,
        SNAPSHOT,
        ["csv", "sarif", "json", "markdown"],
        cat,
        ReportOptions(waivers=waivers, framework="hipaa", baseline=run),
    )
    return out


def _paths(node, path=()):
    """Every position in the manifest: leaves, and containers (for add / remove)."""
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*path, i))


def _changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if value is None:
        return "x"
    if isinstance(value, list):
        return [*value, "x"]
    return {**value, "added": 1}


def _edits(manifest):
    for path, value in _paths(manifest):
        if path and path[-1] == bundle.SELF_DIGEST:
            continue
        yield f"set {path}", path, lambda parent, key, v=value: parent.__setitem__(key, _changed(v))
        if path and isinstance(path[-1], str):
            yield f"delete {path}", path, lambda parent, key: parent.pop(key)
        if path and isinstance(path[-1], int):
            yield f"remove item {path}", path, lambda parent, key: parent.pop(key)


def _apply(manifest, path, edit):
    out = copy.deepcopy(manifest)
    if not path:
        out["added_field"] = True
        return out
    parent = out
    for key in path[:-1]:
        parent = parent[key]
    edit(parent, path[-1])
    return out


def test_the_digest_is_over_the_canonical_json_of_every_other_field(written):
    m = json.loads((written / "manifest.json").read_text())
    assert list(m)[-1] == bundle.SELF_DIGEST and m["manifest_version"] == "2"
    body = {k: v for k, v in m.items() if k != bundle.SELF_DIGEST}
    expected = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    assert m[bundle.SELF_DIGEST] == expected
    assert m["run_id"].startswith("20261120T030000Z-") and m["run_id"].endswith(
        m["files"]["run.json"]["sha256"][:12]
    )
    assert m["result_counts"] == {"PASS": 3, "FAIL": 5, "NOT_ASSESSED": 1}
    assert m["collection_issues"] == 1 and sum(m["collection_issue_codes"].values()) == 1
    assert m["signing"] is None and bundle.verify_bundle(written) == []


def test_every_manifest_field_edit_is_detected(written):
    """Every leaf changed, every key and list item removed, a key added to every object."""
    original = json.loads((written / "manifest.json").read_text())
    edits = list(_edits(original))
    assert len(edits) > 120  # the generator is not vacuous: the manifest has many fields
    undetected = []
    for name, path, edit in edits:
        forged = _apply(original, path, edit)
        (written / "manifest.json").write_text(bundle.manifest_text(forged))
        problems = bundle.verify_bundle(written)
        if not problems or not problems[0].startswith(
            ("manifest.json: edited", "manifest.json: not a valid")
        ):
            undetected.append((name, problems))
    (written / "manifest.json").write_text(bundle.manifest_text(original))
    assert undetected == []
    assert bundle.verify_bundle(written) == []


def test_the_self_digest_edited_or_removed_is_detected(written):
    m = json.loads((written / "manifest.json").read_text())
    (written / "manifest.json").write_text(bundle.manifest_text({**m, bundle.SELF_DIGEST: "0" * 64}))
    assert bundle.verify_bundle(written)[0].startswith("manifest.json: edited")
    del m[bundle.SELF_DIGEST]
    (written / "manifest.json").write_text(bundle.manifest_text(m))
    assert bundle.verify_bundle(written)[0].startswith("manifest.json: edited")


@pytest.mark.parametrize("edit", ["whitespace", "duplicate key", "trailing newline"])
def test_byte_edits_outside_the_fields_are_detected(written, edit):
    text = (written / "manifest.json").read_text()
    forged = {
        "whitespace": text.replace('": ', '":  ', 1),
        "duplicate key": text.replace(
            '{\n "manifest_version": "2",', '{\n "complete": true,\n "manifest_version": "2",', 1
        ),
        "trailing newline": text + "\n",
    }[edit]
    assert forged != text
    (written / "manifest.json").write_text(forged)
    problems = bundle.verify_bundle(written)
    assert len(problems) == 1 and problems[0].startswith("manifest.json: bytes changed outside its fields")


def test_every_file_changed_deleted_or_added_is_detected(written):
    names = sorted(p.name for p in written.iterdir() if p.name != "manifest.json")
    assert names == ["report.md", "results.csv", "results.sarif", "run.json", "snapshot.json"]
    for name in names:
        path = written / name
        data = path.read_bytes()
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
        assert bundle.verify_bundle(written)[0].startswith(f"{name}: changed"), name
        path.unlink()
        assert bundle.verify_bundle(written)[0] == f"{name}: missing", name
        path.write_bytes(data)
    for extra in ("notes.txt", ".hidden", "manifest.json.bak"):
        (written / extra).write_text("x")
        assert bundle.verify_bundle(written) == [f"{extra}: extra file not in the manifest"]
        (written / extra).unlink()
    (written / bundle.SIGNATURE).write_text("{}")
    assert bundle.verify_bundle(written) == ["manifest.sig: present, but the manifest names no signing key"]
    (written / bundle.SIGNATURE).unlink()
    assert bundle.verify_bundle(written) == []


def test_a_file_rewritten_with_its_entry_is_caught_by_the_digest_unless_resealed(written):
    """Unsigned, a forger who also recomputes content_sha256 is not caught: that is what signing is for
    (tests/report/test_signing.py)."""
    m = json.loads((written / "manifest.json").read_text())
    forged = (written / "results.csv").read_bytes() + b"forged,row\n"
    (written / "results.csv").write_bytes(forged)
    m["files"]["results.csv"] = {"sha256": hashlib.sha256(forged).hexdigest(), "bytes": len(forged)}
    (written / "manifest.json").write_text(bundle.manifest_text(m))
    assert bundle.verify_bundle(written)[0].startswith("manifest.json: edited")
    m[bundle.SELF_DIGEST] = bundle.content_digest(m)
    (written / "manifest.json").write_text(bundle.manifest_text(m))
    assert bundle.verify_bundle(written) == []


def test_a_version_1_manifest_is_unverifiable(written):
    """Backward compatibility: an old bundle's files are still checked, and verify says in one line
    that the manifest's own fields cannot be, so it never reports the bundle intact."""
    m = json.loads((written / "manifest.json").read_text())
    old = {
        k: v
        for k, v in m.items()
        if k not in (bundle.SELF_DIGEST, "signing", "run_id", "result_counts", "collection_issue_codes")
    }
    old["manifest_version"] = "1"
    (written / "manifest.json").write_text(json.dumps(old, indent=1) + "\n")
    assert bundle.verify_bundle(written) == [bundle.UNPROTECTED]
    (written / "results.csv").write_text("x")
    problems = bundle.verify_bundle(written)
    assert problems[0] == bundle.UNPROTECTED and problems[1].startswith("results.csv: changed")
