"""Property values as the engine sees them on the wire, decoded into plain Python.

The SDK serializes resource inputs into a protobuf Struct with special signature maps for
secrets, resource references, output values and assets. The offline engine decodes that
wire form itself, so what it captures is exactly what a real engine (and a policy pack)
receives, with secrets kept but marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import rpc

_SIG = rpc._special_sig_key
_SECRET = rpc._special_secret_sig
_RESOURCE = rpc._special_resource_sig
_OUTPUT = rpc._special_output_value_sig
_ASSET = rpc._special_asset_sig
_ARCHIVE = rpc._special_archive_sig
UNKNOWN_WIRE = rpc.UNKNOWN


@dataclass(frozen=True)
class Secret:
    """A secret value: kept for checks, printed as [secret]."""

    value: Any


class Unknown:
    """A value the engine would only know after deployment."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "[unknown]"


UNKNOWN = Unknown()
SECRET_TEXT = "[secret]"


def decode_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A wire Struct to Python values, with Secret and UNKNOWN markers."""
    raw = json_format.MessageToDict(struct)
    decoded = decode(raw)
    return decoded if isinstance(decoded, dict) else {}


def decode(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf carries every number as a double
    if value == UNKNOWN_WIRE:
        return UNKNOWN
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    signature = value.get(_SIG)
    if signature == _SECRET:
        return Secret(decode(value.get("value")))
    if signature == _RESOURCE:
        return value.get("urn", "")
    if signature == _OUTPUT:
        if "value" not in value:
            return UNKNOWN
        inner = decode(value["value"])
        return Secret(inner) if value.get("secret") else inner
    if signature in (_ASSET, _ARCHIVE):
        return {"asset": value.get("path") or value.get("uri") or "[inline]"}
    return {key: decode(item) for key, item in value.items()}


def reveal(value: Any) -> Any:
    """The plain value, secrets unwrapped (for checks that must see the real value)."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, dict):
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item) for item in value]
    return value


def masked(value: Any) -> Any:
    """The printable value: secrets as [secret], unknowns as [unknown]."""
    if isinstance(value, Secret):
        return SECRET_TEXT
    if value is UNKNOWN:
        return "[unknown]"
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value
