"""Evidence bundles: snapshot.json (only when the run was evaluated here from a snapshot; the
manifest says when it is absent), run.json, every requested format and manifest.json (sha256 of
each file, tool version, catalogue digests, parameters, who/where/when collected), and
manifest.sig when the bundle is signed (auditor.report.signing).

The manifest covers itself: ``content_sha256`` is the sha256 of the canonical JSON (sorted keys, no
whitespace, UTF-8) of every other manifest field, so editing any field, a file, or a file together
with its entry is detected; a signature over that digest makes the last case detectable too, since
whoever rewrites the bundle cannot re-sign it.

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
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from auditor.model.result import AuditRun, Status
from auditor.model.snapshot import InputError
from auditor.report.signing import SELF_DIGEST, SIGNATURE, signature_document

MANIFEST = "manifest.json"
MANIFEST_VERSION = "2"
UNPROTECTED = (
    f"{MANIFEST}: version 1 manifest without {SELF_DIGEST}: its own fields (completeness, counts, "
    "versions, times) cannot be verified; only the files were checked"
)
FILE_NAMES = {
    "table": "report.txt",
    "markdown": "report.md",
    "csv": "results.csv",
    "ocsf": "findings.ocsf.json",
    "asff": "findings.asff.json",
    "sarif": "results.sarif",
    "junit": "junit.xml",
    "html": "report.html",
    "json": "run.json",
}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(data) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_digest(data: dict) -> str:
    """sha256 of the canonical JSON of every manifest field but content_sha256 itself."""
    return _sha(canonical({k: v for k, v in data.items() if k != SELF_DIGEST}))


def manifest_text(data: dict) -> str:
    """The exact bytes a manifest is written as (verify compares them too)."""
    return json.dumps(data, indent=1) + "\n"


def run_id(run: AuditRun, run_json_sha256: str) -> str:
    """Stable run id: the run's time and the start of its run.json digest (sorts by time)."""
    return f"{run.generated_at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{run_json_sha256[:12]}"


def _write(directory: Path, name: str, text: str) -> dict:
    data = text.encode("utf-8")
    fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)  # whatever the umask
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return {"sha256": _sha(data), "bytes": len(data)}


SNAPSHOT_NOTE = (
    "the snapshot is not part of this bundle: it was rendered from a saved run; snapshot_digest "
    "names the snapshot that run was evaluated from (efs-audit check --out bundles the snapshot too)"
)


def manifest(
    run: AuditRun,
    files: dict[str, dict],
    formats: list[str],
    options,
    catalogue=None,
    signing: dict | None = None,
) -> dict:
    """catalogue_digest is the catalogue the files were rendered with (titles, mappings);
    run_catalogue_digest the one the run was evaluated with. They differ when the catalogue changed.
    ``signing`` names the key that signs the bundle (method, key_id, signer), so a removed
    signature is detected. content_sha256 comes last and covers every other field."""
    waivers = [
        {
            "source": w.source,
            "index": w.index,
            "checks": list(w.checks),
            "resources": list(w.resources),
            "reason": w.reason,
            "owner": w.owner,
            "expires": w.expires.isoformat(),
            "expired": w.expired,
        }
        for w in getattr(options, "waivers", ())
    ]
    baseline = getattr(options, "baseline", None)
    statuses = Counter(r.status.value for r in run.results)
    data = {
        "manifest_version": MANIFEST_VERSION,
        "run_id": run_id(run, files["run.json"]["sha256"]),
        "tool": "efs-identity-auditor",
        "tool_version": run.tool_version,
        "run_generated_at": run.generated_at.isoformat(),
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "snapshot_digest": run.snapshot_digest,
        "snapshot_included": "snapshot.json" in files,
        **({} if "snapshot.json" in files else {"snapshot_note": SNAPSHOT_NOTE}),
        "catalogue_digest": catalogue.digest if catalogue is not None else run.catalogue_digest,
        "run_catalogue_digest": run.catalogue_digest,
        "parameters": run.parameters,
        "collection": [
            {
                "scope": u.scope,
                "method": u.method,
                "collector": u.collector,
                "started_at": u.started_at.isoformat() if u.started_at else None,
                "finished_at": u.finished_at.isoformat() if u.finished_at else None,
                "tool_version": u.tool_version,
                "services": list(u.services),
                "complete": u.complete,
            }
            for u in run.units
        ],
        "collection_issues": len(run.issues),
        "collection_issue_codes": dict(sorted(Counter(i.error_code for i in run.issues).items())),
        "complete": run.complete,
        "result_counts": {s.value: statuses.get(s.value, 0) for s in Status},
        "formats": formats,
        "framework": getattr(options, "framework", None),
        "waivers": waivers,
        "baseline_generated_at": baseline.generated_at.isoformat() if baseline is not None else None,
        "files": dict(sorted(files.items())),
        "signing": signing,
    }
    data[SELF_DIGEST] = content_digest(data)
    return data


