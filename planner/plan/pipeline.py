"""The offline path in one call: inventory -> model -> analysis -> plan -> runbook.

Library callers (tests, benchmarks, other tools) use `run_plan`; the CLI adds progress, output
files and exit codes around it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from planner.core.memory import bulk_allocation
from planner.core.settings import Settings
from planner.gateways.prices import PriceTable, load_default_prices, load_prices
from planner.inventory.loader import load_inventory
from planner.inventory.model import build_tenant
from planner.inventory.scope import parse_scope
from planner.plan.build import build_plan
from planner.plan.diff import Side, burndown, diff, read_plan, side_of
from planner.plan.suppressions import apply_suppressions, load_suppressions
from planner.runbook.apply import RETIREMENT_DATE, apply_runbook
from planner.runbook.preparation import lead_times_of
from planner.runbook.workdays import calendar_of


def prices_from(path: Path | str | None) -> PriceTable:
    """The price table from a file, or the dated default that ships with the package."""
    return load_prices(Path(path)) if path else load_default_prices()


def run_plan(
    inventory_path: Path | str,
    settings: Settings | None = None,
    *,
    now: datetime | None = None,
    on_stage: Callable[[str], None] | None = None,
    previous: Path | str | None = None,
) -> dict[str, Any]:
    """Read an inventory and return the plan.json dict (raises InputError on bad input).

    `settings` are the plan's options (planner/core/settings.py; recorded in plan.json). `on_stage`
    is told the name of each stage as it starts (the CLI shows it; libraries need not). `previous`
    (an earlier plan.json or inventory) adds the burndown since then as `previous`
    (docs/plan-format.md); an inventory given there is planned with these same settings.
    """
    settings = settings or Settings()
    stage = on_stage or (lambda _name: None)
    scope = parse_scope(settings.include, settings.exclude)
    suppressions = load_suppressions(Path(settings.suppressions)) if settings.suppressions else []
    prices = prices_from(settings.prices)
    # Options that read files or data are checked before the inventory is: a bad one costs no wait.
    leads = lead_times_of(settings.lead_times)
    first_year = (settings.as_of or datetime.now(UTC).date()).year
    calendar = calendar_of(settings, min(first_year, RETIREMENT_DATE.year), RETIREMENT_DATE.year + 1)
    with bulk_allocation():
        stage(f"reading {inventory_path}")
        raw = load_inventory(inventory_path)
        stage(f"building the model of {raw.resources:,} resources")
        tenant = build_tenant(raw)
        today = settings.as_of
        if now is None and today is not None:
            now = datetime(today.year, today.month, today.day, tzinfo=UTC)
        stage(f"analysing {len(tenant.apps):,} apps and slots")
        plan = build_plan(tenant, prices, today=today, now=now, scope=scope)
        # The plan dict holds all the runbook and the renderers read: free the raw resources and the model
        # (about 1 GB on a 50,000-app tenant) before the runbook steps are built (docs/performance.md).
        del tenant, raw
        plan["settings"] = settings.as_dict()
        stage("writing the runbook steps")
        warnings = apply_runbook(plan, settings, calendar=calendar, leads=leads)
        plan.setdefault("warnings", []).extend(warnings)
        apply_suppressions(plan, suppressions)
        if settings.redact:
            from planner.plan.pseudonyms import redact_subscriptions

            stage("replacing subscription ids and names")
            plan = redact_subscriptions(plan)
        if previous is not None:
            stage(f"comparing with {previous}")
            plan["previous"] = burndown(load_side(Path(previous), settings), plan)
    return plan


def load_side(path: Path, settings: Settings | None = None) -> Side:
    """One side of a comparison: a plan.json as written, or an inventory planned now with `settings`."""
    plan = read_plan(path)
    return side_of(plan if plan is not None else run_plan(path, settings), path)


def compare(old: Path, new: Path) -> dict[str, Any]:
    """`diff`: two plans or inventories compared. An inventory side is planned with the settings the
    other side's plan.json recorded (the newer one's when both are plans), so both sides are judged
    alike; two inventories are planned with the defaults."""
    plans = {path: read_plan(path) for path in (old, new)}
    recorded = [(p, plan["settings"]) for p, plan in plans.items() if plan and "settings" in plan]
    settings = Settings.from_dict(recorded[-1][1], str(recorded[-1][0])) if recorded else None
    sides = [side_of(plan if plan is not None else run_plan(p, settings), p) for p, plan in plans.items()]
    return diff(sides[0], sides[1])
