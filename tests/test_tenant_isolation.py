"""Tenant isolation, proven against an IAM-enforcing mock of AWS (moto).

Two tenants, `fraud` and `search`, each get a bucket holding an object encrypted with their
own KMS key, and a workload role whose only policy is exactly what TenantPermissions attaches
for data: `data_statements(..., write=True)` over the real (moto) ARNs. A test user assumes one
tenant's role through STS, and every S3 call is then made with the role's credentials while
moto enforces IAM (`set_initial_no_auth_action_count(0)`): the role reads, lists and writes
its own bucket, and is denied the other tenant's.

What moto can and cannot show:
- S3 is authorised per bucket and object ARN, so the bucket half of isolation is evaluated for
  real; `test_a_grant_of_the_other_bucket_lets_the_role_in` shows the denials come from the
  policy and would turn into passes if the policy named the other bucket.
- KMS is authorised by action only: moto checks every KMS call against Resource "*", so a
  grant naming one key ARN never matches and direct calls are refused on any key, the
  tenant's own included. Key isolation therefore cannot be shown here; the last test checks,
  on the moto ARNs, that each tenant's document names its own key and buckets and nothing of
  the other tenant's. (In AWS the key grant also carries kms:ViaService, which moto ignores:
  its request context holds only sts:ExternalId, and a condition on any other key passes.)
- The workload role's real trust (EKS Pod Identity) cannot be exercised offline; the roles
  here trust the test user instead. Trust is tested in test_tenant_identity.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from components.tenant.permissions import data_statements

REGION = "us-east-1"
TENANTS = ("fraud", "search")
OBJECT_KEY = "datasets/train.jsonl"
CONTENT = b'{"text": "hello"}\n'

T = TypeVar("T")


@dataclass(frozen=True)
class Tenant:
    name: str
    bucket: str
    bucket_arn: str
    key_arn: str
    role_arn: str


@dataclass(frozen=True)
class Account:
    """The mocked account: the tenants, and the access key of the user who assumes roles."""

    tenants: dict[str, Tenant]
    access_key: dict[str, str]

    def other(self, tenant: str) -> Tenant:
        return next(t for name, t in self.tenants.items() if name != tenant)


def enforced(action: Callable[[], T]) -> T:
    """Runs `action` with moto authorising every request against IAM."""
    return set_initial_no_auth_action_count(0)(action)()


def access_policy(bucket_arns: list[str], key_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": data_statements(bucket_arns, key_arn, write=True, region=REGION),
        }
    )


@pytest.fixture
def account() -> Iterator[Account]:
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        s3 = boto3.client("s3", region_name=REGION)
        kms = boto3.client("kms", region_name=REGION)
        iam.create_user(UserName="assumer")
        iam.put_user_policy(
            UserName="assumer",
            PolicyName="assume-tenant-roles",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
                }
            ),
        )
        user_arn = iam.get_user(UserName="assumer")["User"]["Arn"]
        access_key = iam.create_access_key(UserName="assumer")["AccessKey"]
        tenants = {}
        for name in TENANTS:
            bucket = f"plinth-test-{name}-datasets"
            key_arn = kms.create_key(Description=f"{name} data")["KeyMetadata"]["Arn"]
            s3.create_bucket(Bucket=bucket)
            s3.put_object(
                Bucket=bucket,
                Key=OBJECT_KEY,
                Body=CONTENT,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=key_arn,
            )
            role = iam.create_role(
                RoleName=f"plinth-test-{name}-workload",
                AssumeRolePolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": user_arn},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                ),
            )["Role"]
            bucket_arn = f"arn:aws:s3:::{bucket}"
            iam.put_role_policy(
                RoleName=role["RoleName"],
                PolicyName="tenant-access",
                PolicyDocument=access_policy([bucket_arn], key_arn),
            )
            tenants[name] = Tenant(name, bucket, bucket_arn, key_arn, role["Arn"])
        yield Account(tenants, access_key)


def s3_as(account: Account, tenant: str) -> Any:
    """An S3 client with the credentials of `tenant`'s workload role (assumed under IAM
    enforcement, so the user's permission and the role's trust are checked too)."""

    def assume() -> dict[str, str]:
        sts = boto3.client(
            "sts",
            region_name=REGION,
            aws_access_key_id=account.access_key["AccessKeyId"],
            aws_secret_access_key=account.access_key["SecretAccessKey"],
        )
        credentials: dict[str, str] = sts.assume_role(
            RoleArn=account.tenants[tenant].role_arn, RoleSessionName=f"{tenant}-workload"
        )["Credentials"]
        return credentials

    credentials = enforced(assume)
    return boto3.client(
        "s3",
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def denied(call: Callable[[], object]) -> bool:
    try:
        enforced(call)
    except ClientError as error:
        return error.response["Error"]["Code"] == "AccessDenied"
    return False


@pytest.mark.parametrize("tenant", TENANTS)
def test_a_workload_reads_lists_and_writes_its_own_bucket(account: Account, tenant: str) -> None:
    s3 = s3_as(account, tenant)
    bucket = account.tenants[tenant].bucket
    found = enforced(lambda: s3.get_object(Bucket=bucket, Key=OBJECT_KEY))
    assert found["Body"].read() == CONTENT
    listed = enforced(lambda: s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert [item["Key"] for item in listed] == [OBJECT_KEY]
    enforced(lambda: s3.put_object(Bucket=bucket, Key="results/run-1.json", Body=b"{}"))
    enforced(lambda: s3.delete_object(Bucket=bucket, Key="results/run-1.json"))


OPERATIONS: dict[str, Callable[[Any, str], object]] = {
    "ListBucket": lambda s3, bucket: s3.list_objects_v2(Bucket=bucket),
    "GetObject": lambda s3, bucket: s3.get_object(Bucket=bucket, Key=OBJECT_KEY),
    "PutObject": lambda s3, bucket: s3.put_object(Bucket=bucket, Key="stolen", Body=b"x"),
    "DeleteObject": lambda s3, bucket: s3.delete_object(Bucket=bucket, Key=OBJECT_KEY),
}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("tenant", TENANTS)
def test_a_workload_is_denied_the_other_tenants_bucket(
    account: Account, tenant: str, operation: str
) -> None:
    s3 = s3_as(account, tenant)
    other = account.other(tenant).bucket
    assert denied(lambda: OPERATIONS[operation](s3, other))


def test_a_grant_of_the_other_bucket_lets_the_role_in(account: Account) -> None:
    """The denials above come from the policy: name the other tenant's bucket in it and the
    same calls succeed (so a policy leaking across tenants would fail those tests)."""
    fraud, search = account.tenants["fraud"], account.tenants["search"]
    boto3.client("iam", region_name=REGION).put_role_policy(
        RoleName="plinth-test-fraud-workload",
        PolicyName="tenant-access",
        PolicyDocument=access_policy([fraud.bucket_arn, search.bucket_arn], fraud.key_arn),
    )
    s3 = s3_as(account, "fraud")
    assert not denied(lambda: OPERATIONS["GetObject"](s3, search.bucket))
    assert not denied(lambda: OPERATIONS["ListBucket"](s3, search.bucket))


def test_an_unauthorised_caller_is_denied(account: Account) -> None:
    """Enforcement is on: the assuming user itself has no S3 rights."""
    user = boto3.client(
        "s3",
        region_name=REGION,
        aws_access_key_id=account.access_key["AccessKeyId"],
        aws_secret_access_key=account.access_key["SecretAccessKey"],
    )
    assert denied(lambda: user.list_objects_v2(Bucket=account.tenants["fraud"].bucket))


def resources(document: str) -> set[str]:
    found: set[str] = set()
    for entry in json.loads(document)["Statement"]:
        value = entry["Resource"]
        found |= {value} if isinstance(value, str) else set(value)
    return found


@pytest.mark.parametrize("tenant", TENANTS)
def test_a_workload_policy_names_only_its_own_bucket_and_key(account: Account, tenant: str) -> None:
    iam = boto3.client("iam", region_name=REGION)
    document = iam.get_role_policy(
        RoleName=f"plinth-test-{tenant}-workload", PolicyName="tenant-access"
    )["PolicyDocument"]
    own = account.tenants[tenant]
    text = document if isinstance(document, str) else json.dumps(document)
    assert resources(text) == {own.bucket_arn, f"{own.bucket_arn}/*", own.key_arn}
