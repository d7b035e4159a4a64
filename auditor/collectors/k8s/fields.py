"""Typed reads of raw Kubernetes objects (camelCase dicts as the API or kubectl return them).

Every read names the field it looks at, so a wrong type becomes one ``FieldError`` with a dotted
path (``spec.template.spec.containers[0].securityContext.runAsUser``) and what was found. Only
identity-relevant fields are read: never env values, secrets or tokens.
"""

from __future__ import annotations

from typing import Any

from auditor.model.k8s import (
    Container,
    CsiSource,
    NfsSource,
    PodTemplate,
    PodVolume,
    SecurityContext,
    VolumeMount,
)

MAX_ID = 2**31 - 1  # Kubernetes validates uids and gids as 0..2147483647


class FieldError(ValueError):
    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def describe(value: Any) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}" if not isinstance(value, (int, float)) else repr(value)


class Node:
    """A position in one object: the value and the dotted path that leads to it."""

    __slots__ = ("path", "value")

    def __init__(self, value: Any, path: str = ""):
        self.value = value
        self.path = path

    def _sub(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str) -> Node:
        """The child mapping entry (a Node holding None when absent); this node must be a mapping or null."""
        if self.value is None:
            return Node(None, self._sub(key))
        if not isinstance(self.value, dict):
            raise FieldError(self.path or "(document)", f"expected a mapping, found {describe(self.value)}")
        return Node(self.value.get(key), self._sub(key))

    def mapping(self) -> Node:
        if self.value is not None and not isinstance(self.value, dict):
            raise FieldError(self.path, f"expected a mapping, found {describe(self.value)}")
        return self

    def items(self) -> list[Node]:
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise FieldError(self.path, f"expected a list, found {describe(self.value)}")
        return [Node(v, self._sub(i)) for i, v in enumerate(self.value)]

    def str(self, required: bool = False) -> str | None:
        v = self.value
        if v is None:
            if required:
                raise FieldError(self.path, "missing")
            return None
        if not isinstance(v, str):
            raise FieldError(self.path, f"expected a string, found {describe(v)}")
        if required and not v:
            raise FieldError(self.path, "must not be empty")
        return v

    def int(self, lo: int = 0, hi: int = MAX_ID) -> int | None:
        v = self.value
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int):
            raise FieldError(self.path, f"expected an integer, found {describe(v)}")
        if not lo <= v <= hi:
            raise FieldError(self.path, f"expected an integer from {lo} to {hi}, found {v}")
        return v

    def bool(self) -> bool | None:
        v = self.value
        if v is None:
            return None
        if not isinstance(v, bool):
            raise FieldError(self.path, f"expected true or false, found {describe(v)}")
        return v

    def str_list(self) -> list[str] | None:
        if self.value is None:
            return None
        return [n.str(required=True) for n in self.items()]  # type: ignore[misc]

    def int_list(self) -> list[int] | None:
        if self.value is None:
            return None
        out = []
        for n in self.items():
            v = n.int()
            if v is None:
                raise FieldError(n.path, "expected an integer, found null")
            out.append(v)
        return out

    def str_map(self) -> dict[str, str] | None:
        """map[string]string (labels, annotations, parameters, volumeAttributes)."""
        self.mapping()
        if self.value is None:
            return None
        out: dict[str, str] = {}
        for k, v in self.value.items():
            if not isinstance(k, str):
                raise FieldError(self.path, f"keys must be strings, found {describe(k)}")
            out[k] = Node(v, self._sub(k)).str(required=False) or ""
        return out


# --- pieces shared by every object kind --------------------------------------------------------


def meta(obj: Node, namespaced: bool) -> tuple[str, str, dict[str, str] | None, Node]:
    """(namespace, name, labels, annotations node). A manifest without a namespace lands in "default"."""
    md = obj.get("metadata").mapping()
    name = md.get("name").str(required=True)
    ns = (md.get("namespace").str() or "default") if namespaced else ""
    return ns, name, md.get("labels").str_map(), md.get("annotations")  # type: ignore[return-value]


def controller_owner(obj: Node) -> tuple[str, str] | None:
    """(kind, name) of the controlling owner reference, else the first owner reference."""
    owners = obj.get("metadata").get("ownerReferences").items()
    chosen = None
    for ref in owners:
        kind, name = ref.get("kind").str(), ref.get("name").str()
        if kind and name and (chosen is None or ref.get("controller").bool()):
            chosen = (kind, name)
            if ref.get("controller").bool():
                break
    return chosen


