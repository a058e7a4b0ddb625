"""Fixture: the program fails in its own helper module."""

import pulumi_aws as aws
from helpers import subnet_count

aws.s3.Bucket("before-the-error")
subnet_count(0)
