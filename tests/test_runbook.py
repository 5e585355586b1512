"""Runbook: strategies, waves, schedule and steps, on small hand-made plan fragments.

The factory below builds apps and gateways as docs/plan-format.md describes them, with only what
a case needs; each test states the rule it checks.
"""

from __future__ import annotations

import copy
import json
import shlex
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from planner.core.settings import Settings
from planner.core.shell import placeholders
from planner.render.common import step_notes_text
from planner.runbook.apply import apply_runbook, critical_tag, default_start
from planner.runbook.steps.step import SHARED_NOTES

SUB = "11111111-2222-3333-4444-555555555555"
NET = f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network"


def notes_of(step: dict) -> str:
    """A step's own notes and the shared ones it names (plan format 2)."""
    return step_notes_text(step, SHARED_NOTES)


def vnet_id(name: str) -> str:
    return f"{NET}/virtualNetworks/{name}"


def gateway_id(name: str) -> str:
    return f"{NET}/virtualNetworkGateways/{name}"


def make_app(
    site: str,
    *,
    slot: str | None = None,
    plan: str = "asp-one",
    tier: str = "PremiumV3",
    sku: str = "P1v3",
    readiness: str | None = "ready",
    integration: str = "gateway-required",
    limitations: tuple[str, ...] = (),
    blockers: tuple[str, ...] = (),
    findings: tuple[str, ...] = (),
    os: str = "windows",
    container: str | None = None,
    tags: dict[str, str] | None = None,
    location: str = "westeurope",
    vnet: str = "vnet-hub",
    vnet_location: str = "westeurope",
    gateway: str | None = "vgw-hub",
    target: dict[str, Any] | None = None,
    **context: Any,
) -> dict[str, Any]:
    """A minimal app dict (docs/plan-format.md); `context` overrides the context fields."""
    site_id = f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Web/sites/{site}"
    app_id = f"{site_id}/slots/{slot}" if slot else site_id
    plan_id = f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Web/serverfarms/{plan}"
    subnet = f"snet-appsvc-{plan}"
    if target is None:
        target = {
            "vnet_id": vnet_id(vnet),
            "vnet_name": vnet,
            "vnet_resource_group": "rg-net",
            "location": location,
            "subnet_name": subnet,
            "subnet_id": f"{vnet_id(vnet)}/subnets/{subnet}",
            "prefix": "10.0.4.0/26",
            "new_subnet": True,
            "new_vnet": False,
            "vnet_prefix": None,
            "peer_with": None,
            "address_space_addition": None,
            "instances": 2,
        }
    ctx: dict[str, Any] = {
        "vnet_name": vnet,
        "vnet_resource_group": "rg-net",
        "vnet_location": vnet_location,
        "vnet_dns_servers": [],
        "connection_name": vnet,
        "p2s_pools": ["172.16.0.0/24"],
        "gateway_name": gateway,
        "gateway_resource_group": "rg-net" if gateway else None,
        "gateway_other_uses": [],
        "route_all": False,
        "has_slots": slot is not None,
        "slot_names": [],
        "is_function": False,
        "service_endpoint_resources": [],
        "keyvault_references": [],
        "plan_routes": [],
    }
    ctx.update(context)
    return {
        "id": app_id,
        "name": f"{site}/{slot}" if slot else site,
        "site_name": site,
        "slot": slot,
        "kind": "app,linux" if os == "linux" else "app",
        "os": os,
        "container": container,
        "subscription_id": SUB,
        "subscription_name": "prod",
        "resource_group": "rg-app",
        "location": location,
        "plan_id": plan_id,
        "plan_name": plan,
        "plan_sku": sku,
        "plan_tier": tier,
        "integration": integration,
        "vnet_id": vnet_id(vnet) if integration == "gateway-required" else None,
        "gateway_id": gateway_id(gateway) if gateway and integration == "gateway-required" else None,
        "tags": tags or {},
        "limitations": list(limitations),
        "blockers": list(blockers),
        "findings": list(findings),
        "readiness": readiness if integration == "gateway-required" else None,
        "wave": None,
        "strategy": None,
        "context": ctx if integration == "gateway-required" else None,
        "target": target if integration == "gateway-required" else None,
        "steps": [],
    }


def make_gateway(
    name: str,
    dependents: list[dict[str, Any]],
    *,
    decommission: str = "yes",
    other_uses: tuple[str, ...] = (),
    protocols: tuple[str, ...] = ("SSTP",),
    certs: tuple[str, ...] = ("AppServiceCertificate-asp-one",),
    cost: float = 138.7,
) -> dict[str, Any]:
    return {
        "id": gateway_id(name),
        "name": name,
        "sku": "VpnGw1",
        "vnet_id": vnet_id("vnet-hub"),
        "location": "westeurope",
        "subscription_id": SUB,
        "resource_group": "rg-net",
        "p2s_pools": ["172.16.0.0/24"],
        "p2s_protocols": list(protocols),
        "p2s_auth": ["Certificate"],
        "root_certificates": list(certs),
        "public_ip_ids": [f"{NET}/publicIPAddresses/pip-{name}"],
        "dependents": [a["id"] for a in dependents],
        "other_uses": list(other_uses),
        "other_uses_weak": [],
        "evidence": [],
        "decommission": decommission,
        "decommission_reason": "also used for " + ", ".join(other_uses) if other_uses else None,
        "decommissionable": decommission == "yes",
        "monthly_cost": cost,
        "monthly_savings": cost if decommission == "yes" else 0.0,
        "potential_monthly_savings": cost if decommission != "no" else 0.0,
        "removal_wave": None,
        "steps": [],
    }


