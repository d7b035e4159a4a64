"""ARNs are parsed and built by ``auditor.model.arn.Arn`` alone, in every partition."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.model.arn import Arn, arn_fields
from auditor.model.ids import ap_id_of, mount_target_id, role_name_of

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
REGION = {"aws": "eu-west-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}


def arn(partition: str, service: str, region: str, resource: str, account: str = "111122223333") -> str:
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


# (service, regional, resource, resource_type, resource_id, name, qualifier)
CASES = [
    ("iam", False, "role/app", "role", "app", "app", None),
    ("iam", False, "role/team/a/app", "role", "team/a/app", "app", None),
    ("iam", False, "policy/service-role/Basic", "policy", "service-role/Basic", "Basic", None),
    ("iam", False, "root", "", "root", "root", None),
    ("sts", False, "assumed-role/app/task-1", "assumed-role", "app/task-1", "task-1", None),
    ("elasticfilesystem", True, "file-system/fs-0123456789abcdef0", "file-system", "fs-0123456789abcdef0",
     "fs-0123456789abcdef0", None),
    ("elasticfilesystem", True, "access-point/fsap-0123456789abcdef0", "access-point", "fsap-0123456789abcdef0",
     "fsap-0123456789abcdef0", None),
    ("lambda", True, "function:worker", "function", "worker", "worker", None),
    ("lambda", True, "function:worker:7", "function", "worker:7", "worker", "7"),
    ("lambda", True, "function:worker:live", "function", "worker:live", "worker", "live"),
    ("ecs", True, "task-definition/web:12", "task-definition", "web:12", "web", "12"),
    ("ecs", True, "service/prod/web", "service", "prod/web", "web", None),
    ("ecs", True, "cluster/prod", "cluster", "prod", "prod", None),
    ("eks", True, "cluster/k8s-prod", "cluster", "k8s-prod", "k8s-prod", None),
]  # fmt: skip


@pytest.mark.parametrize("partition", PARTITIONS)
@pytest.mark.parametrize(("service", "regional", "resource", "rtype", "rid", "name", "qualifier"), CASES)
def test_parses_resource_formats_in_every_partition(partition, service, regional, resource, rtype, rid, name,
                                                    qualifier):  # fmt: skip
    region = REGION[partition] if regional else ""
    text = arn(partition, service, region, resource)
    a = Arn.parse(text)
    assert (a.partition, a.service, a.region, a.account, a.resource) == (
        partition, service, region, "111122223333", resource
    )  # fmt: skip
    assert (a.resource_type, a.resource_id, a.name, a.qualifier) == (rtype, rid, name, qualifier)
    assert str(a) == text
    assert Arn.maybe(text) == a


@pytest.mark.parametrize("partition", PARTITIONS)
def test_role_paths_sessions_and_qualifiers(partition):
    assert Arn.parse(arn(partition, "iam", "", "role/team/a/app")).path == "/team/a/"
    assert Arn.parse(arn(partition, "iam", "", "role/app")).path == "/"
    session = Arn.parse(arn(partition, "sts", "", "assumed-role/app/task-1"))
    assert session.session() == ("app", "task-1")
    assert session.segments == ("app", "task-1")
    assert Arn.parse(arn(partition, "iam", "", "role/app")).session() is None
    fn = Arn.parse(arn(partition, "lambda", REGION[partition], "function:worker:7"))
    assert str(fn.unqualified()) == arn(partition, "lambda", REGION[partition], "function:worker")
    td = Arn.parse(arn(partition, "ecs", REGION[partition], "task-definition/web:12"))
    assert str(td.unqualified()) == arn(partition, "ecs", REGION[partition], "task-definition/web")
    nodegroup = Arn.parse(arn(partition, "eks", REGION[partition], "nodegroup/prod/ng-1/uuid"))
    assert nodegroup.segments == ("prod", "ng-1", "uuid")


@pytest.mark.parametrize("partition", PARTITIONS)
def test_id_helpers_keep_the_partition(partition):
    assert role_name_of(arn(partition, "iam", "", "role/team/app")) == "app"
    region = REGION[partition]
    fs = arn(partition, "elasticfilesystem", region, "file-system/fs-0123456789abcdef0")
    assert mount_target_id(fs, "fsmt-1") == arn(partition, "elasticfilesystem", region, "mount-target/fsmt-1")
    assert ap_id_of(arn(partition, "elasticfilesystem", region, "access-point/fsap-1")) == "fsap-1"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "does not start with 'arn:'"),
        ("fs-0123456789abcdef0", "does not start with 'arn:'"),
        ("arn:aws:iam::111122223333", "fewer than six"),
        ("arn:aws:iam", "fewer than six"),
        ("arn::iam::111122223333:role/app", "empty partition"),
        ("arn:aws:::111122223333:role/app", "empty service"),
        ("arn:aws:iam::111122223333:", "empty resource"),
        ("arn:aws:iam::1:\nrole/x\n", None),  # a newline inside is shown escaped, on one line
    ],
)
def test_malformed_arns_give_one_line_error_naming_the_value(text, problem):
    if problem is None:
        a = Arn.parse(text)  # odd but six fields: accepted as written
        assert str(a) == text
        return
    with pytest.raises(ValueError) as e:
        Arn.parse(text)
    message = str(e.value)
    assert "\n" not in message and repr(text) in message and problem in message
    assert Arn.maybe(text) is None


def test_non_strings_are_no_arns():
    assert Arn.maybe(None) is None
    with pytest.raises(ValueError, match="not a string"):
        Arn.parse(12)  # type: ignore[arg-type]


def test_arn_fields_split_patterns_without_validating():
    assert arn_fields("arn:aws:iam::*:role/*") == ["arn", "aws", "iam", "", "*", "role/*"]
    assert arn_fields("arn:aws:lambda:r:1:function:f:1") == ["arn", "aws", "lambda", "r", "1", "function:f:1"]
    assert arn_fields("*") == ["*"]


FIELD = st.text(st.characters(blacklist_characters=":", blacklist_categories=("Cs",)), max_size=12)
NONEMPTY = FIELD.filter(bool)
RESOURCE = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)


@given(st.builds(Arn, NONEMPTY, NONEMPTY, FIELD, FIELD, RESOURCE))
def test_round_trip(a):
    assert Arn.parse(str(a)) == a


# --- no module splits ARNs by hand -----------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1] / "auditor"
ARN_MODULE = ROOT / "model" / "arn.py"

# Colon splits that are not of ARNs, by what they split (the end of the receiver's source text):
NOT_ARNS = {
    # aws:ACCOUNT:REGION unit scopes (auditor.analysis.index.aws_scope).
    "scope": "an aws:<account>:<region> scope",
    # [efs:]fs-id[:subpath[:fsap-id]], the EFS CSI volumeHandle syntax (§6.1).
    "handle": "an EFS CSI volume handle",
    "handle.strip()": "an EFS CSI volume handle",
    "volume_handle.removeprefix('efs:')": "an EFS CSI volume handle",
}
# ... and in one module only: (module, receiver) -> what it is.
NOT_ARNS_IN = {
    ("auditor/report/asff.py", "c"): "a FRAMEWORK:CONTROL id of the control catalogue",
}


def _splits_colon(sep: str) -> bool:
    """``":"`` and ``":cluster/"`` split ARNs; ``": "`` splits messages."""
    return sep == ":" or (sep.startswith(":") and sep[1:2].isalpha())


def _hand_made(tree: ast.AST, module: str = "") -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("split", "rsplit")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and _splits_colon(node.args[0].value)
        ):
            receiver = ast.unparse(node.func.value)
            if not any(receiver.endswith(k) for k in NOT_ARNS) and (module, receiver) not in NOT_ARNS_IN:
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and str(first.value).startswith("arn:"):
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Constant) and str(node.value).startswith(("^arn:", "arn:{")):
            found.append((node.lineno, node.value))
    return found


def test_no_module_splits_or_formats_arns_by_hand():
    """Every ARN is parsed with Arn.parse / Arn.maybe and built with Arn(...): no ``.split(":")`` of
    an ARN, no ``f"arn:..."`` builder and no ``^arn:`` regex outside auditor/model/arn.py."""
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        if path == ARN_MODULE:
            continue
        module = str(path.relative_to(ROOT.parent))
        for line, text in _hand_made(ast.parse(path.read_text(), str(path)), module):
            offenders.append(f"{module}:{line}: {text}")
    assert offenders == []


def test_scan_flags_hand_splitting():
    code = 'a = arn.split(":")[4]\nb = f"arn:{p}:iam::{a}:role/x"\nc = scope.split(":")\nd = "^arn:([^:]+)"\n'
    assert sorted(line for line, _ in _hand_made(ast.parse(code))) == [1, 2, 4]
