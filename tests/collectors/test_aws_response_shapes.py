"""validate.SHAPES against botocore's service models: every key the collectors require is a member of
the operation's output shape with the matching type, every item key a member of the list's member
shape, and every operation the collectors call has an entry (a new call cannot skip validation)."""

from __future__ import annotations

import botocore.session
import pytest

from auditor.collectors.aws import validate
from auditor.collectors.aws.operations import OPERATIONS
from auditor.collectors.aws.validate import SHAPES, MalformedResponse, check

TYPES = {list: "list", dict: ("structure", "map"), str: "string"}


def test_every_called_operation_has_a_shape():
    assert set(OPERATIONS) <= set(SHAPES)


@pytest.mark.parametrize("service,operation", sorted(SHAPES))
def test_required_keys_are_members_of_the_output_shape(service, operation):
    model = botocore.session.get_session().get_service_model(service)
    output = model.operation_model(operation).output_shape
    for key, (kind, item_keys) in SHAPES[(service, operation)].items():
        assert key in output.members, f"{service}:{operation} has no output member {key}"
        member = output.members[key]
        assert member.type_name in ((TYPES[kind],) if isinstance(TYPES[kind], str) else TYPES[kind])
        item = member.member if kind is list else member
        for k in item_keys:
            assert k in item.members, f"{service}:{operation} {key} items have no member {k}"
    for key in validate.OPTIONAL.get((service, operation), {}):
        assert key in output.members


@pytest.mark.parametrize(
    "answer,problem",
    [
        ({}, "has no FileSystems"),
        ({"FileSystems": "fs-1"}, "FileSystems is a str, not a list"),
        ({"FileSystems": ["fs-1"]}, "FileSystems[0] is a str"),
        ({"FileSystems": [{"Name": "a"}]}, "has no FileSystemId"),
        ({"FileSystems": [{"FileSystemId": True}]}, "has no FileSystemId"),
        ([], "not an object"),
        ({"message": "<html>oops</html>"}, "body: '<html>oops</html>'"),
    ],
)
def test_malformed_answers_are_refused(answer, problem):
    with pytest.raises(MalformedResponse, match=problem.replace("[", r"\[").replace("]", r"\]")):
        check("efs", "DescribeFileSystems", answer)


def test_a_well_formed_empty_answer_is_accepted():
    assert check("efs", "DescribeFileSystems", {"FileSystems": []}) == {"FileSystems": []}
    assert check("ecs", "DescribeServices", {"services": [], "failures": []})["services"] == []
    with pytest.raises(MalformedResponse, match="failures is a dict"):
        check("ecs", "DescribeServices", {"services": [], "failures": {}})
