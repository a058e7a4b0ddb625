"""What is behind a registered model version: the run that produced it, the dataset object
versions the run read, and the code revision it ran, read from an MLflow tracking server
through MLflow's REST API (`plinth lineage`).

Runs record that lineage themselves (docs/mlops.md, "Record lineage"): datasets with
`mlflow.log_input`, their source URI carrying the S3 object's `versionId`; MLflow tags the run
with its git commit (`mlflow.source.git.commit`) when it starts from a git checkout. The
registry links each model version to its run.

The server is an `http(s)://` URL (a self-hosted MLflow, with MLFLOW_TRACKING_USERNAME and
MLFLOW_TRACKING_PASSWORD for its basic authentication) or a SageMaker tracking server's ARN
(requests signed with the caller's AWS credentials, as SageMaker's MLflow plugin signs them).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Signer = Callable[[str], dict[str, str]]
"""Headers that authenticate a GET of a URL."""
REQUEST_TIMEOUT_SECONDS = 30
EMPTY_PAYLOAD_SHA256 = hashlib.sha256(b"").hexdigest()
"""SageMaker's MLflow plugin sends the payload hash with every signed request."""
COMMIT_TAG = "mlflow.source.git.commit"
SOURCE_TAG = "mlflow.source.name"
CONTEXT_TAG = "mlflow.data.context"


class LineageError(Exception):
    """The server could not answer: unreachable, refused, or no such model version."""


@dataclass(frozen=True)
class DatasetUse:
    """A dataset a run read: its name and digest as MLflow recorded them, where it came from
    and which object version (the `versionId` in its source URI)."""

    name: str
    digest: str
    source: str
    version_id: str | None
    context: str | None


@dataclass(frozen=True)
class Lineage:
    """A registered model version and what produced it."""

    model: str
    version: str
    status: str
    run_id: str
    run_name: str
    experiment_id: str
    commit: str | None
    source: str | None
    datasets: list[DatasetUse] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "status": self.status,
            "run": {
                "id": self.run_id,
                "name": self.run_name,
                "experimentId": self.experiment_id,
            },
            "code": {"commit": self.commit, "source": self.source},
            "datasets": [
                {
                    "name": d.name,
                    "digest": d.digest,
                    "source": d.source,
                    "versionId": d.version_id,
                    "context": d.context,
                }
                for d in self.datasets
            ],
        }


def _tags(entries: Any) -> dict[str, str]:
    return {str(t.get("key")): str(t.get("value")) for t in entries or () if isinstance(t, dict)}


def _source_uri(source: str) -> str:
    """A dataset source as MLflow stores it (JSON such as `{"uri": "s3://..."}`), as a URI."""
    try:
        parsed = json.loads(source)
    except json.JSONDecodeError:
        return source
    if isinstance(parsed, dict):
        for key in ("uri", "url", "path"):
            if isinstance(parsed.get(key), str):
                return str(parsed[key])
    return source


def _version_id(uri: str) -> str | None:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)
    found = query.get("versionId")
    return found[0] if found else None


