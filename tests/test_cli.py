"""The command line: outputs, exit codes, one-line errors and no half-written output."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import factory as f
from typer.testing import CliRunner

from planner.analysis.rules import RULES
from planner.cli import app

runner = CliRunner()


def test_plan_writes_json_and_csv(tmp_path: Path) -> None:
    inventory = f.write(tmp_path / "inv", f.base_tenant())
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["plan", str(inventory), "--out", str(out), "--format", "json,csv", "--as-of", "2026-12-01"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["apps.csv", "gateways.csv", "plan.json"]
    plan = json.loads((out / "plan.json").read_text())
    assert plan["days_left"] == 120
    rows = list(csv.DictReader((out / "apps.csv").open()))
    assert rows[0]["integration"] == "gateway-required"
    assert rows[0]["readiness"] == "ready"
    assert "120 days left" in result.output
    assert "gw-hub" in result.output and "delete in wave" in result.output  # the gateway table


def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    inventory = tmp_path / "inv"
    inventory.mkdir()
    (inventory / "sites.json").write_text(
        '[{"id": "/subscriptions/x/resourceGroups/r/providers/Microsoft.Web/sites/a"}]'
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["plan", str(inventory), "--out", str(out)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "sites.json, [0], field 'type'" in lines[0]
    assert not out.exists() or not any(out.iterdir())


def test_failing_renderer_leaves_no_partial_output(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import planner.render.csv as csv_render

    def broken(plan: dict, path: Path) -> None:
        path.write_text("half")
        raise OSError("disk full")

    # The renderer is outside the planner's logic under test: it stands for a full disk.
    monkeypatch.setattr(csv_render, "write_gateways_csv", broken)
    inventory = f.write(tmp_path / "inv", f.base_tenant())
    out = tmp_path / "out"
    result = runner.invoke(app, ["plan", str(inventory), "--out", str(out), "--format", "json,csv"])
    assert result.exit_code == 1
    assert list(out.iterdir()) == []


def test_unknown_format_and_bad_date(tmp_path: Path) -> None:
    inventory = f.write(tmp_path / "inv", f.base_tenant())
    result = runner.invoke(app, ["plan", str(inventory), "--out", str(tmp_path / "o"), "--format", "pdf"])
    assert result.exit_code == 2
    assert "unknown format 'pdf'" in result.output
    result = runner.invoke(
        app, ["plan", str(inventory), "--out", str(tmp_path / "o"), "--as-of", "31/03/2027"]
    )
    assert result.exit_code == 2
    assert "--as-of" in result.output


def test_missing_inventory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_rules_prints_the_catalogue() -> None:
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == 0
    for rule in RULES:
        assert rule.code in result.output


def test_plan_json_matches_its_schema(tmp_path: Path) -> None:
    import jsonschema

    schema = json.loads((Path(__file__).parents[1] / "docs" / "plan.schema.json").read_text())
    inventory = f.write(tmp_path / "inv", [*f.base_tenant(), f.site(f.APP_ID.replace("app1", "plain"))])
    out = tmp_path / "out"
    assert runner.invoke(app, ["plan", str(inventory), "--out", str(out), "--format", "json"]).exit_code == 0
    plan = json.loads((out / "plan.json").read_text())
    jsonschema.validate(plan, schema)
    plan["apps"][0]["integration"] = "sideways"
    try:
        jsonschema.validate(plan, schema)
    except jsonschema.ValidationError:
        return
    raise AssertionError("the schema accepted an integration kind that does not exist")


def test_reports_get_ordinary_permissions(tmp_path: Path) -> None:
    import os
    import stat

    inventory = f.write(tmp_path / "inv", f.base_tenant())
    out = tmp_path / "out"
    old = os.umask(0o022)
    try:
        result = runner.invoke(app, ["plan", str(inventory), "--out", str(out), "--format", "json,xlsx,html"])
        assert result.exit_code == 0
    finally:
        os.umask(old)
    # The workbook and page are written through private temporary files first.
    for name in ("plan.json", "plan.xlsx", "runbook.html"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644, name


def test_plan_json_is_one_line_per_app_and_parses_back(tmp_path: Path) -> None:
    from planner.plan.pipeline import run_plan
    from planner.render.json import write_json

    plan = run_plan(f.write(tmp_path / "inv", [*f.base_tenant(), f.site(f.APP_ID.replace("app1", "app2"))]))
    write_json(plan, tmp_path / "plan.json")
    text = (tmp_path / "plan.json").read_text(encoding="utf-8")
    assert json.loads(text) == plan
    app_lines = [line for line in text.splitlines() if line.startswith('  {"id":"/subscriptions/')]
    assert len(app_lines) == len(plan["apps"]) + len(plan["gateways"])


def test_repeated_warnings_are_grouped_in_the_terminal() -> None:
    from planner.render.terminal import grouped_warnings

    warnings = [f"app{i}: classic VNet: migrate it first" for i in range(5)] + [
        "no manifest: assumed",
        "app9: other",
    ]
    assert grouped_warnings(warnings) == [
        "5 apps (app0, app1, app2 and 2 more): classic VNet: migrate it first",
        "no manifest: assumed",
        "app9: other",
    ]


def test_wave_size_and_start_shape_the_schedule(tmp_path: Path) -> None:
    apps = [f.APP_ID.replace("app1", f"app{n}") for n in range(2, 5)]
    plans = [f.PLAN_ID.replace("plan1", f"plan{n}") for n in range(2, 5)]
    resources = f.base_tenant()
    for app_id, plan_id in zip(apps, plans, strict=True):
        resources += [
            f.plan(plan_id),
            f.site(app_id, plan_id=plan_id),
            f.vnet_connection(app_id),
            f.network_config(app_id),
        ]
    inventory = f.write(tmp_path / "inv", resources)
    out = tmp_path / "out"
    args = [
        "plan",
        str(inventory),
        "--out",
        str(out),
        "--format",
        "json",
        "--start",
        "2027-01-04",
        "--wave-size",
        "2",
    ]
    assert runner.invoke(app, args).exit_code == 0
    plan = json.loads((out / "plan.json").read_text())
    app_waves = [w for w in plan["waves"] if w["app_ids"]]
    assert [len(w["app_ids"]) for w in app_waves] == [2, 2]
    assert app_waves[0]["start"] == "2027-01-04"


def test_csv_columns_are_the_documented_ones() -> None:
    from planner.render.csv import APP_COLUMNS, GATEWAY_COLUMNS

    doc = (Path(__file__).parents[1] / "docs" / "plan-format.md").read_text(encoding="utf-8")
    for name, _ in APP_COLUMNS + GATEWAY_COLUMNS:
        assert f"`{name}`" in doc, name
