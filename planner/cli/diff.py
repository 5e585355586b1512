"""`diff`: the migration burndown between two scans or plans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from planner.cli.common import fail
from planner.core.errors import InputError
from planner.plan.pipeline import compare
from planner.render.terminal import print_diff


def diff(
    old: Annotated[Path, typer.Argument(help="Earlier inventory, or a plan.json written by `plan`.")],
    new: Annotated[Path, typer.Argument(help="Later inventory or plan.json.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the difference as JSON.")
    ] = None,
) -> None:
    """Migration burndown: what was migrated, what is new, what is left between two scans or plans.

    An inventory is planned with the settings the other side's plan.json recorded.
    """
    try:
        result = compare(old, new)
    except InputError as exc:
        raise fail(str(exc)) from None
    print_diff(result, Console())
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


def register(app: typer.Typer) -> None:
    """Add `diff` to the CLI."""
    app.command("diff")(diff)