class TrackingServer:
    """MLflow's REST API on one tracking server."""

    def __init__(self, uri: str, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._sign: Signer | None
        if uri.startswith("arn:"):
            self._base, self._sign = _sagemaker_endpoint(uri)
        elif uri.startswith(("http://", "https://")):
            self._base, self._sign = uri.rstrip("/"), None
        else:
            raise ValueError(
                f"{uri!r} is not a tracking server: an http(s):// URL, or a SageMaker "
                "tracking server ARN (arn:aws:sagemaker:<region>:<account>:"
                "mlflow-tracking-server/<name>)"
            )
        self.uri = uri

    def request(self, path: str, **params: str) -> urllib.request.Request:
        """A GET of an MLflow REST path, authenticated for this server."""
        # %20, not +, for spaces: SigV4 signs the query as %20 (SageMaker's MLflow plugin
        # rewrites + for the same reason).
        query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        url = f"{self._base}/api/2.0/mlflow/{path}?{query}"
        return urllib.request.Request(url, headers=self._headers(url))

    def get(self, path: str, **params: str) -> dict[str, Any]:
        request = self.request(path, **params)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                body: dict[str, Any] = json.loads(response.read())
                return body
        except urllib.error.HTTPError as error:
            raise LineageError(_refusal(error, path, params, aws=self._sign is not None)) from error
        except (urllib.error.URLError, TimeoutError) as error:
            raise LineageError(f"cannot reach {self.uri}: {error}") from error

    def _headers(self, url: str) -> dict[str, str]:
        if self._sign is not None:
            return self._sign(url)
        user = self._environ.get("MLFLOW_TRACKING_USERNAME")
        password = self._environ.get("MLFLOW_TRACKING_PASSWORD")
        if user and password:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        return {}


def _refusal(
    error: urllib.error.HTTPError, path: str, params: Mapping[str, str], *, aws: bool
) -> str:
    try:
        message = json.loads(error.read()).get("message", "")
    except (json.JSONDecodeError, AttributeError, ValueError):
        message = ""
    what = f"{path} {dict(params)}"
    if error.code == 401:
        how = (
            "the AWS credentials were refused"
            if aws
            else "set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"
        )
        return f"{what}: not signed in ({how})"
    if error.code == 403:
        return f"{what}: not allowed for this user{f' ({message})' if message else ''}"
    if error.code == 404:
        return f"{what}: not found{f' ({message})' if message else ''}"
    return f"{what}: HTTP {error.code}{f' ({message})' if message else ''}"


def _sagemaker_endpoint(arn: str) -> tuple[str, Signer]:
    """The URL of a SageMaker tracking server and a function signing requests to it with the
    caller's AWS credentials (SigV4, service `sagemaker-mlflow`, the ARN in a header)."""
    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    parts = arn.split(":")
    if len(parts) < 6 or not parts[5].startswith("mlflow-tracking-server/"):
        raise ValueError(
            f"{arn!r} is not a SageMaker tracking server ARN "
            "(arn:aws:sagemaker:<region>:<account>:mlflow-tracking-server/<name>)"
        )
    region = parts[3]
    session = boto3.Session(region_name=region)

    def sign(url: str) -> dict[str, str]:
        credentials = session.get_credentials()
        if credentials is None:
            raise LineageError("no AWS credentials to sign requests to the tracking server")
        request = AWSRequest(
            method="GET",
            url=url,
            headers={
                "x-mlflow-sm-tracking-server-arn": arn,
                "X-Amz-Content-SHA256": EMPTY_PAYLOAD_SHA256,
            },
        )
        SigV4Auth(credentials.get_frozen_credentials(), "sagemaker-mlflow", region).add_auth(
            request
        )
        return dict(request.headers.items())

    return f"https://{region}.experiments.sagemaker.aws", sign


def model_lineage(server: TrackingServer, model: str, version: str) -> Lineage:
    """The lineage of version `version` of registered model `model`."""
    found = server.get("model-versions/get", name=model, version=version)["model_version"]
    run_id = str(found.get("run_id") or "")
    if not run_id:
        raise LineageError(
            f"version {version} of {model!r} names no run: it was registered from outside a "
            "tracked run, so MLflow holds no lineage for it"
        )
    run = server.get("runs/get", run_id=run_id)["run"]
    info, data = run.get("info", {}), run.get("data", {})
    tags = _tags(data.get("tags"))
    datasets = []
    for entry in run.get("inputs", {}).get("dataset_inputs", []) or []:
        dataset = entry.get("dataset", {})
        uri = _source_uri(str(dataset.get("source", "")))
        datasets.append(
            DatasetUse(
                name=str(dataset.get("name", "")),
                digest=str(dataset.get("digest", "")),
                source=uri,
                version_id=_version_id(uri),
                context=_tags(entry.get("tags")).get(CONTEXT_TAG),
            )
        )
    return Lineage(
        model=model,
        version=str(found.get("version", version)),
        status=str(found.get("status", "")),
        run_id=run_id,
        run_name=str(info.get("run_name", "")),
        experiment_id=str(info.get("experiment_id", "")),
        commit=tags.get(COMMIT_TAG),
        source=tags.get(SOURCE_TAG),
        datasets=datasets,
    )