def make_plan(apps: list[dict[str, Any]], gateways: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "schema": "vnet-planner/plan@1",
        "as_of": "2026-11-29",
        "generated_at": "2026-11-29T09:00:00+00:00",
        "retirement_date": "2027-03-31",
        "prices": {"currency": "USD"},
        "summary": {},
        "codes": {"NEW_BLOCKER": {"fix": "Do the new thing first."}},
        "apps": apps,
        "gateways": gateways if gateways is not None else [make_gateway("vgw-hub", apps)],
        "waves": [],
        "schedule": None,
    }


def settings(max_apps_per_wave: int | None = None, **kw: Any) -> Settings:
    """Plan settings for a test; `max_apps_per_wave` is `--wave-size`."""
    return Settings(wave_size=max_apps_per_wave, **kw)


def run(
    apps: list[dict[str, Any]], gateways: list[dict[str, Any]] | None = None, **kw: Any
) -> dict[str, Any]:
    plan = make_plan(apps, gateways)
    plan["warnings"] = apply_runbook(plan, settings(**kw))
    return plan


def app_of(plan: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in plan["apps"] if a["name"] == name)


def commands(app: dict[str, Any]) -> list[str]:
    return [c for s in app["steps"] for c in s["commands"]]


def index(app: dict[str, Any], needle: str) -> int:
    """Order of the first step whose commands contain `needle` (fails when none does)."""
    for step in app["steps"]:
        if any(needle in c for c in step["commands"]):
            return int(step["order"])
    raise AssertionError(f"no step runs {needle!r}: {[s['title'] for s in app['steps']]}")


def titles(app: dict[str, Any]) -> list[str]:
    return [s["title"] for s in app["steps"]]


# --- strategies ---------------------------------------------------------------------------------


def test_direct_is_the_default_and_explains_the_outage() -> None:
    plan = run([make_app("app-a")])
    app = app_of(plan, "app-a")
    assert app["strategy"]["name"] == "direct"
    assert "2-5 minutes" in app["strategy"]["reason"]
    assert app["wave"] == 1


def test_slot_first_moves_the_slot_before_production_and_swaps_after() -> None:
    slot = make_app("app-web", slot="staging")
    prod = make_app("app-web")
    plan = run([prod, slot])
    assert app_of(plan, "app-web")["strategy"]["name"] == "slot-first"
    assert app_of(plan, "app-web/staging")["strategy"]["name"] == "slot-first"
    order = plan["waves"][0]["app_ids"]
    assert order.index(slot["id"]) < order.index(prod["id"])
    steps = app_of(plan, "app-web")["steps"]
    swap = next(s for s in steps if "slot swap" in " ".join(s["commands"]))
    assert "--slot staging" in swap["commands"][0] and swap["manual"]
    # Integration stays with the slot: the slot is connected with -s, not through a swap.
    assert any(
        "vnet-integration add" in c and "-s staging" in c for c in commands(app_of(plan, "app-web/staging"))
    )


def test_slot_without_integration_is_integrated_first_for_slot_first() -> None:
    prod = make_app("app-web", has_slots=True, slot_names=["staging"])
    plan = run([prod])
    app = app_of(plan, "app-web")
    assert app["strategy"]["name"] == "slot-first"
    slot_step = next(s for s in app["steps"] if s["title"].startswith("Integrate slot staging"))
    assert "-s staging" in slot_step["commands"][0]
    assert slot_step["order"] < index(app, "virtualNetworkConnections/vnet-hub")


def test_plan_unsupported_moves_blue_green_to_a_premiumv3_plan_scaled_back() -> None:
    app = make_app("app-old", blockers=("PLAN_UNSUPPORTED",), tier="Standard", sku="S1", readiness="blocked")
    plan = run([app])
    moved = app_of(plan, "app-old")
    assert moved["strategy"]["name"] == "blue-green"
    assert moved["strategy"]["new_plan"] == "asp-one-v2"
    assert "PLAN_UNSUPPORTED" in moved["strategy"]["reason"]
    create = index(moved, "appservice plan create")
    scale = index(moved, "appservice plan update")
    new_app = index(moved, "webapp create")
    switch = next(s["order"] for s in moved["steps"] if s["phase"] == "switch")
    retire = index(moved, "--method delete")
    assert create < scale < new_app < switch < retire
    assert any("--sku P1V3" in c for c in commands(moved))
    assert any("--sku S1" in c for c in commands(moved))
    created = next(c for c in commands(moved) if "webapp create" in c)
    assert "--vnet" in created and "--subnet" in created and "-n app-old-v2" in created
    # The old plan goes once its only app has moved.
    assert any("appservice plan delete" in c and "-n asp-one" in c for c in commands(moved))


def test_critical_tag_moves_the_whole_plan_blue_green() -> None:
    apps = [make_app("app-pay", tags={"Business-Criticality": "High"}), make_app("app-side")]
    plan = run(apps)
    assert {app_of(plan, n)["strategy"]["name"] for n in ("app-pay", "app-side")} == {"blue-green"}
    assert "Business-Criticality=High" in app_of(plan, "app-side")["strategy"]["reason"]
    # One new plan for both: created once.
    creates = [c for a in plan["apps"] for c in commands(a) if "appservice plan create" in c]
    assert len(creates) == 1


@pytest.mark.parametrize(
    ("tags", "critical"),
    [
        ({"criticality": "high"}, True),
        ({"mission_critical": "true"}, True),
        ({"criticality": "low"}, False),
        ({"env": "critical"}, False),
    ],
)
def test_critical_tag_rule(tags: dict[str, str], critical: bool) -> None:
    assert (critical_tag(tags) is not None) is critical


def cross_region_app(**kw: Any) -> dict[str, Any]:
    new = vnet_id("vnet-appsvc-westeurope")
    target = {
        "vnet_id": new,
        "vnet_name": "vnet-appsvc-westeurope",
        "vnet_resource_group": "rg-net",
        "location": "westeurope",
        "subnet_name": "snet-appsvc-asp-one",
        "subnet_id": f"{new}/subnets/snet-appsvc-asp-one",
        "prefix": "10.4.0.0/26",
        "new_subnet": True,
        "new_vnet": True,
        "vnet_prefix": "10.4.0.0/24",
        "peer_with": vnet_id("vnet-hub"),
        "address_space_addition": None,
    }
    return make_app("app-x", blockers=("CROSS_REGION",), vnet_location="northeurope", target=target, **kw)