def security_context(node: Node, pod_level: bool) -> SecurityContext | None:
    node.mapping()
    if node.value is None:
        return None
    caps = node.get("capabilities").mapping()
    data = {
        "run_as_user": node.get("runAsUser").int(),
        "run_as_group": node.get("runAsGroup").int(),
        "run_as_non_root": node.get("runAsNonRoot").bool(),
    }
    if pod_level:
        data |= {
            "fs_group": node.get("fsGroup").int(),
            "supplemental_groups": node.get("supplementalGroups").int_list(),
            "supplemental_groups_policy": node.get("supplementalGroupsPolicy").str(),
        }
    else:
        data |= {
            "privileged": node.get("privileged").bool(),
            "allow_privilege_escalation": node.get("allowPrivilegeEscalation").bool(),
            "capabilities_add": caps.get("add").str_list(),
            "capabilities_drop": caps.get("drop").str_list(),
        }
    if all(v is None for v in data.values()):
        return None
    return SecurityContext(**data)


def csi_source(node: Node, with_handle: bool) -> CsiSource | None:
    node.mapping()
    if node.value is None:
        return None
    return CsiSource(
        driver=node.get("driver").str(required=True),
        volume_handle=node.get("volumeHandle").str(required=True) if with_handle else None,
        volume_attributes=node.get("volumeAttributes").str_map(),
        fs_type=node.get("fsType").str(),
        read_only=node.get("readOnly").bool(),
    )


def nfs_source(node: Node) -> NfsSource | None:
    node.mapping()
    if node.value is None:
        return None
    return NfsSource(
        server=node.get("server").str(required=True),
        path=node.get("path").str(),
        read_only=node.get("readOnly").bool(),
    )


def pod_volume(node: Node, pod_name: str | None) -> PodVolume | None:
    """Volumes that can reach EFS: a PVC, an inline nfs or csi volume, a generic ephemeral volume
    (its PVC is ``<pod>-<volume>``; unknown in a template). Other kinds (configMap, secret,
    emptyDir, projected token...) are dropped together with their mounts."""
    name = node.get("name").str(required=True)
    pvc = node.get("persistentVolumeClaim").mapping()
    nfs = nfs_source(node.get("nfs"))
    csi = csi_source(node.get("csi"), with_handle=False)
    ephemeral = node.get("ephemeral").mapping()
    if pvc.value is not None:
        return PodVolume(
            name=name,
            claim_name=pvc.get("claimName").str(required=True),  # type: ignore[arg-type]
            read_only=pvc.get("readOnly").bool(),
        )
    if nfs or csi:
        return PodVolume(name=name, nfs=nfs, csi=csi)  # type: ignore[arg-type]
    if ephemeral.value is not None:
        return PodVolume(name=name, claim_name=f"{pod_name}-{name}" if pod_name else None)  # type: ignore[arg-type]
    return None


def container(node: Node, init: bool, keep: set[str]) -> Container:
    mounts = []
    for m in node.get("volumeMounts").items():
        vname = m.get("name").str(required=True)
        if vname in keep:
            mounts.append(
                VolumeMount(
                    name=vname,
                    mount_path=m.get("mountPath").str(),  # type: ignore[arg-type]
                    sub_path=m.get("subPath").str(),
                    read_only=m.get("readOnly").bool(),
                )
            )
    return Container(
        name=node.get("name").str(required=True),
        image=node.get("image").str(),
        init=init,  # type: ignore[arg-type]
        security_context=security_context(node.get("securityContext"), pod_level=False),
        volume_mounts=mounts,
    )


def pod_template(
    template: Node, pod_name: str | None = None, claim_templates: list[tuple[str, str]] | None = None
) -> PodTemplate:
    """A pod template (``spec.template``) or a pod (whole object, ``pod_name`` set).

    ``claim_templates``: StatefulSet volumeClaimTemplates as (template name, representative PVC
    name of replica 0); pods mount them by the template name.
    """
    spec = template.get("spec").mapping()
    volumes = [v for v in (pod_volume(n, pod_name) for n in spec.get("volumes").items()) if v is not None]
    named = {v.name for v in volumes}
    for tname, claim in claim_templates or []:
        if tname not in named:
            volumes.append(PodVolume(name=tname, claim_name=claim))
    keep = {v.name for v in volumes}
    containers = [container(n, True, keep) for n in spec.get("initContainers").items()]
    containers += [container(n, False, keep) for n in spec.get("containers").items()]
    containers += [container(n, False, keep) for n in spec.get("ephemeralContainers").items()]
    sa = spec.get("serviceAccountName").str() or spec.get("serviceAccount").str()
    selector = spec.get("nodeSelector").str_map()
    return PodTemplate(
        service_account_name=sa,
        security_context=security_context(spec.get("securityContext"), True),
        containers=containers,
        volumes=volumes,
        node_selector=selector,
        labels=template.get("metadata").mapping().get("labels").str_map(),
    )
