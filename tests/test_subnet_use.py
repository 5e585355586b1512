"""Issue 17, cases 4, 5 and 8: a subnet's use is read from every signal, a reused subnet the data lacks is
unknown, and the runbook ends every plan with the subnets its OS allows and none another plan uses.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import factory as f
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.plan.pipeline import run_plan

APP2 = f.APP_ID.replace("app1", "app2")
APP3 = f.APP_ID.replace("app1", "app3")
PLAN_A = f.PLAN_ID.replace("plan1", "plan-a")
DELEGATION = [{"name": "d", "properties": {"serviceName": "Microsoft.Web/serverFarms"}}]
SAL = [{"name": "AppServiceLink", "properties": {"linkedResourceType": "Microsoft.Web/serverfarms"}}]


def _app(plan: dict[str, Any], app_id: str) -> dict[str, Any]:
    return next(a for a in plan["apps"] if a["id"] == app_id)


def _vnet_with(*subnets: dict[str, Any]) -> dict[str, Any]:
    return f.vnet(subnets=[f.subnet(f.VNET_ID, "GatewaySubnet", "10.0.255.0/27"), *subnets])


def _regional(app_id: str, subnet_id: str, signal: str, plan_id: str = PLAN_A) -> list[dict[str, Any]]:
    """An app of another plan that says, in one of the three ways Azure says it, that it integrates the subnet."""
    if signal == "virtualNetworkSubnetId":
        return [f.site(app_id, plan_id=plan_id, virtualNetworkSubnetId=subnet_id)]
    if signal == "virtualNetworkConnections":
        entry = f.vnet_connection(app_id, subnet_id, isSwift=True)
        entry["id"] = f"{app_id}/virtualNetworkConnections/5f02277e_{subnet_id.rsplit('/', 1)[-1]}"
        return [f.site(app_id, plan_id=plan_id), entry]
    config = {
        "id": f"{app_id}/networkConfig/virtualNetwork",
        "type": "Microsoft.Web/sites/networkConfig",
        "properties": {"subnetResourceId": subnet_id, "swiftSupported": True},
    }
    return [f.site(app_id, plan_id=plan_id), config]


# --- case 4 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("signal", ["virtualNetworkSubnetId", "virtualNetworkConnections", "networkConfig"])
def test_a_subnet_another_plans_app_names_is_never_offered_as_unused(tmp_path: Path, signal: str) -> None:
    # Plan A's app is regionally integrated into snet-a, whose data shows no service association link.
    shared = f.subnet(f.VNET_ID, "snet-a", "10.0.2.0/26", delegations=DELEGATION)
    resources = f.replace(f.base_tenant(), f.VNET_ID, _vnet_with(shared))
    resources += [f.plan(PLAN_A), *_regional(APP2, shared["id"], signal)]
    plan = run_plan(f.write(tmp_path, resources))
    target = _app(plan, f.APP_ID)["target"]
    assert target["subnet_id"] != shared["id"]
    assert target["new_subnet"] is True
    assert not any("unused" in note for note in target["notes"])
    # The signals disagree, and the note says which said what.
    [note] = [n for n in target["notes"] if n.startswith("snet-a ")]
    assert "app2 (plan plan-a) names it in" in note and "no service association link" in note
    assert _app(plan, APP2)["integration"] == "regional"


def test_an_unused_delegated_subnet_is_still_reused(tmp_path: Path) -> None:
    free = f.subnet(f.VNET_ID, "snet-free", "10.0.2.0/26", delegations=DELEGATION)
    plan = run_plan(f.write(tmp_path, f.replace(f.base_tenant(), f.VNET_ID, _vnet_with(free))))
    target = _app(plan, f.APP_ID)["target"]
    assert (target["subnet_id"], target["new_subnet"]) == (free["id"], False)
    assert "no app or slot names it" in target["notes"][0]


def test_a_link_no_app_names_is_said(tmp_path: Path) -> None:
    # The plan's own subnet carries a link, and a second one nobody in the inventory names is skipped.
    linked = f.subnet(
        f.VNET_ID, "snet-linked", "10.0.2.0/26", delegations=DELEGATION, serviceAssociationLinks=SAL
    )
    own = f.subnet(f.VNET_ID, "snet-own", "10.0.3.0/26", delegations=DELEGATION)
    resources = f.replace(f.base_tenant(), f.VNET_ID, _vnet_with(linked, own))
    resources.append(f.site(APP2, virtualNetworkSubnetId=own["id"]))
    plan = run_plan(f.write(tmp_path, resources))
    target = _app(plan, f.APP_ID)["target"]
    assert target["subnet_id"] == own["id"]
    assert any("app2 names it in properties.virtualNetworkSubnetId" in n for n in target["notes"])
    assert any("no service association link" in n for n in target["notes"])  # own subnet, signals disagree


@pytest.mark.parametrize(
    ("prefix", "other_plan", "holds", "said"),
    [
        ("10.0.2.0/26", {}, True, "every condition holds: one subscription, /26"),
        ("10.0.2.0/27", {}, False, "needs a /26 or larger"),
        ("10.0.2.0/26", {"capacity": 30}, False, "the plans need 69 addresses"),
        ("10.0.2.0/26", {"subscription": "00000000-0000-0000-0000-000000000002"}, False, "2 subscriptions"),
    ],
)
def test_a_subnet_the_plan_already_shares_is_reused_only_when_multi_plan_join_holds(
    tmp_path: Path, prefix: str, other_plan: dict[str, Any], holds: bool, said: str
) -> None:
    shared = f.subnet(f.VNET_ID, "snet-shared", prefix, delegations=DELEGATION, serviceAssociationLinks=SAL)
    resources = f.replace(f.base_tenant(), f.VNET_ID, _vnet_with(shared))
    plan_a = f.plan(PLAN_A, capacity=other_plan.get("capacity", 2))
    if "subscription" in other_plan:
        plan_a["id"] = plan_a["id"].replace(f.SUB, other_plan["subscription"])
        plan_a["subscriptionId"] = other_plan["subscription"]
    resources += [plan_a, f.site(APP2, virtualNetworkSubnetId=shared["id"])]  # plan1's own regional app
    resources += _regional(APP3, shared["id"], "virtualNetworkSubnetId", plan_a["id"])  # plan-a's app
    plan = run_plan(f.write(tmp_path, resources))
    app = _app(plan, f.APP_ID)
    target = app["target"]
    assert target["subnet_id"] == shared["id"]
    assert target["shared_with"] == [plan_a["id"]]
    assert any(said in note and "multi-plan subnet join" in note for note in target["notes"])
    if holds:
        assert target["unknown_reason"] is None
        assert "2 x 2 (sku.capacity)" in " ".join(target["notes"])
    else:
        assert said in target["unknown_reason"]
        assert app["readiness"] != "ready"


# --- case 5 ----------------------------------------------------------------------------------------


def test_a_reused_subnet_the_data_lacks_is_unknown_and_the_app_not_ready(tmp_path: Path) -> None:
    missing = f"{f.VNET_ID}/subnets/snet-gone"
    resources = [*f.base_tenant(), f.site(APP2, virtualNetworkSubnetId=missing)]
    plan = run_plan(f.write(tmp_path, resources))
    app = _app(plan, f.APP_ID)
    target = app["target"]
    assert target["subnet_id"] == missing and target["prefix"] is None
    assert "snet-gone is not in the inventory" in target["unknown_reason"]
    assert target["unknown_reason"] in target["notes"]
    assert app["readiness"] != "ready"
    unknown = {u["code"]: u["reason"] for u in app["unknown"]}
    assert "snet-gone" in unknown["NO_SUBNET_SPACE"]
    subnet = next(s for s in plan["subnets"] if s["subnet_id"] == missing)
    assert subnet["unknown_reason"] == target["unknown_reason"]
    assert any("snet-gone is not in the inventory" in w for w in plan["warnings"])


# --- case 8 ----------------------------------------------------------------------------------------


def _two_regional_and_a_third_vnet() -> list[dict[str, Any]]:
    """A Windows plan whose two apps integrate subnets of VNets A and B regionally, and a third app
    that reaches the hub (a third VNet) through the gateway."""
    resources = f.base_tenant()
    for index, name in enumerate(("vnet-a", "vnet-b")):
        vnet_id = f.VNET_ID.replace("vnet-hub", name)
        subnet = f.subnet(vnet_id, "snet-app", f"10.{index + 1}.1.0/26", delegations=DELEGATION)
        resources.append(f.vnet(vnet_id, space=[f"10.{index + 1}.0.0/16"], subnets=[subnet]))
        resources.append(
            f.site(f.APP_ID.replace("app1", f"regional-{name}"), virtualNetworkSubnetId=subnet["id"])
        )
    return resources


def test_a_blocked_app_is_never_connected_in_place_past_its_plans_limit(tmp_path: Path) -> None:
    plan = run_plan(f.write(tmp_path, _two_regional_and_a_third_vnet()))
    app = _app(plan, f.APP_ID)
    assert "TOO_MANY_SUBNETS" in app["blockers"]
    assert len(app["context"]["plan_subnets"]) == 2 and app["context"]["plan_subnet_limit"] == 2
    # The rule counted the regional subnets; so does the runbook: the app moves to a new plan.
    assert app["strategy"]["mode"] == "blue-green"
    assert app["strategy"]["new_plan"] and app["strategy"]["new_plan"] != "plan1"
    assert "already integrates 2 subnets regionally" in app["strategy"]["reason"]
    commands = [c for step in app["steps"] for c in step["commands"]]
    assert not any("vnet-integration add" in c and " -n app1 " in c for c in commands)  # not in place
    assert any("appservice plan create" in c and app["strategy"]["new_plan"] in c for c in commands)
    assert any("webapp create" in c and app["strategy"]["new_plan"] in c for c in commands)
    # plan1 still hosts the two regional apps: it is not deleted with app1.
    assert not any("appservice plan delete" in c for c in commands)


def test_a_plan_that_keeps_apps_is_not_deleted_with_its_last_mover(tmp_path: Path) -> None:
    critical = f.site()
    critical["tags"] = {"criticality": "high"}  # no outage: the plan moves blue-green
    resources = f.replace(f.base_tenant(), f.APP_ID, critical)
    resources.append(f.site(APP3))  # no integration at all: it stays on plan1
    plan = run_plan(f.write(tmp_path, resources))
    app = _app(plan, f.APP_ID)
    assert app["strategy"]["mode"] == "blue-green"
    assert not any("appservice plan delete" in c for step in app["steps"] for c in step["commands"])


# --- the property: what each plan ends with -------------------------------------------------------


@st.composite
def tenants(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Same-region tenants: VNets with gateways and delegated subnets, Windows and Linux plans, regional
    apps (a valid Azure state: at most the OS's limit per plan, no subnet shared by two plans) signalled
    in any of the three ways, with or without a service association link, and gateway-required apps."""
    resources: list[dict[str, Any]] = [f.subscription()]
    vnets = []
    for i in range(draw(st.integers(2, 3))):
        vnet_id = f.VNET_ID.replace("vnet-hub", f"vnet-{i}")
        subnets = [f.subnet(vnet_id, "GatewaySubnet", f"10.{i}.255.0/27")]
        for j in range(draw(st.integers(0, 2))):
            extra = {"serviceAssociationLinks": SAL} if draw(st.booleans()) else {}
            subnets.append(
                f.subnet(vnet_id, f"snet-d{j}", f"10.{i}.{10 + j}.0/26", delegations=DELEGATION, **extra)
            )
        resources.append(f.vnet(vnet_id, space=[f"10.{i}.0.0/16"], subnets=subnets))
        resources.append(f.gateway(f.GW_ID.replace("gw-hub", f"gw-{i}"), vnet_id))
        vnets.append((vnet_id, [s["id"] for s in subnets[1:]]))
    free = [s for _, ids in vnets for s in ids]
    plans: dict[str, dict[str, Any]] = {}
    for p in range(draw(st.integers(1, 3))):
        plan_id = f.PLAN_ID.replace("plan1", f"plan-{p}")
        linux = draw(st.booleans())
        resources.append(f.plan(plan_id, tier="PremiumV3", sku="P1v3", reserved=linux))
        limit = 1 if linux else 2
        current: list[str] = []
        for r in range(draw(st.integers(0, limit))):
            if not free:
                break
            subnet_id = free.pop(draw(st.integers(0, len(free) - 1)))
            app_id = f.APP_ID.replace("app1", f"reg-{p}-{r}")
            signal = draw(
                st.sampled_from(["virtualNetworkSubnetId", "virtualNetworkConnections", "networkConfig"])
            )
            made = _regional(app_id, subnet_id, signal, plan_id)
            made[0]["kind"] = "app,linux" if linux else "app"
            resources += made
            current.append(subnet_id.lower())
        for g in range(draw(st.integers(0, 3))):
            app_id = f.APP_ID.replace("app1", f"gw-{p}-{g}")
            vnet_id = vnets[draw(st.integers(0, len(vnets) - 1))][0]
            site = f.site(app_id, kind="app,linux" if linux else "app", plan_id=plan_id)
            if draw(st.integers(0, 4)) == 0:
                site["tags"] = {"criticality": "high"}  # no outage: the plan moves blue-green
            resources.append(site)
            resources += [f.vnet_connection(app_id, vnet_id)]
        plans[plan_id.lower()] = {"limit": limit, "current": set(current)}
    return resources, plans