def test_cross_region_needs_a_new_vnet_and_peering_both_ways() -> None:
    plan = run([cross_region_app()])
    app = app_of(plan, "app-x")
    assert app["strategy"]["name"] == "needs-peering"
    assert "northeurope" in app["strategy"]["reason"]
    vnet = next(c for c in commands(app) if "network vnet create" in c)
    assert "--address-prefixes 10.4.0.0/24" in vnet and "-l westeurope" in vnet
    peerings = [c for c in commands(app) if "vnet peering create" in c]
    assert len(peerings) == 2
    assert all("--allow-forwarded-traffic true" in c for c in peerings)
    assert not any("gateway-transit" in c or "remote-gateways" in c for c in peerings)
    assert index(app, "network vnet create") < index(app, "vnet peering create") < index(app, "subnet create")
    assert index(app, "subnet create") < index(app, "vnet-integration add")


def test_cross_region_uses_gateway_transit_when_on_premises_is_behind_the_old_gateway() -> None:
    plan = run([cross_region_app(gateway_other_uses=["S2S"])])
    peerings = [c for c in commands(app_of(plan, "app-x")) if "vnet peering create" in c]
    hub = next(c for c in peerings if "--vnet-name vnet-hub" in c)
    spoke = next(c for c in peerings if "--vnet-name vnet-appsvc-westeurope" in c)
    assert "--allow-gateway-transit true" in hub
    assert "--use-remote-gateways true" in spoke
    # The hub side is created first: useRemoteGateways needs the transit side in place.
    assert peerings.index(hub) < peerings.index(spoke)


def test_cross_region_copies_custom_dns_to_the_new_vnet() -> None:
    plan = run([cross_region_app(vnet_dns_servers=["10.0.0.4", "10.0.0.5"])])
    vnet = next(c for c in commands(app_of(plan, "app-x")) if "network vnet create" in c)
    assert "--dns-servers 10.0.0.4 10.0.0.5" in vnet
    # ...and without custom DNS, private DNS zones must be linked to the new VNet instead.
    plan = run([cross_region_app()])
    assert any("private DNS zones" in t for t in titles(app_of(plan, "app-x")))


def test_too_many_subnets_keeps_two_subnets_and_moves_the_rest_to_a_new_plan() -> None:
    apps = []
    for i, vnet in enumerate(["vnet-a", "vnet-b", "vnet-c"]):
        target = {
            "vnet_id": vnet_id(vnet),
            "vnet_name": vnet,
            "subnet_name": "snet-appsvc-asp-one",
            "subnet_id": f"{vnet_id(vnet)}/subnets/snet-appsvc-asp-one",
            "prefix": f"10.{i}.4.0/26",
            "new_subnet": True,
        }
        apps.append(make_app(f"app-{i}", vnet=vnet, blockers=("TOO_MANY_SUBNETS",), target=target))
    apps.append(make_app("app-3", vnet="vnet-a", blockers=("TOO_MANY_SUBNETS",), target=apps[0]["target"]))
    plan = run(apps)
    modes = {a["name"]: a["strategy"]["mode"] for a in plan["apps"]}
    # vnet-a has two apps and stays; of b and c one more stays (Windows plan: two subnets).
    assert modes["app-0"] == modes["app-3"] == "in-place"
    moved = [n for n, m in modes.items() if m == "blue-green"]
    assert moved == ["app-2"]
    assert app_of(plan, "app-2")["strategy"]["new_plan"] == "asp-one-vnet-c"
    # The old plan keeps apps, so it is never deleted.
    assert not any("appservice plan delete" in c for a in plan["apps"] for c in commands(a))


def test_too_many_subnets_counts_the_subnets_the_plan_integrates_regionally() -> None:
    """Issue 17, case 8: the rule counted the plan's regional subnets; the split reads the same list."""
    regional = [f"{vnet_id(v)}/subnets/snet-app" for v in ("vnet-a", "vnet-b")]
    app = make_app(
        "app-c", vnet="vnet-c", blockers=("TOO_MANY_SUBNETS",), plan_subnets=regional, plan_subnet_limit=2
    )
    plan = run([app])
    strategy = app_of(plan, "app-c")["strategy"]
    assert strategy["mode"] == "blue-green" and strategy["new_plan"] == "asp-one-vnet-c"
    assert "already integrates 2 subnets regionally (vnet-a, vnet-b)" in strategy["reason"]
    # A plan written before plan_subnets existed reads as before: one subnet, kept in place.
    legacy = make_app("app-c", vnet="vnet-c", blockers=("TOO_MANY_SUBNETS",))
    assert app_of(run([legacy]), "app-c")["strategy"]["mode"] == "in-place"


def test_a_linux_plan_keeps_its_one_regional_subnet() -> None:
    regional = [f"{vnet_id('vnet-a')}/subnets/snet-app"]
    reuse = {
        "vnet_id": vnet_id("vnet-a"),
        "vnet_name": "vnet-a",
        "subnet_name": "snet-app",
        "subnet_id": regional[0],
        "prefix": "10.1.1.0/26",
        "new_subnet": False,
    }
    apps = [
        make_app(
            "app-a",
            os="linux",
            vnet="vnet-a",
            target=reuse,
            blockers=("TOO_MANY_SUBNETS",),
            plan_subnets=regional,
            plan_subnet_limit=1,
        ),
        make_app(
            "app-b",
            os="linux",
            vnet="vnet-b",
            blockers=("TOO_MANY_SUBNETS",),
            plan_subnets=regional,
            plan_subnet_limit=1,
        ),
        make_app(
            "app-b2",
            os="linux",
            vnet="vnet-b",
            blockers=("TOO_MANY_SUBNETS",),
            plan_subnets=regional,
            plan_subnet_limit=1,
        ),
    ]
    apps[2]["target"] = apps[1]["target"]
    modes = {a["name"]: a["strategy"]["mode"] for a in run(apps)["apps"]}
    # vnet-b has more apps, but the plan already integrates vnet-a: that is the one it keeps.
    assert modes == {"app-a": "in-place", "app-b": "blue-green", "app-b2": "blue-green"}


