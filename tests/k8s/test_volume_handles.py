"""Every EFS CSI volumeHandle form stays raw in the model (the graph parses it); the parser and
the accesspoint= mount option are checked here against efs-semantics.md §6.1 and §6.3."""

from __future__ import annotations

import pytest

from auditor.collectors.k8s.transform import cluster_from_objects
from auditor.model.ids import VolumeHandleError, mount_option_access_point, parse_volume_handle

FS, AP = "fs-0123456789abcdef0", "fsap-0123456789abcdef0"

# §6.1: legacy <fs>[:<subpath>[:<ap>]] (3 fields at most), v3 <efs|s3files>:<fs>[:<subpath>[:<ap>]] (4 at most);
# empty fields allowed; the subpath is path.Clean'ed.
FORMS = [
    (FS, ("efs", FS, "/", None)),
    (f"{FS}:/sub", ("efs", FS, "/sub", None)),
    (f"{FS}::{AP}", ("efs", FS, "/", AP)),
    (f"{FS}:/sub:{AP}", ("efs", FS, "/sub", AP)),
    (f"efs:{FS}::{AP}", ("efs", FS, "/", AP)),
    (f"efs:{FS}", ("efs", FS, "/", None)),
    (f"efs:{FS}:/a/../b/:{AP}", ("efs", FS, "/b", AP)),
    (f"{FS}:relative/dir", ("efs", FS, "/relative/dir", None)),
    (f"s3files:{FS}:/x", ("s3files", FS, "/x", None)),
]


def pv(handle: str, options: list[str] | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "pv"},
        "spec": {"mountOptions": options, "csi": {"driver": "efs.csi.aws.com", "volumeHandle": handle}},
    }


@pytest.mark.parametrize("handle,expected", FORMS)
def test_rule_6_1_volume_handle_forms(handle, expected):
    (got,) = cluster_from_objects("c", [(pv(handle), None, None)])[0].persistent_volumes
    assert got.csi.volume_handle == handle  # raw in the model
    h = parse_volume_handle(handle)
    assert (h.fs_type, h.file_system_id, h.subpath, h.access_point_id) == expected


@pytest.mark.parametrize(
    "handle",
    [
        f"{FS}:/a:{AP}:extra",  # legacy: more than three fields
        f"efs:{FS}:/a:{AP}:extra",  # v3: more than four
        f"{FS}:/a:not-an-ap",
        "fs-XYZ",
        "",
    ],
)
def test_rule_6_1_invalid_handles(handle):
    with pytest.raises(VolumeHandleError):
        parse_volume_handle(handle)


def test_rule_6_3_edge_28_access_point_in_mount_options():
    cluster, _ = cluster_from_objects("c", [(pv(FS, ["tls", f"accesspoint={AP}"]), None, None)])
    (got,) = cluster.persistent_volumes
    assert got.mount_options == ["tls", f"accesspoint={AP}"]
    assert (
        parse_volume_handle(got.csi.volume_handle).access_point_id is None
    )  # the handle alone says "no AP"...
    assert mount_option_access_point(got.mount_options) == AP  # ...the mount option says fsap-...
    assert mount_option_access_point([f"tls,accesspoint={AP}"]) == AP
    assert mount_option_access_point(["tls", "iam"]) is None
