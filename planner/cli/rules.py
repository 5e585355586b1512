"""`rules`: the catalogue of codes, printed from the rules themselves."""

from __future__ import annotations

import typer
from rich.console import Console

from planner.analysis.rules import RULES


def rules() -> None:
    """Print the catalogue of codes: what each finds, why it matters, what fixes it."""
    console = Console()
    for rule in RULES:
        console.print(f"[bold]{rule.code}[/]  ({rule.kind.value}) {rule.title}")
        console.print(f"  finds: {' '.join(rule.finds.split())}", highlight=False)
        console.print(f"  why:   {rule.why}", highlight=False)
        console.print(f"  fix:   {rule.fix}", highlight=False)
        console.print()


def register(app: typer.Typer) -> None:
    """Add `rules` to the CLI."""
    app.command("rules")(rules)
