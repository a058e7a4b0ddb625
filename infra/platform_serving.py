"""The serving layer of a platform stack: open models served with vLLM on the GPU pools of the
gateway's cluster (`plinth:gateway.servedModels`), reachable only from the gateway."""

from collections import Counter
from dataclasses import dataclass

import pulumi
from platform_clusters import ClustersLayer
from platform_layers import DataLayer, Foundation

from components.cluster.eks import EksGpuCluster
from components.gateway.proxy import NAMESPACE as GATEWAY_NAMESPACE
from components.gateway.proxy import PROXY_POD_LABELS
from components.serving.namespace import ModelServing, ModelServingArgs
from components.serving.vllm import ServedModel, ServedModelArgs
from plinth import origins
from plinth.origins import stack_entry
from plinth.spec import PlinthSpec


@dataclass(frozen=True)
class ServingLayer:
    serving: ModelServing
    models: dict[str, ServedModel]


def serving_layer(
    spec: PlinthSpec, base: Foundation, clusters: ClustersLayer, data: DataLayer
) -> ServingLayer | None:
    """The model servers, when the gateway serves any (the spec guarantees their pools and
    buckets exist and that each replica fits on a node)."""
    wanted = spec.gateway
    if wanted is None or not wanted.served_models or not spec.bedrock.enabled:
        return None
    cluster = clusters.clusters[wanted.cluster]
    assert isinstance(cluster, EksGpuCluster)  # the spec refuses a gateway elsewhere
    pools = {pool.name: pool for pool in cluster.outputs.gpu_pools}
    served = wanted.served_models
    gpus: Counter[str] = Counter()
    for model in served:
        gpus[model.pool] += model.gpus * model.replicas
    on_cluster = pulumi.ResourceOptions(provider=cluster.outputs.kubernetes_provider)
    serving = ModelServing(
        f"{base.prefix}-serving",
        ModelServingArgs(
            cluster=clusters.tenant_clusters[wanted.cluster],
            gpus={pool: count for pool, count in gpus.items() if count},
            cpu=str(sum(m.cpus * m.replicas for m in served)),
            memory=f"{sum(m.memory_gb * m.replicas for m in served)}Gi",
            gateway_namespace=GATEWAY_NAMESPACE,
            gateway_pods=PROXY_POD_LABELS,
            # The managed collector scrapes from interfaces in the VPC's subnets.
            metrics_scrapers=[spec.network.cidr] if spec.observability else [],
        ),
        on_cluster,
    )
    origins.record(serving, stack_entry("gateway", "plinth:gateway"))
    models: dict[str, ServedModel] = {}
    for index, model in enumerate(served):
        bucket = data.data_buckets[model.bucket]
        models[model.name] = ServedModel(
            f"{base.prefix}-model-{model.name}",
            ServedModelArgs(
                scope=base.scope,
                name_prefix=base.prefix,
                cluster_name=cluster.outputs.cluster_name,
                name=model.name,
                pool=model.pool,
                taints=pools[model.pool].taints,
                bucket_name=bucket.name,
                bucket_arn=bucket.arn,
                bucket_key_arn=base.platform_key.arn,
                path=model.path,
                gpus=model.gpus,
                replicas=model.replicas,
                cpus=model.cpus,
                memory_gb=model.memory_gb,
                max_model_len=model.max_model_len,
                gpu_memory_utilization=model.gpu_memory_utilization,
                tags=spec.common_tags(),
                kubernetes_provider=cluster.outputs.kubernetes_provider,
                after=[serving.local_queue],
            ),
            base.on_aws,
        )
        origins.record(
            models[model.name], stack_entry("servedModel", f"plinth:gateway.servedModels[{index}]")
        )
    return ServingLayer(serving=serving, models=models)
