"""Fixture: resource options, secrets, project config defaults and an explicit provider."""

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
first = aws.s3.Bucket("first", tags={"token": config.require_secret("token")})
second = aws.s3.Bucket(
    "second",
    opts=pulumi.ResourceOptions(
        protect=True, retain_on_delete=True, depends_on=[first], ignore_changes=["tags"]
    ),
)
ireland = aws.Provider("ireland", region="eu-west-1")
logs = aws.cloudwatch.LogGroup("logs", opts=pulumi.ResourceOptions(provider=ireland))

pulumi.log.warn("this warning reaches the preview's diagnostics")
pulumi.export("secondBucket", second.bucket)
pulumi.export("logGroupArn", logs.arn)
pulumi.export("hidden", pulumi.Output.secret("s3cr3t"))
pulumi.export("greeting", config.get("greeting"))
