"""The `vnet-planner` command: argument parsing, progress and exit codes; no planning logic.

This module composes the commands, one module per command group (style.md); each has `register(app)`.
Exit codes: 0 ok; 1 unexpected error; 2 bad usage or bad input; 3 partial scan; 4 `plan --fail-on` matched.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import typer
from rich.markup import escape

from planner import __version__
from planner.cli.common import err
from planner.core.errors import InputError

app = typer.Typer(
    name="vnet-planner",
    help="Find App Service apps on gateway-required VNet integration and plan their move to regional "
    "integration before 2027-03-31.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def _mount() -> None:
    """Command groups that live in their own modules (style.md: one module per command group)."""
    for module_name in (
        "planner.cli.plan",
        "planner.cli.rules",
        "planner.cli.diff",
        "planner.cli.scan",
        "planner.cli.sample",
        "planner.cli.preflight",
    ):
        module: Any = importlib.import_module(module_name)
        module.register(app)
    try:
        prices_module: Any = importlib.import_module("planner.cli.prices")
    except ImportError:
        return
    app.add_typer(
        prices_module.app, name="prices", help="VPN gateway prices: refresh from the Retail Prices API."
    )


_mount()


def main() -> None:
    """Console entry point."""
    try:
        app()
    except InputError as exc:  # raised by a mounted command that did not catch it
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except Exception as exc:
        if os.environ.get("VNET_PLANNER_DEBUG"):
            raise
        err.print(
            f"[bold red]unexpected error:[/] {type(exc).__name__}: {escape(str(exc))} "
            "(set VNET_PLANNER_DEBUG=1 for the traceback, and please report it)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)
