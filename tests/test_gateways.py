"""Gateways: dependents, other uses with their strength, decommission verdicts, cost and savings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import factory as f
import pytest

from planner.core.settings import Settings
from planner.plan.pipeline import run_plan

SPOKE = f.VNET_ID.replace("vnet-hub", "vnet-spoke")


def _gateway(
    tmp_path: Path, resources: list[dict[str, Any]], manifest: dict[str, Any] | None = None
) -> dict[str, Any]:
    plan = run_plan(f.write(tmp_path, resources, manifest))
    [gateway] = plan["gateways"]
    return gateway


def _peered(hub_transit: bool, spoke_uses_remote: bool | None) -> list[dict[str, Any]]:
    hub = f.vnet(virtualNetworkPeerings=[])
    hub["properties"]["virtualNetworkPeerings"] = [
        {
            "name": "to-spoke",
            "properties": {"remoteVirtualNetwork": {"id": SPOKE}, "allowGatewayTransit": hub_transit},
        }
    ]
    resources = f.replace(f.base_tenant(), f.VNET_ID, hub)
    if spoke_uses_remote is not None:
        spoke = f.vnet(SPOKE, space=["10.1.0.0/16"], subnets=[])
        spoke["properties"]["virtualNetworkPeerings"] = [
            {
                "name": "to-hub",
                "properties": {
                    "remoteVirtualNetwork": {"id": f.VNET_ID},
                    "useRemoteGateways": spoke_uses_remote,
                },
            }
        ]
        resources.append(spoke)
    return resources


def test_only_app_service_uses_it(tmp_path: Path) -> None:
    gateway = _gateway(tmp_path, f.base_tenant())
    assert gateway["dependents"] == [f.APP_ID]
    assert (gateway["decommission"], gateway["decommissionable"]) == ("yes", True)
    assert gateway["monthly_savings"] == gateway["monthly_cost"] > 0


@pytest.mark.parametrize(
    ("extra", "use"),
    [
        (f.connection("s2s", "IPsec"), "S2S"),
        (f.connection("v2v", "Vnet2Vnet"), "VNET2VNET"),
        (f.connection("er", "ExpressRoute"), "EXPRESSROUTE"),
    ],
)
def test_connections_keep_the_gateway(tmp_path: Path, extra: dict[str, Any], use: str) -> None:
    gateway = _gateway(tmp_path, [*f.base_tenant(), extra])
    assert gateway["other_uses"] == [use]
    assert gateway["decommission"] == "no"
    assert gateway["monthly_savings"] == 0
    assert any(e["code"] == use and e["strength"] == "strong" for e in gateway["evidence"])


def test_vnet2vnet_seen_from_the_second_gateway(tmp_path: Path) -> None:
    v2v = f.connection("v2v", "Vnet2Vnet", gw_id=f.GW_ID.replace("gw-hub", "gw-far"))
    v2v["properties"]["virtualNetworkGateway2"] = {"id": f.GW_ID}
    assert _gateway(tmp_path, [*f.base_tenant(), v2v])["other_uses"] == ["VNET2VNET"]


@pytest.mark.parametrize(
    ("hub_transit", "spoke_uses_remote", "strong", "weak"),
    [
        (True, True, ["GATEWAY_TRANSIT"], []),
        (True, None, [], ["GATEWAY_TRANSIT"]),
        (True, False, [], []),
        (False, True, [], []),
    ],
)
def test_gateway_transit(
    tmp_path: Path, hub_transit: bool, spoke_uses_remote: bool | None, strong: list, weak: list
) -> None:
    gateway = _gateway(tmp_path, _peered(hub_transit, spoke_uses_remote))
    assert gateway["other_uses"] == strong
    assert gateway["other_uses_weak"] == weak


@pytest.mark.parametrize(
    ("gateway", "strong", "weak", "decommission"),
    [
        (f.gateway(certs=[f.CERT, "MIIC-someone-else"]), ["P2S_CLIENTS"], [], "no"),
        (f.gateway(auth=["Certificate", "AAD"]), ["P2S_CLIENTS"], [], "no"),
        (f.gateway(auth=["Radius"]), ["P2S_CLIENTS"], [], "no"),
        (f.gateway(protocols=["SSTP", "OpenVPN"]), [], ["P2S_CLIENTS"], "verify"),
        (f.gateway(sku="Basic", protocols=["SSTP", "IkeV2"]), [], ["P2S_CLIENTS"], "verify"),
    ],
)
def test_point_to_site_users(
    tmp_path: Path, gateway: dict, strong: list, weak: list, decommission: str
) -> None:
    report = _gateway(tmp_path, f.replace(f.base_tenant(), f.GW_ID, gateway))
    assert (report["other_uses"], report["other_uses_weak"], report["decommission"]) == (
        strong,
        weak,
        decommission,
    )
    if decommission == "verify":
        assert report["monthly_savings"] == 0
        assert report["potential_monthly_savings"] == report["monthly_cost"]


def test_foreign_root_cert_is_weak_when_an_apps_cert_blob_is_missing(tmp_path: Path) -> None:
    connection = f.vnet_connection()
    del connection["properties"]["certBlob"]
    resources = f.replace(f.base_tenant(), connection["id"], connection)
    report = _gateway(tmp_path, resources)
    assert report["other_uses_weak"] == ["P2S_CLIENTS"]
    assert report["decommission"] == "verify"


@pytest.mark.parametrize(("same_plan", "decommission"), [(True, "verify"), (False, "yes")])
def test_unknown_apps_matter_only_where_they_could_hide(
    tmp_path: Path, same_plan: bool, decommission: str
) -> None:
    # An unknown app elsewhere would have left a root certificate of its own on the gateway; one of the
    # same plan could share the known dependent's certificate.
    other = f.APP_ID.replace("app1", "app9")
    plan_id = f.PLAN_ID if same_plan else f.PLAN_ID.replace("plan1", "plan9")
    resources = [*f.base_tenant(), f.plan(plan_id), f.site(other, plan_id=plan_id)]
    manifest = f.manifest([f.APP_ID, other], failed={"virtualNetworkConnections": [other]})
    report = _gateway(tmp_path, resources, manifest)
    assert report["decommission"] == decommission
    if same_plan:
        assert "app9" in report["decommission_reason"]


def test_prices_file_overrides_the_default(tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text(
        '{"source": "test", "as_of": "2026-11-01", "currency": "EUR", "hours_per_month": 730,'
        ' "skus": {"VpnGw1": {"hourly": 1.0}}}',
        encoding="utf-8",
    )
    plan = run_plan(f.write(tmp_path / "inv", f.base_tenant()), Settings(prices=str(prices)))
    assert plan["prices"] == {"source": "test", "as_of": "2026-11-01", "currency": "EUR"}
    assert plan["gateways"][0]["monthly_cost"] == 730.0
    assert plan["summary"]["yearly_savings"] == 730.0 * 12
