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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor.analysis.index import Index
from auditor.iam import Answer, Decision, Evaluation, PolicyError, Principal, can, parse_policy
from auditor.iam.evaluate import FS_POLICY
from auditor.iam.policy import Policy
from auditor.iam.queries import (
    AP_KEY,
    access_point_condition_values,
    glob_match,
    is_pattern,
    widen_variables,
)
from auditor.model.aws import AccessPoint, FileSystem, PolicyStatus
from auditor.params import Params

ACTIONS = ("ClientMount", "ClientWrite", "ClientRootAccess")

# What authorization needs of a principal: the principal, its identity policies as (label, document)
# (None when they could not be read), its permissions boundary as (label, document) or None, and what
# is missing from the snapshot.
PrincipalFacts = tuple[Principal, list | None, Any, tuple[str, ...]]


class Grant:
    """The decisions for one connection. Each action is evaluated on first use, so a question
    that needs only ClientMount costs one evaluation."""

    def __init__(
        self,
        decide: Callable[[str], Evaluation | Answer] | None,
        missing: tuple[str, ...] = (),
        identity_missing: tuple[str, ...] = (),
    ) -> None:
        self._decide = decide
        self._evals: dict[str, Evaluation | Answer] = {}
        self._missing = missing  # the file system or its policy was not collected
        self._identity_missing = identity_missing  # matters only when a decision is UNKNOWN
        self._shown: dict[tuple[str, ...], tuple[tuple[str, ...], dict[str, Any]]] | None = None

    def _eval(self, action: str) -> Evaluation | Answer:
        ev = self._evals.get(action)
        if ev is None:
            if self._decide is None:
                ev = Evaluation(Decision.UNKNOWN, (), ())
            else:
                try:
                    ev = self._decide(action)
                except PolicyError as exc:
                    self._missing += (f"a policy could not be evaluated: {exc}",)
                    ev = Evaluation(Decision.UNKNOWN, (), ())
            self._evals[action] = ev
        return ev

    @property
    def mount(self) -> Decision:
        return self._eval("ClientMount").decision

    @property
    def write(self) -> Decision:
        return self._eval("ClientWrite").decision

    @property
    def root(self) -> Decision:
        return self._eval("ClientRootAccess").decision

    @property
    def missing(self) -> tuple[str, ...]:
        if self._missing:
            return self._missing
        if self._identity_missing and any(e.decision is Decision.UNKNOWN for e in self._evals.values()):
            return self._identity_missing
        return ()

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
        ev = self._evals.get("ClientMount") or self._eval("ClientMount")
        return self.allows(ev.decision, params)

    def can_write(self, params: Params) -> bool | None:
        m = self.can_mount(params)
        if m is False:
            return False
        w = self.allows(self.write, params)
        return None if m is None or w is None else w

    def can_root(self, params: Params) -> bool | None:
        return self.allows(self.root, params)

    def evidence(self, actions: tuple[str, ...] = ACTIONS) -> dict[str, Any]:
        """The decisions as evidence. Built once per set of actions and shared by every result that
        shows it (results are never changed once made); built again if what is missing has changed."""
        evals = [self._eval(a) for a in actions]
        missing = self.missing
        if self._shown is None:
            self._shown = {}
        got = self._shown.get(actions)
        if got is not None and got[0] == missing:
            return got[1]
        out: dict[str, Any] = {a: _VALUE[e.decision] for a, e in zip(actions, evals)}
        if len(evals) == 1:
            out["reasons"] = list(dict.fromkeys(evals[0].reasons))
            unknowns = list(dict.fromkeys(evals[0].unknowns))
        else:
            out["reasons"] = list(dict.fromkeys(r for e in evals for r in e.reasons))
            unknowns = list(dict.fromkeys(u for e in evals for u in e.unknowns))
        if unknowns:
            out["indeterminate"] = unknowns
        if missing:
            out["not_collected"] = list(missing)
        self._shown[actions] = (missing, out)
        return out


_VALUE = {d: d.value for d in Decision}


