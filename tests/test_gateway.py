"""The LLM gateway: its spec, what the dev stack builds for it, its configuration, and the
tenant-team resource's calls (against a loopback admin API and moto's Secrets Manager)."""

from __future__ import annotations

import base64
import dataclasses
import ipaddress
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import boto3
import pytest
from moto import mock_aws
from support import dev_stack_document, of_type, one
from test_tenant_spec import problems, tenant, wire

from components.gateway.admin import MASTER_KEY_HEADER
from components.gateway.config import GuardrailRef, ProxySettings, proxy_config
from components.gateway.release import GATEWAY_VERSION, advisory_problem
from components.gateway.teams import GatewayTeamProvider
from components.gateway.transport import CLUSTER_HEADER, TOKEN_PREFIX, eks_token
from plinth.engine import Preview
from plinth.spec import load_spec

SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
TITAN = "amazon.titan-embed-text-v2:0"
LLAMA = "llama-3-1-8b"
"""The dev stack's served model."""
RELEASE = "kubernetes:helm.sh/v3:Release"


def gateway_config(**changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = dev_stack_document()["config"]
    config["plinth:tenants"] = []
    config.update({f"plinth:{key}": value for key, value in changes.items()})
    return config


# --- spec -------------------------------------------------------------------------------


def test_the_gateway_needs_an_eks_cluster_of_the_stack() -> None:
    assert problems(gateway_config(gateway={"cluster": "nope"})) == [
        "plinth:gateway.cluster: 'nope' is not a cluster of this stack (EKS clusters: gpu)"
    ]


def test_fallbacks_name_served_models_only() -> None:
    config = gateway_config(gateway={"cluster": "gpu", "fallbacks": {SONNET: [SONNET, "gpt-4o"]}})
    assert problems(config) == [
        f"plinth:gateway.fallbacks.{SONNET}[0]: falls back to itself",
        f"plinth:gateway.fallbacks.{SONNET}[1]: 'gpt-4o' is not a gateway model "
        f"(approved: {SONNET}, {TITAN})",
    ]


def test_a_tenant_asks_for_served_models_and_logs_only_what_its_class_allows() -> None:
    grant = {"models": ["gpt-4o"], "monthlyBudgetUsd": 100, "logMessages": True}
    config = gateway_config(tenants=[tenant(dataClassification="confidential", gateway=grant)])
    assert problems(config) == [
        "plinth:tenants[0].gateway.logMessages: a confidential tenant's prompts and "
        "completions stay out of the request logs; only public or internal tenants may keep them",
        f"plinth:tenants[0].gateway.models[0]: 'gpt-4o' is not a gateway model "
        f"(approved: {SONNET}, {TITAN}, {LLAMA})",
    ]


def test_a_tenant_cannot_ask_for_a_gateway_the_platform_lacks() -> None:
    config = gateway_config(tenants=[tenant(gateway={"models": [SONNET], "monthlyBudgetUsd": 1})])
    del config["plinth:gateway"]
    del config["plinth:observability"]  # whose trace store would need the gateway too
    assert problems(config) == [
        "plinth:tenants[0].gateway: the platform has no gateway (plinth:gateway)"
    ]


def served(**changes: Any) -> dict[str, Any]:
    return {"name": "mistral-7b", "pool": "l40s", "path": "org/model", **changes}


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        (
            served(pool="h100"),
            "servedModels[0].pool: 'h100' is not a GPU pool of the gateway's cluster (l40s)",
        ),
        (
            served(bucket="weights"),
            "servedModels[0].bucket: 'weights' is not a bucket of "
            "plinth:storage.buckets (datasets, models)",
        ),
        # g6e.xlarge and g6e.2xlarge have one L40S each
        (
            served(gpus=2),
            "servedModels[0].gpus: 2 GPUs per replica do not fit on a node of "
            "pool 'l40s' (1 per node)",
        ),
        (
            served(replicas=3),
            "servedModels[0].replicas: 3 replicas of 1 GPUs exceed pool "
            "'l40s' (2 GPUs at maxNodes)",
        ),
        # the pool's largest node is a g6e.2xlarge: 8 vCPUs, 64 GiB
        (
            served(cpus=8),
            "servedModels[0].cpus: 8 CPUs per replica do not fit on the largest "
            "node of pool 'l40s' (8 vCPUs, about 7 for pods)",
        ),
        (
            served(memoryGb=60),
            "servedModels[0].memoryGb: 60 GiB per replica do not fit on the "
            "largest node of pool 'l40s' (64 GiB, about 56 GiB for pods)",
        ),
        (served(path="/org/model/"), "servedModels[0].path: '/org/model/' is not a key prefix"),
        (served(name="Llama_3"), "servedModels[0].name: 'Llama_3' is not a served model name"),
    ],
)
def test_served_models_must_fit_their_pool_and_bucket(model: dict[str, Any], problem: str) -> None:
    found = problems(gateway_config(gateway={"cluster": "gpu", "servedModels": [model]}))
    assert len(found) == 1
    assert found[0].startswith(f"plinth:gateway.{problem}")


