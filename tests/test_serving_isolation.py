"""A served model's weights role, proven against an IAM-enforcing mock of AWS (moto).

Two models' weights live under two prefixes of one models bucket, each read by its own role
whose only policy is exactly what ServedModel attaches (`weights_statements` over the real
moto ARNs). A test user assumes a model's role through STS and reads with its credentials
while moto enforces IAM: the role reads its own weights, and is denied the other model's, the
bucket's other data, and any write; a policy over the whole bucket fails this test. (moto
authorises S3 per object ARN, so these denials come from the policy; it does not evaluate the
`s3:prefix` condition on listing, nor KMS per key: test_tenant_isolation.py explains both, and
test_gateway.py checks those statements' text.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from test_tenant_isolation import REGION, denied, enforced

from components.serving.vllm import weights_statements

BUCKET = "plinth-test-models"
MODELS = {"llama": "meta-llama/Llama-3.1-8B-Instruct", "mistral": "mistralai/Mistral-7B"}
WEIGHTS = "model-00001-of-00004.safetensors"


@pytest.fixture
def readers() -> Iterator[dict[str, object]]:
    """An S3 client per model, with that model's weights role."""
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        s3 = boto3.client("s3", region_name=REGION)
        key_arn = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        s3.create_bucket(Bucket=BUCKET)
        for path in [*MODELS.values(), "datasets"]:
            s3.put_object(Bucket=BUCKET, Key=f"{path}/{WEIGHTS}", Body=path.encode())
        iam.create_user(UserName="assumer")
        allow_assume = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
        iam.put_user_policy(
            UserName="assumer",
            PolicyName="assume",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow_assume]}),
        )
        user_arn = iam.get_user(UserName="assumer")["User"]["Arn"]
        access_key = iam.create_access_key(UserName="assumer")["AccessKey"]
        sts = boto3.client(
            "sts",
            region_name=REGION,
            aws_access_key_id=access_key["AccessKeyId"],
            aws_secret_access_key=access_key["SecretAccessKey"],
        )
        clients: dict[str, object] = {}
        for model, path in MODELS.items():
            trust = {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}
            role_arn = iam.create_role(
                RoleName=f"model-{model}",
                AssumeRolePolicyDocument=json.dumps(
                    {"Version": "2012-10-17", "Statement": [trust]}
                ),
            )["Role"]["Arn"]
            statements = weights_statements(f"arn:aws:s3:::{BUCKET}", path, key_arn, REGION)
            iam.put_role_policy(
                RoleName=f"model-{model}",
                PolicyName="weights",
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
            )
            credentials = enforced(
                lambda arn=role_arn, name=model: sts.assume_role(RoleArn=arn, RoleSessionName=name)
            )["Credentials"]
            clients[model] = boto3.client(
                "s3",
                region_name=REGION,
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )
        yield clients


@pytest.mark.parametrize("model", MODELS)
def test_a_model_reads_its_own_weights_only(readers: dict[str, object], model: str) -> None:
    s3: object = readers[model]
    own = enforced(lambda: s3.get_object(Bucket=BUCKET, Key=f"{MODELS[model]}/{WEIGHTS}"))  # type: ignore[attr-defined]
    assert own["Body"].read() == MODELS[model].encode()
    other = next(path for name, path in MODELS.items() if name != model)
    assert denied(lambda: s3.get_object(Bucket=BUCKET, Key=f"{other}/{WEIGHTS}"))  # type: ignore[attr-defined]
    assert denied(lambda: s3.get_object(Bucket=BUCKET, Key=f"datasets/{WEIGHTS}"))  # type: ignore[attr-defined]
    assert denied(lambda: s3.put_object(Bucket=BUCKET, Key=f"{MODELS[model]}/x", Body=b"x"))  # type: ignore[attr-defined]
