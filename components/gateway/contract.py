"""What the gateway's resources promise to the policy pack: the names it matches them by.

Kept free of heavy imports (boto3, the providers) so the pack loads fast.
"""

TENANT_METADATA = "plinth_tenant"
"""The team metadata key naming the Plinth tenant a gateway team belongs to (the pack matches
the team to the tenant's AWS budget by it)."""
DYNAMIC_RESOURCE_TYPE = "pulumi-python:dynamic:Resource"
"""The type every Python dynamic resource, GatewayTeam included, is registered with."""
LOGGABLE_CLASSIFICATIONS = ("public", "internal")
"""Data classifications whose tenants may keep prompts and completions in the gateway's logs
and traces; confidential and restricted data never lands there."""
CLASSIFICATION_TAG = "data-classification"
TENANT_TAG = "project"
"""Tags every tenant resource carries: its data classification and its tenant's name."""