@settings(max_examples=80, deadline=None)
@given(tenants())
def test_no_plan_ends_with_more_subnets_than_its_os_allows_or_with_another_plans(
    case: tuple[list[dict[str, Any]], dict[str, dict[str, Any]]],
) -> None:
    resources, plans = case
    with tempfile.TemporaryDirectory() as tmp:
        plan = run_plan(f.write(Path(tmp) / "inv", resources))
    linked = {
        s["id"].lower()
        for r in resources
        if r["type"] == "microsoft.network/virtualnetworks"
        for s in r["properties"]["subnets"]
        if s["properties"].get("serviceAssociationLinks")
    }
    ends: dict[str, set[str]] = {key: set(p["current"]) for key, p in plans.items()}
    limits = {key: p["limit"] for key, p in plans.items()}
    for app in plan["apps"]:
        if app["integration"] != "gateway-required" or not app["target"]:
            continue
        old = app["plan_id"].lower()
        key = old
        if app["strategy"]["mode"] == "blue-green":
            key = f"new:{app['strategy']['new_plan']}"
            limits[key] = limits[old]
        ends.setdefault(key, set()).add(app["target"]["subnet_id"].lower())
    users = {s: p for p, subnets in ends.items() for s in plans.get(p, {}).get("current", ())}
    for key, subnets in ends.items():
        assert len(subnets) <= limits[key], (key, sorted(subnets))
        added = subnets - plans.get(key, {}).get("current", set())
        for subnet in added:
            assert subnet not in linked, (key, subnet)  # an app outside the inventory integrates it
            owner = users.get(subnet)
            assert owner in (None, key), (key, subnet, owner)
            others = [k for k, s in ends.items() if k != key and subnet in s]
            assert not others, (key, subnet, others)
