"""Answers to the AWS data-source calls (invokes) programs commonly make, for the offline
engine: caller identity, session context, region, partition, zones, service principals,
endpoint services, Identity Center groups and Bedrock inference profiles, with the same
example account and ARN shapes the resource mocks (cloud.py) give."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from components.scope import dns_suffix, partition_of
from plinth.engine.cloud import EXAMPLE_ACCOUNT_ID, routed_models


def _session_context(arn: str) -> dict[str, Any]:
    """What GetSessionContext makes of an ARN: an assumed-role session's role, or the ARN
    itself (a user or a role)."""
    head, _, resource = arn.partition(":assumed-role/")
    if not resource:
        return {
            "arn": arn,
            "issuerArn": arn,
            "issuerId": "",
            "issuerName": "",
            "sessionName": "",
            "id": arn,
        }
    role, _, session = resource.partition("/")
    partition, account = head.split(":")[1], head.split(":")[4]
    return {
        "arn": arn,
        "issuerArn": f"arn:{partition}:iam::{account}:role/{role}",
        "issuerId": "AROAEXAMPLEOFFLINE",
        "issuerName": role,
        "sessionName": session,
        "id": arn,
    }


def invoke_result(token: str, args: Mapping[str, Any], region: str) -> dict[str, Any] | None:
    """Results for the AWS invokes programs commonly make; None when not modelled."""
    region = str(args.get("region") or region)
    partition = partition_of(region)
    suffix = dns_suffix(partition)
    if token == "aws:index/getServicePrincipal:getServicePrincipal":
        service = str(args.get("serviceName", ""))
        return {
            "name": f"{service}.{suffix}",
            "id": f"{service}.{region}.{suffix}",
            "suffix": suffix,
            "region": region,
            "serviceName": service,
        }
    if token == "aws:ec2/getVpcEndpointService:getVpcEndpointService":
        service = str(args.get("service", ""))
        name = f"com.amazonaws.{region}.{service}"
        return {
            "serviceName": name,
            "serviceId": f"vpce-svc-{hashlib.sha256(name.encode()).hexdigest()[:17]}",
            "serviceType": args.get("serviceType", "Interface"),
            "acceptanceRequired": False,
            "availabilityZones": [f"{region}{letter}" for letter in "abc"],
            "privateDnsName": f"{service}.{region}.{suffix}",
            "id": name,
        }
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "accountId": EXAMPLE_ACCOUNT_ID,
            "arn": f"arn:{partition}:iam::{EXAMPLE_ACCOUNT_ID}:user/plinth-offline",
            "userId": "AIDAEXAMPLEOFFLINE",
            "id": EXAMPLE_ACCOUNT_ID,
        }
    if token == "aws:iam/getSessionContext:getSessionContext":
        return _session_context(str(args.get("arn", "")))
    if token == "aws:identitystore/getGroup:getGroup":
        unique = dict(dict(args.get("alternateIdentifier") or {}).get("uniqueAttribute") or {})
        display_name = str(unique.get("attributeValue", ""))
        group_id = str(uuid.UUID(hashlib.sha256(display_name.encode()).hexdigest()[:32]))
        return {
            "groupId": group_id,
            "displayName": display_name,
            "identityStoreId": args.get("identityStoreId", ""),
            "externalIds": [],
            "description": "",
            "id": group_id,
        }
    if token == "aws:index/getRegion:getRegion":
        return {"name": region, "region": region, "id": region, "endpoint": ""}
    if token == "aws:index/getPartition:getPartition":
        return {"partition": partition, "dnsSuffix": suffix, "id": partition}
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        area, direction, number = region.split("-")[-3:]
        return {
            "names": [f"{region}{letter}" for letter in "abcdef"],
            "zoneIds": [f"{area}{direction[0]}{number}-az{n}" for n in range(1, 7)],
            "id": region,
            "groupNames": [region],
        }
    if token == "aws:bedrock/getInferenceProfile:getInferenceProfile":
        profile_id = str(args.get("inferenceProfileId", ""))
        return {
            "inferenceProfileId": profile_id,
            "inferenceProfileArn": (
                f"arn:{partition}:bedrock:{region}:{EXAMPLE_ACCOUNT_ID}"
                f":inference-profile/{profile_id}"
            ),
            "inferenceProfileName": profile_id,
            "models": routed_models(profile_id, region),
            "status": "ACTIVE",
            "type": "SYSTEM_DEFINED",
            "id": profile_id,
            "region": region,
        }
    return None
