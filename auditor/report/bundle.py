"""Evidence bundles: snapshot.json (only when the run was evaluated here from a snapshot; the
manifest says when it is absent), run.json, every requested format and manifest.json (sha256 of
each file, tool version, catalogue digests, parameters, who/where/when collected).

A bundle is written whole or not at all: every file goes into a private temporary sibling
directory, created 0700 with files 0600 (os.open with the mode, never chmod afterwards), which is
renamed into place at the end. An existing non-empty directory is never overwritten.
verify_bundle() lists every changed, missing or extra file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from auditor.model.result import AuditRun
from auditor.model.snapshot import InputError

MANIFEST = "manifest.json"
MANIFEST_VERSION = "1"
FILE_NAMES = {"table": "report.txt", "markdown": "report.md", "csv": "results.csv", "ocsf": "findings.ocsf.json",
              "asff": "findings.asff.json", "sarif": "results.sarif", "junit": "junit.xml", "html": "report.html",
              "json": "run.json"}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(directory: Path, name: str, text: str) -> dict:
    data = text.encode("utf-8")
    fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return {"sha256": _sha(data), "bytes": len(data)}


SNAPSHOT_NOTE = ("the snapshot is not part of this bundle: it was rendered from a saved run; snapshot_digest "
                 "names the snapshot that run was evaluated from (efs-audit check --out bundles the snapshot too)")


def manifest(run: AuditRun, files: dict[str, dict], formats: list[str], options, catalogue=None) -> dict:
    """catalogue_digest is the catalogue the files were rendered with (titles, mappings);
    run_catalogue_digest the one the run was evaluated with. They differ when the catalogue changed."""
    waivers = [{"source": w.source, "index": w.index, "checks": list(w.checks), "resources": list(w.resources),
                "reason": w.reason, "owner": w.owner, "expires": w.expires.isoformat()}
               for w in getattr(options, "waivers", ())]
    baseline = getattr(options, "baseline", None)
    return {
        "manifest_version": MANIFEST_VERSION,
        "tool": "efs-identity-auditor",
        "tool_version": run.tool_version,
        "run_generated_at": run.generated_at.isoformat(),
        "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "snapshot_digest": run.snapshot_digest,
        "snapshot_included": "snapshot.json" in files,
        **({} if "snapshot.json" in files else {"snapshot_note": SNAPSHOT_NOTE}),
        "catalogue_digest": catalogue.digest if catalogue is not None else run.catalogue_digest,
        "run_catalogue_digest": run.catalogue_digest,
        "parameters": run.parameters,
        "collection": [{"scope": u.scope, "method": u.method, "collector": u.collector,
                        "started_at": u.started_at.isoformat() if u.started_at else None,
                        "finished_at": u.finished_at.isoformat() if u.finished_at else None,
                        "tool_version": u.tool_version, "services": list(u.services), "complete": u.complete}
                       for u in run.units],
        "collection_issues": len(run.issues),
        "complete": run.complete,
        "formats": formats,
        "framework": getattr(options, "framework", None),
        "waivers": waivers,
        "baseline_generated_at": baseline.generated_at.isoformat() if baseline is not None else None,
        "files": dict(sorted(files.items())),
    }


def write_bundle(out_dir: str | Path, run: AuditRun, snapshot_json: str | None, formats: list[str],
                 catalogue, options) -> Path:
    from auditor.report import FORMATS, render

    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError(f"{out_dir}: exists and is not an empty directory; evidence bundles are never overwritten")
    if snapshot_json is not None and _sha(snapshot_json.encode("utf-8")) != run.snapshot_digest:
        raise InputError(f"{out_dir}: the snapshot does not match the run's snapshot_digest")
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise InputError(f"--format: unknown format {unknown[0]!r} (known: {', '.join(FORMATS)})")
    parent = out_dir.resolve().parent
    if not parent.is_dir():
        raise InputError(f"{out_dir}: parent directory does not exist")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=parent))  # mode 0700
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot create: {exc.strerror or exc}") from None
    try:
        files: dict[str, dict] = {}
        if snapshot_json is not None:
            files["snapshot.json"] = _write(tmp, "snapshot.json", snapshot_json)
        from auditor.report.stream import write_file

        files["run.json"] = write_file(tmp, "run.json", run)  # the `json` format's bytes, streamed
        for fmt in formats:
            name = FILE_NAMES.get(fmt, f"report.{fmt}")
            if name not in files:
                files[name] = _write(tmp, name, render(fmt, run, catalogue, options))
        _write(tmp, MANIFEST, json.dumps(manifest(run, files, list(formats), options, catalogue), indent=1) + "\n")
        if out_dir.exists():
            out_dir.rmdir()  # empty, checked above
        os.rename(tmp, out_dir)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(f"{out_dir}: cannot write bundle: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def manifest_digest(directory: str | Path) -> str:
    """sha256 of manifest.json: record it elsewhere (ticket, log) to detect a rewritten bundle."""
    return _sha((Path(directory) / MANIFEST).read_bytes())


def verify_bundle(directory: str | Path) -> list[str]:
    """Problems with a bundle, one line each; an empty list means every file is as written."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"{directory}: not a directory")
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"]
        if not isinstance(files, dict):
            raise TypeError
    except FileNotFoundError:
        return [f"{MANIFEST}: missing"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return [f"{MANIFEST}: not a valid manifest"]
    problems = []
    for name, entry in sorted(files.items()):
        if not isinstance(name, str) or "/" in name or "\\" in name or name in ("", ".", "..", MANIFEST) \
                or not isinstance(entry, dict):
            return [f"{MANIFEST}: unsafe or malformed file entry {name!r}"]
        path = directory / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        actual = _sha(path.read_bytes())
        if actual != entry.get("sha256"):
            problems.append(f"{name}: changed (sha256 {actual[:16]}…, manifest {str(entry.get('sha256'))[:16]}…)")
    for path in sorted(directory.iterdir()):
        if path.name != MANIFEST and path.name not in files:
            problems.append(f"{path.name}: extra file not in the manifest")
    if not problems:
        problems += _consistency(directory, data, files)
    return problems


def _consistency(directory: Path, data: dict, files: dict) -> list[str]:
    """The files agree with each other: run.json digests match the manifest and the snapshot."""
    out = []
    try:
        run = json.loads((directory / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ["run.json: missing or not JSON"]
    if run.get("snapshot_digest") != data.get("snapshot_digest"):
        out.append("run.json: snapshot_digest differs from the manifest")
    if run.get("catalogue_digest") != data.get("run_catalogue_digest", data.get("catalogue_digest")):
        out.append("run.json: catalogue_digest differs from the manifest's run_catalogue_digest")
    if "snapshot.json" in files and files["snapshot.json"].get("sha256") != run.get("snapshot_digest"):
        out.append("snapshot.json: does not match run.json snapshot_digest")
    return out
