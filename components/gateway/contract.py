"""What the gateway's resources promise to the policy pack: the names it matches them by.

Kept free of heavy imports (boto3, the providers) so the pack loads fast.
"""

TENANT_METADATA = "plinth_tenant"
"""The team metadata key naming the Plinth tenant a gateway team belongs to (the pack matches
the team to the tenant's AWS budget by it)."""
DYNAMIC_RESOURCE_TYPE = "pulumi-python:dynamic:Resource"
"""The type every Python dynamic resource, GatewayTeam included, is registered with."""
