"""The MLOps layer: `mlops:` in a tenant file (experiment tracking, model registry, data
catalog) and `plinth:mlops` in a platform stack (Lake Formation over the tenants' catalogs)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.mlops.contract import SAGEMAKER_MLFLOW_VERSIONS, TrackingServerSize
from plinth.spec.base import IamPrincipalArn, SpecModel, invalid, without_duplicates

SAGEMAKER_ONLY = ("size", "mlflow_version", "automatic_model_registration")
"""TrackingSpec fields that configure a SageMaker tracking server."""


class TrackingSpec(SpecModel):
    """An MLflow tracking server of the tenant's own, its artifacts in the tenant's artifacts
    bucket under the tenant's key: Amazon SageMaker managed MLflow, or MLflow on the
    platform's gateway cluster (`server: cluster`)."""

    server: Literal["sagemaker", "cluster"] = "sagemaker"
    """`sagemaker`: a SageMaker managed MLflow tracking server. `cluster`: MLflow 3.15.1 in the
    tenant's namespace of the gateway's EKS cluster (plinth:gateway.cluster, which the tenant
    must run on), with authentication on and its stores in the platform's Aurora cluster."""
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

    @model_validator(mode="after")
    def _settings_of_the_server(self) -> TrackingSpec:
        given = [
            TrackingSpec.model_fields[field].alias or field
            for field in SAGEMAKER_ONLY
            if field in self.model_fields_set
        ]
        if self.server == "cluster" and given:
            verb, them = ("configures", "it") if len(given) == 1 else ("configure", "them")
            raise invalid(
                f"{', '.join(given)} {verb} a SageMaker tracking server; with server: cluster, "
                f"MLflow runs from the chart Plinth pins (remove {them}, or use server: sagemaker)"
            )
        return self


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

    def on_sagemaker(self) -> TrackingSpec | None:
        """The tracking settings when they ask for a SageMaker server."""
        tracking = self.tracking
        return tracking if tracking is not None and tracking.server == "sagemaker" else None

    def on_cluster(self) -> bool:
        """Tracking asks for MLflow on the gateway's cluster."""
        return self.tracking is not None and self.tracking.server == "cluster"


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
