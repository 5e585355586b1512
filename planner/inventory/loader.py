"""Read an inventory folder or file (docs/inventory.md) into raw resources, grouped by type.

The loader accepts every shape the contract lists (JSON array, `data`, `value`, JSONL, and several
documents one after another, as `>>` appends them) in UTF-8 or UTF-16 with a byte order mark, matches types
case-insensitively, merges duplicates and counts what it does not understand. It validates only the
envelope (`id`, `type`); field-level checks happen in `model.py`, which names the same file and
position through `RawInventory.origin`.

It also records whether each file is complete (`RawInventory.gaps`): a Resource Graph page that
leaves a skip token, or reports more records than it holds, and an ARM list page with a `nextLink`,
are parts of a longer result. Such a gap names the file, the resource types whose rows may be
missing and how to fetch the rest; the rules turn verdicts that rest on those types into "unknown".
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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

# The data sets `scan` writes (docs/inventory.md "Types read") and the types each holds: a manifest
# that says a data set failed or is partial makes these types incomplete.
DATASET_TYPES: dict[str, frozenset[str]] = {
    "subscriptions": frozenset({SUBSCRIPTION}),
    "sites": frozenset({SITE, SLOT}),
    "serverfarms": frozenset({PLAN}),
    "autoscalesettings": frozenset({AUTOSCALE}),
    "virtualnetworks": frozenset({VNET}),
    "virtualnetworkgateways": frozenset({GATEWAY}),
    "connections": frozenset({CONNECTION}),
    "localnetworkgateways": frozenset({LOCAL_GATEWAY}),
    "classicvirtualnetworks": frozenset({CLASSIC_VNET}),
    "vaults": frozenset({VAULT}),
    "networkrules": frozenset({NETWORK_RULED}),
}


@dataclass(frozen=True)
class Gap:
    """Data that is not all there: a page of a longer result, or a data set the scan did not finish.

    `types` are the (lower-case) types whose rows may be missing; empty means any type (a page
    without rows says nothing about what it would have held).
    """

    files: tuple[str, ...]
    types: frozenset[str]
    reason: str
    remedy: str

    def covers(self, type_: str) -> bool:
        return not self.types or type_ in self.types

    def describe(self) -> str:
        """'sites.json is incomplete (Resource Graph result of 1500 records, 1 read): ... may be missing'."""
        types = ", ".join(sorted(self.types)) or "resources of any type"
        verb = "is" if len(self.files) == 1 else "are"
        return f"{', '.join(self.files)} {verb} incomplete ({self.reason}): {types} may be missing"

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": list(self.files),
            "types": sorted(self.types),
            "reason": self.reason,
            "remedy": self.remedy,
        }


@dataclass(eq=False)
class _Page:
    """The paging envelope of one document: what says whether more rows exist elsewhere."""

    file: str
    document: int
    kind: str  # "graph" (Resource Graph: `data`) or "arm" (ARM list: `value`)
    rows: int = 0
    ids: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    token_key: str | None = None  # "skip_token" (az graph query) or "$skipToken" (REST) when one is left
    total: int | None = None  # totalRecords / total_records
    truncated: bool = False  # resultTruncated: more rows, and no token to fetch them
    next_link: str | None = None

    @property
    def open(self) -> bool:
        """More rows exist than this document holds."""
        if self.kind == "arm":
            return self.next_link is not None
        return bool(self.token_key or self.truncated or (self.total is not None and self.total > self.rows))


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
    gaps: list[Gap] = field(default_factory=list)  # files that hold part of a longer result
    pages: list[_Page] = field(default_factory=list)  # paging envelopes, resolved into gaps

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
        for position, item, page in _items(file, inventory.pages):
            key = _add(inventory, file, position, item)
            if page is not None:
                page.rows += 1
                page.ids.add(item["id"].lower())
                page.types.add(key)
    inventory.gaps = resolve_pages(inventory.pages)
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
    text = read_text(file)
    data = _parse(text, file)
    if _SURROGATE_ESCAPE.search(text):
        _check_text(data, file, None)
    if not isinstance(data, dict):
        raise InputError(str(file), "a manifest must be a JSON object")
    return data


# Byte order marks, longest first (a UTF-32 LE mark starts with the UTF-16 LE one).
_BOMS = (
    (b"\xff\xfe\x00\x00", None),
    (b"\x00\x00\xfe\xff", None),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_EXPECTED_ENCODING = "expected UTF-8 (with or without a byte order mark) or UTF-16 with a byte order mark"


def read_text(file: Path) -> str:
    """The file's text: UTF-8 with or without a BOM, or UTF-16 LE/BE with a BOM.

    Windows PowerShell 5.1 redirection (`az rest ... > file.json`) writes UTF-16 LE with a BOM
    (its Out-File default, "Unicode"); PowerShell 7 writes UTF-8 without one; `Out-File -Encoding
    utf8` in 5.1 writes UTF-8 with one. Anything else is refused with the byte that does not decode.
    """
    data = file.read_bytes()
    encoding, skipped = "utf-8", 0
    for bom, name in _BOMS:
        if data.startswith(bom):
            if name is None:
                raise InputError(str(file), f"UTF-32 text: {_EXPECTED_ENCODING}")
            encoding, skipped = name, len(bom)
            data = data[skipped:]
            break
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        label = {"utf-8": "UTF-8", "utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE"}[encoding]
        hint = ""
        if encoding == "utf-8" and b"\x00" in data[:64]:
            hint = " (it looks like UTF-16 without a byte order mark: save it as UTF-8)"
        elif encoding == "utf-8":
            hint = " (a Windows code page such as Windows-1252? Windows PowerShell's Set-Content writes one)"
        offset = exc.start + skipped
        raise InputError(
            str(file),
            f"not {label} text: byte 0x{data[exc.start]:02x} does not decode{hint}; {_EXPECTED_ENCODING}",
            position=f"byte {offset}",
        ) from None
    if "\x00" in text:
        # NUL is valid UTF-8 but never JSON: UTF-16 saved without a byte order mark (ASCII text in
        # UTF-16 is every other byte NUL).
        offset = data.index(b"\x00") + skipped
        raise InputError(
            str(file),
            f"not {encoding.upper()} text: a NUL byte (UTF-16 without a byte order mark?); {_EXPECTED_ENCODING}",
            position=f"byte {offset}",
        )
    return text


def _items(file: Path, pages: list[_Page]) -> Iterator[tuple[str, Any, _Page | None]]:
    """Yield (position, item, paging envelope) for every resource in one file, whatever its shape.

    A file holds one JSON document or several one after another (JSON Lines, or outputs appended
    with `>>`): the resources of all of them are read. Each `data` or `value` document's envelope is
    added to `pages`, even when it holds no row.
    """
    text = read_text(file)
    check_text = _SURROGATE_ESCAPE.search(text) is not None
    documents = list(_documents(text, file))
    lines = len(documents) > 1 or file.suffix.lower() == ".jsonl"
    for number, (line, data) in enumerate(documents, start=1):
        where = f"line {line}" if lines else ""
        if lines and isinstance(data, dict) and not ("data" in data or "value" in data):
            # One resource per document (JSON Lines): its line names it.
            if check_text:
                _check_text(data, file, where)
            yield where, data, None
            continue
        array_name = ""
        page: _Page | None = None
        if isinstance(data, dict):
            for key in ("data", "value"):
                if key in data:
                    array_name = key
                    page = _envelope(data, key, file, number, where or None)
                    pages.append(page)
                    data = data[key]
                    break
            else:
                if "id" in data and ("type" in data or _KV_REFERENCE_ID.search(str(data["id"]))):
                    data = [data]  # a single resource (an `az rest` GET of one resource)
                elif str(data.get("schema", "")).startswith("vnet-planner/plan@"):
                    raise InputError(
                        str(file),
                        "this is a plan.json written by `plan`, not an inventory (compare plans with `diff`)",
                    )
                else:
                    raise InputError(
                        str(file),
                        "expected a JSON array, or an object with 'data' or 'value', or one resource",
                        position=where or None,
                    )
        if not isinstance(data, list):
            raise InputError(
                str(file), "must be an array of resources", position=where or None, field=array_name or None
            )
        prefix = f"{where}, {array_name}" if where else array_name
        for index, item in enumerate(data):
            position = f"{prefix}[{index}]"
            if check_text:
                _check_text(item, file, position)
            yield position, item, page


_BETWEEN_DOCUMENTS = " \t\r\n\ufeff"  # a byte order mark can sit between outputs joined by `>>` or `type`


def _documents(text: str, file: Path) -> Iterator[tuple[int, Any]]:
    """(line, value) of every JSON document in the text, in order."""
    decoder = json.JSONDecoder()
    position, end = 0, len(text)
    line, counted = 1, 0  # lines are counted as the documents go, never from the start again
    while True:
        while position < end and text[position] in _BETWEEN_DOCUMENTS:
            position += 1
        if position >= end:
            return
        line += text.count("\n", counted, position)
        counted = position
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise InputError(
                str(file), f"invalid JSON: {exc.msg}", position=f"line {exc.lineno}, column {exc.colno}"
            ) from None
        except RecursionError:
            raise InputError(str(file), _TOO_DEEP, position=f"line {line}") from None
        except ValueError as exc:  # an integer literal past Python's 4,300-digit limit
            raise InputError(str(file), f"invalid JSON: {exc}", position=f"line {line}") from None
        yield line, value


# Resource Graph answers `{"data": [...], "count": n, "totalRecords": N, "$skipToken": "..."}` over
# REST (azure-rest-api-specs resourcegraph 2024-04-01 examples/ResourcesFirstPageQuery.json) and
# `{"count": n, "data": [...], "skip_token": "...", "total_records": N}` from `az graph query`;
# `resultTruncated: "true"` means more rows exist but no token was given (the query projects no id).
# ARM lists answer `{"value": [...], "nextLink": "..."}`, nextLink null on the last page.
_TOKEN_KEYS = ("$skipToken", "skip_token", "skipToken")
_TOTAL_KEYS = ("totalRecords", "total_records")
_NEXT_KEYS = ("nextLink", "@odata.nextLink")


def _envelope(data: dict[str, Any], array_key: str, file: Path, document: int, where: str | None) -> _Page:
    """The paging facts of a `data` (Resource Graph) or `value` (ARM list) document."""
    if array_key == "value":
        page = _Page(str(file), document, "arm")
        for key in _NEXT_KEYS:
            link = data.get(key)
            if link is None or link == "":
                continue
            if not isinstance(link, str):
                raise InputError(str(file), "expected a URL or null", position=where, field=key)
            page.next_link = link
            break
        return page
    page = _Page(str(file), document, "graph")
    for key in _TOKEN_KEYS:
        token = data.get(key)
        if token is None or token == "":
            continue
        if not isinstance(token, str):
            raise InputError(str(file), "expected a skip token (text) or null", position=where, field=key)
        page.token_key = key
        break
    for key in _TOTAL_KEYS:
        total = data.get(key)
        if total is None:
            continue
        if isinstance(total, str) and total.strip().isascii() and total.strip().isdigit():
            total = int(total.strip())
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise InputError(str(file), "expected a whole number of records", position=where, field=key)
        page.total = total
        break
    truncated = data.get("resultTruncated")
    page.truncated = truncated is True or (isinstance(truncated, str) and truncated.lower() == "true")
    return page


def resolve_pages(pages: list[_Page]) -> list[Gap]:
    """Gaps left once every page is matched with the pages that complete it.

    Resource Graph pages of one result carry the same total: pages with equal totals and shared
    types are one result, complete when they hold that many distinct rows (so page 2 saved in a
    file of its own completes page 1). An ARM page with a `nextLink` is complete when the next
    document of the same file is the page it points to (pages appended with `>>`), and the last
    page's `nextLink` is null; ARM pages carry no total, so pages in separate files cannot be matched.
    """
    gaps: list[Gap] = []
    graph = [p for p in pages if p.kind == "graph"]
    by_total: dict[int, list[_Page]] = {}
    for page in graph:
        if page.total is not None:
            by_total.setdefault(page.total, []).append(page)
        elif page.open:
            gaps.append(_graph_gap([page]))
    for total, same in sorted(by_total.items()):
        for group in _overlapping(same):
            ids = set().union(*(p.ids for p in group))
            if len(ids) < total or (not ids and any(p.open for p in group)):
                gaps.append(_graph_gap(group))
    following = {(p.file, p.document): p for p in pages}
    for page in pages:
        after = following.get((page.file, page.document + 1))
        if page.kind == "arm" and page.open and not (after is not None and _next_page(page, after)):
            gaps.append(
                Gap(
                    files=(page.file,),
                    types=_with_dataset(page.types),
                    reason=f"an ARM list page of {page.rows} items whose nextLink points to more",
                    remedy="fetch the next page with `az rest --method get --url <the file's nextLink>` and "
                    "append it to the same file (`>>`), until a page's nextLink is null",
                )
            )
    return gaps


_RESOURCE_GROUP = re.compile(r"/resourcegroups/[^/]+")


def _next_page(page: _Page, after: _Page) -> bool:
    """Whether `after` (the next document of the same file) is the page `page.next_link` points to.

    ARM list items sit under the list's URL path (a subscription-wide list's items add their resource
    group), and a next page repeats no item of the one before.
    """
    if after.kind != "arm" or after.ids & page.ids:
        return False
    path = urlsplit(page.next_link or "").path.rstrip("/").lower()
    if not path:
        return False
    if "/resourcegroups/" not in path:
        return all(_RESOURCE_GROUP.sub("", i, count=1).startswith(path + "/") for i in after.ids)
    return all(i.startswith(path + "/") for i in after.ids)


def _overlapping(pages: list[_Page]) -> list[list[_Page]]:
    """Pages grouped by shared types (pages without rows stand alone)."""
    groups: list[list[_Page]] = []
    types: list[set[str]] = []
    for page in pages:
        merged = [i for i, t in enumerate(types) if page.types and t & page.types]
        group, seen = [page], set(page.types)
        for i in reversed(merged):
            group += groups.pop(i)
            seen |= types.pop(i)
        groups.append(group)
        types.append(seen)
    return groups


def _graph_gap(group: list[_Page]) -> Gap:
    files = tuple(dict.fromkeys(p.file for p in group))
    total = group[0].total
    rows = len(set().union(*(p.ids for p in group)))
    reason = (
        f"{rows} of {total} Resource Graph records" if total is not None else f"{rows} Resource Graph records"
    )
    token = next((p.token_key for p in group if p.token_key), None)
    if token:
        reason += f"; its {token} points to the next page"
        remedy = (
            "run the same `az graph query` again with `--skip-token <the file's skip_token>` (same --first and "
            "scope) and save the output beside it"
            if token == "skip_token"
            else "send the same query again with `options.$skipToken` set to the file's $skipToken and save "
            "the response beside it"
        )
    else:
        if any(p.truncated for p in group):
            reason += "; resultTruncated, and no skip token to fetch the rest"
        remedy = (
            "project `id` in the query (Resource Graph pages only results that include it) and fetch every "
            "page with --skip-token, or use `vnet-planner scan`"
        )
    return Gap(
        files=files, types=_with_dataset(set().union(*(p.types for p in group))), reason=reason, remedy=remedy
    )


def _with_dataset(types: set[str]) -> frozenset[str]:
    """The types, plus the other types of each data set they belong to: the rows a page lacks may be
    of any type its query returns (a page of `sites` may hold no slot while the next one does)."""
    found = set(types)
    for members in DATASET_TYPES.values():
        if members & types:
            found |= members
    if types - KNOWN_TYPES:
        # A type the planner does not read can still hold VNet rules (storage, SQL, ...): the rows a
        # page of it lacks may be resources that admit a subnet (SERVICE_ENDPOINTS reads those).
        found.add(NETWORK_RULED)
    return frozenset(found)


def _add(inventory: RawInventory, file: Path, position: str, item: Any) -> str:
    """File one resource; return the type it was filed under (or counted as)."""
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
            return key
    lower_id = rid.lower()
    bucket = inventory.by_type.setdefault(key, {})
    existing = bucket.get(lower_id)
    if existing is None:
        bucket[lower_id] = item
        inventory.origin[lower_id] = f"{file}, {position}"
    else:
        inventory.duplicates_merged += 1
        _merge(existing, item)
    return key


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
