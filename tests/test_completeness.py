"""Issue 17, case 1: a file that holds part of a longer result is recorded as such, and no verdict
that rests on the missing part is given as if the data were whole.

Inputs are shaped like the real outputs: `az graph query -o json` (`skip_token`, `total_records`),
the Resource Graph REST response (`$skipToken`, `totalRecords`, `resultTruncated`; azure-rest-api-specs
resourcegraph 2024-04-01 examples/ResourcesFirstPageQuery.json), an ARM list (`value`, `nextLink`) and
scan manifests that say a data set failed or the scan stopped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import factory as f
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from planner.cli import app as cli
from planner.inventory import loader as inv
from planner.inventory.loader import load_inventory
from planner.inventory.model import build_tenant
from planner.plan.pipeline import run_plan

runner = CliRunner()
TOKEN = "ew0KICAiJGlkIjogIjEiLA0KICAiTWF4Um93cyI6IDEwMDAsDQp9"
ARM_NEXT = (
    f"https://management.azure.com/subscriptions/{f.SUB}/providers/Microsoft.Web/sites"
    "?api-version=2024-11-01&$skiptoken=eyJuZXh0TWFya2VyIjoiMiJ9"
)


def cli_page(rows: list[dict[str, Any]], total: int, token: str | None) -> dict[str, Any]:
    """`az graph query -q ... --first N -o json`."""
    return {"count": len(rows), "data": rows, "skip_token": token, "total_records": total}


def rest_page(
    rows: list[dict[str, Any]], total: int, token: str | None, truncated: bool = False
) -> dict[str, Any]:
    """POST .../providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01."""
    body: dict[str, Any] = {
        "totalRecords": total,
        "count": len(rows),
        "resultTruncated": "true" if truncated else "false",
        "facets": [],
        "data": rows,
    }
    if token:
        body["$skipToken"] = token
    return body


def _split(resources: list[dict[str, Any]], type_: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return [r for r in resources if r["type"] == type_], [r for r in resources if r["type"] != type_]


def _inventory(tmp_path: Path, resources: list[dict[str, Any]], pages: dict[str, Any]) -> Path:
    """The factory's inventory, with some resources moved into page files of the given shapes."""
    apps = [r["id"] for r in f.base_tenant() if r["type"] == "microsoft.web/sites"]
    folder = f.write(tmp_path / "inv", resources, f.manifest(apps))
    for name, body in pages.items():
        (folder / name).write_text(json.dumps(body), encoding="utf-8")
    return folder


def _sites_page(tmp_path: Path, body_of: Any) -> Path:
    sites, rest = _split(f.base_tenant(), "microsoft.web/sites")
    return _inventory(tmp_path, rest, {"sites.json": body_of(sites)})


@pytest.mark.parametrize(
    ("shape", "body_of", "said"),
    [
        ("cli skip_token", lambda rows: cli_page(rows, 1500, TOKEN), "skip_token"),
        ("rest $skipToken", lambda rows: rest_page(rows, 1500, TOKEN), "$skipToken"),
        ("rest resultTruncated", lambda rows: rest_page(rows, 1500, None, truncated=True), "resultTruncated"),
        ("total above rows", lambda rows: cli_page(rows, 1500, None), "1 of 1500"),
    ],
)
def test_a_short_resource_graph_page_is_a_gap(tmp_path: Path, shape: str, body_of: Any, said: str) -> None:
    raw = load_inventory(_sites_page(tmp_path, body_of))
    [gap] = raw.gaps
    assert gap.files == (str(tmp_path / "inv" / "sites.json"),)
    # A page of the sites query may be followed by one that holds slots.
    assert gap.types == {inv.SITE, inv.SLOT}
    assert said in gap.reason
    assert "1 of 1500" in gap.reason


def test_whole_pages_make_no_gap(tmp_path: Path) -> None:
    sites, rest = _split(f.base_tenant(), "microsoft.web/sites")
    folder = _inventory(
        tmp_path,
        rest,
        {
            "a.json": cli_page(sites, 1, None),
            "b.json": rest_page([], 0, None),
            "c.json": {"value": [], "nextLink": None},
        },
    )
    assert load_inventory(folder).gaps == []


