"""Amazon Resource Names: the one place the auditor parses and builds them.

``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE``: six colon-separated fields, the last of which may
itself contain colons (``function:NAME:QUALIFIER``). Every partition (``aws``, ``aws-cn``,
``aws-us-gov``, ...) is accepted as written; nothing here assumes ``aws``.

botocore has ``botocore.utils.ArnParser``, but it returns a dict, does not check the ``arn`` prefix and
knows nothing of resource types, so the auditor keeps this small value type instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

# Resource types whose id ends in ``:QUALIFIER`` (a Lambda version or alias, a task definition revision).
QUALIFIED = frozenset({"function", "task-definition"})


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, text: str) -> Arn:
        """The ARN ``text`` spells; ValueError (one line, naming the value) when it is not one."""
        if not isinstance(text, str):
            raise ValueError(f"{text!r} is not an ARN: not a string")
        fields = text.split(":", 5)
        problem = (
            "does not start with 'arn:'"
            if fields[0] != "arn"
            else "has fewer than six ':'-separated fields"
            if len(fields) != 6
            else "has an empty partition"
            if not fields[1]
            else "has an empty service"
            if not fields[2]
            else "has an empty resource"
            if not fields[5]
            else None
        )
        if problem:
            shown = text if len(text) <= 200 else text[:200] + "..."
            raise ValueError(
                f"{shown!r} is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE): {problem}"
            )
        return cls(*fields[1:])

    @classmethod
    def maybe(cls, text: object) -> Arn | None:
        """The ARN ``text`` spells, else None."""
        if not isinstance(text, str) or not text.startswith("arn:"):
            return None
        try:
            return cls.parse(text)
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    # --- the resource part ---------------------------------------------------------------------

    def _split(self) -> tuple[str, str]:
        """(type, id): split at the first ``/`` or ``:``; ("", resource) when there is neither."""
        cut = min((i for i in (self.resource.find("/"), self.resource.find(":")) if i >= 0), default=-1)
        return ("", self.resource) if cut < 0 else (self.resource[:cut], self.resource[cut + 1 :])

    @property
    def resource_type(self) -> str:
        """``role``, ``assumed-role``, ``file-system``, ``access-point``, ``function``, ``cluster``, ...;
        empty for a bare resource (``root``, an S3 bucket)."""
        return self._split()[0]

    @property
    def resource_id(self) -> str:
        """What follows the type: ``path/name`` of a role, ``role/session`` of an assumed role,
        ``fs-...``, ``name[:qualifier]`` of a function, ``family:revision`` of a task definition."""
        return self._split()[1]

    @property
    def segments(self) -> tuple[str, ...]:
        """The ``/``-separated parts of the id: (cluster, service) of an ECS service, (role, session)
        of an assumed role, (cluster, nodegroup, uuid) of an EKS node group."""
        return tuple(self.resource_id.split("/"))

    @property
    def name(self) -> str:
        """A function's name or a task definition's family (without qualifier), else the last
        ``/``-separated part of the id: a role's name without path, fs-..., fsap-..., a cluster's name."""
        rtype, rid = self._split()
        if rtype in QUALIFIED:
            return rid.rsplit(":", 1)[0]
        return rid.rsplit("/", 1)[-1]

    @property
    def qualifier(self) -> str | None:
        """A function's version or alias, a task definition's revision; None when absent."""
        rtype, rid = self._split()
        if rtype in QUALIFIED and ":" in rid:
            return rid.rsplit(":", 1)[1]
        return None

    @property
    def path(self) -> str:
        """An IAM role's or policy's path: ``/`` or ``/a/b/``."""
        middle = self.resource_id.rsplit("/", 1)[0] if "/" in self.resource_id else ""
        return f"/{middle}/" if middle else "/"

    def unqualified(self) -> Arn:
        """The ARN without its qualifier (a function's unqualified ARN, a task definition's family)."""
        if self.qualifier is None:
            return self
        return replace(self, resource=self.resource.rsplit(":", 1)[0])

    def session(self) -> tuple[str, str] | None:
        """(role name, session name) of an STS ``assumed-role/ROLE/SESSION`` ARN, else None."""
        if self.service != "sts" or self.resource_type != "assumed-role":
            return None
        role, _, session = self.resource_id.partition("/")
        return (role, session) if role and session else None

    def with_resource(self, resource: str, service: str | None = None, region: str | None = None) -> Arn:
        """Another ARN of the same partition and account."""
        return replace(
            self,
            resource=resource,
            service=self.service if service is None else service,
            region=self.region if region is None else region,
        )


def arn_fields(text: str) -> list[str]:
    """The colon-separated fields of an ARN or an ARN pattern (``arn:aws:iam::*:role/*``), the sixth
    keeping its colons; no validation: IAM's ArnLike matches a pattern field by field (§2.1)."""
    return text.split(":", 5)
