"""Names the model servers, the gateway and the policy pack agree on (no heavy imports)."""

SERVING_NAMESPACE = "plinth-models"
"""The namespace of every self-hosted model server; only the gateway's pods reach it."""
MODEL_PORT = 8000
"""vLLM's OpenAI-compatible server port (its default)."""
METRICS_PORT = 8081
"""Each model server pod's metrics sidecar: vLLM's `/metrics` alone, so collectors that cannot
be told apart from other pods (the managed collector's addresses are in the VPC's subnets)
can be let in without reaching the model's API, which shares vLLM's port."""
MODEL_SERVER_LABEL = "plinth.dev/model-server"
"""Pod label (value: the served model's name) of every model server pod."""
SERVING_QUEUE = "serving"
"""The LocalQueue model servers are admitted through."""
SERVING_CLUSTER_QUEUE = "plinth-serving"


def model_base_url(name: str) -> str:
    """The OpenAI-compatible base URL the gateway calls a served model at."""
    return f"http://{name}.{SERVING_NAMESPACE}.svc.cluster.local:{MODEL_PORT}/v1"