def test_the_next_page_in_another_file_completes_the_first(tmp_path: Path) -> None:
    site2 = f.site(f.APP_ID.replace("app1", "app2"))
    sites, rest = _split(f.base_tenant(), "microsoft.web/sites")
    first = _inventory(tmp_path, rest, {"sites-1.json": cli_page(sites, 2, TOKEN)})
    assert len(load_inventory(first).gaps) == 1
    (first / "sites-2.json").write_text(json.dumps(cli_page([site2], 2, None)), encoding="utf-8")
    assert load_inventory(first).gaps == []


def test_pages_of_other_queries_with_the_same_total_do_not_complete_each_other(tmp_path: Path) -> None:
    sites, rest = _split(f.base_tenant(), "microsoft.web/sites")
    vnets, rest = _split(rest, "microsoft.network/virtualnetworks")
    other = f.vnet(f.VNET_ID.replace("vnet-hub", "vnet-2"))
    folder = _inventory(
        tmp_path,
        rest,
        {"sites.json": cli_page(sites, 2, TOKEN), "vnets.json": cli_page([*vnets, other], 2, None)},
    )
    [gap] = load_inventory(folder).gaps
    assert gap.types == {inv.SITE, inv.SLOT}


def test_an_arm_list_with_a_next_link_is_a_gap(tmp_path: Path) -> None:
    sites, rest = _split(f.base_tenant(), "microsoft.web/sites")
    folder = _inventory(tmp_path, rest, {"sites.json": {"value": sites, "nextLink": ARM_NEXT}})
    [gap] = load_inventory(folder).gaps
    assert gap.types == {inv.SITE, inv.SLOT}
    assert "nextLink" in gap.reason and "az rest" in gap.remedy


def test_a_short_page_of_a_type_the_planner_does_not_read_may_hide_vnet_rules(tmp_path: Path) -> None:
    disk = {"id": f"{f.RG}/rg-x/providers/Microsoft.Compute/disks/d1", "type": "microsoft.compute/disks"}
    folder = _inventory(tmp_path, f.base_tenant(), {"storage.json": cli_page([disk], 40, TOKEN)})
    [gap] = load_inventory(folder).gaps
    assert gap.covers(inv.NETWORK_RULED) and not gap.covers(inv.SITE)
    reasons = {u["code"]: u["reason"] for u in _app(run_plan(folder))["unknown"]}
    assert "storage.json" in reasons["SERVICE_ENDPOINTS"]


def test_an_empty_page_that_points_further_may_hide_any_type(tmp_path: Path) -> None:
    folder = _inventory(tmp_path, f.base_tenant(), {"empty.json": rest_page([], 40, TOKEN)})
    [gap] = load_inventory(folder).gaps
    assert gap.types == frozenset() and gap.covers(inv.GATEWAY)


@pytest.mark.parametrize(
    ("manifest_extra", "types"),
    [
        (
            {"queries": {"connections": {"rows": 0, "pages": 0, "status": "failed", "error": "503"}}},
            {inv.CONNECTION},
        ),
        ({"queries": {"sites": {"rows": 10, "pages": 1, "status": "partial"}}}, {inv.SITE, inv.SLOT}),
        ({"partial": True, "finished_at": None}, set()),
    ],
)
def test_a_manifest_that_says_partial_makes_types_incomplete(
    tmp_path: Path, manifest_extra: dict[str, Any], types: set[str]
) -> None:
    folder = f.write(tmp_path, f.base_tenant(), {**f.manifest([f.APP_ID]), **manifest_extra})
    tenant = build_tenant(load_inventory(folder))
    [gap] = tenant.gaps
    assert gap.types == types
    assert "scan --resume" in gap.remedy


def test_a_finished_partial_scan_with_every_query_whole_has_no_gap(tmp_path: Path) -> None:
    manifest = {**f.manifest([f.APP_ID]), "partial": True, "finished_at": "2026-11-29T09:04:10Z"}
    manifest["queries"] = {"sites": {"rows": 1, "pages": 1}}
    assert build_tenant(load_inventory(f.write(tmp_path, f.base_tenant(), manifest))).gaps == []