def test_a_served_model_fits_and_takes_part_in_fallbacks() -> None:
    gateway = {
        "cluster": "gpu",
        "servedModels": [served(name=LLAMA, replicas=2, cpus=7, memoryGb=56)],
        "fallbacks": {LLAMA: [SONNET], SONNET: [LLAMA]},
    }
    grant = {"models": [LLAMA], "monthlyBudgetUsd": 100}
    spec = load_spec(wire(gateway_config(gateway=gateway, tenants=[tenant(gateway=grant)])))
    assert spec.gateway_models()[-1] == LLAMA
    assert spec.tenants[0].gateway is not None
    assert spec.tenants[0].gateway.models == (LLAMA,)


def test_the_gateway_calls_the_bedrock_models_teams_are_granted_and_their_fallbacks() -> None:
    gateway = {
        "cluster": "gpu",
        "servedModels": [served(name=LLAMA)],
        "fallbacks": {LLAMA: [TITAN]},
    }
    grant = {"models": [LLAMA], "monthlyBudgetUsd": 100}
    spec = load_spec(wire(gateway_config(gateway=gateway, tenants=[tenant(gateway=grant)])))
    # LLAMA is served in the cluster, not by Bedrock; its fallback is.
    assert spec.gateway_bedrock_models() == (TITAN,)
    assert load_spec(wire(gateway_config(gateway=gateway))).gateway_bedrock_models() == ()


# --- the release ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "refused"),
    [
        (GATEWAY_VERSION, False),
        ("1.83.7", False),
        ("v1.83.7-stable", False),
        ("1.83.6", True),
        ("1.82.8", True),
        ("latest", True),
    ],
)
def test_releases_before_the_advisories_fix_are_refused(version: str, refused: bool) -> None:
    assert (advisory_problem(version) is not None) is refused


# --- what the dev stack builds ----------------------------------------------------------


def test_the_database_is_encrypted_private_iam_authenticated_and_retained(
    dev_preview: Preview,
) -> None:
    cluster = one(dev_preview, "aws:rds/cluster:Cluster")
    inputs = cluster.plain_inputs
    assert inputs["storageEncrypted"] is True
    assert inputs["iamDatabaseAuthenticationEnabled"] is True
    assert inputs["manageMasterUserPassword"] is True
    assert "masterPassword" not in inputs
    assert inputs["skipFinalSnapshot"] is False
    assert inputs["backupRetentionPeriod"] == 14  # soc2
    assert inputs["deletionProtection"] is True  # soc2, though plinth:protect is off
    assert cluster.retain_on_delete
    instance = one(dev_preview, "aws:rds/clusterInstance:ClusterInstance")
    assert instance.plain_inputs["publiclyAccessible"] is False
    assert instance.plain_inputs["instanceClass"] == "db.serverless"


def test_the_cache_is_valkey_with_iam_users_only(dev_preview: Preview) -> None:
    cache = one(dev_preview, "aws:elasticache/serverlessCache:ServerlessCache").plain_inputs
    assert (cache["engine"], cache["majorEngineVersion"]) == ("valkey", "8")
    assert cache["kmsKeyId"]
    assert cache["userGroupId"]
    users = {
        u.plain_inputs["userName"]: u.plain_inputs
        for u in of_type(dev_preview, "aws:elasticache/user:User")
    }
    assert users["default"]["accessString"] == "off -@all"
    (service,) = [u for name, u in users.items() if name != "default"]
    assert service["authenticationMode"] == {"type": "iam"}
    assert service["userName"] == service["userId"]


