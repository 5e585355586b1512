"""VPN gateway prices: the dated default table, user price files, monthly cost, Retail Prices API refresh.

A price table maps gateway SKU names (case-insensitively) to an hourly list price. A SKU missing
from the table has an unknown cost: the planner says so rather than guessing. The default table
ships as ``planner/data/prices.json``; ``fetch_retail_prices`` builds a fresh one from the public,
unauthenticated Azure Retail Prices API (azure-facts §7.2) and ``write_prices`` saves it in the
same format, for ``plan --prices FILE``.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeGuard

from planner import __version__
from planner.core.errors import InputError
from planner.core.files import replacing

__all__ = [
    "API_VERSION",
    "DEFAULT_ENDPOINT",
    "ENDPOINT_ENV",
    "HOURS_PER_MONTH",
    "PriceFetchError",
    "PriceTable",
    "SkuMapping",
    "fetch_retail_prices",
    "load_default_prices",
    "load_prices",
    "monthly_cost",
    "sku_from_meter",
    "write_prices",
]

HOURS_PER_MONTH = 730  # the convention of Azure's pricing pages and calculator
DEFAULT_ENDPOINT = "https://prices.azure.com"
ENDPOINT_ENV = "VNET_PLANNER_PRICES_ENDPOINT"
API_VERSION = "2023-01-01-preview"
DEFAULT_PRICES_NAME = "planner/data/prices.json"

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_REGION = re.compile(r"^[a-z0-9]+$")
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_PAGES = 1000
_MAX_RETRY_WAIT = 60.0


class PriceFetchError(Exception):
    """The Retail Prices API could not be reached or answered something unusable (CLI exit 1)."""


class SkuMapping(Mapping[str, Any]):
    """A read-only mapping keyed by SKU name that looks names up case-insensitively.

    Iteration keeps the names as written, so a table written back keeps Azure's spelling.
    """

    def __init__(self, items: Mapping[str, Any] | None = None) -> None:
        self._names: dict[str, str] = {}
        self._values: dict[str, Any] = {}
        for name, value in (items or {}).items():
            key = name.casefold()
            self._names.setdefault(key, name)
            self._values[key] = value

    def __getitem__(self, name: str) -> Any:
        return self._values[name.strip().casefold()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.strip().casefold() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._names.values())

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"SkuMapping({dict(self.items())!r})"


@dataclass(frozen=True)
class PriceTable:
    """Hourly list prices per gateway SKU, with where and when they come from.

    ``hourly`` and ``sku_sources`` look SKU names up case-insensitively (``vpngw1az`` finds
    ``VpnGw1AZ``), as ARM returns SKU names in varying case.
    """

    source: str
    as_of: str
    currency: str
    hourly: Mapping[str, float]
    sku_sources: Mapping[str, str] = field(default_factory=dict)
    hours_per_month: float = HOURS_PER_MONTH

    def __post_init__(self) -> None:
        # Frozen, so assign through object: wrap whatever mapping was given in the
        # case-insensitive one, so every caller gets the same lookup rules.
        object.__setattr__(self, "hourly", SkuMapping(self.hourly))
        object.__setattr__(self, "sku_sources", SkuMapping(self.sku_sources))

    def hourly_price(self, sku: str | None) -> float | None:
        """The hourly price of ``sku``, or None if the SKU is not priced in this table."""
        if not sku or sku not in self.hourly:
            return None
        return float(self.hourly[sku])

    def describe(self) -> dict[str, str]:
        """The ``prices`` block of plan.json: source, as_of and currency."""
        return {"source": self.source, "as_of": self.as_of, "currency": self.currency}


def monthly_cost(table: PriceTable, sku: str | None) -> float | None:
    """Monthly cost of one gateway of ``sku``: hourly price x 730 h, rounded to cents; None if unknown.

    Not doubled for active-active gateways: whether active-active changes the price is UNSURE
    (azure-facts §7.1), so the list price of the SKU is used as is.
    """
    hourly = table.hourly_price(sku)
    if hourly is None:
        return None
    return round(hourly * table.hours_per_month, 2)


# --- reading and writing price files ---------------------------------------------------------------


def load_default_prices() -> PriceTable:
    """The dated default price table shipped with the package (``planner/data/prices.json``)."""
    text = resources.files("planner").joinpath("data/prices.json").read_text(encoding="utf-8")
    return _table_from_text(text, DEFAULT_PRICES_NAME)


def load_prices(path: str | os.PathLike[str]) -> PriceTable:
    """Read and validate a price file; any problem raises InputError naming the file and field."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(name, f"cannot read the price file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, "not UTF-8 text", position=f"byte {exc.start}") from None
    return _table_from_text(text, name)