def test_a_page_that_is_not_json_paging_fails_naming_the_field(tmp_path: Path) -> None:
    folder = _inventory(tmp_path, f.base_tenant(), {"x.json": {"data": [], "total_records": "many"}})
    result = runner.invoke(cli, ["plan", str(folder), "--out", str(tmp_path / "out"), "--format", "json"])
    assert result.exit_code == 2
    assert "x.json" in result.output and "total_records" in result.output
    assert not (tmp_path / "out").exists()


# --- what the verdicts make of it ---------------------------------------------------------------


def _app(plan: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in plan["apps"] if a["id"] == f.APP_ID)


def test_truncated_sites_make_the_gateway_verify_and_plan_wide_codes_unknown(tmp_path: Path) -> None:
    whole = run_plan(f.write(tmp_path / "whole", f.base_tenant()))
    assert whole["gateways"][0]["decommission"] == "yes"
    assert whole["inventory"]["complete"] is True and whole["inventory"]["incomplete"] == []

    plan = run_plan(_sites_page(tmp_path, lambda rows: cli_page(rows, 1500, TOKEN)))
    gateway = plan["gateways"][0]
    assert gateway["decommission"] == "verify"
    assert "sites.json" in gateway["decommission_reason"]
    assert gateway["monthly_savings"] == 0.0
    unknown = {u["code"]: u["reason"] for u in _app(plan)["unknown"]}
    assert "sites.json" in unknown["TOO_MANY_SUBNETS"]  # another app of the plan may be unseen
    assert plan["inventory"]["complete"] is False
    assert plan["inventory"]["incomplete"][0]["files"] == [str(tmp_path / "inv" / "sites.json")]
    assert plan["summary"]["incomplete_files"] == [str(tmp_path / "inv" / "sites.json")]


@pytest.mark.parametrize(
    ("type_", "code"),
    [
        ("microsoft.network/connections", "EXPRESSROUTE"),
        ("microsoft.network/virtualnetworkgateways", "GATEWAY_NOT_FOUND"),
        ("microsoft.network/virtualnetworkgateways", "COEXISTENCE"),
    ],
)
def test_a_no_that_rests_on_a_short_page_is_unknown(tmp_path: Path, type_: str, code: str) -> None:
    resources = [*f.base_tenant(), f.connection("s2s", "IPsec")]
    rows, rest = _split(resources, type_)
    if type_ == "microsoft.network/virtualnetworkgateways":
        rows = []  # the gateway is on the page not read: GATEWAY_NOT_FOUND would otherwise say yes
    whole = run_plan(f.write(tmp_path / "whole", resources))
    assert code not in {u["code"] for u in _app(whole)["unknown"]}
    plan = run_plan(_inventory(tmp_path, rest, {"page.json": rest_page(rows, 5, TOKEN)}))
    reasons = {u["code"]: u["reason"] for u in _app(plan)["unknown"]}
    assert "page.json" in reasons[code]
    assert code not in _app(plan)["blockers"] + _app(plan)["findings"] + _app(plan)["limitations"]


def test_an_app_read_as_without_connections_is_unknown_when_the_connection_list_is_short(
    tmp_path: Path,
) -> None:
    app2 = f.APP_ID.replace("app1", "app2")
    resources = [*f.base_tenant(), f.site(app2)]
    connections, rest = _split(resources, "Microsoft.Web/sites/virtualNetworkConnections")
    folder = f.write(tmp_path / "inv", rest, f.manifest([f.APP_ID, app2]))
    (folder / "conn.json").write_text(
        json.dumps({"value": connections, "nextLink": ARM_NEXT}), encoding="utf-8"
    )
    plan = run_plan(folder)
    other = next(a for a in plan["apps"] if a["id"] == app2)
    assert other["integration"] == "unknown"
    assert "conn.json" in other["integration_reason"]
    assert _app(plan)["integration"] == "gateway-required"  # what was read still counts


def test_failed_subscription_keeps_a_gateway_from_yes(tmp_path: Path) -> None:
    manifest = f.manifest([f.APP_ID])
    manifest["subscriptions"] = [
        {"id": "x", "name": "legacy", "status": "failed", "reason": "403 AuthorizationFailed"}
    ]
    plan = run_plan(f.write(tmp_path, f.base_tenant(), manifest))
    assert plan["gateways"][0]["decommission"] == "verify"
    assert "legacy" in plan["gateways"][0]["decommission_reason"]


