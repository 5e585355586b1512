"""Target subnets through the planner: sharing, reuse, sizing, placement, new VNets, full VNets."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import factory as f
import pytest

from planner.plan.pipeline import run_plan

APP2 = f.APP_ID.replace("app1", "app2")
PLAN2 = f.PLAN_ID.replace("plan1", "plan2")


def _app(plan: dict[str, Any], app_id: str) -> dict[str, Any]:
    return next(a for a in plan["apps"] if a["id"] == app_id)


def _plan(tmp_path: Path, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return run_plan(f.write(tmp_path, resources))


def test_apps_of_one_plan_share_one_target(tmp_path: Path) -> None:
    resources = [*f.base_tenant(), f.site(APP2), f.vnet_connection(APP2), f.network_config(APP2)]
    plan = _plan(tmp_path, resources)
    first, second = _app(plan, f.APP_ID)["target"], _app(plan, APP2)["target"]
    assert first == second
    assert len(plan["subnets"]) == 1
    assert plan["subnets"][0]["app_ids"] == [f.APP_ID, APP2]


def test_two_plans_get_two_non_overlapping_subnets(tmp_path: Path) -> None:
    resources = [
        *f.base_tenant(),
        f.plan(PLAN2),
        f.site(APP2, plan_id=PLAN2),
        f.vnet_connection(APP2),
        f.network_config(APP2),
    ]
    plan = _plan(tmp_path, resources)
    a = ipaddress.ip_network(_app(plan, f.APP_ID)["target"]["prefix"])
    b = ipaddress.ip_network(_app(plan, APP2)["target"]["prefix"])
    assert not a.overlaps(b)
    assert (str(a), str(b)) == ("10.0.0.0/26", "10.0.0.64/26")  # lowest aligned free ranges


def test_plan_with_a_regional_subnet_in_that_vnet_reuses_it(tmp_path: Path) -> None:
    existing = f.subnet(
        f.VNET_ID,
        "snet-integration",
        "10.0.2.0/26",
        delegations=[{"name": "d", "properties": {"serviceName": "Microsoft.Web/serverFarms"}}],
    )
    vnet = f.vnet(subnets=[f.subnet(f.VNET_ID, "GatewaySubnet", "10.0.255.0/27"), existing])
    regional = f.site(APP2, virtualNetworkSubnetId=existing["id"])
    resources = [*f.replace(f.base_tenant(), f.VNET_ID, vnet), regional]
    plan = _plan(tmp_path, resources)
    target = _app(plan, f.APP_ID)["target"]
    assert target["new_subnet"] is False
    assert target["subnet_name"] == "snet-integration"
    assert target["prefix"] == "10.0.2.0/26"
    assert _app(plan, APP2)["integration"] == "regional"


def test_multi_prefix_vnet_and_subnets(tmp_path: Path) -> None:
    vnet = f.vnet(
        space=["10.1.0.0/25", "2001:db8::/64", "10.2.0.0/24"],
        subnets=[
            f.subnet(f.VNET_ID, "GatewaySubnet", "10.1.0.0/27"),
            f.subnet(f.VNET_ID, "multi", ["10.1.0.32/27", "10.1.0.64/26", "2001:db8::/80"]),
        ],
    )
    plan = _plan(tmp_path, f.replace(f.base_tenant(), f.VNET_ID, vnet))
    target = _app(plan, f.APP_ID)["target"]
    assert target["prefix"] == "10.2.0.0/26"
    assert any("IPv6" in note for note in target["notes"])


def test_sizing_uses_autoscale_maximum_and_windows_containers(tmp_path: Path) -> None:
    autoscale = {
        "id": f"{f.RG}/rg-app/providers/microsoft.insights/autoscalesettings/as1",
        "type": "microsoft.insights/autoscalesettings",
        "properties": {
            "enabled": True,
            "targetResourceUri": f.PLAN_ID.lower(),
            "profiles": [{"capacity": {"minimum": "1", "maximum": "20", "default": "2"}}],
        },
    }
    plan = _plan(tmp_path, [*f.base_tenant(), autoscale])
    target = _app(plan, f.APP_ID)["target"]
    assert (target["instances"], target["addresses_needed"]) == (20, 45)
    assert target["instances_source"].startswith("autoscale maximum")
    assert target["prefix"].endswith("/26")

    hyperv = f.replace(f.base_tenant(), f.PLAN_ID, f.plan(hyperV=True, capacity=10))
    hyperv = f.replace(hyperv, f.APP_ID, f.site(kind="app,container,windows", hyperV=True))
    plan = _plan(tmp_path / "wc", [*hyperv, f.site(APP2, kind="app,container,windows", hyperV=True)])
    target = _app(plan, f.APP_ID)["target"]
    # 2 x 10 instances x (1 + 2 container apps) + 5 reserved = 65 -> more than a /26
    assert target["addresses_needed"] == 65
    assert target["prefix"].endswith("/25")


@pytest.mark.parametrize(
    ("capacity", "workers", "autoscale", "instances", "source"),
    [
        # Microsoft's GetAppServicePlan.json example: capacity 1, numberOfWorkers 19.
        (1, 19, None, 19, "properties.numberOfWorkers"),
        (4, 2, None, 4, "sku.capacity"),
        (1, 19, 25, 25, "autoscale maximum (as1)"),
        (3, 3, 3, 3, "autoscale maximum (as1)"),  # a tie names the autoscale maximum
        (2, 2, None, 2, "sku.capacity"),
    ],
)
def test_sizing_reads_the_largest_instance_count_and_names_it(
    tmp_path: Path, capacity: int, workers: int, autoscale: int | None, instances: int, source: str
) -> None:
    resources = f.replace(f.base_tenant(), f.PLAN_ID, f.plan(capacity=capacity, numberOfWorkers=workers))
    if autoscale is not None:
        resources.append(
            {
                "id": f"{f.RG}/rg-app/providers/microsoft.insights/autoscalesettings/as1",
                "type": "microsoft.insights/autoscalesettings",
                "properties": {
                    "enabled": True,
                    "targetResourceUri": f.PLAN_ID,
                    "profiles": [{"capacity": {"minimum": "1", "maximum": str(autoscale), "default": "1"}}],
                },
            }
        )
    target = _app(_plan(tmp_path, resources), f.APP_ID)["target"]
    assert (target["instances"], target["instances_source"]) == (instances, source)
    assert target["addresses_needed"] == 2 * instances + 5


def test_full_vnet_gets_the_smallest_addition_that_overlaps_nothing(tmp_path: Path) -> None:
    vnet = f.vnet(
        space=["10.50.0.0/24"],
        subnets=[
            f.subnet(f.VNET_ID, "GatewaySubnet", "10.50.0.0/27"),
            f.subnet(f.VNET_ID, "rest", ["10.50.0.32/27", "10.50.0.64/26", "10.50.0.128/25"]),
        ],
    )
    neighbour = f.vnet(f.VNET_ID.replace("vnet-hub", "vnet-next"), space=["10.50.1.0/24"], subnets=[])
    plan = _plan(tmp_path, [*f.replace(f.base_tenant(), f.VNET_ID, vnet), neighbour])
    app = _app(plan, f.APP_ID)
    assert "NO_SUBNET_SPACE" in app["blockers"]
    addition = ipaddress.ip_network(app["target"]["address_space_addition"])
    assert addition.prefixlen == 28  # 2 x 2 instances + 5 = 9 addresses: a /28 is the smallest addition
    assert not addition.overlaps(ipaddress.ip_network("10.50.1.0/24"))
    assert not addition.overlaps(ipaddress.ip_network("10.50.0.0/24"))
    assert app["readiness"] == "blocked"


def test_cross_region_gets_a_new_vnet_clear_of_the_tenant(tmp_path: Path) -> None:
    resources = f.replace(f.base_tenant(), f.APP_ID, f.site(location="northeurope"))
    resources = f.replace(resources, f.GW_ID, f.gateway(pools=["10.1.0.0/24"]))
    plan = _plan(tmp_path, resources)
    target = _app(plan, f.APP_ID)["target"]
    assert target["new_vnet"] is True
    assert target["location"] == "northeurope"
    assert target["peer_with"] == f.VNET_ID
    space = ipaddress.ip_network(target["vnet_prefix"])
    for taken in ("10.0.0.0/16", "10.1.0.0/24"):
        assert not space.overlaps(ipaddress.ip_network(taken))
    assert ipaddress.ip_network(target["prefix"]).subnet_of(space)  # type: ignore[arg-type]


def test_cross_region_reuses_a_regional_vnet_the_plan_has_there(tmp_path: Path) -> None:
    north_id = f.VNET_ID.replace("vnet-hub", "vnet-north")
    north = f.vnet(
        north_id,
        space=["10.9.0.0/24"],
        location="northeurope",
        subnets=[f.subnet(north_id, "snet-int", "10.9.0.0/26")],
    )
    resources = f.replace(f.base_tenant(), f.APP_ID, f.site(location="northeurope"))
    resources += [
        north,
        f.site(APP2, location="northeurope", virtualNetworkSubnetId=north_id + "/subnets/snet-int"),
    ]
    target = _app(_plan(tmp_path, resources), f.APP_ID)["target"]
    assert (target["new_vnet"], target["new_subnet"], target["subnet_name"]) == (False, False, "snet-int")


def test_classic_vnet_gets_no_target(tmp_path: Path) -> None:
    classic = f"{f.RG}/rg-old/providers/Microsoft.ClassicNetwork/virtualNetworks/c1"
    resources = f.replace(f.base_tenant(), f.vnet_connection()["id"], f.vnet_connection(vnet_id=classic))
    app = _app(_plan(tmp_path, resources), f.APP_ID)
    assert app["target"] is None
    assert "classic" in app["target_reason"].lower()


def test_an_unused_delegated_subnet_is_reused_once(tmp_path: Path) -> None:
    delegation = [{"name": "d", "properties": {"serviceName": "Microsoft.Web/serverFarms"}}]
    prepared = f.subnet(f.VNET_ID, "snet-prepared", "10.0.5.0/26", delegations=delegation)
    in_use = f.subnet(
        f.VNET_ID,
        "snet-taken",
        "10.0.6.0/26",
        delegations=delegation,
        serviceAssociationLinks=[
            {"name": "AppServiceLink", "properties": {"linkedResourceType": "Microsoft.Web/serverfarms"}}
        ],
    )
    vnet = f.vnet(subnets=[f.subnet(f.VNET_ID, "GatewaySubnet", "10.0.255.0/27"), in_use, prepared])
    resources = [*f.replace(f.base_tenant(), f.VNET_ID, vnet), f.plan(PLAN2), f.site(APP2, plan_id=PLAN2)]
    resources += [f.vnet_connection(APP2), f.network_config(APP2)]
    plan = _plan(tmp_path, resources)
    first, second = _app(plan, f.APP_ID)["target"], _app(plan, APP2)["target"]
    assert (first["subnet_name"], first["new_subnet"]) == ("snet-prepared", False)
    assert second["new_subnet"] is True  # the prepared subnet goes to one plan only
    assert second["prefix"] == "10.0.0.0/26"
