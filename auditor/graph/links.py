"""Linked evidence: every FAIL names the resources on the other layers it connects to, as ids.

- a principal (IAM role) FAIL names the workloads that carry it and which of their mounts it makes
  (``workloads``, ``mounts``); the EFS CSI node role is carried by every pod whose volume it mounts;
- an access point FAIL names the workloads that mount it (``mounted_by``);
- a workload FAIL names its principals and access points (``principals``, ``access_points``).

One index per analysis, built in one pass over the mounts; each FAIL costs a dictionary lookup.
Keys a check already set are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.model.result import Status

ROLE, AP = "AwsIamRole", "AwsEfsAccessPoint"


@dataclass
class Links:
    by_principal: dict[str, list[dict]] = field(default_factory=dict)
    by_access_point: dict[str, list[str]] = field(default_factory=dict)
    by_workload: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)


def mount_ref(m) -> dict:
    """One mount as ids: workload, volume name, file system id, access point ARN (or id if not collected)."""
    return {
        "workload": m.workload.id,
        "volume": m.volume,
        "file_system": m.fs_id,
        "access_point": m.ap.arn if m.ap is not None else m.ap_id,
    }


def links_of(a) -> Links:
    got = a.__dict__.get("links")
    if got is None:
        got = a.__dict__["links"] = _index(a)
    return got


def _index(a) -> Links:
    out = Links()
    for m in a.mounts:
        wid = m.workload.id
        principals = list(m.principal_arns) if m.iam else ["anonymous"]
        ref = mount_ref(m)
        for p in m.principal_arns if m.iam else ():
            out.by_principal.setdefault(p, []).append(ref)
        if m.ap is not None:
            mounted = out.by_access_point.setdefault(m.ap.arn, [])
            if wid not in mounted:
                mounted.append(wid)
        ps, aps = out.by_workload.setdefault(wid, ([], []))
        ps.extend(p for p in principals if p not in ps)
        if ref["access_point"] and ref["access_point"] not in aps:
            aps.append(ref["access_point"])
    return out


def link(a, f):
    """Add the linked ids to a FAIL's evidence (in place) and return it (an auditor.checks.base.Finding)."""
    if f.status is not Status.FAIL:
        return f
    idx = links_of(a)
    ev = f.evidence
    if f.resource_type == ROLE:
        mounts = idx.by_principal.get(f.resource_id, [])
        ev.setdefault("workloads", sorted({m["workload"] for m in mounts}))
        ev.setdefault("mounts", mounts)
    elif f.resource_type == AP:
        ev.setdefault("mounted_by", sorted(idx.by_access_point.get(f.resource_id, [])))
    elif f.resource_id in idx.by_workload:
        principals, aps = idx.by_workload[f.resource_id]
        ev.setdefault("principals", principals)
        ev.setdefault("access_points", aps)
    return f
