"""Per-workload checks over every EFS mount the workload declares (never only the first volume)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.checks.base import FAIL, NOT_ASSESSED, PASS, Finding, finding
from auditor.analysis.access import Analysis
from auditor.analysis.mounts import Mount, WorkloadRef


def _volume(m: Mount) -> dict:
    return {"volume": m.volume, "file_system": m.fs_id, "access_point": m.ap_id, "directory": m.base_path}


def _wl(cid, status, ref: WorkloadRef, message, path, **ev) -> Finding:
    f = finding(cid, status, ref.id, ref.resource_type, ref.scope, message, path, application=ref.app, **ev)
    if ref.source:
        f.evidence["source_file"], f.evidence["source_line"] = ref.source
    return f


def unencrypted_mount(a: Analysis) -> Iterator[Finding]:
    cid = "efs_unencrypted_mount"
    for ref, mounts in a.workloads.values():
        vols = [{**_volume(m), "tls": m.tls, "why": m.tls_reason} for m in mounts]
        plain = [m for m in mounts if not m.tls and m.tls_reason != "unknown"]
        unknown = [m for m in mounts if m.tls_reason == "unknown"]
        if plain:
            yield _wl(cid, FAIL, ref, f"volume {plain[0].volume} mounts {plain[0].fs_id} without TLS ({plain[0].tls_reason})",
                      plain[0].path + [_fs_node(plain[0])], volumes=vols, rule="§3.2, §11")
        elif unknown:
            yield _wl(cid, NOT_ASSESSED, ref, "a volume could not be resolved", unknown[0].path, volumes=vols,
                      reason=[u for m in unknown for u in m.unresolved])
        else:
            yield _wl(cid, PASS, ref, f"all {len(mounts)} EFS volumes use TLS", [ref.id], volumes=vols)


def workload_runs_as_root(a: Analysis) -> Iterator[Finding]:
    """A container or pod identity with uid 0 or gid 0 on a mount that does not enforce an identity."""
    cid = "efs_workload_runs_as_root"
    gid0 = a.params.gid0_is_root
    for ref, mounts in a.workloads.values():
        rows, root, unknown = [], [], []
        for m in mounts:
            if m.ap is not None and m.ap.posix_user is not None:
                rows.append({**_volume(m), "identity": "enforced by the access point"})
                continue
            if m.unresolved and ((m.ap_id is not None and m.ap is None) or m.fs_id is None):
                # whether an access point enforces an identity is itself unknown
                unknown.append(m)
                rows.append({**_volume(m), "identity": "unknown: the volume or its access point was not resolved"})
                continue
            if not m.identities:
                if m.unresolved:
                    unknown.append(m)
                rows.append({**_volume(m), "identity": "no container mounts this volume"})
                continue
            for container, ident in m.identities:
                row = {**_volume(m), "container": container, **ident.evidence()}
                rows.append(row)
                if ident.may_be_root(gid0):
                    root.append((m, container, ident))
        if root:
            m, container, ident = root[0]
            what = "uid 0" if ident.uid == 0 else "gid 0" if ident.gid == 0 else (
                "possibly root (image default)" if ident.uid is None and ident.uid_may_be_root else "possibly gid 0")
            yield _wl(cid, FAIL, ref, f"container {container} runs as {what} on {m.fs_id} without an enforced identity",
                      m.path + [_fs_node(m)], mounts=rows, gid0_is_root=gid0,
                      rule="§1.3, §4.2, §6.6, edges 25, 26")
        elif unknown:
            yield _wl(cid, NOT_ASSESSED, ref, "a volume could not be resolved", unknown[0].path, mounts=rows,
                      reason=[u for m in unknown for u in m.unresolved])
        else:
            yield _wl(cid, PASS, ref, "no root identity on a mount without an enforced identity", [ref.id], mounts=rows)


def ecs_invalid_volume(a: Analysis) -> Iterator[Finding]:
    cid = "efs_ecs_invalid_volume"
    for ref, mounts in a.workloads.values():
        if ref.platform != "ecs":
            continue
        bad = [{**_volume(m), "problems": m.invalid} for m in mounts if m.invalid]
        if bad:
            yield _wl(cid, FAIL, ref, f"volume {bad[0]['volume']}: {bad[0]['problems'][0]}", [ref.id], volumes=bad,
                      rule="§4.1, edges 23, 24")
        else:
            yield _wl(cid, PASS, ref, f"{len(mounts)} EFS volumes are valid", [ref.id])


def _fs_node(m: Mount) -> str:
    return m.fs.arn if m.fs else f"efs:{m.fs_id}"
