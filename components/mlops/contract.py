"""Names and values the MLOps components, the spec and the policies share."""

from __future__ import annotations

from typing import Literal

from components.bedrock.guardrail import Classification

TrackingServerSize = Literal["Small", "Medium", "Large"]
"""SageMaker's MLflow tracking server sizes (CreateMlflowTrackingServer's TrackingServerSize)."""

SAGEMAKER_MLFLOW_VERSIONS = ("2.13.2", "2.16.2", "3.0")
"""MLflow versions SageMaker's tracking servers run: 2.13.x, 2.16.x and 3.0.x, whose clients
are mlflow 2.13.2, 2.16.2 and 3.0.0 (SageMaker AI developer guide, "Integrate MLflow with
your environment", docs.aws.amazon.com/sagemaker/latest/dg/mlflow-track-experiments.html).
The last is the default."""

REGISTRY_GROUP_SEPARATOR = "--"
"""Between a tenant's registry name and a model's, in model package groups MLflow's automatic
registration creates (`<prefix>-<tenant>--<model>`). Tenant names hold no `--`, so no tenant's
group names start with another's."""

CLASSIFICATION_LF_TAG = "data-classification"
"""The Lake Formation tag holding a database's or table's data classification."""
CLASSIFICATION_ORDER: tuple[Classification, ...] = (
    "public",
    "internal",
    "confidential",
    "restricted",
)
"""The classification LF-tag's values, least to most sensitive."""


def registry_name(name_prefix: str, tenant: str) -> str:
    """`<prefix>-<tenant>`: the tenant's model package group and tracking server."""
    return f"{name_prefix}-{tenant}"


def catalog_database_name(name_prefix: str, tenant: str) -> str:
    """`<prefix>_<tenant>` with `_` for `-`: Athena and Spark SQL read Glue names with hyphens
    only when quoted."""
    return f"{name_prefix}_{tenant}".replace("-", "_")
