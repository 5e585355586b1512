"""The `vnet-planner` command: argument parsing, progress and exit codes; no planning logic.

Exit codes: 0 ok; 1 unexpected error; 2 bad usage or bad input; 3 partial scan; 4 `plan --fail-on` matched.
"""

from __future__ import annotations

import importlib
import importlib.resources
import os
import sys
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from planner import __version__
from planner.core.errors import InputError
from planner.core.memory import bulk_allocation
from planner.inventory.scope import parse_scope
from planner.plan.pipeline import run_plan
from planner.plan.suppressions import failing_apps, load_suppressions
from planner.render.registry import DEFAULT_FORMATS, Format, available, write_outputs

app = typer.Typer(
    name="vnet-planner",
    help="Find App Service apps on gateway-required VNet integration and plan their move to regional "
    "integration before 2027-03-31.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err = Console(stderr=True)
SAMPLE = "contoso"
EXIT_FAIL_ON = 4


class FailOn(StrEnum):
    BLOCKED = "blocked"
    NEEDS_WORK = "needs-work"
    ANY = "any"


def _fail(message: str, code: int = 2) -> typer.Exit:
    # Messages quote file names and values from the input: never read them as rich markup.
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _formats(value: str | None) -> list[Format]:
    if not value:
        return [f for f in DEFAULT_FORMATS if available(f)]
    chosen = []
    for part in value.split(","):
        name = part.strip().lower()
        try:
            fmt = Format(name)
        except ValueError:
            raise _fail(
                f"--format: unknown format '{name}' (choose from {', '.join(f.value for f in Format)})"
            ) from None
        if not available(fmt):
            raise _fail(f"--format: {name} is not available in this build")
        chosen.append(fmt)
    return chosen


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option}: '{value}' is not a date (YYYY-MM-DD)") from None


FormatOpt = Annotated[
    str | None,
    typer.Option("--format", "-f", help="Comma list: json,csv,xlsx,html,scripts (default: all but scripts)."),
]
PricesOpt = Annotated[
    Path | None, typer.Option("--prices", help="Price file from `prices refresh` (default: shipped table).")
]
StartOpt = Annotated[
    str | None, typer.Option("--start", help="First day of wave 1 (YYYY-MM-DD); default: next Monday.")
]
WaveDaysOpt = Annotated[int, typer.Option("--wave-days", min=1, help="Working days per wave.")]
WaveSizeOpt = Annotated[
    int | None,
    typer.Option("--wave-size", min=1, help="Most apps per wave (default 20, raised to meet the deadline)."),
]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="Count days left from this date (default: today).")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
IncludeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--include",
        help="Plan only what matches: subscription:ID-or-name, resource-group:GLOB, tag:KEY=GLOB "
        "(repeat; same kind = or, kinds = and).",
    ),
]
ExcludeOpt = Annotated[
    list[str] | None, typer.Option("--exclude", help="Leave out what matches (same forms as --include).")
]
SuppressionsOpt = Annotated[
    Path | None,
    typer.Option(
        "--suppressions", help="YAML or JSON file of accepted codes: app, code, reason, expires_on."
    ),
]
PreviousOpt = Annotated[
    Path | None,
    typer.Option("--previous", help="An earlier plan.json (or inventory): show the burndown since then."),
]
FailOnOpt = Annotated[
    FailOn | None,
    typer.Option(
        "--fail-on",
        help="Exit 4 (after writing every output) if an app is blocked, needs work (or blocked), or any "
        "app is left; suppressions count.",
        case_sensitive=False,
    ),
]
RedactOpt = Annotated[
    bool,
    typer.Option("--redact", help="Replace subscription ids and names by stable pseudonyms in every output."),
]


@dataclass(frozen=True)
class RunOptions:
    """Everything `plan` and `demo` take besides the inventory and the output folder."""

    format: str | None = None
    prices: Path | None = None
    start: str | None = None
    wave_days: int = 5
    wave_size: int | None = None
    as_of: str | None = None
    quiet: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    suppressions: Path | None = None
    previous: Path | None = None
    fail_on: FailOn | None = None
    redact: bool = False


