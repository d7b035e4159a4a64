"""The AWS clients the scheduled job reads baselines and delivers with, made in one place."""

from __future__ import annotations


def delivery_config():
    """Bounded clients for the baseline read, the upload and Security Hub, inside the reserve: botocore's
    defaults (60 s timeouts, legacy retries) could outlast it."""
    from botocore.config import Config

    return Config(connect_timeout=5, read_timeout=20, retries={"mode": "standard", "total_max_attempts": 4})


def client(session, service: str):
    """``session.client(service)`` with the delivery bounds."""
    return session.client(service, config=delivery_config())


def listing(s3, bucket: str, prefix: str) -> dict[str, int]:
    """Every key under the prefix, with its size."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {o["Key"]: o["Size"] for page in pages for o in page.get("Contents", [])}
