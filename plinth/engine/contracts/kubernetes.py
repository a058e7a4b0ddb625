"""Kubernetes objects against the schema their cluster serves.

Built-in kinds are checked against the Kubernetes OpenAPI schema of the cluster's version,
as bundled by kubernetes-validate, in its strict form: unknown fields and wrong types are
errors, as a server-side apply with strict field validation would make them. Custom
resources are checked against the CRD schemas of the versions Plinth pins (`crds/`, with
their sources), made strict the same way (fields a schema does not list are refused unless
it preserves unknown fields). CEL rules (`x-kubernetes-validations`) are not evaluated.

The cluster's version comes from the object's provider: its kubeconfig names the cluster,
which is an EKS or CKS cluster of the same program, or one described in a referenced stack's
outputs (`kubernetesVersion`). Where none is found, the newest bundled version is used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource

from plinth.engine.contracts.violations import Violation
from plinth.engine.result import ResourceRecord
from plinth.engine.values import UNKNOWN, Secret

CRD_DIR = Path(__file__).with_name("crds")
_SCHEMAS = files("kubernetes_validate") / "kubernetes-json-schema"
_DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"
_OBJECT_META = f"{_DEFINITIONS_URI}#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_PROVIDER = "pulumi:providers:kubernetes"
# Not Kubernetes objects: what a Helm release installs is rendered from its chart at install.
_NOT_OBJECTS = ("kubernetes:helm.sh/v3:Release",)
_TYPE = re.compile(r"kubernetes:(?P<group>[^/]+)/(?P<version>[^:]+):(?P<kind>.+)")
# Object names (Kubernetes, "Object Names and IDs":
# https://kubernetes.io/docs/concepts/overview/working-with-objects/names/): most kinds take a
# DNS subdomain name, namespaces and services a DNS label; RBAC kinds take any path segment.
_NAMES_SOURCE = "Kubernetes object names, https://kubernetes.io/docs/concepts/overview/working-with-objects/names/"
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_NAMED = ("Namespace", "Service")
_PATH_SEGMENT_NAMED = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")


@dataclass(frozen=True)
class KubernetesType:
    """A Pulumi Kubernetes type token (`kubernetes:apps/v1:Deployment`), read."""

    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        """The manifest's apiVersion (the core group has none: `v1`)."""
        return self.version if self.group == "core" else f"{self.group}/{self.version}"


def kubernetes_type(token: str) -> KubernetesType | None:
    """The group, version and kind of a Kubernetes type token; None for other tokens."""
    match = _TYPE.fullmatch(token)
    if match is None:
        return None
    return KubernetesType(match.group("group"), match.group("version"), match.group("kind"))


@cache
def bundled_versions() -> tuple[str, ...]:
    """Kubernetes minors with a strict schema bundled, oldest first: ("1.25", ...)."""
    found = {
        match.group(1)
        for entry in _SCHEMAS.iterdir()
        if (match := re.fullmatch(r"v(\d+\.\d+)\.0-local-strict", entry.name))
    }
    return tuple(sorted(found, key=lambda v: tuple(map(int, v.split(".")))))


def schema_version(wanted: str | None) -> str:
    """The bundled schema for Kubernetes `wanted` ("1.35", "v1.35.2"): the newest bundled
    one not newer than it (kubernetes-validate's own rule); the newest when unknown."""
    versions = bundled_versions()
    if not wanted:
        return versions[-1]
    match = re.match(r"v?(\d+)\.(\d+)", wanted)
    if match is None:
        return versions[-1]
    target = (int(match.group(1)), int(match.group(2)))
    older = [v for v in versions if tuple(map(int, v.split("."))) <= target]
    return older[-1] if older else versions[0]


@cache
def _registry(version: str) -> Registry[Any]:
    folder = _SCHEMAS / f"v{version}.0-local-strict"
    definitions = json.loads((folder / "_definitions.json").read_text())
    return Resource.from_contents(definitions) @ Registry()


@cache
def _builtin_validator(version: str, api_version: str, kind: str) -> jsonschema.Validator | None:
    # kubernetes-validate's file naming: rbac.authorization.k8s.io/v1 -> rbac-v1, v1 -> v1.
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = _SCHEMAS / f"v{version}.0-local-strict" / f"{kind.lower()}-{group_version}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    return jsonschema.Draft202012Validator(schema, registry=_registry(version))


@dataclass(frozen=True)
class Crd:
    """One served version of a vendored CRD."""

    group: str
    version: str
    kind: str
    file: str
    schema: Mapping[str, Any]


