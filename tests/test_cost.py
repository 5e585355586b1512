"""Tests for planner.gateways.prices and planner.cli.prices: price files, monthly cost, Retail Prices API refresh."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from planner.cli.prices import app
from planner.core.errors import InputError
from planner.gateways.prices import (
    ENDPOINT_ENV,
    PriceFetchError,
    PriceTable,
    fetch_retail_prices,
    load_default_prices,
    load_prices,
    monthly_cost,
    sku_from_meter,
    write_prices,
)

# --- the default table -----------------------------------------------------------------------------


def test_default_table_is_dated_sourced_and_in_usd() -> None:
    table = load_default_prices()
    assert table.currency == "USD"
    assert table.hours_per_month == 730
    assert date.fromisoformat(table.as_of) <= datetime.now(UTC).date()
    assert "Retail Prices API" in table.source
    for sku in ("Basic", "VpnGw1", "VpnGw2", "VpnGw3", "VpnGw1AZ"):
        assert sku in table.hourly
    for sku, hourly in table.hourly.items():
        assert hourly > 0, sku
        assert table.sku_sources[sku].strip(), f"{sku} has no source"


def test_default_table_leaves_unsourced_skus_out() -> None:
    # VpnGw3AZ..VpnGw5AZ could not be sourced in USD: their cost must be unknown, not guessed.
    table = load_default_prices()
    for sku in ("VpnGw3AZ", "VpnGw4AZ", "VpnGw5AZ"):
        assert monthly_cost(table, sku) is None


# --- monthly cost ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sku", "expected"),
    [
        ("VpnGw1", 138.7),
        ("vpngw1", 138.7),
        (" VPNGW1AZ ", 153.3),
        ("Basic", 26.28),
        ("VpnGw3", 912.5),
        ("VpnGw9AZ", None),
        ("", None),
        (None, None),
    ],
)
def test_monthly_cost_from_default_table(sku: str | None, expected: float | None) -> None:
    assert monthly_cost(load_default_prices(), sku) == expected


@pytest.mark.parametrize(
    ("hourly", "hours", "expected"),
    [(0.123456, 730, 90.12), (2.0, 730, 1460.0), (0.0, 730, 0.0), (1.0, 744, 744.0)],
)
def test_monthly_cost_arithmetic(hourly: float, hours: int, expected: float) -> None:
    table = PriceTable("test", "2026-11-01", "USD", {"VpnGw1AZ": hourly}, hours_per_month=hours)
    assert monthly_cost(table, "vpngw1az") == expected


def test_price_table_lookup_is_case_insensitive_and_keeps_spelling() -> None:
    table = PriceTable("t", "2026-11-01", "EUR", {"VpnGw2AZ": 0.5}, {"VpnGw2AZ": "s"})
    assert table.hourly["VPNGW2AZ"] == 0.5
    assert "vpngw2az" in table.hourly
    assert list(table.hourly) == ["VpnGw2AZ"]
    assert table.sku_sources["vpngw2az"] == "s"
    assert table.describe() == {"source": "t", "as_of": "2026-11-01", "currency": "EUR"}
    with pytest.raises(AttributeError):
        table.currency = "USD"  # type: ignore[misc]


# --- price files -----------------------------------------------------------------------------------

GOOD: dict[str, Any] = {
    "source": "hand-made",
    "as_of": "2026-11-01",
    "currency": "USD",
    "hours_per_month": 730,
    "skus": {"VpnGw1": {"hourly": 0.19, "source": "x"}},
}


def with_change(path: str, value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(GOOD))
    *parents, last = path.split(".")
    target = data
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return data


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        pytest.param([], None, "expected a JSON object", id="not-an-object"),
        pytest.param(with_change("skus", KeyError), "skus", "missing", id="missing-skus"),
        pytest.param(with_change("skus", []), "skus", "missing or not an object", id="skus-a-list"),
        pytest.param(with_change("skus", {}), "skus", "lists no SKU", id="no-skus"),
        pytest.param(
            with_change("skus.VpnGw1.hourly", -0.19), "skus.VpnGw1.hourly", "negative", id="negative"
        ),
        pytest.param(
            with_change("skus.VpnGw1.hourly", "0.19"), "skus.VpnGw1.hourly", "number", id="string-price"
        ),
        pytest.param(
            with_change("skus.VpnGw1.hourly", True), "skus.VpnGw1.hourly", "number", id="bool-price"
        ),
        pytest.param(
            with_change("skus.VpnGw1.hourly", None), "skus.VpnGw1.hourly", "number", id="null-price"
        ),
        pytest.param(
            with_change("skus.VpnGw1.hourly", KeyError), "skus.VpnGw1.hourly", "missing", id="no-hourly"
        ),
        pytest.param(with_change("skus.VpnGw1", [0.19]), "skus.VpnGw1", "number", id="list-entry"),
        pytest.param(
            with_change("skus.VpnGw1.source", 7), "skus.VpnGw1.source", "text", id="source-not-text"
        ),
        pytest.param(
            with_change("skus.vpngw1", 0.2), "skus.vpngw1", "same SKU as 'VpnGw1'", id="duplicate-case"
        ),
        pytest.param(with_change("as_of", KeyError), "as_of", "YYYY-MM-DD", id="missing-as-of"),
        pytest.param(with_change("as_of", "2026-13-01"), "as_of", "YYYY-MM-DD", id="bad-date"),
        pytest.param(with_change("as_of", "1 Nov 2026"), "as_of", "YYYY-MM-DD", id="not-iso"),
        pytest.param(with_change("currency", KeyError), "currency", "currency code", id="missing-currency"),
        pytest.param(with_change("currency", "usd"), "currency", "currency code", id="lowercase-currency"),
        pytest.param(with_change("hours_per_month", 0), "hours_per_month", "hours", id="zero-hours"),
        pytest.param(with_change("hours_per_month", "730"), "hours_per_month", "hours", id="string-hours"),
        pytest.param(with_change("source", ""), "source", "non-empty", id="empty-source"),
    ],
)
def test_bad_price_files_name_the_field(tmp_path: Path, data: Any, field: str | None, message: str) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_prices(path)
    error = caught.value
    assert error.file == str(path)
    assert error.field == field
    assert message in error.detail
    text = str(error)
    assert text.startswith(str(path))
    assert "\n" not in text


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("{not json", "line 1, column 2", "not valid JSON"),
        ('{\n  "skus": {"VpnGw1": 0.19,}\n}', "line 2", "not valid JSON"),
        ('{"as_of": "2026-11-01", "currency": "USD", "skus": {"VpnGw1": NaN}}', None, "NaN is not a price"),
        ("", "line 1, column 1", "not valid JSON"),
    ],
)
def test_unparsable_price_files(tmp_path: Path, text: str, position: str | None, message: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_prices(path)
    assert message in caught.value.detail
    if position:
        assert position in (caught.value.position or "")


def test_missing_price_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the price file"):
        load_prices(tmp_path / "absent.json")


def test_price_file_accepts_bare_numbers_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "override.json"
    path.write_text('{"as_of": "2026-10-01", "currency": "EUR", "skus": {"VpnGw1AZ": 0.2}}', encoding="utf-8")
    table = load_prices(path)
    assert table.hourly_price("vpngw1az") == 0.2
    assert table.currency == "EUR"
    assert table.hours_per_month == 730
    assert str(path) in table.source
    assert monthly_cost(table, "VpnGw1AZ") == 146.0


def test_write_prices_round_trips_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text("old", encoding="utf-8")
    table = PriceTable(
        "Retail API test",
        "2026-11-29",
        "USD",
        {"VpnGw1AZ": 0.21, "Basic": 0.036},
        {"VpnGw1AZ": "meterName 'VpnGw1AZ', eastus", "Basic": "b"},
    )
    write_prices(table, path)
    again = load_prices(path)
    assert again == table
    assert dict(again.hourly) == {"VpnGw1AZ": 0.21, "Basic": 0.036}
    assert again.sku_sources["basic"] == "b"
    assert [p.name for p in tmp_path.iterdir()] == ["prices.json"]  # no temporary file left behind


def test_write_prices_to_missing_directory(tmp_path: Path) -> None:
    table = PriceTable("s", "2026-11-29", "USD", {"VpnGw1": 0.19})
    with pytest.raises(InputError, match="cannot write the price file"):
        write_prices(table, tmp_path / "no" / "such" / "dir" / "prices.json")


def test_default_table_round_trips_through_write(tmp_path: Path) -> None:
    table = load_default_prices()
    write_prices(table, tmp_path / "copy.json")
    assert load_prices(tmp_path / "copy.json") == table


# --- meter mapping ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meter", "sku_name", "expected"),
    [
        ("VpnGw1", "VpnGw1", "VpnGw1"),
        ("VpnGw1 Gateway", None, "VpnGw1"),
        (None, "VpnGw1 Gateway", "VpnGw1"),
        ("VpnGw1AZ", "VpnGw1AZ", "VpnGw1AZ"),
        ("vpngw5az", None, "VpnGw5AZ"),
        ("Basic Gateway", "Basic", "Basic"),
        ("High Performance Gateway", None, "HighPerformance"),
        ("Ultra High Performance Gateway", None, "UltraPerformance"),
        ("ErGw2AZ Gateway", None, "ErGw2AZ"),
        ("S2S Connection", "VpnGw1", None),
        ("P2S Connection", "VpnGw2AZ", None),
        ("Advanced Connectivity Add-On", "Advanced Connectivity Add-On", None),
        ("Inter-Virtual Network Data Transfer Out", "VpnGw1", None),
        ("ErGwScale Unit", None, None),
        ("VpnGw10AZ", None, "VpnGw10AZ"),
        ("VpnGw1AZX", None, None),
        ("Standard Hub Unit", None, None),
        (None, None, None),
    ],
)
def test_sku_from_meter(meter: str | None, sku_name: str | None, expected: str | None) -> None:
    assert sku_from_meter(meter, sku_name) == expected


# --- a fake Retail Prices API on 127.0.0.1 ---------------------------------------------------------


def item(meter: str, sku: str, price: float, region: str, **extra: Any) -> dict[str, Any]:
    base = {
        "currencyCode": "USD",
        "tierMinimumUnits": 0.0,
        "retailPrice": price,
        "unitPrice": price,
        "armRegionName": region,
        "location": region,
        "effectiveStartDate": "2025-01-01T00:00:00Z",
        "meterId": f"id-{meter}-{region}",
        "meterName": meter,
        "productName": "VPN Gateway",
        "skuName": sku,
        "serviceName": "VPN Gateway",
        "serviceFamily": "Networking",
        "unitOfMeasure": "1 Hour",
        "type": "Consumption",
        "isPrimaryMeterRegion": True,
        "armSkuName": "",
    }
    base.update(extra)
    return base


CATALOGUE: dict[str, list[dict[str, Any]]] = {
    "eastus": [
        item("VpnGw1", "VpnGw1", 0.19, "eastus"),
        item("VpnGw1AZ", "VpnGw1AZ", 0.21, "eastus"),
        item("S2S Connection", "VpnGw1", 0.015, "eastus"),  # connection meter, skuName looks like a gateway
        item("VpnGw2 Gateway", "VpnGw2 Gateway", 0.49, "eastus"),
        item("Basic Gateway", "Basic", 0.036, "eastus"),
        item("P2S Connection", "VpnGw1AZ", 0.01, "eastus"),
        item("VpnGw3", "VpnGw3", 0.0, "eastus"),  # zero price
        item("Inter-Virtual Network Data Transfer Out", "VpnGw1", 0.035, "eastus", unitOfMeasure="1 GB"),
        item("VpnGw4", "VpnGw4", 1533.0, "eastus", unitOfMeasure="1/Month"),  # not an hourly unit
        item("VpnGw5", "VpnGw5", 20000.0, "eastus", type="Reservation"),
        item("VpnGw2AZ", "VpnGw2AZ", 5.4, "eastus", unitOfMeasure="10 Hours"),
        item("Advanced Connectivity Add-On", "Advanced Connectivity Add-On", 0.5, "eastus"),
        item("VpnGw3AZ", "VpnGw3AZ", 1.3, "eastus", currencyCode="EUR"),  # another currency
        item("S2S Connection", "VpnGw3AZ", 0.015, "eastus"),  # the only USD meter naming VpnGw3AZ
    ],
    "westeurope": [
        item("VpnGw1", "VpnGw1", 0.20, "westeurope"),
        item("VpnGw1", "VpnGw1", 0.30, "westeurope", isPrimaryMeterRegion=False),
        item("VpnGw1AZ", "VpnGw1AZ", 0.21, "westeurope"),
        item("Basic Gateway", "Basic", 0.04, "westeurope"),
        item("VpnGw2", "VpnGw2", 0.49, "westeurope"),
    ],
    "northeurope": [item("VpnGw1", "VpnGw1", 0.19, "northeurope")],
}
EASTUS = {"VpnGw1": 0.19, "VpnGw2": 0.49, "VpnGw1AZ": 0.21, "VpnGw2AZ": 0.54, "Basic": 0.036}
PAGE_SIZE = 5


class FakeRetailPrices:
    """Serves CATALOGUE in pages of 5 with NextPageLink, answering one 429 (Retry-After: 0) on page 2."""

    def __init__(self) -> None:
        self.requests: list[dict[str, list[str]]] = []
        self.throttled = 0
        self.always_fail: int | None = None
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        query = parse_qs(url.query, keep_blank_values=True)
        with self._lock:
            self.requests.append(query)
        if self.always_fail is not None:
            return self.send(request, self.always_fail, {"error": "down"}, {"Retry-After": "0"})
        if url.path != "/api/retail/prices":
            return self.send(request, 404, {"error": "not found"})
        page = int(query.get("page", ["1"])[0])
        if page == 2 and self.throttled == 0:
            with self._lock:
                self.throttled += 1
            return self.send(request, 429, {"error": "slow down"}, {"Retry-After": "0"})
        match = re.search(r"armRegionName eq '([^']*)'", query["$filter"][0])
        items = CATALOGUE.get(match.group(1), []) if match else [i for v in CATALOGUE.values() for i in v]
        chunk = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        more = page * PAGE_SIZE < len(items)
        base_query = "&".join(p for p in url.query.split("&") if not p.startswith("page="))
        body = {
            "BillingCurrency": "USD",
            "CustomerEntityId": "Default",
            "CustomerEntityType": "Retail",
            "Items": chunk,
            "NextPageLink": f"{self.endpoint}{url.path}?{base_query}&page={page + 1}" if more else None,
            "Count": len(chunk),
        }
        self.send(request, 200, body)

    @staticmethod
    def send(
        request: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)


@pytest.fixture
def fake_api() -> Iterator[FakeRetailPrices]:
    fake = FakeRetailPrices()
    try:
        yield fake
    finally:
        fake.close()


def test_refresh_one_region_pages_retries_and_filters(fake_api: FakeRetailPrices) -> None:
    table = fetch_retail_prices(["eastus"], "USD", fake_api.endpoint)
    assert dict(table.hourly) == EASTUS
    assert table.currency == "USD"
    assert table.as_of == datetime.now(UTC).date().isoformat()
    assert "eastus" in table.source and "Retail Prices API" in table.source
    assert table.sku_sources["VpnGw2"] == "meterName 'VpnGw2 Gateway', eastus"
    assert fake_api.throttled == 1
    # Three pages of 14 items, page 2 asked twice because of the 429.
    assert [q.get("page", ["1"])[0] for q in fake_api.requests] == ["1", "2", "2", "3"]
    first = fake_api.requests[0]
    assert first["api-version"] == ["2023-01-01-preview"]
    assert first["$filter"] == ["serviceName eq 'VPN Gateway' and armRegionName eq 'eastus'"]
    assert first["currencyCode"] == ["'USD'"]
    assert monthly_cost(table, "vpngw2az") == 394.2


def test_refresh_several_regions_keeps_the_highest(fake_api: FakeRetailPrices) -> None:
    table = fetch_retail_prices(["eastus", "WestEurope", "eastus"], "usd", fake_api.endpoint)
    assert dict(table.hourly) == {
        "VpnGw1": 0.20,
        "VpnGw2": 0.49,
        "VpnGw1AZ": 0.21,
        "VpnGw2AZ": 0.54,
        "Basic": 0.04,
    }
    assert "highest" in table.source
    assert "eastus, westeurope" in table.source
    assert "0.19-0.2" in table.sku_sources["VpnGw1"]
    filters = [q["$filter"][0] for q in fake_api.requests if q.get("page", ["1"]) == ["1"]]
    assert filters == [
        "serviceName eq 'VPN Gateway' and armRegionName eq 'eastus'",
        "serviceName eq 'VPN Gateway' and armRegionName eq 'westeurope'",
    ]


def test_refresh_all_regions_keeps_the_most_common_price(fake_api: FakeRetailPrices) -> None:
    table = fetch_retail_prices(None, "USD", fake_api.endpoint)
    assert table.hourly_price("VpnGw1") == 0.19  # eastus and northeurope against westeurope
    assert table.hourly_price("Basic") == 0.04  # a tie: the higher
    assert "most regions" in table.source
    assert fake_api.requests[0]["$filter"] == ["serviceName eq 'VPN Gateway'"]


def test_refresh_endpoint_from_environment(
    fake_api: FakeRetailPrices, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, fake_api.endpoint + "/")
    assert dict(fetch_retail_prices(["eastus"], "USD").hourly) == EASTUS


def test_refresh_unknown_region_is_an_input_error(fake_api: FakeRetailPrices) -> None:
    with pytest.raises(InputError) as caught:
        fetch_retail_prices(["westeurop"], "USD", fake_api.endpoint)
    assert caught.value.field == "--region"
    assert "westeurop" in caught.value.detail


@pytest.mark.parametrize(
    ("regions", "currency", "field"),
    [
        (["west europe"], "USD", "--region"),
        (["westeurope'"], "USD", "--region"),
        (None, "EURO", "--currency"),
    ],
)
def test_refresh_rejects_bad_arguments_before_any_request(
    fake_api: FakeRetailPrices, regions: list[str] | None, currency: str, field: str
) -> None:
    with pytest.raises(InputError) as caught:
        fetch_retail_prices(regions, currency, fake_api.endpoint)
    assert caught.value.field == field
    assert fake_api.requests == []


def test_refresh_gives_up_after_retries(fake_api: FakeRetailPrices) -> None:
    fake_api.always_fail = 503
    with pytest.raises(PriceFetchError, match="HTTP 503"):
        fetch_retail_prices(["eastus"], "USD", fake_api.endpoint, max_retries=2)
    assert len(fake_api.requests) == 3


def test_refresh_unreachable_endpoint() -> None:
    probe = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = probe.server_address[1]
    probe.server_close()  # nothing listens there now
    with pytest.raises(PriceFetchError, match="cannot reach"):
        fetch_retail_prices(["eastus"], "USD", f"http://127.0.0.1:{port}", max_retries=0, timeout=5)


def test_refresh_rejects_a_non_price_answer(fake_api: FakeRetailPrices) -> None:
    with pytest.raises(PriceFetchError, match="HTTP 404"):
        fetch_retail_prices(["eastus"], "USD", fake_api.endpoint + "/elsewhere", max_retries=0)


# --- the typer command -----------------------------------------------------------------------------


def test_cli_refresh_writes_a_file_load_prices_reads(
    fake_api: FakeRetailPrices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, fake_api.endpoint)
    out = tmp_path / "prices.json"
    result = CliRunner().invoke(app, ["refresh", "--out", str(out), "--region", "eastus"])
    assert result.exit_code == 0, result.output
    assert "wrote 5 SKU prices (USD" in result.output
    table = load_prices(out)
    assert dict(table.hourly) == EASTUS
    assert monthly_cost(table, "VpnGw1") == 138.7


def test_cli_refresh_bad_currency_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["refresh", "--out", str(tmp_path / "p.json"), "--currency", "euros"])
    assert result.exit_code == 2
    assert "error: command line, field '--currency'" in result.output
    assert not (tmp_path / "p.json").exists()


def test_cli_refresh_unknown_region_exits_2(
    fake_api: FakeRetailPrices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, fake_api.endpoint)
    result = CliRunner().invoke(app, ["refresh", "--out", str(tmp_path / "p.json"), "--region", "marsnorth"])
    assert result.exit_code == 2
    assert "marsnorth" in result.output


def test_cli_refresh_api_down_exits_1(
    fake_api: FakeRetailPrices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_api.always_fail = 500
    monkeypatch.setenv(ENDPOINT_ENV, fake_api.endpoint)
    result = CliRunner().invoke(app, ["refresh", "--out", str(tmp_path / "p.json"), "--region", "eastus"])
    assert result.exit_code == 1
    assert "error:" in result.output and "HTTP 500" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "p.json").exists()
