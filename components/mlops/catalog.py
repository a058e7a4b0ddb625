"""A tenant's data catalog: a Glue database over its datasets bucket, governed by Lake
Formation, classified with the platform's LF-tag, and granted to the tenant's roles only.

The statement builders are pure: given plain-string ARNs they return JSON-ready dicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.bedrock.guardrail import Classification
from components.iam import Statement, key_through, policy_document, suffixed
from components.mlops.contract import CLASSIFICATION_LF_TAG
from components.scope import AwsScope

CATALOG_PREFIX = "catalog/"
"""Where in the datasets bucket the catalog's tables keep their data."""

# Lake Formation permissions (GrantPermissions' Permission enum).
DATABASE_WRITE = ("DESCRIBE", "CREATE_TABLE", "ALTER")
DATABASE_READ = ("DESCRIBE",)
TABLE_WRITE = ("DESCRIBE", "SELECT", "INSERT", "DELETE", "ALTER", "DROP")
TABLE_READ = ("DESCRIBE", "SELECT")

GLUE_READ_ACTIONS = (
    "glue:GetDatabase",
    "glue:GetDatabases",
    "glue:GetUserDefinedFunctions",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
    "glue:SearchTables",
)
GLUE_WRITE_ACTIONS = (
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:DeleteTable",
    "glue:BatchCreatePartition",
    "glue:CreatePartition",
    "glue:UpdatePartition",
    "glue:BatchDeletePartition",
    "glue:DeletePartition",
)
"""IAM lets the call through; Lake Formation's grants decide what it may touch."""
DATA_ACCESS_ACTIONS = ("lakeformation:GetDataAccess",)
"""Lake Formation vends temporary S3 credentials for a registered location through this call;
it takes no resource (the grants name the data)."""

REGISTRATION_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
REGISTRATION_BUCKET_ACTIONS = ("s3:ListBucket",)
REGISTRATION_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
"""What Lake Formation's registration role needs for a location under a customer key
(Lake Formation Developer Guide, requirements for roles used to register locations)."""


@dataclass(frozen=True)
class CatalogArns:
    """The tenant's Glue catalog ARNs: the account's catalog, its database and its tables."""

    catalog: pulumi.Input[str]
    database: pulumi.Input[str]
    tables: pulumi.Input[str]


def catalog_arns(arn_prefix: pulumi.Input[str], database: str) -> CatalogArns:
    """From `arn:<partition>:glue:<region>:<account>:` and the database name."""
    return CatalogArns(
        catalog=suffixed(arn_prefix, "catalog"),
        database=suffixed(arn_prefix, f"database/{database}"),
        tables=suffixed(arn_prefix, f"table/{database}/*"),
    )


def catalog_statements(arns: CatalogArns, *, write: bool) -> list[Statement]:
    """Reading (with `write`, also defining) the tenant database's tables through Glue, and
    asking Lake Formation for the data its grants allow."""
    resources = [arns.catalog, arns.database, arns.tables]
    statements: list[Statement] = [
        {
            "Sid": "ReadTenantCatalog",
            "Effect": "Allow",
            "Action": list(GLUE_READ_ACTIONS),
            "Resource": resources,
        },
        {
            "Sid": "ReadGovernedData",
            "Effect": "Allow",
            "Action": list(DATA_ACCESS_ACTIONS),
            "Resource": "*",
        },
    ]
    if write:
        statements.append(
            {
                "Sid": "DefineTenantTables",
                "Effect": "Allow",
                "Action": list(GLUE_WRITE_ACTIONS),
                "Resource": resources,
            }
        )
    return statements


@dataclass(frozen=True)
class TenantCatalogArgs:
    """Inputs of a TenantCatalog.

    `writers` (the workload, admin and developer roles) define tables and read and write them;
    `readers` (the viewer) read them. `classification` is the tenant's, written as the
    database's `data-classification` LF-tag (the platform's DataLake creates the tag).
    """

    scope: AwsScope
    tenant: str
    database_name: str
    datasets_bucket: pulumi.Input[str]
    datasets_bucket_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    classification: Classification
    tags: Mapping[str, str]
    writers: Sequence[pulumi.Input[str]]
    readers: Sequence[pulumi.Input[str]] = ()
    ready: Sequence[pulumi.Resource] = ()
    """What the catalog waits for when the same stack makes them: the Lake Formation settings
    (the deployer an administrator, no IAM-only defaults) and the classification tag."""


