"""File system policy checks. Each evaluates the policy semantically (what a client could do), not
by the presence of words in it (landscape: Prowler's action-blind policy check)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from auditor.analysis.access import Analysis
from auditor.analysis.authz import Grant
from auditor.checks.base import FAIL, NOT_ASSESSED, PASS, Finding, Status, Subject, scope_of
from auditor.graph.links import path_in_graph
from auditor.graph.reach import ANONYMOUS, class_node
from auditor.iam import Principal
from auditor.iam.queries import condition_keys, named_principals
from auditor.model.arn import Arn
from auditor.model.aws import FileSystem, PolicyStatus
from auditor.model.ids import arn_partition, dir_id

RTYPE = "AwsEfsFileSystem"
ENFORCED_KEYS = {
    "aws:securetransport",
    "elasticfilesystem:accesspointarn",
    "elasticfilesystem:accessedviamounttarget",
}
UNIQUE_ID = re.compile(r"^A(RO|ID|IP|NP|GP)A[A-Z0-9]{12,}$")
FOREIGN_ACCOUNT = "000000000000"  # a probe principal outside every trusted account
ALL_CLIENT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "elasticfilesystem:Client*", "Resource": "*"}],
}


Verdict = tuple[Status, str, dict]  # status, message, evidence; evidence["path"]: the result's path


def _per_file_system(cid: str, a: Analysis, judge: Callable[[FileSystem], Verdict]) -> Iterator[Finding]:
    """One result per file system: NOT_ASSESSED when its policy could not be read, else ``judge``'s."""
    for fs in a.snapshot.file_systems:
        if fs.policy_status is PolicyStatus.UNKNOWN:
            why = [i.error_code + ": " + i.message for i in a.idx.issues_by_resource.get(fs.arn, [])]
            status, message, evidence = (
                NOT_ASSESSED,
                "file system policy could not be read",
                {"reason": why or ["policy status unknown"]},
            )
        else:
            status, message, evidence = judge(fs)
        path = evidence.pop("path", None) if status is FAIL else None
        yield Subject(cid, fs.arn, RTYPE, scope_of(fs))(
            status, message, path=path or path_in_graph(a, fs.arn), **evidence
        )


def _contexts(
    a: Analysis, fs: FileSystem, principal: str | None, probe=None
) -> list[tuple[str, Grant, tuple[str, ...]]]:
    """The connections a principal could attempt: without an access point (TLS and plaintext) and
    through each class of access points, each with the graph nodes its reach path goes through."""
    grant = a.authz.grant
    root = (dir_id(fs.file_system_id, "/"),)
    out: list[tuple[str, Grant, tuple[str, ...]]] = [
        ("no access point, TLS", grant(fs, principal, True, None, probe), root),
        ("no access point, plaintext", grant(fs, principal, False, None, probe), root),
    ]
    for cls in a.authz.ap_classes(fs, principal):
        n = cls.count()
        label = f"access point {cls.rep.access_point_id}" + (f" (and {n - 1} alike)" if n > 1 else "")
        via = tuple(dict.fromkeys((class_node(cls), cls.rep.arn)))
        out.append((label, grant(fs, principal, True, cls.rep.arn, probe), via))
    return out


def _mountable(a: Analysis, contexts) -> tuple[list[dict], list[str], list[tuple[str, ...]]]:
    """Connections allowed (evidence rows), why some could not be assessed, and the allowed ones' hops."""
    allowed, missing, via = [], [], []
    for label, g, hops in contexts:
        ok = g.can_mount(a.params)
        if ok:
            allowed.append({"connection": label, **g.evidence()})
            via.append(hops)
        elif ok is None:
            missing.extend(g.missing)
    return allowed, missing, via


def policy_missing(a: Analysis) -> Iterator[Finding]:
    def judge(fs: FileSystem) -> Verdict:
        if fs.policy_status is PolicyStatus.ABSENT:
            return (
                FAIL,
                "no file system policy: the default policy gives every reachable client mount, write and root",
                {
                    "policy_status": "absent (PolicyNotFound)",
                    "rule": "§2.2, edge 1",
                    "path": path_in_graph(a, ANONYMOUS, dir_id(fs.file_system_id, "/"), fs.arn, alone=fs.arn),
                },
            )
        return PASS, "a file system policy is set", {"policy_status": "present"}

    return _per_file_system("efs_policy_missing", a, judge)


def policy_anonymous_access(a: Analysis) -> Iterator[Finding]:
    def judge(fs: FileSystem) -> Verdict:
        allowed, missing, via = _mountable(a, _contexts(a, fs, None))
        if allowed:
            return (
                FAIL,
                f"anonymous clients can mount ({allowed[0]['connection']})",
                {
                    "anonymous_connections_allowed": allowed,
                    "rule": "§2.3, edges 1, 2, 7",
                    "path": path_in_graph(a, ANONYMOUS, *via[0], fs.arn, alone=fs.arn),
                },
            )
        if missing:
            return NOT_ASSESSED, "could not evaluate", {"reason": missing}
        return PASS, "anonymous clients cannot mount", {}

    return _per_file_system("efs_policy_anonymous_access", a, judge)


