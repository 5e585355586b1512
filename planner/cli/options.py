"""The plan options, declared once: `plan` and `demo` share this signature, and `settings()` turns
what the user typed into the one `Settings` object the pipeline reads (planner/core/settings.py).

A new plan option is one field of `Settings`, one entry here, and the code that reads it.
"""

import inspect
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from planner.cli.common import fail, parse_date
from planner.core.settings import DEFAULT_WAVE_DAYS, Settings
from planner.render.registry import DEFAULT_FORMATS, Format, available


class FailOn(StrEnum):
    BLOCKED = "blocked"
    NEEDS_WORK = "needs-work"
    ANY = "any"


def _plan_options(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")],
    format: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="Comma list: json,csv,xlsx,html,scripts (default: all but scripts)."
        ),
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option("--prices", help="Price file from `prices refresh` (default: shipped table)."),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="First day of wave 1 (YYYY-MM-DD); default: next Monday.")
    ] = None,
    wave_days: Annotated[
        int, typer.Option("--wave-days", min=1, help="Working days per wave.")
    ] = DEFAULT_WAVE_DAYS,
    wave_size: Annotated[
        int | None,
        typer.Option(
            "--wave-size", min=1, help="Most apps per wave (default 20, raised to meet the deadline)."
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Count days left from this date (default: today).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    include: Annotated[
        list[str] | None,
        typer.Option(
            "--include",
            help="Plan only what matches: subscription:ID-or-name, resource-group:GLOB, tag:KEY=GLOB "
            "(repeat; same kind = or, kinds = and).",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Leave out what matches (same forms as --include).")
    ] = None,
    suppressions: Annotated[
        Path | None,
        typer.Option(
            "--suppressions", help="YAML or JSON file of accepted codes: app, code, reason, expires_on."
        ),
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option("--previous", help="An earlier plan.json (or inventory): show the burndown since then."),
    ] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(
            "--fail-on",
            help="Exit 4 (after writing every output) if an app is blocked, needs work (or blocked), or any "
            "app is left; suppressions count.",
            case_sensitive=False,
        ),
    ] = None,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact", help="Replace subscription ids and names by stable pseudonyms in every output."
        ),
    ] = False,
) -> None:
    """The signature only: commands built with `with_plan_options` take these parameters."""


PLAN_OPTIONS = inspect.signature(_plan_options).parameters


def with_plan_options(
    leading: list[inspect.Parameter], out_default: Path | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command `leading` parameters followed by every plan option (typer reads the signature)."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        params = list(PLAN_OPTIONS.values())
        if out_default is not None:
            params[0] = params[0].replace(default=out_default)
        command.__signature__ = inspect.Signature([*leading, *params])  # type: ignore[attr-defined]
        return command

    return decorate


def formats(value: str | None) -> list[Format]:
    """The formats of `--format`, or the default ones available in this build."""
    if not value:
        return [f for f in DEFAULT_FORMATS if available(f)]
    chosen = []
    for part in value.split(","):
        name = part.strip().lower()
        try:
            fmt = Format(name)
        except ValueError:
            raise fail(
                f"--format: unknown format '{name}' (choose from {', '.join(f.value for f in Format)})"
            ) from None
        if not available(fmt):
            raise fail(f"--format: {name} is not available in this build")
        chosen.append(fmt)
    return chosen


def settings(options: dict[str, Any]) -> Settings:
    """The one Settings object from the plan options as typed (dates checked, lists frozen)."""
    return Settings(
        as_of=parse_date(options["as_of"], "--as-of"),
        start=parse_date(options["start"], "--start"),
        wave_days=options["wave_days"],
        wave_size=options["wave_size"],
        prices=str(options["prices"]) if options["prices"] else None,
        include=tuple(options["include"] or ()),
        exclude=tuple(options["exclude"] or ()),
        suppressions=str(options["suppressions"]) if options["suppressions"] else None,
        redact=options["redact"],
    )