def test_the_release_is_pinned_and_its_values_hold_no_secret(dev_preview: Preview) -> None:
    release = one(dev_preview, RELEASE, "gateway").plain_inputs
    assert (release["chart"], release["version"]) == (
        "oci://ghcr.io/berriai/litellm-helm",
        GATEWAY_VERSION,
    )
    values = release["values"]
    assert values["image"]["tag"] == f"v{GATEWAY_VERSION}"
    assert values["envVars"]["IAM_TOKEN_DB_AUTH"] == "true"
    text = json.dumps(values)
    assert "sk-" not in text
    assert "offline" not in text
    assert values["proxy_config"]["litellm_settings"]["turn_off_message_logging"] is True


def test_the_gateway_role_invokes_the_approved_models_only_with_the_guardrail(
    dev_preview: Preview,
) -> None:
    policy = json.loads(
        one(dev_preview, "aws:iam/rolePolicy:RolePolicy", "gateway-gateway-policy").plain_inputs[
            "policy"
        ]
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    invoke = by_sid["InvokeApprovedModels"]
    assert "bedrock:GuardrailIdentifier" in invoke["Condition"]["StringEquals"]
    assert all("*" not in arn for arn in invoke["Resource"])
    assert len(by_sid["ReadTheServiceSecrets"]["Resource"]) == 2
    assert by_sid["ConnectAsTheServiceDatabaseUser"]["Resource"].endswith("/litellm")
    # request logs: add objects under gateway/ of the invocation log bucket, nothing else
    logs = one(dev_preview, "aws:s3/bucket:Bucket", "plinth-dev-bedrock-logs").id
    assert by_sid["WriteRequestLogs"] == {
        "Sid": "WriteRequestLogs",
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": f"arn:aws:s3:::{logs}/gateway/*",
    }
    assert by_sid["EncryptRequestLogsThroughS3"]["Action"] == ["kms:GenerateDataKey"]


def test_the_tenant_key_reaches_its_namespace_as_a_secret(dev_preview: Preview) -> None:
    secret = one(dev_preview, "kubernetes:core/v1:Secret", "search-gateway-key")
    assert secret.plain_inputs["metadata"]["namespace"] == "search"
    team = one(dev_preview, "pulumi-python:dynamic:Resource", "search-gateway-team")
    inputs = team.plain_inputs
    assert (inputs["team_id"], inputs["models"], inputs["max_budget"]) == (
        "search",
        [SONNET, LLAMA],
        500,
    )


def test_the_served_model_streams_its_weights_and_is_reachable_from_the_gateway_only(
    dev_preview: Preview,
) -> None:
    deployment = one(dev_preview, "kubernetes:apps/v1:Deployment", LLAMA).plain_inputs
    assert deployment["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "serving"
    pod = deployment["spec"]["template"]["spec"]
    container, sidecar = pod["containers"]
    assert (container["name"], sidecar["name"]) == ("vllm", "metrics")
    bucket = one(dev_preview, "aws:s3/bucket:Bucket", "plinth-dev-models").id
    assert container["args"][0] == f"s3://{bucket}/meta-llama/Llama-3.1-8B-Instruct"
    assert "--load-format=runai_streamer" in container["args"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert pod["nodeSelector"] == {"plinth.dev/gpu-pool": "l40s"}
    assert pod["priorityClassName"] == "plinth-inference"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    # The streamer's CPU buffer is bounded: a quarter of the 12 GiB replica, not the whole
    # 16 GB of weights that its default would hold.
    env = {variable["name"]: variable["value"] for variable in container["env"]}
    assert container["resources"]["limits"]["memory"] == "12Gi"
    assert env["RUNAI_STREAMER_MEMORY_LIMIT"] == str(3 * 1024**3)
    policy = json.loads(
        one(dev_preview, "aws:iam/rolePolicy:RolePolicy", f"model-{LLAMA}-role").plain_inputs[
            "policy"
        ]
    )
    reads = {s["Sid"]: s for s in policy["Statement"]}["ReadTheModelWeights"]
    assert reads["Resource"] == f"arn:aws:s3:::{bucket}/meta-llama/Llama-3.1-8B-Instruct/*"
    allow = one(
        dev_preview, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "serving-allow-gateway"
    )
    (peer,) = allow.plain_inputs["spec"]["ingress"][0]["from"]
    assert peer["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "plinth-gateway"
    }
    egress = one(
        dev_preview, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "serving-allow-egress"
    )
    (https,) = [
        rule
        for rule in egress.plain_inputs["spec"]["egress"]
        if {"protocol": "TCP", "port": 443} in rule["ports"]
    ]
    (outside,) = https["to"]  # HTTPS, but to nothing in the VPC
    vpc_cidr = one(dev_preview, "aws:ec2/vpc:Vpc", "plinth-dev").plain_inputs["cidrBlock"]
    assert any(
        ipaddress.ip_network(vpc_cidr).subnet_of(ipaddress.ip_network(private))
        for private in outside["ipBlock"]["except"]
    )
    queue = one(dev_preview, "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue", "serving")
    (gpus,) = queue.plain_inputs["spec"]["resourceGroups"][0]["flavors"]
    assert gpus == {
        "name": "gpu-l40s",
        "resources": [{"name": "nvidia.com/gpu", "nominalQuota": 0, "borrowingLimit": 1}],
    }
    model_list = one(dev_preview, RELEASE, "gateway").plain_inputs["values"]["proxy_config"][
        "model_list"
    ]
    assert model_list[-1]["litellm_params"]["api_base"] == (
        f"http://{LLAMA}.plinth-models.svc.cluster.local:8000/v1"
    )


def test_a_team_key_asked_for_in_secrets_manager_is_the_tenants_to_read(
    dev_preview: Preview,
) -> None:
    secret = one(dev_preview, "aws:secretsmanager/secret:Secret", "search-gateway-key-secret")
    assert secret.plain_inputs["name"] == "plinth-dev/search/llm-gateway-key"
    tenant_key = one(dev_preview, "aws:kms/key:Key", "plinth-dev-search")
    assert secret.property_dependencies["kmsKeyId"] == (tenant_key.urn,)
    version = one(dev_preview, "aws:secretsmanager/secretVersion:SecretVersion", "search-gateway")
    assert version.property_dependencies["secretString"]  # the team's key, never typed in
    read = one(dev_preview, "aws:iam/rolePolicy:RolePolicy", "search-gateway-key-read")
    assert set(read.property_dependencies["policy"]) == {secret.urn, tenant_key.urn}
    statements = json.loads(read.plain_inputs["policy"])["Statement"]
    assert [s["Action"] for s in statements] == [
        ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        ["kms:Decrypt"],
    ]
    workload = one(dev_preview, "aws:iam/role:Role", "search-identity-workload")
    assert read.property_dependencies["role"] == (workload.urn,)
    # fraud-detection did not ask
    assert not [
        s for s in of_type(dev_preview, "aws:secretsmanager/secret:Secret") if "fraud" in s.name
    ]


# --- configuration ----------------------------------------------------------------------


def test_chat_models_carry_the_guardrail_and_embeddings_do_not() -> None:
    config = proxy_config(
        ProxySettings(
            region="us-east-1",
            bedrock_region="us-east-1",
            bedrock_models=[SONNET, TITAN],
            guardrail=GuardrailRef("arn:aws:bedrock:us-east-1:123456789012:guardrail/g1", "3"),
        )
    )
    chat, embed = (entry["litellm_params"] for entry in config["model_list"])
    assert chat["model"] == f"bedrock/converse/{SONNET}"
    assert chat["guardrailConfig"]["guardrailVersion"] == "3"
    assert embed == {"model": f"bedrock/{TITAN}", "aws_region_name": "us-east-1"}


def test_served_models_apply_the_guardrail_through_the_proxy() -> None:
    guardrail = GuardrailRef("arn:aws:bedrock:us-east-1:123456789012:guardrail/g1", "3")
    settings = ProxySettings(
        region="us-east-1",
        bedrock_region="us-east-1",
        bedrock_models=[SONNET],
        guardrail=guardrail,
        served_models=[LLAMA],
    )
    config = proxy_config(settings)
    served_entry = config["model_list"][1]
    assert served_entry["litellm_params"]["model"] == f"hosted_vllm/{LLAMA}"
    (defined,) = config["guardrails"]
    assert served_entry["litellm_params"]["guardrails"] == [defined["guardrail_name"]]
    assert defined["litellm_params"]["default_on"] is False  # Bedrock models apply it in-call
    assert "guardrails" not in config["model_list"][0]["litellm_params"]
    unguarded = proxy_config(dataclasses.replace(settings, guardrail=None))
    assert "guardrails" not in unguarded
    assert "guardrails" not in unguarded["model_list"][1]["litellm_params"]


def test_the_eks_token_is_a_presigned_caller_identity_naming_the_cluster() -> None:
    session = boto3.Session(aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x")
    token = eks_token("plinth-dev-gpu", "us-east-1", session)
    assert token.startswith(TOKEN_PREFIX)
    encoded = token.removeprefix(TOKEN_PREFIX)
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert url.startswith("https://sts.us-east-1.amazonaws.com/")
    assert query["Action"] == ["GetCallerIdentity"]
    assert CLUSTER_HEADER in query["X-Amz-SignedHeaders"][0]


# --- the team resource ------------------------------------------------------------------


class AdminApi(BaseHTTPRequestHandler):
    """The admin routes the team resource calls, keeping teams and keys in memory; refuses
    any call without the master key."""

    master_key = "sk-master"
    teams: ClassVar[dict[str, dict[str, Any]]] = {}
    keys: ClassVar[dict[str, str]] = {}

    def log_message(self, *_: Any) -> None:
        pass

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.headers.get(MASTER_KEY_HEADER) != self.master_key:
            return self._reply(401, {"error": "no key"})
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/team/info":
            team = self.teams.get(query["team_id"])
            return self._reply(200, {"team_info": team}) if team else self._reply(404, {})
        if url.path == "/key/info":
            return self._reply(200, {}) if query["key"] in self.keys else self._reply(404, {})
        return self._reply(404, {})

    def do_POST(self) -> None:
        if self.headers.get(MASTER_KEY_HEADER) != self.master_key:
            return self._reply(401, {"error": "no key"})
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path in ("/team/new", "/team/update"):
            self.teams[body["team_id"]] = body
        elif self.path == "/team/delete":
            for team_id in body["team_ids"]:
                self.teams.pop(team_id, None)
        elif self.path == "/key/generate":
            key = f"sk-{body['team_id']}-{len(self.keys)}"
            self.keys[key] = body["team_id"]
            return self._reply(200, {"key": key})
        elif self.path == "/key/delete":
            for key in body["keys"]:
                self.keys.pop(key, None)
        return self._reply(200, {})


@pytest.fixture
def admin_url() -> Iterator[str]:
    AdminApi.teams, AdminApi.keys = {}, {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), AdminApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@mock_aws
def test_the_team_follows_the_file_and_comes_back_after_a_hand_edit(
    admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    secret = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="plinth-dev/gateway/master-key", SecretString=AdminApi.master_key
    )
    props: dict[str, Any] = {
        "team_id": "search",
        "models": [SONNET],
        "max_budget": 500.0,
        "rpm_limit": 600,
        "tpm_limit": 200000,
        "metadata": {"plinth_tenant": "search"},
        "master_key_secret_arn": secret["ARN"],
        "region": "us-east-1",
        "admin_url": admin_url,
    }
    provider = GatewayTeamProvider()
    created = provider.create(props)
    key = created.outs["key"]
    assert AdminApi.teams["search"]["max_budget"] == 500.0
    assert AdminApi.keys == {key: "search"}

    assert not provider.diff("search", created.outs, props).changes
    AdminApi.teams["search"]["max_budget"] = 5000.0  # edited by hand
    assert provider.diff("search", created.outs, props).changes

    provider.update("search", created.outs, {**props, "max_budget": 800.0})
    assert AdminApi.teams["search"]["max_budget"] == 800.0

    del AdminApi.teams["search"]  # deleted by hand
    assert provider.diff("search", created.outs, props).changes

    provider.update("search", created.outs, props)
    provider.delete("search", created.outs)
    assert AdminApi.teams == {}
    assert AdminApi.keys == {}
