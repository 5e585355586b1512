"""The offline path in one call: inventory -> model -> analysis -> plan -> runbook.

Library callers (tests, benchmarks, other tools) use `run_plan`; the CLI adds progress, output
files and exit codes around it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from planner.cost import PriceTable, load_default_prices, load_prices
from planner.inventory import load_inventory
from planner.model import build_tenant
from planner.plan import build_plan


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of long-lived objects are built.

    The model and plan are trees that reference counting frees on its own; with the collector on,
    every full collection walks the whole growing heap, which made a 50,000-app plan super-linear
    (docs/performance.md: 17.9 s -> 10.1 s CPU for run_plan, same peak memory).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    now: datetime | None = None,
) -> dict[str, Any]:
    """Read an inventory and return the plan.json dict (raises InputError on bad input)."""
    prices = prices_from(prices_path)
    with bulk_allocation():
        raw = load_inventory(inventory_path)
        tenant = build_tenant(raw)
        if now is None and today is not None:
            now = datetime(today.year, today.month, today.day, tzinfo=UTC)
        plan = build_plan(tenant, prices, today=today, now=now)
        apply_runbook_if_available(plan, start=start, wave_days=wave_days)
    return plan


def apply_runbook_if_available(plan: dict[str, Any], *, start: date | None, wave_days: int) -> None:
    """Waves, strategies and steps (planner/runbook.py)."""
    try:
        from planner.runbook import apply_runbook
    except ImportError:  # the runbook module is being written in parallel
        return
    warnings = apply_runbook(plan, start=start, wave_days=wave_days)
    plan.setdefault("warnings", []).extend(warnings)