def write_bundle(
    out_dir: str | Path,
    run: AuditRun,
    snapshot_json: str | None,
    formats: list[str],
    catalogue,
    options,
    signer=None,
) -> Path:
    """``signer`` (auditor.report.signing.Signer) signs the manifest's content digest; the detached
    signature is written as manifest.sig inside the same temporary directory, so a signing failure
    leaves nothing behind."""
    from auditor.report import FORMATS, render

    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError(
            f"{out_dir}: exists and is not an empty directory; evidence bundles are never overwritten"
        )
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
        os.chmod(tmp, 0o700)
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
        signing = signer.describe() if signer is not None else None
        data = manifest(run, files, list(formats), options, catalogue, signing)
        _write(tmp, MANIFEST, manifest_text(data))
        if signer is not None:
            _write(
                tmp,
                SIGNATURE,
                json.dumps(signature_document(signer, data[SELF_DIGEST], signing), indent=1) + "\n",
            )
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


def _read_json(path: Path):
    from auditor.inputs import json_loads

    return json_loads(read_bytes(path, "a bundle file").decode("utf-8", "replace"), str(path))


def read_bytes(path: Path, what: str) -> bytes:
    from auditor.inputs import read_bytes as safe_read_bytes

    return safe_read_bytes(path, what)


def manifest_digest(directory: str | Path) -> str:
    """sha256 of manifest.json's bytes: record it elsewhere (ticket, log) to detect a rewritten bundle."""
    return _sha((Path(directory) / MANIFEST).read_bytes())


def read_manifest(directory: str | Path) -> tuple[dict | None, list[str]]:
    """(manifest, problems with the manifest itself); None when it cannot be read at all."""
    from auditor.inputs import json_loads

    path = Path(directory) / MANIFEST
    if not path.exists() and not path.is_symlink():
        return None, [f"{MANIFEST}: missing"]
    try:  # through the safe reader: a FIFO, an oversized or a deeply nested manifest is a finding
        raw = read_bytes(path, "a bundle manifest")
        data = json_loads(raw.decode("utf-8"), str(path))
        if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
            raise TypeError
    except (InputError, ValueError, TypeError, UnicodeDecodeError):
        return None, [f"{MANIFEST}: not a valid manifest"]
    recorded = data.get(SELF_DIGEST)
    if recorded is None and str(data.get("manifest_version")) == "1":
        return data, [UNPROTECTED]
    actual = content_digest(data)
    if recorded != actual:
        return data, [
            f"{MANIFEST}: edited: its content sha256 is {actual[:16]}…, the manifest records "
            f"{str(recorded)[:16]}…"
        ]
    if raw != manifest_text(data).encode("utf-8"):
        return data, [f"{MANIFEST}: bytes changed outside its fields (content digest intact)"]
    return data, []


def verify_bundle(directory: str | Path) -> list[str]:
    """Problems with a bundle, one line each; an empty list means the manifest and every file are as
    written (a signature, when present, is checked by auditor.report.signing.check)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"{directory}: not a directory")
    data, problems = read_manifest(directory)
    if data is None:
        return problems
    files = data["files"]
    for name, entry in sorted(files.items()):
        if (
            not isinstance(name, str)
            or "/" in name
            or "\\" in name
            or name in ("", ".", "..", MANIFEST, SIGNATURE)
            or not isinstance(entry, dict)
        ):
            return problems + [f"{MANIFEST}: unsafe or malformed file entry {name!r}"]
        path = directory / name
        if not path.is_file() or path.is_symlink():
            problems.append(f"{name}: missing" if not path.exists() else f"{name}: not a regular file")
            continue
        try:
            actual = _sha(read_bytes(path, "a bundle file"))
        except InputError as exc:
            problems.append(f"{name}: {str(exc).split(': ', 1)[-1]}")
            continue
        if actual != entry.get("sha256"):
            problems.append(
                f"{name}: changed (sha256 {actual[:16]}…, manifest {str(entry.get('sha256'))[:16]}…)"
            )
    signed = isinstance(data.get("signing"), dict)
    for path in sorted(directory.iterdir()):
        if path.name == SIGNATURE and not signed:
            problems.append(f"{SIGNATURE}: present, but the manifest names no signing key")
        elif path.name not in (MANIFEST, SIGNATURE) and path.name not in files:
            problems.append(f"{path.name}: extra file not in the manifest")
    if signed and not (directory / SIGNATURE).is_file():
        problems.append(
            f"{SIGNATURE}: missing; the manifest says the bundle was signed by "
            f"{data['signing'].get('key_id')}"
        )
    if not problems or problems == [UNPROTECTED]:
        problems += _consistency(directory, data, files)
    return problems


def _consistency(directory: Path, data: dict, files: dict) -> list[str]:
    """The files agree with each other: run.json digests match the manifest and the snapshot."""
    out = []
    try:
        run = _read_json(directory / "run.json")
    except InputError:
        return ["run.json: missing or not JSON"]
    if not isinstance(run, dict):
        return ["run.json: not a run (a JSON object)"]
    if run.get("snapshot_digest") != data.get("snapshot_digest"):
        out.append("run.json: snapshot_digest differs from the manifest")
    if run.get("catalogue_digest") != data.get("run_catalogue_digest", data.get("catalogue_digest")):
        out.append("run.json: catalogue_digest differs from the manifest's run_catalogue_digest")
    if "snapshot.json" in files and files["snapshot.json"].get("sha256") != run.get("snapshot_digest"):
        out.append("snapshot.json: does not match run.json snapshot_digest")
    return out