class Authz:
    def __init__(self, idx: Index, params: Params) -> None:
        self.idx = idx
        self.params = params
        self._cache: dict[tuple, Grant] = {}
        self._principals: dict[str | None, PrincipalFacts] = {}
        self._partitions: dict[tuple, dict[tuple, list[AccessPoint]]] = {}
        self._fs_policies: dict[str, Any] = {}
        self._ap_checks: dict[tuple, tuple | None] = {}
        self._alike: dict[tuple, Grant] = {}
        self._ap_values: dict[int, tuple[Any, list[str]]] = {}  # id(document) -> (document, AP values)

    # --- principals -------------------------------------------------------------------------------

    def principal(self, arn: str | None) -> PrincipalFacts:
        if arn in self._principals:
            return self._principals[arn]
        out: PrincipalFacts
        if arn is None:
            out = (Principal.ANONYMOUS, [], None, ())
        else:
            role = self.idx.role(arn)
            if role is None:
                out = (Principal(kind="role", arn=arn), None, None, (f"role {arn} is not in the snapshot",))
            else:
                docs, missing = self.idx.identity_policies(role)
                boundary = self.idx.boundary(role)
                if boundary and boundary[1] is not None:
                    boundary = (boundary[0], _parse_once(boundary[1], boundary[0]))
                out = (
                    Principal(
                        kind="role",
                        arn=role.arn,
                        role_id=role.role_id,
                        has_permissions_boundary=role.permissions_boundary_arn is not None,
                    ),
                    None if docs is None else [(label, _parse_once(d, label)) for label, d in docs],
                    boundary,
                    tuple(missing),
                )
        self._principals[arn] = out
        return out

    # --- one connection ---------------------------------------------------------------------------

    def grant(
        self,
        fs: FileSystem | None,
        principal_arn: str | None,
        tls: bool | None,
        ap_arn: str | None,
        extra_identity: PrincipalFacts | None = None,
    ) -> Grant:
        """Authorization of one connection. ``principal_arn`` None = anonymous."""
        if fs is None:
            return Grant(None, ("the file system is not in the snapshot",))
        if fs.policy_status is PolicyStatus.UNKNOWN:
            return Grant(None, (f"the file system policy of {fs.file_system_id} could not be read",))
        key = (fs.arn, principal_arn, tls, ap_arn, id(extra_identity) if extra_identity else None)
        if key in self._cache:
            return self._cache[key]
        principal, docs, boundary, missing = extra_identity or self.principal(principal_arn)
        past_boundary = self.params.fs_policy_grant_ignores_boundary
        policy = None
        if fs.policy_status is PolicyStatus.PRESENT:
            policy = self._fs_policies.get(fs.arn)
            if policy is None:
                policy = self._fs_policies[fs.arn] = _parse_once(fs.policy or {}, FS_POLICY)

        checks = self._access_point_checks(key, policy, docs, boundary)
        alike = None
        if checks is not None and ap_arn is not None:
            alike = (*key[:3], key[4], tuple(c.evaluate(ap_arn) for c in checks))
            g = self._alike.get(alike)
            if g is not None:
                self._cache[key] = g
                return g

        def decide(action: str) -> Answer:
            return can(
                principal,
                action,
                fs,
                ap_arn,
                transport_secure=tls,
                identity_policies=docs,
                permissions_boundary=boundary,
                file_system_policy=policy,
                fs_grant_past_boundary=past_boundary,
            )

        g = self._cache[key] = Grant(decide, (), tuple(missing))
        if alike is not None:
            self._alike[alike] = g
        return g

    def _access_point_checks(self, key: tuple, policy, docs, boundary) -> tuple | None:
        """The conditions on elasticfilesystem:AccessPointArn in the policies a connection is evaluated
        against (file system policy, identity policies, boundary), or None when a document is not parsed.
        The access point ARN enters an evaluation only through these conditions (auditor/iam/evaluate.py:
        the request context's one key that names it), so two access points on which each of them has the
        same outcome, notes included, get the same answer, reasons included: ``grant`` evaluates the
        first and gives the others its Grant (exact, unlike the classes below, which assume patterns)."""
        ckey = (key[0], key[1], key[4])
        if ckey in self._ap_checks:
            return self._ap_checks[ckey]
        docs_all = [policy] if policy is not None else []
        docs_all += [d for _, d in docs or ()]
        if boundary and boundary[1] is not None:
            docs_all.append(boundary[1])
        checks = None
        if all(isinstance(d, Policy) for d in docs_all):
            checks = tuple(
                c for d in docs_all for st in d.compiled.statements for c in st.conditions if c.key == AP_KEY
            )
        self._ap_checks[ckey] = checks
        return checks

    # --- possible reach through access points -----------------------------------------------------

    def ap_classes(self, fs: FileSystem, principal_arn: str | None) -> list[APClass]:
        """The file system's access points grouped so that every member gets the same answer as the
        representative for this principal. Cost: the literal ARNs the policies name plus one pass per
        distinct set of wildcard patterns, cached per file system; member lists are shared, never copied."""
        aps = self.idx.aps_by_fs.get(fs.file_system_id, [])
        if not aps:
            return []
        _, docs, boundary, _ = self.principal(principal_arn)
        docs_all = (
            [fs.policy or {}]
            + [d for _, d in (docs or [])]
            + ([boundary[1]] if boundary and boundary[1] else [])
        )
        literals: set[str] = set()
        wildcards: set[str] = set()
        for doc in docs_all:
            held = self._ap_values.get(id(doc))
            if held is None or held[0] is not doc:  # each document read once (the file system's: per fs)
                held = self._ap_values[id(doc)] = (doc, access_point_condition_values(doc))
            for value in held[1]:
                (wildcards if is_pattern(value) else literals).add(value)
        named = [
            self.idx.ap_by_arn[v]
            for v in sorted(literals)
            if v in self.idx.ap_by_arn and self.idx.ap_by_arn[v].file_system_id == fs.file_system_id
        ]
        classes = [APClass(("literal", ap.arn), [ap], frozenset(), ap) for ap in named]
        pats = [widen_variables(p) for p in sorted(wildcards)]

        def signature(ap: AccessPoint) -> tuple[bool, ...]:
            return tuple(glob_match(p, ap.arn) for p in pats)

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


def _parse_once(document: dict, label: str):
    """Parse a policy once for every evaluation; a malformed one stays raw so that evaluating it
    raises PolicyError where the grant records it as not assessable."""
    try:
        return parse_policy(document, label)
    except PolicyError:
        return document
