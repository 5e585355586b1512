"""The bundled Contoso sample: every code occurs, each app gets what its scenario says, and the whole
plan matches the golden file (set UPDATE_GOLDEN=1 to rewrite it after a deliberate change, then
review the diff)."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from planner.analysis.rules import RULES
from planner.core.settings import Settings
from planner.plan.pipeline import run_plan
from planner.samples import build_contoso

ROOT = Path(__file__).parents[1]
SAMPLE = ROOT / "samples" / "contoso"
GOLDEN = Path(__file__).parent / "golden" / "contoso-plan.json"
AS_OF = date(2026, 11, 29)


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return run_plan(SAMPLE, Settings(as_of=AS_OF))


def normalised(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan without what depends on where and when it ran."""
    data = json.loads(json.dumps(plan))
    data["inventory"]["path"] = "samples/contoso"
    return data


def test_every_code_occurs(plan: dict[str, Any]) -> None:
    seen = {c for a in plan["apps"] for c in a["limitations"] + a["blockers"] + a["findings"]}
    assert seen == {r.code for r in RULES}


@pytest.mark.parametrize("scenario", build_contoso.SCENARIOS, ids=[s.name for s in build_contoso.SCENARIOS])
def test_each_app_gets_what_its_scenario_says(plan: dict[str, Any], scenario: Any) -> None:
    app = next(a for a in plan["apps"] if a["name"] == scenario.name)
    assert app["integration"] == scenario.integration
    assert tuple(app["limitations"] + app["blockers"] + app["findings"]) == scenario.codes
    assert app["readiness"] == scenario.readiness


def test_gateways_and_savings(plan: dict[str, Any]) -> None:
    verdicts = {g["name"]: g["decommission"] for g in plan["gateways"]}
    assert verdicts == {
        "vgw-dr-neu": "yes",
        "vgw-finance-weu": "no",
        "vgw-hub-neu": "no",
        "vgw-hub-weu": "no",
        "vgw-nonprod-weu": "yes",
        "vgw-prod-weu": "yes",
    }
    savings = sum(g["monthly_cost"] for g in plan["gateways"] if g["decommission"] == "yes")
    assert plan["summary"]["monthly_savings"] == pytest.approx(savings)
    assert plan["days_left"] == 122


def test_work_by_subscription_adds_up(plan: dict[str, Any]) -> None:
    rows = plan["summary"]["by_subscription"]
    assert sum(r["gateway_required"] for r in rows) == plan["summary"]["apps_gateway_required"]
    for readiness in ("ready", "needs-work", "blocked"):
        assert sum(r[readiness] for r in rows) == plan["summary"]["readiness"][readiness]
    assert rows[0]["subscription_name"] == "contoso-prod"  # largest first


def test_golden_plan(plan: dict[str, Any]) -> None:
    current = normalised(plan)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(current, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert current == golden


def test_the_plans_per_app_and_per_step_dicts_share_their_keys(plan: dict[str, Any]) -> None:
    """They keep a 50,000-app migration-heavy plan under 1.5 GB (planner.core.memory.key_shared):
    a dict built as a literal instead would be twice the size, and this fails."""
    movers = [a for a in plan["apps"] if a["steps"] and a["context"] and a["target"] and a["evidence"]]
    assert movers
    app = movers[0]
    step = app["steps"][0]
    deploys = [d for a in movers for s in a["steps"] for d in s["deploy"]]
    for shaped in (step, app["context"], app["target"], app["strategy"], app["evidence"][0], deploys[0]):
        assert type(shaped) is dict
        assert sys.getsizeof(shaped) < sys.getsizeof(dict(shaped)), sorted(shaped)