@cache
def vendored_crds() -> dict[tuple[str, str, str], Crd]:
    """Every served version of every custom resource kind described under crds/, by
    (group, version, kind).

    Each file covers one upstream project: `source` (project, version, reference, licence)
    and `kinds`, a list of {group, version, kind, schema}, where `schema` is the structural
    OpenAPI v3 schema of the whole object. Anything else (`shared`) only holds YAML anchors.
    """
    found: dict[tuple[str, str, str], Crd] = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        document = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
        if not isinstance(document, dict) or "source" not in document:
            raise ValueError(f"{path.name}: no `source` (where its schemas come from)")
        for entry in document["kinds"]:
            key = (entry["group"], entry["version"], entry["kind"])
            if key in found:
                raise ValueError(f"{path.name}: {'/'.join(key)} is also in {found[key].file}")
            found[key] = Crd(*key, file=path.name, schema=entry["schema"])
    return found


def strict(schema: Any) -> Any:
    """A CRD's structural schema as strict JSON Schema: objects refuse fields they do not
    list (unless they preserve unknown fields), int-or-string and nullable are spelled out,
    and fields with a default are not required (the API server defaults before validating)."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {
        key: strict(value)
        for key, value in schema.items()
        if not key.startswith("x-kubernetes-") and key != "nullable"
    }
    if "required" in result:
        # The API server fills defaults before it validates: a defaulted field is never missing.
        properties = schema.get("properties", {})
        result["required"] = [
            name for name in schema["required"] if "default" not in properties.get(name, {})
        ]
    if schema.get("x-kubernetes-int-or-string"):
        result.pop("type", None)
        result["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if (
        schema.get("type") == "object"
        and "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        result["additionalProperties"] = False
    if schema.get("nullable") and isinstance(result.get("type"), str):
        result["type"] = [result["type"], "null"]
    return result


@cache
def _crd_validator(version: str, key: tuple[str, str, str]) -> jsonschema.Validator:
    crd = vendored_crds()[key]
    schema = strict(crd.schema)
    properties = schema.setdefault("properties", {})
    # The API server checks every object's metadata as ObjectMeta, whatever the CRD says.
    properties["metadata"] = {"$ref": _OBJECT_META}
    properties["apiVersion"] = {"const": f"{crd.group}/{crd.version}"}
    properties["kind"] = {"const": crd.kind}
    return jsonschema.Draft202012Validator(schema, registry=_registry(version))


def plain(value: Any, path: tuple[str | int, ...], pruned: set[tuple[str | int, ...]]) -> Any:
    """`value` with secrets revealed and unknowns left out (their parents noted in
    `pruned`: a required field there may be the unknown one)."""
    if isinstance(value, Secret):
        return plain(value.value, path, pruned)
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if item is UNKNOWN:
                pruned.add(path)
                continue
            result[key] = plain(item, (*path, key), pruned)
        return result
    if isinstance(value, list):
        kept = [item for item in value if item is not UNKNOWN]
        if len(kept) != len(value):
            pruned.add(path)
        return [plain(item, (*path, index), pruned) for index, item in enumerate(kept)]
    return value


def path_text(path: Sequence[str | int]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else f".{step}" if text else str(step)
    return text


class _Versions:
    """Each Kubernetes provider's cluster version, from the program's own clusters or the
    referenced stacks' outputs."""

    def __init__(
        self, records: Sequence[ResourceRecord], stack_outputs: Mapping[str, Mapping[str, Any]]
    ) -> None:
        self.by_provider: dict[str, str | None] = {}
        self.clusters: dict[str, str] = {}
        for record in records:
            if record.type == "aws:eks/cluster:Cluster" or record.type.startswith(
                "coreweave:index/cksCluster:"
            ):
                name, version = record.inputs.get("name"), record.inputs.get("version")
                if isinstance(name, str) and isinstance(version, str):
                    self.clusters[name] = version
        for outputs in stack_outputs.values():
            for described in _described_clusters(outputs):
                self.clusters.setdefault(described[0], described[1])
        for record in records:
            if record.type == _PROVIDER:
                self.by_provider[record.urn] = self._from_kubeconfig(
                    record.inputs.get("kubeconfig")
                )

    def _from_kubeconfig(self, kubeconfig: Any) -> str | None:
        if isinstance(kubeconfig, Secret):
            kubeconfig = kubeconfig.value
        if not isinstance(kubeconfig, str):
            return None
        try:
            document = yaml.load(kubeconfig, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            return None
        for cluster in (document or {}).get("clusters") or []:
            server = (cluster.get("cluster") or {}).get("server")
            for key in (cluster.get("name"), server):
                if key in self.clusters:
                    return self.clusters[key]
        return None

    def of(self, record: ResourceRecord) -> str | None:
        provider_urn = record.provider.rsplit("::", 1)[0] if record.provider else ""
        return self.by_provider.get(provider_urn)


def _described_clusters(value: Any) -> Iterator[tuple[str, str]]:
    """(name or endpoint, version) of every object in stack outputs that describes a cluster
    with its `kubernetesVersion`."""
    if isinstance(value, Secret):
        value = value.value
    if isinstance(value, dict):
        version = value.get("kubernetesVersion")
        if isinstance(version, str):
            for key in ("name", "clusterName", "endpoint"):
                if isinstance(value.get(key), str):
                    yield value[key], version
        for item in value.values():
            yield from _described_clusters(item)
    elif isinstance(value, list):
        for item in value:
            yield from _described_clusters(item)


def check(
    records: Sequence[ResourceRecord],
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[list[Violation], set[str]]:
    """Violations, and the `apiVersion kind`s that have no schema here (not checked)."""
    versions = _Versions(records, stack_outputs or {})
    violations: list[Violation] = []
    unchecked: set[str] = set()
    for record in records:
        found = kubernetes_type(record.type)
        if not record.custom or record.read or found is None or record.type in _NOT_OBJECTS:
            continue
        validator, source = _validator(schema_version(versions.of(record)), found)
        if validator is None:
            unchecked.add(f"{found.api_version} {found.kind}")
            continue
        manifest = {"apiVersion": found.api_version, "kind": found.kind, **record.inputs}
        violations.extend(_check_object(record, manifest, validator, source))
        violations.extend(_check_names(record, found.kind))
    return violations, unchecked


def _validator(version: str, found: KubernetesType) -> tuple[jsonschema.Validator | None, str]:
    key = (found.group, found.version, found.kind)
    crd = vendored_crds().get(key)
    if crd is not None:
        return _crd_validator(version, key), f"CRD {crd.file}, {found.api_version} {found.kind}"
    source = f"Kubernetes {version} OpenAPI schema, {found.api_version} {found.kind}"
    return _builtin_validator(version, found.api_version, found.kind), source


def _check_object(
    record: ResourceRecord,
    manifest: Mapping[str, Any],
    validator: jsonschema.Validator,
    source: str,
) -> list[Violation]:
    pruned: set[tuple[str | int, ...]] = set()
    violations = []
    for error in validator.iter_errors(plain(manifest, (), pruned)):
        if error.validator == "required" and tuple(error.absolute_path) in pruned:
            continue  # the required field may be the one whose value is not known yet
        violations.append(
            violation(
                record, path_text(error.absolute_path), error.instance, problem_text(error), source
            )
        )
    return violations


def _name_problem(name: str, label: bool) -> str:
    limit, pattern = (63, _DNS_LABEL) if label else (253, _DNS_SUBDOMAIN)
    kind = "a DNS label" if label else "a DNS subdomain name"
    if len(name) > limit:
        return f"is {len(name)} characters, more than {limit} ({kind})"
    if not pattern.fullmatch(name):
        return f"is not {kind}: lowercase letters, digits and '-'" + ("" if label else ", '.'")
    return ""


def _check_names(record: ResourceRecord, kind: str) -> list[Violation]:
    metadata = record.inputs.get("metadata")
    if not isinstance(metadata, Mapping) or kind in _PATH_SEGMENT_NAMED:
        return []
    found = []
    for key, label in (("name", kind in _LABEL_NAMED), ("namespace", True)):
        value = metadata.get(key)
        value = value.value if isinstance(value, Secret) else value
        if isinstance(value, str) and not value.startswith("urn:pulumi:"):
            problem = _name_problem(value, label)
            if problem:
                found.append(violation(record, f"metadata.{key}", value, problem, _NAMES_SOURCE))
    return found


def problem_text(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        given = error.instance if isinstance(error.instance, Mapping) else {}
        extra = sorted(set(given) - set(schema.get("properties", {})))
        return f"has unknown field(s) {', '.join(map(repr, extra))}"
    message = error.message
    # jsonschema starts most messages with the value; the violation shows it already.
    prefix = repr(error.instance)
    return message[len(prefix) + 1 :] if message.startswith(prefix) else message


def violation(
    record: ResourceRecord, path: str, value: Any, problem: str, source: str
) -> Violation:
    return Violation(
        urn=record.urn,
        resource_type=record.type,
        name=record.name,
        path=path,
        value=value,
        problem=problem,
        source=source,
    )
