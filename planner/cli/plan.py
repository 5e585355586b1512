"""`plan` and `demo`: one set of options (planner/cli/options.py), one run; `demo` is `plan` on the
bundled Contoso sample."""

from __future__ import annotations

import importlib.resources
import inspect
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from planner.cli.common import EXIT_FAIL_ON, err, fail
from planner.cli.options import formats, settings, with_plan_options
from planner.core.errors import InputError
from planner.core.memory import bulk_allocation
from planner.plan.pipeline import run_plan
from planner.plan.suppressions import failing_apps
from planner.render.registry import write_outputs

SAMPLE = "contoso"

_INVENTORY = inspect.Parameter(
    "inventory",
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
    annotation=Annotated[
        Path, typer.Argument(help="Inventory folder or file (from `scan`, or built by hand).")
    ],
)


def run(inventory: Path, options: dict[str, Any]) -> None:
    """Plan `inventory` with the options as typed: outputs, summary, and the --fail-on exit code."""
    chosen = formats(options["format"])
    wanted = settings(options)
    quiet = options["quiet"]
    with err.status("vnet-planner", spinner="dots") if not quiet else nullcontext() as status:

        def show(stage: str) -> None:
            if status is not None:
                status.update(f"vnet-planner: {escape(stage)}")

        try:
            plan = run_plan(inventory, wanted, on_stage=show, previous=options["previous"])
        except InputError as exc:
            raise fail(str(exc)) from None
        with bulk_allocation():
            written = write_outputs(
                plan, options["out"], chosen, on_file=lambda name: show(f"rendered {name}")
            )
    if not quiet:
        from planner.render.terminal import print_summary

        print_summary(plan, Console(), written)
    fail_on = options["fail_on"]
    if fail_on is not None and fail_on.value == "late":
        schedule = plan.get("schedule") or {}
        if schedule.get("late"):
            raise fail(f"--fail-on late: {schedule.get('advice')} Outputs are written.", EXIT_FAIL_ON)
    elif fail_on is not None:
        failing = failing_apps(plan, fail_on.value)
        if failing:
            names = ", ".join(a["name"] for a in failing[:5]) + (" ..." if len(failing) > 5 else "")
            raise fail(
                f"--fail-on {fail_on.value}: {len(failing)} app(s) match ({names}); outputs are written",
                EXIT_FAIL_ON,
            )


@with_plan_options([_INVENTORY])
def plan(inventory: Path, **options: Any) -> None:
    """Analyse an inventory offline and write plan.json, CSV, the Excel workbook and the HTML runbook.

    Exit codes: 0 ok; 2 bad input; 4 --fail-on matched (outputs are written).
    """
    run(inventory, options)


@with_plan_options([], out_default=Path("demo-out"))
def demo(**options: Any) -> None:
    """Run `plan` on the bundled Contoso sample tenant (no Azure account needed)."""
    sample = importlib.resources.files("planner.samples") / SAMPLE
    with importlib.resources.as_file(sample) as path:
        run(path, options)


def register(app: typer.Typer) -> None:
    """Add `plan` and `demo` to the CLI."""
    app.command("plan")(plan)
    app.command("demo")(demo)
