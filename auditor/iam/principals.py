"""Who is asking, and whether a file system policy's Principal / NotPrincipal names them (§2.3, §2.5,
edges 12 and 13)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, Literal

from auditor.iam.logic import FALSE, TRUE, UNKNOWN, Tri
from auditor.model.arn import Arn

ACCOUNT_ID = re.compile(r"^\d{12}$")
UNIQUE_ID = re.compile(r"^A(RO|ID|IP|NP|GP|KI|SC|NV|CC)A[A-Z0-9]+$")


@dataclass(frozen=True)
class Principal:
    """The caller of an NFS connection: anonymous (no ``iam`` mount option) or an IAM role (§2.3)."""

    kind: Literal["anonymous", "role"]
    arn: str | None = None  # arn:aws:iam::111122223333:role/path/name
    session_arn: str | None = None  # arn:aws:sts::111122223333:assumed-role/name/session
    role_id: str | None = None  # AROA...
    has_permissions_boundary: bool = False

    ANONYMOUS: ClassVar[Principal]

    @cached_property
    def account(self) -> str | None:
        for arn in (self.arn, self.session_arn):
            parsed = Arn.maybe(arn)
            if parsed and ACCOUNT_ID.match(parsed.account):
                return parsed.account
        return None

    @cached_property
    def role_name(self) -> str | None:
        if (parsed := Arn.maybe(self.arn)) and parsed.resource.startswith("role/"):
            return parsed.name
        session = _session(self.session_arn)
        return session[1] if session else None


Principal.ANONYMOUS = Principal(kind="anonymous")


def account_of_principal(name: str) -> str | None:
    """The account an account principal (``arn:aws:iam::ACCT:root`` or bare ``ACCT``) names, else None."""
    if ACCOUNT_ID.match(name):
        return name
    arn = Arn.maybe(name)
    if (
        arn
        and arn.service == "iam"
        and not arn.region
        and arn.resource == "root"
        and ACCOUNT_ID.match(arn.account)
    ):
        return arn.account
    return None


def _session(name: str | None) -> tuple[str, str] | None:
    """(account, role name) of an STS session ARN ``arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION``."""
    arn = Arn.maybe(name)
    session = arn.session() if arn and not arn.region and ACCOUNT_ID.match(arn.account) else None
    return (arn.account, session[0]) if arn and session else None


class PrincipalSet:
    """A Principal element prepared for matching: the strings that could name the caller, sorted by
    how (unique ids, ARNs, session ARNs) and the accounts it names."""

    __slots__ = ("accounts", "everyone", "names", "plain", "sessions", "unique_ids")

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names
        self.everyone = "*" in names
        self.unique_ids = frozenset(n for n in names if UNIQUE_ID.match(n))
        self.plain = names - self.unique_ids
        sessions = ((n, _session(n)) for n in self.plain)
        self.sessions = tuple((n, *s) for n, s in sessions if s is not None)
        self.accounts = frozenset(a for a in map(account_of_principal, names) if a is not None)

    def names_caller(self, who: Principal) -> Tri:
        """Whether one of the names names the caller's role or session (not its account): its unique id
        (any other unique id is dangling, edge 13), its role ARN, or a session of it (UNKNOWN when the
        caller's session name is not known)."""
        if who.kind != "role":
            return FALSE
        if who.role_id is not None and who.role_id in self.unique_ids:
            return TRUE
        if who.arn is not None and who.arn in self.plain:
            return TRUE
        if not self.sessions:
            return FALSE
        if who.session_arn is not None:
            return Tri.of(any(n == who.session_arn for n, _, _ in self.sessions))
        role, account = who.role_name, who.account
        same_role = any(name == role and acct == account for _, acct, name in self.sessions)
        return UNKNOWN if same_role else FALSE

    def names_account_of(self, who: Principal) -> bool:
        return who.account is not None and who.account in self.accounts

    def match(self, who: Principal) -> tuple[Tri, bool]:
        """Principal element (§2.3, §2.5): (whether it names the caller, whether it names the caller's
        account). A list is the OR of its entries, so both are answered and neither hides the other: ``*``
        matches everyone including anonymous; a role ARN matches the role and its sessions; a session ARN
        that session (UNKNOWN when the caller's session name is not known); an account principal delegates
        to the account's identity policies; unique ids are dangling (edge 13); Service / Federated /
        CanonicalUser principals match neither roles nor anonymous clients."""
        if self.everyone:
            return TRUE, False
        if who.kind != "role":
            return FALSE, False
        return self.names_caller(who), self.names_account_of(who)


def match_not_principal(names: frozenset[str], who: Principal) -> tuple[Tri, str | None]:
    """NotPrincipal (edge 12, IAM-NOTPRINCIPAL): matches everyone not listed, anonymous included. IAM
    checks the account, the role and the session in turn, so a role is excluded only when its account
    is listed too; otherwise the statement may still apply to it (UNKNOWN, possible lockout). Principals
    with a permissions boundary are always matched."""
    if "*" in names:
        return FALSE, None
    if who.kind != "role":
        return TRUE, None
    if who.has_permissions_boundary:
        return TRUE, "a principal with a permissions boundary is always matched by NotPrincipal"
    listed_names = PrincipalSet(names)
    listed = listed_names.names_caller(who)
    if listed is FALSE:
        return TRUE, None
    account_listed = listed_names.names_account_of(who)
    if listed is TRUE and account_listed:
        return FALSE, None
    why = (
        "its account is not listed next to it (IAM checks account, role and session in turn): "
        "possible lockout"
        if not account_listed
        else "its session may not be the one listed"
    )
    return UNKNOWN, f"NotPrincipal lists {who.arn or who.session_arn} but {why}"
