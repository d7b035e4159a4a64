"""Which principals a query needs to evaluate at all: a cheap superset test on policy documents, so that
`who-can` evaluates the few roles whose policies could allow an EFS client action on one file system
instead of every role of the estate. Never decides anything: the evaluation in evaluate.py does."""

from __future__ import annotations

from auditor.iam.patterns import glob_match

CLIENT_ACTIONS = (
    "elasticfilesystem:ClientMount",
    "elasticfilesystem:ClientWrite",
    "elasticfilesystem:ClientRootAccess",
)


def _items(value) -> list:
    return value if isinstance(value, list) else [value]


def _statements(document) -> list[dict]:
    if not isinstance(document, dict):
        return []
    return [s for s in _items(document.get("Statement") or []) if isinstance(s, dict)]


def may_allow_client_action(document, resource_arn: str) -> bool:
    """True unless the document surely allows no EFS client action on ``resource_arn`` (an Allow with a
    NotAction or NotResource, or one that cannot be read, counts as possibly allowing)."""
    if document is None:
        return False
    if not isinstance(document, dict):
        return True
    for s in _statements(document):
        if s.get("Effect") != "Allow":
            continue
        if "NotAction" in s or "NotResource" in s:
            return True
        actions = [a for a in _items(s.get("Action") or []) if isinstance(a, str)]
        if not any(glob_match(a, c, ignore_case=True) for a in actions for c in CLIENT_ACTIONS):
            continue
        resources = [r for r in _items(s.get("Resource") or []) if isinstance(r, str)]
        if any(glob_match(r, resource_arn) for r in resources):
            return True
    return False


def names_every_principal(document) -> bool:
    """An Allow whose Principal is ``*`` (or AWS ``*``), or a NotPrincipal: any principal may be granted."""
    for s in _statements(document):
        if s.get("Effect") != "Allow":
            continue
        if "NotPrincipal" in s:
            return True
        p = s.get("Principal")
        if p == "*" or (isinstance(p, dict) and "*" in _items(p.get("AWS") or [])):
            return True
    return False


def named_principals(document) -> set[str]:
    """ARNs an Allow statement of a resource policy names as AWS principals."""
    out: set[str] = set()
    for s in _statements(document):
        p = s.get("Principal")
        if s.get("Effect") == "Allow" and isinstance(p, dict):
            out.update(x for x in _items(p.get("AWS") or []) if isinstance(x, str))
    return out
