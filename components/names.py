"""Physical names that must fit a service's length limit."""

from __future__ import annotations

import hashlib


def bounded_name(name: str, limit: int, *, trim: str = "") -> str:
    """`name`, or when longer than `limit` its start (less trailing `trim` characters) and 8
    hex digits of the whole name's SHA-256, so two long names sharing a start never shorten
    to the same one."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip(trim)}-{digest}"