def test_no_new_plan_is_integrated_with_a_subnet_the_old_plan_keeps() -> None:
    held = f"{vnet_id('vnet-hub')}/subnets/snet-app"
    target = {
        "vnet_id": vnet_id("vnet-hub"),
        "vnet_name": "vnet-hub",
        "subnet_name": "snet-app",
        "subnet_id": held,
        "prefix": "10.0.1.0/26",
        "new_subnet": False,
    }
    app = make_app(
        "app-a", tags={"criticality": "high"}, target=target, plan_subnets=[held], plan_subnet_limit=2
    )
    strategy = app_of(run([app]), "app-a")["strategy"]
    assert strategy["mode"] == "in-place"
    assert "multi-plan subnet join" in strategy["reason"]


# --- steps per code -----------------------------------------------------------------------------


def test_in_place_cutover_deletes_the_connection_by_id_then_connects_with_ids() -> None:
    plan = run([make_app("app-a")])
    app = app_of(plan, "app-a")
    delete = next(c for c in commands(app) if c.startswith("az rest --method delete"))
    # An explicit api-version: `az resource delete` would look one up from the provider first.
    assert delete.endswith("/sites/app-a/virtualNetworkConnections/vnet-hub?api-version=2024-11-01'")
    add = next(c for c in commands(app) if "vnet-integration add" in c)
    assert f"--vnet {vnet_id('vnet-hub')}" in add
    assert f"--subnet {vnet_id('vnet-hub')}/subnets/snet-appsvc-asp-one" in add
    assert f"--subscription {SUB}" in add
    # `vnet-integration remove` only removes regional integration: it appears in the rollback alone.
    forward = [c for s in app["steps"] if s["phase"] != "rollback" for c in s["commands"]]
    assert not any("vnet-integration remove" in c for c in forward)
    assert index(app, "subnet create") < index(app, "--method delete") < index(app, "vnet-integration add")


def test_every_step_has_validation_and_rollback_and_numbers_from_one() -> None:
    plan = run([make_app("app-a", limitations=("KEYVAULT_REFERENCES",))])
    steps = app_of(plan, "app-a")["steps"]
    assert [s["order"] for s in steps] == list(range(1, len(steps) + 1))
    for step in steps:
        assert step["validation"] and step["rollback"], step["title"]
        assert set(step) >= {
            "order",
            "phase",
            "title",
            "commands",
            "deploy",
            "validation",
            "rollback",
            "notes",
            "see",
        }


def test_a_deploy_call_is_given_where_a_resource_is_created() -> None:
    plan = run([cross_region_app()])
    steps = app_of(plan, "app-x")["steps"]
    modules = {"Create VNet": ["vnet"], "Create subnet": ["subnet"], "Connect app-x": ["regional"]}
    modules["Peer "] = ["peering", "peering"]  # both sides, the old one first
    for title_start, expected in modules.items():
        step = next(s for s in steps if s["title"].startswith(title_start))
        assert [d["module"] for d in step["deploy"]] == expected, title_start
    subnet = next(s for s in steps if s["title"].startswith("Create subnet"))
    [call] = subnet["deploy"]
    assert call["params"]["addressPrefix"] == "10.4.0.0/26" and call["stage"] == "network"
    connect = next(s for s in steps if s["title"].startswith("Connect app-x"))
    assert connect["deploy"][0]["stage"] == "cutover"
    assert connect["deploy"][0]["params"]["subnetId"].endswith("/subnets/" + call["params"]["name"])


def test_classic_vnet_is_migrated_first_and_unknown_ids_stop_the_scripts() -> None:
    classic = f"/subscriptions/{SUB}/resourceGroups/Default-Networking/providers/Microsoft.ClassicNetwork/virtualNetworks/vnet-old"
    app = make_app(
        "app-c", blockers=("CLASSIC_VNET",), readiness="blocked", vnet="vnet-old", gateway=None, target=None
    )
    app["vnet_id"] = classic
    app["target"] = None
    plan = run([app], gateways=[])
    steps = app_of(plan, "app-c")["steps"]
    assert (
        steps[0]["phase"] == "prepare" and "Microsoft.ClassicInfrastructureMigrate" in steps[0]["commands"][0]
    )
    assert any(
        "Move-AzureVirtualNetwork -Commit -VirtualNetworkName 'vnet-old'" in c for c in steps[1]["commands"]
    )
    connect = next(s for s in steps if s["title"].startswith("Connect app-c"))
    assert "<MIGRATED_VNET_ID>" in connect["commands"][0] and connect["manual"]
    assert "<MIGRATED_VNET_ID>" in notes_of(connect)
    # The app is not left disconnected by a script while its connect step waits for a person.
    assert next(s for s in steps if s["title"].startswith("Delete app-c"))["manual"]
    assert any("app-c" in w and "placeholders" in w for w in plan["warnings"])


def test_no_subnet_space_adds_the_address_space_before_the_subnet() -> None:
    app = make_app("app-a", blockers=("NO_SUBNET_SPACE",), readiness="blocked")
    app["target"]["address_space_addition"] = "10.9.0.0/26"
    plan = run([app])
    moved = app_of(plan, "app-a")
    add = next(c for c in commands(moved) if "vnet update" in c)
    assert add.endswith("--add addressSpace.addressPrefixes 10.9.0.0/26")
    assert index(moved, "vnet update") < index(moved, "subnet create")


