"""Read an inventory folder or file (docs/inventory.md) into raw resources, grouped by type.

The loader accepts every shape the contract lists (JSON array, `data`, `value`, JSONL), matches types
case-insensitively, merges duplicates and counts what it does not understand. It validates only the
envelope (`id`, `type`); field-level checks happen in `model.py`, which names the same file and
position through `RawInventory.origin`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.core.errors import InputError

# Types the planner reads. Anything else is counted in `unknown_types` (unless it carries VNet rules,
# in which case it is a "network-ruled" resource: storage accounts, SQL servers, Cosmos DB, ...).
SITE = "microsoft.web/sites"
SLOT = "microsoft.web/sites/slots"
PLAN = "microsoft.web/serverfarms"
SUBSCRIPTION = "microsoft.resources/subscriptions"
AUTOSCALE = "microsoft.insights/autoscalesettings"
VNET = "microsoft.network/virtualnetworks"
GATEWAY = "microsoft.network/virtualnetworkgateways"
CONNECTION = "microsoft.network/connections"
LOCAL_GATEWAY = "microsoft.network/localnetworkgateways"
CLASSIC_VNET = "microsoft.classicnetwork/virtualnetworks"
VAULT = "microsoft.keyvault/vaults"
VNET_CONNECTION = "microsoft.web/sites/virtualnetworkconnections"
SLOT_VNET_CONNECTION = "microsoft.web/sites/slots/virtualnetworkconnections"
KV_REFERENCE = "microsoft.web/sites/config/configreferences"
SLOT_KV_REFERENCE = "microsoft.web/sites/slots/config/configreferences"
NETWORK_CONFIG = "microsoft.web/sites/networkconfig"
SLOT_NETWORK_CONFIG = "microsoft.web/sites/slots/networkconfig"
NETWORK_RULED = "network-ruled"  # pseudo-type: any resource whose properties hold VNet rules

KNOWN_TYPES = frozenset(
    {
        SITE,
        SLOT,
        PLAN,
        SUBSCRIPTION,
        AUTOSCALE,
        VNET,
        GATEWAY,
        CONNECTION,
        LOCAL_GATEWAY,
        CLASSIC_VNET,
        VAULT,
        VNET_CONNECTION,
        SLOT_VNET_CONNECTION,
        KV_REFERENCE,
        SLOT_KV_REFERENCE,
        NETWORK_CONFIG,
        SLOT_NETWORK_CONFIG,
    }
)
# Slot children are filed with their site-level twins: the parent id tells them apart.
_ALIASES = {
    SLOT_VNET_CONNECTION: VNET_CONNECTION,
    SLOT_KV_REFERENCE: KV_REFERENCE,
    SLOT_NETWORK_CONFIG: NETWORK_CONFIG,
}
# ARM's Key Vault reference list returns items without `type` (REST spec example
# GetKeyVaultReferencesForAppSettings.json), so the id is the only way to know them.
_KV_REFERENCE_ID = re.compile(r"/config/configreferences/appsettings/", re.IGNORECASE)

MANIFEST_NAME = "manifest.json"


@dataclass
class RawInventory:
    """Raw ARM dicts grouped by lower-case type, with what was read and skipped."""

    root: Path
    by_type: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # type -> lower id -> raw
    origin: dict[str, str] = field(default_factory=dict)  # lower id -> "file, item N"
    files: int = 0
    resources: int = 0
    duplicates_merged: int = 0
    unknown_types: Counter[str] = field(default_factory=Counter)
    manifest: dict[str, Any] | None = None
    manifest_path: str | None = None

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        """All resources of one (lower-case) type, in the order first read."""
        return list(self.by_type.get(type_, {}).values())

    released_counts: dict[str, int] | None = None

    def counts(self) -> dict[str, int]:
        """Resources read per type."""
        if self.released_counts is not None:
            return self.released_counts
        return {t: len(items) for t, items in sorted(self.by_type.items())}

    def release(self) -> None:
        """Drop the raw dicts once the typed model is built (they are most of the memory at scale)."""
        self.released_counts = self.counts()
        self.by_type = {}

    def where(self, resource_id: str) -> str:
        """The file and position a resource came from, for error messages."""
        return self.origin.get(resource_id.lower(), str(self.root))


def load_inventory(path: Path | str) -> RawInventory:
    """Read every *.json / *.jsonl under `path` (or the one file). Raises InputError on bad input."""
    root = Path(path)
    if not root.exists():
        raise InputError(str(root), "no such file or folder")
    inventory = RawInventory(root=root)
    files = _inventory_files(root)
    if not files:
        raise InputError(str(root), "no *.json or *.jsonl files found")
    for file in files:
        if file.name == MANIFEST_NAME:
            inventory.manifest = _read_manifest(file)
            inventory.manifest_path = str(file)
            continue
        inventory.files += 1
        for position, item in _items(file):
            _add(inventory, file, position, item)
    return inventory


def _inventory_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    found = [p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".json", ".jsonl")]
    # Hidden folders hold scan state, not inventory.
    found = [p for p in found if not any(part.startswith(".") for part in p.relative_to(root).parts)]
    return sorted(found)


# Python's JSON parser recurses once per nesting level; ARM resources are a dozen levels deep.
_TOO_DEEP = "invalid JSON: nested too deeply (arrays or objects inside each other beyond Python's limit)"


def _parse(text: str, file: Path, position: str | None = None) -> Any:
    """json.loads, with every way it can fail turned into an InputError naming the file (and line)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            str(file), f"invalid JSON: {exc.msg}", position=position or f"line {exc.lineno}"
        ) from None
    except RecursionError:
        raise InputError(str(file), _TOO_DEEP, position=position) from None
    except ValueError as exc:  # an integer literal past Python's 4,300-digit limit
        raise InputError(str(file), f"invalid JSON: {exc}", position=position) from None