def policy_no_secure_transport(a: Analysis) -> Iterator[Finding]:
    def judge(fs: FileSystem) -> Verdict:
        g = a.authz.grant(fs, None, False, None)
        ok = g.can_mount(a.params)
        if ok:
            return (
                FAIL,
                "plaintext (non-TLS) anonymous mounts are allowed",
                {
                    "plaintext_connection": g.evidence(),
                    "rule": "§3.2, §2.7, edge 38",
                    "path": path_in_graph(a, ANONYMOUS, dir_id(fs.file_system_id, "/"), fs.arn, alone=fs.arn),
                },
            )
        if ok is None:
            return NOT_ASSESSED, "could not evaluate", {"reason": list(g.missing)}
        return (
            PASS,
            "plaintext mounts are denied (IAM clients always use TLS)",
            {"plaintext_connection": g.evidence()},
        )

    return _per_file_system("efs_policy_no_secure_transport", a, judge)


def policy_cross_account(a: Analysis) -> Iterator[Finding]:
    trusted = set(a.params.trusted_accounts)

    def judge(fs: FileSystem) -> Verdict:
        probe = (
            Principal(
                kind="role", arn=str(Arn(arn_partition(fs.arn), "iam", "", FOREIGN_ACCOUNT, "role/any-role"))
            ),
            [("identity policy allowing elasticfilesystem:Client*", ALL_CLIENT)],
            None,
            (),
        )
        allowed, missing, _ = _mountable(
            a, [c for c in _contexts(a, fs, f"probe:{FOREIGN_ACCOUNT}", probe) if "plaintext" not in c[0]]
        )
        named = sorted(
            p
            for p in _allow_principals(fs.policy)
            if _account(p) not in (None, fs.account_id) and _account(p) not in trusted
        )
        if allowed or named:
            msg = "principals in other accounts can mount" if allowed else f"the policy grants {named[0]}"
            return (
                FAIL,
                msg,
                {
                    "untrusted_principals_named": named,
                    "any_untrusted_account_can_mount": allowed,
                    "trusted_accounts": sorted(trusted),
                    "rule": "§2.5, §8, edge 40",
                    "path": path_in_graph(a, named[0], fs.arn, alone=fs.arn) if named else None,
                },
            )
        if missing:
            return NOT_ASSESSED, "could not evaluate", {"reason": missing}
        return (
            PASS,
            "no principal outside the trusted accounts can mount",
            {"trusted_accounts": sorted(trusted)},
        )

    return _per_file_system("efs_policy_cross_account", a, judge)


def policy_unenforced_condition(a: Analysis) -> Iterator[Finding]:
    def judge(fs: FileSystem) -> Verdict:
        found = [c for c in condition_keys(fs.policy) if c["key"].lower() not in ENFORCED_KEYS]
        if found:
            return (
                FAIL,
                (
                    f"statement {found[0]['statement']} relies on {found[0]['key']}, "
                    "which EFS does not enforce for NFS clients"
                ),
                {
                    "conditions": found,
                    "assumption": "an Allow on such a key may apply, a Deny may not (§2.4, edge 15)",
                },
            )
        return PASS, "every condition uses a key EFS enforces for NFS clients", {}

    return _per_file_system("efs_policy_unenforced_condition", a, judge)


def policy_dangling_principal(a: Analysis) -> Iterator[Finding]:
    def judge(fs: FileSystem) -> Verdict:
        dangling = sorted(p for p in _all_principals(fs.policy) if UNIQUE_ID.match(p))
        if dangling:
            return (
                FAIL,
                f"the policy names {dangling[0]}, the unique id of a deleted principal",
                {
                    "dangling_principals": dangling,
                    "rule": "§2.5, edge 13",
                    "path": path_in_graph(a, dangling[0], fs.arn, alone=fs.arn),
                },
            )
        return PASS, "no dangling principals", {}

    return _per_file_system("efs_policy_dangling_principal", a, judge)


# --- syntactic helpers ----------------------------------------------------------------------------


def _allow_principals(policy) -> set[str]:
    return named_principals(policy, "Allow", negated=False)


def _all_principals(policy) -> set[str]:
    return named_principals(policy)


def _account(principal: str) -> str | None:
    if re.fullmatch(r"\d{12}", principal):
        return principal
    arn = Arn.maybe(principal)
    if arn and re.fullmatch(r"\d{12}", arn.account):
        return arn.account
    return None
