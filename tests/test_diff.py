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
    assert "Migrated (no longer gateway-required): 1" in result.output


def test_bad_side_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text("{nope")
    result = runner.invoke(app, ["diff", str(bad), str(bad)])
    assert result.exit_code == 2
    assert "plan.json" in result.output