def test_service_endpoints_go_on_the_new_subnet_and_every_resource_admits_it() -> None:
    storage = (
        f"/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stdata"
    )
    odd = f"/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Foo/bars/bar1"
    app = make_app(
        "app-a",
        limitations=("SERVICE_ENDPOINTS",),
        service_endpoint_resources=[
            {"id": storage, "type": "microsoft.storage/storageaccounts", "services": ["Microsoft.Storage"]},
            {"id": odd, "type": "microsoft.foo/bars", "services": ["Microsoft.Foo"]},
        ],
    )
    plan = run([app])
    moved = app_of(plan, "app-a")
    create = next(c for c in commands(moved) if "subnet create" in c)
    assert "--service-endpoints Microsoft.Foo Microsoft.Storage" in create
    rule = next(c for c in commands(moved) if "storage account network-rule add" in c)
    assert "--account-name stdata" in rule and "-g rg-data" in rule and "snet-appsvc-asp-one" in rule
    unknown = next(s for s in moved["steps"] if "bar1" in s["title"])
    assert unknown["manual"] and odd in unknown["commands"][0]
    assert index(moved, "network-rule add") < index(moved, "--method delete")
    kudu = next(s for s in moved["steps"] if "Kudu" in s["title"])
    assert "tcpping stdata.blob.core.windows.net:443" in kudu["validation"]


def test_keyvault_references_get_a_vault_rule_and_a_resolution_check() -> None:
    vault = f"/subscriptions/{SUB}/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-app"
    refs = [{"setting": "DbPassword", "vault": "kv-app", "vault_id": vault, "restricted": True}]
    plan = run([make_app("app-a", limitations=("KEYVAULT_REFERENCES",), keyvault_references=refs)])
    moved = app_of(plan, "app-a")
    assert any("--service-endpoints Microsoft.KeyVault" in c for c in commands(moved))
    rule = next(c for c in commands(moved) if "keyvault network-rule add" in c)
    assert "--name kv-app" in rule and "-g rg-kv" in rule
    assert any("keyVaultReferenceIdentity" in c for c in commands(moved))
    check = next(c for c in commands(moved) if "configreferences/appsettings" in c)
    assert check.startswith("az rest --method get")
    assert (
        index(moved, "keyvault network-rule add")
        < index(moved, "vnet-integration add")
        < index(moved, "configreferences")
    )


def test_keyvault_without_public_access_needs_its_private_endpoint() -> None:
    vault = f"/subscriptions/{SUB}/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-app"
    refs = [{"vault": "kv-app", "vault_id": vault, "restricted": True, "public_network_access": "Disabled"}]
    plan = run([make_app("app-a", limitations=("KEYVAULT_REFERENCES",), keyvault_references=refs)])
    moved = app_of(plan, "app-a")
    step = next(s for s in moved["steps"] if "private endpoint" in s["title"])
    assert step["manual"] and not any("keyvault network-rule add" in c for c in commands(moved))


def test_function_apps_use_the_functionapp_commands() -> None:
    plan = run([make_app("func-a", is_function=True)])
    assert any(c.startswith("az functionapp vnet-integration add") for c in commands(app_of(plan, "func-a")))


@pytest.mark.parametrize(
    ("code", "os", "container"), [("LINUX", "linux", None), ("WINDOWS_CONTAINER", "windows", "windows")]
)
def test_apps_gateway_required_never_worked_for_lose_nothing(
    code: str, os: str, container: str | None
) -> None:
    plan = run([make_app("app-a", limitations=(code,), os=os, container=container)])
    assert "no working VNet path" in app_of(plan, "app-a")["strategy"]["reason"]
    kudu = next(s for s in app_of(plan, "app-a")["steps"] if "Kudu" in s["title"])
    assert ("webssh" in kudu["validation"]) is (os == "linux")


@pytest.mark.parametrize(
    ("route_all", "routes", "expected"),
    [
        (False, [], "false"),
        (True, [], "true"),
        (False, [{"start": "52.1.0.0", "end": "52.1.255.255", "type": "STATIC"}], "true"),
        (False, [{"start": "10.8.0.0", "end": "10.8.255.255", "type": "STATIC"}], "false"),
    ],
)
def test_routing_follows_route_all_and_public_routes(
    route_all: bool, routes: list[Any], expected: str
) -> None:
    plan = run([make_app("app-a", route_all=route_all, plan_routes=routes)])
    routing = next(c for c in commands(app_of(plan, "app-a")) if "--vnet-route-all-enabled" in c)
    assert f"--vnet-route-all-enabled {expected} " in routing


def test_dns_is_only_checked_when_the_app_stays_in_its_vnet() -> None:
    plan = run([make_app("app-a", vnet_dns_servers=["10.0.0.4"])])
    cmds = commands(app_of(plan, "app-a"))
    assert any(c.endswith("--query dhcpOptions.dnsServers") for c in cmds)
    assert not any("WEBSITE_DNS_SERVER" in c for c in cmds)


def test_dns_servers_are_set_on_the_app_when_the_target_vnet_differs() -> None:
    app = make_app("app-a", vnet_dns_servers=["10.0.0.4", "10.0.0.5"])
    other = vnet_id("vnet-spoke")
    app["target"].update(
        vnet_id=other, vnet_name="vnet-spoke", subnet_id=f"{other}/subnets/snet-appsvc-asp-one"
    )
    plan = run([app])
    setting = next(c for c in commands(app_of(plan, "app-a")) if "appsettings set" in c)
    assert "WEBSITE_DNS_SERVER=10.0.0.4 WEBSITE_DNS_ALT_SERVER=10.0.0.5" in setting


