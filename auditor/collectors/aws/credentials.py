"""Credentials, profile, endpoint and region problems: one line naming the problem and the fix.

A collection whose caller cannot be identified read nothing at all; for the command line that is bad
input (exit 2), not an incomplete audit. :func:`unusable` finds such a run in a snapshot (the
``GetCallerIdentity`` / ``AssumeRole`` issue of the caller, or a requested region that refuses the
credentials the home region accepts) and says what to do. Scheduled entry points keep the snapshot:
there the same issues make the run NOT_ASSESSED with the reason.
"""

from __future__ import annotations

from auditor.model.snapshot import CollectionIssue, InputError, Snapshot

NO_CREDENTIALS = {"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError"}
EXPIRED = {
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "TokenRefreshRequired",
    "UnauthorizedSSOTokenError",
    "SSOTokenLoadError",
}
REJECTED = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "AuthFailure",
    "InvalidAccessKeyId",
    "InvalidToken",
}
UNREACHABLE = {
    "EndpointConnectionError",
    "ConnectTimeoutError",
    "ConnectionClosedError",
    "Timeout",
    "ProxyConnectionError",
    "SSLError",
    "HTTPClientError",
}
REGION_REFUSED = REJECTED | {"OptInRequired"}
SETUP = (
    "run `aws configure` (or `aws sso login`), set AWS_PROFILE or pass --profile, or export "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
)


class CredentialsError(InputError):
    """The run could not use the caller's credentials, profile, endpoint or region (exit 2)."""


def profile_error(profile: str | None, exc: Exception) -> CredentialsError:
    """boto3.Session(profile_name=...) failed: a profile that does not exist or an unreadable config."""
    name = type(exc).__name__
    if name == "ProfileNotFound":
        known = _profiles()
        hint = f" (profiles found: {', '.join(known)})" if known else " (no profiles are configured)"
        return CredentialsError(
            f"AWS profile {profile!r} not found in the AWS config or credentials file{hint}: "
            f"create it with `aws configure --profile {profile}` or pass an existing --profile"
        )
    return CredentialsError(
        f"AWS configuration cannot be read ({name}: {_short(exc)}): fix the AWS config file "
        "(AWS_CONFIG_FILE, ~/.aws/config) or the credentials file"
    )


def unusable(snapshot: Snapshot, regions: tuple[str, ...] = ()) -> str | None:
    """One line naming why nothing could be read with these credentials, or None."""
    for issue in snapshot.issues:
        if issue.service == "sts" and issue.operation in ("GetCallerIdentity", "AssumeRole"):
            text = _caller(issue)
            if text:
                return text
    # A region that is not enabled refuses every service (one service missing from a region answers
    # differently): EFS and EC2 both refusing the credentials the home region accepted is the sign.
    refused: dict[tuple[str, str], set[str]] = {}
    for issue in snapshot.issues:
        parts = issue.scope.split(":")
        if (
            len(parts) == 3
            and parts[0] == "aws"
            and parts[2] != "global"
            and issue.error_code in REGION_REFUSED
        ):
            refused.setdefault((parts[1], parts[2]), set()).add(issue.service)
    for (account, region), services in sorted(refused.items()):
        if {"efs", "ec2"} <= services and (not regions or region in regions):
            return (
                f"region {region} is not enabled for account {account} (AWS refused there the credentials "
                f"it accepts elsewhere): enable the region (AWS console > Account > AWS Regions) or leave it "
                f"out of --region"
            )
    return None


def _caller(issue: CollectionIssue) -> str | None:
    code, what = issue.error_code, f"({issue.error_code}: {_short(issue.message)})"
    role = f" for {issue.resource_id}" if issue.operation == "AssumeRole" and issue.resource_id else ""
    if code in NO_CREDENTIALS:
        return f"no usable AWS credentials {what}: {SETUP}"
    if code in EXPIRED:
        return (
            f"the AWS credentials have expired {what}: refresh them (`aws sso login`, or new temporary "
            "credentials) and run again"
        )
    if code in REJECTED:
        return (
            f"AWS rejected the credentials{role} {what}: check the access key, secret and session token "
            "(`aws sts get-caller-identity` shows whether they work)"
        )
    if code in UNREACHABLE:
        return (
            f"cannot reach the AWS endpoint {what}: check the network and proxy settings, the region name "
            "and AWS_ENDPOINT_URL if it is set"
        )
    return None


def refuse_unusable(snapshot: Snapshot, regions: tuple[str, ...] = ()) -> None:
    problem = unusable(snapshot, regions)
    if problem:
        raise CredentialsError(problem)


def _profiles() -> list[str]:
    try:
        import botocore.session

        return sorted(botocore.session.Session().available_profiles)[:10]
    except Exception:
        return []


def _short(exc: object, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
