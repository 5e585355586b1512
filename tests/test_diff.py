"""`diff`: burndown between two inventories, or an old plan.json and a new inventory."""

from __future__ import annotations

import json
from pathlib import Path

import factory as f
from typer.testing import CliRunner

from planner.cli import app

runner = CliRunner()
APP2 = f.APP_ID.replace("app1", "app2")


def test_migrated_new_and_left(tmp_path: Path) -> None:
    old = f.write(tmp_path / "old", [*f.base_tenant(), f.site(APP2), f.vnet_connection(APP2)])
    # Later: app1 moved to regional integration; app2 still on the gateway; app3 appeared on it.
    app3 = f.APP_ID.replace("app1", "app3")
    moved = f.site(virtualNetworkSubnetId=f.VNET_ID + "/subnets/snet-appsvc-plan1")
    later = [r for r in f.base_tenant() if r["id"] != f.vnet_connection()["id"]]
    later = f.replace(later, f.APP_ID, moved)
    new = f.write(
        tmp_path / "new",
        [*later, f.site(APP2), f.vnet_connection(APP2), f.site(app3), f.vnet_connection(app3)],
    )
    plan_out = tmp_path / "plan"
    assert runner.invoke(app, ["plan", str(old), "--out", str(plan_out), "--format", "json"]).exit_code == 0
    result = runner.invoke(
        app, ["diff", str(plan_out / "plan.json"), str(new), "--json", str(tmp_path / "d.json")]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "d.json").read_text())
    assert [a["name"] for a in data["migrated"]] == ["app1"]
    assert data["migrated"][0]["was"] == "gateway-required"
    assert [a["name"] for a in data["still_gateway_required"]] == ["app2"]
    assert [a["name"] for a in data["new_gateway_required"]] == ["app3"]
    assert (data["gateway_required_before"], data["gateway_required_after"]) == (2, 2)
    assert "Migrated to regional integration: 1" in result.output
    assert data["integration_removed"] == []


def test_a_connection_deleted_and_not_replaced_is_not_counted_as_migrated(tmp_path: Path) -> None:
    old = f.write(tmp_path / "old", [*f.base_tenant(), f.site(APP2), f.vnet_connection(APP2)])
    # Later: app1's gateway-required connection is gone and the app has no regional integration either.
    later = [r for r in f.base_tenant() if r["id"] != f.vnet_connection()["id"]]
    new = f.write(tmp_path / "new", [*later, f.site(APP2), f.vnet_connection(APP2)])
    result = runner.invoke(app, ["diff", str(old), str(new), "--json", str(tmp_path / "d.json")])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "d.json").read_text())
    assert data["migrated"] == []
    assert [(a["name"], a["integration"], a["was"]) for a in data["integration_removed"]] == [
        ("app1", "none", "gateway-required")
    ]
    assert (data["gateway_required_before"], data["gateway_required_after"]) == (2, 1)
    assert "Integration removed, not replaced by regional: 1" in result.output
    assert "Migrated to regional" not in result.output
    # The same in a plan's burndown, and on its page.
    out = tmp_path / "plan"
    args = ["plan", str(new), "--out", str(out), "--format", "json,html", "--previous", str(old)]
    assert runner.invoke(app, args).exit_code == 0
    previous = json.loads((out / "plan.json").read_text())["previous"]
    assert [a["name"] for a in previous["integration_removed"]] == ["app1"] and previous["migrated"] == []
    assert "No VNet integration now" in (out / "runbook.html").read_text(encoding="utf-8")


def test_bad_side_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text("{nope")
    result = runner.invoke(app, ["diff", str(bad), str(bad)])
    assert result.exit_code == 2
    assert "plan.json" in result.output


def _two_resource_groups(folder: Path) -> Path:
    """app1 in rg-app and app2 in rg-other, both on gateway-required integration."""
    other = f.APP_ID.replace("rg-app", "rg-other").replace("app1", "app2")
    site = {**f.site(other), "resourceGroup": "rg-other"}
    return f.write(folder, [*f.base_tenant(), site, f.vnet_connection(other)])


