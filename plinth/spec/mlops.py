"""The MLOps layer: `mlops:` in a tenant file (experiment tracking, model registry, data
catalog) and `plinth:mlops` in a platform stack (Lake Formation over the tenants' catalogs)."""

from __future__ import annotations

from pydantic import Field, field_validator

from components.mlops.contract import SAGEMAKER_MLFLOW_VERSIONS, TrackingServerSize
from plinth.spec.base import IamPrincipalArn, SpecModel, invalid, without_duplicates


class TrackingSpec(SpecModel):
    """An Amazon SageMaker managed MLflow tracking server for the tenant's experiments and
    registered models, its artifacts in the tenant's artifacts bucket under the tenant's key."""

    size: TrackingServerSize = "Small"
    """SageMaker tracking server size (Small: up to 25 users; Medium 50; Large 100)."""
    mlflow_version: str = SAGEMAKER_MLFLOW_VERSIONS[-1]
    """MLflow version of the SageMaker tracking server."""
    automatic_model_registration: bool = False
    """SageMaker copies each model registered in MLflow into the SageMaker Model Registry,
    where versions await approval (name registered models `<prefix>-<tenant>--<model>`: the
    server may write only the tenant's groups)."""

    @field_validator("mlflow_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if value not in SAGEMAKER_MLFLOW_VERSIONS:
            raise invalid(
                f"{value!r} is not an MLflow version SageMaker offers "
                f"({', '.join(SAGEMAKER_MLFLOW_VERSIONS)})"
            )
        return value


class TenantMlopsSpec(SpecModel):
    """The tenant's MLOps layer: tracking, a model registry with an approval step, and a
    catalog of its datasets governed by Lake Formation."""

    tracking: TrackingSpec | None = None
    """An MLflow tracking server of the tenant's own."""
    registry: bool = True
    """A SageMaker model package group `<prefix>-<tenant>`: a version reaches production only
    when the tenant's admin persona approves it (developers cannot)."""
    catalog: bool = True
    """A Glue database for the tenant's datasets, governed by Lake Formation (needs the
    platform's plinth:mlops)."""


class PlatformMlopsSpec(SpecModel):
    """Lake Formation in control of the tenants' data catalogs: its administrators, the
    data-classification LF-tag, and no IAM-only access to new databases and tables."""

    lake_formation_admins: tuple[IamPrincipalArn, ...] = Field(min_length=1)
    """IAM roles or users that administer Lake Formation. The settings replace the account's
    whole administrator list; the role running `pulumi up` is added to it (without it, Pulumi
    could not grant tenants their catalogs)."""

    @field_validator("lake_formation_admins")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return without_duplicates(values)
