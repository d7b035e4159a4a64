"""Connection authorization (semantics §0 layer 4) with caching and access-point classes.

``Authz.grant`` answers, for a file system, a principal (a role ARN or anonymous), a transport and an
access point (or none), whether ClientMount, ClientWrite and ClientRootAccess are granted. It keeps
two kinds of "don't know" apart: data that was not collected (``missing``: the result is
NOT_ASSESSED) and semantics the docs leave open (``Decision.UNKNOWN`` with nothing missing: resolved
by the ``indeterminate_allows_reach`` setting and said in the evidence).

Possible reach over many access points stays near-linear: access points are grouped into classes
that every relevant policy treats alike (the same answer for every condition on
``elasticfilesystem:AccessPointArn``), and each class is evaluated once.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from auditor.graph.index import Index
from auditor.iam import Decision, PolicyError, Principal, RequestContext, authorize
from auditor.model.aws import AccessPoint, FileSystem, PolicyStatus
from auditor.model.ids import account_of
from auditor.params import Params

ACTIONS = ("ClientMount", "ClientWrite", "ClientRootAccess")
AP_KEY = "elasticfilesystem:accesspointarn"


@dataclass(frozen=True)
class Grant:
    mount: Decision
    write: Decision
    root: Decision
    reasons: tuple[str, ...] = ()
    unknowns: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # inputs that were not collected

    def allows(self, decision: Decision, params: Params) -> bool | None:
        """True / False, or None when it cannot be assessed."""
        if decision is Decision.ALLOW:
            return True
        if decision is Decision.DENY:
            return False
        if self.missing:
            return None
        return params.indeterminate_allows_reach

    def can_mount(self, params: Params) -> bool | None:
        return self.allows(self.mount, params)

    def can_write(self, params: Params) -> bool | None:
        m, w = self.allows(self.mount, params), self.allows(self.write, params)
        return None if m is None or w is None else m and w

    def can_root(self, params: Params) -> bool | None:
        return self.allows(self.root, params)

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ClientMount": self.mount.value, "ClientWrite": self.write.value, "ClientRootAccess": self.root.value,
            "reasons": list(self.reasons),
        }
        if self.unknowns:
            out["indeterminate"] = list(self.unknowns)
        if self.missing:
            out["not_collected"] = list(self.missing)
        return out


UNASSESSED = Decision.UNKNOWN


class Authz:
    def __init__(self, idx: Index, params: Params) -> None:
        self.idx = idx
        self.params = params
        self._cache: dict[tuple, Grant] = {}
        self._principals: dict[str | None, tuple] = {}
        self._partitions: dict[tuple, dict[tuple, list[AccessPoint]]] = {}

    # --- principals -------------------------------------------------------------------------------

    def principal(self, arn: str | None) -> tuple[Principal, list | None, Any, tuple[str, ...]]:
        if arn in self._principals:
            return self._principals[arn]
        if arn is None:
            out = (Principal.ANONYMOUS, [], None, ())
        else:
            role = self.idx.role(arn)
            if role is None:
                out = (Principal(kind="role", arn=arn), None, None, (f"role {arn} is not in the snapshot",))
            else:
                docs, missing = self.idx.identity_policies(role)
                out = (Principal(kind="role", arn=role.arn, role_id=role.role_id,
                                 has_permissions_boundary=role.permissions_boundary_arn is not None),
                       docs, self.idx.boundary(role), tuple(missing))
        self._principals[arn] = out
        return out

    # --- one connection ---------------------------------------------------------------------------

    def grant(self, fs: FileSystem | None, principal_arn: str | None, tls: bool, ap_arn: str | None,
              extra_identity: list | None = None) -> Grant:
        """Authorization of one connection. ``principal_arn`` None = anonymous."""
        if fs is None:
            return Grant(UNASSESSED, UNASSESSED, UNASSESSED, missing=("the file system is not in the snapshot",))
        if fs.policy_status is PolicyStatus.UNKNOWN:
            return Grant(UNASSESSED, UNASSESSED, UNASSESSED, missing=(f"the file system policy of {fs.file_system_id} could not be read",))
        key = (fs.arn, principal_arn, tls, ap_arn, id(extra_identity) if extra_identity else None)
        if key in self._cache:
            return self._cache[key]
        principal, docs, boundary, missing = self.principal(principal_arn)
        if extra_identity is not None:
            principal, docs, boundary, missing = extra_identity
        ctx = RequestContext(secure_transport=tls, access_point_arn=ap_arn)
        policy = fs.policy if fs.policy_status is PolicyStatus.PRESENT else None
        try:
            evals = [authorize(a, principal, ctx, file_system_arn=fs.arn, resource_policy=policy,
                               identity_policies=docs, permissions_boundary=boundary) for a in ACTIONS]
        except PolicyError as exc:
            g = Grant(UNASSESSED, UNASSESSED, UNASSESSED, missing=(f"a policy could not be evaluated: {exc}",))
            self._cache[key] = g
            return g
        reasons = tuple(dict.fromkeys(r for e in evals for r in e.reasons))
        unknowns = tuple(dict.fromkeys(u for e in evals for u in e.unknowns))
        # Missing identity data matters only when it could change the answer.
        relevant_missing = missing if any(e.decision is Decision.UNKNOWN for e in evals) else ()
        g = Grant(evals[0].decision, evals[1].decision, evals[2].decision, reasons, unknowns, relevant_missing)
        self._cache[key] = g
        return g

    # --- possible reach through access points -----------------------------------------------------

    def ap_classes(self, fs: FileSystem, principal_arn: str | None) -> list[APClass]:
        """The file system's access points grouped so that every member gets the same answer as the
        representative for this principal. Cost: the literal ARNs the policies name plus one pass per
        distinct set of wildcard patterns, cached per file system; member lists are shared, never copied."""
        aps = self.idx.aps_by_fs.get(fs.file_system_id, [])
        if not aps:
            return []
        _, docs, boundary, _ = self.principal(principal_arn)
        docs_all = [fs.policy or {}] + [d for _, d in (docs or [])] + ([boundary[1]] if boundary and boundary[1] else [])
        literals, wildcards = set(), set()
        for doc in docs_all:
            for value in _ap_condition_values(doc):
                (wildcards if ("*" in value or "?" in value or "${" in value) else literals).add(value)
        named = [self.idx.ap_by_arn[v] for v in sorted(literals) if v in self.idx.ap_by_arn
                 and self.idx.ap_by_arn[v].file_system_id == fs.file_system_id]
        classes = [APClass(("literal", ap.arn), [ap], frozenset(), ap) for ap in named]
        pats = sorted(wildcards)

        def signature(ap: AccessPoint) -> tuple[bool, ...]:
            return tuple(fnmatch.fnmatchcase(ap.arn, p.replace("${", "*")) for p in pats)

        part_key = (fs.file_system_id, frozenset(wildcards))
        partition = self._partitions.get(part_key)
        if partition is None:
            partition = {}
            for ap in aps:
                partition.setdefault(signature(ap), []).append(ap)
            self._partitions[part_key] = partition
        excluded: dict[tuple, set[str]] = {}
        for ap in named:
            excluded.setdefault(signature(ap), set()).add(ap.arn)
        for sig, members in partition.items():
            skip = frozenset(excluded.get(sig, ()))
            rep = next((ap for ap in members if ap.arn not in skip), None)
            if rep is not None:
                classes.append(APClass((part_key, sig), members, skip, rep))
        return classes


@dataclass(frozen=True)
class APClass:
    """Access points one principal's policies cannot tell apart. ``members`` is shared between
    principals; the ones in ``excluded`` were named literally and are evaluated on their own."""

    key: tuple
    members: list[AccessPoint]
    excluded: frozenset[str]
    rep: AccessPoint

    def count(self) -> int:
        return len(self.members) - len(self.excluded)


def _ap_condition_values(doc: dict) -> list[str]:
    out: list[str] = []
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    for st in statements if isinstance(statements, list) else []:
        cond = st.get("Condition") if isinstance(st, dict) else None
        if not isinstance(cond, dict):
            continue
        for block in cond.values():
            if not isinstance(block, dict):
                continue
            for key, values in block.items():
                if key.lower() == AP_KEY:
                    vals = values if isinstance(values, list) else [values]
                    out.extend(v for v in vals if isinstance(v, str))
    return out


def same_account(principal_arn: str | None, fs: FileSystem) -> bool:
    return principal_arn is not None and account_of(principal_arn) == fs.account_id