class TenantCatalog(pulumi.ComponentResource):
    """The tenant's datasets as a governed catalog:

    - a Glue database `<prefix>_<tenant>` located at `catalog/` in the datasets bucket, with no
      IAM-only default on its new tables (Lake Formation's grants apply from the first table);
    - the datasets bucket registered with Lake Formation through a role of its own (S3 on that
      bucket and the tenant key through S3), so queries read it with credentials Lake Formation
      vends per grant, not with whole-bucket IAM;
    - the database tagged `data-classification=<tenant's classification>` (tables inherit it;
      a table may be tagged otherwise);
    - grants: writers DATA_LOCATION_ACCESS on the bucket, DESCRIBE/CREATE_TABLE/ALTER on the
      database and read, write, alter and drop every table in it; readers DESCRIBE and
      SELECT. Nobody else is granted anything.

    `pulumi destroy` drops the database's definitions and grants; the data stays in the
    retained datasets bucket.
    """

    database: aws.glue.CatalogDatabase

    def __init__(
        self, name: str, args: TenantCatalogArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("plinth:mlops:TenantCatalog", name, None, opts)
        tags = dict(args.tags)
        governed = pulumi.ResourceOptions(parent=self, depends_on=list(args.ready))
        self.database = aws.glue.CatalogDatabase(
            name,
            name=args.database_name,
            description=f"Datasets of tenant {args.tenant} (governed by Lake Formation)",
            location_uri=pulumi.Output.concat("s3://", args.datasets_bucket, f"/{CATALOG_PREFIX}"),
            # No defaults of its own: a database takes the account's when it is created, which
            # the platform's Lake Formation settings (made first: `ready`) leave empty. The
            # provider sends nothing for an empty list, so this states the intent.
            create_table_default_permissions=[],
            tags=tags,
            opts=governed,
        )
        location = self._register_location(name, args, tags, governed)
        classified = aws.lakeformation.ResourceLfTags(
            f"{name}-classification",
            database={"name": self.database.name},
            lf_tags=[{"key": CLASSIFICATION_LF_TAG, "value": args.classification}],
            opts=governed,
        )
        grants = [
            *((principal, DATABASE_WRITE, TABLE_WRITE) for principal in args.writers),
            *((principal, DATABASE_READ, TABLE_READ) for principal in args.readers),
        ]
        after_tags = pulumi.ResourceOptions(parent=self, depends_on=[*args.ready, classified])
        for index, principal in enumerate(args.writers):
            # Tables of a registered location need the location as well as CREATE_TABLE.
            aws.lakeformation.Permissions(
                f"{name}-location-{index}",
                principal=principal,
                permissions=["DATA_LOCATION_ACCESS"],
                data_location={"arn": args.datasets_bucket_arn},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.ready, location]),
            )
        for index, (principal, on_database, on_tables) in enumerate(grants):
            aws.lakeformation.Permissions(
                f"{name}-database-{index}",
                principal=principal,
                permissions=list(on_database),
                database={"name": self.database.name},
                opts=after_tags,
            )
            aws.lakeformation.Permissions(
                f"{name}-tables-{index}",
                principal=principal,
                permissions=list(on_tables),
                table={"database_name": self.database.name, "wildcard": True},
                opts=after_tags,
            )
        self.register_outputs({"database": self.database.name})

    def _register_location(
        self,
        name: str,
        args: TenantCatalogArgs,
        tags: dict[str, str],
        governed: pulumi.ResourceOptions,
    ) -> aws.lakeformation.Resource:
        """Lake Formation reads and writes the datasets bucket through a role that may use
        nothing else: the service-linked role cannot use a customer key unless the key policy
        names it, so the tenant's key stays closed to it.

        The role trusts Lake Formation and Glue, as the Lake Formation Developer Guide's
        requirements for registration roles say. Neither service is documented to send
        aws:SourceAccount when it assumes the role, so the account is checked when sent
        (IfExists), never required."""
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-location",
            description=f"Lake Formation reads and writes the datasets of tenant {args.tenant}",
            assume_role_policy=policy_document(
                [
                    {
                        "Sid": "AssumedByLakeFormationForThisAccountOnly",
                        "Effect": "Allow",
                        "Principal": {
                            "Service": [
                                args.scope.service_principal("lakeformation", parent=self),
                                args.scope.service_principal("glue", parent=self),
                            ]
                        },
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "StringEqualsIfExists": {"aws:SourceAccount": args.scope.account_id}
                        },
                    }
                ]
            ),
            tags=tags,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-location",
            role=role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "TenantDatasetsObjects",
                        "Effect": "Allow",
                        "Action": list(REGISTRATION_OBJECT_ACTIONS),
                        "Resource": pulumi.Output.concat(args.datasets_bucket_arn, "/*"),
                    },
                    {
                        "Sid": "TenantDatasetsBucket",
                        "Effect": "Allow",
                        "Action": list(REGISTRATION_BUCKET_ACTIONS),
                        "Resource": args.datasets_bucket_arn,
                    },
                    key_through(
                        "TenantKeyThroughS3",
                        args.key_arn,
                        REGISTRATION_KEY_ACTIONS,
                        service="s3",
                        region=args.scope.region,
                    ),
                ]
            ),
            opts=child,
        )
        return aws.lakeformation.Resource(
            f"{name}-location",
            arn=args.datasets_bucket_arn,
            role_arn=role.arn,
            hybrid_access_enabled=False,
            opts=pulumi.ResourceOptions.merge(
                governed, pulumi.ResourceOptions(depends_on=[policy])
            ),
        )