def test_firewall_step_names_the_pool_and_the_new_range() -> None:
    plan = run([make_app("app-a")])
    step = next(s for s in app_of(plan, "app-a")["steps"] if s["phase"] == "firewall")
    assert "172.16.0.0/24" in step["title"] and "10.0.4.0/26" in step["title"] and step["manual"]
    assert step["order"] < index(app_of(plan, "app-a"), "--method delete")


def test_rollback_recreates_the_connection_with_the_put_shape_until_the_deadline() -> None:
    plan = run([make_app("app-a")])
    rollback = app_of(plan, "app-a")["steps"][-1]
    assert rollback["phase"] == "rollback" and rollback["manual"]
    assert "2027-03-31" in rollback["title"]
    put = next(c for c in rollback["commands"] if "--method put" in c and "gateways/primary" not in c)
    assert '"vnetResourceId"' in put and vnet_id("vnet-hub") in put
    assert any("gateways/primary" in c and "vpnPackageUri" in c for c in rollback["commands"])
    assert any("root-cert create" in c for c in rollback["commands"])
    # The package App Service takes comes from generatevpnclientpackage, which the CLI calls only with --use-legacy.
    assert any("vpn-client generate" in c and "--use-legacy true" in c for c in rollback["commands"])
    cert = next(c for c in rollback["commands"] if "root-cert create" in c)
    # a file path, not the pasted blob
    assert "--public-cert-data '<CERT_FILE_FROM_PREVIOUS_COMMAND>'" in cert
    assert "base64 -d" in notes_of(rollback)


def test_gateway_not_found_has_no_rollback_path() -> None:
    plan = run([make_app("app-a", findings=("GATEWAY_NOT_FOUND",), gateway=None)], gateways=[])
    app = app_of(plan, "app-a")
    assert "No rollback" in app["steps"][-1]["title"]
    assert "GATEWAY_NOT_FOUND" in notes_of(app["steps"][0])


def test_unknown_blocker_gets_a_manual_step_with_its_fix() -> None:
    plan = run([make_app("app-a", blockers=("NEW_BLOCKER",), readiness="blocked")])
    first = app_of(plan, "app-a")["steps"][0]
    assert (
        first["manual"] and "NEW_BLOCKER" in first["title"] and "Do the new thing first." in notes_of(first)
    )


# --- shared work and ordering -------------------------------------------------------------------


def test_subnet_and_firewall_work_is_done_once_per_plan() -> None:
    plan = run([make_app("app-a"), make_app("app-b")])
    a, b = app_of(plan, "app-a"), app_of(plan, "app-b")
    assert any("subnet create" in c for c in commands(a))
    assert not any("subnet create" in c for c in commands(b))
    assert any("ready (created with app-a (wave 1))" in t for t in titles(b))
    assert sum(s["phase"] == "firewall" for x in (a, b) for s in x["steps"]) == 1


def test_apps_of_one_plan_share_a_wave_and_ready_plans_go_first() -> None:
    apps = [
        make_app("app-blocked", plan="asp-c", readiness="blocked", blockers=("NO_SUBNET_SPACE",)),
        make_app("app-ready", plan="asp-a"),
        make_app("app-work", plan="asp-b", readiness="needs-work"),
        make_app("app-ready-but-plan-needs-work", plan="asp-b"),
    ]
    plan = run(apps)
    wave = {a["name"]: a["wave"] for a in plan["apps"]}
    assert wave["app-ready"] < wave["app-work"] < wave["app-blocked"]
    assert wave["app-work"] == wave["app-ready-but-plan-needs-work"]  # a plan is as ready as its worst app


def test_waves_hold_at_most_max_apps_but_never_split_a_plan() -> None:
    apps = [make_app(f"app-{i}", plan=f"asp-{i}") for i in range(5)]
    apps += [make_app(f"big-{i}", plan="asp-big") for i in range(3)]
    plan = run(apps, max_apps_per_wave=2)
    app_waves = [w for w in plan["waves"] if w["app_ids"]]
    sizes = [len(w["app_ids"]) for w in app_waves]
    assert max(sizes) == 3 and sorted(sizes).count(3) == 1  # the 3-app plan alone exceeds the bound
    assert all(s <= 2 for s in sizes if s != 3)
    assert len({a["wave"] for a in plan["apps"] if a["name"].startswith("big-")}) == 1


def test_gateway_is_removed_in_the_wave_after_its_last_dependent() -> None:
    first = make_app("app-a", plan="asp-a")
    late = make_app("app-z", plan="asp-z", readiness="blocked", blockers=("NO_SUBNET_SPACE",))
    plan = run([first, late], gateways=[make_gateway("vgw-hub", [first, late])])
    gateway = plan["gateways"][0]
    last = max(app_of(plan, n)["wave"] for n in ("app-a", "app-z"))
    assert gateway["removal_wave"] == last + 1
    cleanup = plan["waves"][gateway["removal_wave"] - 1]
    assert cleanup["gateway_ids"] == [gateway["id"]] and cleanup["app_ids"] == []
    # The apps' rollback says until when it is possible.
    assert f"wave {last + 1}" in app_of(plan, "app-z")["steps"][-1]["title"]


def test_apps_not_gateway_required_get_no_wave_strategy_or_steps() -> None:
    regional = make_app("app-r", integration="regional")
    regional["wave"], regional["steps"], regional["strategy"] = 3, [{"stale": True}], {"name": "x"}
    plan = run([make_app("app-a"), regional])
    app = app_of(plan, "app-r")
    assert app["wave"] is None and app["steps"] == [] and app["strategy"] is None
    assert regional["id"] not in plan["waves"][0]["app_ids"]


# --- schedule -----------------------------------------------------------------------------------


def test_default_start_is_the_first_monday_a_week_after_the_plan_date() -> None:
    assert default_start({"as_of": "2026-11-29"}) == date(2026, 12, 7)
    assert default_start({"as_of": "2026-11-30"}) == date(2026, 12, 7)  # a Monday: exactly a week later
    assert default_start({"as_of": "2026-12-01"}) == date(2026, 12, 14)