def test_every_report_says_which_files_are_incomplete(tmp_path: Path) -> None:
    folder = _sites_page(tmp_path, lambda rows: cli_page(rows, 1500, TOKEN))
    out = tmp_path / "out"
    result = runner.invoke(cli, ["plan", str(folder), "--out", str(out), "--format", "json,html,xlsx"])
    assert result.exit_code == 0, result.output
    terminal = " ".join(result.output.split())
    assert "INCOMPLETE INVENTORY" in terminal and "sites.json" in terminal and "--skip-token" in terminal
    assert terminal.index("INCOMPLETE INVENTORY") < terminal.index("Apps and slots")  # before any number
    assert terminal.count("INCOMPLETE INVENTORY") == 1
    html = (out / "runbook.html").read_text(encoding="utf-8")
    assert "INCOMPLETE INVENTORY" in html and "--skip-token" in html
    from openpyxl import load_workbook

    book = load_workbook(out / "plan.xlsx", read_only=True)
    cells = [
        str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c
    ]
    assert any("INCOMPLETE INVENTORY" in c for c in cells)
    assert any("--skip-token" in c for c in cells)


# --- the guarantee: no incomplete input gives a gateway "yes" ----------------------------------

GATEWAY_TENANT_TYPES = (
    "microsoft.web/sites",
    "microsoft.network/virtualnetworks",
    "microsoft.network/virtualnetworkgateways",
    "microsoft.network/connections",
    "Microsoft.Web/sites/virtualNetworkConnections",
    "microsoft.web/serverfarms",
    "microsoft.keyvault/vaults",
)


@st.composite
def incomplete_inventories(
    draw: st.DrawFn,
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any] | None]:
    """A tenant whose gateway would be deletable, with one data set made short in one real-world way."""
    apps = draw(st.integers(min_value=1, max_value=3))
    app_ids = [f.APP_ID.replace("app1", f"app{i + 1}") for i in range(apps)]
    resources = [f.subscription(), f.plan(), f.vnet(), f.gateway(), f.vault("kv1", None, "Enabled")]
    for app_id in app_ids:
        resources += [f.site(app_id), f.vnet_connection(app_id), f.network_config(app_id)]
    type_ = draw(st.sampled_from(GATEWAY_TENANT_TYPES))
    rows, rest = _split(resources, type_)
    keep = draw(st.integers(min_value=0, max_value=len(rows)))
    total = len(rows) + draw(st.integers(min_value=1, max_value=2000))
    how = draw(st.sampled_from(["cli", "rest", "truncated", "arm", "manifest-failed", "manifest-unfinished"]))
    manifest: dict[str, Any] = f.manifest(app_ids)
    pages: dict[str, Any] = {}
    if how == "cli":
        pages["page.json"] = cli_page(rows[:keep], total, draw(st.sampled_from([TOKEN, None])))
    elif how == "rest":
        pages["page.json"] = rest_page(rows[:keep], total, TOKEN)
    elif how == "truncated":
        pages["page.json"] = rest_page(rows[:keep], total, None, truncated=True)
    elif how == "arm":
        pages["page.json"] = {"value": rows[:keep], "nextLink": ARM_NEXT}
    elif how == "manifest-failed":
        dataset = draw(st.sampled_from(sorted(inv.DATASET_TYPES)))
        manifest["queries"] = {dataset: {"rows": 0, "pages": 0, "status": "failed", "error": "throttled"}}
        rest = resources
    else:
        manifest.update(partial=True, finished_at=None)
        rest = resources
    return rest, pages, manifest


@settings(max_examples=40, deadline=None)
@given(incomplete_inventories())
def test_no_incomplete_inventory_gives_a_gateway_yes(
    case: tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]],
) -> None:
    import tempfile

    resources, pages, manifest = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = f.write(Path(tmp) / "inv", resources, manifest)
        for name, body in pages.items():
            (folder / name).write_text(json.dumps(body), encoding="utf-8")
        plan = run_plan(folder)
    assert plan["inventory"]["complete"] is False
    for gateway in plan["gateways"]:
        assert gateway["decommission"] != "yes", gateway["decommission_reason"]
        assert gateway["monthly_savings"] == 0.0
    assert plan["summary"]["gateways_decommissionable"] == 0
