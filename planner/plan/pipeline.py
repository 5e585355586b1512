"""The offline path in one call: inventory -> model -> analysis -> plan -> runbook.

Library callers (tests, benchmarks, other tools) use `run_plan`; the CLI adds progress, output
files and exit codes around it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from planner.core.memory import bulk_allocation
from planner.gateways.prices import PriceTable, load_default_prices, load_prices
from planner.inventory.loader import load_inventory
from planner.inventory.model import build_tenant
from planner.inventory.scope import Scope
from planner.plan.build import build_plan
from planner.plan.diff import Side, burndown, read_plan, side_of
from planner.plan.suppressions import Suppression, apply_suppressions
from planner.runbook.apply import apply_runbook


def prices_from(path: Path | str | None) -> PriceTable:
    """The price table from a file, or the dated default that ships with the package."""
    return load_prices(Path(path)) if path else load_default_prices()


def run_plan(
    inventory_path: Path | str,
    *,
    today: date | None = None,
    prices_path: Path | str | None = None,
    start: date | None = None,
    wave_days: int = 5,
    wave_size: int | None = None,
    now: datetime | None = None,
    on_stage: Callable[[str], None] | None = None,
    scope: Scope | None = None,
    suppressions: list[Suppression] | None = None,
    previous: Path | str | None = None,
    redact: bool = False,
) -> dict[str, Any]:
    """Read an inventory and return the plan.json dict (raises InputError on bad input).

    `on_stage` is told the name of each stage as it starts (the CLI shows it; libraries need not).
    `scope` narrows what is listed, `suppressions` mark accepted codes, and `previous` (an earlier
    plan.json or inventory) adds the burndown since then as `previous` (docs/plan-format.md);
    `redact` replaces subscription ids and names by pseudonyms (planner/plan/pseudonyms.py).
    """
    stage = on_stage or (lambda _name: None)
    prices = prices_from(prices_path)
    with bulk_allocation():
        stage(f"reading {inventory_path}")
        raw = load_inventory(inventory_path)
        stage(f"building the model of {raw.resources:,} resources")
        tenant = build_tenant(raw)
        if now is None and today is not None:
            now = datetime(today.year, today.month, today.day, tzinfo=UTC)
        stage(f"analysing {len(tenant.apps):,} apps and slots")
        plan = build_plan(tenant, prices, today=today, now=now, scope=scope)
        stage("writing the runbook steps")
        warnings = apply_runbook(plan, start=start, wave_days=wave_days, max_apps_per_wave=wave_size)
        plan.setdefault("warnings", []).extend(warnings)
        apply_suppressions(plan, suppressions or [])
        del tenant, raw  # the model is done with: free it before a second plan is read for --previous
        if redact:
            from planner.plan.pseudonyms import redact_subscriptions

            stage("replacing subscription ids and names")
            plan = redact_subscriptions(plan)
        if previous is not None:
            stage(f"comparing with {previous}")
            plan["previous"] = burndown(load_side(Path(previous)), plan)
    return plan


def load_side(path: Path) -> Side:
    """One side of a comparison: a plan.json as written, or an inventory planned now."""
    plan = read_plan(path)
    return side_of(plan if plan is not None else run_plan(path), path)
