"""Per-workload checks over every EFS mount the workload declares (never only the first volume)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.analysis.access import Analysis
from auditor.analysis.mounts import Mount, WorkloadRef
from auditor.checks.base import FAIL, NOT_ASSESSED, PASS, Finding, Subject
from auditor.graph.links import mount_path


def _volume(m: Mount, **more) -> dict:
    return {
        "volume": m.volume,
        "file_system": m.fs_id,
        "access_point": m.ap_id,
        "directory": m.base_path,
        **more,
    }


def _wl(cid, status, ref: WorkloadRef, message, path, **ev) -> Finding:
    f = Subject(cid, ref.id, ref.resource_type, ref.scope)(
        status, message, path=path, application=ref.app, **ev
    )
    if ref.source:
        f.evidence["source_file"], f.evidence["source_line"] = ref.source
    return f


def unencrypted_mount(a: Analysis) -> Iterator[Finding]:
    """A volume that cannot mount (a configuration AWS rejects, edge 23) carries no traffic: it is not an
    unencrypted mount; it is reported by efs_workload_volume_unmountable and noted here."""
    cid = "efs_unencrypted_mount"
    for ref, mounts in a.workloads.values():
        vols = [_transport(m) for m in mounts]
        valid = [m for m in mounts if not m.invalid]
        plain = [m for m in valid if m.tls is False]
        unknown = [m for m in valid if m.tls is None]
        if plain:
            yield _wl(
                cid,
                FAIL,
                ref,
                f"volume {plain[0].volume} mounts {plain[0].fs_id} without TLS ({plain[0].tls_reason})",
                mount_path(a, plain[0]),
                volumes=vols,
                rule="§3.2, §11",
            )
        elif unknown:
            yield _wl(
                cid,
                NOT_ASSESSED,
                ref,
                "a volume could not be resolved",
                unknown[0].path,
                volumes=vols,
                reason=[u for m in unknown for u in m.unresolved]
                or [f"volume {unknown[0].volume}: transport unknown"],
            )
        elif not valid:
            yield _wl(
                cid,
                NOT_ASSESSED,
                ref,
                "no EFS volume of the workload can mount",
                [ref.id],
                volumes=vols,
                reason=[_invalid_note(m)["not_evaluated"] for m in mounts],
            )
        else:
            skipped = len(mounts) - len(valid)
            extra = f"; {skipped} cannot mount (efs_workload_volume_unmountable)" if skipped else ""
            yield _wl(
                cid,
                PASS,
                ref,
                f"all {len(valid)} mountable EFS volumes use TLS{extra}",
                [ref.id],
                volumes=vols,
            )


def _transport(m: Mount) -> dict:
    row = {
        "volume": m.volume,
        "file_system": m.fs_id,
        "access_point": m.ap_id,
        "directory": m.base_path,
        "tls": m.tls,
        "why": m.tls_reason,
    }
    if m.invalid:
        row["not_evaluated"] = _invalid_note(m)["not_evaluated"]
    return row


def _invalid_note(m: Mount) -> dict:
    if not m.invalid:
        return {}
    return {
        "not_evaluated": f"volume {m.volume} cannot mount ({m.invalid[0]}): see efs_workload_volume_unmountable"
    }


def workload_runs_as_root(a: Analysis) -> Iterator[Finding]:
    """A container or pod identity with uid 0 or gid 0 on a mount that does not enforce an identity."""
    cid = "efs_workload_runs_as_root"
    gid0 = a.params.gid0_is_root
    for ref, mounts in a.workloads.values():
        rows, root, unknown = [], [], []
        for m in mounts:
            if (
                m.invalid
            ):  # never runs with this volume (edge 23): reported by efs_workload_volume_unmountable
                rows.append(_volume(m, identity="not evaluated", **_invalid_note(m)))
                continue
            if m.ap is not None and m.ap.posix_user is not None:
                rows.append(_volume(m, identity="enforced by the access point"))
                continue
            if m.unresolved and ((m.ap_id is not None and m.ap is None) or m.fs_id is None):
                # whether an access point enforces an identity is itself unknown
                unknown.append(m)
                rows.append(_volume(m, identity="unknown: the volume or its access point was not resolved"))
                continue
            if not m.identities:
                if m.unresolved:
                    unknown.append(m)
                rows.append(_volume(m, identity="no container mounts this volume"))
                continue
            for container, ident in m.identities:
                row = _volume(m, container=container, **ident.evidence())
                rows.append(row)
                if ident.may_be_root(gid0):
                    root.append((m, container, ident))
        if root:
            m, container, ident = root[0]
            what = (
                "uid 0"
                if ident.uid == 0
                else "gid 0"
                if ident.gid == 0
                else (
                    "possibly root (image default)"
                    if ident.uid is None and ident.uid_may_be_root
                    else "possibly gid 0"
                )
            )
            yield _wl(
                cid,
                FAIL,
                ref,
                f"container {container} runs as {what} on {m.fs_id} without an enforced identity",
                mount_path(a, m),
                mounts=rows,
                gid0_is_root=gid0,
                rule="§1.3, §4.2, §6.6, edges 25, 26",
            )
        elif unknown:
            yield _wl(
                cid,
                NOT_ASSESSED,
                ref,
                "a volume could not be resolved",
                unknown[0].path,
                mounts=rows,
                reason=[u for m in unknown for u in m.unresolved],
            )
        elif all(m.invalid for m in mounts):
            yield _wl(
                cid,
                NOT_ASSESSED,
                ref,
                "no EFS volume of the workload can mount",
                [ref.id],
                mounts=rows,
                reason=[_invalid_note(m)["not_evaluated"] for m in mounts],
            )
        else:
            yield _wl(
                cid,
                PASS,
                ref,
                "no root identity on a mount without an enforced identity",
                [ref.id],
                mounts=rows,
            )


def ecs_invalid_volume(a: Analysis) -> Iterator[Finding]:
    cid = "efs_ecs_invalid_volume"
    for ref, mounts in a.workloads.values():
        if ref.platform != "ecs":
            continue
        bad = [{**_volume(m), "problems": m.invalid} for m in mounts if m.invalid]
        if bad:
            yield _wl(
                cid,
                FAIL,
                ref,
                f"volume {bad[0]['volume']}: {bad[0]['problems'][0]}",
                [ref.id],
                volumes=bad,
                rule="§4.1, edges 23, 24",
            )
        else:
            yield _wl(cid, PASS, ref, f"{len(mounts)} EFS volumes are valid", [ref.id])


def workload_volume_unmountable(a: Analysis) -> Iterator[Finding]:
    """Every configured EFS volume of every workload kind can mount (§0 layer 4, §4.1, §5, §6.5, edges 23,
    24): FAIL when a configuration AWS rejects or a certain deny of ClientMount for the mount's principal
    (anonymous, task role, execution role, CSI node identity) makes a volume unmountable."""
    cid = "efs_workload_volume_unmountable"
    for ref, mounts in a.workloads.values():
        rows, bad, unknown = [], [], []
        for m in mounts:
            row, ok, reasons = _mountable(a, m)
            rows.append(row)
            if ok is False:
                bad.append((m, row))
            elif ok is None:
                unknown.extend(reasons)
        if bad:
            m, row = bad[0]
            yield _wl(
                cid,
                FAIL,
                ref,
                f"volume {m.volume} cannot mount {m.fs_id}: {row['why']}",
                mount_path(a, m),
                volumes=rows,
                rule="§0 layer 4, §4.1, §5, §6.5, edges 23, 24",
            )
        elif unknown:
            yield _wl(
                cid,
                NOT_ASSESSED,
                ref,
                "whether every volume can mount could not be evaluated",
                [ref.id],
                volumes=rows,
                reason=list(dict.fromkeys(unknown)),
            )
        else:
            yield _wl(cid, PASS, ref, f"all {len(mounts)} EFS volumes can mount", [ref.id], volumes=rows)


def _mountable(a: Analysis, m: Mount) -> tuple[dict, bool | None, list[str]]:
    """(evidence row, whether the configured connection can mount, why not assessed)."""
    row: dict[str, Any] = {
        "volume": m.volume,
        "file_system": m.fs_id,
        "access_point": m.ap_id,
        "directory": m.base_path,
    }
    if m.invalid:
        row["cause"], row["problems"], row["why"] = "configuration", m.invalid, m.invalid[0]
        return row, False, []
    conn = a.connection(m)
    ok = conn.can("mount", a.params)
    row["principal"], row["principal_why"] = conn.principal_names(), m.principal_note
    if ok is None:
        reasons = conn.not_assessed or ["authorization of the configured mount is indeterminate"]
        row["cause"], row["not_assessed"] = "unknown", reasons
        return row, None, reasons
    row["authorization"] = conn.grant_evidence(("ClientMount",))
    if ok is False:
        who = ", ".join(conn.principal_names())
        row["cause"], row["why"] = "authorization", f"ClientMount is denied to {who} ({m.principal_note})"
    return row, ok, []