def write_prices(table: PriceTable, path: str | os.PathLike[str]) -> None:
    """Write ``table`` in the prices.json format, atomically (temporary file, then rename)."""
    target = Path(path)
    payload = {
        "source": table.source,
        "as_of": table.as_of,
        "currency": table.currency,
        "hours_per_month": table.hours_per_month,
        "skus": {
            name: {"hourly": float(price), "source": table.sku_sources.get(name, "")}
            for name, price in table.hourly.items()
        },
    }
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    try:
        # A reader sees the old file or the new one, never half a table.
        with replacing(target) as tmp, tmp.open("w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise InputError(str(target), f"cannot write the price file: {exc.strerror or exc}") from None


def _table_from_text(text: str, name: str) -> PriceTable:
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError(
            name, f"not valid JSON: {exc.msg}", position=f"line {exc.lineno}, column {exc.colno}"
        ) from None
    except ValueError as exc:
        raise InputError(name, str(exc)) from None
    return _table_from_json(data, name)


def _reject_constant(token: str) -> float:
    # json accepts NaN and Infinity, which no price can be.
    raise ValueError(f"{token} is not a price")


def _table_from_json(data: Any, name: str) -> PriceTable:
    if not isinstance(data, dict):
        raise InputError(name, "expected a JSON object with 'as_of', 'currency' and 'skus'")

    as_of = data.get("as_of")
    if not isinstance(as_of, str) or not _is_iso_date(as_of):
        raise InputError(name, "must be the date of the prices as YYYY-MM-DD", field="as_of")

    currency = data.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise InputError(name, "must be a three-letter currency code such as USD", field="currency")

    source = data.get("source", f"price file {name}")
    if not isinstance(source, str) or not source.strip():
        raise InputError(name, "must be a non-empty text saying where the prices come from", field="source")

    hours = data.get("hours_per_month", HOURS_PER_MONTH)
    if not _is_number(hours) or not 1 <= hours <= 744:
        raise InputError(name, "must be a number of hours between 1 and 744", field="hours_per_month")

    skus = data.get("skus")
    if not isinstance(skus, dict):
        raise InputError(name, "missing or not an object of SKU name to price", field="skus")
    if not skus:
        raise InputError(name, "lists no SKU; every gateway cost would be unknown", field="skus")

    hourly: dict[str, float] = {}
    sources: dict[str, str] = {}
    seen: dict[str, str] = {}
    for sku, entry in skus.items():
        if not sku.strip():
            raise InputError(name, "a SKU name is empty", field="skus")
        key = sku.strip().casefold()
        if key in seen:
            raise InputError(
                name, f"same SKU as '{seen[key]}' (names are case-insensitive)", field=f"skus.{sku}"
            )
        seen[key] = sku
        # A bare number is accepted too, so a hand-written override can stay short.
        price, sku_source = (
            (entry.get("hourly"), entry.get("source", "")) if isinstance(entry, dict) else (entry, "")
        )
        where = f"skus.{sku}.hourly" if isinstance(entry, dict) else f"skus.{sku}"
        if isinstance(entry, dict) and "hourly" not in entry:
            raise InputError(name, "missing the hourly price", field=where)
        if not _is_number(price):
            shown = json.dumps(price)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise InputError(name, f"must be a number (price per hour), got {shown}", field=where)
        if price < 0:
            raise InputError(name, f"must not be negative, got {price}", field=where)
        if not isinstance(sku_source, str):
            raise InputError(name, "must be text", field=f"skus.{sku}.source")
        hourly[sku.strip()] = float(price)
        sources[sku.strip()] = sku_source
    return PriceTable(
        source=source.strip(),
        as_of=as_of,
        currency=currency,
        hourly=hourly,
        sku_sources=sources,
        hours_per_month=float(hours) if not float(hours).is_integer() else int(hours),
    )


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_iso_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


# --- Retail Prices API ----------------------------------------------------------------------------

# Meter names are inconsistent ('VpnGw1', 'VpnGw1 Gateway', 'VpnGw1AZ', 'Basic Gateway'); they are
# compared with case, spaces and a trailing 'gateway' removed. Exact matches only, so 'VpnGw1'
# never swallows 'VpnGw1AZ'.
_FIXED_SKUS = {
    "basic": "Basic",
    "standard": "Standard",
    "highperformance": "HighPerformance",
    "ultraperformance": "UltraPerformance",
    "ultrahighperformance": "UltraPerformance",
}
_VPN_SKU = re.compile(r"^vpngw(\d+)(az)?$")
_ER_SKU = re.compile(r"^ergw(\d+)az$")
# Meters that price something other than the gateway hour: tunnels, P2S/S2S connections, data,
# add-ons, scale units. Their skuName often names a gateway SKU, so they must be dropped first.
_NOT_A_GATEWAY_HOUR = ("connection", "tunnel", "data", "transfer", "bandwidth", "add-on", "addon", "unit")
_HOURS_UNIT = re.compile(r"^\s*(\d+(?:\.\d+)?)?\s*/?\s*hours?\s*$", re.IGNORECASE)


def sku_from_meter(meter_name: str | None, sku_name: str | None = None) -> str | None:
    """The gateway SKU a Retail Prices API meter prices per hour, or None for other meters."""
    texts = [t for t in (meter_name, sku_name) if t]
    if any(word in t.lower() for t in texts for word in _NOT_A_GATEWAY_HOUR):
        return None
    for text in texts:
        key = re.sub(r"[^a-z0-9]", "", text.lower())
        if key.endswith("gateway"):
            key = key[: -len("gateway")]
        if key in _FIXED_SKUS:
            return _FIXED_SKUS[key]
        if match := _VPN_SKU.match(key):
            return f"VpnGw{int(match.group(1))}{'AZ' if match.group(2) else ''}"
        if match := _ER_SKU.match(key):
            return f"ErGw{int(match.group(1))}AZ"
    return None


@dataclass(frozen=True)
class _Price:
    sku: str
    region: str
    hourly: float
    meter: str
    primary: bool


def fetch_retail_prices(
    regions: list[str] | None,
    currency: str,
    endpoint: str | None = None,
    *,
    timeout: float = 30.0,
    max_retries: int = 4,
) -> PriceTable:
    """Build a price table from the Azure Retail Prices API (serviceName 'VPN Gateway').

    Keeps Consumption meters priced per hour above zero that price a gateway hour (connection,
    tunnel and data meters are dropped). One region: its prices. Several: per SKU the highest,
    said in ``source``. None: per SKU the price most regions charge (ties: the higher). The
    endpoint is ``endpoint``, else $VNET_PLANNER_PRICES_ENDPOINT, else https://prices.azure.com.
    Bad arguments raise InputError; an unreachable or misbehaving API raises PriceFetchError.
    """
    code = (currency or "").strip().upper()
    if not _CURRENCY.match(code):
        raise InputError(
            "command line", f"'{currency}' is not a three-letter currency code", field="--currency"
        )
    wanted = [r.strip().lower() for r in regions or []]
    for region in wanted:
        if not _REGION.match(region):
            raise InputError(
                "command line",
                f"'{region}' is not an ARM region name (letters and digits, such as westeurope)",
                field="--region",
            )
    wanted = list(dict.fromkeys(wanted))
    base = (endpoint or os.environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT).rstrip("/")
    fetched_at = datetime.now(UTC)

    prices: list[_Price] = []
    targets: list[str | None] = [*wanted] or [None]
    for target in targets:
        found = _fetch_region(base, target, code, timeout, max_retries)
        if target is not None and not found:
            raise InputError(
                "command line",
                f"the Retail Prices API has no VPN gateway hourly prices in {code} for region '{target}' "
                "(ARM region names look like westeurope)",
                field="--region",
            )
        prices.extend(found)
    if not prices:
        raise PriceFetchError(
            f"the Retail Prices API at {base} returned no VPN gateway hourly prices in {code}"
        )

    hourly, sku_sources, rule = _choose(prices, wanted)
    where = ", ".join(wanted) if wanted else "all regions"
    source = (
        f"Azure Retail Prices API {base}/api/retail/prices (api-version {API_VERSION}), serviceName "
        f"'VPN Gateway', Consumption meters per hour, {where}; {rule}; fetched "
        f"{fetched_at.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    )
    return PriceTable(
        source=source,
        as_of=fetched_at.date().isoformat(),
        currency=code,
        hourly=hourly,
        sku_sources=sku_sources,
    )


def _fetch_region(base: str, region: str | None, currency: str, timeout: float, retries: int) -> list[_Price]:
    # Values in $filter are case-sensitive from 2023-01-01-preview (azure-facts §7.2): 'VPN Gateway'
    # and lowercase ARM region names are the spellings the API uses.
    flt = "serviceName eq 'VPN Gateway'"
    if region:
        flt += f" and armRegionName eq '{region}'"
    query = "&".join(
        [
            f"api-version={API_VERSION}",
            "currencyCode=" + urllib.parse.quote(f"'{currency}'", safe="'"),
            "$filter=" + urllib.parse.quote(flt, safe="'"),
        ]
    )
    url: str | None = f"{base}/api/retail/prices?{query}"
    seen: set[str] = set()
    result: list[_Price] = []
    pages = 0
    while url:
        if url in seen or pages >= _MAX_PAGES:
            raise PriceFetchError(f"the Retail Prices API at {base} keeps paging ({pages} pages); giving up")
        seen.add(url)
        pages += 1
        page = _get_json(url, timeout, retries)
        items = page.get("Items") if isinstance(page, dict) else None
        if not isinstance(items, list):
            raise PriceFetchError(f"unexpected answer from {_short(url)}: no 'Items' list")
        for item in items:
            price = _gateway_hour(item, region, currency)
            if price is not None:
                result.append(price)
        next_link = page.get("NextPageLink")
        url = next_link if isinstance(next_link, str) and next_link.strip() else None
    return result


def _gateway_hour(item: Any, region: str | None, currency: str) -> _Price | None:
    if not isinstance(item, dict):
        return None
    if (item.get("type") or item.get("priceType")) != "Consumption":
        return None  # reservations, savings plans, DevTest
    item_currency = item.get("currencyCode")
    if item_currency is not None and item_currency != currency:
        return None
    item_region = str(item.get("armRegionName") or "").lower()
    if region is not None and item_region != region:
        return None
    unit = _HOURS_UNIT.match(str(item.get("unitOfMeasure") or ""))
    if unit is None:
        return None
    price = item.get("retailPrice", item.get("unitPrice"))
    if not _is_number(price) or price <= 0:
        return None
    sku = sku_from_meter(item.get("meterName"), item.get("skuName"))
    if sku is None:
        return None
    per = float(unit.group(1)) if unit.group(1) else 1.0  # '10 Hours' prices ten hours
    if per <= 0:
        return None
    return _Price(
        sku=sku,
        region=item_region or "(no region)",
        hourly=float(price) / per,
        meter=str(item.get("meterName") or item.get("skuName") or sku),
        primary=item.get("isPrimaryMeterRegion") is not False,
    )


def _choose(prices: list[_Price], wanted: list[str]) -> tuple[dict[str, float], dict[str, str], str]:
    # Per SKU and region first: prefer primary meters, then the highest of what is left.
    by_region: dict[str, dict[str, _Price]] = {}
    for p in prices:
        slot = by_region.setdefault(p.sku, {})
        current = slot.get(p.region)
        if current is None or (p.primary, p.hourly) > (current.primary, current.hourly):
            slot[p.region] = p
    hourly: dict[str, float] = {}
    sources: dict[str, str] = {}
    if len(wanted) == 1:
        rule = f"prices of {wanted[0]}"
    elif wanted:
        rule = "per SKU the highest price of the regions asked"
    else:
        rule = "per SKU the price most regions charge (ties: the higher)"
    for sku in sorted(by_region, key=_sku_order):
        choices = by_region[sku]
        values = sorted({round(p.hourly, 6) for p in choices.values()})
        if wanted:
            chosen = max(choices.values(), key=lambda p: p.hourly)
        else:
            counts = Counter(round(p.hourly, 6) for p in choices.values())
            best = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
            chosen = next(p for p in choices.values() if round(p.hourly, 6) == best)
        hourly[sku] = round(chosen.hourly, 6)
        note = f"meterName '{chosen.meter}', {chosen.region}"
        if len(choices) > 1:
            spread = f"{values[0]:g}" if len(values) == 1 else f"{values[0]:g}-{values[-1]:g}"
            note += f"; {len(choices)} regions priced it at {spread}"
        sources[sku] = note
    return hourly, sources, rule


def _sku_order(sku: str) -> tuple[int, int, str]:
    if match := re.fullmatch(r"VpnGw(\d+)(AZ)?", sku):
        return (1 if match.group(2) else 0, int(match.group(1)), sku)
    if match := re.fullmatch(r"ErGw(\d+)AZ", sku):
        return (3, int(match.group(1)), sku)
    return (2 if sku != "Basic" else -1, 0, sku)


def _get_json(url: str, timeout: float, retries: int) -> Any:
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": f"vnet-planner/{__version__}"}
    )
    attempt = 0
    while True:
        attempt += 1
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read()
            break
        except urllib.error.HTTPError as exc:
            if exc.code in _RETRY_STATUSES and attempt <= retries:
                time.sleep(_retry_wait(exc.headers.get("Retry-After"), attempt))
                continue
            raise PriceFetchError(f"{_short(url)} answered HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt <= retries:
                time.sleep(_retry_wait(None, attempt))
                continue
            reason = getattr(exc, "reason", exc)
            raise PriceFetchError(f"cannot reach {_short(url)}: {reason}") from None
    try:
        return json.loads(body)
    except ValueError:
        raise PriceFetchError(f"{_short(url)} did not answer JSON") from None


def _retry_wait(header: str | None, attempt: int) -> float:
    """Seconds to wait: Retry-After (seconds or an HTTP date) when given, else 1, 2, 4, ... capped."""
    if header:
        text = header.strip()
        try:
            return min(max(float(text), 0.0), _MAX_RETRY_WAIT)
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), _MAX_RETRY_WAIT)
    return min(float(2 ** (attempt - 1)), _MAX_RETRY_WAIT)


def _short(url: str) -> str:
    """Scheme, host and path: the query's long filter adds nothing to a one-line error."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
