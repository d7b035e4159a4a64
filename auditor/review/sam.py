"""AWS SAM: the execution role ``AWS::Serverless::Function`` creates when no ``Role`` is given.

SAM names it ``<LogicalId>Role``, trusts lambda.amazonaws.com, attaches AWSLambdaBasicExecutionRole
(and AWSLambdaVPCAccessExecutionRole with a VpcConfig) and turns ``Policies`` into inline policies
and attachments. The two AWS managed policies are recorded with their published documents (neither
grants an elasticfilesystem action); a live snapshot given with --against takes precedence. Policy
templates other than the EFS ones leave the inline policies unknown (NOT_ASSESSED), never guessed.
"""

from __future__ import annotations

from auditor.model.arn import Arn
from auditor.model.aws import IamRole, ManagedPolicy
from auditor.review.values import FieldError, Unknown, first_unknown

LOGS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
BASIC = ("service-role/AWSLambdaBasicExecutionRole", "v1", LOGS)  # AWS managed policies: name, version
VPC = (
    "service-role/AWSLambdaVPCAccessExecutionRole",
    "v3",
    LOGS
    + [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    ],
)
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}
    ],
}
EFS_TEMPLATES = {"EFSWriteAccessPolicy": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]}


def implicit_role_owner(template, name: str) -> str | None:
    """The function whose implicit role is called ``name``, if any."""
    if not name.endswith("Role"):
        return None
    owner = name[: -len("Role")]
    res = template.resources.get(owner)
    if res and res.get("Type") == "AWS::Serverless::Function" and "Role" not in template.props(owner):
        return owner
    return None


def implicit_role(template, lid: str, props: dict, line: int) -> str:
    s = template.sink
    name = f"{lid}Role"
    arn = s.arn("iam", f"role/{name}", region="")
    attached = [_managed(s, BASIC)]
    if props.get("VpcConfig"):
        attached.append(_managed(s, VPC))
    inline: dict | None = {}
    policies = props.get("Policies")
    if policies is not None and not isinstance(policies, list):
        policies = [policies]
    for i, pol in enumerate(policies or []):
        where = f"Policies[{i}]"
        if isinstance(pol, Unknown):
            s.unresolved(arn, where, pol)
            inline = None
        elif isinstance(pol, str):
            attached.append(
                pol if pol.startswith("arn:") else str(Arn(s.partition, "iam", "", "aws", f"policy/{pol}"))
            )
        elif isinstance(pol, dict) and "Statement" in pol:
            doc = s.document(arn, pol, where)
            if doc is None or inline is None:
                inline = None
            else:
                inline[f"{name}Policy{i}"] = doc
        elif isinstance(pol, dict) and len(pol) == 1:
            ((tname, args),) = pol.items()
            doc = _template(s, str(tname), args, where)
            if doc is None:
                s.unsupported(
                    arn,
                    f"{where}: SAM policy template {tname} is not supported; the role's "
                    "inline policies are not evaluated",
                )
                inline = None
            elif isinstance(doc, Unknown):
                s.unresolved(arn, f"{where}.{tname}", doc)
                inline = None
            elif inline is not None:
                inline[f"{name}Policy{i}"] = doc
        else:
            raise FieldError(where, "expected a policy name, ARN, document or SAM policy template")
    role = IamRole(
        arn=arn,
        role_name=name,
        account_id=s.account,
        path="/",
        trust_policy=TRUST,
        inline_policies=inline,
        attached_policy_arns=attached,
    )
    s.add("roles", role, template.label, line, "iam")
    return arn


def _managed(s, spec) -> str:
    name, version, actions = spec
    arn = str(Arn(s.partition, "iam", "", "aws", f"policy/{name}"))
    if not any(p.arn == arn for p in s.data["managed_policies"]):
        s.data["managed_policies"].append(
            ManagedPolicy(
                arn=arn,
                name=name.rsplit("/", 1)[-1],
                default_version_id=version,
                document={
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
                },
            )
        )
    return arn


def _template(s, name: str, args, where: str):
    """The SAM policy template's document; None when not supported."""
    if name not in EFS_TEMPLATES:
        return None
    if not isinstance(args, dict):
        raise FieldError(f"{where}.{name}", "expected FileSystem and AccessPoint")
    fs, ap = args.get("FileSystem"), args.get("AccessPoint")
    bad = first_unknown([fs, ap])
    if bad:
        return bad
    if fs is None or ap is None:
        raise FieldError(f"{where}.{name}", "FileSystem and AccessPoint are required")
    return {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": EFS_TEMPLATES[name],
                "Resource": s.arn("elasticfilesystem", f"file-system/{fs}"),
                "Condition": {
                    "StringEquals": {
                        "elasticfilesystem:AccessPointArn": s.arn("elasticfilesystem", f"access-point/{ap}")
                    }
                },
            }
        ]
    }
