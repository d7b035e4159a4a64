"""AWS collectors: ``collect_aws(settings, progress) -> Snapshot``.

Public API: :class:`RoleTarget`, :class:`AwsSettings`, :func:`collect_aws`, :class:`CallCounter`,
:func:`last_call_counts` (API calls per (service, operation) of the most recent ``collect_aws`` in
this process) and ``OPERATIONS`` (the only calls the collectors make). See README.md for the call
formula and auditor-policy.json in samples/iam/ for the matching least-privilege policy.
"""

from __future__ import annotations

from auditor.collectors.aws.operations import OPERATIONS, CallCounter
from auditor.collectors.aws.run import AwsSettings, RoleTarget, collect_aws, last_call_counts

__all__ = ["OPERATIONS", "AwsSettings", "CallCounter", "RoleTarget", "collect_aws", "last_call_counts"]
