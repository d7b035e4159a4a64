"""Validation of command-line values the option parser accepts as plain text: an empty or malformed
value is a one-line InputError naming the option (exit 2), never a silently different run."""

from __future__ import annotations

import re

from auditor.model.snapshot import InputError

ACCOUNT = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
LABEL_KEY = re.compile(r"^([A-Za-z0-9.-]+/)?[A-Za-z0-9]([A-Za-z0-9_.:/ =+@-]*[A-Za-z0-9])?$")


def account(value: str | None, option: str = "--account") -> str | None:
    if value is not None and not ACCOUNT.match(value):
        raise InputError(f"{option}: expected a 12-digit AWS account id, found {value!r}")
    return value


def region(value: str | None, option: str = "--region") -> str | None:
    if value is not None and not REGION.match(value):
        raise InputError(f"{option}: expected an AWS region such as eu-west-1, found {value!r}")
    return value


def accounts(values: list[str] | None, option: str = "--trusted-account") -> list[str] | None:
    return [account(v, option) for v in values] if values else values


def label_keys(values: list[str] | None, option: str = "--app-label") -> list[str] | None:
    """Tag keys (AWS) or label keys (Kubernetes): not empty, no surrounding spaces, at most 128 characters."""
    for v in values or ():
        if not v or v != v.strip() or len(v) > 128 or not LABEL_KEY.match(v):
            raise InputError(
                f"{option}: expected a tag or label key such as app or app.kubernetes.io/name, found {v!r}"
            )
    return values


def name(value: str | None, option: str) -> str | None:
    if value is not None and not value.strip():
        raise InputError(f"{option}: expected a name, found an empty value")
    return value
