"""Which POSIX identity a workload presents to EFS, and over which transport (semantics §1.4, §3.2,
§4.2, §5, §6.2, §6.6, §6.8, §11)."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.model.aws import AccessPoint, EfsVolumeConfiguration
from auditor.model.k8s import Container, PodTemplate


@dataclass(frozen=True)
class PosixIdentity:
    uid: int | None  # None: decided by something the auditor cannot see (the image)
    gid: int | None
    groups: tuple[int, ...]
    source: str
    uid_may_be_root: bool
    gid_may_be_root: bool
    enforced_by: str | None = None  # access point id when EFS replaces the client's identity
    notes: tuple[str, ...] = ()

    def may_be_root(self, gid0_is_root: bool = True) -> bool:
        """§1.3: uid 0 or (conservatively, per the docs' wording) gid 0 bypasses permission checks."""
        return self.uid_may_be_root or (gid0_is_root and self.gid_may_be_root)

    def evidence(self) -> dict:
        return {
            "uid": self.uid if self.uid is not None else "unknown",
            "gid": self.gid if self.gid is not None else "unknown",
            "groups": list(self.groups),
            "source": self.source,
            "enforced_by_access_point": self.enforced_by,
            "notes": list(self.notes),
        }


def from_access_point(ap: AccessPoint) -> PosixIdentity | None:
    """§1.4: a PosixUser replaces the client's uid, gid and groups for every operation."""
    pu = ap.posix_user
    if pu is None:
        return None
    return PosixIdentity(
        uid=pu.uid,
        gid=pu.gid,
        groups=tuple(pu.secondary_gids),
        source=f"access point {ap.access_point_id} PosixUser",
        uid_may_be_root=pu.uid == 0,
        gid_may_be_root=pu.gid == 0,
        enforced_by=ap.access_point_id,
    )


def _num(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def from_ecs_user(user: str | None) -> PosixIdentity:
    """§4.2 (Docker semantics): ``user`` → image USER → root; no group ⇒ the image's primary group,
    or gid 0 when the image has none for that uid (edge 25)."""
    if user is None or not user.strip():
        return PosixIdentity(
            uid=None,
            gid=None,
            groups=(),
            source="image default (no container user set)",
            uid_may_be_root=True,
            gid_may_be_root=True,
            notes=(
                "no user in the container definition: the image's USER applies, root when it sets none (§4.2)",
            ),
        )
    name, _, group = user.strip().partition(":")
    uid = 0 if name == "root" else _num(name)
    notes: list[str] = []
    if uid is None:
        notes.append(f"user {name!r} is a name: its uid comes from the image's /etc/passwd")
    if group:
        gid = 0 if group == "root" else _num(group)
        if gid is None:
            notes.append(f"group {group!r} is a name: its gid comes from the image's /etc/group")
        gid_root = gid == 0
    else:
        gid = None
        gid_root = uid is not None  # numeric uid without group: gid 0 unless the image defines one
        notes.append(
            "no group in `user`: the primary group comes from the image's /etc/passwd; without an entry "
            "for this uid the container runs with gid 0 (§4.2, edge 25)"
            if uid is not None
            else "no group in `user`: the named user's primary group applies"
        )
    return PosixIdentity(
        uid=uid,
        gid=gid,
        groups=(),
        source=f"container user {user!r}",
        uid_may_be_root=uid == 0,
        gid_may_be_root=gid_root,
        notes=tuple(notes),
    )


def from_pod(template: PodTemplate, container: Container, max_groups: int = 16) -> PosixIdentity:
    """§6.6: uid = container runAsUser → pod runAsUser → image USER → 0; gid = runAsGroup
    (container over pod) → image primary group → 0; groups = supplementalGroups ∪ fsGroup ∪ image."""
    pod = template.security_context
    ctr = container.security_context
    uid = _first(ctr and ctr.run_as_user, pod and pod.run_as_user)
    gid = _first(ctr and ctr.run_as_group, pod and pod.run_as_group)
    non_root = bool(_first(ctr and ctr.run_as_non_root, pod and pod.run_as_non_root))
    notes: list[str] = []
    if uid is None:
        notes.append(
            "runAsNonRoot: the image's non-root USER applies"
            if non_root
            else "no runAsUser: the image's USER applies, root when it sets none (§6.6)"
        )
    if gid is None:
        notes.append(
            "no runAsGroup: the primary group comes from the image; without a passwd entry for the uid it is "
            "gid 0, and runAsNonRoot does not prevent gid 0 (§6.6, edge 26)"
        )
    groups = sorted(
        set((pod.supplemental_groups or []) if pod else [])
        | ({pod.fs_group} if pod and pod.fs_group is not None else set())
    )
    if pod is None or pod.supplemental_groups_policy != "Strict":
        notes.append("group memberships from the image's /etc/group are added as well (edge 36)")
    if len(groups) > max_groups:
        notes.append(
            f"{len(groups)} groups: NFS carries at most {max_groups}; which survive is client-order dependent (edge 35)"
        )
    return PosixIdentity(
        uid=uid,
        gid=gid,
        groups=tuple(groups),
        source=f"securityContext of container {container.name}",
        uid_may_be_root=(uid == 0) or (uid is None and not non_root),
        gid_may_be_root=(gid == 0) or gid is None,
        notes=tuple(notes),
    )


def lambda_identity(sandbox_uid: int | None) -> PosixIdentity:
    """§5, edge 42: without a PosixUser, the Lambda sandbox's non-root user (uid UNVERIFIED)."""
    return PosixIdentity(
        uid=sandbox_uid,
        gid=sandbox_uid,
        groups=(),
        source="Lambda sandbox user",
        uid_may_be_root=False,
        gid_may_be_root=False,
        notes=(
            "Lambda runs functions as a non-root sandbox user; its uid is UNVERIFIED (setting lambda_sandbox_uid)",
        ),
    )


def _first(*values):
    for v in values:
        if v is not None:
            return v
    return None


# --- transport ---------------------------------------------------------------------------------


def ecs_tls(vol: EfsVolumeConfiguration) -> tuple[bool, str]:
    """§4.1: transitEncryption defaults to DISABLED."""
    if vol.transit_encryption == "ENABLED":
        return True, "transitEncryption ENABLED"
    if vol.transit_encryption is None:
        return False, "transitEncryption omitted (ECS default DISABLED)"
    return False, f"transitEncryption {vol.transit_encryption}"


def csi_tls(
    attributes: dict[str, str] | None,
    mount_flags: set[str],
    has_ap: bool,
    driver_version: tuple[int, int, int] | None = None,
) -> tuple[bool, str]:
    """§6.2: encryptInTransit defaults to true; an access point always adds tls (edge 27). Both since
    driver v1.0.0: before it, TLS came only from the ``tls`` mount option."""
    raw = (attributes or {}).get("encryptInTransit")
    if driver_version is not None and driver_version < (1, 0, 0):
        release = "v" + ".".join(map(str, driver_version))
        if "tls" in mount_flags:
            return True, f"tls mount option (driver {release})"
        return False, f"driver {release} is older than v1.0.0: TLS only with the tls mount option (§6.2)"
    if has_ap:
        return True, "access point volumes always mount with tls (§6.2)"
    if "tls" in mount_flags:
        return True, "tls mount option"
    if raw is not None and raw.strip().lower() == "false":
        return False, 'encryptInTransit: "false" and no access point'
    return True, "encryptInTransit defaults to true" if raw is None else f'encryptInTransit: "{raw}"'
