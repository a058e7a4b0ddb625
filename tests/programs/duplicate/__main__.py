"""Fixture: two resources with one URN, which the real engine rejects."""

import pulumi_aws as aws

aws.s3.Bucket("data")
aws.s3.Bucket("data")