def test_diff_plans_an_inventory_with_the_settings_the_plan_recorded(tmp_path: Path) -> None:
    inventory = _two_resource_groups(tmp_path / "inv")
    out = tmp_path / "plan"
    args = ["plan", str(inventory), "--out", str(out), "--format", "json", "--include", "rg:rg-app"]
    assert runner.invoke(app, args).exit_code == 0
    recorded = json.loads((out / "plan.json").read_text())["settings"]
    assert recorded["include"] == ["rg:rg-app"] and recorded["wave_days"] == 5
    # The same inventory on the other side: planned with the recorded scope, nothing is "new".
    result = runner.invoke(
        app, ["diff", str(out / "plan.json"), str(inventory), "--json", str(tmp_path / "d.json")]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "d.json").read_text())
    assert data["new_gateway_required"] == []
    assert (data["gateway_required_before"], data["gateway_required_after"]) == (1, 1)


def test_previous_inventory_is_planned_with_this_plans_settings(tmp_path: Path) -> None:
    inventory = _two_resource_groups(tmp_path / "inv")
    out = tmp_path / "plan"
    args = ["plan", str(inventory), "--out", str(out), "--format", "json", "--include", "rg:rg-other"]
    assert runner.invoke(app, [*args, "--previous", str(inventory)]).exit_code == 0
    previous = json.loads((out / "plan.json").read_text())["previous"]
    assert previous["new_gateway_required"] == [] and previous["removed_apps"] == []
    assert previous["gateway_required_before"] == previous["gateway_required_after"] == 1


def test_bad_recorded_settings_name_the_field(tmp_path: Path) -> None:
    inventory = _two_resource_groups(tmp_path / "inv")
    out = tmp_path / "plan"
    assert runner.invoke(app, ["plan", str(inventory), "--out", str(out), "--format", "json"]).exit_code == 0
    plan = json.loads((out / "plan.json").read_text())
    plan["settings"]["wave_days"] = "five"
    (out / "plan.json").write_text(json.dumps(plan))
    result = runner.invoke(app, ["diff", str(out / "plan.json"), str(inventory)])
    assert result.exit_code == 2
    assert "plan.json" in result.output and "settings.wave_days" in result.output


CONTOSO = Path(__file__).parents[1] / "samples" / "contoso"
# The sample's plan as vnet-planner 0.1.0 wrote it (plan@1: notes in full in every step, Bicep snippets,
# service-endpoint resources in every app): a real file of the previous version, kept as it was.
PLAN_V1 = Path(__file__).parent / "fixtures" / "contoso-plan-v1.json"


def test_diff_and_previous_read_a_plan_of_the_previous_version(tmp_path: Path) -> None:
    assert json.loads(PLAN_V1.read_text(encoding="utf-8"))["schema"] == "vnet-planner/plan@1"
    out = tmp_path / "plan"
    args = ["plan", str(CONTOSO), "--out", str(out), "--format", "json", "--as-of", "2026-11-29"]
    assert runner.invoke(app, [*args, "--previous", str(PLAN_V1)]).exit_code == 0
    current = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert current["schema"] == "vnet-planner/plan@2"
    previous = current["previous"]
    # The same tenant on both sides: nothing migrated, appeared or vanished across the format change.
    assert previous["migrated"] == previous["new_gateway_required"] == previous["removed_apps"] == []
    assert previous["gateway_required_before"] == previous["gateway_required_after"] > 0
    for old, new in ((PLAN_V1, out / "plan.json"), (out / "plan.json", PLAN_V1)):
        result = runner.invoke(app, ["diff", str(old), str(new), "--json", str(tmp_path / "d.json")])
        assert result.exit_code == 0, result.output
        data = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
        assert data["migrated"] == data["new_gateway_required"] == []
        assert data["gateways_removed"] == data["gateways_added"] == []


def test_a_plan_of_an_unknown_version_is_not_read_as_a_plan(tmp_path: Path) -> None:
    future = json.loads(PLAN_V1.read_text(encoding="utf-8")) | {"schema": "vnet-planner/plan@9"}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(future), encoding="utf-8")
    result = runner.invoke(app, ["diff", str(path), str(CONTOSO)])
    assert result.exit_code == 2, result.output
    assert (
        "plan.json" in result.output and "vnet-planner/plan@9" in result.output and "schema" in result.output
    )