def test_waves_are_scheduled_back_to_back_in_working_days() -> None:
    apps = [make_app("a", plan="p1"), make_app("b", plan="p2", readiness="needs-work")]
    plan = run(apps, start=date(2027, 1, 4), wave_days=5)
    waves = plan["waves"]
    assert [(w["start"], w["end"]) for w in waves[:2]] == [
        ("2027-01-04", "2027-01-08"),  # Monday to Friday
        ("2027-01-11", "2027-01-15"),  # the next Monday: the weekend is no working day
    ]
    assert plan["schedule"]["start"] == "2027-01-04" and plan["schedule"]["wave_days"] == 5
    assert plan["schedule"]["end"] == waves[-1]["end"] and plan["schedule"]["past_deadline"] is False
    assert plan["schedule"]["late"] is False and plan["schedule"]["advice"] is None
    assert plan["summary"]["waves"] == len(waves)
    assert not any("DEADLINE" in w or w.startswith("LATE") for w in plan["warnings"])


def test_schedule_past_the_deadline_warns_loudly() -> None:
    apps = [
        make_app("a", plan="p1"),
        make_app("b", plan="p2", readiness="blocked", blockers=("NO_SUBNET_SPACE",)),
    ]
    plan = run(apps, start=date(2027, 3, 22), wave_days=7)
    assert plan["schedule"]["past_deadline"] is True and plan["schedule"]["late"] is True
    warning = next(w for w in plan["warnings"] if w.startswith("DEADLINE"))
    assert "2027-03-31" in warning and "wave(s) 2" in warning.lower()


def test_only_a_late_cleanup_wave_is_not_past_the_deadline() -> None:
    # Seven working days from Friday 19 March end on Monday 29 March; the clean-up wave runs past the 31st.
    plan = run([make_app("a")], start=date(2027, 3, 19), wave_days=7, buffer_days=0)
    assert plan["schedule"]["migration_end"] == "2027-03-29"
    assert plan["schedule"]["past_deadline"] is False and plan["schedule"]["late"] is False
    assert any("keep costing" in w for w in plan["warnings"])


def test_bad_wave_days_is_refused() -> None:
    with pytest.raises(ValueError):
        apply_runbook(make_plan([make_app("a")]), Settings(wave_days=0))


# --- gateways -----------------------------------------------------------------------------------


def gateway_steps(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return list(plan["gateways"][0]["steps"])


def test_decommissionable_gateway_is_removed_in_order_with_its_savings() -> None:
    app = make_app("app-a")
    plan = run([app], gateways=[make_gateway("vgw-hub", [app])])
    steps = gateway_steps(plan)
    cmds = [c for s in steps for c in s["commands"]]

    def at(needle: str) -> int:
        return next(i for i, c in enumerate(cmds) if needle in c)

    assert (
        at("root-cert delete")
        < at("--remove vpnClientConfiguration")
        < at("vnet-gateway delete")
        < at("public-ip delete")
    )
    assert "-n AppServiceCertificate-asp-one" in cmds[at("root-cert delete")]
    delete = next(s for s in steps if "vnet-gateway delete" in " ".join(s["commands"]))
    assert "138.70 USD" in delete["title"] and delete["manual"]
    assert any(app["id"] in c for c in cmds)  # the check that the app has no gateway-required connection left


def test_gateway_to_verify_starts_with_a_manual_check() -> None:
    app = make_app("app-a")
    plan = run([app], gateways=[make_gateway("vgw-hub", [app], decommission="verify")])
    steps = gateway_steps(plan)
    assert steps[0]["phase"] == "pre-check" and steps[0]["manual"]
    assert all(
        s["title"].startswith("If the checks found no other use")
        for s in steps
        if s["phase"] == "decommission"
    )


def test_gateway_with_other_uses_stays_and_only_loses_the_apps_certificates() -> None:
    app = make_app("app-a")
    gw = make_gateway(
        "vgw-hub",
        [app],
        decommission="no",
        other_uses=("S2S", "P2S_CLIENTS"),
        certs=("AppServiceCertificate-asp-one", "Ops-Root"),
    )
    gw["evidence"] = [
        {
            "code": "P2S_CLIENTS",
            "field": "properties.vpnClientConfiguration.vpnClientRootCertificates",
            "value": "Ops-Root",
        }
    ]
    plan = run([app], gateways=[gw])
    steps = gateway_steps(plan)
    cmds = [c for s in steps for c in s["commands"]]
    assert not any("vnet-gateway delete" in c or "public-ip delete" in c for c in cmds)
    assert [c for c in cmds if "root-cert delete" in c] == [
        f"az network vnet-gateway root-cert delete -g rg-net --gateway-name vgw-hub -n AppServiceCertificate-asp-one --subscription {SUB}"
    ]
    keep = next(s for s in steps if s["phase"] == "keep")
    assert "site-to-site" in keep["title"]
    assert any("off SSTP" in s["title"] for s in steps)  # the other VPN users lose SSTP on 2027-03-31 too


# --- invariants over everything -----------------------------------------------------------------


def everything() -> dict[str, Any]:
    """One plan with every strategy, code and gateway kind."""
    vault = f"/subscriptions/{SUB}/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-app"
    apps = [
        make_app("app-a", plan="asp-a"),
        make_app("app-web", plan="asp-w", slot="staging"),
        make_app("app-web", plan="asp-w", has_slots=True),
        make_app("app-old", plan="asp-o", blockers=("PLAN_UNSUPPORTED",), tier="Standard", sku="S1"),
        make_app(
            "app-kv",
            plan="asp-k",
            limitations=("KEYVAULT_REFERENCES",),
            is_function=True,
            keyvault_references=[{"vault": "kv-app", "vault_id": vault, "restricted": True}],
        ),
        make_app("app-linux", plan="asp-l", os="linux", limitations=("LINUX",), route_all=True),
    ]
    x = cross_region_app(gateway_other_uses=["S2S"])
    x["plan_id"] = x["plan_id"].replace("asp-one", "asp-x")
    apps.append(x)
    gateways = [
        make_gateway("vgw-hub", apps[:3]),
        make_gateway("vgw-two", apps[3:5], decommission="verify"),
        make_gateway("vgw-three", apps[5:], decommission="no", other_uses=("S2S",)),
    ]
    for gw, deps in zip(gateways, (apps[:3], apps[3:5], apps[5:]), strict=True):
        for app in deps:
            app["gateway_id"] = gw["id"]
    return run(apps, gateways)


def all_steps(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for owner in plan["apps"] + plan["gateways"] for s in owner["steps"]]


def test_automated_commands_are_complete_az_commands() -> None:
    for step in all_steps(everything()):
        if step["manual"]:
            continue
        for command in step["commands"]:
            words = shlex.split(command)
            assert words[0] == "az", command
            assert not placeholders(command), command
            assert "None" not in words, command
            # Nothing cmd.exe would reinterpret when PowerShell hands the words to az.cmd.
            assert not any(ch in command for ch in "|&<>^%"), command


def test_placeholders_are_explained_where_they_appear() -> None:
    steps = all_steps(everything())
    for step in steps:
        for found in placeholders(" ".join(step["commands"])):
            assert step["manual"] and found in notes_of(step), step["title"]
    _each_note_once(steps)


def _each_note_once(steps: list[dict[str, Any]]) -> None:
    """A step names each shared note once (the connect step is finished before its disconnect step
    is built, then again when numbered)."""
    assert any(k.startswith("fill-in:") for s in steps for k in s["see"]), "the test needs a placeholder"
    for step in steps:
        assert len(step["see"]) == len(set(step["see"])), (step["title"], step["see"])


def test_runbook_is_idempotent() -> None:
    plan = everything()
    again = copy.deepcopy(plan)
    apply_runbook(again)
    assert (
        again["apps"] == plan["apps"]
        and again["gateways"] == plan["gateways"]
        and again["waves"] == plan["waves"]
    )


SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "contoso"


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="sample tenant not present")
def test_sample_tenant_plan_keeps_the_ordering_rules() -> None:
    from planner.plan.pipeline import run_plan

    plan = run_plan(SAMPLE, Settings(as_of=date(2026, 11, 29)))
    movers = [a for a in plan["apps"] if a["integration"] == "gateway-required"]
    assert movers and all(a["wave"] and a["steps"] and a["strategy"] for a in movers)
    _each_note_once([s for a in movers for s in a["steps"]])  # its classic-VNet app connects to a placeholder
    wave_of = {a["id"].lower(): a["wave"] for a in movers}
    for gw in plan["gateways"]:
        deps = [wave_of[d.lower()] for d in gw["dependents"] if d.lower() in wave_of]
        assert gw["removal_wave"] > max(deps, default=0)
    for app in movers:
        orders = {s["title"]: s["order"] for s in app["steps"]}
        cut = [o for t, o in orders.items() if "gateway-required connection" in t and t.startswith("Delete")]
        add = [s["order"] for s in app["steps"] if any("vnet-integration add" in c for c in s["commands"])]
        if cut and add and app["strategy"]["mode"] == "in-place":
            assert cut[0] < add[-1]


