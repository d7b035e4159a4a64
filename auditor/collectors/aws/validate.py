"""What every successful answer of each operation the collectors call must contain.

botocore parses what it can: a garbled, truncated, HTML or empty body on a 200 of a JSON service
becomes ``{}`` or ``{"message": <the body>}``, which reads exactly like "no resources". An answer
without the keys its operation always returns, with a value of the wrong type, or with an item that
lacks the keys the collectors index by, is therefore refused as :class:`MalformedResponse` (recorded
as a ``MalformedResponse`` collection issue, never read as an empty list).

``SHAPES``: (service, operation) -> {output key: (type, keys every item must carry)}. The keys are
members of the operation's output shape in botocore's service model (a test keeps them so); for list
operations AWS always returns the list, empty when there is nothing.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError

LIST, DICT, STR = list, dict, str

SHAPES: dict[tuple[str, str], dict[str, tuple[type, tuple[str, ...]]]] = {
    ("sts", "GetCallerIdentity"): {"Account": (STR, ()), "Arn": (STR, ())},
    ("sts", "AssumeRole"): {"Credentials": (DICT, ("AccessKeyId", "SecretAccessKey", "SessionToken"))},
    ("ec2", "DescribeRegions"): {"Regions": (LIST, ("RegionName",))},
    ("ec2", "DescribeSecurityGroups"): {"SecurityGroups": (LIST, ("GroupId",))},
    ("ec2", "DescribeSubnets"): {"Subnets": (LIST, ("SubnetId",))},
    ("ec2", "DescribeRouteTables"): {"RouteTables": (LIST, ())},
    ("efs", "DescribeFileSystems"): {"FileSystems": (LIST, ("FileSystemId",))},
    ("efs", "DescribeFileSystemPolicy"): {"Policy": (STR, ())},
    ("efs", "DescribeBackupPolicy"): {"BackupPolicy": (DICT, ())},
    ("efs", "DescribeAccessPoints"): {
        "AccessPoints": (LIST, ("AccessPointArn", "AccessPointId", "FileSystemId"))
    },
    ("efs", "DescribeMountTargets"): {"MountTargets": (LIST, ("MountTargetId",))},
    ("efs", "DescribeMountTargetSecurityGroups"): {"SecurityGroups": (LIST, ())},
    ("iam", "GetAccountAuthorizationDetails"): {"RoleDetailList": (LIST, ("Arn", "RoleName"))},
    ("iam", "GetPolicy"): {"Policy": (DICT, ())},
    ("iam", "GetPolicyVersion"): {"PolicyVersion": (DICT, ())},
    ("ecs", "ListClusters"): {"clusterArns": (LIST, ())},
    ("ecs", "ListServices"): {"serviceArns": (LIST, ())},
    ("ecs", "DescribeServices"): {"services": (LIST, ("serviceArn", "serviceName", "clusterArn"))},
    ("ecs", "ListTaskDefinitionFamilies"): {"families": (LIST, ())},
    ("ecs", "DescribeTaskDefinition"): {
        "taskDefinition": (DICT, ("taskDefinitionArn", "family", "revision"))
    },
    ("lambda", "ListFunctions"): {"Functions": (LIST, ("FunctionArn", "FunctionName"))},
    ("lambda", "ListTags"): {"Tags": (DICT, ())},
    ("eks", "ListClusters"): {"clusters": (LIST, ())},
    ("eks", "DescribeCluster"): {"cluster": (DICT, ())},
    ("eks", "ListNodegroups"): {"nodegroups": (LIST, ())},
    ("eks", "DescribeNodegroup"): {"nodegroup": (DICT, ())},
    ("eks", "ListPodIdentityAssociations"): {"associations": (LIST, ("associationId",))},
    ("eks", "DescribePodIdentityAssociation"): {
        "association": (DICT, ("namespace", "serviceAccount", "roleArn"))
    },
    ("backup", "ListProtectedResources"): {"Results": (LIST, ())},
}
# Keys that may be absent, but must have this type when present.
OPTIONAL: dict[tuple[str, str], dict[str, type]] = {
    ("iam", "GetAccountAuthorizationDetails"): {"Policies": LIST},
    ("ecs", "DescribeServices"): {"failures": LIST},
    ("ecs", "DescribeTaskDefinition"): {"tags": LIST},
}


class MalformedResponse(BotoCoreError):
    """A successful answer that is not what the operation returns: recorded, never read as empty."""

    fmt = "{operation}: {problem}"


def check(service: str, operation: str, response) -> dict:
    """``response`` if it has the shape of ``operation``'s answer, else MalformedResponse."""
    name = f"{service}:{operation}"
    if not isinstance(response, dict):
        raise MalformedResponse(
            operation=name, problem=f"the answer is a {type(response).__name__}, not an object"
        )
    for key, (kind, item_keys) in SHAPES.get((service, operation), {}).items():
        if key not in response:
            raise MalformedResponse(operation=name, problem=f"the answer has no {key}{_hint(response)}")
        value = response[key]
        if not isinstance(value, kind):
            raise MalformedResponse(
                operation=name, problem=f"{key} is a {type(value).__name__}, not a {kind.__name__}"
            )
        items = value if kind is LIST else [value] if item_keys else []
        for n, item in enumerate(items):
            where = f"{key}[{n}]" if kind is LIST else key
            if item_keys and not isinstance(item, dict):
                raise MalformedResponse(
                    operation=name, problem=f"{where} is a {type(item).__name__}, not an object"
                )
            missing = [
                k
                for k in item_keys
                if not isinstance(item.get(k), (str, int)) or isinstance(item.get(k), bool)
            ]
            if missing:
                raise MalformedResponse(operation=name, problem=f"{where} has no {missing[0]}")
    for key, kind in OPTIONAL.get((service, operation), {}).items():
        if key in response and response[key] is not None and not isinstance(response[key], kind):
            raise MalformedResponse(
                operation=name, problem=f"{key} is a {type(response[key]).__name__}, not a {kind.__name__}"
            )
    return response


def _hint(response: dict) -> str:
    """What came instead: botocore keeps an unparsable JSON body under ``message``."""
    body = response.get("message")
    if isinstance(body, str):
        text = " ".join(body.split())
        return f" (body: {text[:80]!r})" if text else " (empty body)"
    keys = sorted(k for k in response if k != "ResponseMetadata")
    return (
        f" (keys: {', '.join(keys[:5])})" if keys else " (the body was empty or not this operation's answer)"
    )
