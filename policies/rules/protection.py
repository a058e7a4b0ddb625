"""Protection: stateful resources cannot be deleted by an accidental `pulumi destroy` or replace.

Deleting a bucket, database, file system or key loses data that no redeploy brings back. The
policy engine shows a pack each resource's `protect` option but not `retain_on_delete` (see
`pulumi_policy.PolicyResourceOptions`), so this rule accepts `protect`, or the service's own
deletion guard where the service has one (RDS, DynamoDB). S3 and ECR have no such guard, only
flags that make deletion empty them first, which must stay off.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from policies.props import dig
from policies.report import Report
from policies.rule import Config, advisory, resource_rule

STATEFUL = (
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:kms/key:Key",
    "aws:rds/instance:Instance",
    "aws:rds/cluster:Cluster",
    "aws:dynamodb/table:Table",
    "aws:efs/fileSystem:FileSystem",
    "aws:fsx/lustreFileSystem:LustreFileSystem",
    "aws:fsx/ontapFileSystem:OntapFileSystem",
    "aws:fsx/openZfsFileSystem:OpenZfsFileSystem",
    "aws:fsx/windowsFileSystem:WindowsFileSystem",
    "aws:opensearch/domain:Domain",
    "aws:opensearch/serverlessCollection:ServerlessCollection",
    "aws:ebs/volume:Volume",
    "aws:ecr/repository:Repository",
)
"""Resources whose deletion loses data (log groups are left to the retention rules)."""

# (input, Python argument) of the service's own deletion guard, where it has one.
DELETION_GUARDS = {
    "aws:rds/instance:Instance": ("deletionProtection", "deletion_protection"),
    "aws:rds/cluster:Cluster": ("deletionProtection", "deletion_protection"),
    "aws:dynamodb/table:Table": ("deletionProtectionEnabled", "deletion_protection_enabled"),
}

# (input, Python argument) that makes deleting the resource delete its contents too.
FORCE_DELETE = {
    "aws:s3/bucket:Bucket": ("forceDestroy", "force_destroy"),
    "aws:s3/bucketV2:BucketV2": ("forceDestroy", "force_destroy"),
    "aws:ecr/repository:Repository": ("forceDelete", "force_delete"),
}

NOT_VISIBLE = (
    "retain_on_delete is invisible to the policy engine; `plinth:protect: true` in the stack "
    "spec sets protect on Plinth's stateful resources"
)


@resource_rule(
    id="protection-stateful-resources",
    area="protection",
    description="Resources that hold data (buckets, keys, databases, file systems, volumes, "
    "search domains, image repositories) are protected against accidental deletion: "
    "`protect`, or the service's deletion protection where it has one.",
    severity="high",
    remediation="Set plinth:protect: true in the stack config (Plinth's components pass it as "
    "protect=True), or pulumi.ResourceOptions(protect=True); on RDS set deletion_protection=True, "
    "on DynamoDB deletion_protection_enabled=True. Keep force_destroy / force_delete off.",
    fix={"*": "plinth:protect"},
    controls={
        "hipaa": ["164.312(c)(1)"],
        "gdpr": ["Art. 5(1)(f)"],
        "soc2": ["CC8.1"],
        "nist-800-53": ["CM-3"],
    },
    enforcement=advisory(mandatory_in=("hipaa", "pci")),
    types=STATEFUL,
)
def stateful_resources(args: ResourceValidationArgs, report: Report, _: Config) -> None:
    force_input, force_arg = FORCE_DELETE.get(args.resource_type, ("", ""))
    if force_input and dig(args.props, force_input) is True:
        report(f"{force_arg}=True lets a delete wipe the contents; leave it off")
    guard_input, guard_arg = DELETION_GUARDS.get(args.resource_type, ("", ""))
    if args.opts.protect or (guard_input and dig(args.props, guard_input) is True):
        return
    alternative = f" or {guard_arg}=True" if guard_arg else ""
    report(f"not protected against deletion: set protect=True{alternative}; {NOT_VISIBLE}")
