"""EC2 network context: security groups (ingress), subnets and their route tables.

Calls per account and region: DescribeSecurityGroups, DescribeSubnets, DescribeRouteTables (pages).
"""

from __future__ import annotations

from auditor.collectors.aws.unit import CALL_ERRORS, Unit
from auditor.model.aws import IngressRule, SecurityGroup, Subnet

SERVICE = "ec2"
DEFAULT_ROUTES = ("0.0.0.0/0", "::/0")


def collect(unit: Unit) -> dict:
    api = unit.api(SERVICE)
    groups = _list(unit, api, "DescribeSecurityGroups", "SecurityGroups")
    subnets = _list(unit, api, "DescribeSubnets", "Subnets")
    tables = _list(unit, api, "DescribeRouteTables", "RouteTables")
    return {
        "security_groups": [security_group(unit.account_id, unit.region, g) for g in groups or []],
        "subnets": subnets_with_routes(unit.account_id, unit.region, subnets or [], tables),
    }


def _list(unit: Unit, api, operation: str, key: str) -> list[dict] | None:
    try:
        return [item for page in api.pages(operation) for item in page.get(key, [])]
    except CALL_ERRORS as exc:
        unit.failed(SERVICE, operation, exc)
        return None


def security_group(account_id: str, region: str, group: dict) -> SecurityGroup:
    return SecurityGroup(
        group_id=group["GroupId"],
        account_id=group.get("OwnerId") or account_id,
        region=region,
        vpc_id=group.get("VpcId"),
        name=group.get("GroupName"),
        ingress=[ingress_rule(p) for p in group.get("IpPermissions", [])],
    )


def ingress_rule(permission: dict) -> IngressRule:
    cidrs = [r["CidrIp"] for r in permission.get("IpRanges", []) if "CidrIp" in r]
    cidrs += [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", []) if "CidrIpv6" in r]
    return IngressRule(
        protocol=str(permission.get("IpProtocol", "-1")),
        from_port=permission.get("FromPort"),
        to_port=permission.get("ToPort"),
        cidrs=cidrs,
        source_groups=[p["GroupId"] for p in permission.get("UserIdGroupPairs", []) if "GroupId" in p],
        prefix_lists=[p["PrefixListId"] for p in permission.get("PrefixListIds", []) if "PrefixListId" in p],
    )


def subnets_with_routes(
    account_id: str, region: str, subnets: list[dict], tables: list[dict] | None
) -> list[Subnet]:
    """A subnet uses its explicitly associated route table, else its VPC's main table.
    ``tables is None`` (DescribeRouteTables failed) leaves the routing fields unobserved."""
    explicit: dict[str, dict] = {}
    main: dict[str, dict] = {}
    for table in tables or []:
        for assoc in table.get("Associations", []):
            if assoc.get("Main"):
                main[table.get("VpcId", "")] = table
            elif assoc.get("SubnetId"):
                explicit[assoc["SubnetId"]] = table
    out = []
    for s in subnets:
        table = explicit.get(s["SubnetId"]) or main.get(s.get("VpcId", "")) if tables is not None else None
        out.append(
            Subnet(
                subnet_id=s["SubnetId"],
                account_id=s.get("OwnerId") or account_id,
                region=region,
                vpc_id=s.get("VpcId"),
                availability_zone=s.get("AvailabilityZone"),
                map_public_ip_on_launch=s.get("MapPublicIpOnLaunch"),
                routes_to_internet_gateway=routes_to_igw(table) if table is not None else None,
                route_table_id=table.get("RouteTableId") if table is not None else None,
            )
        )
    return out


def routes_to_igw(table: dict) -> bool:
    for route in table.get("Routes", []):
        dest = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
        if (
            dest in DEFAULT_ROUTES
            and str(route.get("GatewayId", "")).startswith("igw-")
            and route.get("State") != "blackhole"
        ):
            return True
    return False