def test_wave_size_grows_only_as_far_as_the_deadline_and_its_buffer_need() -> None:
    apps = [make_app(f"app-{i:02d}", plan=f"asp-{i:02d}") for i in range(45)]
    # Ten working days before 2027-03-31 is Wednesday 17 March. From 15 February, four 5-day waves end
    # by then, so three waves of the default 20 fit.
    plan = run(copy.deepcopy(apps), start=date(2027, 2, 15))
    assert plan["schedule"]["deadline_with_buffer"] == "2027-03-17"
    assert plan["schedule"]["max_apps_per_wave"] == 20 and plan["schedule"]["late"] is False
    # From 1 March only two waves end by the 17th: the bound rises to 23, the smallest that packs 45
    # apps into two waves, and a warning says so.
    plan = run(copy.deepcopy(apps), start=date(2027, 3, 1))
    assert plan["schedule"]["max_apps_per_wave"] == 23
    assert len([w for w in plan["waves"] if w["app_ids"]]) == 2
    assert plan["schedule"]["migration_end"] == "2027-03-12" and plan["schedule"]["late"] is False
    assert any(w.startswith("Waves hold up to 23 apps") for w in plan["warnings"])
    # An explicit bound is kept even when it overruns; the schedule says it is late and what would fit.
    plan = run(copy.deepcopy(apps), start=date(2027, 3, 15), max_apps_per_wave=20)
    schedule = plan["schedule"]
    assert schedule["max_apps_per_wave"] == 20 and schedule["past_deadline"] is True and schedule["late"]
    assert {a["wave"] for a in schedule["late_apps"]} == {1, 2, 3} and len(schedule["late_apps"]) == 45
    assert "Starting on 2027-02-" in schedule["advice"] and "(--start)" in schedule["advice"]
    assert any(w.startswith("DEADLINE") for w in plan["warnings"])


def test_kudu_check_uses_the_host_the_app_reports(tmp_path: Path) -> None:
    import factory as f

    from planner.plan.pipeline import run_plan

    unique = "app1-b8cdgd7e.westeurope-01.scm.azurewebsites.net"
    site = f.site(
        hostNameSslStates=[
            {"name": "app1.azurewebsites.net", "hostType": "Standard"},
            {"name": unique, "hostType": "Repository"},
        ]
    )
    plan = run_plan(f.write(tmp_path, f.replace(f.base_tenant(), f.APP_ID, site)))
    texts = json.dumps(plan["apps"][0]["steps"])
    assert f"https://{unique}" in texts
    assert "app1.scm.azurewebsites.net" not in texts