def _run(inventory: Path, out: Path, o: RunOptions) -> None:
    formats = _formats(o.format)
    today, first_day = _date(o.as_of, "--as-of"), _date(o.start, "--start")
    try:
        scope = parse_scope(o.include, o.exclude)
        suppressions = load_suppressions(o.suppressions) if o.suppressions else None
    except InputError as exc:
        raise _fail(str(exc)) from None
    with err.status("vnet-planner", spinner="dots") if not o.quiet else nullcontext() as status:

        def show(stage: str) -> None:
            if status is not None:
                status.update(f"vnet-planner: {escape(stage)}")

        try:
            plan = run_plan(
                inventory,
                prices_path=o.prices,
                today=today,
                start=first_day,
                wave_days=o.wave_days,
                wave_size=o.wave_size,
                on_stage=show,
                scope=scope,
                suppressions=suppressions,
                previous=o.previous,
                redact=o.redact,
            )
        except InputError as exc:
            raise _fail(str(exc)) from None
        with bulk_allocation():
            written = write_outputs(plan, out, formats, on_file=lambda name: show(f"rendered {name}"))
    if not o.quiet:
        from planner.render.terminal import print_summary

        print_summary(plan, Console(), written)
    if o.fail_on is not None:
        failing = failing_apps(plan, o.fail_on.value)
        if failing:
            names = ", ".join(a["name"] for a in failing[:5]) + (" ..." if len(failing) > 5 else "")
            raise _fail(
                f"--fail-on {o.fail_on.value}: {len(failing)} app(s) match ({names}); outputs are written",
                EXIT_FAIL_ON,
            )


@app.command()
def plan(
    inventory: Annotated[
        Path, typer.Argument(help="Inventory folder or file (from `scan`, or built by hand).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")],
    format: FormatOpt = None,
    prices: PricesOpt = None,
    start: StartOpt = None,
    wave_days: WaveDaysOpt = 5,
    wave_size: WaveSizeOpt = None,
    as_of: AsOfOpt = None,
    quiet: QuietOpt = False,
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    suppressions: SuppressionsOpt = None,
    previous: PreviousOpt = None,
    fail_on: FailOnOpt = None,
    redact: RedactOpt = False,
) -> None:
    """Analyse an inventory offline and write plan.json, CSV, the Excel workbook and the HTML runbook.

    Exit codes: 0 ok; 2 bad input; 4 --fail-on matched (outputs are written).
    """
    options = RunOptions(
        format, prices, start, wave_days, wave_size, as_of, quiet,
        tuple(include or ()), tuple(exclude or ()), suppressions, previous, fail_on, redact,
    )  # fmt: skip
    _run(inventory, out, options)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")] = Path("demo-out"),
    format: FormatOpt = None,
    prices: PricesOpt = None,
    start: StartOpt = None,
    wave_days: WaveDaysOpt = 5,
    wave_size: WaveSizeOpt = None,
    as_of: AsOfOpt = None,
    quiet: QuietOpt = False,
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    suppressions: SuppressionsOpt = None,
    previous: PreviousOpt = None,
    fail_on: FailOnOpt = None,
    redact: RedactOpt = False,
) -> None:
    """Run `plan` on the bundled Contoso sample tenant (no Azure account needed)."""
    options = RunOptions(
        format, prices, start, wave_days, wave_size, as_of, quiet,
        tuple(include or ()), tuple(exclude or ()), suppressions, previous, fail_on, redact,
    )  # fmt: skip
    sample = importlib.resources.files("planner.samples") / SAMPLE
    with importlib.resources.as_file(sample) as path:
        _run(path, out, options)


@app.command()
def rules() -> None:
    """Print the catalogue of codes: what each finds, why it matters, what fixes it."""
    from planner.analysis.rules import RULES

    console = Console()
    for rule in RULES:
        console.print(f"[bold]{rule.code}[/]  ({rule.kind.value}) {rule.title}")
        console.print(f"  finds: {' '.join(rule.finds.split())}", highlight=False)
        console.print(f"  why:   {rule.why}", highlight=False)
        console.print(f"  fix:   {rule.fix}", highlight=False)
        console.print()


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="Earlier inventory, or a plan.json written by `plan`.")],
    new: Annotated[Path, typer.Argument(help="Later inventory or plan.json.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the difference as JSON.")
    ] = None,
) -> None:
    """Migration burndown: what was migrated, what is new, what is left between two scans or plans."""
    import json

    from planner.plan.diff import diff as compute
    from planner.plan.pipeline import load_side
    from planner.render.terminal import print_diff

    try:
        result = compute(load_side(old), load_side(new))
    except InputError as exc:
        raise _fail(str(exc)) from None
    print_diff(result, Console())
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def _mount() -> None:
    """Command groups that live in their own modules (style.md: one module per command group)."""
    for module_name in ("planner.cli.scan", "planner.cli.sample", "planner.cli.preflight"):
        try:
            module: Any = importlib.import_module(module_name)
        except ImportError:
            continue
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
