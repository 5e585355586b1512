"""ARM resource ids: compare them, take them apart. Ids compare case-insensitively (docs/plan-format.md)."""

from __future__ import annotations


def norm_id(resource_id: str | None) -> str:
    """ARM ids compare case-insensitively."""
    return (resource_id or "").strip().rstrip("/").lower()


def norm_location(location: str | None) -> str | None:
    """'West Europe' and 'westeurope' are the same region."""
    if not location:
        return None
    return location.replace(" ", "").lower()


def parent_id(resource_id: str, levels: int = 2) -> str:
    """Drop the last `levels` segments (a child type and its name) from an ARM id."""
    parts = resource_id.rstrip("/").split("/")
    return "/".join(parts[:-levels])


def id_part(resource_id: str | None, key: str) -> str | None:
    """The segment after `key` in an ARM id (case-insensitive key), e.g. the resource group."""
    if not resource_id:
        return None
    parts = resource_id.strip("/").split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() == key.lower():
            return parts[i + 1]
    return None


def last_segment(resource_id: str | None) -> str | None:
    """The resource's own name: the last segment of its id."""
    if not resource_id:
        return None
    return resource_id.rstrip("/").rsplit("/", 1)[-1] or None


def same_id(a: str | None, b: str | None) -> bool:
    """ARM ids compare case-insensitively (docs/plan-format.md)."""
    return bool(a) and bool(b) and str(a).lower() == str(b).lower()
