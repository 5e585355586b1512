"""What every command shares: the error console, one-line failures and exit codes."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.markup import escape

err = Console(stderr=True)
EXIT_BAD_INPUT = 2
EXIT_FAIL_ON = 4


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print one error line and return the Exit to raise (messages quote input: never rich markup)."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def parse_date(value: str | None, option: str) -> date | None:
    """An ISO date from an option, or a one-line error naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: '{value}' is not a date (YYYY-MM-DD)") from None