# A `\udXXX` escape can decode to a lone UTF-16 surrogate, which no UTF-8 output can hold. Escaped
# pairs (emoji written by `json.dumps`) are fine; only files holding such an escape are searched.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _lone_surrogate_field(value: Any, path: str = "") -> str | None:
    """The path of the first text (key or value) holding a lone surrogate, or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "(the value)"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if _lone_surrogate_field(key) is not None:
                return inner
            found = _lone_surrogate_field(item, inner)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _lone_surrogate_field(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def _check_text(item: Any, file: Path, position: str | None) -> None:
    field = _lone_surrogate_field(item)
    if field is not None:
        raise InputError(
            str(file),
            "text holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair): not valid Unicode",
            position=position,
            field=None if field == "(the value)" else field,
        )


def _read_manifest(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(file), f"not UTF-8 text: {exc}") from None
    data = _parse(text, file)
    if _SURROGATE_ESCAPE.search(text):
        _check_text(data, file, None)
    if not isinstance(data, dict):
        raise InputError(str(file), "a manifest must be a JSON object")
    return data


def _items(file: Path) -> Iterator[tuple[str, Any]]:
    """Yield (position, item) for every resource in one file, whatever its shape."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(file), f"not UTF-8 text: {exc}") from None
    stripped = text.lstrip()
    if not stripped:
        return
    if file.suffix.lower() == ".jsonl" or _looks_like_jsonl(stripped):
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            item = _parse(line, file, position=f"line {number}")
            if _SURROGATE_ESCAPE.search(line):
                _check_text(item, file, f"line {number}")
            yield f"line {number}", item
        return
    data = _parse(text, file)
    check_text = _SURROGATE_ESCAPE.search(text) is not None
    array_name = ""
    if isinstance(data, dict):
        for key in ("data", "value"):
            if key in data:
                array_name = key
                data = data[key]
                break
        else:
            if "id" in data and "type" in data:
                data = [data]  # a single resource (an `az rest` GET of one resource)
            elif str(data.get("schema", "")).startswith("vnet-planner/plan@"):
                raise InputError(
                    str(file),
                    "this is a plan.json written by `plan`, not an inventory (compare plans with `diff`)",
                )
            else:
                raise InputError(
                    str(file), "expected a JSON array, or an object with 'data' or 'value', or one resource"
                )
    if not isinstance(data, list):
        raise InputError(str(file), "must be an array of resources", field=array_name or None)
    prefix = f"{array_name}" if array_name else ""
    for index, item in enumerate(data):
        if check_text:
            _check_text(item, file, f"{prefix}[{index}]")
        yield f"{prefix}[{index}]", item


def _looks_like_jsonl(text: str) -> bool:
    """A .json file holding JSON Lines (several objects, one per line) is read as such."""
    if not text.startswith("{"):
        return False
    first_line, _, rest = text.partition("\n")
    if not rest.strip():
        return False
    try:
        json.loads(first_line)
    except (json.JSONDecodeError, RecursionError):
        return False
    return True


def _add(inventory: RawInventory, file: Path, position: str, item: Any) -> None:
    if not isinstance(item, dict):
        raise InputError(str(file), "a resource must be a JSON object", position=position)
    rid = item.get("id")
    if not isinstance(rid, str) or not rid.strip():
        raise InputError(str(file), "missing or empty", position=position, field="id")
    rtype = item.get("type")
    if rtype is None and _KV_REFERENCE_ID.search(rid):
        rtype = KV_REFERENCE
    if not isinstance(rtype, str) or not rtype.strip():
        raise InputError(str(file), "missing or empty", position=position, field="type")
    properties = item.get("properties")
    if properties is not None and not isinstance(properties, dict):
        raise InputError(str(file), "must be an object", position=position, field="properties")
    inventory.resources += 1
    key = rtype.lower()
    key = _ALIASES.get(key, key)
    if key not in KNOWN_TYPES:
        if _has_vnet_rules(properties):
            key = NETWORK_RULED
        else:
            inventory.unknown_types[key] += 1
            return
    lower_id = rid.lower()
    bucket = inventory.by_type.setdefault(key, {})
    existing = bucket.get(lower_id)
    if existing is None:
        bucket[lower_id] = item
        inventory.origin[lower_id] = f"{file}, {position}"
    else:
        inventory.duplicates_merged += 1
        _merge(existing, item)


def _merge(existing: dict[str, Any], other: dict[str, Any]) -> None:
    """Fill fields the first copy lacked (Resource Graph and ARM copies of one resource differ)."""
    for key, value in other.items():
        if existing.get(key) in (None, {}, [], "") and value not in (None, {}, [], ""):
            existing[key] = value
        elif isinstance(existing.get(key), dict) and isinstance(value, dict):
            for inner_key, inner_value in value.items():
                if existing[key].get(inner_key) is None and inner_value is not None:
                    existing[key][inner_key] = inner_value


def _has_vnet_rules(properties: Any) -> bool:
    if not isinstance(properties, dict):
        return False
    # SQL, MySQL and PostgreSQL servers keep each VNet rule as a child resource of its own
    # (microsoft.sql/servers/virtualnetworkrules) whose subnet is properties.virtualNetworkSubnetId.
    subnet = properties.get("virtualNetworkSubnetId")
    if isinstance(subnet, str) and "/subnets/" in subnet.lower():
        return True
    for holder in (properties, properties.get("networkAcls"), properties.get("networkRuleSet")):
        rules = holder.get("virtualNetworkRules") if isinstance(holder, dict) else None
        if isinstance(rules, list) and rules:
            return True
    return False
